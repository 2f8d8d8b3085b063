"""Fixes for the reviewer's findings on Listen (issue 2): late non-ASCII text, Windows-1252, re-reading
files after a mapping change, stale quarantine rows, and clearer messages for header/mapping mistakes."""

from __future__ import annotations

from empathica.listen import detect_encoding, ingest_files, inspect_file

from .conftest import rows

REVIEWS_HEADER = "review_id,brand,timestamp,text,rating\n"


def test_gbk_rows_after_the_first_mib_of_ascii_are_read_as_chinese(store, tmp_path):
    path = tmp_path / "reviews_late.csv"
    ascii_rows = "".join(f"a{i},Lumen,2024-01-02,plain ascii review number {i} padding padding,4\n" for i in range(20_000))
    chinese = "".join(f"z{i},Lumen,2024-01-03,快递太慢了，客服态度很差,1\n" for i in range(5))
    path.write_bytes((REVIEWS_HEADER + ascii_rows).encode("ascii") + chinese.encode("gbk"))
    assert path.stat().st_size > 1 << 20 and max(path.read_bytes()[: 1 << 20]) < 0x80  # first MiB is ASCII
    assert detect_encoding(path) == "gb18030"
    [r] = ingest_files(store, [path], kind="reviews")
    assert (r.rows_read, r.rows_stored) == (20_005, 20_005)
    assert rows(store, "SELECT text FROM reviews WHERE review_id = 'z4'") == [("快递太慢了，客服态度很差",)]


def test_windows_1252_bytes_are_transcoded_not_refused(store, tmp_path):
    path = tmp_path / "bewertungen.csv"
    text = REVIEWS_HEADER + "w1,Lumen,2024-01-02,„Preis 5 €“ – zu teuer für Müller,2\nw2,Lumen,2024-01-02,Größe passt,5\n"
    path.write_bytes(text.encode("cp1252"))
    assert detect_encoding(path) == "cp1252"
    source = inspect_file(path)
    try:
        assert source.encoding == "cp1252" and source.columns == ["review_id", "brand", "timestamp", "text", "rating"]
    finally:
        source.close()
    [r] = ingest_files(store, [path])
    assert (r.error, r.rows_stored) == (None, 2)
    assert rows(store, "SELECT text FROM reviews ORDER BY review_id") == [
        ("„Preis 5 €“ – zu teuer für Müller",), ("Größe passt",)]


def test_plain_latin1_with_accents_stays_latin1(store, tmp_path):
    path = tmp_path / "reviews_l1.csv"
    path.write_bytes((REVIEWS_HEADER + "l1,Lumen,2024-01-02,Genève ist schön,4\n").encode("latin-1"))
    assert detect_encoding(path) == "latin-1"
    ingest_files(store, [path])
    assert rows(store, "SELECT text FROM reviews") == [("Genève ist schön",)]


def _invariant(r) -> bool:
    return r.rows_read == r.rows_stored + r.rows_already_stored + r.rows_quarantined


def test_a_changed_mapping_reads_an_unchanged_file_again_and_replaces_its_quarantine(store, tmp_path):
    from empathica.listen.mapping import parse_mapping

    path = tmp_path / "de_fb.csv"
    path.write_text("ID,Zeit\nv1,01.02.2024\nv2,03.02.2024\n", encoding="utf-8")
    columns = {"ID": "response_id", "Zeit": "timestamp"}
    bad = parse_mapping({"feedback": {"columns": columns}})  # day.month.year is not read without a format
    good = parse_mapping({"feedback": {"columns": columns, "timestamp_format": "%d.%m.%Y"}})
    [first] = ingest_files(store, [path], kind="feedback", mapping=bad)
    assert (first.rows_stored, first.rows_quarantined) == (0, 2)
    [same] = ingest_files(store, [path], kind="feedback", mapping=bad)
    assert same.skipped_identical and (same.rows_stored, same.rows_already_stored, same.rows_quarantined) == (0, 0, 2)
    assert any("identical file already ingested (stored 0, quarantined 2); use --force" in n for n in same.notes)
    [fixed] = ingest_files(store, [path], kind="feedback", mapping=good)
    assert not fixed.skipped_identical and (fixed.rows_stored, fixed.rows_quarantined) == (2, 0)
    assert rows(store, "SELECT count(*) FROM feedback") == [(2,)]
    assert rows(store, "SELECT count(*) FROM quarantine") == [(0,)]  # the bad mapping's rows are gone
    [skip] = ingest_files(store, [path], kind="feedback", mapping=good)
    assert skip.skipped_identical and (skip.rows_already_stored, skip.rows_quarantined) == (2, 0)
    assert all(_invariant(r) for r in (first, same, fixed, skip))


