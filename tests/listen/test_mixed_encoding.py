"""A UTF-8 file with a few lines pasted from a Latin-1/Windows-1252 (or GBK) source is read as UTF-8 line by
line (reviewer's audit, round 2): only the lines that are not UTF-8 are decoded in the legacy encoding."""

from __future__ import annotations

import codecs

import pandas as pd

from empathica.listen import detect_encoding, ingest_files, inspect_file
from empathica.listen.readers import transcode_to_utf8

from .conftest import rows

HEADER = "review_id,brand,timestamp,text,rating\n"
TEXTS = ["快递太慢了，客服态度很差", "Größe passt", "très bien", "质量很好"] * 3
UTF8_ROWS = [f"u{i},Lumen,2024-01-02,{t},4\n" for i, t in enumerate(TEXTS)]
PASTED = "p1,Lumen,2024-01-02,„Preis 5 €“ – zu teuer für Müller,2\n"


def _mixed_file(tmp_path, *, pasted: str = PASTED, legacy: str = "cp1252", bom: bool = False):
    path = tmp_path / "mixed.csv"
    body = (HEADER + "".join(UTF8_ROWS[:6])).encode("utf-8")
    tail = "".join(UTF8_ROWS[6:]).encode("utf-8")
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + body + pasted.encode(legacy) + tail)
    return path


def test_one_pasted_windows_1252_row_does_not_garble_the_utf8_rows(store, tmp_path):
    path = _mixed_file(tmp_path)
    assert detect_encoding(path) == "utf-8+cp1252"
    [r] = ingest_files(store, [path], kind="reviews")
    assert (r.error, r.rows_stored) == (None, 13)
    texts = dict(rows(store, "SELECT review_id, text FROM reviews"))
    assert texts["u0"] == "快递太慢了，客服态度很差" and texts["u1"] == "Größe passt" and texts["u11"] == "质量很好"
    assert texts["p1"] == "„Preis 5 €“ – zu teuer für Müller"


def test_the_mixed_codec_works_wherever_an_encoding_name_is_taken(tmp_path):
    path = _mixed_file(tmp_path, bom=True)
    encoding = detect_encoding(path)
    expected = HEADER + "".join(UTF8_ROWS[:6]) + PASTED + "".join(UTF8_ROWS[6:])
    with open(path, encoding=encoding, newline="") as fh:  # incremental decoder; the BOM is dropped
        assert fh.read() == expected
    assert path.read_bytes().decode(encoding) == expected
    frame = pd.read_csv(path, encoding=encoding, dtype=str)
    assert list(frame.columns) == ["review_id", "brand", "timestamp", "text", "rating"]
    assert frame.loc[frame.review_id == "p1", "text"].item() == "„Preis 5 €“ – zu teuer für Müller"
    copy = transcode_to_utf8(path, encoding, False)
    try:
        assert copy.read_text(encoding="utf-8") == expected
    finally:
        copy.unlink()
    source = inspect_file(path)
    try:
        assert source.encoding == "utf-8+cp1252" and source.columns[0] == "review_id"
    finally:
        source.close()


def test_a_pasted_gbk_row_is_decoded_as_gbk_and_a_latin1_one_as_latin1(tmp_path):
    gbk = _mixed_file(tmp_path, pasted="g1,Lumen,2024-01-02,快递太慢了，客服态度很差，质量不好,1\n", legacy="gbk")
    assert detect_encoding(gbk) == "utf-8+gb18030"
    assert "g1,Lumen,2024-01-02,快递太慢了，客服态度很差，质量不好,1\n" in gbk.read_bytes().decode("utf-8+gb18030")
    latin = _mixed_file(tmp_path, pasted="l1,Lumen,2024-01-02,Genève ist schön,4\n", legacy="latin-1")
    assert detect_encoding(latin) == "utf-8+latin-1"


def test_a_line_split_across_reads_is_decoded_whole(tmp_path):
    decoder = codecs.getincrementaldecoder("utf-8+cp1252")()
    data = "a,Größe\nb,".encode() + "Müller €\n".encode("cp1252") + "c,质量\n".encode()
    out = "".join(decoder.decode(data[i:i + 1]) for i in range(len(data))) + decoder.decode(b"", final=True)
    assert out == "a,Größe\nb,Müller €\nc,质量\n"


def test_files_mostly_in_a_legacy_encoding_keep_it(tmp_path):
    # Most non-ASCII lines invalid UTF-8: the file is Windows-1252, with one line that happens to be valid.
    path = tmp_path / "legacy.csv"
    lines = [f"w{i},Lumen,2024-01-02,Größe passt für Müller – „gut“ {i},4\n".encode("cp1252") for i in range(5)]
    path.write_bytes(HEADER.encode() + b"".join(lines) + "x,Lumen,2024-01-02,Größe,4\n".encode("utf-8"))
    assert detect_encoding(path) == "cp1252"


def test_two_adjacent_pasted_rows_are_each_decoded_once(store, tmp_path):
    """Two legacy lines next to each other (reviewer's finding): the second bad line starts right after the
    first, so the search for its line start must not run back to the start of the chunk — that decoded
    every row before it a second time, as mojibake, and judged the encoding on UTF-8 rows too."""
    second = "p2,Lumen,2024-01-02,Lieferung „pünktlich“ für 9,99 €,5\n".replace("9,99", "9.99")
    for pasted, legacy, expected in ((PASTED + second, "cp1252", "utf-8+cp1252"),
                                     ("g1,Lumen,2024-01-02,快递太慢了，质量很差,1\ng2,Lumen,2024-01-02,客服态度很好,5\n",
                                      "gb18030", "utf-8+gb18030")):
        path = _mixed_file(tmp_path, pasted=pasted, legacy=legacy)
        assert detect_encoding(path) == expected
        text = HEADER + "".join(UTF8_ROWS[:6]) + pasted + "".join(UTF8_ROWS[6:])
        copy = transcode_to_utf8(path, expected, False)
        try:
            assert copy.read_text(encoding="utf-8") == text
        finally:
            copy.unlink()
        store.con.raw_sql("DELETE FROM reviews")
        [r] = ingest_files(store, [path], kind="reviews", force=True)
        assert (r.error, r.rows_read, r.rows_stored, r.rows_quarantined) == (None, 14, 14, 0)
