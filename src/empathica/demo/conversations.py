"""Support conversations: every chat and call in the journeys, who handled it, and what was said.

The topic follows the journey's context (a call after a failed web payment is about the payment, a
chat after a late delivery about the delay, a contact after the returns portal about the refund).
Refunds go to the returns desk; everything else to the customer's usual contact agent (CRM routing
stickiness) or, now and then, to another agent of the same language. Every chat has a transcript;
calls are transcribed for a sample (``CALL_TRANSCRIPTION_RATE``), as speech analytics usually are.

A complaint handled without empathy can lose the customer on the spot (``leave_after_contacts``):
the truth ``contact_leaving`` in ``truths.py``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from empathica.demo.catalogue import AGENT_EMPATHY, CONTACT_AGENTS, LANGUAGES, S
from empathica.demo.journeys import WEEK, Journeys
from empathica.demo.population import STICKY_ROUTING, Customers
from empathica.demo.texts import BANKS, TOPICS, compose_conversations
from empathica.demo.truths import PlantedTruths

CALL_TRANSCRIPTION_RATE = 0.25
#: Concentration of the Beta distribution of the empathy shown in one contact around the agent's level
#: (mean = the agent's level; sd 0.2 for an agent at 0.5).
CONTACT_EMPATHY_CONCENTRATION = 5.0
_CHAT = (S["chat_pre"], S["chat_post"])
_CALL = (S["call_pay"], S["call_pay_again"], S["call_post"])
_REPEAT = (S["call_pay_again"], S["call_post"], S["chat_post"])


def _flag_before(events: pd.DataFrame, states: tuple[int, ...]) -> np.ndarray:
    """Whether one of ``states`` occurred earlier in the same journey (events sorted by journey, step)."""
    hit = events["state"].isin(states).astype(np.int64)
    return (hit.groupby(events["journey"]).cumsum() - hit).to_numpy() > 0


def assign_conversations(rng: np.random.Generator, customers: Customers, journeys: Journeys) -> pd.DataFrame:
    """One row per conversation event: topic, agent, empathy, outcome, channel and transcription."""
    ev = journeys.events
    returned = _flag_before(ev, (S["returns_portal"],))
    late = _flag_before(ev, (S["delivery_late"],))
    is_conv = ev["state"].isin(_CHAT + _CALL).to_numpy()
    conv = ev[is_conv].copy()
    conv["event_row"] = np.flatnonzero(is_conv)
    returned, late = returned[is_conv], late[is_conv]
    n = len(conv)
    cust = journeys.customer[conv["journey"].to_numpy()]
    conv["customer"] = cust
    state = conv["state"].to_numpy()

    u = rng.random(n)
    topic = np.full(n, "product_quality", dtype=object)
    pre = state == S["chat_pre"]
    topic[pre] = np.where(u[pre] < 0.85, "product_question", "app_usability")
    post = np.isin(state, (S["chat_post"], S["call_post"]))
    other = np.where(u < 0.35, "product_quality", np.where(u < 0.5, "app_usability", "product_question"))
    topic[post] = np.where(returned[post], "refund", np.where(late[post], "delivery_delay", other[post]))
    topic[np.isin(state, (S["call_pay"], S["call_pay_again"]))] = "payment_failure"
    conv["topic"] = topic

    language = customers.language[cust]
    agent = customers.agent[cust].copy()
    reroute = rng.random(n) >= STICKY_ROUTING
    for li, lang in enumerate(LANGUAGES):
        mask = reroute & (language == li)
        agent[mask] = rng.choice(CONTACT_AGENTS[lang], size=int(mask.sum()))
    refund = topic == "refund"
    agent[refund] = customers.returns_agent[cust[refund]]
    # agents have better and worse days: the empathy shown in one contact varies around the agent's level
    level = AGENT_EMPATHY[agent]
    k = CONTACT_EMPATHY_CONCENTRATION
    empathy = rng.beta(k * level, k * (1.0 - level))
    conv["agent"] = agent
    conv["empathy"] = empathy

    repeat_next = np.isin(conv["next_state"].to_numpy(), _REPEAT)
    p_resolved = np.clip(0.30 + 0.6 * empathy - 0.15 * (topic == "payment_failure"), 0.05, 0.95)
    resolved = ~repeat_next & (rng.random(n) < p_resolved)
    other_outcome = np.array(["unresolved", "escalated", "transferred"])[rng.choice(3, size=n, p=(0.5, 0.3, 0.2))]
    conv["resolved"] = resolved
    conv["outcome"] = np.where(resolved, "resolved", np.where(repeat_next, "unresolved", other_outcome))
    is_call = np.isin(state, _CALL)
    conv["channel"] = np.where(is_call, "phone", "chat")
    conv["touchpoint_id"] = np.where(is_call, "call_centre", "chat")
    conv["transcribed"] = ~is_call | (rng.random(n) < CALL_TRANSCRIPTION_RATE)
    conv["long"] = rng.random(n) < 0.5
    assert set(topic) <= set(TOPICS)
    return conv.reset_index(drop=True)


def leave_after_contacts(
    rng: np.random.Generator, customers: Customers, journeys: Journeys, conv: pd.DataFrame, truths: PlantedTruths
) -> tuple[Customers, Journeys, pd.DataFrame, np.ndarray]:
    """Customers who leave right after a complaint contact handled without empathy.

    Each complaint contact (every topic but a product question) makes its customer leave with
    probability ``max · (1 − empathy)^exponent`` (``truths.contact_leaving``). A customer who leaves
    finishes the journeys already under way and starts none after the contact: their later journeys,
    purchases and conversations are removed, and they become inactive (so the CRM records them as
    churned, see ``commerce.churn_times``). Returns the customers, journeys and conversations after
    leaving, and per customer whether they left after a contact.
    """
    h = truths.contact_leaving
    complaint = conv["topic"].to_numpy() != "product_question"
    p_leave = np.where(complaint, h["max"] * (1.0 - conv["empathy"].to_numpy()) ** h["exponent"], 0.0)
    leaves = rng.random(len(conv)) < p_leave
    conv = conv.assign(left_after=leaves)
    n = len(customers)
    leave_time = np.full(n, np.inf)
    np.minimum.at(leave_time, conv["customer"].to_numpy()[leaves], conv["time"].to_numpy()[leaves])
    left = np.isfinite(leave_time)

    ev = journeys.events
    journey = ev["journey"].to_numpy()
    start = np.full(len(journeys.customer), np.inf)
    np.minimum.at(start, journey, ev["time"].to_numpy())
    keep_journey = start <= leave_time[journeys.customer]
    keep = keep_journey[journey]
    new_row = np.cumsum(keep) - 1
    conv = conv[keep[conv["event_row"].to_numpy()]].copy()
    conv["event_row"] = new_row[conv["event_row"].to_numpy()]
    journeys = replace(journeys, events=ev[keep].reset_index(drop=True))
    death_week = np.where(left, np.fmin(customers.death_week, leave_time / WEEK), customers.death_week)
    customers = replace(customers, dead=customers.dead | left, death_week=death_week)
    return customers, journeys, conv.reset_index(drop=True), left


def stock_apologies(
    rng: np.random.Generator, conv: pd.DataFrame, language: np.ndarray, dialogues: list[list[tuple[str, str]]],
    truths: PlantedTruths,
) -> tuple[list[list[tuple[str, str]]], np.ndarray]:
    """The truth ``apology_leaving``: some unresolved after-sales contacts (``conv``: the transcribed ones, with
    their ``dialogues``) answered only by a stock apology, far more often where the customer left after the
    contact. ``rng`` is the truth's own stream (a fixed number of draws per contact). Returns the dialogues,
    with every agent turn of a chosen contact replaced, and which contacts were chosen."""
    h = truths.apology_leaving
    n = len(conv)
    u = rng.random((n, 4))
    eligible = np.isin(conv["topic"].to_numpy(), h["topics"]) & ~conv["resolved"].to_numpy().astype(bool)
    left = conv["left_after"].to_numpy().astype(bool) if "left_after" in conv else np.zeros(n, dtype=bool)
    chosen = eligible & (u[:, 0] < np.where(left, h["if_left"], h["if_stayed"]))
    out = list(dialogues)
    for i in np.flatnonzero(chosen):
        stock = BANKS[language[i]].STOCK_APOLOGY
        agent_turns = [k for k, (speaker, _) in enumerate(out[i]) if speaker == "agent"]
        words = [stock["open"]] + [stock["again"]] * (len(agent_turns) - 2) + [stock["close"]]
        turns = list(out[i])
        for j, (k, options) in enumerate(zip(agent_turns, words)):
            turns[k] = ("agent", options[int(u[i, 1 + min(j, 2)] * len(options))])
        out[i] = turns
    return out, chosen


def conversation_tables(
    rng: np.random.Generator,
    customers: Customers,
    conv: pd.DataFrame,
    conversation_ids: np.ndarray,
    customer_ids: np.ndarray,
    agent_ids: np.ndarray,
    *,
    apology_rng: np.random.Generator | None = None,
    truths: PlantedTruths | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The ``conversations`` and ``turns`` rows (timestamps as seconds after WORLD_START).

    Also returns, per turn, the topic the turn is a labelled mention of (the customer's opening turn
    states the issue; other turns: None) and the turn's language. With ``apology_rng`` and ``truths`` the
    truth ``apology_leaving`` is planted (:func:`stock_apologies`); the last value says, per transcribed
    conversation, whether it got the stock apology.
    """
    conversations = pd.DataFrame({
        "conversation_id": conversation_ids,
        "customer_id": customer_ids,
        "channel": conv["channel"].to_numpy(),
        "started_at": conv["time"].to_numpy(),
        "touchpoint_id": conv["touchpoint_id"].to_numpy(),
        "outcome": conv["outcome"].to_numpy(),
        "attributes": [
            f'{{"agent_id": "{a}", "transcribed": {"true" if t else "false"}}}'
            for a, t in zip(agent_ids, conv["transcribed"].to_numpy())
        ],
    })
    tr = conv[conv["transcribed"].to_numpy()]
    keep = conv["transcribed"].to_numpy()
    language = np.array(LANGUAGES)[customers.language[tr["customer"].to_numpy()]]
    dialogues = compose_conversations(
        rng, language, tr["topic"].to_numpy(), tr["empathy"].to_numpy(), tr["resolved"].to_numpy(), tr["long"].to_numpy()
    )
    stock = np.zeros(len(tr), dtype=bool)
    if apology_rng is not None and truths is not None:
        dialogues, stock = stock_apologies(apology_rng, tr, language, dialogues, truths)
    lengths = np.array([len(d) for d in dialogues], dtype=np.int64)
    conv_of_turn = np.repeat(np.arange(len(tr)), lengths)
    turn_index = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    speakers = [s for d in dialogues for s, _ in d]
    texts = [t for d in dialogues for _, t in d]
    is_phone = tr["channel"].to_numpy()[conv_of_turn] == "phone"
    gaps = np.exp(np.log(np.where(is_phone, 25.0, 70.0)) + 0.6 * rng.standard_normal(len(texts)))
    gaps[turn_index == 0] = 0.0
    cumulative = np.cumsum(gaps)
    elapsed = cumulative - np.repeat(cumulative[np.cumsum(lengths) - lengths], lengths)
    conv_ids = conversation_ids[keep][conv_of_turn]
    turns = pd.DataFrame({
        "turn_id": [f"{c}-t{i:02d}" for c, i in zip(conv_ids, turn_index)],
        "conversation_id": conv_ids,
        "turn_index": turn_index,
        "speaker": speakers,
        "agent_id": np.where(np.array(speakers) == "agent", agent_ids[keep][conv_of_turn], None),
        "text": texts,
        "timestamp": tr["time"].to_numpy()[conv_of_turn] + elapsed,
    })
    opening_topic = np.where(turn_index == 0, tr["topic"].to_numpy()[conv_of_turn], None)
    return conversations, turns, opening_topic, language[conv_of_turn], stock
