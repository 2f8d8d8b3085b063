"""Coaching pairs are distinct lessons (one row per agent, no repeated exchange), and the agent ranking does
not put an agent who leaves distressed customers with transactional replies among the most empathic."""

import numpy as np
import pandas as pd

from empathica.understand.empathy import agent_table, coaching_pairs


def _turn(agent, context, text, empathy, distress=0.9, gap=None):
    cold = empathy < 0.2
    return {"agent_id": agent, "context": context, "text": text, "empathy": empathy, "context_distress": distress,
            "language": "en", "empathy_gap": cold if gap is None else gap,
            "emotional_reactions": 0 if cold else 2, "interpretations": 0 if cold else 1, "explorations": 0}


def test_coaching_pairs_are_distinct_exchanges_one_row_per_agent():
    rows = []
    # the stock exchange that used to fill all five rows: many agents, many copies, trivially different
    for i, agent in enumerate(["agent_04", "agent_04", "agent_04", "agent_05", "agent_05", "agent_10"]):
        rows.append(_turn(agent, "This is useless." if i % 2 else "this is USELESS", "Thx." if i % 3 else "thx", 0.02))
    rows += [
        _turn("agent_04", "My refund is three weeks late!!", "Provide order number.", 0.05),
        _turn("agent_10", "Nobody answers, I'm furious", "Ticket raised.", 0.06),
        _turn("agent_11", "The parcel never arrived, I'm so upset", "Status: shipped.", 0.08),
        _turn("agent_02", "Still no refund, this is useless", "I'm so sorry, that sounds so frustrating. I've issued it now.", 0.8),
        _turn("agent_03", "My parcel is late again, I'm upset", "Oh no, I understand how stressful that is. It arrives tomorrow.", 0.85),
        _turn("agent_07", "Nobody answers my calls, furious", "I'm really sorry nobody got back to you, I'll call you today.", 0.9),
        _turn("agent_03", "This is useless!!", "I'm so sorry it let you down. Let me fix it with you now.", 0.9),
    ]
    turns = pd.DataFrame(rows)
    pairs = coaching_pairs(turns, k=5)
    assert len(pairs) >= 3
    assert pairs["agent_id"].is_unique, pairs[["agent_id", "reply"]]
    exchange = (pairs["customer_said"].str.lower().str.replace(r"\W", "", regex=True)
                + "|" + pairs["reply"].str.lower().str.replace(r"\W", "", regex=True))
    assert exchange.is_unique, pairs[["customer_said", "reply"]]
    assert pairs["better_reply"].is_unique
    assert (pairs["better_agent_id"] != pairs["agent_id"]).all()
    assert (pairs["better_empathy"] > pairs["empathy"]).all()
    # the worst lessons come first: every agent shown with their own least empathic reply
    assert pairs.iloc[0]["empathy"] == turns["empathy"].min()


def _agent_turns(agent, n, empathy, gaps_to_distress, distressed):
    rng = np.random.default_rng(len(agent) + n)
    rows = []
    for i in range(n):
        responds = i < distressed
        gap = responds and i < gaps_to_distress
        rows.append({"agent_id": agent, "conversation_id": f"{agent}-{i}", "empathy": 0.02 if gap else empathy + rng.normal(0, 0.01),
                     "emotional_reactions": 0 if gap else 2, "interpretations": 0 if gap else 1, "explorations": 0,
                     "jargon": [], "responds_to_distress": responds, "empathy_gap": gap})
    return rows


def test_agent_with_a_30_percent_gap_rate_is_not_ranked_among_the_most_empathic():
    rows = []
    # agent_09 is very warm to easy questions but leaves 30 % of distressed customers with a cold reply;
    # its mean empathy is still the second highest of all
    rows += _agent_turns("agent_09", 100, 0.84, gaps_to_distress=6, distressed=20)
    rows += _agent_turns("agent_03", 100, 0.74, gaps_to_distress=0, distressed=20)
    rows += _agent_turns("agent_01", 100, 0.62, gaps_to_distress=0, distressed=20)
    rows += _agent_turns("agent_12", 100, 0.60, gaps_to_distress=0, distressed=20)
    rows += _agent_turns("agent_07", 100, 0.80, gaps_to_distress=0, distressed=20)
    rows += _agent_turns("agent_05", 100, 0.30, gaps_to_distress=8, distressed=20)
    turns = pd.DataFrame(rows)
    mean = turns.groupby("agent_id")["empathy"].mean().sort_values(ascending=False)
    assert list(mean.index[:2]) == ["agent_07", "agent_09"]  # by mean empathy alone agent_09 is #2
    agents = agent_table(turns, pd.DataFrame({"conversation_id": turns["conversation_id"], "agent_id": turns["agent_id"]}))
    ranked = agents.set_index("agent_id")
    assert ranked.loc["agent_09", "gap_rate"] == 0.3
    assert ranked.loc["agent_09", "rank"] > 3
    assert ranked.loc["agent_07", "rank"] == 1 and ranked.loc["agent_05", "rank"] == len(agents)
    assert agents["rank"].tolist() == sorted(agents["rank"])
