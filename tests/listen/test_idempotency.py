"""Quarantine accounting, idempotent re-ingestion, CSV row numbers around malformed rows, file order."""

from __future__ import annotations

from empathica.listen import ingest_files

from .conftest import quarantine, rows


def _invariant(r) -> bool:
    return r.rows_read == r.rows_stored + r.rows_already_stored + r.rows_quarantined


def test_identical_file_adds_nothing(loaded, fixtures):
    [first] = ingest_files(loaded, [fixtures / "events.tsv"])
    before = rows(loaded, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM quarantine)")
    [again] = ingest_files(loaded, [fixtures / "events.tsv"])
    # The skip reports the earlier reading honestly: its stored rows are in the store, its bad rows in the quarantine.
    assert again.skipped_identical and (again.rows_read, again.rows_stored) == (7, 0)
    assert (again.rows_already_stored, again.rows_quarantined) == (first.rows_stored + first.rows_already_stored, first.rows_quarantined)
    assert rows(loaded, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM quarantine)") == before
    assert _invariant(first) and _invariant(again)


def test_changed_file_adds_only_new_keys(loaded, tmp_path):
    path = tmp_path / "ev.csv"
    path.write_text("event_id,customer_id,touchpoint_id,timestamp\ne1,c1,web_checkout,2024-04-01 10:00\n", encoding="utf-8")
    [a] = ingest_files(loaded, [path])
    path.write_text(path.read_text() + "e2,c2,call_centre,2024-04-01 11:00\ne3,c3,nowhere,2024-04-01 12:00\n", encoding="utf-8")
    [b] = ingest_files(loaded, [path])
    assert (a.rows_stored, b.rows_read, b.rows_stored, b.rows_already_stored, b.rows_quarantined) == (1, 3, 1, 1, 1)
    assert _invariant(b)
    assert rows(loaded, "SELECT count(*) FROM events") == [(2,)]
    assert rows(loaded, "SELECT count(*), sum(rows_read) FROM ingestions WHERE table_name = 'events'") == [(2, 4)]


def test_duplicates_across_batches_are_caught(loaded, tmp_path):
    from dataclasses import replace

    loaded.settings = replace(loaded.settings, batch_rows=2)
    path = tmp_path / "ev.csv"
    path.write_text(
        "event_id,customer_id,touchpoint_id,timestamp\n"
        "e1,c1,web_checkout,2024-04-01 10:00\ne2,c1,web_checkout,2024-04-01 10:01\n"
        "e3,c1,web_checkout,2024-04-01 10:02\ne1,c2,web_checkout,2024-04-01 10:03\n"
        "e4,c2,web_checkout,2024-04-01 10:04\n",
        encoding="utf-8",
    )
    [r] = ingest_files(loaded, [path])
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (5, 4, 1)
    assert quarantine(loaded) == [(4, "event_id", "duplicate event_id in file", "e1")]


def test_malformed_csv_rows_are_quarantined_with_true_row_numbers(loaded, tmp_path):
    path = tmp_path / "customers2.csv"
    path.write_text(
        "customer_id,language,region\n"
        "n1,en,UK\n"      # row 1
        "n2,de\n"         # row 2: a field short
        "n3,de,DE,extra\n"  # row 3: a field too many
        "n4,en,US\n"      # row 4
        "n5,xx,\n"        # row 5
        ",en,US\n",       # row 6: missing id
        encoding="utf-8",
    )
    [r] = ingest_files(loaded, [path], kind="customers")
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (6, 3, 3) and _invariant(r)
    assert [(line, reason) for line, _, reason, _ in quarantine(loaded)] == [
        (2, "malformed CSV row"), (3, "malformed CSV row"), (6, "missing customer_id"),
    ]


def test_files_are_ingested_references_first(store, fixtures):
    results = ingest_files(store, [fixtures / "events.tsv", fixtures / "touchpoints.csv", fixtures / "customers.csv"])
    assert [r.table for r in results] == ["events", "touchpoints", "customers"]  # reported in the order given
    assert results[0].notes == []  # customers and touchpoints were loaded before the events
    assert results[0].rows_stored == 2
    # events without a channel column take their touchpoint's channel
    assert rows(store, "SELECT event_id, channel FROM events ORDER BY 1") == [("e1", "web"), ("e2", "web")]


def test_a_file_that_fails_part_way_leaves_nothing(loaded, tmp_path, monkeypatch):
    from dataclasses import replace

    import duckdb
    import pytest

    from empathica.errors import InputError
    from empathica.listen.validation import BatchPlan

    loaded.settings = replace(loaded.settings, batch_rows=2)
    path = tmp_path / "ev.csv"
    path.write_text(
        "event_id,customer_id,touchpoint_id,timestamp\n"
        + "".join(f"e{i},c1,web_checkout,2024-04-01 10:0{i}\n" for i in range(5))
        + "e9,c9,web_checkout,2024-04-01 11:00\n",
        encoding="utf-8",
    )
    original, calls = BatchPlan.seen_sql, []

    def failing(self, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise duckdb.IOException("disk full")
        return original(self, **kwargs)

    monkeypatch.setattr(BatchPlan, "seen_sql", failing)
    with pytest.raises(InputError, match="nothing of this file was stored"):
        ingest_files(loaded, [path])
    assert rows(loaded, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM quarantine), "
                        "(SELECT count(*) FROM ingestions WHERE table_name = 'events')") == [(0, 0, 0)]
    monkeypatch.setattr(BatchPlan, "seen_sql", original)
    [r] = ingest_files(loaded, [path])  # the same file then goes in whole
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (6, 5, 1)
