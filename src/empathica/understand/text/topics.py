"""Topics: clusters of similar comments across a corpus, labelled by their top keywords and quotes.

Method: TF-IDF over words (jieba-segmented for Chinese, stop words removed) → LSA (truncated SVD,
L2-normalised) → k-means for every k in ``k_range`` (2–10, and at most one topic per 5 texts); the k
with the best silhouette wins. A topic's keywords are the terms whose mean TF-IDF in the cluster most
exceeds their corpus mean; its quotes are the comments nearest the cluster centre.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize as l2_normalize

from empathica.errors import InputError, NotEnoughDataError
from empathica.understand.text.features import chinese_words
from empathica.understand.text.language import script_language
from empathica.understand.text.normalize import clean

_STOP = set("""
a an the and or but if of to in on at for with from by as is are was were be been being am do does did have has had
i me my we our you your he she it its they them their this that these those there here what which who whom so not no
very too can could would should will just than then also all any some more most out up down about into over again
get got still one it's i'm i've i'd don't doesn't didn't can't won't that's there's you're we're really just want
need needs please hi hello thanks thank
der die das den dem des ein eine einer eines einem einen und oder aber wenn als wie ist sind war waren bin bist sein
ich du er sie es wir ihr mich mir dich dir uns euch sich mein meine dein nicht kein keine auch noch schon sehr zu zum
zur im in am an auf aus bei mit nach von vor für über um bis durch so da dass was wer wo hat habe haben hatte hatten
wird werden wurde wurden man nur mal doch ja nein dann denn
的 了 是 我 你 他 她 它 们 在 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 这 那 也 很 还 又 吧 啊 呢 吗 被 把 给 让 说 要 会 对 到 有 不 没 个 上 下 这个 那个 就是 但是 因为 所以 如果 然后 并 再 行 好 一下 现在 您好 你好 请问 等等 能 可以 已经 什么 怎么 一直 还是 真的 谢谢 一 再 呀
""".split())
_WORD = re.compile(r"[^\W\d_][\w'-]+")


def topic_tokens(text: str) -> list[str]:
    """Content words of a text: jieba words for Chinese, lower-cased words otherwise; stop words dropped."""
    if script_language(text) == "zh":
        words = chinese_words(text)
    else:
        words = _WORD.findall(text.lower())
    return [w for w in words if w.lower() not in _STOP and (len(w) > 1 or not w.isascii())]


#: The automatic choice of k considers at most one topic per this many texts.
MIN_TEXTS_PER_TOPIC = 5


@dataclass
class Topics:
    """Discovered topics: one row per topic, and each text's topic (-1: too little content to place)."""

    topics: pd.DataFrame  # topic, size, share, keywords, quotes
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
    terms = np.asarray(vectorizer.get_feature_names_out())
    overall = np.asarray(X.mean(axis=0)).ravel()
    topic_rows = []
    for t in range(kk):
        members = np.flatnonzero(labels == t)
        if not len(members):
            continue
        lift = np.asarray(X[members].mean(axis=0)).ravel() - overall
        keywords = [terms[j] for j in np.argsort(-lift)[:n_keywords] if lift[j] > 0]
        centre = Z[members].mean(axis=0)
        nearest = members[np.argsort(-(Z[members] @ centre))[:n_quotes]]
        topic_rows.append({
            "topic": t, "size": len(members), "share": round(len(members) / len(rows), 4),
            "label": " / ".join(keywords[:3]), "keywords": ", ".join(keywords),
            "quotes": [plain[rows[j]][:300] for j in nearest],
        })
    topics = pd.DataFrame(topic_rows).sort_values("size", ascending=False).reset_index(drop=True)
    order = {old: new for new, old in enumerate(topics["topic"])}
    topics["topic"] = topics["topic"].map(order)
    assigned = np.full(len(plain), -1)
    assigned[rows] = [order[l] for l in labels]
    assignments = pd.DataFrame({"row": np.arange(len(plain)), "topic": assigned, "text": plain})
    return Topics(topics=topics, assignments=assignments, silhouette=sil, k=kk)
