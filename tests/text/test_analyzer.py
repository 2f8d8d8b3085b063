"""The analyzer's contract, its held-out accuracy and calibration, and its handling of bad input."""

import numpy as np
import pytest

from empathica.understand.text import COLUMNS, EMOTIONS, SENTIMENTS, TextAnalyzer, detect_language
from empathica.understand.text import corpora
from empathica.understand.text.calibration import expected_calibration_error
from empathica.understand.text.normalize import MAX_CHARS

from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "zh" / "ChnSentiCorp_htl_all.csv").is_file(), reason="../shared/data not present")

BAD = [
    "",
    "   \n\t ",
    None,
    float("nan"),
    "😀😀😀",
    "😡😡",
    "!!!???",
    "x" * 100_000,
    "Der Zug war pünktlich, but the refund never came 退款还没到",
    "Die Lieferung war schÃ¶n schnell, danke!",  # UTF-8 read as cp1252
    "å¿«é€’å¤ªæ…¢äº†",  # 快递太慢了, mis-decoded
    "\ufffd\ufffd\ufffd\ufffd",
    12345,
]


def test_contract_columns_and_types(analyzer):
    out = analyzer.analyze(["The refund never arrived.", "Die Lieferung kam pünktlich, super!", "快递太慢了"])
    assert list(out.columns) == COLUMNS
    assert out["lang"].tolist() == ["en", "de", "zh"]
    assert set(out["sentiment"]) <= set(SENTIMENTS)
    assert set(out["emotion"]) <= set(EMOTIONS)
    assert out["sentiment_score"].between(-1, 1).all()
    assert out["confidence"].between(0, 1).all() and out["emotion_confidence"].between(0, 1).all()
    assert all(isinstance(a, list) for a in out["aspects"])


@pytest.mark.parametrize("text,lang,sentiment,aspects", [
    ("I returned the laptop three weeks ago and I'm still waiting for my refund. Ridiculous.", "en", "negative", {"refund"}),
    ("Die Lieferung kam zwei Wochen zu spät und niemand hat sich gemeldet. Unverschämt!", "de", "negative", {"delivery_delay"}),
    ("快递太慢了，等了十天才到，退款也一直没到账，太失望了", "zh", "negative", {"delivery_delay", "refund"}),
    ("Thank you so much, the staff were so friendly and helpful!", "en", "positive", {"staff_attitude"}),
    ("房间很干净，服务态度非常好，下次还会再来", "zh", "positive", {"cleanliness", "staff_attitude"}),
])
def test_known_texts(analyzer, text, lang, sentiment, aspects):
    row = analyzer.analyze([text]).iloc[0]
    assert row["lang"] == lang
    assert row["sentiment"] == sentiment
    assert aspects <= set(row["aspects"])


def test_emotions_follow_cues(analyzer):
    out = analyzer.analyze([
        "I am furious, this is unacceptable and a scam!",
        "Vielen Dank für die schnelle Hilfe!",
        "I'm really worried my order got lost, it had my medication in it.",
    ])
    assert out["emotion"].tolist() == ["anger", "gratitude", "anxiety"]


def test_bad_input_never_breaks_a_batch(analyzer):
    out = analyzer.analyze(BAD)
    assert len(out) == len(BAD)
    by_text = dict(zip(range(len(BAD)), out.to_dict("records")))
    for i in (0, 1, 2, 3, 6, 11):  # nothing to judge: undetermined, neutral, no confidence
        assert by_text[i]["lang"] == "und" and by_text[i]["sentiment"] == "neutral" and by_text[i]["confidence"] == 0
    assert by_text[0]["note"] == "empty" and by_text[11]["note"] == "undecodable"
    assert by_text[4]["lang"] == "und" and by_text[4]["sentiment"] == "positive" and by_text[4]["confidence"] <= 0.5
    assert by_text[5]["sentiment"] == "negative" and by_text[5]["emotion"] == "anger"
    assert by_text[7]["note"] == f"truncated to {MAX_CHARS} characters"
    assert by_text[8]["lang"] in {"en", "de", "zh"} and "refund" in by_text[8]["aspects"]
    assert by_text[9]["note"] == "mojibake repaired" and by_text[9]["lang"] == "de"
    assert by_text[10]["lang"] == "zh" and "delivery_delay" in by_text[10]["aspects"]
    assert by_text[12]["lang"] == "und"


def test_empty_batch(analyzer):
    assert list(analyzer.analyze([]).columns) == COLUMNS


def test_detect_language_undetermined_cases():
    assert detect_language(["", "👍", "ok", "12:30", "Привет, как дела?", "こんにちは、元気ですか"]) == ["und"] * 6
    assert detect_language(["Wo bleibt meine Rückerstattung?", "Where is my refund?", "我的退款呢？"]) == ["de", "en", "zh"]


@needs_data
@pytest.mark.parametrize("loader,minimum", [(corpora.chnsenticorp, 0.99), (corpora.germeval, 0.99), (corpora.airline, 0.99)])
def test_language_identification_on_held_out(loader, minimum):
    corpus = loader()
    texts, _ = corpus.part("test")
    found = detect_language(texts)
    assert np.mean([f == corpus.lang for f in found]) >= minimum


