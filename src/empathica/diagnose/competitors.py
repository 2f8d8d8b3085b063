"""Standing against competitors per own brand (the ecosystem dimension): each own brand's mean review rating
against the competitors' average, as an index (100 = par) with a 95 % bootstrap interval.

Learn's benchmark (``learn_benchmark_comparison``) compares each own brand per review area; the scorecard's brand
rows need one overall standing per brand (a premium and a discount line), so they use their brand's index here. Reviews name their brand (``reviews.brand``) and whether it is the company's own
(``reviews.is_own``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.learn.benchmark import ALL_OWN  # the row for all own brands together

#: Fewest reviews an own brand (and each competitor) needs to be compared.
MIN_REVIEWS = 20


def competitor_index(reviews: pd.DataFrame, *, n_bootstrap: int = 200, random_state: int = 7) -> pd.DataFrame:
    """Per own brand (and all own brands together): reviews, mean rating, the competitors' average (the mean of
    each competitor's mean rating), the index own ÷ average × 100 and its interval (each brand's reviews resampled)."""
    rated = reviews.dropna(subset=["rating", "brand"])
    rated = rated.assign(is_own=rated["is_own"].astype(bool))
    rivals = {b: g["rating"].to_numpy(dtype=float) for b, g in rated[~rated["is_own"]].groupby("brand")
              if len(g) >= MIN_REVIEWS}
    own = {b: g["rating"].to_numpy(dtype=float) for b, g in rated[rated["is_own"]].groupby("brand") if len(g) >= MIN_REVIEWS}
    columns = ["brand", "reviews", "rating", "competitors", "competitor_reviews", "competitors_rating", "index",
               "index_low", "index_high"]
    if not rivals or not own:
        return pd.DataFrame(columns=columns)
    if len(own) > 1:
        own[ALL_OWN] = rated.loc[rated["is_own"], "rating"].to_numpy(dtype=float)
    rng = np.random.default_rng(random_state)
    average = np.mean([r.mean() for r in rivals.values()])
    boot_average = np.mean([_boot_means(r, rng, n_bootstrap) for r in rivals.values()], axis=0)
    rows = []
    for brand, ratings in own.items():
        index = 100.0 * _boot_means(ratings, rng, n_bootstrap) / boot_average
        rows.append({"brand": brand, "reviews": len(ratings), "rating": float(ratings.mean()), "competitors": len(rivals),
                     "competitor_reviews": int(sum(len(r) for r in rivals.values())), "competitors_rating": float(average),
                     "index": float(100.0 * ratings.mean() / average), "index_low": float(np.percentile(index, 2.5)),
                     "index_high": float(np.percentile(index, 97.5))})
    return pd.DataFrame(rows, columns=columns)


def _boot_means(values: np.ndarray, rng: np.random.Generator, n_bootstrap: int) -> np.ndarray:
    return values[rng.integers(0, len(values), (n_bootstrap, len(values)))].mean(axis=1)
