"""Topics: clusters of similar comments across a corpus, labelled by their top keywords and quotes.

Method: TF-IDF over words (jieba-segmented for Chinese, stop words removed) → LSA (truncated SVD,
L2-normalised) → k-means for every k in ``k_range`` (2–10, and at most one topic per 5 texts); the k
with the best silhouette wins. A topic's keywords are the terms whose mean TF-IDF in the cluster most
exceeds their corpus mean; its quotes are the distinct comments whose TF-IDF vectors are nearest that
excess (so they are about what the keywords say). Stop words: ``topic_stopwords.toml``. A topic's
``cohesion`` is its members' mean silhouette; below 0 the topic is a catch-all, labelled "mixed: …".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics import silhouette_samples, silhouette_score
from sklearn.preprocessing import normalize as l2_normalize

from empathica.errors import InputError, NotEnoughDataError
from empathica.understand.text.features import chinese_words
from empathica.understand.text.language import script_language
from empathica.understand.text.normalize import clean

STOPWORDS_FILE = Path(__file__).resolve().parent / "topic_stopwords.toml"


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Stop words of en, de and zh: scikit-learn's English list adjusted by ``topic_stopwords.toml``,
    and that file's curated German and Chinese lists."""
    data = tomllib.loads(STOPWORDS_FILE.read_text(encoding="utf-8"))
    english = (set(ENGLISH_STOP_WORDS) - set(data["en_keep"])) | set(data["en_extra"])
    return frozenset(english | set(data["de"]) | set(data["zh"]))


#: Spans that are not words of a comment: URLs, @handles, e-mail addresses and redaction placeholders.
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+|@\w+|\[(?:EMAIL|PHONE|CARD|IBAN|ID)\]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'-]+")


def topic_tokens(text: str) -> list[str]:
    """Content words of a text: jieba words for Chinese, lower-cased words otherwise; stop words, numbers,
    URLs, @handles and redaction placeholders dropped."""
    text = _NOT_WORDS.sub(" ", text)
    if script_language(text) == "zh":
        words = chinese_words(text)
    else:
        words = [w.strip("'-") for w in _WORD.findall(text.lower())]  # "'zahlung abgelehnt'" quotes a phrase
    stop = stop_words()
    return [w for w in words if w.lower() not in stop and (len(w) > 1 or not w.isascii()) and not _is_number(w)]


def _is_number(word: str) -> bool:
    """A token that is a number: any Unicode digit in it (7, ７, ٧), or numerals only (十, 三)."""
    return word.isnumeric() or any(ch.isdigit() for ch in word)


def _representative(X_members, lift: np.ndarray, texts: list[str], n: int) -> list[int]:
    """Positions of the ``n`` distinct texts nearest the topic's profile: cosine of each text's TF-IDF
    vector with the positive part of the topic's lift (what its keywords are the top of), so the quotes
    are about what the keywords say. Nearest the LSA centre was used before; on a cluster that mixes two
    themes it could quote the one the keywords do not name."""
    norm = float(np.linalg.norm(lift)) or 1.0
    similarity = np.asarray(X_members @ lift).ravel() / norm  # TF-IDF rows are L2-normalised
    chosen, seen = [], set()
    for j in np.argsort(-similarity, kind="stable"):
        if texts[j] in seen:
            continue
        seen.add(texts[j])
        chosen.append(int(j))
        if len(chosen) == n:
            break
    return chosen


#: The automatic choice of k considers at most one topic per this many texts.
MIN_TEXTS_PER_TOPIC = 5


#: Label prefix of a topic whose members are, on average, nearer another topic than their own (mean
#: silhouette < 0): not one theme but what the other topics leave over, often the largest cluster.
MIXED_PREFIX = "mixed: "
#: Texts whose silhouette is computed for the cohesion (O(n²) distances), as for the score that chooses k.
COHESION_SAMPLE = 3000


def topic_cohesion(Z: np.ndarray, labels: np.ndarray, k: int, *, seed: int = 7) -> np.ndarray:
    """Each topic's mean silhouette over its members (on a seeded sample of :data:`COHESION_SAMPLE` texts):
    near 1 when its texts are much closer to each other than to any other topic, below 0 when they are
    closer to another topic than to their own. A topic with no sampled member gets its members' mean
    silhouette over all texts of the topic and a sample of the rest."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(labels), size=min(COHESION_SAMPLE, len(labels)), replace=False))
    values = silhouette_samples(Z[idx], labels[idx]) if len(set(labels[idx])) > 1 else np.zeros(len(idx))
    out = np.zeros(k)
    for t in range(k):
        members = labels[idx] == t
        out[t] = float(values[members].mean()) if members.any() else 0.0
    return out


@dataclass
class Topics:
    """Discovered topics: one row per topic, and each text's topic (-1: too little content to place)."""

    topics: pd.DataFrame  # topic, size, share, label, cohesion, keywords, quotes
    assignments: pd.DataFrame  # row, topic, text
    silhouette: float
    k: int


