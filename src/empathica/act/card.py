"""The agent's context card: who is calling and how they feel, served from an in-memory snapshot of the store that
each run and ingest refreshes (:meth:`CardSnapshot.build`), so a card costs dictionary look-ups, not queries.

A card holds the journey so far, the sentiment trend and last emotion, pain points, what the customer values
(their values answers), churn risk and CLV with reasons, the empathy they last received, open cases (read live
from the operational store), and a suggested opener: a *real* agent reply, the most empathic one given in the
customer's language to a customer in a similar situation (same pain point and emotion where possible), with
the reason it was chosen. Openers agents rejected more often than they used are not suggested again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import ibis
import pandas as pd

from empathica.schema.results import (EMPATHY_CUSTOMER, EMPATHY_TURNS, TEXT_SCORES, VALUE_CHURN_SCORES, VALUE_CLV,
                                      VALUE_DETRACTOR_SCORES)
from empathica.store import Store

#: How many of the latest events, scored texts and values answers a card shows.
JOURNEY_EVENTS = 12
SENTIMENT_POINTS = 8
#: A reply is a candidate opener when its empathy is at least this (0–1) and it answered a distressed or
#: negative customer turn.
OPENER_MIN_EMPATHY = 0.7


@dataclass
class CardSnapshot:
    """Per-customer facts for the context card, built once from the store."""

    built_at: datetime
    customers: dict[str, dict] = field(default_factory=dict)
    journey: dict[str, list] = field(default_factory=dict)
    sentiment: dict[str, list] = field(default_factory=dict)
    values: dict[str, list] = field(default_factory=dict)
    value: dict[str, dict] = field(default_factory=dict)
    last_empathy: dict[str, dict] = field(default_factory=dict)
    openers: dict[tuple, dict] = field(default_factory=dict)

    @classmethod
    def build(cls, store: Store, *, rejected: set[str] = frozenset()) -> "CardSnapshot":
        """Read every fact a card needs from ``store``; ``rejected``: openers agents turned down."""
        snap = cls(built_at=datetime.now(UTC))
        customers = store.table("customers").select("customer_id", "language", "segment", "region").to_pandas()
        snap.customers = {r.customer_id: {"language": r.language, "segment": r.segment, "region": r.region}
                          for r in customers.itertuples(index=False)}
        snap.journey = _latest(store.table("events").select("customer_id", "timestamp", touchpoint="touchpoint_id",
                                                             channel="channel"), JOURNEY_EVENTS)
        snap.sentiment = _latest(_scored_texts(store), SENTIMENT_POINTS)
        for points in snap.sentiment.values():
            for point in points:
                point["aspects"] = _aspects(point["aspects"])
        answers = store.table("values_answers").select("customer_id", "timestamp", "question", "answer")
        snap.values = _latest(answers.filter(answers.customer_id.notnull()), 5)
        snap.value = _value(store)
        snap.last_empathy = _last_empathy(store)
        snap.openers = _openers(store, rejected)
        return snap

    def card(self, customer_id: str, *, open_cases: list[dict] | None = None) -> dict | None:
        """The card of ``customer_id`` (None: no such customer in the snapshot)."""
        who = self.customers.get(customer_id)
        if who is None:
            return None
        texts = self.sentiment.get(customer_id, [])
        scores = [t["sentiment"] for t in texts if t["sentiment"] is not None]
        emotions = [t["emotion"] for t in texts if t.get("emotion") and t["emotion"] != "neutral"]
        pains = list(dict.fromkeys(a for t in texts if (t["sentiment"] or 0) < 0 for a in t["aspects"]))
        return {
            "customer_id": customer_id, **who,
            "journey": self.journey.get(customer_id, []),
            "open_cases": open_cases or [],
            "sentiment": {"points": texts, "trend": _trend(scores), "last": scores[-1] if scores else None,
                          "last_emotion": emotions[-1] if emotions else (texts[-1]["emotion"] if texts else None)},
            "pain_points": pains,
            "values": self.values.get(customer_id, []),
            **self.value.get(customer_id, {"churn": None, "clv": None}),
            "last_empathy": self.last_empathy.get(customer_id),
            "opener": self._opener(who.get("language"), pains[:1], emotions[-1:]),
            "snapshot_at": self.built_at.isoformat(),
        }

    def _opener(self, language: str | None, pains: list[str], emotions: list[str]) -> dict | None:
        """The best real reply to a customer most like this one: same language, then pain point and emotion."""
        pain, emotion = (pains or [None])[0], (emotions or [None])[0]
        attempts = []
        if pain and emotion:
            attempts.append(((language, pain, emotion), (f"pain point {pain}", f"emotion {emotion}")))
        if pain:
            attempts.append(((language, pain, None), (f"pain point {pain}",)))
        if emotion:
            attempts.append(((language, None, emotion), (f"emotion {emotion}",)))
        attempts.append(((language, None, None), ()))
        for key, alike in attempts:
            best = self.openers.get(key)
            if best is not None:
                same = f", with the same {' and '.join(alike)}" if alike else ""
                return {**best, "reason": f"the most empathic real reply (empathy {best['empathy']:.2f}, by "
                                          f"{best['agent_id']}) to an upset customer in {language}{same}."}
        return None


def _latest(table, n: int) -> dict[str, list]:
    """The ``n`` latest rows per customer (oldest first), as lists of dicts keyed by customer."""
    ranked = table.mutate(_rank=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("timestamp")))
    frame = ranked.filter(ranked._rank < n).drop("_rank").order_by(["customer_id", "timestamp"]).to_pandas()
    frame["timestamp"] = frame["timestamp"].map(lambda t: t.isoformat() if pd.notna(t) else None)
    out: dict[str, list] = defaultdict(list)
    for row in frame.to_dict("records"):
        out[row.pop("customer_id")].append({k: (None if _missing(v) else v) for k, v in row.items()})
    return dict(out)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _scored_texts(store: Store):
    """The customer's own scored texts: feedback comments, values answers and their turns in conversations."""
    if not store.has_result(TEXT_SCORES):
        empty = store.table("feedback").select("customer_id", "timestamp").limit(0)
        return empty.mutate(source=ibis.literal(""), sentiment=ibis.null("float64"), emotion=ibis.null("string"),
                            aspects=ibis.null("string"))
    scores = store.result(TEXT_SCORES).select("source_table", "source_id", "sentiment_score", "emotion",
                                              aspects_json=ibis._.aspects.cast("string"))
    fb = store.table("feedback").select("customer_id", "timestamp", source_id="response_id",
                                        source=ibis.literal("feedback"))
    va = store.table("values_answers").select("customer_id", "timestamp", source_id="answer_id",
                                              source=ibis.literal("values_answers"))
    turns, conv = store.table("turns"), store.table("conversations")
    tu = turns.filter(turns.speaker == "customer").join(conv, "conversation_id").select(
        "customer_id", "timestamp", source_id="turn_id", source=ibis.literal("turns"))
    texts = fb.union(va).union(tu).filter(ibis._.customer_id.notnull())
    joined = texts.join(scores, [texts.source_id == scores.source_id, texts.source == scores.source_table])
    return joined.select("customer_id", "timestamp", "source", sentiment="sentiment_score", emotion="emotion",
                         aspects=joined.aspects_json)  # a JSON list, parsed once when the snapshot is built


