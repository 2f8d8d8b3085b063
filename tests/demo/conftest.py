"""One demo world at the default size, generated once for the demo tests, and readers of its files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from empathica.demo import generate_world


def read_table(path: Path) -> pd.DataFrame:
    """Read one generated file the way an analyst would, whatever its format."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, keep_default_na=True)


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """The default demo world (2,000 customers, seed 7)."""
    return generate_world(tmp_path_factory.mktemp("demo_world"), customers=2000, seed=7)


@pytest.fixture(scope="session")
def tables(world) -> dict[str, pd.DataFrame]:
    """Every generated table, read from its file, with the planted bad rows removed."""
    bad = {row["id"] for row in json.loads(world.truths_path.read_text())["planted_bad_rows"]["rows"]}
    out = {}
    for path, kind in world.files:
        frame = read_table(path)
        key = frame.columns[0]
        out[kind] = frame[~frame[key].isin(bad)].reset_index(drop=True)
    for kind, column in (("events", "timestamp"), ("feedback", "timestamp"), ("transactions", "timestamp"), ("turns", "timestamp")):
        out[kind][column] = pd.to_datetime(out[kind][column], utc=True, format="ISO8601")
    for column in ("first_seen", "churned_at"):
        out["customers"][column] = pd.to_datetime(out["customers"][column], utc=True, format="ISO8601")
    return out


@pytest.fixture(scope="session")
def labels(world) -> pd.DataFrame:
    return pd.read_parquet(world.truths_path.parent / world.truths["text_labels_file"])
