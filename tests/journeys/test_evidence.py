"""Friction evidence against the source's own pace, and the feedback and revenue evidence against pandas."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from empathica.understand.journeys import JourneyAnalyzer, journey_events
from tests.journeys.conftest import TOUCHPOINTS, reference_transitions

GOAL = "order_confirmed"


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


def test_source_typical_seconds_is_the_median_wait_to_any_next_step(with_feedback, events_frame):
    analyzer, _, _ = with_feedback
    t = reference_transitions(events_frame, GOAL)
    expected = t[t["target"].notna()].groupby("activity")["seconds"].median()
    dfg = analyzer.dfg_
    np.testing.assert_allclose(dfg["source_typical_seconds"], dfg["source"].map(expected))


def test_log_wait_moments_and_paired_sentiment_equal_pandas(with_feedback, events_frame):
    """The evidence behind the delay and sentiment counterfactuals, against an independent computation."""
    analyzer, feedback, _ = with_feedback
    t = reference_transitions(events_frame, GOAL)
    t = t[t["target"].notna()].assign(lw=lambda f: np.log1p(f["seconds"].clip(lower=0)))
    moments = t.groupby(["activity", "target"])["lw"].agg(["mean", "std"]).rename_axis(["source", "target"]).sort_index()
    dfg = analyzer.dfg_.set_index(["source", "target"]).sort_index()
    np.testing.assert_allclose(dfg["log_seconds_mean"], moments["mean"], rtol=1e-9)
    np.testing.assert_allclose(dfg["log_seconds_sd"].fillna(-1), moments["std"].fillna(-1), rtol=1e-9)
    fb = feedback.assign(x=feedback["sentiment"].fillna((feedback["satisfaction"] - 3) / 2)).dropna(subset=["x"])
    per = fb.groupby(["customer", "touchpoint"])["x"].mean()
    after = t.set_index(["customer", "target"]).index.map(per.get)
    before = t.set_index(["customer", "activity"]).index.map(per.get)
    paired = t.assign(change=np.asarray(after, float) - np.asarray(before, float)).dropna(subset=["change"])
    expected = paired.groupby(["activity", "target"])["change"].mean().rename_axis(["source", "target"])
    ours = dfg["sentiment_change"].dropna()
    assert len(ours) == len(expected) > 3
    np.testing.assert_allclose(ours.sort_index(), expected.sort_index(), atol=1e-12)