def _value(store: Store) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(lambda: {"churn": None, "clv": None})
    if store.has_result(VALUE_CHURN_SCORES):
        for r in store.result(VALUE_CHURN_SCORES).select("customer_id", "p_churn", "reasons").to_pandas().itertuples():
            out[r.customer_id]["churn"] = {"p_churn": round(float(r.p_churn), 4), "reasons": _reasons(r.reasons)}
    if store.has_result(VALUE_CLV):
        clv = store.result(VALUE_CLV).select("customer_id", "clv", "p_alive", "expected_purchases", "segment", "status")
        for r in clv.to_pandas().itertuples():
            out[r.customer_id]["clv"] = {
                "clv": round(float(r.clv), 2), "p_alive": round(float(r.p_alive), 4), "segment": r.segment,
                "reasons": [f"p_alive={r.p_alive:.2f}", f"expected_purchases_52w={r.expected_purchases:.2f}",
                            f"status={r.status}"]}
    if store.has_result(VALUE_DETRACTOR_SCORES):
        for r in store.result(VALUE_DETRACTOR_SCORES).to_pandas().itertuples():
            out[r.customer_id]["detractor"] = {"p_detractor": round(float(r.p_detractor), 4),
                                               "reasons": _reasons(r.reasons)}
    if store.has_result(EMPATHY_CUSTOMER):
        for r in store.result(EMPATHY_CUSTOMER).select("customer_id", "empathy_received").to_pandas().itertuples():
            if r.empathy_received == r.empathy_received:
                out[r.customer_id]["empathy_received"] = round(float(r.empathy_received), 4)
    return dict(out)


