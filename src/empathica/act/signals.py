"""Signals rules are evaluated on, as Ibis expressions over the store: one row per conversation or feedback
answer with everything known about it and its customer, or the rows of any declared result.

Every signal has ``signal_id`` (stable: the same row always gives the same id, which is what makes evaluation
idempotent), ``customer_id``, ``timestamp``, ``touchpoint`` and ``team`` (the touchpoint's owner) where known.
Fields from analyses (sentiment, distress, churn risk ...) are empty until a run has computed them.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from empathica.act.customer_turns import conversation_emotions, conversation_pain_points, turn_emotions
from empathica.act.live import LIVE_CONVERSATION_COLUMNS, Fresh, customer_ids
from empathica.act.rules import SIGNAL_KINDS, Condition, Rule, RuleError
from empathica.schema.results import (EMPATHY_CONVERSATIONS, RESULTS, TEXT_SCORES, VALUE_CHURN_SCORES, VALUE_CLV,
                                      result as declared_result)
from empathica.store import Store

#: Days back that count towards ``repeat_contacts`` (contacts of the same customer up to this one).
REPEAT_DAYS = 30

_COMMON = {"signal_id", "kind", "customer_id", "timestamp", "touchpoint", "team", "channel", "language", "segment",
           "region", "churn_risk", "clv", "repeat_contacts"}
FIELDS = {
    "conversation": _COMMON | {"conversation_id", "outcome", "agent_id", "distress", "empathy_gap", "agent_empathy",
                               "sentiment", "sentiment_change", "emotion", "pain_points"},
    "feedback": _COMMON | {"response_id", "nps", "csat", "ces", "sentiment", "sentiment_label", "emotion",
                           "pain_points", "comment"},
}


def signal_fields(on: str) -> set[str] | None:
    """The fields a rule ``on`` signals may test (None: ``on`` is neither a signal kind nor a declared result)."""
    if on in FIELDS:
        return FIELDS[on]
    if on in RESULTS:
        return set(RESULTS[on].column_names) | {"signal_id"}
    return None


def signals(store: Store, on: str, *, key: tuple[str, ...] = (), new: Fresh | None = None) -> ir.Table:
    """The signals of kind ``on`` (``conversation``, ``feedback``, or a declared result) as one Ibis table; with
    ``new``, only the rows that arrived (:mod:`empathica.act.live`), their texts and conversations scored at once."""
    if on == "conversation":
        return _conversations(store, new)
    if on == "feedback":
        return _feedback(store, new)
    declared = declared_result(on)
    rows = store.result(declared)
    columns = list(key) or [c for c, kind in declared.columns if kind == "string"][:2] or [declared.columns[0][0]]
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise RuleError(f"result {on} has no column {missing[0]!r}; its key must name columns of {', '.join(rows.columns)}.")
    parts = [ibis.literal(f"{on}:")]
    for n, c in enumerate(columns):
        parts += ([ibis.literal(">")] if n else []) + [rows[c].cast("string").fill_null("")]
    signal_id = parts[0]
    for part in parts[1:]:
        signal_id = signal_id.concat(part)
    return rows.mutate(signal_id=signal_id, kind=ibis.literal(on))


def _customer_facts(store: Store, only: ir.Column | list[str] | None = None) -> ir.Table:
    """Each customer's language, segment, region, churn risk and CLV (of ``only`` these customers)."""
    def mine(table: ir.Table) -> ir.Table:
        return table if only is None else table.filter(table.customer_id.isin(only))

    customers = mine(store.table("customers")).select("customer_id", "language", "segment", "region")
    if store.has_result(VALUE_CHURN_SCORES):
        churn = mine(store.result(VALUE_CHURN_SCORES)).select("customer_id", churn_risk="p_churn")
        customers = customers.left_join(churn, "customer_id").drop("customer_id_right")
    else:
        customers = customers.mutate(churn_risk=ibis.null("float64"))
    if store.has_result(VALUE_CLV):
        clv = mine(store.result(VALUE_CLV)).select("customer_id", "clv")
        customers = customers.left_join(clv, "customer_id").drop("customer_id_right")
    else:
        customers = customers.mutate(clv=ibis.null("float64"))
    return customers


def _owners(store: Store) -> ir.Table:
    tp = store.table("touchpoints")
    return tp.select(touchpoint="touchpoint_id", team="owner_team_id", tp_channel="channel")


