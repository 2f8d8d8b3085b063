"""Runs: the ledger of analysis runs, and the atomic publication of a run's results.

A run (``empathica run``, ``empathica demo``, ``POST /runs``) writes its results inside one transaction
of the store: readers (the API's read cursors, other tools) go on seeing the previous run's results,
complete, until the run publishes; a run that fails or is killed publishes nothing. The results of the
last ``runs_kept`` published runs stay in ``history_<result>`` tables, so trends and Learn can compare runs.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from empathica.errors import StoreError
from empathica.schema.results import RUN_COLUMN, Result, result as declared_result

if TYPE_CHECKING:
    from empathica.settings import Settings
    from empathica.store.database import Store

#: One row per run: when, with which settings and code, on which data, and how it ended.
RUNS = "runs"
#: Prefix of the tables that keep the results of the last published runs.
HISTORY_PREFIX = "history_"
#: How a run stands: running, then published, failed or killed (the process ended before it finished).
STATUSES = ("running", "published", "failed", "killed")

RUNS_SCHEMA = ibis.schema({
    "run_id": "string",
    "started_at": "timestamp('UTC')",
    "finished_at": "timestamp('UTC')",
    "status": "string",
    "steps": "string",
    "settings_hash": "string",
    "code_version": "string",
    "data_watermark": "timestamp('UTC')",  # the latest ingestion the run saw
    "message": "string",  # why a run failed
})


class RunLedger:
    """The runs of one store: begin a run, note what it writes, publish it atomically or roll it back."""

    def __init__(self, store: "Store") -> None:
        self._store = store
        self._written: dict[str, Result] = {}

    @property
    def _atomic(self) -> bool:
        return self._store.settings.backend == "duckdb"

    def begin(self, *, steps: list[str]) -> str:
        """Record a new run (status running) and start its transaction; returns its id."""
        store = self._store
        if store.run_id is not None:
            raise StoreError(f"run {store.run_id} is still going on {store.location}; one run at a time.")
        # This process holds the store for writing, so a run still marked running was killed with its process.
        store.raw_sql(f"UPDATE {RUNS} SET status = 'killed' WHERE status = 'running'")
        run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        ingestions = store.table("ingestions")
        watermark = ingestions.ingested_at.max().execute() if store.count("ingestions") else None
        row = pd.DataFrame([{
            "run_id": run_id, "started_at": datetime.now(UTC), "finished_at": None, "status": "running",
            "steps": ",".join(steps), "settings_hash": settings_hash(store.settings), "code_version": code_version(),
            "data_watermark": watermark, "message": None,
        }])
        store.insert(RUNS, ibis.memtable(row, schema=RUNS_SCHEMA))
        if self._atomic:
            store.raw_sql("BEGIN TRANSACTION")
        store.run_id = run_id
        self._written = {}
        return run_id

    def note_written(self, declared: Result) -> None:
        self._written[declared.name] = declared

    def publish(self) -> str:
        """Keep this run's results in history, drop runs beyond ``runs_kept``, mark it published and commit."""
        store, run_id = self._store, self._require_run()
        archived = [declared for declared in self._written.values() if not declared.incremental]
        for declared in archived:
            self._archive(declared)
        if archived:  # a run that keeps no history (a self-assessment's answers only) takes no place in runs_kept
            self._prune(keep=max(1, store.settings.runs_kept), current=run_id)
        self._finish(run_id, "published", None)
        if self._atomic:
            store.raw_sql("COMMIT")
        store.run_id = None
        return run_id

    def fail(self, message: str, *, status: str = "failed") -> None:
        """Roll back everything the run wrote and record why it ended."""
        store, run_id = self._store, self._require_run()
        if self._atomic:
            store.raw_sql("ROLLBACK")
        store.run_id = None
        self._finish(run_id, status, message[:2000])

    def list(self, *, limit: int = 50) -> pd.DataFrame:
        """The latest runs, newest first."""
        runs = self._store.table(RUNS)
        return runs.order_by(ibis.desc("started_at")).limit(limit).to_pandas()

    def published(self) -> list[str]:
        """Ids of the published runs, newest first."""
        runs = self._store.table(RUNS)
        rows = runs.filter(runs.status == "published").order_by(ibis.desc("started_at")).select("run_id").to_pandas()
        return rows["run_id"].tolist()

    def history(self, name: "str | Result") -> "ibis.Table":
        """The kept rows of result ``name`` over the last published runs (column ``run_id`` tells them apart)."""
        declared = declared_result(name)
        table = HISTORY_PREFIX + declared.name
        if declared.incremental:
            return self._store.result(declared)
        if not self._store.has_table(table):
            raise StoreError(f"no run history of result {declared.name!r} in {self._store.location}; "
                             "it is kept from the next published run on.")
        return self._store.table(table)

    # -- helpers -------------------------------------------------------------------------------
    def _require_run(self) -> str:
        if self._store.run_id is None:
            raise StoreError("no run is going on this store.")
        return self._store.run_id

    def _archive(self, declared: Result) -> None:
        store = self._store
        table = HISTORY_PREFIX + declared.name
        if not store.has_table(table):
            store.raw_sql(f'CREATE TABLE "{table}" AS SELECT * FROM "{declared.table_name}"')
            return
        have = set(store.table(table).columns)
        for column, dtype in store.table(declared.table_name).schema().items():
            if column not in have:  # a column a later version of the step adds (open columns)
                sql_type = dtype.copy(nullable=True).to_sql("duckdb") if hasattr(dtype, "to_sql") else "VARCHAR"
                store.raw_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {sql_type}')
        store.raw_sql(f'INSERT INTO "{table}" BY NAME SELECT * FROM "{declared.table_name}"')

    def _prune(self, *, keep: int, current: str) -> None:
        store = self._store
        tables = [t for t in store.con.list_tables() if t.startswith(HISTORY_PREFIX)]
        # runs that wrote only incremental results (a self-assessment) kept nothing here and count for nothing
        union = " UNION ".join(f'SELECT DISTINCT {RUN_COLUMN} AS r FROM "{t}"' for t in tables)
        with_history = set(store.query(union)["r"]) if tables else set()
        kept = [current, *[r for r in self.published() if r != current and r in with_history]][:keep]
        marks = ", ".join("?" for _ in kept)
        for table in tables:
            store.raw_sql(f'DELETE FROM "{table}" WHERE {RUN_COLUMN} IS NULL OR {RUN_COLUMN} NOT IN ({marks})',
                          parameters=kept)

    def _finish(self, run_id: str, status: str, message: str | None) -> None:
        # the clock, not now(): inside a transaction DuckDB's now() is the time the transaction began
        self._store.raw_sql(f"UPDATE {RUNS} SET status = ?, finished_at = ?, message = ? WHERE run_id = ?",
                            parameters=[status, datetime.now(UTC), message, run_id])


def settings_hash(settings: "Settings") -> str:
    """A digest of every setting, so two runs made with the same settings can be told apart from others."""
    payload: dict[str, Any] = asdict(settings)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def code_version() -> str:
    """The installed Empathica version."""
    try:
        return version("empathica")
    except PackageNotFoundError:
        return "unknown"
