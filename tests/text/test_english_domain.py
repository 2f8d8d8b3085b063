"""The English sentiment head out of its training domain (airline tweets): the VADER lexicon stack.

The shipped head is checked on the airline held-out rows (the targets) and on the demo world's
labelled English texts (shop reviews, feedback and chat turns: a domain it never saw, a test set only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from empathica.understand.text import corpora
from empathica.understand.text.calibration import expected_calibration_error
from empathica.understand.text.heads import LexiconStackHead, NgramHead, lexicon_features

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "en" / "airline_tweets.csv").is_file(), reason="../shared/data not present")


@pytest.fixture(scope="module")
def english_head(analyzer):
    return analyzer.sentiment_heads_["en"]


@pytest.fixture(scope="module")
def demo_english(tmp_path_factory):
    """The demo world's labelled English texts (600 customers, seed 7), with their planted polarity."""

    from empathica.demo import generate_world, labelled_texts

    data = tmp_path_factory.mktemp("demo") / "data"
    generate_world(data, customers=600, seed=7)
    labelled = labelled_texts(data)
    english = labelled[labelled["language"] == "en"]
    assert len(english) > 200 and set(english["polarity"]) == {"negative", "positive"}
    return english["text"].tolist(), english["polarity"].to_numpy()


def test_lexicon_features_read_general_english_praise_and_complaint():
    feats = lexicon_features(["I love it, absolutely wonderful!", "Terrible, the worst service ever.", "", "The parcel is here."])
    assert feats.shape == (4, 4)
    compound, pos, neg, neu = feats.T
    assert compound[0] > 0.5 and pos[0] > neg[0]
    assert compound[1] < -0.5 and neg[1] > pos[1]
    assert compound[2] == 0.0 and compound[3] == 0.0 and neu[3] == 1.0
    assert np.allclose(feats[:2, 1:].sum(axis=1), 1.0, atol=0.01)  # pos + neg + neu shares
    assert lexicon_features([]).shape == (0, 4)


def test_the_shipped_english_head_is_the_lexicon_stack(english_head):
    assert isinstance(english_head, LexiconStackHead)
    assert list(english_head.classes_) == ["negative", "neutral", "positive"]
    assert english_head.meta_.coef_.shape == (3, 3 + 4)  # n-gram log-probabilities + 4 lexicon scores
    proba = english_head.predict_proba(["Great service, thank you!", "Lost my bag again, awful.", ""])
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(english_head.predict(["Great service, thank you!", "Lost my bag again, awful."])) == ["positive", "negative"]


@needs_data
def test_the_shipped_english_head_meets_the_airline_targets(english_head):
    texts, labels = corpora.airline().part("test")
    proba = english_head.predict_proba(texts)
    predicted = english_head.classes_[proba.argmax(axis=1)]
    assert accuracy_score(labels, predicted) >= 0.82
    assert f1_score(labels, predicted, average="macro") >= 0.75
    assert expected_calibration_error(proba.max(axis=1), predicted == np.asarray(labels)) <= 0.05
    # and it is better there than its own n-gram expert alone (0.820 / 0.766 on these rows)
    alone = english_head.ngram_.predict(texts)
    assert accuracy_score(labels, predicted) > accuracy_score(labels, alone)


def test_praise_outside_airline_tweets_reads_as_praise(english_head, demo_english):
    texts, polarity = demo_english
    predicted = english_head.predict(texts)
    alone = english_head.ngram_.predict(texts)
    positive = polarity == "positive"
    # the airline-only n-gram head calls about a third of this praise negative; the stack far less
    assert np.mean(predicted[positive] == "negative") < 0.75 * np.mean(alone[positive] == "negative")
    assert accuracy_score(polarity, predicted) >= 0.88
    assert accuracy_score(polarity, predicted) > accuracy_score(polarity, alone) + 0.03
    # complaints stay complaints
    assert np.mean(predicted[~positive] == "negative") >= 0.95


def test_the_analyzer_scores_praise_positive_through_the_stack(analyzer):
    out = analyzer.analyze(["Impressed, honestly. Paying was smooth, even with my foreign card. Very satisfied. Thanks again.",
                            "The payment page errored out at the last step and charged me twice. Fix it, please."])
    assert out["sentiment"].tolist() == ["positive", "negative"]
    assert out.loc[0, "sentiment_score"] > 0 > out.loc[1, "sentiment_score"]


@needs_data
def test_a_small_stack_fits_sklearn_shaped_and_round_trips(tmp_path):
    import joblib

    from empathica.understand.text.training import save_head

    texts, labels = corpora.airline().part("train")
    rng = np.random.default_rng(0)
    rows = rng.choice(len(texts), size=1500, replace=False)
    texts, labels = [texts[i] for i in rows], [labels[i] for i in rows]
    head = LexiconStackHead(meta_C=1.0, seed=3)
    assert head.fit(texts, labels) is head
    assert set(head.cv_accuracy_) == {"ngram_lr", "lexicon_stack"}
    assert head.scaler_.temperature_ > 0 and head.ngram_.scaler_.temperature_ > 0
    probe = ["Thanks, the crew were great!", "Flight delayed three hours, no info.", "When does boarding start?"]
    before = head.predict_proba(probe)
    save_head(head, tmp_path / "en.joblib")
    again = joblib.load(tmp_path / "en.joblib")
    assert not hasattr(again.ngram_, "oof_log_proba_")
    assert np.allclose(again.predict_proba(probe), before, atol=1e-5)
    assert isinstance(again.ngram_, NgramHead) and again.model_ is again.ngram_.model_
