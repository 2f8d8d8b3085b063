"""The analyzer's few-pass plan (``_fused``) against pandas and against itself with narrower masks."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

import empathica.understand.journeys._fused as fused
from empathica.understand.journeys import JourneyAnalyzer, journey_events
from tests.journeys.conftest import reference_dfg, reference_transitions

GOAL = "order_confirmed"
OUTPUTS = ["dfg_", "touchpoints_", "variants_", "channel_switches_", "friction_", "funnel_"]


def _fit(frame: pd.DataFrame, **columns) -> JourneyAnalyzer:
    con = ibis.duckdb.connect()
    table = con.create_table("events_fixture", frame)
    events = journey_events(table, case="case", activity="activity", timestamp="timestamp", event_id="event_id", **columns)
    return JourneyAnalyzer(goal=GOAL, min_transitions=5).fit(events)


def _assert_frames_equal(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert list(a.columns) == list(b.columns), what
    assert len(a) == len(b), what
    for col in a.columns:
        left, right = a[col], b[col]
        if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            np.testing.assert_allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-12, err_msg=f"{what}.{col}")
        else:
            assert left.tolist() == right.tolist(), f"{what}.{col}"


def test_multi_word_masks_and_dedup_fallback_give_the_same_results(events_frame, monkeypatch):
    """Five touchpoints in one 62-bit word, or spread over 2-bit words (3 words, pathways over 13,
    channel pairs over 5) with the pathway and channel-pair masks replaced by deduplication: equal."""
    columns = {"customer": "customer", "channel": "channel"}
    one_word = _fit(events_frame, **columns)
    monkeypatch.setattr(fused, "WORD_BITS", 2)
    narrow = _fit(events_frame, **columns)
    monkeypatch.setattr(fused, "MAX_MASK_WORDS", 4)  # pathways (13 words) and channel pairs (5) fall back
    fallback = _fit(events_frame, **columns)
    for other in (narrow, fallback):
        for name in OUTPUTS:
            _assert_frames_equal(getattr(one_word, name), getattr(other, name), name)
        assert other.summary_ == one_word.summary_


def test_customers_are_exact_when_a_journey_has_several_customers(events_frame):
    """Customers per pathway, touchpoint and channel pair equal pandas' nunique also when one
    journey's events belong to different customers (then customer masks come from the steps)."""
    frame = events_frame.copy()
    rng = np.random.default_rng(11)
    frame["customer"] = [f"u{k:03d}" for k in rng.integers(0, 40, size=len(frame))]
    fitted = _fit(frame, customer="customer", channel="channel")
    ref = reference_dfg(frame, GOAL)
    assert fitted.dfg_["customers"].tolist() == ref["customers"].tolist()
    steps = reference_transitions(frame, GOAL)
    per_touchpoint = steps.groupby("activity")["customer"].nunique()
    got = fitted.touchpoints_.set_index("touchpoint")["customers"]
    assert got.sort_index().to_dict() == per_touchpoint.sort_index().to_dict()
    t = steps[steps["target"].notna() & (steps["channel"] != steps["target_channel"])]
    expected = t.groupby(["channel", "target_channel"]).agg(customers=("customer", "nunique"), journeys=("case", "nunique"))
    ours = fitted.channel_switches_.set_index(["source_channel", "target_channel"])[["customers", "journeys"]]
    assert ours.sort_index().to_dict("index") == expected.sort_index().to_dict("index")
    assert fitted.summary_["customers"] == frame["customer"].nunique()


def test_touchpoint_repeats_and_journeys_equal_pandas(events_frame):
    fitted = _fit(events_frame, customer="customer", channel="channel")
    steps = reference_transitions(events_frame, GOAL)
    visits = steps.groupby(["case", "activity"]).size()
    tp = fitted.touchpoints_.set_index("touchpoint")
    for touchpoint, n in visits.groupby(level="activity"):
        assert tp.loc[touchpoint, "journeys"] == len(n)
        assert tp.loc[touchpoint, "journeys_with_repeat"] == int((n > 1).sum())
        assert tp.loc[touchpoint, "customers"] == steps.loc[steps["activity"] == touchpoint, "customer"].nunique()
    with_repeat = (visits > 1).groupby(level="case").any().mean()
    assert fitted.summary_["journeys_with_repeat_share"] == pytest.approx(with_repeat)


def test_many_touchpoints_span_several_mask_words():
    """70 touchpoints need two 62-bit words: first visits, repeats and pathway customers stay exact."""
    rng = np.random.default_rng(5)
    rows = []
    for c in range(120):
        n = int(rng.integers(2, 12))
        for k in range(n):
            rows.append({"case": f"c{c}", "activity": f"t{int(rng.integers(0, 70)):02d}", "i": k, "customer": f"u{c % 50}"})
    frame = pd.DataFrame(rows)
    frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["i"], unit="min")
    frame["event_id"] = np.arange(len(frame))
    frame.loc[frame.groupby("case").head(1).index[:30], "activity"] = GOAL
    fitted = _fit(frame, customer="customer")
    assert len(fitted.touchpoints_) > fused.WORD_BITS
    steps = reference_transitions(frame.assign(channel=None), GOAL)
    visits = steps.groupby(["case", "activity"]).size()
    tp = fitted.touchpoints_.set_index("touchpoint")
    assert tp["journeys"].sort_index().to_dict() == visits.groupby(level="activity").size().sort_index().to_dict()
    assert tp["journeys_with_repeat"].sort_index().to_dict() == (visits > 1).groupby(level="activity").sum().sort_index().to_dict()
    ref = reference_dfg(frame.assign(channel=None), GOAL)
    assert fitted.dfg_["customers"].tolist() == ref["customers"].tolist()
    np.testing.assert_allclose(fitted.dfg_["repeat_rate"].to_numpy(float), ref["repeat_rate"].to_numpy(float), rtol=1e-12)


def test_a_customer_that_is_the_case_is_neither_stored_nor_grouped_twice_and_changes_nothing(events_frame):
    """Without a customer column the step table and the journey masks hold the case once (the customer
    is added back as the case): every output equals a fit whose customer column holds the case."""
    frame = events_frame.assign(same=events_frame["case"])
    aliased, explicit = _fit(frame, channel="channel"), _fit(frame, customer="same", channel="channel")
    assert "customer" in aliased.steps_.columns and "customer" in aliased.journeys_.columns
    for name in OUTPUTS:
        _assert_frames_equal(getattr(aliased, name), getattr(explicit, name), name)
    assert aliased.summary_ == explicit.summary_
