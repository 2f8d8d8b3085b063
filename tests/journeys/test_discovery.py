"""Discovery, touchpoints, variants, friction and funnel against independent pandas computations."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from empathica.understand.journeys import PATH_SEPARATOR, JourneyAnalyzer, goal_funnel, journey_events
from tests.journeys.conftest import reference_dfg, reference_transitions

GOAL = "order_confirmed"


@pytest.fixture(scope="module")
def fitted(events_frame):
    con = ibis.duckdb.connect()
    table = con.create_table("events_fixture", events_frame)
    events = journey_events(table, case="case", activity="activity", timestamp="timestamp", event_id="event_id",
                            customer="customer", channel="channel")
    analyzer = JourneyAnalyzer(goal=GOAL, min_transitions=5).fit(events)
    yield analyzer
    con.disconnect()


def test_directly_follows_graph_equals_pandas(fitted, events_frame):
    ours = fitted.dfg_
    ref = reference_dfg(events_frame, GOAL)
    assert len(ours) == len(ref)
    for col in ["source", "target", "transitions", "customers"]:
        assert ours[col].tolist() == ref[col].tolist(), col
    for col in ["median_seconds", "p90_seconds", "dropoff_rate", "repeat_rate", "channel_switch_rate"]:
        np.testing.assert_allclose(ours[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9, err_msg=col)


def test_ties_are_broken_by_event_id(events_frame):
    tied = pd.DataFrame({
        "case": ["a", "a", "a"], "activity": ["x", "y", "z"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00"] * 3, utc=True), "event_id": ["3", "1", "2"],
    })
    events = journey_events(ibis.memtable(tied), case="case", activity="activity", timestamp="timestamp", event_id="event_id")
    dfg = JourneyAnalyzer(goal="x", cache=False).fit(events).dfg_
    # order by event id: y(1) → z(2) → x(3)
    assert sorted(zip(dfg.source, dfg.target)) == [("y", "z"), ("z", "x")]
    assert dfg.median_seconds.tolist() == [0.0, 0.0]


def test_touchpoints_equal_pandas(fitted, events_frame):
    ref = reference_transitions(events_frame, GOAL)
    last = ref.groupby("case").tail(1)
    first = ref.groupby("case").head(1)
    reached = ref.groupby("case")["activity"].apply(lambda s: (s == GOAL).any())
    tp = fitted.touchpoints_.set_index("touchpoint")
    n_journeys = ref["case"].nunique()
    for touchpoint, group in ref.groupby("activity"):
        row = tp.loc[touchpoint]
        assert row["events"] == len(group)
        assert row["journeys"] == group["case"].nunique()
        assert row["starts"] == (first["activity"] == touchpoint).sum()
        ends = last[last["activity"] == touchpoint]
        assert row["ends"] == len(ends)
        dropoffs = int((~ends["case"].map(reached)).sum())
        assert row["dropoffs"] == dropoffs
        assert row["dropoff_rate"] == pytest.approx(dropoffs / group["case"].nunique())
        assert row["repeat_events"] == (group["visit"] > 0).sum()
        assert row["start_share"] == pytest.approx((first["activity"] == touchpoint).sum() / n_journeys)


def test_variants_equal_pandas(fitted, events_frame):
    ref = reference_transitions(events_frame, GOAL)
    paths = ref.groupby("case", sort=False)["activity"].agg(PATH_SEPARATOR.join)
    counts = paths.value_counts()
    ours = fitted.variants_.set_index("variant")
    assert len(ours) == len(counts)
    for variant, n in counts.items():
        assert ours.loc[variant, "journeys"] == n
        assert ours.loc[variant, "share"] == pytest.approx(n / len(paths))
    assert fitted.variants_["journeys"].is_monotonic_decreasing
    assert fitted.summary_["single_event_journeys"] == int((ref.groupby("case").size() == 1).sum())


def test_channel_switches_equal_pandas(fitted, events_frame):
    ref = reference_transitions(events_frame, GOAL)
    t = ref[ref["target"].notna() & (ref["channel"] != ref["target_channel"])]
    expected = t.groupby(["channel", "target_channel"]).size()
    ours = fitted.channel_switches_.set_index(["source_channel", "target_channel"])["transitions"]
    assert ours.sort_index().to_dict() == expected.sort_index().to_dict()


def test_goal_funnel_counts_ordered_reach(fitted, events_frame):
    ref = reference_transitions(events_frame, GOAL)
    funnel = fitted.funnel_steps_
    assert funnel[-1] == GOAL
    for k in range(1, len(funnel) + 1):
        n = 0
        for _, group in ref.groupby("case"):
            seq, i = group["activity"].tolist(), 0
            for a in seq:
                if i < k and a == funnel[i]:
                    i += 1
            n += i >= k
        assert fitted.funnel_.loc[k - 1, "journeys"] == n
    # the walk along the distinct paths (the analyzer's way) and one query per step agree
    per_step = goal_funnel(fitted.steps_, funnel)
    pd.testing.assert_frame_equal(per_step, fitted.funnel_[per_step.columns], check_dtype=False)


def test_customer_friction_counts_top_pathway_traversals(fitted, events_frame):
    per = fitted.customer_friction()
    ref = reference_transitions(events_frame, GOAL)
    ref = ref[ref["target"].notna()]
    top = set(fitted.top_friction_pathways_)
    is_top = [(s, t) in top for s, t in zip(ref["activity"], ref["target"])]
    expected = ref[is_top].groupby("customer").size()
    got = per.set_index("customer_id")["top_pathway_traversals"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()


def test_default_goal_is_the_most_frequent_end(events_frame):
    events = journey_events(ibis.memtable(events_frame), case="case", activity="activity", timestamp="timestamp", event_id="event_id")
    analyzer = JourneyAnalyzer(cache=False).fit(events)
    ref = reference_transitions(events_frame, GOAL)
    ends = ref.groupby("case").tail(1)["activity"].value_counts()
    assert analyzer.goal_ == sorted(ends[ends == ends.max()].index)[0]


def test_pathway_graph_is_the_dfg_csv_part_of_the_full_graph(fitted, events_frame):
    from empathica.understand.journeys import DFG_COLUMNS, pathway_graph

    events = journey_events(ibis.memtable(events_frame), case="case", activity="activity", timestamp="timestamp",
                            event_id="event_id", customer="customer", channel="channel")
    bare = pathway_graph(events).to_pandas().sort_values(["source", "target"]).reset_index(drop=True)
    full = fitted.dfg_[DFG_COLUMNS].sort_values(["source", "target"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(bare[DFG_COLUMNS], full, check_dtype=False)


def test_repeat_rate_from_first_arrivals_equals_the_per_step_flag(fitted, events_frame):
    """The analyzer counts repeats from first visits (no join per step); the public step table's
    ``target_repeat`` flag (a join) must give the same rate, and the same flag as pandas per step."""
    from empathica.understand.journeys import directly_follows, journey_steps

    events = journey_events(ibis.memtable(events_frame), case="case", activity="activity", timestamp="timestamp",
                            event_id="event_id", customer="customer", channel="channel")
    steps = journey_steps(events, goal=GOAL)
    by_flag = directly_follows(steps).to_pandas().sort_values(["source", "target"]).reset_index(drop=True)
    ours = fitted.dfg_.sort_values(["source", "target"]).reset_index(drop=True)
    np.testing.assert_allclose(by_flag["repeat_rate"].to_numpy(float), ours["repeat_rate"].to_numpy(float), rtol=1e-12)
    flags = steps.filter(steps.target.notnull()).select("case", "position", "target_repeat").to_pandas()
    ref = reference_transitions(events_frame, GOAL)
    ref = ref[ref["target"].notna()]
    merged = flags.merge(ref[["case", "position", "target_visit"]], on=["case", "position"])
    assert len(merged) == len(flags) == len(ref)
    assert merged["target_repeat"].tolist() == (merged["target_visit"] > 0).tolist()
    assert merged["target_repeat"].any() and not merged["target_repeat"].all()


def test_variant_keys_separate_reordered_paths():
    """Two journeys with the same touchpoints in a different order (and the same multiset of
    positions per touchpoint sum) are different variants; equal paths share one."""
    from empathica.understand.journeys import JourneyAnalyzer

    paths = {"1": "ABBA", "2": "BAAB", "3": "ABBA", "4": "AB", "5": "BA"}
    rows = [(case, tp, i) for case, path in paths.items() for i, tp in enumerate(path)]
    frame = pd.DataFrame(rows, columns=["case", "activity", "i"])
    frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["i"], unit="min")
    events = journey_events(ibis.memtable(frame), case="case", activity="activity", timestamp="timestamp")
    variants = JourneyAnalyzer(goal="A", min_transitions=1, cache=False).fit(events).variants_
    got = dict(zip(variants["variant"], variants["journeys"]))
    sep = PATH_SEPARATOR
    assert got == {sep.join("ABBA"): 2, sep.join("BAAB"): 1, sep.join("AB"): 1, sep.join("BA"): 1}


def test_pathway_graph_statistics_equal_pandas(events_frame):
    """``statistics=True`` adds pm4py's performance measures; each equals pandas on the same traversals."""
    from empathica.understand.journeys import pathway_graph

    events = journey_events(ibis.memtable(events_frame), case="case", activity="activity", timestamp="timestamp",
                            event_id="event_id", customer="customer", channel="channel")
    ours = pathway_graph(events, customers=False, statistics=True).to_pandas().sort_values(["source", "target"])
    assert "customers" not in ours.columns
    ref = reference_transitions(events_frame, GOAL)
    ref = ref[ref["target"].notna()].groupby(["activity", "target"])["seconds"].agg(["count", "mean", "min", "max", "sum", "std"])
    ref = ref.sort_index()
    assert ours["transitions"].tolist() == ref["count"].tolist()
    for ours_col, ref_col in [("mean_seconds", "mean"), ("min_seconds", "min"), ("max_seconds", "max"),
                              ("sum_seconds", "sum"), ("stdev_seconds", "std")]:
        np.testing.assert_allclose(ours[ours_col].to_numpy(float), ref[ref_col].to_numpy(float), rtol=1e-9, err_msg=ours_col)


