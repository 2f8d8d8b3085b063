"""`empathica text score|topics|train` on real files."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.understand.text import corpora

from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "zh" / "ChnSentiCorp_htl_all.csv").is_file(), reason="../shared/data not present")

COMMENTS = [
    "The parcel arrived two weeks late and nobody told me why.",
    "Still waiting for my refund, it's been a month!",
    "Great service, thank you!",
    "Die Lieferung kam viel zu spät.",
    "Ich warte immer noch auf meine Rückerstattung.",
    "快递太慢了，等了一个星期",
    "退款一直没到账",
    "",
    "😡",
    "Call me on +49 170 1234567 or mail jane.doe@example.com",
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_score_round_trips_each_format(tmp_path, suffix):
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(len(COMMENTS))], "comment": COMMENTS})
    src, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    if suffix == ".csv":
        frame.to_csv(src, index=False)
    elif suffix == ".jsonl":
        frame.to_json(src, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(src)
    result = CliRunner().invoke(main, ["text", "score", str(src), "--text-column", "comment", "--id-column", "id", "--out", str(out)])
    assert result.exit_code == 0, result.output
    got = {".csv": pd.read_csv, ".jsonl": lambda p: pd.read_json(p, lines=True), ".parquet": pd.read_parquet}[suffix](out)
    assert len(got) == len(COMMENTS)
    assert got["id"].tolist() == frame["id"].tolist()
    for col in ["lang", "sentiment", "sentiment_score", "confidence", "emotion", "emotion_confidence", "aspects"]:
        assert col in got.columns
    aspects = got["aspects"].map(lambda a: json.loads(a) if isinstance(a, str) else list(a))
    assert "delivery_delay" in aspects[0] and "refund" in aspects[1] and "delivery_delay" in aspects[5] and "refund" in aspects[6]
    assert got["lang"].tolist()[:7] == ["en", "en", "en", "de", "de", "zh", "zh"]
    assert "jane.doe@example.com" not in str(got.loc[9, "comment"])  # PII redacted (setting redact_pii, on by default)


def test_score_names_a_missing_column(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["a"]}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "score", str(src), "--text-column", "comment", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "no column 'comment'" in result.output and "text" in result.output


def test_topics_finds_the_themes(tmp_path):
    themes = [
        [f"The delivery was late again, the parcel arrived {d} days late" for d in range(2, 12)]
        + [f"My parcel delivery is {d} days late, late delivery again" for d in range(2, 12)],
        [f"Refund still missing after {d} days, where is my refund money" for d in range(2, 12)]
        + [f"I want my refund, the refund of {d} euros never came" for d in range(2, 12)],
        [f"The app crashes at login, the app keeps crashing {d} times" for d in range(2, 12)]
        + [f"App login broken, the app crashes every time ({d})" for d in range(2, 12)],
        [f"快递太慢了，物流等了{d}天" for d in "一二三四五六七八九十"] + [f"物流太慢，快递{d}天才到" for d in "一二三四五六七八九十"],
    ]
    rows = [r for theme in themes for r in theme]
    src = tmp_path / "in.csv"
    pd.DataFrame({"comment": rows}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "topics", str(src), "--text-column", "comment", "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    topics = pd.read_csv(tmp_path / "t" / "topics.csv")
    assignments = pd.read_csv(tmp_path / "t" / "assignments.csv")
    assert len(assignments) == len(rows) and len(topics) >= 4
    keywords = " ".join(topics["keywords"])
    for word in ("delivery", "refund", "app", "快递"):
        assert word in keywords
    # with k = 4 each planted theme lands (mostly) in its own topic
    result = CliRunner().invoke(main, ["text", "topics", str(src), "--text-column", "comment", "--out", str(tmp_path / "t4"), "--k", "4"])
    assert result.exit_code == 0, result.output
    assignments = pd.read_csv(tmp_path / "t4" / "assignments.csv")
    majorities = []
    for start in range(0, 80, 20):
        counts = assignments["topic"][start:start + 20].value_counts()
        assert counts.iloc[0] >= 16
        majorities.append(counts.index[0])
    assert len(set(majorities)) == 4


@needs_data
def test_train_retrains_and_the_model_is_used(tmp_path):
    corpus = corpora.airline()
    texts, labels = corpus.part("train")
    src = tmp_path / "labelled.csv"
    pd.DataFrame({"text": texts[:900], "label": labels[:900]}).to_csv(src, index=False)
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["text", "train", str(src), "--text-column", "text", "--label-column", "label", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "sentiment_en: trained on" in result.output and "accuracy" in result.output
    assert (out / "sentiment_en.joblib").is_file()
    from empathica.understand.text import TextAnalyzer

    retrained = TextAnalyzer(model_dir=out).load()
    assert retrained.sentiment_heads_["en"].model_.coef_.shape != TextAnalyzer.default().sentiment_heads_["en"].model_.coef_.shape
    assert retrained.analyze(["@united worst airline ever, lost my bag"]).loc[0, "sentiment"] == "negative"


def test_train_names_a_bad_label(tmp_path):
    src = tmp_path / "labelled.csv"
    pd.DataFrame({"text": ["good", "bad"], "label": ["positive", "meh"]}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "train", str(src), "--text-column", "text", "--label-column", "label", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "row 3" in result.output and "'meh'" in result.output


PII = {
    "phone": "+49 171 2345678",
    "email": "jane.doe@example.com",
    "card": "4111 1111 1111 1111",  # passes the Luhn check
    "iban": "DE89 3704 0044 0532 0130 00",  # valid mod-97 check digits
    "cn_id": "11010519491231002X",  # valid ISO 7064 check character and birth date
    "cn_mobile": "13812345678",
}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_score_redacts_every_kind_of_personal_data(tmp_path, suffix):
    comments = [
        f"Call me on {PII['phone']} about the late parcel",
        f"Mail me at {PII['email']}, where is my refund?",
        f"You charged my card {PII['card']} twice",
        f"Bitte überweisen Sie auf {PII['iban']} zurück",
        f"我的身份证号是{PII['cn_id']}，快递太慢了",
        f"电话 {PII['cn_mobile']}，退款一直没到账",
        f"All at once: {PII['phone']} / {PII['email']} / {PII['card']} / {PII['iban']} / {PII['cn_id']}",
    ]
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(len(comments))], "comment": comments})
    src, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    if suffix == ".csv":
        frame.to_csv(src, index=False)
    else:
        frame.to_json(src, orient="records", lines=True, force_ascii=False)
    result = CliRunner().invoke(main, ["text", "score", str(src), "--text-column", "comment", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8")
    for kind, value in PII.items():
        assert value not in written, kind
        assert value.replace(" ", "") not in written.replace(" ", ""), kind
    for placeholder in ("[PHONE]", "[EMAIL]", "[CARD]", "[IBAN]", "[ID]"):
        assert placeholder in written
    got = pd.read_csv(out) if suffix == ".csv" else pd.read_json(out, lines=True)
    assert len(got) == len(comments) and got["id"].tolist() == frame["id"].tolist()
    assert "快递太慢了" in got.loc[4, "comment"] and "late parcel" in got.loc[0, "comment"]  # the rest of the text stays


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_score_of_a_file_without_rows_writes_an_empty_output(tmp_path, suffix):
    src, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    if suffix == ".csv":
        src.write_text("id,comment\n", encoding="utf-8")
    elif suffix == ".jsonl":
        src.write_text("", encoding="utf-8")
    else:
        pd.DataFrame({"id": pd.Series(dtype=str), "comment": pd.Series(dtype=str)}).to_parquet(src)
    result = CliRunner().invoke(main, ["text", "score", str(src), "--text-column", "comment", "--id-column", "id", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Scored 0 rows" in result.output
    if suffix == ".jsonl":
        assert out.read_bytes() == b""  # JSON Lines has no header: no rows, nothing to write
        return
    got = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert len(got) == 0
    assert got.columns.tolist() == ["id", "comment", "lang", "sentiment", "sentiment_score", "confidence", "emotion",
                                    "emotion_confidence", "aspects", "note"]


def test_train_names_a_bad_label_of_a_parquet_file_by_its_row(tmp_path):
    src = tmp_path / "labelled.parquet"
    pd.DataFrame({"text": ["bad", "good"], "label": ["meh", "positive"]}).to_parquet(src)
    result = CliRunner().invoke(main, ["text", "train", str(src), "--text-column", "text", "--label-column", "label", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "row 1," in result.output and "'meh'" in result.output  # the first row of a Parquet file is row 1


def test_train_on_a_single_label_names_the_file_and_the_label(tmp_path):
    src = tmp_path / "labelled.csv"
    pd.DataFrame({"text": [f"The delivery number {i} was fine and arrived" for i in range(60)], "label": ["neutral"] * 60}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "train", str(src), "--text-column", "text", "--label-column", "label", "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert str(src) in result.output and "'neutral'" in result.output
    assert "np.str_" not in result.output
