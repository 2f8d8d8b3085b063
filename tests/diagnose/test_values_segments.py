"""Values-based segments: the segments of the demo's values answers are its planted themes (in every language, not
one segment per language), with the theme's words as keywords and redacted quotes; the planted truth that values go
with churn more than demographics do (TRUTHS.values_and_churn) is recovered out of sample on seeds 1–3."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.diagnose.evidence import customer_evidence
from tests.diagnose.conftest import ingested_world


class _Quiet:
    progress = False


@pytest.fixture(scope="module")
def embedder_cache():
    """One embedder for the module: the demo's answers repeat across seeds, so later seeds embed little."""
    from empathica.understand.text.embeddings import shared_embedder

    return shared_embedder()


def _segments(folder, seed: int, customers: int = 2000):
    from empathica.flywheel.steps.diagnose import _values_segments
    from empathica.store import Store

    path, settings = ingested_world(folder, seed=seed, customers=customers)
    with Store.open(path, settings=settings) as store:
        store.runs.begin(steps=["diagnose"])
        return _values_segments(store, settings, customer_evidence(store), _Quiet())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_values_segments_are_the_planted_themes_across_languages(tmp_path, embedder_cache, seed):
    segments, comparison = _segments(tmp_path, seed)
    # segments are themes, not languages: at least 70 % of the customers are in segments holding all three languages
    per = segments.groupby("segment").agg(languages=("lang", "nunique"), customers=("customers", "sum"))
    assert per.loc[per["languages"] == 3, "customers"].sum() >= 0.7 * per["customers"].sum()
    assert (per["languages"] == 3).sum() >= 3
    # the planted themes show as segments' keywords in English (reliability, price, service)
    english = set(" ".join(segments.loc[segments["lang"] == "en", "keywords"]).replace(",", " ").split())
    for theme_words in ({"delivery", "dates", "arrives", "reliability"}, {"price", "deals", "fees", "fair"},
                        {"help", "listens", "friendly", "helps"}):
        assert english & theme_words, theme_words
    assert segments[segments["lang"] == "zh"]["keywords"].str.len().gt(0).all()
    assert (segments.groupby("lang")["share"].sum().round(6) == 1).all()
    # values over demographics: the churn AUC gain of the values segments is above zero at 95 %
    churn = comparison[comparison["outcome"] == "churn"].set_index("predictors")
    assert churn.loc["values", "score"] > churn.loc["demographics", "score"] and churn.loc["values", "gain_low"] > 0
    # every outcome is compared for the three predictor sets, each score inside its interval
    assert set(comparison["predictors"]) == {"values", "demographics", "both"} and {"nps", "churn"} <= set(comparison["outcome"])
    assert ((comparison["score_low"] <= comparison["score"]) & (comparison["score"] <= comparison["score_high"])).all()


def test_quotes_are_redacted():
    from empathica.diagnose.segments import describe

    answers = pd.DataFrame({"customer_id": ["a", "b", "c"], "lang": "en",
                            "answer": ["Call me on +44 7700 900123 about delivery", "Call me on +44 7700 900123 about delivery",
                                       "fast delivery please"]})
    labels = pd.Series([0, 0, 0], index=["a", "b", "c"])
    from empathica.listen.redaction import redact
    from empathica.understand.text.topics import topic_tokens

    out = describe(answers, labels, tokens=topic_tokens, redact=redact)
    assert "7700" not in out.iloc[0]["quotes"] and "delivery" in out.iloc[0]["keywords"]


def test_embeddings_are_kept_in_the_store_so_a_text_is_embedded_once(store):
    import numpy as np

    from empathica.diagnose.segments import stored_embeddings

    calls: list[str] = []

    def embed(texts):
        calls.extend(texts)
        return np.array([[len(t), 1.0, 0.5] for t in texts], dtype=np.float32)

    store.runs.begin(steps=["diagnose"])
    first = stored_embeddings(store, embed)(["fast delivery", "fair price"])
    store.runs.publish()
    store.runs.begin(steps=["diagnose"])
    second = stored_embeddings(store, embed)(["fair price", "fast delivery", "kind people"])
    store.runs.publish()
    assert calls == ["fast delivery", "fair price", "kind people"]  # the second run embedded only the new text
    assert np.allclose(second[0], first[1]) and np.allclose(second[1], first[0]) and second[2][0] == len("kind people")