@pytest.mark.parametrize("zone", [None, "UTC"])
def test_seconds_between_counts_the_milliseconds_date_diff_counts(zone):
    # DuckDB takes the epoch-millisecond difference (date_diff on a zoned time is slow); both count
    # millisecond boundaries, so sub-millisecond parts and nulls come out the same as date_diff's
    from empathica.understand.journeys._discovery import seconds_between

    start = pd.to_datetime(["2024-01-01 10:00:00.0004", "2024-03-31 00:59:59.9996", "2024-01-01 00:00:00", None], format="ISO8601")
    end = pd.to_datetime(["2024-01-01 10:00:01.0001", "2024-03-31 03:00:00.0002", "2023-12-31 23:59:59.999", "2024-01-01"], format="ISO8601")
    frame = pd.DataFrame({"a": start, "b": end})
    if zone:
        frame = frame.apply(lambda c: c.dt.tz_localize(zone))
    t = ibis.memtable(frame)
    got = t.select(fast=seconds_between(t.b, t.a), slow=t.b.delta(t.a, unit="millisecond").cast("float64") / 1000.0).to_pandas()
    assert "EPOCH_MS" in ibis.to_sql(t.select(s=seconds_between(t.b, t.a))).upper()
    assert got["fast"].tolist()[:3] == got["slow"].tolist()[:3] == [1.0, 7200.001, -0.001]
    assert got["fast"].isna().tolist() == [False, False, False, True]
