"""Fixtures for the Listen tests: the hand-written files and a store with the reference tables loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "listen"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def loaded(store):
    """A store holding the fixture customers (c1–c3) and touchpoints."""
    from empathica.listen import ingest_files

    ingest_files(store, [FIXTURES / "customers.csv", FIXTURES / "touchpoints.csv"])
    return store


def rows(store, sql: str) -> list[tuple]:
    return store.con.con.execute(sql).fetchall()


def quarantine(store) -> list[tuple]:
    """(line, field, reason, value) of every quarantined row, in file order."""
    return rows(store, "SELECT line, field, reason, value FROM quarantine ORDER BY source_file, line")
