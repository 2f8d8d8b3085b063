"""Values-based segments: customers grouped by what they say matters to them, compared with demographic segments.

Each customer's values answers are embedded (multilingual e5, ``understand.text.embeddings``; distinct texts once,
at most ``cap`` per run, a seeded sample beyond) and averaged; k-means (k chosen by silhouette) groups the
customers. Each segment gets keywords (words most over-represented in its answers), a label (its top two) and
redacted quotes, per language. The comparison fits the same model on the values segments, on the demographic
segments (region, segment, language) and on both, and scores each out of sample (5-fold cross-validation:
R² for NPS and CLV, ROC AUC for churn), with bootstrap intervals of the scores and of the values' gain.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from empathica.errors import NotEnoughDataError

#: Demographic columns of the customers table compared with the values segments (those present are used).
DEMOGRAPHICS = ("region", "segment", "language", "age_band")
#: Customers with values answers needed before segments are formed.
MIN_CUSTOMERS = 60


class ValuesSegments:
    """k-means segments of customers' mean values-answer embeddings; ``labels_`` per customer, ``centres_``."""

    def __init__(self, *, k_range: tuple[int, int] = (3, 7), random_state: int = 7) -> None:
        self.k_range = k_range
        self.random_state = random_state

    def fit(self, vectors: np.ndarray) -> "ValuesSegments":
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score

        if len(vectors) < MIN_CUSTOMERS:
            raise NotEnoughDataError(f"values segments need at least {MIN_CUSTOMERS} customers with values answers; "
                                     f"the store has {len(vectors)}.")
        best = None
        sample = min(len(vectors), 2000)
        for k in range(self.k_range[0], self.k_range[1] + 1):
            model = KMeans(n_clusters=k, n_init=4, random_state=self.random_state).fit(vectors)
            score = silhouette_score(vectors, model.labels_, sample_size=sample, random_state=self.random_state)
            if best is None or score > best[0]:
                best = (score, model)
        self.silhouette_, model = best
        self.labels_, self.centres_ = model.labels_, model.cluster_centers_
        return self


