"""Friction evidence against the source's own pace, and the feedback and revenue evidence against pandas."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from empathica.understand.journeys import JourneyAnalyzer, journey_events, pathway_friction
from tests.journeys.conftest import TOUCHPOINTS, reference_transitions

GOAL = "order_confirmed"


def test_delay_is_measured_against_the_sources_typical_next_step():
    # a → c and d → e both take an hour; from a the typical next step takes 2 min, from d an hour
    dfg = pd.DataFrame({
        "source": ["a", "a", "d"], "target": ["b", "c", "e"], "transitions": [50, 40, 30], "customers": [50, 40, 30],
        "median_seconds": [60.0, 3600.0, 3600.0], "p90_seconds": [1.0] * 3, "dropoff_rate": [0.2] * 3,
        "repeat_rate": [0.0] * 3, "channel_switch_rate": [np.nan] * 3, "self_loop": [False] * 3,
        "source_typical_seconds": [120.0, 120.0, 3600.0],
    })
    out = pathway_friction(dfg, min_transitions=1).set_index(["source", "target"])
    ratio = np.log1p([60.0, 3600.0, 3600.0]) - np.log1p([120.0, 120.0, 3600.0])
    np.testing.assert_allclose(out.loc[[("a", "b"), ("a", "c"), ("d", "e")], "log_delay_ratio"], ratio)
    assert out.loc[("d", "e"), "delay_vs_typical"] == pytest.approx(1.0)
    assert out.loc[("a", "c"), "delay_vs_typical"] == pytest.approx(3601 / 121)
    # only delay varies (drop-off and repeat are measured but constant: z = 0, weight counted): the slow
    # pathway from the quick source is the friction, not the equally slow d → e
    z = (ratio - ratio.mean()) / ratio.std()
    np.testing.assert_allclose(out.loc[[("a", "b"), ("a", "c"), ("d", "e")], "friction_score"], z / 3, atol=1e-6)
    assert out["rank"].idxmin() == ("a", "c")
    assert "29.8× the typical next step from a" in out.loc[("a", "c"), "evidence"]


@pytest.fixture(scope="module")
def with_feedback(events_frame):
    rng = np.random.default_rng(11)
    customers = sorted(events_frame["customer"].unique())
    n = 160
    feedback = pd.DataFrame({
        "customer": [customers[i % len(customers)] for i in range(n)] + ["nobody"],
        "touchpoint": [TOUCHPOINTS[int(rng.integers(0, len(TOUCHPOINTS)))] for _ in range(n)] + ["web_home"],
        "satisfaction": np.append(rng.integers(1, 6, n).astype(float), 5.0),
        "sentiment": np.append(np.where(rng.random(n) < 0.3, np.nan, rng.uniform(-1, 1, n)), 0.9),
    })
    feedback.loc[5, ["satisfaction", "sentiment"]] = np.nan  # a response with neither
    revenue = pd.DataFrame({"customer": [customers[i % 70] for i in range(150)] + ["nobody"],
                            "revenue": np.append(rng.uniform(0, 100, 150), 1000.0)})
    con = ibis.duckdb.connect()
    events = journey_events(con.create_table("e", events_frame), case="case", activity="activity", timestamp="timestamp",
                            event_id="event_id", customer="customer", channel="channel")
    analyzer = JourneyAnalyzer(goal=GOAL, min_transitions=1).fit(
        events, feedback=con.create_table("f", feedback), revenue=con.create_table("r", revenue))
    yield analyzer, feedback, revenue
    con.disconnect()


def test_sentiment_after_equals_pandas(with_feedback, events_frame):
    analyzer, feedback, _ = with_feedback
    t = reference_transitions(events_frame, GOAL)
    t = t[t["target"].notna()]
    fb = feedback.assign(experience=feedback["sentiment"].fillna((feedback["satisfaction"] - 3) / 2)).dropna(subset=["experience"])
    per = fb.groupby(["customer", "touchpoint"])["experience"].mean().rename("s").reset_index()
    linked = t.merge(per, left_on=["customer", "target"], right_on=["customer", "touchpoint"])
    expected = linked.groupby(["activity", "target"])["s"].mean()
    ours = analyzer.dfg_.set_index(["source", "target"])["sentiment_after"]
    assert ours.notna().sum() == len(expected) > 5
    np.testing.assert_allclose(ours.dropna().sort_index().to_numpy(),
                               expected.rename_axis(["source", "target"]).sort_index().to_numpy(), atol=1e-12)


def test_revenue_touched_equals_pandas(with_feedback, events_frame):
    analyzer, _, revenue = with_feedback
    t = reference_transitions(events_frame, GOAL)
    pairs = t[t["target"].notna()][["customer", "activity", "target"]].drop_duplicates()
    pairs["revenue"] = pairs["customer"].map(revenue.groupby("customer")["revenue"].sum()).fillna(0.0)
    expected = pairs.groupby(["activity", "target"])["revenue"].sum().rename_axis(["source", "target"]).sort_index()
    ours = analyzer.dfg_.set_index(["source", "target"])["revenue"].sort_index()
    assert list(ours.index) == list(expected.index)
    np.testing.assert_allclose(ours.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert (expected > 0).sum() > 5


def test_satisfaction_and_sentiment_per_touchpoint_equal_pandas(with_feedback):
    analyzer, feedback, _ = with_feedback
    expected = feedback.groupby("touchpoint").agg(feedback_responses=("customer", "size"), satisfaction=("satisfaction", "mean"),
                                                  sentiment=("sentiment", "mean"))
    ours = analyzer.touchpoints_.set_index("touchpoint")[["feedback_responses", "satisfaction", "sentiment"]].sort_index()
    pd.testing.assert_frame_equal(ours, expected.loc[ours.index].astype(ours.dtypes.to_dict()), check_exact=False, rtol=1e-12)


def test_a_constant_component_adds_nothing_even_with_rounding():
    # 0.2 three times has a mean of 0.20000000000000004 and an sd of ~3e-17: still "does not vary"
    dfg = pd.DataFrame({
        "source": ["a", "b", "c"], "target": ["b", "c", "d"], "transitions": [50, 40, 30], "customers": [50, 40, 30],
        "median_seconds": [60.0, 60.0, 60.0], "p90_seconds": [1.0] * 3, "dropoff_rate": [0.2] * 3,
        "repeat_rate": [0.1, 0.1, 0.1], "channel_switch_rate": [np.nan] * 3, "self_loop": [False] * 3,
    })
    out = pathway_friction(dfg, min_transitions=1)
    assert (out[["z_dropoff", "z_delay", "z_repeat"]] == 0).all().all()
    assert (out["friction_score"] == 0).all()


def test_source_typical_seconds_is_the_median_wait_to_any_next_step(with_feedback, events_frame):
    analyzer, _, _ = with_feedback
    t = reference_transitions(events_frame, GOAL)
    expected = t[t["target"].notna()].groupby("activity")["seconds"].median()
    dfg = analyzer.dfg_
    np.testing.assert_allclose(dfg["source_typical_seconds"], dfg["source"].map(expected))
    np.testing.assert_allclose(analyzer.friction_["log_delay_ratio"],
                               np.log1p(analyzer.friction_["median_seconds"]) - np.log1p(analyzer.friction_["source"].map(expected)))
