"""Static e5 sentence embeddings (the shipped token table) and the cross-domain head built on them.

The table is loaded as shipped (never rebuilt here: the build needs e5 and minutes). The head test
trains on two English domains and reads a third it never saw, so it fails if either expert or the
domain-out-of-fold stacking breaks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from empathica.errors import InputError
from empathica.understand.text import corpora
from empathica.understand.text.static import StaticEmbedder, shared_static_embedder, static_embed, words

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "en" / "customer_reviews_cr.csv").is_file(), reason="../shared/data not present")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_rows_are_unit_vectors_and_empty_text_is_zero():
    vectors = static_embed(["The delivery was late again.", "", "!!! 123"], "en")
    table = shared_static_embedder()
    assert vectors.shape == (3, table.dim) and vectors.dtype == np.float32
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-4)
    assert not vectors[1].any() and not vectors[2].any()
    assert static_embed([], "de").shape == (0, table.dim)
    assert np.array_equal(static_embed(["The delivery was late again."], "en")[0], vectors[0])


def test_tokenisation_is_words_for_latin_and_jieba_for_chinese():
    assert words("Die Lieferung kam ZU SPÄT!", "de") == ["die", "lieferung", "kam", "zu", "spät"]
    zh = words("快递太慢了, refund please", "zh")
    assert "快递" in zh and "refund" in zh and "please" in zh


def test_unknown_words_fall_back_to_known_pieces():
    table = shared_static_embedder()
    word = "kundenservicehotlinezeiten"  # a German compound no corpus spells out
    assert word not in table.index_
    pieces = table.token_rows(word, "de")
    assert len(pieces) >= 2 and all(len(table.vocab_[i]) >= 3 for i in pieces)
    assert static_embed([word], "de").any()
    assert table.token_rows("快递员态度", "zh")  # an unknown Chinese word: its characters or words


def test_meaning_is_kept_across_wording_and_language():
    late_en, late_paraphrase, food = static_embed(
        ["the delivery was very late", "my parcel arrived days behind schedule", "the pasta tasted delicious"], "en")
    assert cosine(late_en, late_paraphrase) > cosine(late_en, food)
    angry_de = static_embed(["sehr verärgert"], "de")[0]
    angry_en, happy_en = static_embed(["really angry", "really happy"], "en")
    assert cosine(angry_de, angry_en) > cosine(angry_de, happy_en)


def test_an_unsupported_language_or_a_missing_table_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="'fr'"):
        static_embed(["bonjour"], "fr")
    with pytest.raises(InputError, match="static-embeddings"):
        StaticEmbedder(tmp_path / "missing.npz")


@needs_data
def test_the_static_stack_reads_a_domain_it_never_saw():
    from empathica.understand.text.static_heads import StaticStackHead

    rng = np.random.default_rng(3)
    texts, labels, domains = [], [], []
    for corpus in (corpora.airline(), corpora.customer_reviews()):
        t, y = corpus.part("train")
        for i in rng.permutation(len(t))[:400]:
            texts.append(t[i]), labels.append(y[i]), domains.append(corpus.name)
    head = StaticStackHead(lang="en").fit(texts, labels, domains=domains)
    assert head.cv_accuracy_["by"] == "domain"
    test_texts, truth = corpora.semeval().part("test")
    polar = [i for i, y in enumerate(truth) if y != "neutral"][:600]
    proba = head.predict_proba([test_texts[i] for i in polar])
    assert proba.shape == (len(polar), 3) and np.allclose(proba.sum(axis=1), 1.0)
    cols = [list(head.classes_).index("negative"), list(head.classes_).index("positive")]
    called = np.where(proba[:, cols[1]] > proba[:, cols[0]], "positive", "negative")
    truth_polar = np.asarray([truth[i] for i in polar])
    majority = max(np.mean(truth_polar == "positive"), np.mean(truth_polar == "negative"))
    assert np.mean(called == truth_polar) > majority + 0.1
