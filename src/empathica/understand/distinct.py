"""Score each distinct input once: customer texts repeat ("Thanks!", template replies), so models
run on the distinct values and the rows are expanded back in the input's order."""

from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd


def score_distinct(keys: Sequence[object], score: Callable[[list[int]], pd.DataFrame]) -> pd.DataFrame:
    """``score(positions)`` scores the inputs at ``positions`` (one per distinct key, first occurrence)
    and returns one row per position; the result has one row per key, in order, index 0..n-1."""
    codes, uniques = pd.factorize(pd.Series(list(keys), dtype=object), use_na_sentinel=False)
    if len(uniques) == len(codes):
        return score(list(range(len(codes)))).reset_index(drop=True)
    first = pd.Series(range(len(codes))).groupby(codes, sort=True).first().tolist()
    scored = score(first).reset_index(drop=True)
    return scored.iloc[codes].reset_index(drop=True)