@needs_data
@pytest.mark.parametrize("loader,head,accuracy,macro_f1", [
    (corpora.chnsenticorp, "zh", 0.90, 0.88),   # target macro-F1 >= 0.88
    (corpora.airline, "en", 0.82, 0.75),        # targets: accuracy >= 0.82, macro-F1 >= 0.75
    # German: the cascade head, tested in test_cascade.py (its e5 step is too slow for every held-out row here)
])
def test_held_out_sentiment_and_calibration(analyzer, loader, head, accuracy, macro_f1):
    from sklearn.metrics import accuracy_score, f1_score

    corpus = loader()
    texts, labels = corpus.part("test")
    model = analyzer.sentiment_heads_[head]
    proba = model.predict_proba(texts)
    predicted = model.classes_[proba.argmax(axis=1)]
    assert accuracy_score(labels, predicted) >= accuracy
    assert f1_score(labels, predicted, average="macro") >= macro_f1
    assert expected_calibration_error(proba.max(axis=1), predicted == np.asarray(labels)) <= 0.05


def test_user_aspect_file_extends_catalogue(tmp_path):
    extra = tmp_path / "aspects.toml"
    extra.write_text('[parking]\nlabel = "Parking"\nen = ["parking"]\nde = ["parkplatz"]\nzh = ["停车"]\n'
                     '[refund]\nen = ["store credit"]\n', encoding="utf-8")
    analyzer = TextAnalyzer(aspects_file=extra).load()
    out = analyzer.analyze(["No parking anywhere near the store.", "They only offered store credit.", "停车太难了"])
    assert "parking" in out.loc[0, "aspects"] and "refund" in out.loc[1, "aspects"] and "parking" in out.loc[2, "aspects"]


def test_bad_aspect_file_names_the_problem(tmp_path):
    from empathica.errors import InputError

    extra = tmp_path / "aspects.toml"
    extra.write_text('[parking]\nen = ["(unclosed"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"\[parking\] en"):
        TextAnalyzer(aspects_file=extra).load()


@needs_data
def test_chinese_emotion_agrees_with_a_sure_polarity(analyzer):
    """The zh emotion head (trained on CLUE social-media posts) leans to "joy" on complaints; where the
    sentiment is sure, the emotion is chosen among those of its polarity (held-out hotel reviews)."""
    texts, _ = corpora.chnsenticorp().part("test")
    result = analyzer.analyze(texts)
    sure = result["confidence"] >= 0.8
    negative = sure & (result["sentiment"] == "negative")
    positive = sure & (result["sentiment"] == "positive")
    assert negative.sum() > 100 and positive.sum() > 300
    assert not result.loc[negative, "emotion"].isin(["joy", "gratitude", "neutral"]).any()
    assert not result.loc[positive, "emotion"].isin(["anger", "frustration", "anxiety", "sadness"]).any()
    assert result["emotion_confidence"].between(0, 1).all()
    one = analyzer.analyze(["快递太慢了，客服态度也很差，非常失望"]).iloc[0]
    assert one["sentiment"] == "negative" and one["emotion"] not in ("joy", "gratitude")


@pytest.mark.parametrize("text,present,absent", [
    ("退款还没到账，客服也不回复", {"refund", "communication"}, {"delivery_delay"}),
    ("快递还没到，已经一个星期了", {"delivery_delay"}, set()),
    ("I waited 3 days for a reply from support about my bill", {"communication"}, {"delivery_delay"}),
    ("I waited two weeks and the package never came", {"delivery_delay"}, set()),
])
def test_aspects_do_not_mistake_one_pain_point_for_another(analyzer, text, present, absent):
    """Precision cases: a refund not yet credited (退款还没到账) is not a late parcel, and waiting for a
    reply is communication, not delivery."""
    found = set(analyzer.analyze([text]).iloc[0]["aspects"])
    assert present <= found and not (absent & found)


def test_mixed_language_texts_follow_the_documented_rule():
    """Chinese once its characters are ≥ 30 % of the letters (a Latin word counts ~4 letters), else lingua
    chooses between en and de on the whole text (docs/text.md, "Language")."""
    texts = [
        "The hotel near 西湖 was clean and the staff were very friendly",  # 2 characters among ~11 words: en
        "Die Lieferung nach 上海 kam zwei Wochen zu spät und niemand hat sich gemeldet",  # de
        "快递太慢了，等了十天才到，customer service never answered",  # mostly Chinese: zh
        "Der Zug war pünktlich, but the refund never came 退款还没到",  # 5 characters vs ~10 words: zh
    ]
    assert detect_language(texts) == ["en", "de", "zh", "zh"]


def test_brand_names_are_masked_before_the_heads_read_a_text():
    """A brand's name is no opinion: the names the analyzer is given are taken out (whole words, any case, also
    beside Chinese characters) before the sentiment head reads a text; other words that contain them are kept."""
    from empathica.understand.text.normalize import mask_names

    names = ("Lumen", "Lumen Express")
    masked = mask_names(["Bei LUMEN EXPRESS bestellt, nie wieder.", "在Lumen买的，很失望", "Lumenfeld ist ein Ort."], names)
    assert "express" not in masked[0].lower() and "lumen" not in masked[0].lower()
    assert "Lumen" not in masked[1] and "很失望" in masked[1]
    assert masked[2] == "Lumenfeld ist ein Ort."
    assert mask_names(["Lumen"], ()) == ["Lumen"]