def _reasons(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def _last_empathy(store: Store) -> dict[str, dict]:
    """The latest agent reply each customer received, with its empathy."""
    if not store.has_result(EMPATHY_TURNS):
        return {}
    turns = store.result(EMPATHY_TURNS).join(store.table("conversations").select("conversation_id", "customer_id"),
                                             "conversation_id")
    ranked = turns.mutate(_rank=ibis.row_number().over(group_by="customer_id",
                                                       order_by=[ibis.desc("timestamp"), ibis.desc("turn_index")]))
    last = ranked.filter(ranked._rank == 0).select("customer_id", "agent_id", "timestamp", "empathy", "empathy_gap",
                                                   "responds_to_distress", "text").to_pandas()
    return {r["customer_id"]: {"agent_id": r["agent_id"], "at": r["timestamp"].isoformat() if pd.notna(r["timestamp"]) else None,
                               "empathy": round(float(r["empathy"]), 4), "empathy_gap": bool(r["empathy_gap"]),
                               "reply": r["text"]} for r in last.to_dict("records")}


def _openers(store: Store, rejected: set[str]) -> dict[tuple, dict]:
    """The best real reply per (language, pain point, emotion) of the customer turn it answered, and coarser keys."""
    if not store.has_result(EMPATHY_TURNS):
        return {}
    replies = store.result(EMPATHY_TURNS)
    replies = replies.filter(replies.empathy >= OPENER_MIN_EMPATHY)
    if store.has_result(TEXT_SCORES):  # the situation answered: the emotion and pain points of the customer's turn
        turns = store.table("turns").select(c_conv="conversation_id", c_index="turn_index", c_turn="turn_id")
        scores = store.result(TEXT_SCORES)
        scores = scores.filter(scores.source_table == "turns").select(
            s_id="source_id", c_sentiment="sentiment_score", c_emotion="emotion", c_aspects=ibis._.aspects.cast("string"))
        joined = replies.join(turns, [replies.conversation_id == turns.c_conv, turns.c_index == replies.turn_index - 1])
        joined = joined.join(scores, joined.c_turn == scores.s_id)
        joined = joined.filter(joined.responds_to_distress | (joined.c_sentiment < 0))
    else:
        joined = replies.filter(replies.responds_to_distress).mutate(c_emotion=ibis.null("string"),
                                                                     c_aspects=ibis.null("string"))
    frame = joined.select("conversation_id", "turn_index", "agent_id", "language", "text", "empathy", "c_emotion",
                          "c_aspects").order_by([ibis.desc("empathy"), "conversation_id", "turn_index"]).to_pandas()
    best: dict[tuple, dict] = {}
    for r in frame.to_dict("records"):
        opener_id = f"{r['conversation_id']}#{r['turn_index']}"
        if opener_id in rejected:
            continue
        aspects = _aspects(r["c_aspects"])
        emotion = r["c_emotion"] if r["c_emotion"] and r["c_emotion"] != "neutral" else None
        entry = {"opener_id": opener_id, "text": r["text"], "agent_id": r["agent_id"], "language": r["language"],
                 "empathy": round(float(r["empathy"]), 4), "answered_emotion": emotion, "answered_pain_points": aspects}
        keys = {(r["language"], None, None), (r["language"], None, emotion)}
        for aspect in aspects:
            keys |= {(r["language"], aspect, None), (r["language"], aspect, emotion)}
        for key in keys:
            best.setdefault(key, entry)  # rows come most empathic first
    return best


def _aspects(text: str | None) -> list[str]:
    if not isinstance(text, str) or not text:
        return []
    try:
        items = json.loads(text)
    except ValueError:
        return []
    return [i.get("aspect") if isinstance(i, dict) else str(i) for i in items if i]


def _trend(scores: list[float]) -> str | None:
    """'improving', 'worsening' or 'steady': the latest half of the customer's texts against the earlier half."""
    if len(scores) < 2:
        return None
    half = len(scores) // 2
    change = sum(scores[half:]) / len(scores[half:]) - sum(scores[:half]) / half
    return "improving" if change > 0.15 else "worsening" if change < -0.15 else "steady"
