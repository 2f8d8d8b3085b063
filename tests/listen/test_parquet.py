"""Parquet read by DuckDB in row-number slices: same rows, row numbers and quarantine as the Arrow path."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from empathica.listen import ingest_files
from empathica.listen import ingest as ingest_module
from empathica.listen.validation import BatchPlan

from .conftest import FIXTURES, quarantine, rows

_T = 1_712_000_000_000_000  # microseconds, 2024-04-01


def _events(tmp_path, name: str, ids: list[str], *, row_group_size: int = 3):
    """Events with every kind of failure spread over several slices (batch_rows=1 → slices of 5 rows)."""
    n = len(ids)
    customers = ["c1", "c9", "c2", "c1", "c2", "c3", "", "c3"] + ["c1"] * (n - 8)
    touchpoints = ["web_checkout", "call_centre", None, "call_centre", "order_confirmed", "web_checkout",
                   "web_checkout", "web_checkout"] + ["order_confirmed"] * (n - 8)
    stamps = [_T + i * 60_000_000 for i in range(n)]
    if n > 7:
        stamps[7] = None
    path = tmp_path / name
    pq.write_table(pa.table({
        "event_id": ids,
        "customer_id": customers[:n],
        "touchpoint_id": touchpoints[:n],
        "timestamp": pa.array(stamps, type=pa.timestamp("us", tz="UTC")),
        "tier": [f"t{i % 3}" for i in range(n)],  # not in the schema: goes into attributes
    }), path, row_group_size=row_group_size)
    return path


IDS = ["e1", "e2", "e3", "e4", "e5", "e1", "e6", "e7", "e8", "e9", "e10", "e11", "e8"]


def _second_store(tmp_path):
    from empathica.settings import Settings
    from empathica.store import Store

    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    store = Store.open(tmp_path / "arrow.duckdb", settings=settings)
    ingest_files(store, [FIXTURES / "customers.csv", FIXTURES / "touchpoints.csv"])
    return store


def _snapshot(store):
    return (
        rows(store, "SELECT event_id, customer_id, touchpoint_id, channel, CAST(timestamp AS VARCHAR), attributes "
                    "FROM events ORDER BY event_id"),
        rows(store, "SELECT line, field, reason, value, raw FROM quarantine ORDER BY line"),
    )


def test_sliced_parquet_quarantines_with_true_row_numbers(loaded, tmp_path):
    loaded.settings = replace(loaded.settings, batch_rows=1)  # slices of 5 rows, row groups of 3
    [r] = ingest_files(loaded, [_events(tmp_path, "ev.parquet", IDS)])
    assert (r.rows_read, r.rows_stored, r.rows_already_stored, r.rows_quarantined) == (13, 7, 0, 6)
    assert quarantine(loaded) == [
        (2, "customer_id", "unknown customer_id", "c9"),
        (3, "touchpoint_id", "missing touchpoint_id", None),
        (6, "event_id", "duplicate event_id in file", "e1"),
        (7, "customer_id", "missing customer_id", None),
        (8, "timestamp", "missing timestamp", None),
        (13, "event_id", "duplicate event_id in file", "e8"),
    ]
    [(attrs,)] = rows(loaded, "SELECT attributes FROM events WHERE event_id = 'e4'")
    assert attrs.replace(" ", "") == '{"tier":"t0"}'
    [(channel,)] = rows(loaded, "SELECT channel FROM events WHERE event_id = 'e4'")
    assert channel == "phone"  # the call centre's channel


@pytest.mark.parametrize("ids", [IDS, [f"e{i}" for i in range(13)]], ids=["repeated keys", "unique keys"])
def test_sliced_parquet_matches_the_arrow_path(loaded, tmp_path, monkeypatch, ids):
    path = _events(tmp_path, "ev.parquet", ids)
    changed = _events(tmp_path, "ev2.parquet", ids + ["e100", "e101"], row_group_size=4)
    loaded.settings = replace(loaded.settings, batch_rows=1)
    sliced = [ingest_files(loaded, [p])[0] for p in (path, changed)]
    other = _second_store(tmp_path)
    try:
        other.settings = replace(other.settings, batch_rows=1)
        monkeypatch.setattr(ingest_module, "parquet_slices", lambda *a, **k: None)  # the pyarrow batches
        arrow = [ingest_files(other, [p])[0] for p in (path, changed)]
        counts = lambda r: (r.rows_read, r.rows_stored, r.rows_already_stored, r.rows_quarantined)  # noqa: E731
        assert [counts(r) for r in sliced] == [counts(r) for r in arrow]
        assert _snapshot(loaded) == _snapshot(other)
    finally:
        other.close()


def test_unique_new_keys_skip_the_duplicate_lookups(loaded, tmp_path, monkeypatch):
    seen: list[bool] = []
    original = BatchPlan.failed_sql

    def spy(self, *, start_rowid, unique_keys=False):
        seen.append(unique_keys)
        return original(self, start_rowid=start_rowid, unique_keys=unique_keys)

    monkeypatch.setattr(BatchPlan, "failed_sql", spy)
    loaded.settings = replace(loaded.settings, batch_rows=1)
    ids = [f"e{i}" for i in range(13)]
    [a] = ingest_files(loaded, [_events(tmp_path, "ev.parquet", ids)])
    assert seen and all(seen)  # unique keys, none stored: the fast path
    seen.clear()
    [b] = ingest_files(loaded, [_events(tmp_path, "ev2.parquet", ids[:5] + ["x1"])])  # overlaps stored keys
    assert seen and not any(seen)
    assert (b.rows_read, b.rows_already_stored) == (6, 3)  # e0, e3, e4 were stored; e1 and e2 quarantined
    assert a.rows_stored + b.rows_stored == rows(loaded, "SELECT count(*) FROM events")[0][0]
