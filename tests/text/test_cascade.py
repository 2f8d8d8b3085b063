"""The German cascade head: n-gram experts stacked, e5 only for the texts the stack is unsure of."""

from pathlib import Path

import numpy as np
import pytest

from empathica.understand.text import corpora
from empathica.understand.text.calibration import expected_calibration_error
from empathica.understand.text.embeddings import E5Embedder
from empathica.understand.text.heads import CascadeHead, cascade_cv_grid

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "de" / "germeval2017_dev.tsv").is_file(), reason="../shared/data not present")


class FakeEmbedder(E5Embedder):
    """Deterministic 'embeddings' that carry the label of a synthetic text (an oracle the n-grams lack,
    as e5 knows words the German training rows never showed); counts the calls."""

    def __init__(self):
        super().__init__()
        self.embedded: list[str] = []
        self.labels: dict[str, str] = {}

    def embed(self, texts):
        self.embedded += list(texts)
        rows = np.zeros((len(texts), 384), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, ["negative", "neutral", "positive"].index(self.labels[text])] = 1.0
            rows[i, 3 + (hash(text) % 300)] = 0.1
        return rows


def _synthetic(n=240, seed=3, embedder=None):
    rng = np.random.default_rng(seed)
    nouns = ["Zug", "Bahn", "Service", "Lieferung", "App", "Preis", "Personal", "Ticket"]
    texts, labels = [], []
    for i in range(n):
        label = ["negative", "neutral", "positive"][i % 3]
        word = {"negative": "schlecht", "neutral": "heute", "positive": "gut"}[label]
        filler = " ".join(rng.choice(nouns, size=4))
        # every seventh text hides its polarity word from the n-grams (only the 'embedding' knows it)
        texts.append(f"{filler} {word} {i}" if i % 7 else f"{filler} {i}")
        labels.append(label)
    if embedder is not None:
        embedder.labels.update(zip(texts, labels))
    return texts, labels


def test_cascade_embeds_only_unsure_texts(monkeypatch):
    fake = FakeEmbedder()
    monkeypatch.setattr("empathica.understand.text.embeddings.shared_embedder", lambda: fake)
    texts, labels = _synthetic(embedder=fake)
    embeddings = fake.embed(texts)
    fake.embedded.clear()
    head = CascadeHead(lang="de", below=0.6).fit(texts, labels, embeddings=embeddings)
    assert fake.embedded == []  # precomputed embeddings are used, nothing embedded again
    assert list(head.classes_) == ["negative", "neutral", "positive"]
    assert 0 <= head.unsure_share_ <= 1 and set(head.cv_accuracy_) == {"ngram_lr", "ngram_stack", "cascade"}

    test, truth = _synthetic(90, seed=5, embedder=fake)
    stack = head.predict_proba(test, embed=False)
    assert fake.embedded == []  # embed=False never calls e5
    proba = head.predict_proba(test)
    unsure = [t for t, p in zip(test, stack) if p.max() < head.below]
    assert unsure and sorted(fake.embedded) == sorted(unsure)  # exactly the unsure texts went to the embedder
    assert np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
    sure = stack.max(axis=1) >= head.below
    assert np.allclose(proba[sure], stack[sure])  # sure texts keep the stack's probabilities
    accuracy = np.mean(head.classes_[proba.argmax(axis=1)] == np.asarray(truth))
    assert accuracy >= np.mean(head.classes_[stack.argmax(axis=1)] == np.asarray(truth))

    # a budget sends only the least sure texts to e5; the others keep the stack's verdict
    assert len(unsure) > 3
    fake.embedded.clear()
    capped, used = head.predict_proba_within(test, 3)
    least_sure = sorted(np.argsort(stack.max(axis=1), kind="stable")[:3])
    assert used == 3 and sorted(fake.embedded) == sorted(test[i] for i in least_sure)
    assert np.allclose(capped[least_sure], proba[least_sure])
    rest = np.setdiff1d(np.arange(len(test)), least_sure)
    assert np.allclose(capped[rest], stack[rest])


def test_analyzer_embed_budget_spans_batches(monkeypatch):
    """The budget is per ``analyze`` call, across batches: never more than it texts go to e5."""
    from empathica.understand.text import TextAnalyzer

    fake = FakeEmbedder()
    monkeypatch.setattr("empathica.understand.text.embeddings.shared_embedder", lambda: fake)
    texts, labels = _synthetic(embedder=fake)
    head = CascadeHead(lang="de", below=0.6).fit(texts, labels, embeddings=fake.embed(texts))
    analyzer = TextAnalyzer(batch_size=30, embed_budget=5).load()
    analyzer.sentiment_heads_["de"] = head
    monkeypatch.setattr("empathica.understand.text.analyzer.languages_of_cleaned", lambda plain: ["de"] * len(plain))
    test, _ = _synthetic(90, seed=5, embedder=fake)
    assert (head.predict_proba(test, embed=False).max(axis=1) < head.below).sum() > 5
    fake.embedded.clear()
    scores = analyzer.analyze(test)
    assert len(scores) == len(test) and len(fake.embedded) == 5


def test_cv_grid_scores_every_setting_on_training_rows_only():
    """The settings grid: one row per below × e5 C, accuracies from out-of-fold scores, and a share sent
    to e5 that grows with ``below``; the e5 expert that knows the hidden texts lifts the cascade."""
    fake = FakeEmbedder()
    texts, labels = _synthetic(embedder=fake)
    rows = cascade_cv_grid(texts, labels, fake.embed(texts), belows=(0.5, 0.9), embed_Cs=(1.0, 4.0), seeds=(7, 11))
    assert {(r["below"], r["embed_C"]) for r in rows} == {(0.5, 1.0), (0.9, 1.0), (0.5, 4.0), (0.9, 4.0)}
    assert all(0 <= r["cv_accuracy"] <= 1 and len(r["cv_accuracy_by_seed"]) == 2 for r in rows)
    share = {(r["below"], r["embed_C"]): r["share_sent_to_e5"] for r in rows}
    assert share[(0.5, 4.0)] <= share[(0.9, 4.0)] and share[(0.9, 4.0)] > 0
    head = CascadeHead(lang="de", below=0.9, embed_C=4.0).fit(texts, labels, embeddings=fake.embed(texts))
    best = max(rows, key=lambda r: r["cv_accuracy"])
    assert best["cv_accuracy"] > head.cv_accuracy_["ngram_stack"]


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
    # about a fifth go to e5 (~30 texts/s): a German-only corpus still scores ≥ 100 texts/s
    assert 0.05 < len(unsure) / len(texts) < 0.4
    some = unsure[:20]  # the e5 step runs on them: the probabilities change, stay probabilities
    full = head.predict_proba([texts[i] for i in some])
    assert np.allclose(full.sum(axis=1), 1) and not np.allclose(full, stack[some])
    # the accuracy of the whole cascade on all held-out rows is measured in bench/bench_text.py
