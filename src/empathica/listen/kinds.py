"""Which canonical table a file holds, and which of its columns feed which canonical column."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from empathica.errors import InputError
from empathica.listen.mapping import TableMapping
from empathica.schema import TABLES, Table

__all__ = ["COLUMN_ALIASES", "detect_kind", "normalise", "resolve_columns"]

#: Other names users give canonical columns (compared after :func:`normalise`).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "customerid", "client_id", "clientid", "user_id", "userid", "account_id", "kunde", "kunden_id", "kundennummer"),
    "touchpoint_id": ("touchpoint", "activity", "activity_id", "concept_name", "step", "event_name"),
    "timestamp": ("time", "time_timestamp", "datetime", "date", "created_at", "event_time", "ts", "zeit", "datum"),
    "journey_id": ("case_id", "caseid", "case", "session_id", "trace_id", "journey"),
    "event_id": ("eventid",),
    "employee_id": ("employee", "agent", "staff_id", "mitarbeiter_id"),
    "team_id": ("team",),
    "conversation_id": ("conversation", "chat_id", "ticket_id", "thread_id", "dialog_id", "dialogue_id"),
    "turn_index": ("turn", "turn_no", "position", "seq", "sequence", "message_index"),
    "speaker": ("role", "author_role", "sender", "speaker_role"),
    "text": ("message", "utterance", "body", "content", "review_text", "review"),
    "agent_id": ("agent",),
    "response_id": ("responseid", "survey_id", "answer_id"),
    "nps": ("nps_score", "likelihood_to_recommend", "recommend"),
    "csat": ("csat_score", "satisfaction"),
    "ces": ("ces_score", "effort"),
    "comment": ("comments", "verbatim", "feedback", "kommentar", "free_text"),
    "review_id": ("reviewid",),
    "rating": ("stars", "score", "star_rating"),
    "transaction_id": ("order_id", "orderid", "invoice_id", "invoice", "transactionid"),
    "amount": ("total", "value", "revenue", "price", "betrag", "sales"),
    "first_seen": ("signup_date", "created", "registered_at", "customer_since"),
    "enps": ("enps_score",),
    "engagement": ("engagement_score", "engagement_index"),
    "answer_id": ("answerid",),
    # learn: experiments (A/B tests)
    "experiment_id": ("experiment", "experiment_name", "test_id"),
    "arm": ("variant", "treatment_group", "bucket"),
    "assigned_at": ("assignment_time", "assigned", "exposed_at", "enrolled_at"),
}

#: Key columns Listen derives from the row when a file lacks them.
DERIVABLE_KEYS = frozenset({"event_id", "turn_id", "transaction_id", "assignment_id"})


def normalise(name: str) -> str:
    """Lower case, with every run of other characters than letters and digits turned into ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def resolve_columns(t: Table, source_columns: Sequence[str], mapping: TableMapping | None = None) -> dict[str, str]:
    """canonical column → source column, from the mapping first, then exact names, then aliases."""
    found: dict[str, str] = {}
    used: set[str] = set()
    for src, target in (mapping.columns.items() if mapping else ()):
        if src in source_columns:
            found[target] = src
            used.add(src)
    by_norm: dict[str, str] = {}
    for src in source_columns:
        if src not in used:
            by_norm.setdefault(normalise(src), src)
    for col in t.column_names:  # exact (normalised) names before aliases, so 'customer_id' beats 'customer'
        if col not in found and col in by_norm:
            found[col] = by_norm.pop(col)
    for col in t.column_names:
        if col in found:
            continue
        for alias in COLUMN_ALIASES.get(col, ()):
            if alias in by_norm:
                found[col] = by_norm.pop(alias)
                break
    return found


def _missing_required(t: Table, present: set[str]) -> list[str]:
    return [c for c in t.required if c not in present and c not in DERIVABLE_KEYS]


def detect_kind(source_columns: Sequence[str], *, path: str | Path = "", mappings: dict[str, TableMapping] | None = None) -> str:
    """The canonical table whose columns best match ``source_columns``.

    Every table whose required columns are all present (by name, alias or mapping; derivable ids
    may be absent) is a candidate, scored by how many of its columns are present. A tie is broken by
    the file name (``customers.csv`` holds customers); a tie that stays raises InputError asking for
    ``--kind``.
    """
    mappings = mappings or {}
    scores: list[tuple[int, str]] = []
    for name, t in TABLES.items():
        m = mappings.get(name)
        present = set(resolve_columns(t, source_columns, m)) | set(m.constants if m else ())
        if _missing_required(t, present):
            continue
        scores.append((len(present), name))
    label = str(path) or "the file"
    if not scores:
        raise InputError(
            f"{label}: cannot tell which table its columns ({', '.join(source_columns)}) belong to; "
            "name the table with --kind (e.g. --kind events) and map your column names with --mapping."
        )
    scores.sort(reverse=True)
    best = scores[0][0]
    tied = [name for score, name in scores if score == best]
    if len(tied) == 1:
        return tied[0]
    stem = normalise(Path(str(path)).name.split(".")[0]) if path else ""
    for name in tied:
        if stem and (stem == name or stem in TABLES[name].aliases):
            return name
    raise InputError(
        f"{label}: its columns fit the tables {', '.join(sorted(tied))} equally well; "
        f"say which with --kind (one of {', '.join(sorted(tied))})."
    )
