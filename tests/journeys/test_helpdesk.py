"""The real helpdesk log: directly-follows counts and durations equal an independent computation."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main

NS = "{http://www.xes-standard.org/}"


def _parse_helpdesk(path) -> pd.DataFrame:
    """Every event of the XES file, parsed with xml.etree alone."""
    rows = []
    root = ET.parse(gzip.open(path)).getroot()
    for trace in root.iter(f"{NS}trace"):
        case = next(c.get("value") for c in trace if c.tag == f"{NS}string" and c.get("key") == "concept:name")
        for event in trace.iter(f"{NS}event"):
            attrs = {c.get("key"): c.get("value") for c in event}
            rows.append({"case": case, "activity": attrs["concept:name"], "time": pd.Timestamp(attrs["time:timestamp"])})
    return pd.DataFrame(rows)


def test_helpdesk_dfg_equals_independent_computation(shared_data, tmp_path):
    path = shared_data / "journeys" / "helpdesk.xes.gz"
    events = _parse_helpdesk(path)
    assert len(events) == 21_348 and events["case"].nunique() == 4_580
    # exact duplicates (same case, activity and time) are quarantined, so the reference drops them too
    duplicates = events.duplicated(["case", "activity", "time"])
    clean = events[~duplicates].copy()
    clean["order"] = np.arange(len(clean))  # file order breaks ties, as the CLI does
    clean = clean.sort_values(["case", "time", "order"], kind="mergesort")
    clean["target"] = clean.groupby("case")["activity"].shift(-1)
    clean["seconds"] = (clean.groupby("case")["time"].shift(-1) - clean["time"]).dt.total_seconds()
    t = clean[clean["target"].notna()]
    ref = t.groupby(["activity", "target"]).agg(
        transitions=("case", "size"), customers=("case", "nunique"),
        median_seconds=("seconds", "median"), p90_seconds=("seconds", lambda s: float(np.quantile(s, 0.9))),
    ).reset_index().rename(columns={"activity": "source"})

    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "journeys", "discover", str(path), "--case", "case:concept:name", "--activity", "concept:name",
        "--time", "time:timestamp", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    dfg = pd.read_csv(out / "dfg.csv")
    assert list(dfg.columns) == ["source", "target", "transitions", "customers", "median_seconds", "p90_seconds"]
    merged = ref.merge(dfg, on=["source", "target"], how="outer", suffixes=("_ref", ""), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["transitions"] == merged["transitions_ref"]).all()
    assert (merged["customers"] == merged["customers_ref"]).all()
    np.testing.assert_allclose(merged["median_seconds"], merged["median_seconds_ref"], rtol=1e-12)
    np.testing.assert_allclose(merged["p90_seconds"], merged["p90_seconds_ref"], rtol=1e-9)
    assert int(dfg["transitions"].sum()) == len(clean) - clean["case"].nunique()
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert int((quarantine["reason"] == "duplicate event").sum()) == int(duplicates.sum()) == 127
    variants = pd.read_csv(out / "variants.csv")
    assert variants["journeys"].sum() == 4_580
    assert variants["share"].sum() == pytest.approx(1.0)