def _repeat_contacts(store: Store, only: ir.Column | list[str] | None = None) -> ir.Table:
    """Per conversation: the customer's contacts in the REPEAT_DAYS up to and including it."""
    conv = store.table("conversations").select("conversation_id", "customer_id", "started_at")
    if only is not None:
        conv = conv.filter(conv.customer_id.isin(only))
    other = conv.select(o_customer="customer_id", o_started="started_at")
    joined = conv.join(other, [conv.customer_id == other.o_customer, other.o_started <= conv.started_at,
                               other.o_started > conv.started_at - ibis.interval(days=REPEAT_DAYS)])
    return joined.group_by("conversation_id").aggregate(repeat_contacts=ibis._.count())


def _conversations(store: Store, new: Fresh | None = None) -> ir.Table:
    conv = store.table("conversations")
    only = ids = None
    if new is not None:  # the new conversations, and those new turns belong to
        ids = sorted(set(new.keys("conversations")) | set(new.conversations["conversation_id"]))
        conv = conv.filter(conv.conversation_id.isin(ids))
        only = customer_ids(new.arrived.customers)
    base = conv.select("conversation_id", "customer_id", "outcome", timestamp="started_at",
                       touchpoint="touchpoint_id", conv_channel="channel")
    base = base.left_join(_owners(store), "touchpoint").drop("touchpoint_right")
    base = base.left_join(_customer_facts(store, only), "customer_id").drop("customer_id_right")
    base = base.left_join(_repeat_contacts(store, only), "conversation_id").drop("conversation_id_right")
    base = _with_emotion(store, base, new, ids)
    verdicts = _empathy_verdicts(store, new)
    if verdicts is not None:
        emp = verdicts.select(
            "conversation_id", "agent_id", distress="max_distress", empathy_gap=ibis._.empathy_gaps > 0,
            agent_empathy="agent_empathy", sentiment="customer_sentiment_last",
            sentiment_change="customer_sentiment_change", conv_language="language")
        base = base.left_join(emp, "conversation_id").drop("conversation_id_right")
        base = base.mutate(language=base.conv_language.fill_null(base.language)).drop("conv_language")
    else:
        base = base.mutate(agent_id=ibis.null("string"), distress=ibis.null("float64"), empathy_gap=ibis.null("boolean"),
                           agent_empathy=ibis.null("float64"), sentiment=ibis.null("float64"),
                           sentiment_change=ibis.null("float64"))
    return base.mutate(signal_id=ibis.literal("conversation:").concat(base.conversation_id), kind=ibis.literal("conversation"),
                       channel=base.conv_channel.fill_null(base.tp_channel),
                       repeat_contacts=base.repeat_contacts.fill_null(1)).drop("conv_channel", "tp_channel")


def _with_emotion(store: Store, base: ir.Table, new: Fresh | None, ids: list[str] | None) -> ir.Table:
    """``base`` (conversations) with the customer's ``emotion`` and ``pain_points``
    (:mod:`empathica.act.customer_turns`): from a run's scores, or for new rows from every customer turn of their
    conversations scored on ingest."""
    if new is not None and not ids:  # no new conversation: nothing to score (and no scan of the run's scores)
        return base.mutate(emotion=ibis.null("string"), pain_points=ibis.null("string"))
    # new rows: every customer turn of their conversations was scored on ingest, so the run's scores are not read
    scores = turn_emotions(store, new.turn_scores if new is not None else None, stored=new is None)
    for found in (conversation_emotions(store, scores, conversations=ids),
                  conversation_pain_points(store, scores, conversations=ids)):
        if found is None:
            return base.mutate(emotion=ibis.null("string"), pain_points=ibis.null("string"))
        found = found.rename(_conversation="conversation_id")
        base = base.left_join(found, base.conversation_id == found._conversation).drop("_conversation")
    return base


def _empathy_verdicts(store: Store, new: Fresh | None) -> ir.Table | None:
    """The empathy step's conversations; with ``new``, the verdicts scored on ingest replace the run's for the
    conversations they cover (a conversation that got new turns is judged on all of them)."""
    stored = store.result(EMPATHY_CONVERSATIONS) if store.has_result(EMPATHY_CONVERSATIONS) else None
    if new is None or not len(new.conversations):
        return stored
    live = ibis.memtable(new.conversations.astype({"max_distress": "float64", "agent_empathy": "float64",
                                                   "customer_sentiment_last": "float64",
                                                   "customer_sentiment_change": "float64",
                                                   "empathy_gaps": "int64"}))
    if stored is None:
        return live
    columns = list(LIVE_CONVERSATION_COLUMNS)
    kept = stored.filter(~stored.conversation_id.isin(new.conversations["conversation_id"].tolist()))
    return kept.select(*columns).union(live.select(*columns).cast(kept.select(*columns).schema()))


