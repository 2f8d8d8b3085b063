"""Path comparison between two cohorts: which pathways differ in frequency or duration.

Frequency: for each pathway, the share of each cohort's journeys that contain it, compared with a
chi-square test on the 2×2 table (journeys with / without the pathway × cohort), or Fisher's exact
test when an expected count is below 5. Duration: the traversal times of the two cohorts compared
with a two-sided Mann–Whitney U test (when each cohort has at least 2 traversals). All p-values of
both families are corrected together with Benjamini–Hochberg; ``significant_*`` uses the q-value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from empathica.errors import NotEnoughDataError
from empathica.understand.journeys._discovery import transitions

if TYPE_CHECKING:
    from ibis.expr.types import Table


def compare_cohorts(
    steps: "Table",
    cohorts: "Table",
    *,
    cohort_a: str,
    cohort_b: str,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Pathways whose frequency or duration differs between two cohorts of journeys.

    ``steps`` comes from :func:`journey_steps`; ``cohorts`` maps ``case`` to ``cohort`` (journeys
    in neither cohort are left out). A journey given two different labels (two rows, or a file
    whose rows disagree) is left out too, whatever the row order: see :func:`journey_cohorts`.
    One row per pathway seen in either cohort, most significant first.
    """
    from scipy import stats  # imported when used: the command line starts faster

    labels = journey_cohorts(cohorts)
    labels = labels.filter((labels.labels == 1) & labels.cohort.isin([cohort_a, cohort_b])).select("case", "cohort")
    sizes = labels.group_by("cohort").aggregate(n=labels.count()).to_pandas().set_index("cohort")["n"]
    n_a, n_b = int(sizes.get(cohort_a, 0)), int(sizes.get(cohort_b, 0))
    if n_a == 0 or n_b == 0:
        raise NotEnoughDataError(
            f"cannot compare cohorts {cohort_a!r} ({n_a} journeys) and {cohort_b!r} ({n_b} journeys): "
            "each needs at least one journey."
        )
    t = transitions(steps).inner_join(labels, "case")
    counts = (
        t.group_by(source=t.activity, target=t.target, cohort=t.cohort)
        .aggregate(journeys=t.case.nunique(), median_seconds=t.seconds.quantile(0.5))
        .to_pandas()
    )
    durations = t.select(source=t.activity, target=t.target, cohort=t.cohort, seconds=t.seconds).to_pandas()
    grouped = {key: g["seconds"].to_numpy() for key, g in durations.groupby(["source", "target", "cohort"], sort=False)}
    wide = counts.pivot_table(index=["source", "target"], columns="cohort", values=["journeys", "median_seconds"])
    rows = []
    for (source, target), row in wide.iterrows():
        k_a = int(np.nan_to_num(row.get(("journeys", cohort_a), 0)))
        k_b = int(np.nan_to_num(row.get(("journeys", cohort_b), 0)))
        d_a = grouped.get((source, target, cohort_a), np.array([]))
        d_b = grouped.get((source, target, cohort_b), np.array([]))
        rows.append({
            "source": source, "target": target,
            "journeys_a": k_a, "journeys_b": k_b,
            "share_a": k_a / n_a, "share_b": k_b / n_b,
            "share_difference": k_a / n_a - k_b / n_b,
            "p_share": _share_test(k_a, n_a, k_b, n_b),
            "median_seconds_a": float(np.median(d_a)) if len(d_a) else np.nan,
            "median_seconds_b": float(np.median(d_b)) if len(d_b) else np.nan,
            "p_duration": stats.mannwhitneyu(d_a, d_b, alternative="two-sided").pvalue if len(d_a) >= 2 and len(d_b) >= 2 else np.nan,
        })
    out = pd.DataFrame(rows, columns=[
        "source", "target", "journeys_a", "journeys_b", "share_a", "share_b", "share_difference", "p_share",
        "median_seconds_a", "median_seconds_b", "p_duration",
    ])
    q = benjamini_hochberg(np.concatenate([out["p_share"].to_numpy(float), out["p_duration"].to_numpy(float)]))
    out["q_share"], out["q_duration"] = q[: len(out)], q[len(out):]
    out["significant_share"] = out["q_share"] < alpha
    out["significant_duration"] = out["q_duration"] < alpha
    out.insert(2, "cohort_a", cohort_a)
    out.insert(3, "cohort_b", cohort_b)
    out["n_journeys_a"], out["n_journeys_b"] = n_a, n_b
    best = out[["q_share", "q_duration"]].min(axis=1, skipna=True).fillna(1.0)
    return out.assign(_best=best).sort_values(["_best", "source", "target"]).drop(columns="_best").reset_index(drop=True)


