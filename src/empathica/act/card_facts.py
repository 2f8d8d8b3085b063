"""What the context card reads from the store, as Ibis expressions run inside DuckDB and fetched as Arrow tables
in customer order: one row of facts per customer, and the latest events, scored texts and values answers
(each function gives the Ibis expression; the snapshot fetches it, or has DuckDB write it to a file).

Every query numbers the customers in one order (``pos``: 0, 1, … by customer id), so the snapshot can keep each
list as one columnar table with offsets instead of a Python object per customer. ``only`` restricts a query to
some customers (a refresh of the customers an ingest touched): their ids, or for many of them a column every query
reads as a subquery (:func:`empathica.act.live.customer_ids`).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from empathica.act.customer_turns import conversation_emotions, turn_emotions
from empathica.schema.results import (EMPATHY_CUSTOMER, EMPATHY_TURNS, TEXT_SCORES, VALUE_CHURN_SCORES, VALUE_CLV,
                                      VALUE_DETRACTOR_SCORES)
from empathica.store import Store

#: How many of the latest events, scored texts and values answers a card shows.
JOURNEY_EVENTS = 12
SENTIMENT_POINTS = 8
VALUES_ANSWERS = 5
#: The columns of a text scored on ingest (before a run scores it): the live rows the snapshot merges in.
LIVE_COLUMNS = ("customer_id", "timestamp", "source", "source_id", "sentiment", "emotion", "aspects")


def numbered_customers(store: Store, only: ir.Column | list[str] | None = None):
    """``customer_id`` and ``pos`` (0, 1, … in customer-id order) of every customer (or of ``only``)."""
    customers = store.table("customers").select("customer_id")
    if only is not None:
        customers = customers.filter(customers.customer_id.isin(only))
    return customers.mutate(pos=ibis.row_number().over(order_by="customer_id"))


def customer_facts(store: Store, numbered, only: ir.Column | list[str] | None = None, live: pd.DataFrame | None = None):
    """One row per customer, by ``pos``: profile, churn risk, CLV, detractor risk, empathy received, last reply,
    the latest conversation and the customer's emotion in it (``live``: texts scored on ingest, no run yet)."""
    people = store.table("customers").select("customer_id", "language", "segment", "region")
    facts = numbered.join(_of(people, only), "customer_id")
    parts = [
        (VALUE_CHURN_SCORES, {"p_churn": "p_churn", "churn_reasons": "reasons"}),
        (VALUE_CLV, {"clv": "clv", "p_alive": "p_alive", "expected_purchases": "expected_purchases",
                     "clv_segment": "segment", "clv_status": "status"}),
        (VALUE_DETRACTOR_SCORES, {"p_detractor": "p_detractor", "detractor_reasons": "reasons"}),
        (EMPATHY_CUSTOMER, {"empathy_received": "empathy_received"}),
    ]
    for result, columns in parts:
        facts = _left(facts, _of(store.result(result), only) if store.has_result(result) else None, columns)
    last = _last_reply(store, only)
    facts = _left(facts, last, {"last_agent_id": "agent_id", "last_at": "timestamp", "last_empathy": "empathy",
                                "last_empathy_gap": "empathy_gap", "last_reply": "text"})
    facts = _left(facts, _last_conversation(store, live, only), {"conversation_id": "conversation_id",
                                                                  "conversation_at": "started_at",
                                                                  "conversation_emotion": "emotion"})
    return facts.order_by("pos")


def opener_facts(store: Store, numbered, only: Sequence[str], live: pd.DataFrame | None = None):
    """What choosing an opener needs of each of ``only`` these customers, by ``pos``: their language and the emotion
    they showed in their latest conversation (the facts row's ``language`` and ``conversation_emotion``, without
    its value and empathy columns: a case's opener is chosen on the evaluation's path)."""
    people = numbered.join(_of(store.table("customers").select("customer_id", "language"), only), "customer_id")
    facts = _left(people, _last_conversation(store, live, only), {"conversation_emotion": "emotion"})
    return facts.order_by("pos")


def _last_conversation(store: Store, live: pd.DataFrame | None, only: ir.Column | list[str] | None = None):
    """Each customer's latest conversation with their emotion in it (:mod:`empathica.act.customer_turns`)."""
    conversations = _of(store.table("conversations").select("conversation_id", "customer_id", "started_at"), only)
    ranked = conversations.mutate(_rank=ibis.row_number().over(group_by="customer_id",
                                                               order_by=[ibis.desc("started_at"),
                                                                         ibis.desc("conversation_id")]))
    latest = ranked.filter(ranked._rank == 0).drop("_rank")
    emotions = conversation_emotions(store, turn_emotions(store, live), conversations=latest.conversation_id)
    if emotions is None:
        return latest.mutate(emotion=ibis.null("string"))
    emotions = emotions.rename(_conversation="conversation_id")
    return latest.left_join(emotions, latest.conversation_id == emotions._conversation).drop("_conversation")


