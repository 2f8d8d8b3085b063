"""Mapping files: column names, value codes, timestamp format and zone, constants, and their errors."""

from __future__ import annotations

import pytest

from empathica.errors import MappingError
from empathica.listen import ingest_files, load_mapping

from .conftest import quarantine, rows


def test_mapping_renames_recodes_and_parses(store, fixtures, tmp_path):
    conv = tmp_path / "conversations.csv"
    conv.write_text("conversation_id\nk1\n", encoding="utf-8")
    results = ingest_files(store, [conv, fixtures / "turns_mapped.csv"], mapping=fixtures / "mapping.toml")
    turns = results[1]
    assert (turns.table, turns.rows_read, turns.rows_stored, turns.rows_quarantined) == ("turns", 4, 2, 2)
    got = rows(store, "SELECT turn_id, speaker, strftime(timestamp AT TIME ZONE 'UTC', '%H:%M') FROM turns ORDER BY turn_index")
    # 10:00 in Berlin (CEST, +2) is 08:00 UTC
    assert got == [("k1#0", "customer", "08:00"), ("k1#1", "agent", "08:01")]
    assert [(line, reason, value) for line, _, reason, value in quarantine(store)] == [
        (3, "speaker not one of customer, agent, bot, system", "X"),
        (4, "timestamp not a timestamp", "1.4.2024 zehn Uhr"),
    ]


def test_mapping_constants_and_boolean_codes(store, fixtures, tmp_path):
    tx = tmp_path / "orders.csv"
    tx.write_text("customer_id,timestamp,amount\nc1,2024-01-01,\"12,50\"\n", encoding="utf-8")
    rv = tmp_path / "reviews.csv"
    rv.write_text("review_id,brand,is_own,timestamp\nv1,Acme,Y,2024-01-01\nv2,Voltera,N,2024-01-01\n", encoding="utf-8")
    ingest_files(store, [tx, rv], mapping=fixtures / "mapping.toml")
    assert rows(store, "SELECT amount, currency FROM transactions") == [(12.5, "EUR")]
    assert rows(store, "SELECT review_id, is_own FROM reviews ORDER BY 1") == [("v1", True), ("v2", False)]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[turns.columns]\nSprecher = "who"\n', "turns.columns.Sprecher"),
        ('[nonsense.columns]\na = "b"\n', "nonsense"),
        ('[turns.colums]\na = "text"\n', "turns.colums"),
        ('[turns.values.mood]\nA = "x"\n', "turns.values.mood"),
        ('timezone = "Mars/Olympus"\n', "timezone"),
        ("[turns\n", "not valid TOML"),
    ],
)
def test_mapping_errors_name_file_and_key(tmp_path, text, key):
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert str(path) in str(info.value) and key in str(info.value)
