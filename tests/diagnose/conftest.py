"""A demo world ingested into a store, for the diagnose tests (the API and dashboard tests of the diagnosis are in
tests/dashboard/test_diagnosis_page.py, where they share the dashboard's session store)."""

from __future__ import annotations

from pathlib import Path


def ingested_world(folder: Path, *, seed: int, customers: int, steps: list[str] | None = None):
    """(path of a store holding the demo world of ``seed``, its settings); ``steps`` run through the flywheel."""
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    world = generate_world(folder / "world", customers=customers, seed=seed)
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    path = folder / "world.duckdb"
    with Store.open(path, settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        if steps:
            run_flywheel(store, settings=settings, only=steps)
    return path, settings


_DEMO_STORES: dict[tuple[int, int], tuple] = {}


def demo_store(tmp_path_factory, seed: int, customers: int = 1500):
    """(path, settings) of the ingested demo world of ``seed``, built once per test session and shared by modules."""
    key = (seed, customers)
    if key not in _DEMO_STORES:
        _DEMO_STORES[key] = ingested_world(tmp_path_factory.mktemp(f"demo{seed}_{customers}"), seed=seed, customers=customers)
    return _DEMO_STORES[key]
