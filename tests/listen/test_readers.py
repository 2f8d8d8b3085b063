"""Every reader: CSV delimiters and encodings, JSON Lines, Parquet, XES (including the real helpdesk log)."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from empathica.errors import InputError
from empathica.listen import detect_encoding, ingest_files, inspect_file, sniff_delimiter

from .conftest import quarantine, rows

HEADER = ["customer_id", "language", "region", "segment"]
DATA = [["c1", "de", "München", "Größe"], ["c2", "zh", "上海", "忠诚客户"], ["c3", "en", "Zürich", "new"]]


def _write(path, delim: str, encoding: str, data=DATA, bom: bool = False) -> None:
    text = "\n".join(delim.join(r) for r in [HEADER, *data]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_csv_any_delimiter(store, tmp_path, delim):
    path = tmp_path / "customers.csv"
    _write(path, delim, "utf-8")
    assert inspect_file(path).delimiter == delim
    [r] = ingest_files(store, [path])
    assert (r.table, r.rows_read, r.rows_stored) == ("customers", 3, 3)
    assert rows(store, "SELECT region FROM customers ORDER BY customer_id") == [("München",), ("上海",), ("Zürich",)]


@pytest.mark.parametrize(
    ("encoding", "data", "bom", "detected"),
    [
        ("utf-8", DATA, True, "utf-8"),
        ("gbk", [["c1", "zh", "北京", "新客户"], ["c2", "zh", "上海", "忠诚客户"], ["c3", "zh", "广州", "企业客户"]], False, "gb18030"),
        ("latin-1", [["c1", "de", "München", "Größe"], ["c2", "fr", "Genève", "fidèle"], ["c3", "de", "Köln", "neu"]], False, "latin-1"),
    ],
)
def test_csv_encodings_detected(store, tmp_path, encoding, data, bom, detected):
    path = tmp_path / "customers.csv"
    _write(path, ";", encoding, data=data, bom=bom)
    assert detect_encoding(path) == detected
    [r] = ingest_files(store, [path])
    assert r.rows_stored == 3
    assert rows(store, "SELECT customer_id, region, segment FROM customers ORDER BY customer_id") == [
        (d[0], d[2], d[3]) for d in data
    ]


def test_latin1_german_is_not_mistaken_for_chinese(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("name;stadt\nMüller;Düsseldorf\nSchön;Köln\nJürgen;Möhne\n".encode("latin-1"))
    assert detect_encoding(path) == "latin-1"


def test_sniff_delimiter_respects_quotes():
    assert sniff_delimiter('a;b;c\n"x,y";2;3\n"p,q";5;6\n') == ";"
    assert sniff_delimiter("a,b\n1,2\n") == ","


def test_real_bpi_complaints_latin1_semicolon(shared_data):
    source = inspect_file(shared_data / "journeys" / "BPI2016_Complaints.csv")
    assert (source.delimiter, source.encoding) == (";", "latin-1")
    assert "CustomerID" in source.columns and "ComplaintTheme_EN" in source.columns


def test_jsonl_reader(loaded, fixtures):
    [r] = ingest_files(loaded, [fixtures / "feedback.jsonl"])
    assert r.table == "feedback"
    # 5 JSON objects plus one line that is not JSON; the blank line is not a row
    assert r.rows_read == 5
    assert r.rows_read == r.rows_stored + r.rows_already_stored + r.rows_quarantined
    assert rows(loaded, "SELECT response_id, nps FROM feedback ORDER BY 1") == [("r1", 9), ("r4", 3)]
    # line numbers are the file's own lines (line 2 is blank)
    assert quarantine(loaded) == [
        (3, "nps", "nps out of range 0–10", "11"),
        (4, "(row)", "not a JSON object", None),
        (5, "nps", "nps not a whole number", "7.5"),
    ]
    assert rows(loaded, "SELECT raw FROM quarantine WHERE line = 4") == [("this line is not json",)]
    [(attrs,)] = rows(loaded, "SELECT attributes FROM feedback WHERE response_id = 'r4'")
    assert '"wave":2' in attrs.replace(" ", "")


def test_parquet_reader_keeps_native_types(loaded, tmp_path):
    path = tmp_path / "tx.parquet"
    pq.write_table(pa.table({
        "customer_id": ["c1", "c2", "c3", "c1"],
        "timestamp": pa.array([1_700_000_000_000_000, 1_700_000_100_000_000, None, 1_700_000_200_000_000], type=pa.timestamp("us")),
        "amount": [19.99, -5.0, 3.0, 42.0],
        "currency": ["EUR", "EUR", "EUR", "CNY"],
    }), path, row_group_size=2)
    [r] = ingest_files(loaded, [path])
    assert (r.table, r.rows_read, r.rows_stored, r.rows_quarantined) == ("transactions", 4, 3, 1)
    assert quarantine(loaded) == [(3, "timestamp", "missing timestamp", None)]
    got = rows(loaded, "SELECT customer_id, amount, strftime(timestamp, '%Y-%m-%d %H:%M:%S') FROM transactions ORDER BY amount")
    assert got[0] == ("c2", -5.0, "2023-11-14 22:15:00")


def test_xes_plain(store, fixtures):
    [r] = ingest_files(store, [fixtures / "log.xes"])
    assert (r.table, r.rows_read, r.rows_stored, r.rows_quarantined) == ("events", 3, 2, 1)
    assert any("customers is empty" in n for n in r.notes)
    got = rows(store, "SELECT journey_id, customer_id, touchpoint_id, strftime(timestamp, '%H:%M'), attributes "
                      "FROM events ORDER BY timestamp")
    assert got[0][:4] == ("case-1", "case-1", "browse", "09:00")  # stored in UTC
    assert '"org:resource": "bot"' in got[0][4] and '"trace:channel": "web"' in got[0][4]
    assert quarantine(store) == [(3, "timestamp", "missing timestamp", None)]


def test_xes_gzip_real_helpdesk_log(store, shared_data):
    [r] = ingest_files(store, [shared_data / "journeys" / "helpdesk.xes.gz"])
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (21_348, 21_348, 0)
    assert rows(store, "SELECT count(DISTINCT journey_id), count(*) FROM events") == [(4_580, 21_348)]
    assert rows(store, "SELECT count(DISTINCT event_id), count(DISTINCT touchpoint_id) FROM events") == [(21_348, 14)]
    # the 127 events identical in every attribute to another of their case are kept, as the log holds them
    assert rows(store, "SELECT event_id FROM events WHERE journey_id = 'Case 1' ORDER BY timestamp LIMIT 1") == [("Case 1#1",)]


def test_unknown_extension_and_damaged_gzip(store, tmp_path):
    bad = tmp_path / "data.xlsx"
    bad.write_bytes(b"PK")
    with pytest.raises(InputError, match="unknown file type"):
        ingest_files(store, [bad])
    broken = tmp_path / "log.xes.gz"
    broken.write_bytes(gzip.compress(b"<log><trace><event>")[:-4])
    with pytest.raises(InputError, match="XES"):
        ingest_files(store, [broken], kind="events")


TRADITIONAL = [["c1", "zh", "臺北", "忠誠客戶"], ["c2", "zh", "香港", "企業客戶"], ["c3", "zh", "高雄", "新客戶"]]


@pytest.mark.parametrize(
    ("encoding", "prefix", "data", "detected"),
    [
        ("utf-16-le", b"\xff\xfe", DATA, "utf-16"),  # Excel's "Unicode Text" export: UTF-16 with its mark
        ("utf-16-be", b"\xfe\xff", DATA, "utf-16"),
        ("utf-16-le", b"", DATA, "utf-16-le"),  # no mark: zero bytes in every other position
        ("cp950", b"", TRADITIONAL, "cp950"),  # Big5, from Taiwan or Hong Kong
    ],
)
def test_utf16_and_big5_files_are_detected_and_stored_as_text(store, tmp_path, encoding, prefix, data, detected):
    path = tmp_path / "customers.csv"
    text = "\n".join("\t".join(r) for r in [HEADER, *data]) + "\n"
    path.write_bytes(prefix + text.encode(encoding))
    assert detect_encoding(path) == detected
    source = inspect_file(path)
    assert (source.delimiter, source.columns) == ("\t", HEADER)
    source.close()
    [r] = ingest_files(store, [path])
    assert (r.rows_read, r.rows_stored) == (3, 3)
    assert rows(store, "SELECT customer_id, region, segment FROM customers ORDER BY customer_id") == [
        (d[0], d[2], d[3]) for d in data
    ]


def test_simplified_chinese_is_not_mistaken_for_big5_nor_german_for_either(tmp_path):
    gbk, latin = tmp_path / "gbk.csv", tmp_path / "latin.csv"
    gbk.write_bytes("id,comment\n1,快递太慢了，等了一个星期，退款一直没到账\n2,客服态度很差，电话打不通\n".encode("gbk"))
    latin.write_bytes("id;comment\n1;Àrger über die Verspätung\n2;Größe passt nicht, Rückgabe läuft\n".encode("latin-1"))
    assert detect_encoding(gbk) == "gb18030"
    assert detect_encoding(latin) == "latin-1"


@pytest.mark.parametrize("comment", ["Ärger", "Öl", "Über", "Ärger und Öl"])
def test_a_german_word_starting_with_an_umlaut_is_not_read_as_big5(tmp_path, comment):
    # Windows-1252 "\xc4rger" is also valid Big5 ("礪ger": 0x72 is a Big5 second byte); the fuzz test found it
    path = tmp_path / "feedback.csv"
    path.write_bytes(f"response_id,timestamp,comment\nr0,2024-01-02 03:04:05,{comment}\n".encode("cp1252"))
    assert detect_encoding(path) in ("latin-1", "cp1252")
    assert path.read_bytes().decode(detect_encoding(path)).endswith(f",{comment}\n")
