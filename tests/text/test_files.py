"""Reading the files `empathica text` scores: encodings, blank lines, ragged rows, bad JSON Lines."""

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.errors import InputError
from empathica.understand.text.files import read_table, write_table


def _score(src, out, *extra):
    return CliRunner().invoke(main, ["text", "score", str(src), "--text-column", "comment", "--out", str(out), *extra])


def test_latin1_csv_is_decoded_and_written_back_as_utf8(tmp_path):
    src, out = tmp_path / "latin1.csv", tmp_path / "out.csv"
    src.write_bytes("id,comment\n1,Die Lieferung kam viel zu spät und ich bin verärgert\n2,Größe passt nicht\n".encode("latin-1"))
    result = _score(src, out, "--id-column", "id")
    assert result.exit_code == 0, result.output
    assert "latin-1" in result.output and "UTF-8" in result.output
    got = pd.read_csv(out, encoding="utf-8")  # strict UTF-8: fails on Latin-1 bytes
    assert got["comment"].tolist() == ["Die Lieferung kam viel zu spät und ich bin verärgert", "Größe passt nicht"]
    assert "\ufffd" not in out.read_text(encoding="utf-8")
    assert got["lang"].tolist() == ["de", "de"]


def test_gbk_csv_is_read_as_chinese(tmp_path):
    src, out = tmp_path / "gbk.csv", tmp_path / "out.csv"
    src.write_bytes("comment\n快递太慢了，等了一个星期\n退款一直没到账\n".encode("gbk"))
    result = _score(src, out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, encoding="utf-8")
    assert got["comment"].tolist() == ["快递太慢了，等了一个星期", "退款一直没到账"]
    assert got["lang"].tolist() == ["zh", "zh"]
    assert got.loc[0, "sentiment"] == "negative"


def test_utf8_with_bom_keeps_the_header(tmp_path):
    src = tmp_path / "bom.csv"
    src.write_bytes("\ufeffcomment\nschön\n".encode("utf-8"))
    frame = read_table(src, text_column="comment")
    assert frame["comment"].tolist() == ["schön"] and frame.attrs["encoding"] == "utf-8"


def test_blank_lines_of_a_one_column_csv_stay_rows(tmp_path):
    src, out = tmp_path / "blank.csv", tmp_path / "out.csv"
    src.write_text("comment\nGreat service thank you!\nThe parcel is late again\n\nWhere is my refund?\nok\n", encoding="utf-8")
    frame = read_table(src, text_column="comment")
    assert frame["comment"].tolist() == ["Great service thank you!", "The parcel is late again", "", "Where is my refund?", "ok"]
    result = _score(src, out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, keep_default_na=False)
    assert len(got) == 5
    assert got.loc[2, "comment"] == "" and got.loc[2, "sentiment"] == "neutral" and got.loc[2, "note"] != ""


@pytest.mark.parametrize("body, line", [
    ("id,comment\n1,a,b\n2,c\n", 2),  # first data row: pandas would take the extra field as an index
    ("id,comment\n1,fine\n2,a,b\n3,c\n", 3),
    ('id,comment\n1,"spans\ntwo lines"\n2,"x",y\n', 4),  # a quoted field over two lines counts both
])
def test_a_ragged_row_names_its_line(tmp_path, body, line):
    src = tmp_path / "ragged.csv"
    src.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(src, text_column="comment", id_column="id")
    message = str(err.value)
    assert str(src) in message and f"line {line} has 3 fields, the header has 2" in message and "quote" in message
    result = _score(src, tmp_path / "out.csv", "--id-column", "id")
    assert result.exit_code == 2 and f"line {line} has 3 fields" in result.output


def test_trailing_empty_fields_are_not_ragged(tmp_path):
    src = tmp_path / "trailing.csv"
    src.write_text("id,comment\n1,late parcel,\n2,no refund,\n", encoding="utf-8")
    frame = read_table(src, text_column="comment", id_column="id")
    assert frame["id"].tolist() == ["1", "2"] and frame["comment"].tolist() == ["late parcel", "no refund"]


@pytest.mark.parametrize("bad, what", [("[1, 2]", "JSON array"), ("not json", "not valid JSON"), ('"text"', "JSON string")])
def test_a_jsonl_line_that_is_not_an_object_is_named(tmp_path, bad, what):
    src = tmp_path / "in.jsonl"
    src.write_text('{"comment": "good"}\n' + bad + '\n{"comment": "bad"}\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(src, text_column="comment")
    assert "line 2" in str(err.value) and what in str(err.value) and str(src) in str(err.value)
    result = _score(src, tmp_path / "out.jsonl")
    assert result.exit_code == 2 and "line 2" in result.output and "Traceback" not in result.output


def test_latin1_jsonl_round_trips_as_utf8(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes('{"id": 1, "comment": "Die Größe ist falsch"}\n\n{"id": 2, "comment": "zu spät"}\n'.encode("latin-1"))
    frame = read_table(src, text_column="comment")
    assert frame["comment"].tolist() == ["Die Größe ist falsch", "zu spät"] and frame.attrs["encoding"] == "latin-1"
    write_table(frame, out)
    assert pd.read_json(out, lines=True, encoding="utf-8")["comment"].tolist() == ["Die Größe ist falsch", "zu spät"]


def test_semicolon_and_tab_separated_files_are_read_by_their_delimiter(tmp_path):
    from empathica.understand.text.files import read_table

    for name, sep in (("semi.csv", ";"), ("tabs.csv", "\t")):
        path = tmp_path / name
        path.write_text(f"id{sep}comment\n1{sep}Die Lieferung kam zu spät, leider\n2{sep}Great service, thanks\n", encoding="utf-8")
        frame = read_table(path, text_column="comment", id_column="id")
        assert frame["comment"].tolist() == ["Die Lieferung kam zu spät, leider", "Great service, thanks"]
        assert frame["id"].tolist() == ["1", "2"]


@pytest.mark.parametrize(("encoding", "prefix"), [("cp950", b""), ("utf-16-le", b"\xff\xfe")])
def test_big5_and_utf16_csv_are_read_as_chinese(tmp_path, encoding, prefix):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    comments = ["快遞太慢了，等了一個星期", "退款一直沒有到帳，客服電話打不通"]
    src.write_bytes(prefix + ("comment\n" + "\n".join(comments) + "\n").encode(encoding))
    result = _score(src, out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, encoding="utf-8")
    assert got["comment"].tolist() == comments
    assert got["lang"].tolist() == ["zh", "zh"]
