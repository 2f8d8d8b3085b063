"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# -- empathy (area: empathy): flywheel runs in tests keep German/Chinese empathy on the cue model (e5 embeds
# ~3–50 texts/s; a demo world has ~1,000 distinct de/zh replies). tests/empathy enables the e5 path itself.
os.environ.setdefault("EMPATHICA_EMPATHY_E5_REPLIES", "0")
# figures drawn in English only (about 0.6 CPU s per figure and language); the decide world draws all three for
# tests/decide/test_report_figure_languages.py
os.environ.setdefault("EMPATHICA_REPORT_FIGURE_LANGUAGES", "en")  # the setting report_figure_languages
# and at a lower resolution (no test reads the pixels; about a fifth less CPU per figure)
os.environ.setdefault("EMPATHICA_REPORT_FIGURE_DPI", "50")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real evaluation data sets beside the repository (../shared/data)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def store(tmp_path):
    """A fresh store in a temporary DuckDB file."""
    from empathica.settings import Settings
    from empathica.store import Store

    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(tmp_path / "test.duckdb", settings=settings) as s:
        yield s


@pytest.fixture(scope="session")
def planted_store(tmp_path_factory):
    """(store file, settings, planted pieces): the 300-customer demo world with personal data planted, analysed by
    every step once per session, shared by the dashboard's tests and the leak test (tests/planted_world.py; copy
    the store before changing it)."""
    from tests.planted_world import build, built

    prebuilt = os.environ.get("EMPATHICA_PLANTED_WORLD")  # local iteration only: a folder this fixture built before
    if prebuilt:
        return built(Path(prebuilt), tmp_path_factory.mktemp("planted-again"))
    return build(tmp_path_factory.mktemp("planted-world"))
