"""The German cascade head: n-gram experts stacked, e5 only for the texts the stack is unsure of."""

from pathlib import Path

import numpy as np
import pytest

from empathica.understand.text import corpora
from empathica.understand.text.calibration import expected_calibration_error
from empathica.understand.text.embeddings import E5Embedder
from empathica.understand.text.heads import CascadeHead

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "de" / "germeval2017_dev.tsv").is_file(), reason="../shared/data not present")


class FakeEmbedder(E5Embedder):
    """Deterministic 'embeddings' that carry the polarity word of a synthetic text; counts the calls."""

    def __init__(self):
        super().__init__()
        self.embedded: list[str] = []

    def embed(self, texts):
        self.embedded += list(texts)
        rows = np.zeros((len(texts), 384), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, 0] = "gut" in text
            rows[i, 1] = "schlecht" in text
            rows[i, 2 + (hash(text) % 300)] = 0.1
        return rows


def _synthetic(n=240, seed=3):
    rng = np.random.default_rng(seed)
    nouns = ["Zug", "Bahn", "Service", "Lieferung", "App", "Preis", "Personal", "Ticket"]
    texts, labels = [], []
    for i in range(n):
        label = ["negative", "neutral", "positive"][i % 3]
        word = {"negative": "schlecht", "neutral": "heute", "positive": "gut"}[label]
        filler = " ".join(rng.choice(nouns, size=4))
        # a third of the texts hide their polarity word from the n-grams (only the 'embedding' sees it)
        texts.append(f"{filler} {word} {i}" if i % 9 else f"{filler} {i}")
        labels.append(label)
    return texts, labels


def test_cascade_embeds_only_unsure_texts(monkeypatch):
    fake = FakeEmbedder()
    monkeypatch.setattr("empathica.understand.text.embeddings.shared_embedder", lambda: fake)
    texts, labels = _synthetic()
    embeddings = fake.embed(texts)
    fake.embedded.clear()
    head = CascadeHead(lang="de", below=0.6).fit(texts, labels, embeddings=embeddings)
    assert fake.embedded == []  # precomputed embeddings are used, nothing embedded again
    assert list(head.classes_) == ["negative", "neutral", "positive"]
    assert 0 <= head.unsure_share_ <= 1 and set(head.cv_accuracy_) == {"ngram_lr", "ngram_stack", "cascade"}

    test, truth = _synthetic(90, seed=5)
    stack = head.predict_proba(test, embed=False)
    assert fake.embedded == []  # embed=False never calls e5
    proba = head.predict_proba(test)
    unsure = [t for t, p in zip(test, stack) if p.max() < head.below]
    assert sorted(fake.embedded) == sorted(unsure)  # exactly the unsure texts went to the embedder
    assert np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
    sure = stack.max(axis=1) >= head.below
    assert np.allclose(proba[sure], stack[sure])  # sure texts keep the stack's probabilities
    accuracy = np.mean(head.classes_[proba.argmax(axis=1)] == np.asarray(truth))
    assert accuracy >= np.mean(head.classes_[stack.argmax(axis=1)] == np.asarray(truth))


def test_embedder_cache_never_embeds_a_text_twice(monkeypatch):
    calls = []

    class Model:
        def passage(self, texts):
            calls.extend(texts)
            return np.ones((len(texts), 384), dtype=np.float32)

    embedder = E5Embedder(max_chars=10, cache_size=3)
    monkeypatch.setattr(E5Embedder, "_model", staticmethod(lambda: Model()))
    first = embedder.embed(["a", "b", "a", "a long text cut at ten"])
    assert first.shape == (4, 384) and calls == ["a", "b", "a long tex"]
    embedder.embed(["b", "a"])
    assert calls == ["a", "b", "a long tex"]  # cached
    embedder.embed(["c", "d"])  # cache size 3 evicts the least recently used
    assert len(embedder._cache) == 3


@needs_data
def test_shipped_german_head_on_held_out(analyzer):
    """The stack alone on every held-out row (fast), and the e5 step on a fixed set of unsure rows."""
    head = analyzer.sentiment_heads_["de"]
    assert isinstance(head, CascadeHead)
    texts, labels = corpora.germeval().part("test")
    truth = np.asarray(labels)
    stack = head.predict_proba(texts, embed=False)
    predicted = head.classes_[stack.argmax(axis=1)]
    assert np.mean(predicted == truth) >= 0.74
    assert expected_calibration_error(stack.max(axis=1), predicted == truth) <= 0.05
    unsure = np.flatnonzero(stack.max(axis=1) < head.below)
    assert 0.05 < len(unsure) / len(texts) < 0.4  # the e5 share that keeps ≥ 100 texts/s
    some = unsure[:20]  # the e5 step runs on them: the probabilities change, stay probabilities
    full = head.predict_proba([texts[i] for i in some])
    assert np.allclose(full.sum(axis=1), 1) and not np.allclose(full, stack[some])
    # the accuracy of the whole cascade on all held-out rows is measured in bench/bench_text.py