def discover_topics(
    texts: Sequence[object],
    *,
    k: int | None = None,
    k_range: tuple[int, int] = (2, 10),
    n_keywords: int = 8,
    n_quotes: int = 3,
    seed: int = 7,
) -> Topics:
    """Cluster ``texts`` into topics; ``k`` fixes the number, else it is chosen by silhouette."""
    plain = [clean(t).text for t in texts]
    vectorizer = TfidfVectorizer(tokenizer=topic_tokens, token_pattern=None, lowercase=False, min_df=2,
                                 max_df=0.5, ngram_range=(1, 2), sublinear_tf=True, max_features=20_000)
    usable = [i for i, t in enumerate(plain) if t and topic_tokens(t)]
    if len(usable) < 10:
        raise NotEnoughDataError(f"topics need at least 10 texts with words; {len(usable)} of {len(plain)} have any.")
    try:
        X = vectorizer.fit_transform([plain[i] for i in usable])
    except ValueError:
        raise NotEnoughDataError("no word occurs in two texts or more; topics need a larger corpus.") from None
    has_terms = np.asarray(X.sum(axis=1)).ravel() > 0
    rows = np.asarray(usable)[has_terms]
    X = X[has_terms]
    if X.shape[0] < 10:
        raise NotEnoughDataError("fewer than 10 texts share words with others; topics need a larger corpus.")
    dims = max(2, min(100, X.shape[1] - 1, X.shape[0] - 1))
    Z = l2_normalize(TruncatedSVD(dims, random_state=seed).fit_transform(X))
    low, high = k_range
    distinct = len(np.unique(np.round(Z, 6), axis=0))
    # k-means needs k distinct points, the silhouette at most n - 1 clusters
    largest = min(distinct, X.shape[0] - 1)
    if k is not None and not 2 <= k <= largest:
        raise InputError(
            f"k = {k} topics is not possible with {len(plain)} texts: the largest k possible is {largest} "
            f"({X.shape[0]} texts share words with others, {distinct} of them distinct); "
            f"choose k from 2 to {largest}, or leave k out to have it chosen."
        )
    # automatic k: at most one topic per 5 texts (silhouette on a few sparse texts favours tiny clusters)
    candidates = [k] if k else list(range(max(2, low), min(high, largest, max(2, X.shape[0] // MIN_TEXTS_PER_TOPIC)) + 1))
    best = None
    for kk in candidates:
        labels = KMeans(kk, n_init=4, random_state=seed).fit_predict(Z)
        if len(set(labels)) < 2:
            continue
        sil = float(silhouette_score(Z, labels, sample_size=min(3000, len(labels)), random_state=seed))
        if best is None or sil > best[0]:
            best = (sil, kk, labels)
    if best is None:
        raise NotEnoughDataError("the texts do not separate into two or more topics.")
    sil, kk, labels = best
    cohesion = topic_cohesion(Z, labels, kk, seed=seed)
    terms = np.asarray(vectorizer.get_feature_names_out())
    overall = np.asarray(X.mean(axis=0)).ravel()
    topic_rows = []
    for t in range(kk):
        members = np.flatnonzero(labels == t)
        if not len(members):
            continue
        lift = np.asarray(X[members].mean(axis=0)).ravel() - overall
        keywords = [terms[j] for j in np.argsort(-lift)[:n_keywords] if lift[j] > 0]
        nearest = _representative(X[members], np.clip(lift, 0, None), [plain[rows[j]] for j in members], n_quotes)
        nearest = members[nearest]
        label = " / ".join(keywords[:3])
        topic_rows.append({
            "topic": t, "size": len(members), "share": round(len(members) / len(rows), 4),
            "label": f"{MIXED_PREFIX}{label}" if cohesion[t] < 0 else label, "cohesion": round(float(cohesion[t]), 3),
            "keywords": ", ".join(keywords),
            "quotes": [plain[rows[j]][:300] for j in nearest],
        })
    topics = pd.DataFrame(topic_rows).sort_values("size", ascending=False).reset_index(drop=True)
    order = {old: new for new, old in enumerate(topics["topic"])}
    topics["topic"] = topics["topic"].map(order)
    assigned = np.full(len(plain), -1)
    assigned[rows] = [order[l] for l in labels]
    assignments = pd.DataFrame({"row": np.arange(len(plain)), "topic": assigned, "text": plain})
    return Topics(topics=topics, assignments=assignments, silhouette=sil, k=kk)
