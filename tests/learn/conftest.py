"""Small demo worlds ingested through Listen with only the tables a Learn test needs."""

from __future__ import annotations

from empathica.demo import generate_world
from empathica.listen import ingest_files
from empathica.settings import Settings
from empathica.store import Store

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
