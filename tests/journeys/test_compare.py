"""Cohort path comparison finds a planted difference and stays quiet on a null one."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from empathica.errors import NotEnoughDataError
from empathica.understand.journeys import benjamini_hochberg, compare_cohorts, journey_events, journey_steps


def _cohort_log(planted: bool, seed: int) -> pd.DataFrame:
    """Two cohorts of 300 journeys; when planted, cohort B detours via the call centre more and waits longer there."""
    rng = np.random.default_rng(seed)
    rows, start = [], pd.Timestamp("2024-01-01", tz="UTC")
    for c in range(600):
        cohort = "A" if c < 300 else "B"
        detour_p = 0.45 if (planted and cohort == "B") else 0.15
        path = ["web_home", "web_checkout"]
        if rng.random() < detour_p:
            path += ["call_centre"]
        path += ["order_confirmed"]
        t = start + pd.Timedelta(hours=c)
        for k, tp in enumerate(path):
            rows.append({"case": f"j{c}", "activity": tp, "timestamp": t, "cohort": cohort, "event_id": f"{c:05d}{k}"})
            slow = planted and cohort == "B" and tp == "web_home"
            t = t + pd.Timedelta(milliseconds=int(rng.exponential(900_000 if slow else 300_000)))
    return pd.DataFrame(rows)


def _compare(frame: pd.DataFrame) -> pd.DataFrame:
    table = ibis.memtable(frame)
    events = journey_events(table, case="case", activity="activity", timestamp="timestamp", event_id="event_id")
    steps = journey_steps(events, goal="order_confirmed")
    cohorts = table.select("case", "cohort").distinct()
    return compare_cohorts(steps, cohorts, cohort_a="A", cohort_b="B").set_index(["source", "target"])


def test_planted_difference_is_found():
    out = _compare(_cohort_log(planted=True, seed=1))
    detour = out.loc[("web_checkout", "call_centre")]
    assert detour["significant_share"] and detour["share_b"] > detour["share_a"]
    slow = out.loc[("web_home", "web_checkout")]
    assert slow["significant_duration"] and slow["median_seconds_b"] > slow["median_seconds_a"]
    assert not slow["significant_share"]  # every journey has this step in both cohorts
    assert out["q_share"].iloc[0] <= 0.05 or out["q_duration"].iloc[0] <= 0.05  # most significant first


def test_null_difference_is_not_flagged():
    for seed in (2, 3, 4):
        out = _compare(_cohort_log(planted=False, seed=seed))
        assert not out["significant_share"].any(), seed
        assert not out["significant_duration"].any(), seed


def test_shares_equal_pandas():
    frame = _cohort_log(planted=True, seed=5)
    out = _compare(frame)
    has = frame.sort_values(["case", "timestamp", "event_id"]).assign(
        target=lambda f: f.groupby("case")["activity"].shift(-1)
    ).dropna(subset=["target"])
    counts = has.groupby(["activity", "target", "cohort"])["case"].nunique().unstack(fill_value=0)
    for (source, target), row in counts.iterrows():
        assert out.loc[(source, target), "journeys_a"] == row.get("A", 0)
        assert out.loc[(source, target), "share_b"] == pytest.approx(row.get("B", 0) / 300)


def test_benjamini_hochberg_matches_the_definition():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.5])
    q = benjamini_hochberg(p)
    known = np.array([0.01, 0.04, 0.03, 0.5])
    order = np.argsort(known)
    ranked = known[order] * len(known) / np.arange(1, len(known) + 1)
    expected = np.minimum.accumulate(ranked[::-1])[::-1]
    back = np.empty_like(expected)
    back[order] = expected
    np.testing.assert_allclose(q[[0, 1, 2, 4]], back)
    assert np.isnan(q[3])


def test_empty_cohort_is_a_clear_error():
    frame = _cohort_log(planted=False, seed=6)
    frame["cohort"] = "A"
    with pytest.raises(NotEnoughDataError, match="'B' \\(0 journeys\\)"):
        _compare(frame)


def test_journeys_with_conflicting_labels_are_left_out_whatever_the_row_order():
    ev = pd.DataFrame({
        "case": ["1", "1", "2", "2", "3", "3"], "activity": ["w", "b", "w", "c", "w", "b"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00", "2024-01-01 12:00",
                                     "2024-01-02 10:00", "2024-01-02 10:01"]),
    })
    steps = journey_steps(journey_events(ibis.memtable(ev), case="case", activity="activity", timestamp="timestamp"), goal="b")
    results = []
    for order in (["A", "B"], ["B", "A"]):
        # journey 1 is labelled both A and B; journey 4 has no events; journey 2 is labelled B twice
        cohorts = pd.DataFrame({"case": ["1", "1", "2", "2", "3", "4"], "cohort": order + ["B", "B", "A", None]})
        out = compare_cohorts(steps, ibis.memtable(cohorts), cohort_a="A", cohort_b="B")
        results.append(out[["source", "target", "journeys_a", "journeys_b", "n_journeys_a", "n_journeys_b"]].values.tolist())
    assert results[0] == results[1]
    assert sorted(results[0]) == [["w", "b", 1, 0, 1, 1], ["w", "c", 0, 1, 1, 1]]


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_by_segment_and_day_give_the_same_shares_and_tests_as_the_journeys(seed):
    """The dashboard compares any two segments, or before / after a date, from pathway_day_counts alone: the sums
    give the same journeys, shares and share p-values as compare_cohorts on the journeys, and find the planted
    detour."""
    from empathica.understand.journeys import before_after_cohorts, compare_shares, pathway_day_counts

    frame = _cohort_log(planted=True, seed=seed).assign(customer=lambda f: f["case"])
    table = ibis.memtable(frame)
    events = journey_events(table, case="case", activity="activity", timestamp="timestamp", event_id="event_id",
                            customer="customer")
    steps = journey_steps(events, goal="order_confirmed")
    segments = table.select(customer_id="customer", segment="cohort").distinct()
    counts, starts = (t.to_pandas() for t in pathway_day_counts(steps, segments))
    assert starts.journeys.sum() == 600 and set(starts.segment) == {"A", "B"}
    wide = counts.pivot_table(index=["source", "target"], columns="segment", values="journeys", aggfunc="sum").fillna(0)
    wide = wide.rename(columns={"A": "journeys_a", "B": "journeys_b"}).reset_index()
    n = starts.groupby("segment").journeys.sum()
    out = compare_shares(wide, n_a=int(n["A"]), n_b=int(n["B"]), cohort_a="A", cohort_b="B").set_index(["source", "target"])
    expected = _compare(frame.drop(columns="customer"))
    for column in ("journeys_a", "journeys_b", "share_a", "share_b", "p_share"):
        assert np.allclose(out[column], expected.loc[out.index, column]), column
    assert out.loc[("web_checkout", "call_centre"), "significant_share"]
    # before / after the middle day: the same cohorts as before_after_cohorts
    middle = sorted(starts.day.unique())[len(starts.day.unique()) // 2]
    labels = before_after_cohorts(events, pd.Timestamp(middle, tz="UTC").to_pydatetime()).to_pandas()
    before = starts[pd.to_datetime(starts.day) < pd.Timestamp(middle)].journeys.sum()
    assert before == (labels.cohort == "before").sum() and 0 < before < 600
