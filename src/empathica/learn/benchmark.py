"""Where we stand against competitors: ratings and sentiment per area and brand from public reviews.

Each review is put in the areas it talks about (delivery, price, product, service, returns, app:
``benchmark_areas.toml``, built on the text analyzer's aspects). Per area, language (all, en, de, zh)
and brand: the mean rating and the share of positive reviews with 95 % intervals. Per area, each of our
own brands (``own_brand``; with two or more, also all of them together, ``all``) against each competitor
(difference, Welch interval, p-value, Holm-adjusted across the areas) and against the competitors'
average — the comparison index, own ÷ competitors' average × 100, with a delta-method interval. Over
time: the same per quarter. :func:`company_rows` picks the rows that speak for the company as a whole.

"Positive" is the text analyzer's verdict (sentiment score > 0) where the text step scored the review,
else a rating of 4 or 5; the ``positive_basis`` column says which.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from empathica.errors import InputError, NotEnoughDataError
from empathica.understand.text import PatternCatalogue

AREAS_FILE = Path(__file__).with_name("benchmark_areas.toml")
ALL = "all"
#: The own brands together (``own_brand`` and ``brand`` of the pooled rows when the reviews name two or more).
ALL_OWN = "all"
Z95 = stats.norm.ppf(0.975)
MIN_REVIEWS = 5  # per brand and cell, for a comparison


def load_areas(extra: str | Path | None = None) -> tuple[PatternCatalogue, dict[str, tuple[str, ...]]]:
    """The area patterns and, per area, the text-analyzer aspect ids that count as it."""
    catalogue = PatternCatalogue.load(AREAS_FILE, extra)
    mapping: dict[str, tuple[str, ...]] = {}
    for path in (AREAS_FILE, extra):
        if path:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            for key, entry in data.items():
                mapping[key] = tuple(dict.fromkeys(mapping.get(key, ()) + tuple(entry.get("aspects", ()))))
    return catalogue, mapping


def tag_areas(texts, langs, aspects, *, areas: tuple[PatternCatalogue, dict] | None = None) -> list[list[str]]:
    """The areas of each review: its patterns, or a text-analyzer aspect mapped to the area."""
    catalogue, mapping = areas or load_areas()
    out = []
    for text, lang, found in zip(texts, langs, aspects):
        found = set(found) if isinstance(found, (list, tuple, np.ndarray)) else set()
        hit = set(catalogue.match(str(text or ""), str(lang or "")))
        out.append([a for a in mapping if a in hit or found & set(mapping[a])])
    return out


def review_mentions(reviews: pd.DataFrame, *, areas=None) -> pd.DataFrame:
    """One row per review and area: review_id, brand, is_own, rating, lang, positive, positive_basis,
    quarter. ``reviews`` needs review_id, brand, is_own, rating, text, timestamp, lang; ``aspects`` and
    ``sentiment_score`` (text analyzer) where available."""
    missing = {"review_id", "brand", "rating", "text", "timestamp"} - set(reviews.columns)
    if missing:
        raise InputError(f"reviews: missing column(s) {', '.join(sorted(missing))}; a review needs brand, rating, text and timestamp.")
    frame = reviews.copy()
    if "is_own" not in frame or frame["is_own"].isna().all():
        raise InputError("reviews: field is_own is empty; mark our own brand's reviews (true) and competitors' (false).")
    frame["lang"] = frame.get("lang", pd.Series(index=frame.index, dtype=object)).fillna("und")
    aspects = frame["aspects"] if "aspects" in frame else [[]] * len(frame)
    frame["area"] = tag_areas(frame["text"], frame["lang"], aspects, areas=areas)
    score = frame["sentiment_score"] if "sentiment_score" in frame else pd.Series(np.nan, index=frame.index)
    frame["positive"] = np.where(score.notna(), score > 0, frame["rating"] >= 4).astype(float)
    frame["positive_basis"] = np.where(score.notna(), "text sentiment", "rating 4–5")
    frame["quarter"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(None).dt.to_period("Q").astype(str)
    frame = frame.explode("area").dropna(subset=["area", "rating"])
    frame["is_own"] = frame["is_own"].astype(bool)
    return frame[["review_id", "brand", "is_own", "rating", "lang", "positive", "positive_basis", "quarter", "area"]]


def brand_stats(mentions: ibis.Table, by: tuple[str, ...]) -> pd.DataFrame:
    """Per ``by`` and brand: reviews, mean and variance of the rating, positive share (Ibis aggregate)."""
    agg = mentions.group_by([*by, "brand", "is_own"]).aggregate(
        reviews=mentions.count(), rating=mentions.rating.mean(), rating_var=mentions.rating.var(how="sample"),
        positive_share=mentions.positive.mean(), positive_basis=mentions.positive_basis.arbitrary())
    frame = agg.order_by([*by, "brand"]).to_pandas()
    frame["rating_var"] = frame["rating_var"].fillna(0.0)
    return frame


def _with_intervals(frame: pd.DataFrame) -> pd.DataFrame:
    n = frame["reviews"].clip(lower=1)
    frame["rating_se"] = np.sqrt(frame["rating_var"] / n)
    # Agresti–Coull-style: one success and one failure added for the standard error, so a share of 0 or 1
    # in a small cell does not claim zero uncertainty
    shrunk = (frame["positive_share"] * n + 1) / (n + 2)
    frame["positive_se"] = np.sqrt(shrunk * (1 - shrunk) / (n + 2))
    for m in ("rating", "positive"):
        value = frame["rating"] if m == "rating" else frame["positive_share"]
        frame[f"{m}_ci_low"] = value - Z95 * frame[f"{m}_se"]
        frame[f"{m}_ci_high"] = value + Z95 * frame[f"{m}_se"]
    return frame


def holm(p: pd.Series) -> pd.Series:
    """Holm-adjusted p-values (step-down, family-wise error at α); NaN stays NaN."""
    order = p.sort_values().index
    m = p.notna().sum()
    adjusted = pd.Series(np.nan, index=p.index)
    running = 0.0
    for k, idx in enumerate(order):
        if np.isnan(p[idx]):
            continue
        running = max(running, min(1.0, (m - k) * p[idx]))
        adjusted[idx] = running
    return adjusted


def versus_competitors(stats_frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Each own brand minus each competitor and minus the competitors' average, per ``keys`` and metric."""
    rows = []
    for key, cell in stats_frame.groupby(list(keys), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rivals = cell[~cell["is_own"] & (cell["reviews"] >= MIN_REVIEWS)]
        if rivals.empty:
            continue
        for _, o in cell[cell["is_own"] & (cell["reviews"] >= MIN_REVIEWS)].iterrows():
            rows += _brand_rows({**dict(zip(keys, key)), "own_brand": o["brand"]}, o, rivals)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "own_brand", "metric", "competitor", "own", "theirs", "own_reviews",
                                     "their_reviews", "difference", "ci_low", "ci_high", "p_value", "index",
                                     "index_ci_low", "index_ci_high", "p_holm", "verdict"])
    family = [k for k in keys if k != "area"] + ["own_brand", "metric", "competitor"]
    frame["p_holm"] = frame.groupby(family, group_keys=False)["p_value"].apply(holm)
    frame["verdict"] = np.where(frame["p_holm"] >= 0.05, "no clear difference",
                                np.where(frame["difference"] > 0, "we are better", "we are worse"))
    return frame


