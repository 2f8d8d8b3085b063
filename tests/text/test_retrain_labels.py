"""Labels of `empathica text train`: what 0 means, which emotions are allowed, and the errors."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.errors import InputError
from empathica.understand.text import EMOTIONS
from empathica.understand.text.retrain import normalise_labels, retrain, zero_means


def test_zero_is_neutral_with_three_numeric_classes():
    assert zero_means(["-1", "0", "1", "0"]) == "neutral"
    assert normalise_labels(["-1", "0", "1", "0.0", "-1.0"]) == ["negative", "neutral", "positive", "neutral", "negative"]
    assert normalise_labels([-1, 0, 1]) == ["negative", "neutral", "positive"]


def test_zero_is_negative_with_two_numeric_classes():
    assert zero_means(["0", "1", "1"]) == "negative"
    assert normalise_labels(["0", "1", "1.0", 0]) == ["negative", "positive", "positive", "negative"]
    assert zero_means(["positive", "negative"]) is None


def test_an_unknown_sentiment_label_names_row_column_and_the_choices():
    with pytest.raises(InputError) as err:
        normalise_labels(["0", "1", "2"], source="f.csv", label_column="stars")
    message = str(err.value)
    assert "f.csv: row 4, column stars" in message and "'2'" in message
    assert "-1/0/1 with 0 as neutral" in message and "0/1 with 0 as negative" in message


def test_emotion_labels_are_checked_and_aliases_mapped():
    assert normalise_labels([" Anger ", "angry", "HAPPY", "fear", "sad", "thanks", "Grateful", "neutral", ""], task="emotion") == [
        "anger", "anger", "joy", "anxiety", "sadness", "gratitude", "gratitude", "neutral", ""]
    assert set(normalise_labels(list(EMOTIONS), task="emotion")) == set(EMOTIONS)
    for bad, row in (("angry!!", 3), ("meh", 3)):
        with pytest.raises(InputError) as err:
            normalise_labels(["joy", bad], task="emotion", source="e.csv", label_column="feeling")
        message = str(err.value)
        assert f"e.csv: row {row}, column feeling" in message and repr(bad) in message
        assert all(e in message for e in EMOTIONS)


def _labelled(n_per_class: int, labels: dict[str, list[str]]) -> pd.DataFrame:
    rows = []
    for label, phrases in labels.items():
        for i in range(n_per_class):
            rows.append({"text": f"{phrases[i % len(phrases)]} order {i}", "label": label})
    return pd.DataFrame(rows)


NEG = ["the parcel is late and nobody answers", "terrible service and a broken product", "worst support ever, still no refund"]
NEU = ["the parcel arrived on tuesday", "I ordered a blue shirt in size M", "the invoice lists two items"]
POS = ["great service, thank you so much", "fast delivery and a lovely product", "excellent support, very happy"]


def test_train_with_minus_one_zero_one_learns_three_classes(tmp_path):
    src, out = tmp_path / "l.csv", tmp_path / "m"
    _labelled(20, {"-1": NEG, "0": NEU, "1": POS}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "train", str(src), "--text-column", "text", "--label-column", "label",
                                       "--lang", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "label 0 read as neutral" in result.output
    metrics = json.loads((out / "sentiment_metrics.json").read_text())
    assert metrics[0]["classes"] == ["negative", "neutral", "positive"]
    assert "Label 0 read as neutral" in (out / "MODEL_CARD.md").read_text()


def test_train_with_zero_one_learns_negative_and_positive(tmp_path):
    out = tmp_path / "m"
    frame = _labelled(25, {"0": NEG, "1": POS})
    results = retrain(frame["text"], frame["label"], lang="en", out=out)
    assert results[0]["classes"] == ["negative", "positive"]


def test_train_emotion_rejects_a_label_outside_the_set(tmp_path):
    src = tmp_path / "e.csv"
    pd.DataFrame({"text": ["so angry", "meh whatever", "thanks"], "emo": ["angry", "meh", "thanks"]}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "train", str(src), "--text-column", "text", "--label-column", "emo",
                                       "--task", "emotion", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "row 3, column emo" in result.output and "'meh'" in result.output and "gratitude" in result.output


def test_train_names_a_missing_label_column_by_its_option(tmp_path):
    src = tmp_path / "l.csv"
    pd.DataFrame({"text": ["a"], "sentiment": ["positive"]}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "train", str(src), "--text-column", "text", "--label-column", "label"])
    assert result.exit_code == 2
    assert "no column 'label' (named by --label-column)" in result.output and "--id-column" not in result.output
