"""Only ``store/`` reaches the DuckDB connection under the Ibis backend; everything else goes through
``Store.duckdb()`` or ``Store.raw_sql()`` (STYLE: "Nothing outside store/ reaches store.con.con")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "empathica"
#: ``<anything>.con.con`` — the raw DuckDB connection behind the Ibis backend.
RAW_CONNECTION = re.compile(r"\.con\s*\.\s*con\b")


def _offenders(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] == "store":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if RAW_CONNECTION.search(line.split("#", 1)[0]):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_nothing_outside_store_reaches_the_raw_duckdb_connection():
    assert _offenders(SRC) == [], "use Store.duckdb() or Store.raw_sql() instead"


def test_the_check_finds_a_raw_connection_outside_store(tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "database.py").write_text("duck = self.con.con\n", encoding="utf-8")
    (tmp_path / "listen").mkdir()
    (tmp_path / "listen" / "ingest.py").write_text("x = 1\nduck = store.con.con  # raw\n", encoding="utf-8")
    assert _offenders(tmp_path) == ["listen/ingest.py:2: duck = store.con.con  # raw"]


def test_the_entry_point_is_refused_on_another_backend():
    from empathica.errors import StoreError
    from empathica.settings import Settings
    from empathica.store import Store

    store = Store(con=None, settings=Settings.load(backend="postgres"), location="postgres://x")
    with pytest.raises(StoreError, match="needs a DuckDB store"):
        store.duckdb()
