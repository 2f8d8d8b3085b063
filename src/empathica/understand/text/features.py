"""Text features: character and word n-grams (jieba words for Chinese)."""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def chinese_words(text: str) -> list[str]:
    """Chinese text segmented into words by jieba (spaces and punctuation-only tokens dropped)."""
    return [w for w in _jieba().lcut(text) if w.strip() and any(ch.isalnum() for ch in w)]


def ngram_features(lang: str, *, max_char: int = 60_000, max_word: int = 40_000) -> FeatureUnion:
    """Sublinear TF-IDF over character n-grams plus word uni/bigrams, sized for ``lang``.

    Characters carry the morphology (German compounds, misspellings, Chinese words without spaces);
    words carry negation and phrases. Vocabularies are capped so the shipped model stays small.
    """
    if lang == "zh":
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                                max_features=max_char, dtype=np.float32)
        words = TfidfVectorizer(tokenizer=chinese_words, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                                min_df=2, sublinear_tf=True, max_features=max_word, dtype=np.float32)
    else:
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                max_features=max_char, dtype=np.float32)
        words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=max_word,
                                dtype=np.float32)
    return FeatureUnion([("chars", chars), ("words", words)])
