"""The same journey expressions on DuckDB and on a local Spark session give the same rows."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from empathica.understand.journeys import (
    channel_switches,
    compare_cohorts,
    directly_follows,
    goal_funnel,
    journey_events,
    journey_steps,
    journey_table,
    pathway_friction,
    touchpoint_summary,
    variant_summary,
)

pytestmark = pytest.mark.spark


def _assert_same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys, kind="mergesort").reset_index(drop=True)
    b = b.sort_values(keys, kind="mergesort").reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        left, right = a[col], b[col]
        if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            np.testing.assert_allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-9, err_msg=col)
        else:
            assert left.astype(object).where(left.notna(), None).tolist() == right.astype(object).where(right.notna(), None).tolist(), col


def test_discovery_runs_unchanged_on_spark(spark, events_frame):
    """Each expression once per backend (few Spark jobs keep this test short); friction is pandas on the graph."""
    frame = events_frame.head(400).copy()
    frame["cohort"] = np.where(frame["case"].str[-1].isin(list("01234")), "A", "B")
    spark.createDataFrame(frame).createOrReplaceTempView("journey_events_fixture")
    backends = {"duckdb": ibis.duckdb.connect().create_table("journey_events_fixture", frame),
                "spark": ibis.pyspark.connect(spark).table("journey_events_fixture")}
    results: dict[str, dict[str, pd.DataFrame]] = {}
    for name, table in backends.items():
        events = journey_events(table, case="case", activity="activity", timestamp="timestamp", event_id="event_id",
                                customer="customer", channel="channel")
        steps = journey_steps(events, goal="order_confirmed")
        journeys = journey_table(steps)
        dfg = directly_follows(steps).to_pandas()
        results[name] = {
            "dfg": dfg,
            "touchpoints": touchpoint_summary(steps, journeys).to_pandas(),
            "variants": variant_summary(journeys, steps).to_pandas(),
            "channels": channel_switches(steps).to_pandas(),
            "funnel": goal_funnel(steps, ["web_home", "web_checkout", "order_confirmed"]),
            "friction": pathway_friction(dfg, min_transitions=3),
            "compare": compare_cohorts(steps, table.select("case", "cohort").distinct(), cohort_a="A", cohort_b="B"),
        }
    keys = {"dfg": ["source", "target"], "touchpoints": ["touchpoint"], "variants": ["variant"],
            "channels": ["source_channel", "target_channel"], "funnel": ["step"], "friction": ["source", "target"],
            "compare": ["source", "target"]}
    for what, key in keys.items():
        _assert_same(results["duckdb"][what], results["spark"][what], key)


def test_analyzer_runs_unchanged_on_spark(spark, events_frame):
    """``JourneyAnalyzer.fit`` (one ordered step table, bit masks, ``bit_or``) gives the same tables on both."""
    from empathica.understand.journeys import JourneyAnalyzer

    frame = events_frame.head(300).copy()
    spark.createDataFrame(frame).createOrReplaceTempView("journey_events_analyzer")
    tables = {"duckdb": ibis.duckdb.connect().create_table("journey_events_analyzer", frame),
              "spark": ibis.pyspark.connect(spark).table("journey_events_analyzer")}
    fitted = {}
    for name, table in tables.items():
        events = journey_events(table, case="case", activity="activity", timestamp="timestamp", event_id="event_id",
                                customer="customer", channel="channel")
        fitted[name] = JourneyAnalyzer(goal="order_confirmed", min_transitions=3).fit(events)
    duck, spk = fitted["duckdb"], fitted["spark"]
    _assert_same(duck.dfg_, spk.dfg_, ["source", "target"])
    _assert_same(duck.touchpoints_, spk.touchpoints_, ["touchpoint"])
    _assert_same(duck.variants_, spk.variants_, ["variant"])
    _assert_same(duck.channel_switches_, spk.channel_switches_, ["source_channel", "target_channel"])
    _assert_same(duck.funnel_, spk.funnel_, ["step"])
    assert duck.summary_ == spk.summary_
    columns = ["case", "position", "activity", "target", "seconds", "first_visit", "target_repeat", "dropped"]
    _assert_same(duck.steps_.select(*columns).to_pandas(), spk.steps_.select(*columns).to_pandas(), ["case", "position"])
