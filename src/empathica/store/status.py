"""What the store holds: row counts, date ranges and quarantine counts by reason."""

from __future__ import annotations

from typing import Any

from empathica.schema import TABLES
from empathica.store.database import QUARANTINE, Store


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
    return {"location": store.location, "tables": tables, "quarantine": quarantine}
