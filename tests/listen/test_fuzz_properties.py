"""Property tests: generated files of every text format with known bad rows — every row is stored,
already stored or quarantined, and every stored value equals its input (tests/listen/fuzz_files.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from empathica.settings import Settings
from empathica.store import Store

from .fuzz_files import check, csv_cases, jsonl_cases

_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    """One in-memory store for every example (emptied before each: opening a store costs more than a case)."""
    folder = tmp_path_factory.mktemp("fuzz")
    settings_ = Settings.load(config_file=folder / "none.toml", progress=False, redact_pii=False, batch_rows=5)
    with Store.open(":memory:", settings=settings_) as store:
        yield store, folder


def _fresh(fuzz_store):
    store, folder = fuzz_store
    for table in ("feedback", "quarantine", "ingestions"):
        store.con.con.execute(f"DELETE FROM {table}")
    return store, folder


@_SETTINGS
@given(case=csv_cases())
def test_every_csv_row_is_accounted_for(fuzz_store, case):
    store, folder = _fresh(fuzz_store)
    assert check(store, case, folder) == [], case.description


@_SETTINGS
@given(case=jsonl_cases())
def test_every_json_line_is_accounted_for(fuzz_store, case):
    store, folder = _fresh(fuzz_store)
    assert check(store, case, folder) == [], case.description