def _brand_rows(where: dict, o: pd.Series, rivals: pd.DataFrame) -> list[dict]:
    """One own brand's cell (``o``) against each competitor and their average, for both metrics."""
    rows = []
    for metric, col, se in (("rating", "rating", "rating_se"), ("positive_share", "positive_share", "positive_se")):
        for _, r in rivals.iterrows():
            rows.append({**where, "metric": metric, "competitor": r["brand"], "own": o[col], "theirs": r[col],
                         "own_reviews": int(o["reviews"]), "their_reviews": int(r["reviews"]),
                         **_difference(o[col], o[se], r[col], r[se])})
        avg = rivals[col].mean()
        avg_se = np.sqrt((rivals[se] ** 2).sum()) / len(rivals)
        rows.append({**where, "metric": metric, "competitor": "competitors' average", "own": o[col], "theirs": avg,
                     "own_reviews": int(o["reviews"]), "their_reviews": int(rivals["reviews"].sum()),
                     **_difference(o[col], o[se], avg, avg_se), **_index(o[col], o[se], avg, avg_se)})
    return rows


def company_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison rows that speak for the company as a whole: the own brands together (``own_brand`` =
    ``all``) when the reviews name several, else the one own brand's (a comparison stored before ``own_brand``
    existed is the company's whole)."""
    if "own_brand" not in comparison or comparison.empty:
        return comparison
    brands = comparison["own_brand"].astype(str)
    return comparison[brands == ALL_OWN] if (brands == ALL_OWN).any() else comparison


def _difference(a, se_a, b, se_b) -> dict:
    diff, se = a - b, float(np.hypot(se_a, se_b))
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else float("nan")
    return {"difference": diff, "ci_low": diff - Z95 * se, "ci_high": diff + Z95 * se, "p_value": p}


def _index(own, se_own, avg, se_avg) -> dict:
    """own ÷ average × 100 with a delta-method interval."""
    if avg <= 0:
        return {"index": float("nan"), "index_ci_low": float("nan"), "index_ci_high": float("nan")}
    ratio = own / avg
    se = ratio * np.sqrt((se_own / own) ** 2 + (se_avg / avg) ** 2) if own > 0 else se_own / avg
    return {"index": 100 * ratio, "index_ci_low": 100 * (ratio - Z95 * se), "index_ci_high": 100 * (ratio + Z95 * se)}


def competitor_benchmark(mentions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The benchmark tables from ``review_mentions``: brands (per language and area), comparison (vs
    each competitor and the competitors' average, per language and area) and over_time (per quarter)."""
    if mentions.empty:
        raise NotEnoughDataError("no review names an area (delivery, price, …); the benchmark needs review texts.")
    if mentions["is_own"].all() or not mentions["is_own"].any():
        raise NotEnoughDataError("the reviews hold only one side (own brand or competitors); the benchmark needs both.")
    own_brands = mentions.loc[mentions["is_own"], "brand"].unique()
    if len(own_brands) > 1:  # each own brand, and all of them together
        mentions = pd.concat([mentions, mentions[mentions["is_own"]].assign(brand=ALL_OWN)], ignore_index=True)
    table = ibis.memtable(mentions.assign(lang=mentions["lang"].astype(str)))
    everywhere = table.mutate(lang=ibis.literal(ALL))
    both = everywhere.union(table.filter(table.lang.isin(["en", "de", "zh"])))
    brands = _with_intervals(brand_stats(both, ("lang", "area")))
    comparison = versus_competitors(brands, ("lang", "area"))
    over_time = _with_intervals(brand_stats(everywhere, ("quarter", "area")))
    return {"brands": brands.round(4), "comparison": comparison.round(4),
            "over_time": over_time.round(4), "over_time_comparison": versus_competitors(over_time, ("quarter", "area")).round(4)}
