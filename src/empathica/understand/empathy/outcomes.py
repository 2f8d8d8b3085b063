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


def wilson_interval(successes: np.ndarray, n: np.ndarray, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of a proportion ``successes / n`` (elementwise; NaN where n = 0)."""
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(successes, float) / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


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
        **{name: (col, "mean") for name, col in (("resolution", "resolution"), ("service_quality", "service_quality"),
                                                  ("template_share", "template")) if col in t},
    ).reset_index()
    return card.round(4)


def _exchange_key(context: pd.Series, reply: pd.Series) -> pd.Series:
    """The exchange a coaching pair shows, up to case, digits, spacing and punctuation: two replies that
    differ only there are the same lesson."""
    def norm(s: pd.Series) -> pd.Series:
        return s.fillna("").str.lower().str.replace(r"\d+", "0", regex=True).str.replace(r"[\W_]+", " ", regex=True).str.strip()
    return norm(context) + "\x1f" + norm(reply)


def coaching_pairs(turns: pd.DataFrame, *, k: int = 5, score: str = "empathy") -> pd.DataFrame:
    """Up to ``k`` coaching pairs, one per agent and each a different exchange: an agent's least empathic
    reply to a distressed customer (by ``score``), beside the best reply from *another* agent to the most
    similar distressed customer turn (TF-IDF char n-gram cosine, same language, top quartile of
    ``score``; a better reply is shown once).

    The agents are taken in order of their worst reply, so the five most urgent lessons come first, but no
    agent appears twice and no exchange (customer turn + reply, up to case, digits and punctuation) is
    repeated: five copies of the same stock exchange would teach one lesson five times.
    """
    d = turns[(turns["context_distress"] >= DISTRESS_THRESHOLD) & (turns["context"].str.len() > 0)].reset_index(drop=True)
    if len(d) < 4:
        return pd.DataFrame()
    d = d.assign(_exchange=_exchange_key(d["context"], d["text"]))
    good = d[d[score] >= d[score].quantile(0.75)].drop_duplicates("_exchange").reset_index(drop=True)
    ranked = d.sort_values([score, "_exchange"], kind="stable").drop_duplicates("_exchange")
    worst = ranked.drop_duplicates("agent_id").reset_index(drop=True)
    worst = worst[worst[score] < good[score].min()].head(k).reset_index(drop=True)
    if worst.empty or good.empty:
        return pd.DataFrame()
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit(d["context"])
    sim = (vec.transform(worst["context"]) @ vec.transform(good["context"]).T).toarray()
    allowed = (worst["language"].to_numpy()[:, None] == good["language"].to_numpy()[None, :]) \
        & (worst["agent_id"].to_numpy()[:, None] != good["agent_id"].to_numpy()[None, :])
    sim = np.where(allowed, sim, -1) + 1e-3 * good[score].to_numpy()[None, :]
    rows, used = [], set()
    for i in range(len(worst)):
        order = [j for j in np.argsort(-sim[i]) if sim[i, j] > -0.5 and j not in used]
        if not order:
            continue
        j = order[0]
        used.add(j)
        w, g = worst.iloc[i], good.iloc[j]
        rows.append({
            "customer_said": w["context"], "reply": w["text"], "agent_id": w["agent_id"], "empathy": w["empathy"],
            "similar_customer_said": g["context"], "better_reply": g["text"], "better_agent_id": g["agent_id"],
            "better_empathy": g["empathy"], "similarity": round(float(max(sim[i, j], 0)), 3),
            **({"score": w[score], "better_score": g[score]} if score != "empathy" else {}),
        })
    return pd.DataFrame(rows)


#: Customers a team or agent needs before its relationship is estimated (fewer: null figures and a note).
MIN_GROUP_CUSTOMERS = 30

#: Columns of :func:`relationship_by_group` after the group key.
GROUP_RELATIONSHIP_COLUMNS = (
    "customers", "empathy_received", "retention",
    "retention_customers", "retention_r", "retention_r_low", "retention_r_high",
    "retention_points_per_0_1", "retention_points_low", "retention_points_high",
    "csat_customers", "csat_r", "csat_r_low", "csat_r_high", "csat_per_0_1", "csat_per_0_1_low", "csat_per_0_1_high",
    "note",
)


def relationship_by_group(pairs: pd.DataFrame, *, by: str, min_customers: int = MIN_GROUP_CUSTOMERS,
                          n_boot: int = 1000, seed: int = 7) -> pd.DataFrame:
    """Within each group (team or agent), empathy received from that group against the customer's
    retention and CSAT: Pearson r and OLS slope per +0.1 empathy with 95 % bootstrap intervals.

    ``pairs`` holds one row per customer and group: ``by``, ``empathy_received`` (mean empathy of the
    group's replies to that customer), ``retained`` (0/1) and optionally ``csat`` (the customer's mean).
    Retention slopes are in points (percentage points of retention per +0.1 empathy); CSAT slopes in
    CSAT units. Groups with fewer than ``min_customers`` customers (for retention, or for CSAT) get null
    figures and a ``note`` saying why. Each group is resampled on its own (:func:`relationship`, seeded,
    in bounded blocks), so memory follows the largest group, not all groups together.
    """
    keys = pairs[by].astype("category")
    codes = keys.cat.codes.to_numpy()
    x = pairs["empathy_received"].to_numpy(float)
    retained = pairs["retained"].to_numpy(float) if "retained" in pairs else np.full(len(pairs), np.nan)
    csat = pairs["csat"].to_numpy(float) if "csat" in pairs else np.full(len(pairs), np.nan)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(keys.cat.categories) + 1))
    rows = []
    for g, label in enumerate(keys.cat.categories):
        idx = order[bounds[g]:bounds[g + 1]]
        if len(idx) == 0:
            continue
        gx, gr, gc = x[idx], retained[idx], csat[idx]
        row = dict.fromkeys(GROUP_RELATIONSHIP_COLUMNS)
        known_r, known_c = np.isfinite(gx) & np.isfinite(gr), np.isfinite(gx) & np.isfinite(gc)
        row.update({by: label, "customers": int(len(idx)), "empathy_received": round(float(np.nanmean(gx)), 4),
                    "retention": round(float(gr[known_r].mean()), 4) if known_r.any() else None,
                    "retention_customers": int(known_r.sum()), "csat_customers": int(known_c.sum())})
        notes = []
        for name, y, known in (("retention", gr, known_r), ("csat", gc, known_c)):
            if known.sum() < min_customers:
                if name == "retention" or known.any():
                    notes.append(f"{name}: {int(known.sum())} customers, fewer than {min_customers}")
                continue
            rel = relationship(gx, y, outcome=name, n_boot=n_boot, seed=seed)
            if rel is None:
                notes.append(f"{name}: no variation in empathy or {name}")
                continue
            scale = 100.0 if name == "retention" else 1.0  # retention in percentage points
            slope = ("retention_points_per_0_1", "retention_points_low", "retention_points_high") \
                if name == "retention" else ("csat_per_0_1", "csat_per_0_1_low", "csat_per_0_1_high")
            row.update({f"{name}_r": rel.correlation, f"{name}_r_low": rel.correlation_low,
                        f"{name}_r_high": rel.correlation_high,
                        slope[0]: round(rel.slope_per_0_1 * scale, 4), slope[1]: round(rel.slope_low * scale, 4),
                        slope[2]: round(rel.slope_high * scale, 4)})
        row["note"] = "; ".join(notes)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[by, *GROUP_RELATIONSHIP_COLUMNS])
    numeric = [c for c in GROUP_RELATIONSHIP_COLUMNS if c not in ("note", "customers", "retention_customers", "csat_customers")]
    frame[numeric] = frame[numeric].astype(float)
    return frame
