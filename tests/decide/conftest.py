"""One demo world (2,000 customers, seed 1) run through the whole flywheel once for the decide tests.

Development aid: with ``EMPATHICA_DECIDE_TEST_STORE=/some/file.duckdb`` the built store is kept there,
and a later session copies it and re-runs only the decide step (CI never sets it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

#: The steps whose results the decide step and these tests read (act and diagnose read none of decide's results
#: and are tested in their own areas: leaving them out keeps this world quicker to build).
STEPS = ["overview", "text", "empathy", "journeys", "drivers", "value", "learn", "decide"]


@pytest.fixture(scope="package")
def demo_store(tmp_path_factory):
    """(path of the store, the sections of the run) after ingesting the world and running every step."""
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    folder = tmp_path_factory.mktemp("decide")
    # the report's figures in every language (their test reads them)
    settings = Settings.load(config_file=folder / "none.toml", progress=False, report_figure_languages="en,de,zh")
    path = folder / "demo.duckdb"
    kept = Path(os.environ.get("EMPATHICA_DECIDE_TEST_STORE", "")) if os.environ.get("EMPATHICA_DECIDE_TEST_STORE") else None
    if kept is not None and kept.exists():
        shutil.copy(kept, path)
        with Store.open(path, settings=settings) as store:
            sections = {s.key: s for s in run_flywheel(store, settings=settings, only=["decide"])}
        return path, sections
    world = generate_world(folder / "world", customers=2000, seed=1)
    with Store.open(path, settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        sections = {s.key: s for s in run_flywheel(store, settings=settings, only=STEPS)}
    if kept is not None:
        shutil.copy(path, kept)
    return path, sections


@pytest.fixture
def opened(demo_store):
    """The demo store, open read-only."""
    from empathica.settings import Settings
    from empathica.store import Store

    path, _ = demo_store
    with Store.open(path, settings=Settings.load(config_file=path.parent / "none.toml", progress=False), read_only=True) as store:
        yield store
