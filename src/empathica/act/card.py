"""The agent's context card: who is calling and how they feel, served from an in-memory snapshot of the store that
each run and ingest refreshes (:meth:`CardSnapshot.build`), so a card costs an index look-up and slices of
columnar tables, not a query of the analytics store.

A card holds the journey so far, the sentiment trend and last emotion, pain points, what the customer values
(their values answers), churn risk and CLV with reasons, the empathy they last received, open cases (read live
from the operational store), and a suggested opener: a *real* agent reply, the most empathic one given in the
customer's language to a customer in a similar situation (same pain point and emotion where possible), with
the reason it was chosen. Openers agents rejected more often than they used are not suggested again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from collections.abc import Sequence
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from empathica.act.customer_turns import NEUTRAL
from empathica.act.card_facts import (JOURNEY_EVENTS, SENTIMENT_POINTS, VALUES_ANSWERS, customer_facts, journey_table,
                                      latest_rows, numbered_customers, opener_facts, scored_texts_table, values_table)
from empathica.act.live import customer_ids
from empathica.schema.results import EMPATHY_TURNS, TEXT_SCORES
from empathica.store import Store
from empathica.understand.churn import reason_findings

#: A reply is a candidate opener when its empathy is at least this (0–1) and it answered a distressed or
#: negative customer turn.
OPENER_MIN_EMPATHY = 0.7
#: Message ids of the opener's reason by what the reply's customer shared with this one (report catalogues).
OPENER_REASONS = {"pain_emotion": "act.opener.reason.pain_emotion", "pain": "act.opener.reason.pain",
                  "emotion": "act.opener.reason.emotion", "language": "act.opener.reason.language",
                  "pain_conversation_emotion": "act.opener.reason.pain_conversation_emotion",
                  "conversation_emotion": "act.opener.reason.conversation_emotion"}


@dataclass(frozen=True)
class CustomerRows:
    """One per-customer list (journey, texts, values answers) as one columnar table in customer order: the
    customer at position ``i`` owns rows ``offsets[i]:offsets[i + 1]``."""

    table: pa.Table
    offsets: np.ndarray

    @classmethod
    def from_ordered(cls, table: pa.Table, customers: int) -> "CustomerRows":
        """From a table ordered by ``pos`` (the customer's position) with that column."""
        pos = table.column("pos").to_numpy()
        offsets = np.searchsorted(pos, np.arange(customers + 1)).astype(np.int64)
        return cls(compact(table.drop_columns(["pos"])), offsets)

    def rows(self, i: int) -> list[dict]:
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        if start == end:
            return []
        rows = self.table.slice(start, end - start).to_pylist()
        for row in rows:
            stamp = row.get("timestamp")
            row["timestamp"] = stamp.isoformat() if stamp is not None else None
        return rows

    @property
    def nbytes(self) -> int:
        return self.table.nbytes + self.offsets.nbytes


def compact(table: pa.Table) -> pa.Table:
    """``table`` in one chunk, its repetitive text columns (touchpoints, channels, emotions …) dictionary-encoded:
    a million customers' lists take a fraction of the memory, and a slice is found without a chunk search."""
    table = table.combine_chunks()
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            distinct = pc.count_distinct(column).as_py()
            if distinct <= max(256, len(column) // 10):
                column = column.dictionary_encode()
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class CustomerIndex:
    """Customer id → position, by binary search over the ids in snapshot order (DuckDB sorts text by its bytes,
    which is Python's order of strings): nothing to build, so a snapshot mapped from files is ready at once."""

    def __init__(self, ids: pa.Array) -> None:
        self.ids = ids.dictionary_decode() if pa.types.is_dictionary(ids.type) else ids

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self):
        return iter(self.ids.to_pylist())

    def position(self, customer_id: str) -> int | None:
        ids, lo, hi = self.ids, 0, len(self.ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if ids[mid].as_py() < customer_id:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(ids) and ids[lo].as_py() == customer_id else None

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes


#: The parts of a snapshot, each one query: facts, three per-customer lists, and the candidate openers.
_LISTS = {"journey": JOURNEY_EVENTS, "texts": SENTIMENT_POINTS, "values": VALUES_ANSWERS}


def snapshot_queries(store: Store, *, live: pd.DataFrame | None = None, only: Sequence[str] | None = None,
                     with_openers: bool = True) -> dict:
    """The Ibis expressions of every part of a snapshot (for ``only`` these customers)."""
    only = customer_ids(only) if only is not None else None
    numbered = numbered_customers(store, only)
    tables = {"journey": journey_table(store), "texts": scored_texts_table(store, live), "values": values_table(store)}
    queries = {"facts": customer_facts(store, numbered, only, live),
               **{name: latest_rows(numbered, tables[name], _LISTS[name], only) for name in _LISTS}}
    candidates = opener_candidates(store) if with_openers else None
    if candidates is not None:
        queries["openers"] = candidates
    return queries


@dataclass(frozen=True)
class CardSnapshot:
    """Every customer's card facts, built at once from the store in a columnar layout (Arrow tables in customer
    order, ids sorted for a binary search). Immutable: a refresh builds a new one and the server swaps the
    reference, so a reader never waits and never sees half a refresh. ``patches`` hold snapshots of a few
    customers rebuilt after an ingest (the overlay), which take precedence over the bulk tables."""

    built_at: datetime
    index: CustomerIndex
    facts: pa.Table
    journey: CustomerRows
    texts: CustomerRows
    values: CustomerRows
    openers: dict[tuple, dict] = field(default_factory=dict)
    patches: dict[str, "CardSnapshot"] = field(default_factory=dict)

    @classmethod
    def build(cls, store: Store, *, rejected: set[str] = frozenset(), live: pd.DataFrame | None = None,
              only: Sequence[str] | None = None, openers: dict[tuple, dict] | None = None) -> "CardSnapshot":
        """Read every fact a card needs from ``store`` in this process (for ``only`` these customers); ``rejected``:
        openers agents turned down; ``live``: texts scored on ingest that no run has scored yet."""
        built_at = datetime.now(UTC)
        queries = snapshot_queries(store, live=live, only=only, with_openers=openers is None)
        parts = {name: query.to_pyarrow() for name, query in queries.items()}
        return assemble(parts, built_at=built_at, rejected=rejected, openers=openers)

    @classmethod
    def build_apart(cls, store: Store, folder: Path, *, rejected: set[str] = frozenset(), nice: int = 19,
                    one_thread: bool = True) -> "CardSnapshot":
        """A full snapshot built beside the serving interpreter: DuckDB writes each part's rows to Parquet in
        ``folder`` (no Python objects; with ``one_thread`` in the calling thread only, so a core stays free for
        requests), a child process at low priority (``nice``) assembles them into Arrow IPC files, and this
        process maps those files (:func:`empathica.act.card_build.load`)."""
        from empathica.act.card_build import build_in_child, load

        built_at = datetime.now(UTC)
        folder.mkdir(parents=True, exist_ok=True)
        threads = int(store.query("SELECT current_setting('threads') AS n")["n"].iloc[0])
        if one_thread:
            store.raw_sql("SET threads = 1")
        try:
            for name, query in snapshot_queries(store).items():
                query.to_parquet(folder / f"{name}.parquet")
        finally:
            if one_thread:
                store.raw_sql(f"SET threads = {threads}")
        build_in_child(folder, built_at=built_at, rejected=rejected, nice=nice)
        return load(folder)

    def patched(self, part: "CardSnapshot") -> "CardSnapshot":
        """A new snapshot in which the customers of ``part`` (rebuilt after an ingest) replace their old facts."""
        patches = {**self.patches, **{customer_id: part for customer_id in part.index}}
        return replace(self, patches=patches)

    @property
    def customers(self) -> int:
        return len(self.index)

    def nbytes(self) -> int:
        """Bytes the snapshot holds (Arrow buffers, offsets and the id index)."""
        own = (self.facts.nbytes + self.journey.nbytes + self.texts.nbytes + self.values.nbytes
               + self.index.nbytes)
        return own + sum(p.nbytes() for p in {id(p): p for p in self.patches.values()}.values())

    def card(self, customer_id: str, *, open_cases: list[dict] | None = None) -> dict | None:
        """The card of ``customer_id`` (None: no such customer in the snapshot)."""
        patch = self.patches.get(customer_id)
        if patch is not None and patch is not self:
            return patch.card(customer_id, open_cases=open_cases)
        i = self.index.position(customer_id)
        if i is None:
            return None
        fact = self.facts.slice(i, 1).to_pylist()[0]
        texts = self.texts.rows(i)
        scores, emotions, pains = _felt(texts)
        return {
            "customer_id": customer_id, "language": fact["language"], "segment": fact["segment"],
            "region": fact["region"],
            "journey": self.journey.rows(i),
            "open_cases": open_cases or [],
            "sentiment": {"points": texts, "trend": _trend(scores), "last": scores[-1] if scores else None,
                          "last_emotion": emotions[-1] if emotions else (texts[-1]["emotion"] if texts else None)},
            "pain_points": pains,
            "values": self.values.rows(i),
            **_value(fact),
            "last_empathy": _last_empathy(fact),
            "last_conversation": _last_conversation(fact),
            "opener": suggested_opener(self.openers, fact, emotions, pains),
            "snapshot_at": self.built_at.isoformat(),
        }


def _felt(texts: list[dict]) -> tuple[list[float], list[str], list[str]]:
    """The sentiment scores, the emotions shown (not neutral) and the pain points (aspects of negative texts) of a
    customer's latest scored texts, oldest first (their ``aspects`` parsed in place)."""
    for point in texts:
        point["aspects"] = _aspects(point["aspects"])
    scores = [t["sentiment"] for t in texts if t["sentiment"] is not None]
    emotions = [t["emotion"] for t in texts if t.get("emotion") and t["emotion"] != NEUTRAL]
    pains = list(dict.fromkeys(a for t in texts if (t["sentiment"] or 0) < 0 for a in t["aspects"]))
    return scores, emotions, pains


def suggested_opener(openers: dict[tuple, dict], fact: dict, emotions: list[str], pains: list[str]) -> dict | None:
    """The best real reply (of ``openers``, :func:`best_openers`) to a customer most like this one: same language,
    then pain point and emotion — the emotion of their latest conversation, else of their texts
    (:func:`_opener_emotion`). Its reason is a finding (``reason_id`` and ``reason_values``), rendered by the API in
    the reader's language. The card's and a case's opener (:func:`case_openers`)."""
    language = fact["language"]
    emotion, emotion_from = _opener_emotion(fact, emotions)
    pain = (pains or [None])[0]
    attempts = []
    if pain and emotion:
        attempts.append((language, pain, emotion))
    if pain:
        attempts.append((language, pain, None))
    if emotion:
        attempts.append((language, None, emotion))
    attempts.append((language, None, None))
    for key in attempts:
        best = openers.get(key)
        if best is not None:
            alike = "pain_emotion" if key[1] and key[2] else "pain" if key[1] else "emotion" if key[2] else "language"
            if key[2] and emotion_from == "conversation":
                alike = alike.replace("emotion", "conversation_emotion")
            return {**best, "reason_id": OPENER_REASONS[alike],
                    "reason_values": {"empathy": best["empathy"], "agent_id": best["agent_id"],
                                      "language": language, "same_pain_point": key[1], "same_emotion": key[2],
                                      "emotion_from": emotion_from if key[2] else None}}
    return None


def case_openers(store: Store, customers: Sequence[str], *, live: pd.DataFrame | None = None,
                 openers: dict[tuple, dict] | None = None, rejected: set[str] = frozenset()) -> dict[str, dict | None]:
    """Each of ``customers``' suggested opener — the one their card gives (:func:`suggested_opener`) — for the cases
    opened for them: their facts and latest scored texts read for them only (``live``: texts scored on ingest);
    ``openers``: the candidates (the server's snapshot's), else read from the store without the ``rejected``."""
    only = sorted(set(customers))
    if not only:
        return {}
    numbered = numbered_customers(store, only)
    facts = opener_facts(store, numbered, only, live).to_pyarrow()
    texts = CustomerRows.from_ordered(
        latest_rows(numbered, scored_texts_table(store, live), SENTIMENT_POINTS, only).to_pyarrow(), facts.num_rows)
    if openers is None:
        candidates = opener_candidates(store)
        openers = best_openers(candidates.to_pyarrow() if candidates is not None else None, rejected)
    found = {}
    for i, fact in enumerate(facts.to_pylist()):
        _, emotions, pains = _felt(texts.rows(i))
        found[fact["customer_id"]] = suggested_opener(openers, fact, emotions, pains)
    return found


def rejected_openers(feedback: list[dict]) -> set[str]:
    """Openers agents rejected more often than they used or edited them (``feedback``: the stored verdicts)."""
    balance: dict[str, int] = {}
    for item in feedback:
        balance[item["opener_id"]] = balance.get(item["opener_id"], 0) + (1 if item["verdict"] == "rejected" else -1)
    return {opener for opener, score in balance.items() if score > 0}


def _opener_emotion(fact: dict, text_emotions: list[str]) -> tuple[str | None, str | None]:
    """The emotion an opener answers, and where it comes from: the one the customer showed in their latest
    conversation (the ``emotion`` rules on conversations test), else the latest emotion of their texts."""
    shown = fact.get("conversation_emotion")
    if shown and shown != NEUTRAL:
        return shown, "conversation"
    return (text_emotions[-1], "texts") if text_emotions else (None, None)


def _value(fact: dict) -> dict:
    """Churn risk, CLV and detractor risk with their reasons, and the empathy received, from a facts row."""
    out: dict = {"churn": None, "clv": None, "detractor": None, "empathy_received": None}
    if fact["p_churn"] is not None:
        out["churn"] = {"p_churn": round(float(fact["p_churn"]), 4), "reasons": _reasons(fact["churn_reasons"]),
                        "reason_findings": reason_findings(fact["churn_reasons"])}
    if fact["clv"] is not None:
        out["clv"] = {"clv": round(float(fact["clv"]), 2), "p_alive": round(float(fact["p_alive"]), 4),
                      "segment": fact["clv_segment"],
                      "reasons": [f"p_alive={fact['p_alive']:.2f}",
                                  f"expected_purchases_52w={fact['expected_purchases']:.2f}",
                                  f"status={fact['clv_status']}"],
                      "reason_findings": _clv_findings(fact)}
    if fact["p_detractor"] is not None:
        out["detractor"] = {"p_detractor": round(float(fact["p_detractor"]), 4),
                            "reasons": _reasons(fact["detractor_reasons"]),
                            "reason_findings": reason_findings(fact["detractor_reasons"])}
    received = fact["empathy_received"]
    if received is not None and received == received:
        out["empathy_received"] = round(float(received), 4)
    return out


def _last_empathy(fact: dict) -> dict | None:
    if fact["last_empathy"] is None:
        return None
    at = fact["last_at"]
    return {"agent_id": fact["last_agent_id"], "at": at.isoformat() if at is not None else None,
            "empathy": round(float(fact["last_empathy"]), 4), "empathy_gap": bool(fact["last_empathy_gap"]),
            "reply": fact["last_reply"]}


def _clv_findings(fact: dict) -> list[dict]:
    """The CLV's reasons as findings (message id + values; the API renders them in the reader's language)."""
    status = str(fact["clv_status"] or "").replace(" ", "_")
    return [{"id": "clv.reason.p_alive", "values": {"p": float(fact["p_alive"])}},
            {"id": "clv.reason.expected_purchases", "values": {"n": float(fact["expected_purchases"]), "weeks": 52}},
            *([{"id": f"clv.reason.status.{status}", "values": {}}] if status in ("active", "already_lost") else [])]


def _last_conversation(fact: dict) -> dict | None:
    """The customer's latest conversation and their emotion in it (the ``emotion`` rules on conversations test)."""
    if fact["conversation_id"] is None:
        return None
    at = fact["conversation_at"]
    return {"conversation_id": fact["conversation_id"], "at": at.isoformat() if at is not None else None,
            "emotion": fact["conversation_emotion"]}


def _reasons(text: str | None) -> list:
    """A result's reasons as a list: ``"a; b"`` gives its parts, a JSON list (reasons as codes with values) its
    items as they are, so the card keeps its shape whichever form the value step stores."""
    text = (text or "").strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return items
    return [part.strip() for part in text.split(";") if part.strip()]


def opener_candidates(store: Store):
    """Real replies that may be suggested (empathy ≥ OPENER_MIN_EMPATHY, answering a distressed or negative
    customer turn), with the emotion and pain points of the turn they answered, most empathic first; None before
    the empathy step ran."""
    if not store.has_result(EMPATHY_TURNS):
        return None
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
    return joined.select("conversation_id", "turn_index", "agent_id", "language", "text", "empathy", "c_emotion",
                         "c_aspects").order_by([ibis.desc("empathy"), "conversation_id", "turn_index"])


def best_openers(candidates: pa.Table | None, rejected: set[str]) -> dict[tuple, dict]:
    """The best candidate per (language, pain point, emotion) of the customer turn it answered, and coarser keys."""
    best: dict[tuple, dict] = {}
    for r in (candidates.to_pylist() if candidates is not None else []):
        opener_id = f"{r['conversation_id']}#{r['turn_index']}"
        if opener_id in rejected:
            continue
        aspects = _aspects(r["c_aspects"])
        emotion = r["c_emotion"] if r["c_emotion"] and r["c_emotion"] != NEUTRAL else None
        entry = {"opener_id": opener_id, "text": r["text"], "agent_id": r["agent_id"], "language": r["language"],
                 "empathy": round(float(r["empathy"]), 4), "answered_emotion": emotion, "answered_pain_points": aspects}
        keys = {(r["language"], None, None), (r["language"], None, emotion)}
        for aspect in aspects:
            keys |= {(r["language"], aspect, None), (r["language"], aspect, emotion)}
        for key in keys:
            best.setdefault(key, entry)  # rows come most empathic first
    return best


def assemble(parts: dict[str, pa.Table], *, built_at: datetime, rejected: set[str] = frozenset(),
             openers: dict[tuple, dict] | None = None) -> CardSnapshot:
    """A snapshot from its parts' rows (:func:`snapshot_queries`, fetched or read back from files)."""
    facts = parts["facts"]
    n = facts.num_rows
    ids = facts.column("customer_id").combine_chunks()
    lists = {name: CustomerRows.from_ordered(parts[name], n) for name in _LISTS}
    return CardSnapshot(built_at=built_at, index=CustomerIndex(ids), facts=compact(facts.drop_columns(["customer_id", "pos"])),
                        **lists, openers=openers if openers is not None else best_openers(parts.get("openers"), rejected))


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