def customer_vectors(answers: pd.DataFrame, embed, *, cap: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """(customers kept, one mean embedding each) from rows customer_id, answer; at most ``cap`` distinct texts."""
    answers = answers.dropna(subset=["answer", "customer_id"])
    distinct = answers["answer"].drop_duplicates()
    if len(distinct) > cap:  # a seeded sample of texts; customers left with none drop out
        distinct = distinct.sample(cap, random_state=seed)
        answers = answers[answers["answer"].isin(set(distinct))]
    vectors = np.array(embed(distinct.tolist()), dtype=np.float32)
    if "lang" in answers:  # e5 places texts of one language together: centre each language so themes, not languages, cluster
        lang = answers.drop_duplicates("answer").set_index("answer")["lang"].reindex(distinct).to_numpy()
        for value in pd.unique(lang):
            vectors[lang == value] -= vectors[lang == value].mean(axis=0)
    index = {text: i for i, text in enumerate(distinct)}
    rows = answers.assign(row=answers["answer"].map(index))
    customers = rows.groupby("customer_id")["row"].apply(list)
    mean = np.stack([vectors[r].mean(axis=0) for r in customers])
    mean /= np.linalg.norm(mean, axis=1, keepdims=True).clip(1e-9)
    return pd.DataFrame({"customer_id": customers.index}), mean


def stored_embeddings(store, embed):
    """``embed`` with the store as its cache: texts embedded in an earlier run are read back (result
    ``diagnose_values_embeddings``), only new ones are embedded, and those are added to the result."""
    import hashlib
    import json

    from empathica.schema.results import DIAGNOSE_VALUES_EMBEDDINGS

    def cached(texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        known: dict[str, np.ndarray] = {}
        if store.has_result(DIAGNOSE_VALUES_EMBEDDINGS):
            table = store.result(DIAGNOSE_VALUES_EMBEDDINGS)
            rows = table.filter(table.text_hash.isin(keys)).select("text_hash", "vector").to_pandas()
            known = {k: np.asarray(json.loads(v) if isinstance(v, str) else v, dtype=np.float32)
                     for k, v in zip(rows["text_hash"], rows["vector"])}
        todo = [i for i, k in enumerate(keys) if k not in known]
        if todo:
            fresh = embed([texts[i] for i in todo])
            new = {keys[i]: v for i, v in zip(todo, fresh)}
            store.append_result(DIAGNOSE_VALUES_EMBEDDINGS, pd.DataFrame({
                "text_hash": list(new), "vector": [json.dumps([round(float(x), 6) for x in v]) for v in new.values()]}),
                step="diagnose")
            known.update(new)
        return np.stack([known[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)

    return cached


def describe(answers: pd.DataFrame, labels: pd.Series, *, tokens, redact, top: int = 6, quotes: int = 2) -> pd.DataFrame:
    """Per segment and language: label, keywords (most over-represented words) and quotes (redacted)."""
    data = answers.merge(labels.rename("segment").rename_axis("customer_id").reset_index(), on="customer_id")
    rows = []
    for lang, in_lang in data.groupby("lang"):
        overall = Counter(w for text in in_lang["answer"] for w in set(tokens(text)))
        total = max(1, len(in_lang))
        for segment, part in in_lang.groupby("segment"):
            mine = Counter(w for text in part["answer"] for w in set(tokens(text)))
            lift = {w: (c / len(part)) / (overall[w] / total) * np.log1p(c) for w, c in mine.items() if c >= 2}
            words = [w for w, _ in sorted(lift.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
            common = part["answer"].value_counts().index[:quotes]
            rows.append(dict(segment=int(segment), lang=str(lang), label=" · ".join(words[:2]), keywords=", ".join(words),
                             quotes=" | ".join(redact(q) for q in common), customers=int(part["customer_id"].nunique())))
    return pd.DataFrame(rows, columns=["segment", "lang", "label", "keywords", "quotes", "customers"])


def compare(frame: pd.DataFrame, outcomes: dict[str, str], *, n_bootstrap: int = 200, seed: int = 7) -> pd.DataFrame:
    """Out-of-sample fit of values segments, demographics and both for each outcome, with bootstrap intervals.

    ``frame``: one row per customer with ``values_segment``, the demographic columns and the outcome columns;
    ``outcomes``: outcome column → 'r2' or 'auc'.
    """
    demo = [c for c in DEMOGRAPHICS if c in frame and frame[c].nunique() > 1]
    sets = {"values": ["values_segment"], "demographics": demo, "both": ["values_segment", *demo]}
    rng = np.random.default_rng(seed)
    rows = []
    for outcome, metric in outcomes.items():
        data = frame.dropna(subset=[outcome])
        if len(data) < MIN_CUSTOMERS or data[outcome].nunique() < 2:
            continue
        y = data[outcome].to_numpy(dtype=float)
        draws = rng.integers(0, len(y), size=(n_bootstrap, len(y)))
        predictions = {name: _oof(data, cols, y, metric, seed) for name, cols in sets.items() if cols}
        boot = {name: np.array([_score(y[d], p[d], metric) for d in draws]) for name, p in predictions.items()}
        for name, p in predictions.items():
            base = boot.get("demographics")
            gain = boot[name] - base if base is not None and name != "demographics" else None
            rows.append(dict(outcome=outcome, metric=metric, predictors=name, customers=len(y), score=_score(y, p, metric),
                             score_low=float(np.nanpercentile(boot[name], 2.5)), score_high=float(np.nanpercentile(boot[name], 97.5)),
                             gain=float(np.nanmean(gain)) if gain is not None else np.nan,
                             gain_low=float(np.nanpercentile(gain, 2.5)) if gain is not None else np.nan,
                             gain_high=float(np.nanpercentile(gain, 97.5)) if gain is not None else np.nan))
    return pd.DataFrame(rows, columns=["outcome", "metric", "predictors", "customers", "score", "score_low", "score_high",
                                       "gain", "gain_low", "gain_high"])


def _oof(data: pd.DataFrame, columns: list[str], y: np.ndarray, metric: str, seed: int) -> np.ndarray:
    """Out-of-fold predictions of a one-hot linear (or logistic) model on ``columns``."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import KFold, StratifiedKFold

    X = pd.get_dummies(data[columns].astype(str), drop_first=False).to_numpy(dtype=float)
    out = np.zeros(len(y))
    if metric == "auc":
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y)
    else:
        folds = KFold(5, shuffle=True, random_state=seed).split(X)
    for train, test in folds:
        if metric == "auc":
            out[test] = LogisticRegression(C=1.0, max_iter=1000).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
        else:
            out[test] = Ridge(alpha=1.0).fit(X[train], y[train]).predict(X[test])
    return out


def _score(y: np.ndarray, p: np.ndarray, metric: str) -> float:
    from sklearn.metrics import r2_score, roc_auc_score

    if metric == "auc":
        return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
    return float(r2_score(y, p))
