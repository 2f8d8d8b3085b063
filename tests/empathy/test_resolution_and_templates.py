"""Resolution beside empathy (a concrete step, answer, time frame, owner or solution, in zh/de/en) and
boilerplate that is not empathy (templates sent in many conversations by several agents)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from empathica.understand.empathy import analyze_conversations, score_responses
from empathica.understand.empathy.resolution import score_resolution
from empathica.understand.empathy.templates import normalise, template_flags

CARE = Path("../shared/data/en/customer_care_dialogues_dev.json")


@pytest.mark.parametrize(("language", "resolving", "stock"), [
    ("en", "I've issued your refund; you'll see it within 3 working days.", "We are sorry for the inconvenience caused."),
    ("de", "Ich habe die Erstattung veranlasst, das Geld ist innerhalb von 5 Werktagen auf Ihrem Konto.",
     "Wir bedauern die Unannehmlichkeiten. Bitte Kundennummer angeben."),
    ("zh", "已为您办理退款，预计3个工作日内到账。", "您好，您反映的情况我们已认真记录，感谢您的反馈。"),
])
def test_resolution_finds_a_concrete_way_forward_and_not_a_stock_apology(language, resolving, stock):
    r = score_resolution([resolving, stock], [language, language])
    assert list(r["resolution_level"]) == [2, 0]
    assert r.loc[0, "resolution"] > 0.5 and r.loc[1, "resolution"] == 0
    assert {"solution", "time_frame"} <= set(r.loc[0, "resolution_kinds"])
    assert r.loc[0, "resolution_evidence"] and all(span in resolving for span in r.loc[0, "resolution_evidence"])


def test_asking_for_an_order_number_is_not_resolution_but_an_answer_is():
    r = score_resolution(["Please provide your order number.", "Yes, it comes with a two-year warranty.",
                          "请提供订单号。", "Bitte Kundennummer angeben."], ["en", "en", "zh", "de"])
    assert list(r["resolution_level"]) == [0, 1, 0, 0]


def _conversations(pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    rows = []
    for i, (agent, said, reply) in enumerate(pairs):
        rows += [{"conversation_id": f"c{i:03d}", "turn_index": 0, "speaker": "customer", "agent_id": None, "text": said},
                 {"conversation_id": f"c{i:03d}", "turn_index": 1, "speaker": "agent", "agent_id": agent, "text": reply}]
    return pd.DataFrame(rows)


def test_a_pasted_apology_is_at_most_weak_and_a_warm_fix_scores_highest():
    stock = "We are so sorry for the inconvenience, we understand how frustrating this must be. How are you feeling?"
    said = ["My parcel is three days late!!", "The app crashed and I lost my basket", "Refund still missing after two weeks",
            "I was charged twice!!", "Nobody answers the phone", "The screen arrived cracked"]
    pairs = [(f"a{i % 3}", s, stock) for i, s in enumerate(said)]
    pairs += [("a9", "My parcel is three days late!!", "I'm so sorry your parcel is late. I've booked it for delivery tomorrow morning."),
              ("a8", "My parcel is three days late!!", "Please provide your order number.")]
    analysis = analyze_conversations(_conversations(pairs), use_text_analyzer=False)
    turns = analysis.turns.set_index("text")
    alone = score_responses([stock]).iloc[0]
    assert alone["emotional_reactions"] == 2  # read once, the stock line is strongly warm ...
    pasted = turns.loc[[stock]]
    assert pasted["template"].all() and (pasted["emotional_reactions"] <= 1).all()  # ... pasted six times, weak at most
    assert (pasted["interpretations"] == 0).all() and (pasted["explorations"] == 0).all()
    assert (pasted["empathy"] <= round(1 / 6, 4)).all() and (pasted["resolution"] == 0).all()
    warm_fix = turns.loc["I'm so sorry your parcel is late. I've booked it for delivery tomorrow morning."]
    assert not warm_fix["template"] and warm_fix["resolution_level"] == 2
    assert warm_fix["service_quality"] > pasted["service_quality"].max()
    agents = analysis.agents.set_index("agent_id")
    assert agents.loc["a0", "template_share"] == 1.0 and agents.loc["a9", "template_share"] == 0.0


def test_a_template_that_refers_to_the_customers_words_keeps_its_interpretation():
    reply = "I understand your parcel is late, that sounds stressful."
    pairs = [(f"a{i % 2}", "My parcel is late again!!", reply) for i in range(6)]
    turns = analyze_conversations(_conversations(pairs), use_text_analyzer=False).turns
    assert turns["template"].all()
    assert (turns["interpretations"] == score_responses([reply]).iloc[0]["interpretations"]).all()


@pytest.fixture(scope="module")
def care_replies() -> pd.DataFrame:
    rows = []
    for d in json.loads(CARE.read_text(encoding="utf-8")):
        reply = d["agentURL"]["url_utterance"]
        sign = re.search(r"(?:\^|-)\s?([A-Za-z]{1,3})\s*$", reply)
        rows.append({"conversation_id": d["dialogHeader"]["sessionID"], "text": reply,
                     "agent_id": f"{d['dialogHeader']['company']}/{sign.group(1).upper() if sign else '?'}"})
    return pd.DataFrame(rows)


def test_real_stock_replies_of_the_public_customer_care_dialogues_are_templates(care_replies):
    flags = template_flags(care_replies)
    flagged = set(care_replies.loc[flags, "text"].map(normalise))
    assert "for technical help please visit our help site" in flagged  # signed ^JS, ^AB ... by several agents
    assert any(t.startswith("please send us an email at and we will assist remember to attach your transaction id")
               for t in flagged)
    # near-verbatim: the same reply with the customer's name in the greeting is the same template text
    assert normalise("Hi Lipi, just to confirm, have you tried this?") == normalise("Hi there, just to confirm, have you tried this?")
    # most replies are written for the one customer, and are not templates
    assert 0.03 < flags.mean() < 0.4
    repeated = care_replies["text"].map(normalise).duplicated(keep=False).to_numpy()
    assert not flags[~repeated].any()
