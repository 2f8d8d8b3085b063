"""What the store holds: row counts, date ranges, quarantine counts by reason, the files read, and
what an ingestion running right now is doing (DuckDB lets no other process open a file being written,
so a running ``listen`` describes itself in a small JSON file beside the store)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from empathica.schema import TABLES
from empathica.store.database import INGESTING, INGESTIONS, QUARANTINE, Store

#: Beside ``cx.duckdb``, a running ingestion writes ``cx.duckdb.listen.json``.
ACTIVITY_SUFFIX = ".listen.json"


@contextmanager
def activity(location: str, *, files: list[str]) -> Iterator[Callable[..., None]]:
    """Describe a running ingestion beside the store at ``location`` until the block ends; yields a
    function that records the file being read now (``now(file=..., table=...)``)."""
    if location == ":memory:":
        yield lambda **_: None
        return
    path = Path(location + ACTIVITY_SUFFIX)
    info: dict[str, Any] = {"pid": os.getpid(), "started": datetime.now(UTC).isoformat(timespec="seconds"),
                            "files": files, "file": None, "table": None}

    def now(**fields: Any) -> None:
        info.update(fields, since=datetime.now(UTC).isoformat(timespec="seconds"))
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a file

    try:
        now()
        yield now
    finally:
        path.unlink(missing_ok=True)


def running_activity(location: str) -> dict[str, Any] | None:
    """What a running ingestion into the store at ``location`` is doing, or None (none, or its process died)."""
    path = Path(location + ACTIVITY_SUFFIX)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)  # signal 0: only asks whether the process exists
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def store_status(store: Store) -> dict[str, Any]:
    """Row count and date range of every canonical table, and quarantined rows by table and reason."""
    tables = []
    for name, t in TABLES.items():
        expr = store.table(name)
        row: dict[str, Any] = {"table": name, "rows": int(expr.count().execute()), "from": None, "to": None}
        if t.time_column and row["rows"]:
            col = expr[t.time_column]
            lo, hi = expr.aggregate(lo=col.min(), hi=col.max()).execute().iloc[0]
            row["from"] = None if lo is None else str(lo)
            row["to"] = None if hi is None else str(hi)
        tables.append(row)
    q = store.table(QUARANTINE)
    grouped = (
        q.group_by(["table_name", "reason"]).aggregate(rows=q.count()).order_by([q.table_name, "reason"]).execute()
        if int(q.count().execute())
        else None
    )
    quarantine = [] if grouped is None else [
        {"table": r.table_name, "reason": r.reason, "rows": int(r.rows)} for r in grouped.itertuples()
    ]
    if "redacted" not in store.table(INGESTIONS).columns:  # a store from before the column
        store.raw_sql(f"ALTER TABLE {INGESTIONS} ADD COLUMN IF NOT EXISTS redacted BOOLEAN")
    files = store.table(INGESTIONS)
    latest = files.order_by(files.ingested_at.desc()).limit(20).execute()
    ingestions = [
        {"file": r.source_file, "table": r.table_name, "read": int(r.rows_read), "stored": int(r.rows_stored),
         "already_stored": int(r.rows_already_stored), "quarantined": int(r.rows_quarantined),
         "at": str(r.ingested_at), "redacted": None if r.redacted is None or r.redacted != r.redacted else bool(r.redacted)}
        for r in latest.itertuples()
    ]
    interrupted = ([r.source_file for r in store.table(INGESTING).execute().itertuples()]
                   if store.has_table(INGESTING) else [])
    return {"location": store.location, "tables": tables, "quarantine": quarantine, "ingestions": ingestions,
            "interrupted": interrupted, "redact_pii": store.settings.redact_pii,
            "unredacted_files": sorted({r["file"] for r in ingestions if r["redacted"] is False})}