def _feedback(store: Store, new: Fresh | None = None) -> ir.Table:
    fb = store.table("feedback")
    only = None
    if new is not None:
        fb = fb.filter(fb.response_id.isin(new.keys("feedback")))
        only = customer_ids(new.arrived.customers)  # every customer new rows reach (more than these rows' own)
    base = fb.select("response_id", "customer_id", "timestamp", "nps", "csat", "ces", "comment",
                     touchpoint="touchpoint_id", fb_language="language")
    base = base.left_join(_owners(store), "touchpoint").drop("touchpoint_right")
    base = base.left_join(_customer_facts(store, only), "customer_id").drop("customer_id_right")
    conv = store.table("conversations")
    if only is not None:
        conv = conv.filter(conv.customer_id.isin(only))
    contacts = conv.group_by("customer_id").aggregate(contacts=ibis._.count())
    base = base.left_join(contacts, "customer_id").drop("customer_id_right")
    scores = _feedback_scores(store, new)
    if scores is not None:
        base = base.left_join(scores, base.response_id == scores.score_id).drop("score_id")
    else:
        base = base.mutate(sentiment=ibis.null("float64"), sentiment_label=ibis.null("string"),
                           emotion=ibis.null("string"), pain_points=ibis.null("string"), text_lang=ibis.null("string"))
    return base.mutate(signal_id=ibis.literal("feedback:").concat(base.response_id), kind=ibis.literal("feedback"),
                       language=base.fb_language.fill_null(base.text_lang).fill_null(base.language),
                       channel=base.tp_channel, repeat_contacts=base.contacts.fill_null(0)
                       ).drop("fb_language", "text_lang", "tp_channel", "contacts")


def _feedback_scores(store: Store, new: Fresh | None) -> ir.Table | None:
    """Feedback comments' scores: the run's, and with ``new`` those scored on ingest (no run has scored them)."""
    parts = []
    if new is None and store.has_result(TEXT_SCORES):  # new rows: no run has scored them (their live scores below)
        scores = store.result(TEXT_SCORES)
        scores = scores.filter(scores.source_table == "feedback")
        parts.append(scores.select(score_id="source_id", sentiment=scores.sentiment_score.cast("float64"),
                                   sentiment_label="sentiment", emotion="emotion",
                                   pain_points=scores.aspects.cast("string"), text_lang="lang"))
    live = new.texts[new.texts["source"] == "feedback"] if new is not None else ()
    if len(live):
        frame = pd.DataFrame({"score_id": live["source_id"].astype(str), "sentiment": live["sentiment"].astype(float),
                              "sentiment_label": live["sentiment_label"], "emotion": live["emotion"],
                              "pain_points": live["aspects"], "text_lang": live["lang"]})
        parts.append(ibis.memtable(frame).cast({"score_id": "string", "sentiment_label": "string", "emotion": "string",
                                                "pain_points": "string", "text_lang": "string"}))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0].union(parts[1].cast(parts[0].schema()))


def predicate(table: ir.Table, condition: Condition) -> ir.BooleanValue:
    """``condition`` as an Ibis predicate on ``table`` (a missing value never matches)."""
    column = table[condition.field]
    value, op = condition.value, condition.op
    if op == "==":
        return column == value
    if op == "!=":
        return column != value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == "in":
        return column.isin(value)
    if op == "not in":
        return ~column.isin(value)
    return column.cast("string").contains(str(value))  # contains


def matching(store: Store, rule: Rule, *, since=None, until=None, new: Fresh | None = None) -> ir.Table:
    """The signals ``rule`` matches (within its window before ``until``, and after ``since`` when given); with
    ``new``, among the rows that arrived only."""
    if rule.on not in SIGNAL_KINDS and rule.on not in RESULTS:
        raise RuleError(f"rule {rule.rule_id}: on = {rule.on!r} is neither a signal nor a declared result.")
    table = everything = signals(store, rule.on, key=rule.key, new=new)
    if new is not None and rule.window is not None and until is None:  # the window ends at the latest of all rows
        until = _latest(store, rule.on)
    for condition in rule.conditions:
        if condition.field not in table.columns:
            raise RuleError(f"rule {rule.rule_id}: field {condition.field!r} is not a field of {rule.on} signals.")
        table = table.filter(predicate(table, condition))
    if "timestamp" in table.columns:
        if since is not None:
            table = table.filter(table.timestamp >= since)
        if rule.window is not None:
            end = until if until is not None else everything.timestamp.max()  # the latest signal, matching or not
            table = table.filter(table.timestamp > end - ibis.interval(seconds=int(rule.window.total_seconds())))
        if until is not None:
            table = table.filter(table.timestamp <= until)
    return table


def _latest(store: Store, on: str):
    """The time of the latest signal of kind ``on`` in the store (a rule's window counts back from it)."""
    if on == "conversation":
        return store.table("conversations").started_at.max()
    return store.table("feedback").timestamp.max()