def journey_cohorts(cohorts: "Table") -> "Table":
    """``case, cohort, labels``: each journey's cohort and how many different labels it was given.

    ``cohorts`` maps ``case`` to ``cohort``, one or more rows per journey; null labels are ignored.
    A journey with ``labels > 1`` has conflicting labels: :func:`compare_cohorts` leaves it out
    (``cohort`` is then the smallest label, shown only so the conflict can be inspected).
    """
    rows = cohorts.select(case=cohorts.case.cast("string"), cohort=cohorts.cohort.cast("string"))
    rows = rows.filter(rows.cohort.notnull()).distinct()
    return rows.group_by("case").aggregate(cohort=rows.cohort.min(), labels=rows.cohort.count())


def before_after_cohorts(events: "Table", at) -> "Table":
    """``case, cohort``: ``"before"`` for journeys whose first event is earlier than ``at`` (a timezone-aware
    ``datetime``), ``"after"`` for the others; for measuring whether a change made on that date moved the paths.

    A journey is labelled by where it starts, so one that straddles the change counts once, as "before".
    """
    import ibis

    starts = events.group_by("case").aggregate(start=events.timestamp.min())
    moment = ibis.literal(at, type=starts.start.type())
    return starts.select("case", cohort=ibis.ifelse(starts.start < moment, "before", "after"))


def pathway_day_counts(steps: "Table", segments: "Table") -> tuple["Table", "Table"]:
    """The counts any two cohorts of segment or start date are compared from, without reading events again.

    ``steps`` comes from :func:`journey_steps`; ``segments`` maps ``customer_id`` to ``segment``. Returns
    (``source, target, segment, day, journeys``: journeys starting on ``day`` in ``segment`` that take the
    pathway; ``segment, day, journeys``: all journeys starting that day in that segment). A journey is dated
    by its first event (as in :func:`before_after_cohorts`); a customer without a segment is ``"(none)"``.
    :func:`compare_shares` tests the sums of two cohorts; durations are not kept (medians do not add up).
    """
    starts = _journey_starts(steps, segments)
    t = transitions(steps)
    taken = t.select("case", source=t.activity, target=t.target).distinct().inner_join(starts, "case")
    counts = taken.group_by(["source", "target", "segment", "day"]).aggregate(journeys=taken.count())
    totals = starts.group_by(["segment", "day"]).aggregate(journeys=starts.count())
    return counts, totals


def _journey_starts(steps: "Table", segments: "Table") -> "Table":
    """``case, day, segment``: each journey's start day and its customer's segment (``"(none)"`` without one)."""
    import ibis

    starts = steps.group_by("case").aggregate(customer=steps.customer.min(), day=steps.timestamp.min().date())
    named = segments.select(customer_id=segments.customer_id.cast("string"), segment=segments.segment.cast("string"))
    starts = starts.left_join(named, starts.customer.cast("string") == named.customer_id)
    return starts.select("case", "day", segment=ibis.coalesce(starts.segment, ibis.literal("(none)")))


#: Duration bins per doubling of the wait: a median or p90 read from the bins lies in the same bin as the exact
#: one, so within a factor 2^(1/8) (9 %) of it. Bin 0 holds waits under one second.
DURATION_BINS_PER_OCTAVE = 8


def pathway_day_durations(steps: "Table", segments: "Table") -> "Table":
    """``source, target, segment, day, bin, transitions``: how many traversals of each pathway, by journeys of a
    segment starting on a day, waited a time in duration bin ``bin`` (see :data:`DURATION_BINS_PER_OCTAVE`).

    Bins add up where medians do not: :func:`duration_quantiles` reads any cohort's median and p90 from the sum of
    its rows. Every traversal counts, as in :func:`compare_cohorts`'s durations."""
    import ibis

    t = transitions(steps).inner_join(_journey_starts(steps, segments), "case")
    seconds = t.seconds.cast("float64")
    bin_ = ibis.ifelse(seconds < 1.0, 0, (seconds.log2() * DURATION_BINS_PER_OCTAVE).floor().cast("int64") + 1)
    binned = t.select(source=t.activity, target=t.target, segment=t.segment, day=t.day, bin=bin_)
    return binned.group_by(["source", "target", "segment", "day", "bin"]).aggregate(transitions=binned.count())


