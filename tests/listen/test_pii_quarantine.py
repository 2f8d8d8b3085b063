"""Personal data must not reach the store through the quarantine either (reviewer's audit, round 2):
quarantined values, the source row kept as JSON, malformed CSV lines and JSON Lines raw lines are
redacted like stored text when ``redact_pii`` is on, and kept verbatim when it is off."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.listen import ingest_files
from empathica.listen.redaction import redact, redact_json

from .conftest import rows

COMMENT = "Ruf mich an: 0170 1234567, max@example.de"
SECRETS = ("0170 1234567", "1234567", "max@example.de", "example.de")


def _stored_text(store) -> str:
    """Everything Listen stored about the files (quarantine and ingestions), as one text."""
    parts = [repr(r) for r in rows(store, "SELECT * EXCLUDE (ingested_at) FROM quarantine")]
    parts += [repr(r) for r in rows(store, "SELECT * EXCLUDE (ingested_at) FROM ingestions")]
    return "\n".join(parts)


def _assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_cli_listen_redacts_a_quarantined_rows_comment(tmp_path, fixtures):
    db = tmp_path / "db.duckdb"
    path = tmp_path / "feedback.csv"
    path.write_text(
        "response_id,customer_id,timestamp,nps,comment\n"
        f'f1,c1,2024-05-01T08:00:00Z,42,"{COMMENT}"\n'        # nps out of range
        f'f2,nobody,2024-05-01T08:00:00Z,7,"{COMMENT}"\n'     # unknown customer
        'f3,c1,2024-05-01T08:00:00Z,9,"fine"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["listen", str(fixtures / "customers.csv"), "--db", str(db)]).exit_code == 0
    result = runner.invoke(main, ["listen", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        quarantined = con.execute("SELECT line, field, reason, value, raw FROM quarantine ORDER BY line").fetchall()
        everything = repr(quarantined) + repr(con.execute("SELECT * EXCLUDE (ingested_at) FROM ingestions").fetchall())
    finally:
        con.close()
    assert [(q[0], q[1], q[2]) for q in quarantined] == [(1, "nps", "nps out of range 0–10"),
                                                         (2, "customer_id", "unknown customer_id")]
    _assert_no_secrets(everything)
    first = json.loads(quarantined[0][4])
    assert first["comment"] == "Ruf mich an: [PHONE], [EMAIL]" and first["nps"] == "42" and first["response_id"] == "f1"
    assert quarantined[0][3] == "42"  # the failing value itself is kept: it is no personal data


def test_a_quarantined_value_that_is_personal_data_is_redacted(loaded, tmp_path):
    path = tmp_path / "fb.csv"
    path.write_text("response_id,customer_id,timestamp,nps\nf1,max@example.de,2024-05-01,5\n", encoding="utf-8")
    [r] = ingest_files(loaded, [path], kind="feedback")
    assert r.rows_quarantined == 1
    [(field, reason, value, raw)] = rows(loaded, "SELECT field, reason, value, raw FROM quarantine")
    assert (field, reason, value) == ("customer_id", "unknown customer_id", "[EMAIL]")
    assert json.loads(raw)["customer_id"] == "[EMAIL]"


def test_malformed_csv_lines_are_redacted_before_they_are_cut(loaded, tmp_path):
    path = tmp_path / "fb.csv"
    long_tail = "x" * 600
    path.write_text(
        "response_id,customer_id,timestamp,nps,comment\n"
        f"f1,c1,2024-05-01,5,{COMMENT},extra field\n"                   # too many fields
        f"f2,c1,2024-05-01,5,{'y' * 471} +49 171 2345678 {long_tail},extra\n"  # a phone number across the 500-character cut
        "f3,c1,2024-05-01,5,ok\n",
        encoding="utf-8",
    )
    [r] = ingest_files(loaded, [path], kind="feedback")
    assert (r.rows_stored, r.rows_quarantined) == (1, 2)
    quarantined = rows(loaded, "SELECT line, reason, value, raw FROM quarantine ORDER BY line")
    assert [(q[0], q[1]) for q in quarantined] == [(1, "malformed CSV row"), (2, "malformed CSV row")]
    _assert_no_secrets(_stored_text(loaded))
    assert "+49" not in _stored_text(loaded) and "y [PHONE] x" in quarantined[1][2]
    assert json.loads(quarantined[0][3])["_raw_line"].startswith("f1,c1,2024-05-01,5,Ruf mich an: [PHONE], [EMAIL],")


def test_json_lines_raw_lines_are_redacted_and_stay_json(loaded, tmp_path):
    path = tmp_path / "fb.jsonl"
    path.write_text(
        json.dumps({"response_id": "j1", "customer_id": "c1", "timestamp": "2024-05-01", "nps": 42,
                    "comment": COMMENT, "callback": 13812345678}) + "\n"
        + f"not json at all, mail {SECRETS[2]}\n"
        + json.dumps({"response_id": "j2", "customer_id": "c1", "timestamp": "2024-05-01", "nps": 3}) + "\n",
        encoding="utf-8",
    )
    [r] = ingest_files(loaded, [path], kind="feedback")
    assert (r.rows_stored, r.rows_quarantined) == (1, 2)
    quarantined = rows(loaded, "SELECT line, reason, raw FROM quarantine ORDER BY line")
    assert [(q[0], q[1]) for q in quarantined] == [(1, "nps out of range 0–10"), (2, "not a JSON object")]
    _assert_no_secrets(_stored_text(loaded))
    row = json.loads(quarantined[0][2])
    assert row["comment"] == "Ruf mich an: [PHONE], [EMAIL]" and row["callback"] == "[PHONE]" and row["nps"] == 42
    assert quarantined[1][2] == "not json at all, mail [EMAIL]"


def test_with_redaction_off_the_quarantine_keeps_the_source_verbatim(tmp_path):
    from empathica.settings import Settings
    from empathica.store import Store

    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False, redact_pii=False)
    path = tmp_path / "fb.csv"
    path.write_text(f'response_id,timestamp,nps,comment\nf1,2024-05-01,42,"{COMMENT}"\n', encoding="utf-8")
    with Store.open(tmp_path / "off.duckdb", settings=settings) as store:
        ingest_files(store, [path], kind="feedback")
        [(raw,)] = rows(store, "SELECT raw FROM quarantine")
    assert json.loads(raw)["comment"] == COMMENT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iban: de89 3704 0044 0532 0130 00", "iban: [IBAN]"),
        ("IBAN De89 3704 0044 0532 0130 00.", "IBAN [IBAN]."),
        ("gb82west12345698765432", "[IBAN]"),
        ("nl91abna0417164300 bitte", "[IBAN] bitte"),
    ],
)
def test_iban_in_any_letter_case_is_redacted_whole(text, expected):
    assert redact(text) == expected


def test_iban_shaped_words_stay():
    assert redact("ab12 this that more words here") == "ab12 this that more words here"


def test_redact_json_keeps_valid_json_and_untouched_text():
    assert redact_json('{"a": "no secrets", "n": 42}') == '{"a": "no secrets", "n": 42}'
    out = redact_json('{"a": ["call 0171 2345678"], "b": {"c": "x@y.com"}, "t": true, "f": 1.5}')
    assert json.loads(out) == {"a": ["call [PHONE]"], "b": {"c": "[EMAIL]"}, "t": True, "f": 1.5}
    assert redact_json(None) is None and redact_json("") == ""
