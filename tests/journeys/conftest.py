"""Fixtures of the journeys tests: a small event log with ties, its independent computation, Spark."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

TOUCHPOINTS = ["web_home", "web_checkout", "call_centre", "email", "order_confirmed"]
CHANNELS = {"web_home": "web", "web_checkout": "web", "call_centre": "phone", "email": "email", "order_confirmed": "web"}


def make_events(n_cases: int = 150, seed: int = 3) -> pd.DataFrame:
    """A shuffled event log whose timestamps tie often (minute grid) inside journeys."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    eid = 0
    for c in range(n_cases):
        n = int(rng.integers(1, 8))
        minutes = np.sort(rng.integers(0, 6, size=n)).cumsum()  # repeated values → ties
        for k in range(n):
            tp = TOUCHPOINTS[int(rng.integers(0, len(TOUCHPOINTS)))]
            rows.append({
                "case": f"c{c:04d}", "activity": tp,
                "timestamp": start + pd.Timedelta(days=c, minutes=int(minutes[k])),
                "event_id": f"e{eid:06d}", "customer": f"u{c % 90:03d}", "channel": CHANNELS[tp],
            })
            eid += 1
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def reference_transitions(frame: pd.DataFrame, goal: str) -> pd.DataFrame:
    """Traversals computed independently with plain pandas (sort, shift)."""
    f = frame.sort_values(["case", "timestamp", "event_id"], kind="mergesort").reset_index(drop=True)
    g = f.groupby("case", sort=False)
    f["position"] = g.cumcount()
    f["target"] = g["activity"].shift(-1)
    f["target_time"] = g["timestamp"].shift(-1)
    f["target_channel"] = g["channel"].shift(-1)
    f["visit"] = f.groupby(["case", "activity"]).cumcount()
    f["target_visit"] = g["visit"].shift(-1)
    f["seconds"] = (f["target_time"] - f["timestamp"]).dt.total_seconds()
    last_goal = f[f["activity"] == goal].groupby("case")["position"].max()
    f["last_goal"] = f["case"].map(last_goal)
    f["dropped"] = f["last_goal"].isna()
    return f


def reference_dfg(frame: pd.DataFrame, goal: str) -> pd.DataFrame:
    t = reference_transitions(frame, goal)
    t = t[t["target"].notna()]
    out = t.groupby(["activity", "target"]).agg(
        transitions=("case", "size"),
        customers=("customer", "nunique"),
        journeys=("case", "nunique"),
        median_seconds=("seconds", lambda s: float(np.quantile(s, 0.5))),
        p90_seconds=("seconds", lambda s: float(np.quantile(s, 0.9))),
        dropoff_rate=("dropped", "mean"),
        repeat_rate=("target_visit", lambda s: float((s > 0).mean())),
    ).reset_index().rename(columns={"activity": "source"})
    switch = (t["channel"] != t["target_channel"]).groupby([t["activity"], t["target"]]).mean()
    out["channel_switch_rate"] = [switch[(s, d)] for s, d in zip(out["source"], out["target"])]
    return out.sort_values(["transitions", "source", "target"], ascending=[False, True, True], kind="mergesort").reset_index(drop=True)


@pytest.fixture(scope="session")
def events_frame() -> pd.DataFrame:
    return make_events()


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole test session (skipped without Java or pyspark)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed: the Spark tests need Java 17")
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[dev]')")
    del pyspark
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("empathica-journeys-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