def _of(table, only: ir.Column | list[str] | None):
    """``table``'s rows of ``only`` these customers (all without ``only``): a partial build reads no other."""
    return table if only is None else table.filter(table.customer_id.isin(only))


def _left(facts, table, columns: dict[str, str]):
    """``facts`` with ``columns`` (new name → column of ``table``) joined by customer; nulls when ``table`` is None."""
    if table is None:
        return facts.mutate(**{name: ibis.null().cast("float64") for name in columns})
    part = table.select(_key="customer_id", **{name: table[column] for name, column in columns.items()})
    return facts.left_join(part, facts.customer_id == part._key).drop("_key")


def _last_reply(store: Store, only: ir.Column | list[str] | None = None):
    """The latest agent reply each customer received, with its empathy (None before the empathy step ran)."""
    if not store.has_result(EMPATHY_TURNS):
        return None
    conversations = store.table("conversations").select("conversation_id", "customer_id")
    if only is not None:
        conversations = conversations.filter(conversations.customer_id.isin(only))
    turns = store.result(EMPATHY_TURNS).join(conversations, "conversation_id")
    ranked = turns.mutate(_rank=ibis.row_number().over(group_by="customer_id",
                                                       order_by=[ibis.desc("timestamp"), ibis.desc("turn_index")]))
    return ranked.filter(ranked._rank == 0)


def latest_rows(numbered, table, n: int, only: ir.Column | list[str] | None = None):
    """The ``n`` latest rows of ``table`` per customer (of ``only`` these), ordered by (``pos``, time)."""
    if only is not None:  # before ranking, so a refresh of a few customers ranks only their rows
        table = table.filter(table.customer_id.isin(only))
    ranked = table.mutate(_rank=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("timestamp")))
    ranked = ranked.filter(ranked._rank < n).drop("_rank")
    joined = ranked.join(numbered, "customer_id")
    return joined.drop("customer_id").order_by(["pos", "timestamp"])


def journey_table(store: Store):
    return store.table("events").select("customer_id", "timestamp", touchpoint="touchpoint_id", channel="channel")


def values_table(store: Store):
    answers = store.table("values_answers").select("customer_id", "timestamp", "question", "answer")
    return answers.filter(answers.customer_id.notnull())


def _texts(store: Store):
    """The customer's own texts: feedback comments, values answers and their turns in conversations."""
    fb = store.table("feedback")
    fb = fb.filter(fb.comment.notnull()).select("customer_id", "timestamp", source_id="response_id",
                                                 source=ibis.literal("feedback"), text="comment")
    va = store.table("values_answers").select("customer_id", "timestamp", source_id="answer_id",
                                              source=ibis.literal("values_answers"), text="answer")
    turns, conv = store.table("turns"), store.table("conversations")
    tu = turns.filter(turns.speaker == "customer").join(conv.select("conversation_id", "customer_id"),
                                                         "conversation_id")
    tu = tu.select("customer_id", "timestamp", source_id="turn_id", source=ibis.literal("turns"), text="text")
    return fb.union(va).union(tu).filter(ibis._.customer_id.notnull())


def scored_texts_table(store: Store, live: pd.DataFrame | None = None):
    """Scored texts (``timestamp, source, sentiment, emotion, aspects`` as a JSON list) per customer: the run's
    scores, and ``live`` ones (texts scored on ingest, :data:`LIVE_COLUMNS`) a run has not scored yet."""
    texts = _texts(store).drop("text")
    if store.has_result(TEXT_SCORES):
        scores = store.result(TEXT_SCORES).select("source_table", "source_id", "sentiment_score", "emotion",
                                                  aspects_json=ibis._.aspects.cast("string"))
        joined = texts.join(scores, [texts.source_id == scores.source_id, texts.source == scores.source_table])
        scored = joined.select("customer_id", "timestamp", "source", sentiment="sentiment_score", emotion="emotion",
                               aspects=joined.aspects_json)
    else:
        scored = None
    if live is not None and len(live):
        frame = live[list(LIVE_COLUMNS)].drop(columns="source_id").astype({"sentiment": "float64"})
        fresh = ibis.memtable(frame).cast({"timestamp": texts.timestamp.type(), "customer_id": "string",
                                           "source": "string", "emotion": "string", "aspects": "string"})
        scored = fresh if scored is None else scored.union(fresh)
    if scored is None:
        return texts.select("customer_id", "timestamp", "source").limit(0).mutate(
            sentiment=ibis.null("float64"), emotion=ibis.null("string"), aspects=ibis.null("string"))
    return scored
