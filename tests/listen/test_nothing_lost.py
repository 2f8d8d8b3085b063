"""Every input row is stored, already stored or quarantined — whatever the file (issue 15's defects)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from empathica.errors import MappingError, SettingsError, StoreError
from empathica.listen import ingest_files
from empathica.settings import Settings
from empathica.store import Store

from .conftest import quarantine, rows

FEEDBACK = "response_id,customer_id,timestamp,comment\n"


def _feedback_rows(n: int, odd: dict[int, str] | None = None) -> str:
    odd = odd or {}
    return "".join(f"r{i},c{i},2024-01-01 10:00:00,{odd.get(i, f'ok {i}')}\n" for i in range(1, n + 1))


def _accounted(result) -> bool:
    return result.rows_read == result.rows_stored + result.rows_already_stored + result.rows_quarantined


def test_unclosed_quote_loses_no_row(store, tmp_path):
    path = tmp_path / "feedback.csv"
    path.write_text(FEEDBACK + _feedback_rows(3000, {5: '"never closed', 6: '"quoted"', 10: '"multi\nline"',
                                                      900: '"never closed'}), encoding="utf-8")
    (r,) = ingest_files(store, [path], kind="feedback")
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (3000, 2998, 2) and _accounted(r)
    assert [(q[0], q[2]) for q in quarantine(store)] == [(5, "malformed CSV row"), (900, "malformed CSV row")]
    stored = dict(rows(store, "SELECT response_id, comment FROM feedback WHERE response_id IN ('r6', 'r10', 'r901', 'r3000')"))
    assert stored == {"r6": "quoted", "r10": "multi\nline", "r901": "ok 901", "r3000": "ok 3000"}


def test_derived_event_ids_survive_mapping_changes(store, tmp_path):
    """Events without event_id read again with a time zone, a constant, a column mapping or a new extra
    column derive the same ids: nothing is stored twice."""
    events = tmp_path / "events.csv"
    body = "".join(f"c{i % 3 + 1},web_checkout,2024-04-0{i % 9 + 1} 10:{i:02d}:00\n" for i in range(40))
    events.write_text("customer_id,touchpoint_id,when\n" + body, encoding="utf-8")
    mappings = [
        '[events.columns]\nwhen = "timestamp"\n',
        'timezone = "Europe/Berlin"\n[events.columns]\nwhen = "timestamp"\n',
        'timezone = "Europe/Berlin"\n[events.columns]\nwhen = "timestamp"\n[events.constants]\nchannel = "web"\n',
    ]
    for i, text in enumerate(mappings):
        m = tmp_path / f"m{i}.toml"
        m.write_text(text, encoding="utf-8")
        ingest_files(store, [events], kind="events", mapping=m)
    events.write_text("customer_id,touchpoint_id,when,device\n" + body.replace("\n", ",mobile\n"), encoding="utf-8")
    ingest_files(store, [events], kind="events", mapping=tmp_path / "m0.toml")
    assert rows(store, "SELECT count(*), count(DISTINCT event_id) FROM events") == [(40, 40)]


def test_windows_1252_german_is_not_read_as_chinese(store, tmp_path):
    path = tmp_path / "feedback.csv"
    path.write_bytes((FEEDBACK + "r1,c1,2024-01-01,Größe falsch\nr2,c2,2024-01-01,mäßig\n").encode("cp1252"))
    ingest_files(store, [path], kind="feedback")
    assert rows(store, "SELECT comment FROM feedback ORDER BY response_id") == [("Größe falsch",), ("mäßig",)]


def _jsonl(tmp_path, name: str, odd_line: str) -> object:
    lines = [json.dumps({"response_id": f"r{i}", "customer_id": f"c{i}", "timestamp": "2024-01-01", "comment": f"ok {i}"})
             for i in range(1, 11)]
    lines[3] = odd_line
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


@pytest.mark.parametrize(("odd", "comment"), [
    ('{"response_id": "r4", "Customer_ID": "c4", "timestamp": "2024-01-01", "comment": "ok 4"}', "ok 4"),
    ('{"response_id": "r4", "customer_id": "c4", "timestamp": "2024-01-01", "comment": "ok\r4"}', "ok\r4"),
    ('{"response_id": "r4", "customer_id": "c4", "timestamp": "2024-01-01", "comment": "' + "x" * (3 << 20) + '"}', "x" * (3 << 20)),
    ('{"response_id": "r4", "customer_id": "c4", "timestamp": "2024-01-01", "": 1, "comment": "ok 4"}', "ok 4"),
], ids=["key-case", "raw-carriage-return", "line-over-2MB", "empty-key"])
def test_one_odd_json_line_spoils_nothing(store, tmp_path, odd, comment):
    (r,) = ingest_files(store, [_jsonl(tmp_path, "feedback.jsonl", odd)])
    assert (r.table, r.rows_read, r.rows_stored, r.rows_quarantined) == ("feedback", 10, 10, 0)
    assert rows(store, "SELECT customer_id, comment FROM feedback WHERE response_id = 'r4'") == [("c4", comment)]


@pytest.mark.parametrize(("header", "extra"), [
    ("response_id,customer_id,timestamp,comment,\n", ","),  # trailing delimiter: an empty header cell
    ("\n\nresponse_id,customer_id,timestamp,comment\n", ""),  # blank lines before the header
    ('response_id,customer_id,timestamp,"com\nment"\n', ""),  # a quoted header cell with a line break
], ids=["empty-header-cell", "blank-lines-first", "header-line-break"])
def test_header_oddities(store, tmp_path, header, extra):
    path = tmp_path / "feedback.csv"
    path.write_text(header + _feedback_rows(5).replace("\n", extra + "\n"), encoding="utf-8")
    (r,) = ingest_files(store, [path], kind="feedback", mapping=_comment_mapping(tmp_path))
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (5, 5, 0)
    assert rows(store, "SELECT comment FROM feedback WHERE response_id = 'r5'") == [("ok 5",)]


def _comment_mapping(tmp_path):
    m = tmp_path / "comment.toml"
    m.write_text('[feedback.columns]\n"com ment" = "comment"\n', encoding="utf-8")
    return m


def test_db_that_is_a_data_file_is_refused(tmp_path):
    data = tmp_path / "store.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(StoreError, match="not a DuckDB database"):
        Store.open(data, settings=Settings.load(config_file=tmp_path / "none.toml"))
    assert data.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_skip_after_mapping_change_reports_the_quarantine_that_exists(store, tmp_path):
    path = tmp_path / "feedback.csv"
    path.write_text("response_id,customer_id,timestamp,note\n" + _feedback_rows(4, {2: "x"}).replace(
        "2024-01-01 10:00:00", "bad", 1), encoding="utf-8")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[feedback.columns]\nnote = "comment"\n', encoding="utf-8")
    b.write_text('[feedback.columns]\nnote = "comment"\n[feedback.constants]\ntimestamp = "2024-02-02"\n', encoding="utf-8")
    first = ingest_files(store, [path], kind="feedback", mapping=a)[0]
    assert first.rows_quarantined == 1
    ingest_files(store, [path], kind="feedback", mapping=b)
    again = ingest_files(store, [path], kind="feedback", mapping=a)[0]
    held = rows(store, "SELECT count(*) FROM quarantine")[0][0]
    assert not again.skipped_identical and again.rows_quarantined == held == 1


def test_minor_value_checks(store, tmp_path):
    path = tmp_path / "feedback.csv"
    path.write_text(FEEDBACK + "\t,c1,2024-01-01,tab id\nr2,c2,99999-01-01,far\nr\x003,c3,2024-01-01,nul\n", encoding="utf-8")
    (r,) = ingest_files(store, [path], kind="feedback")
    assert [q[2] for q in quarantine(store)] == ["missing response_id", "timestamp not a timestamp"]
    assert rows(store, "SELECT response_id FROM feedback") == [("r3",)]
    m = tmp_path / "m.toml"
    m.write_text("[feedback.constants]\nnps = [1, 2]\n", encoding="utf-8")
    with pytest.raises(MappingError, match="nps"):
        ingest_files(store, [path], kind="feedback", mapping=m)
    with pytest.raises(SettingsError, match="batch_rows"):
        Settings.load(config_file=tmp_path / "none.toml", batch_rows=0)


def test_forced_reread_keeps_in_file_duplicates_quarantined(store, tmp_path):
    path = tmp_path / "feedback.csv"
    body = _feedback_rows(30) + "".join(f"r{i},c{i},2024-01-01 10:00:00,again\n" for i in range(1, 11))
    path.write_text(FEEDBACK + body, encoding="utf-8")
    store.settings = replace(store.settings, batch_rows=7)
    ingest_files(store, [path], kind="feedback")
    clean = quarantine(store)
    (r,) = ingest_files(store, [path], kind="feedback", force=True)
    assert len(clean) == 10 and quarantine(store) == clean and r.rows_quarantined == 10 and _accounted(r)


def test_extra_columns_are_redacted(store, tmp_path):
    """A CRM export's e-mail and name columns are personal data whole; other extra text is redacted."""
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,first_seen,email,姓名,notes\nc1,2024-01-05,jane@example.com,张伟,call +49 171 2345678\n",
                    encoding="utf-8")
    ingest_files(store, [path], kind="customers")
    (attributes,) = rows(store, "SELECT attributes FROM customers")[0]
    assert json.loads(attributes) == {"email": "[REDACTED]", "姓名": "[REDACTED]", "notes": "call [PHONE]"}


