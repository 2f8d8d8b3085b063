"""Each validation rule, the derived ids, UTC conversion, attributes and PII redaction on storage."""

from __future__ import annotations

import pytest

from empathica.listen import ingest_files
from empathica.settings import Settings
from empathica.store import Store

from .conftest import quarantine, rows


def _csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_events_rules_and_accounting(loaded, fixtures):
    [r] = ingest_files(loaded, [fixtures / "events.tsv"])
    assert (r.rows_read, r.rows_stored, r.rows_already_stored, r.rows_quarantined) == (7, 2, 0, 5)
    assert quarantine(loaded) == [
        (3, "customer_id", "unknown customer_id", "c9"),
        (4, "timestamp", "timestamp not a timestamp", "not a time"),
        (5, "touchpoint_id", "unknown touchpoint_id", "nowhere"),
        (6, "event_id", "duplicate event_id in file", "e1"),
        (7, "customer_id", "missing customer_id", None),
    ]
    # a row failing several checks lists the others in raw; unknown columns go to attributes
    [(raw,)] = rows(loaded, "SELECT raw FROM quarantine WHERE line = 4")
    assert '"_other_failures":["missing timestamp"]' in raw
    assert rows(loaded, "SELECT event_id, attributes FROM events ORDER BY event_id") == [
        ("e1", '{"device":"mobile"}'), ("e2", '{"device":"mobile"}'),
    ]


def test_types_ranges_and_allowed_values(loaded, tmp_path):
    path = _csv(tmp_path, "feedback.csv", (
        "response_id,customer_id,timestamp,nps,csat,ces\n"
        "r1,c1,2024-05-01,10,5,1\n"
        "r2,c1,2024-05-01,-1,,\n"
        "r3,c1,2024-05-01,,6,\n"
        "r4,c1,2024-05-01,,,8\n"
        "r5,c1,2024-05-01,ten,,\n"
        "r6,c1,,5,,\n"
        ",c1,2024-05-01,5,,\n"
    ))
    [r] = ingest_files(loaded, [path])
    assert (r.rows_stored, r.rows_quarantined) == (1, 6)
    assert [(line, reason) for line, _, reason, _ in quarantine(loaded)] == [
        (2, "nps out of range 0–10"),
        (3, "csat out of range 1–5"),
        (4, "ces out of range 1–7"),
        (5, "nps not a whole number"),
        (6, "missing timestamp"),
        (7, "missing response_id"),
    ]


def test_allowed_speaker_and_references_to_conversations(store, tmp_path):
    conv = _csv(tmp_path, "conversations.csv", "conversation_id,channel\nk1,chat\n")
    turns = _csv(tmp_path, "turns.csv", (
        "conversation_id,turn_index,speaker,text\n"
        "k1,0,customer,hello\n"
        "k1,1,robot,beep\n"
        "k2,0,agent,hi\n"
        "k1,2,agent,\n"
    ))
    ingest_files(store, [turns, conv])  # given in the wrong order: conversations are loaded first
    assert [(line, reason) for line, _, reason, _ in quarantine(store)] == [
        (2, "speaker not one of customer, agent, bot, system"),
        (3, "unknown conversation_id"),
        (4, "missing text"),
    ]
    # turn ids are derived from the conversation and the position
    assert rows(store, "SELECT turn_id FROM turns") == [("k1#0",)]


def test_booleans_and_bad_json(store, tmp_path):
    path = _csv(tmp_path, "touchpoints.csv", (
        "touchpoint_id,is_goal\n" "a,yes\n" "b,N\n" "c,1\n" "d,maybe\n"
    ))
    ingest_files(store, [path])
    assert rows(store, "SELECT touchpoint_id, is_goal FROM touchpoints ORDER BY 1") == [("a", True), ("b", False), ("c", True)]
    assert quarantine(store) == [(4, "is_goal", "is_goal not true/false", "maybe")]
    bad = _csv(tmp_path, "customers.csv", 'customer_id,attributes\nx1,"{""tier"": 1}"\nx2,[1]\n')
    ingest_files(store, [bad])
    assert rows(store, "SELECT reason FROM quarantine WHERE table_name = 'customers'") == [("attributes not a JSON object",)]


def test_timestamps_stored_in_utc(store, tmp_path):
    path = _csv(tmp_path, "customers.csv", (
        "customer_id,first_seen\n"
        "a,2024-01-01 12:00:00\n"
        "b,2024-01-01T12:00:00+08:00\n"
        "c,2024-01-01T12:00:00Z\n"
        "d,2024-01-01\n"
    ))
    ingest_files(store, [path])
    got = rows(store, "SELECT customer_id, strftime(first_seen AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') FROM customers ORDER BY 1")
    assert got == [("a", "2024-01-01 12:00"), ("b", "2024-01-01 04:00"), ("c", "2024-01-01 12:00"), ("d", "2024-01-01 00:00")]


def test_derived_event_ids_are_stable_across_stores(tmp_path, fixtures):
    path = _csv(tmp_path, "ev.csv", "customer_id,touchpoint_id,timestamp\nc1,web_checkout,2024-04-01 10:00\nc2,call_centre,2024-04-01 11:00\n")
    ids = []
    for name in ("a", "b"):
        settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
        with Store.open(tmp_path / f"{name}.duckdb", settings=settings) as s:
            ingest_files(s, [path])
            ids.append(rows(s, "SELECT event_id FROM events ORDER BY customer_id"))
    assert ids[0] == ids[1] and len({i for (i,) in ids[0]}) == 2


@pytest.mark.parametrize("redact_pii", [True, False])
def test_pii_redacted_before_storage_when_set(tmp_path, redact_pii):
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False, redact_pii=redact_pii)
    path = _csv(tmp_path, "reviews.csv", (
        "review_id,brand,timestamp,rating,text\n"
        "v1,Acme,2024-01-01,1,Mail me at bob@example.org or call 0171 2345678\n"
        "v2,Acme,2024-01-02,5,Order 4711 for 129.99 EUR arrived on 2024-01-02\n"
    ))
    with Store.open(tmp_path / "r.duckdb", settings=settings) as s:
        ingest_files(s, [path])
        got = rows(s, "SELECT text FROM reviews ORDER BY review_id")
    if redact_pii:
        assert got == [("Mail me at [EMAIL] or call [PHONE]",), ("Order 4711 for 129.99 EUR arrived on 2024-01-02",)]
    else:
        assert got[0] == ("Mail me at bob@example.org or call 0171 2345678",)
