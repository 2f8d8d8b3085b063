"""Empathy set against outcomes: monthly scorecards, the empathy–retention/satisfaction relationship
with a bootstrap confidence interval, and coaching pairs.

The relationship is measured at customer level: each customer's *mean empathy received* (over every
scored agent turn in their conversations) against retention (1 = not churned) and against their mean
CSAT. Reported are the Pearson correlation and the OLS slope (change in the outcome per +0.1 empathy),
each with a 95 % percentile bootstrap interval over customers (customers resampled with replacement,
seeded), so one customer's many conversations count once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from empathica.understand.empathy.distress import DISTRESS_THRESHOLD


#: Bootstrap rows drawn at once (resamples × customers): bounds the memory of :func:`relationship`.
BOOTSTRAP_ROWS_PER_BLOCK = 2_000_000


@dataclass(frozen=True)
class Relationship:
    """How an outcome moves with empathy received, with 95 % bootstrap intervals."""

    outcome: str
    customers: int
    correlation: float
    correlation_low: float
    correlation_high: float
    slope_per_0_1: float
    slope_low: float
    slope_high: float

    def as_row(self) -> dict:
        return self.__dict__.copy()


def relationship(x: np.ndarray, y: np.ndarray, *, outcome: str, n_boot: int = 1000, seed: int = 7) -> Relationship | None:
    """Pearson r and OLS slope of ``y`` on ``x`` (per +0.1 of x) with percentile bootstrap CIs."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, float)[ok], np.asarray(y, float)[ok]
    if len(x) < 10 or x.std() == 0 or y.std() == 0:
        return None
    rng = np.random.default_rng(seed)
    n = len(x)
    # resamples in blocks of at most ~2M drawn rows, so a million customers need megabytes, not gigabytes
    block = max(1, min(n_boot, BOOTSTRAP_ROWS_PER_BLOCK // n))
    sxx, syy, sxy = (np.empty(n_boot) for _ in range(3))
    for start in range(0, n_boot, block):
        idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
        xb, yb = x[idx], y[idx]
        xc, yc = xb - xb.mean(1, keepdims=True), yb - yb.mean(1, keepdims=True)
        part = slice(start, start + len(idx))
        sxx[part], syy[part], sxy[part] = (xc * xc).sum(1), (yc * yc).sum(1), (xc * yc).sum(1)
    valid = (sxx > 0) & (syy > 0)
    r_b = sxy[valid] / np.sqrt(sxx[valid] * syy[valid])
    s_b = 0.1 * sxy[valid] / sxx[valid]
    r = float(np.corrcoef(x, y)[0, 1])
    slope = float(0.1 * np.cov(x, y, bias=True)[0, 1] / x.var())
    return Relationship(outcome, int(len(x)), round(r, 4), round(float(np.quantile(r_b, 0.025)), 4),
                        round(float(np.quantile(r_b, 0.975)), 4), round(slope, 4),
                        round(float(np.quantile(s_b, 0.025)), 4), round(float(np.quantile(s_b, 0.975)), 4))


def monthly_scorecard(turns: pd.DataFrame, *, team_of: pd.Series | None = None) -> pd.DataFrame:
    """Per agent (and team) and month: replies, mean empathy and mechanism levels, gap and jargon rates.

    ``turns`` needs agent_id, timestamp, empathy, the mechanism columns, empathy_gap, jargon.
    """
    t = turns.copy()
    t["month"] = pd.to_datetime(t["timestamp"], utc=True, errors="coerce").dt.strftime("%Y-%m")
    t["has_jargon"] = t["jargon"].map(lambda j: len(j) > 0 if isinstance(j, list) else False)
    if team_of is not None:
        t["team_id"] = t["agent_id"].map(team_of)
    keys = ["agent_id", "month"] + (["team_id"] if team_of is not None else [])
    card = t.groupby(keys, dropna=False).agg(
        replies=("empathy", "size"), empathy=("empathy", "mean"), emotional_reactions=("emotional_reactions", "mean"),
        interpretations=("interpretations", "mean"), explorations=("explorations", "mean"),
        gap_rate=("empathy_gap", "mean"), jargon_rate=("has_jargon", "mean"),
    ).reset_index()
    return card.round(4)


def coaching_pairs(turns: pd.DataFrame, *, k: int = 5) -> pd.DataFrame:
    """The ``k`` least empathic replies to distressed customers, each beside the most empathic reply to
    the most similar distressed customer turn (TF-IDF char n-gram cosine, same language)."""
    d = turns[(turns["context_distress"] >= DISTRESS_THRESHOLD) & (turns["context"].str.len() > 0)].reset_index(drop=True)
    if len(d) < 4:
        return pd.DataFrame()
    good = d[d["empathy"] >= d["empathy"].quantile(0.75)].reset_index(drop=True)
    worst = d.nsmallest(k, "empathy").reset_index(drop=True)
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit(d["context"])
    sim = (vec.transform(worst["context"]) @ vec.transform(good["context"]).T).toarray()
    same_lang = worst["language"].to_numpy()[:, None] == good["language"].to_numpy()[None, :]
    sim = np.where(same_lang, sim, -1) + 1e-3 * good["empathy"].to_numpy()[None, :]
    best = sim.argmax(1)
    rows = []
    for i, j in enumerate(best):
        w, g = worst.iloc[i], good.iloc[j]
        rows.append({
            "customer_said": w["context"], "reply": w["text"], "agent_id": w["agent_id"], "empathy": w["empathy"],
            "similar_customer_said": g["context"], "better_reply": g["text"], "better_agent_id": g["agent_id"],
            "better_empathy": g["empathy"], "similarity": round(float(max(sim[i, j], 0)), 3),
        })
    return pd.DataFrame(rows)