def test_force_reads_again_after_missing_customers_are_loaded(loaded, tmp_path):
    events = tmp_path / "ev.csv"
    events.write_text("event_id,customer_id,touchpoint_id,timestamp\n"
                      "e1,c1,web_checkout,2024-04-01 10:00\ne2,c9,web_checkout,2024-04-01 11:00\n", encoding="utf-8")
    [first] = ingest_files(loaded, [events])
    assert (first.rows_stored, first.rows_quarantined) == (1, 1)
    more = tmp_path / "more_customers.csv"
    more.write_text("customer_id,language,region\nc9,en,UK\n", encoding="utf-8")
    ingest_files(loaded, [more])
    [skipped] = ingest_files(loaded, [events])
    assert skipped.skipped_identical and (skipped.rows_already_stored, skipped.rows_quarantined) == (1, 1)
    [forced] = ingest_files(loaded, [events], force=True)
    assert not forced.skipped_identical
    assert (forced.rows_read, forced.rows_stored, forced.rows_already_stored, forced.rows_quarantined) == (2, 1, 1, 0)
    assert _invariant(forced)
    assert rows(loaded, "SELECT count(*) FROM events") == [(2,)]  # e1 not stored twice
    assert rows(loaded, f"SELECT count(*) FROM quarantine WHERE source_file = '{events}'") == [(0,)]
    [again] = ingest_files(loaded, [events], force=True)  # forcing again neither duplicates rows nor quarantine
    assert (again.rows_stored, again.rows_already_stored, again.rows_quarantined) == (0, 2, 0)
    assert rows(loaded, "SELECT count(*) FROM events") == [(2,)]


def test_changed_file_replaces_its_earlier_quarantine_rows(loaded, tmp_path):
    path = tmp_path / "ev.csv"
    head = "event_id,customer_id,touchpoint_id,timestamp\n"
    path.write_text(head + "e1,c1,nowhere,2024-04-01 10:00\ne2,c1,nowhere,2024-04-01 10:01\n", encoding="utf-8")
    ingest_files(loaded, [path])
    ingest_files(loaded, [path], force=True)
    assert rows(loaded, "SELECT count(*) FROM quarantine") == [(2,)]  # not 4
    path.write_text(head + "e1,c1,web_checkout,2024-04-01 10:00\ne2,c1,nowhere,2024-04-01 10:01\n", encoding="utf-8")
    [r] = ingest_files(loaded, [path])
    assert (r.rows_stored, r.rows_quarantined) == (1, 1)
    assert rows(loaded, "SELECT line, value FROM quarantine") == [(2, "nowhere")]
    other = tmp_path / "ev2.csv"  # another file's quarantine rows are left alone
    other.write_text(head + "e7,c1,nowhere,2024-04-01 10:00\n", encoding="utf-8")
    ingest_files(loaded, [other])
    ingest_files(loaded, [path], force=True)
    assert rows(loaded, "SELECT count(*) FROM quarantine") == [(2,)]


def test_cli_listen_force(tmp_path, fixtures):
    from click.testing import CliRunner

    from empathica.cli import main

    db = str(tmp_path / "f.duckdb")
    path = str(fixtures / "customers.csv")
    assert CliRunner().invoke(main, ["listen", path, "--db", db]).exit_code == 0
    again = CliRunner().invoke(main, ["listen", path, "--db", db])
    said = " ".join(again.output.split())  # rich wraps the note on narrow terminals
    assert again.exit_code == 0 and "identical file already ingested (stored 3, quarantined 0); use --force" in said
    forced = CliRunner().invoke(main, ["listen", path, "--db", db, "--force"])
    assert forced.exit_code == 0, forced.output
    said = " ".join(forced.output.split())
    assert "identical file" not in said and "read 3 stored 0 already stored 3 quarantined 0" in said


