"""Small demo worlds ingested through Listen with only the tables a Learn test needs."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.demo import generate_world
from empathica.listen import ingest_files
from empathica.settings import Settings
from empathica.store import Store
from tests.conftest import SHARED_DATA

#: What the effect of an action reads: who, which contacts, which journeys, and the actions.
EFFECT_TABLES = ("teams", "employees", "customers", "touchpoints", "events", "conversations", "actions")


def world_store(tmp_path, *, seed: int, customers: int, tables: tuple[str, ...] = EFFECT_TABLES):
    """Generate a demo world in ``tmp_path``, ingest ``tables`` of it; returns (store path, truths)."""
    world = generate_world(tmp_path / "data", customers=customers, seed=seed)
    files = [(path, kind) for path, kind in world.files if kind in tables]
    db = tmp_path / "store.duckdb"
    with Store.open(db, settings=Settings.load(db_path=str(db))) as store:
        ingest_files(store, [p for p, _ in files], kinds=[k for _, k in files])
    return db, world.truths


#: The planted actions and experiments of the demo world: the effect tables, spend and the assignments.
PLANTED_TABLES = (*EFFECT_TABLES, "transactions", "experiments")


@pytest.fixture(scope="session")
def planted_world(tmp_path_factory):
    """``planted_world(seed, customers)`` → (store path, truths): each world generated and ingested once per
    session, shared by the planted-actions and planted-experiments tests (open it read-only)."""
    built: dict[tuple[int, int], tuple] = {}

    def build(seed: int, customers: int):
        if (seed, customers) not in built:
            folder = tmp_path_factory.mktemp(f"planted_s{seed}_n{customers}")
            built[seed, customers] = world_store(folder, seed=seed, customers=customers, tables=PLANTED_TABLES)
        return built[seed, customers]

    return build


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    """The real IBM Telco customers (7,032 with a total charge): the units of the A/B simulations."""
    path = SHARED_DATA / "clv" / "Telco-Customer-Churn.csv"
    if not path.is_file():
        pytest.skip(f"real data not found at {path}")
    frame = pd.read_csv(path)
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    return frame.dropna(subset=["TotalCharges"]).reset_index(drop=True)