def test_redaction_off_is_recorded_and_shown(store, tmp_path):
    from empathica.store.status import store_status

    path = tmp_path / "feedback.csv"
    path.write_text(FEEDBACK + "r1,c1,2024-01-01,mail jane@example.com\n", encoding="utf-8")
    store.settings = replace(store.settings, redact_pii=False)
    ingest_files(store, [path], kind="feedback")
    info = store_status(store)
    assert info["unredacted_files"] == [str(path)] and info["redact_pii"] is False
    assert rows(store, "SELECT comment FROM feedback") == [("mail jane@example.com",)]


def test_status_says_what_a_running_listen_reads(tmp_path):
    """While a process holds the store, `status` prints what it is ingesting instead of a lock error."""
    import subprocess
    import sys

    from empathica.store.status import activity

    db = tmp_path / "cx.duckdb"
    settings = Settings.load(config_file=tmp_path / "none.toml")
    with Store.open(db, settings=settings), activity(str(db), files=["a.csv", "b.csv"]) as now:
        now(file="b.csv", table="events")
        out = subprocess.run([sys.executable, "-c", "from empathica.cli import main; main()", "status", "--db", str(db), "--json"],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    running = json.loads(out.stdout)["running"]
    assert (running["file"], running["table"], running["files"]) == ("b.csv", "events", ["a.csv", "b.csv"])
    assert not (tmp_path / "cx.duckdb.listen.json").exists()


def test_empathy_score_output_is_redacted(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from empathica.cli import main

    monkeypatch.setenv("EMPATHICA_CONFIG", str(tmp_path / "none.toml"))
    src = tmp_path / "replies.csv"
    src.write_text('context,reply\n"my card broke","I am so sorry! Call me on +49 171 2345678 or mail jane.doe@example.com"\n',
                   encoding="utf-8")
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(main, ["empathy", "score", str(src), "--response-column", "reply", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "[PHONE]" in text and "[EMAIL]" in text and "2345678" not in text and "jane.doe" not in text


@pytest.mark.parametrize(("header", "body", "read"), [
    ("response_id,timestamp,comment\r\n", 'r1,2024-01-02 03:04:05,"never closed\r\nr2,2024-01-02 03:04:05,ok\r\n', 2),
    ("response_id,timestamp,comment\n", 'r1,2024-01-02 03:04:05,"never closed\nr2,2024-01-02 03:04:05,"a\r\nb"\n', 2),
    # DuckDB's parser stops with "invalid state"; the next record (a line break and two fields too many) is
    # then quarantined line by line
    ("response_id,timestamp,comment,\r\n", 'r1,2024-01-02 03:04:05,"never closed,\r\nr2,2024-01-02 03:04:05,"\n%\x00,a\n|=",x,y,\r\n', 4),
], ids=["crlf-to-eof", "then-multiline-field", "parser-invalid-state"])
def test_runaway_quotes_found_by_fuzzing(store, tmp_path, header, body, read):
    path = tmp_path / "feedback.csv"
    path.write_bytes((header + body).encode("utf-8"))
    (r,) = ingest_files(store, [path], kind="feedback")
    assert r.rows_read == read and _accounted(r)
    assert [q[0] for q in quarantine(store)][:1] == [1]


def test_json_line_with_backslash_zero(store, tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"response_id": "r1", "timestamp": "2024-01-02", "comment": "C:\\\\0 drive"}\n', encoding="utf-8")
    (r,) = ingest_files(store, [path])
    assert (r.rows_stored, r.rows_quarantined) == (1, 0)
    assert rows(store, "SELECT comment FROM feedback") == [("C:\\0 drive",)]


def test_runaway_quote_closed_into_a_valid_record_is_named(store, tmp_path):
    """The case no CSV reader can decide (a quote that never closes, closed by a later field's opening quote
    into a valid record) is read as written but named in the notes; a genuine multi-line comment is not."""
    path = tmp_path / "feedback.csv"
    path.write_text('response_id,timestamp,comment\nr1,2024-01-02 03:04:05,"never closed\n'
                    'r2,2024-01-02 03:04:05,"\nmore"\nr3,2024-01-02 03:04:05,ok\n', encoding="utf-8")
    (r,) = ingest_files(store, [path], kind="feedback")
    assert _accounted(r) and any("row(s) 1 hold a quoted field" in n for n in r.notes)
    legit = tmp_path / "legit.csv"
    legit.write_text('response_id,timestamp,comment\nr9,2024-01-02 03:04:05,"a comment\nover two lines, with a comma"\n',
                     encoding="utf-8")
    (r,) = ingest_files(store, [legit], kind="feedback")
    assert r.rows_stored == 1 and not any("quoted field" in n for n in r.notes)


def test_windows_1252_with_a_dash_is_not_read_as_chinese(store, tmp_path):
    """Found by the fuzz properties: "Größe –" (the dash is 0x96, no GB18030 byte before a line end) was GB18030."""
    path = tmp_path / "feedback.csv"
    path.write_bytes(b"response_id,timestamp,comment\nr0,2024-01-02 03:04:05,Gr\xf6\xdfe \x96\n")
    ingest_files(store, [path], kind="feedback")
    assert rows(store, "SELECT comment FROM feedback") == [("Größe –",)]