def test_a_header_naming_a_column_twice_is_one_clear_error(store, tmp_path):
    import pytest

    from empathica.errors import InputError

    path = tmp_path / "dupcol.csv"
    path.write_text("customer_id,region,region\nc1,UK,DE\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"dupcol\.csv: the header names column 'region' twice; rename one"):
        ingest_files(store, [path])
    path.write_text("customer_id,Region,region\nc1,UK,DE\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"columns 'Region' and 'region' .*rename one"):
        ingest_files(store, [path])


def test_mapping_entries_for_absent_columns_are_named_and_two_sources_for_one_target_refused(store, tmp_path):
    import io

    import pytest
    from rich.console import Console

    from empathica.errors import MappingError
    from empathica.listen.mapping import parse_mapping

    path = tmp_path / "fb.csv"
    path.write_text("ID,Kunde,Zeit,Empfehlung\nd1,c1,2024-02-01,9\n", encoding="utf-8")
    mapping = parse_mapping({"feedback": {"columns": {"ID": "response_id", "Kunde": "customer_id",
                                                      "Zeit": "timestamp", "Empfehlung": "nps", "Missing": "comment"}}})
    out = io.StringIO()
    [r] = ingest_files(store, [path], kind="feedback", mapping=mapping, console=Console(file=out, width=400))
    assert r.rows_stored == 1
    assert "the mapping names column(s) 'Missing' that the file lacks" in out.getvalue()

    both = tmp_path / "ab.csv"
    both.write_text("A,B,response_id,timestamp,nps\nc1,c2,r1,2024-02-01,9\n", encoding="utf-8")
    twice = parse_mapping({"feedback": {"columns": {"A": "customer_id", "B": "customer_id"}}})
    with pytest.raises(MappingError, match=r"maps both columns 'A' and 'B' onto feedback\.customer_id"):
        ingest_files(store, [both], kind="feedback", mapping=twice)
    assert rows(store, "SELECT count(*) FROM feedback WHERE response_id = 'r1'") == [(0,)]


def test_malformed_csv_row_keeps_its_source_text_in_value(store, tmp_path):
    import json

    path = tmp_path / "customers.csv"
    long_tail = "x" * 800
    path.write_text(f"customer_id,language,region\nn1,en,UK\nn2,de\nn3,de,DE,{long_tail}\n", encoding="utf-8")
    [r] = ingest_files(store, [path], kind="customers")
    assert (r.rows_stored, r.rows_quarantined) == (1, 2)
    got = rows(store, "SELECT line, reason, value, raw FROM quarantine ORDER BY line")
    assert [(line, reason, value) for line, reason, value, _ in got][0] == (2, "malformed CSV row", "n2,de")
    assert got[1][2] == f"n3,de,DE,{long_tail}"[:500]
    assert json.loads(got[1][3])["_raw_line"] == f"n3,de,DE,{long_tail}"


def test_a_store_made_before_the_mapping_column_gains_it(store, fixtures):
    store.con.con.execute("ALTER TABLE ingestions DROP COLUMN mapping_sha256")
    [first] = ingest_files(store, [fixtures / "customers.csv"])
    [again] = ingest_files(store, [fixtures / "customers.csv"])
    assert (first.rows_stored, again.skipped_identical, again.rows_already_stored) == (3, True, 3)


def test_detection_sees_non_ascii_lines_beyond_the_first_read_chunk_and_across_its_edge(tmp_path):
    chunk = 8 << 20  # detect_encoding reads 8 MiB at a time
    line = b"a" * 79 + b"\n"
    head = line * (chunk // len(line) - 1) + b"b" * 60  # the Chinese row below straddles the chunk edge
    path = tmp_path / "late.csv"
    path.write_bytes(head + ",快递太慢了，客服态度很差\n".encode("gbk") + line * 10)
    assert detect_encoding(path) == "gb18030"
    path.write_bytes(line * (chunk // len(line) + 10) + "Preis 5 € „gut“\n".encode("cp1252"))
    assert detect_encoding(path) == "cp1252"


def test_a_row_missing_two_fields_is_quarantined_once_and_later_rows_keep_their_numbers(store, tmp_path):
    path = tmp_path / "customers.csv"
    # row 2 lacks two fields (DuckDB reports it once per missing field); rows 3 and 5 name a customer twice
    path.write_text("customer_id,language,region\nn1,en,UK\nn2\nn1,de,DE\nn4,de,DE\nn4,en,US\n", encoding="utf-8")
    [r] = ingest_files(store, [path], kind="customers")
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (5, 2, 3)
    got = rows(store, "SELECT line, reason FROM quarantine ORDER BY line")
    assert got == [(2, "malformed CSV row"), (3, "duplicate customer_id in file"), (5, "duplicate customer_id in file")]