def duration_quantiles(binned: pd.DataFrame, quantiles: dict[str, float]) -> pd.DataFrame:
    """Per pathway (``source, target``), the quantiles of the waits in ``binned`` (``bin, transitions`` rows, any
    number per bin): the smallest bin whose running count reaches the quantile, interpolated inside it on the log
    scale. ``quantiles``: output column → quantile, e.g. ``{"median_seconds": 0.5, "p90_seconds": 0.9}``."""
    rows = []
    grouped = binned.groupby(["source", "target", "bin"], sort=True)["transitions"].sum().reset_index()
    for (source, target), part in grouped.groupby(["source", "target"], sort=False):
        counts, bins = part["transitions"].to_numpy(float), part["bin"].to_numpy(int)
        running, total = np.cumsum(counts), counts.sum()
        row = {"source": source, "target": target, "transitions": int(total)}
        for column, q in quantiles.items():
            i = int(np.searchsorted(running, q * total, side="left"))
            i = min(i, len(bins) - 1)
            before = running[i] - counts[i]
            inside = (q * total - before) / counts[i]
            b = bins[i]
            row[column] = 0.0 if b == 0 else float(2.0 ** ((b - 1 + inside) / DURATION_BINS_PER_OCTAVE))
        rows.append(row)
    return pd.DataFrame(rows, columns=["source", "target", "transitions", *quantiles])


def compare_shares(counts: pd.DataFrame, *, n_a: int, n_b: int, cohort_a: str, cohort_b: str,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Pathways whose share of journeys differs between two cohorts, from counts alone.

    ``counts`` holds ``source, target, journeys_a, journeys_b`` (journeys of each cohort that take the pathway);
    ``n_a``, ``n_b`` are the cohorts' journeys. The same test as :func:`compare_cohorts` (chi-square, Fisher's
    exact test below 5 expected) with Benjamini–Hochberg q-values; most significant first.
    """
    if n_a == 0 or n_b == 0:
        raise NotEnoughDataError(
            f"cannot compare cohorts {cohort_a!r} ({n_a} journeys) and {cohort_b!r} ({n_b} journeys): "
            "each needs at least one journey."
        )
    out = counts[["source", "target", "journeys_a", "journeys_b"]].copy()
    out[["journeys_a", "journeys_b"]] = out[["journeys_a", "journeys_b"]].fillna(0).astype(int)
    out["share_a"], out["share_b"] = out["journeys_a"] / n_a, out["journeys_b"] / n_b
    out["share_difference"] = out["share_a"] - out["share_b"]
    out["p_share"] = [_share_test(int(a), n_a, int(b), n_b) for a, b in zip(out["journeys_a"], out["journeys_b"])]
    out["q_share"] = benjamini_hochberg(out["p_share"].to_numpy(float))
    out["significant_share"] = out["q_share"] < alpha
    out.insert(2, "cohort_a", cohort_a)
    out.insert(3, "cohort_b", cohort_b)
    out["n_journeys_a"], out["n_journeys_b"] = n_a, n_b
    return out.sort_values(["q_share", "source", "target"]).reset_index(drop=True)


def _share_test(k_a: int, n_a: int, k_b: int, n_b: int) -> float:
    from scipy import stats  # imported when used: the command line starts faster

    table = np.array([[k_a, n_a - k_a], [k_b, n_b - k_b]])
    if (table.sum(axis=0) == 0).any():
        return 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if (expected < 5).any():
        return float(stats.fisher_exact(table).pvalue)
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values; NaN p-values (tests not run) stay NaN and do not count."""
    from scipy import stats  # imported when used: the command line starts faster

    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    known = ~np.isnan(p)
    if known.any():
        q[known] = stats.false_discovery_control(p[known], method="bh")
    return q
