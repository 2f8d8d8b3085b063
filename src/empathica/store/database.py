"""``Store``: owns the Ibis connection to the backend that holds every table.

Analytics receive Ibis table expressions from here and never open connections themselves, so the
same code runs on the embedded DuckDB file, on Spark or on Postgres by configuration alone.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.common.exceptions
import pandas as pd

from empathica.errors import OutdatedResultError, SchemaError, StoreError, StoreLockedError
from empathica.schema import TABLES, table as schema_table
from empathica.schema.results import RESULT_PREFIX, RUN_COLUMN, Result, check_rows, result as declared_result
from empathica.store.runs import HISTORY_PREFIX, RUNS, RUNS_SCHEMA, RunLedger
from empathica.settings import Settings

if TYPE_CHECKING:
    from ibis.expr.types import Table as IbisTable

#: Rows that failed validation: where they came from and why.
QUARANTINE = "quarantine"
#: One row per file ingested: its content hash (for idempotency) and the row accounting.
INGESTIONS = "ingestions"
#: Files an ingestion has started but not finished; a row left by a killed process is undone on the next open.
INGESTING = "ingesting"
#: Catalogue of analysis results: name, rows, producing step, time.
RESULTS = "results"
#: Prefix of working tables a step creates and drops again.
SCRATCH_PREFIX = "scratch_"

_BOOKKEEPING = {
    QUARANTINE: ibis.schema({
        "source_file": "string",
        "line": "int64",
        "table_name": "string",
        "field": "string",
        "reason": "string",
        "value": "string",
        "raw": "string",
        "ingested_at": "timestamp('UTC')",
        "reason_id": "string",  # the reason as a finding: message id and values (JSON), see listen/reasons.py
        "reason_values": "string",  # (both NULL in rows stored before them: read from `reason`)
    }),
    INGESTIONS: ibis.schema({
        "ingestion_id": "string",
        "source_file": "string",
        "sha256": "string",
        "table_name": "string",
        "rows_read": "int64",
        "rows_stored": "int64",
        "rows_already_stored": "int64",
        "rows_quarantined": "int64",
        "ingested_at": "timestamp('UTC')",
        "mapping_sha256": "string",  # digest of the mapping the file was read with; NULL: no mapping
        "redacted": "boolean",  # whether personal data in its text was redacted (NULL: stores before the column)
    }),
    INGESTING: ibis.schema({
        "source_file": "string",
        "table_name": "string",
        "start_rowid": "int64",  # the table's last rowid before the file: rows beyond it are the file's
        "ingested_at": "timestamp('UTC')",  # the stamp of the file's quarantine rows
        "pid": "int64",
    }),
    RESULTS: ibis.schema({
        "name": "string",
        "step": "string",
        "rows": "int64",
        "description": "string",
        "written_at": "timestamp('UTC')",
        "run_id": "string",
    }),
    RUNS: RUNS_SCHEMA,
}


class Store:
    """A connection to the store holding the canonical tables, quarantine and analysis results.

    >>> with Store.open(":memory:") as store:
    ...     store.count("customers")
    0
    """

    def __init__(self, con: ibis.BaseBackend, *, settings: Settings, location: str) -> None:
        self.con = con
        self.settings = settings
        self.location = location
        #: The run whose results are being written (None outside a run); see :meth:`runs`.
        self.run_id: str | None = None
        self.runs = RunLedger(self)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        db_path: str | Path | None = None,
        *,
        settings: Settings | None = None,
        read_only: bool = False,
        schema: bool = True,
    ) -> "Store":
        """Open (creating when needed) the store named by ``db_path`` or by the settings.

        ``schema=False`` opens it without creating the canonical and bookkeeping tables: a scratch
        store (usually ``":memory:"``) for a command that reads a file and writes its results elsewhere."""
        settings = settings or Settings.load()
        if settings.backend == "duckdb":
            path = str(db_path if db_path is not None else settings.db_path)
            con = cls._connect_duckdb(path, read_only=read_only, memory_limit=settings.memory_limit)
            location = path
        elif settings.backend == "pyspark":
            from pyspark.sql import SparkSession

            session = SparkSession.builder.master("local[*]").appName("empathica").getOrCreate()
            con = ibis.pyspark.connect(session)
            location = "pyspark://local"
        else:
            if not settings.backend_url:
                raise StoreError(
                    f"backend {settings.backend!r} needs a connection URL: set EMPATHICA_BACKEND_URL "
                    "(for example postgres://user:password@host/db)."
                )
            try:
                con = ibis.connect(settings.backend_url)
            except Exception as exc:  # the backend's own error type varies
                raise StoreError(f"cannot connect to {settings.backend_url}: {exc}") from exc
            location = settings.backend_url
        store = cls(con, settings=settings, location=location)
        if not read_only and schema:
            store.ensure_schema()
            if settings.backend == "duckdb":
                store.undo_interrupted_ingestions()
        return store

    @staticmethod
    def _connect_duckdb(path: str, *, read_only: bool, memory_limit: str = "") -> ibis.BaseBackend:
        if path != ":memory:":
            parent = Path(path).expanduser().resolve().parent
            if not parent.exists():
                raise StoreError(f"cannot create database {path}: folder {parent} does not exist.")
            _check_duckdb_file(path)
            if read_only and not Path(path).exists():
                raise StoreError(f"database {path} does not exist; create it with `empathica listen` or `empathica demo`.")
        try:
            con = ibis.duckdb.connect(path, read_only=read_only)
        except Exception as exc:
            text = str(exc)
            if "lock" in text.lower():
                held = server_holding(path)
                if held:
                    raise StoreLockedError(
                        f"database {path} is held by `empathica serve` (pid {held.get('pid')}) at {held.get('url')}: "
                        f"go through its API (POST {held.get('url')}/runs, /ingest), or stop the server first."
                    ) from None
                raise StoreLockedError(
                    f"database {path} is in use by another Empathica process (DuckDB allows one writer per file). "
                    "Wait for that process to finish, or work on a copy of the file."
                ) from None
            raise StoreError(f"cannot open database {path}: {text}") from None
        con.raw_sql("SET TimeZone = 'UTC'")
        # DuckDB's own progress bar writes to stdout, into a command's output and logs; Empathica shows
        # its progress on stderr instead.
        con.raw_sql("SET enable_progress_bar = false")
        # DuckDB would take 80 % of the machine for itself; the analyses' pandas frames need room too.
        limit = memory_limit or f"{_physical_memory_mb() // 2}MB"
        try:
            con.raw_sql(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        except Exception as exc:
            con.disconnect()
            raise StoreError(f"setting memory_limit={memory_limit!r} is not a memory size DuckDB understands "
                             f"({str(exc).splitlines()[0]}); use e.g. 8GB or 512MB.") from None
        return con

    def reader(self) -> "Store":
        """A read-only view of this store on its own cursor, for one request of the server: it sees committed
        data only, so a run's results appear when the run publishes (DuckDB only; close it after use)."""
        if self.settings.backend != "duckdb":
            return self
        import duckdb

        cursor = self.con.con.cursor()
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            return Store(ibis.duckdb.from_connection(cursor), settings=self.settings, location=self.location)
        except duckdb.Error as exc:
            cursor.close()
            raise StoreError(f"cannot read {self.location}: {exc}") from None

    def writer(self) -> "Store":
        """A writing view of this store on its own cursor (its own transactions), e.g. for an ingest while a run goes."""
        return self.reader()

    def hold(self, url: str) -> None:
        """Mark the DuckDB file as held by a server at ``url``, so other commands can say where to go instead."""
        if self.location != ":memory:":
            _marker(self.location).write_text(json.dumps({"pid": os.getpid(), "url": url}), encoding="utf-8")

    def release(self) -> None:
        if self.location != ":memory:":
            _marker(self.location).unlink(missing_ok=True)

    def close(self) -> None:
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create every canonical and bookkeeping table that does not exist yet."""
        existing = set(self.con.list_tables())
        for t in TABLES.values():
            if t.name not in existing:
                self.con.create_table(t.name, schema=t.ibis_schema())
                continue
            have = set(self.con.table(t.name).columns)
            for column in t.columns:  # a column a later version declares (customers.brand)
                if column.name not in have:
                    self.raw_sql(f'ALTER TABLE "{t.name}" ADD COLUMN "{column.name}" {_SQL_TYPES[column.type]}')
        for name, schema in _BOOKKEEPING.items():
            if name not in existing:
                self.con.create_table(name, schema=schema)
            elif RUN_COLUMN in schema and RUN_COLUMN not in self.con.table(name).columns:  # a store from before runs
                self.raw_sql(f'ALTER TABLE "{name}" ADD COLUMN {RUN_COLUMN} VARCHAR')
            if name == QUARANTINE and name in existing:  # a store from before reasons were findings
                for column in ("reason_id", "reason_values"):
                    if column not in self.con.table(name).columns:
                        self.raw_sql(f'ALTER TABLE "{name}" ADD COLUMN "{column}" VARCHAR')

    def undo_interrupted_ingestions(self) -> list[str]:
        """Remove what ingestions killed mid-file left behind (rows and quarantine rows of a file that has
        no ``ingestions`` row), so every file is all-or-nothing even after kill -9; returns their files."""
        duck = self.con.con
        # Rows of this process are its own ingestion under way (a second Store on the same file).
        pending = duck.execute(f"SELECT source_file, table_name, start_rowid, CAST(ingested_at AS VARCHAR) "
                               f"FROM {INGESTING} WHERE pid <> ?",
                               [os.getpid()]).fetchall()
        for source_file, table_name, start_rowid, stamp in pending:
            duck.execute("BEGIN TRANSACTION")
            duck.execute(f'DELETE FROM "{schema_table(table_name).name}" WHERE rowid > ?', [start_rowid])
            for bookkeeping in (QUARANTINE, INGESTING):
                duck.execute(f"DELETE FROM {bookkeeping} WHERE source_file = ? AND ingested_at = CAST(? AS TIMESTAMPTZ)",
                             [source_file, stamp])
            duck.execute("COMMIT")
        return [row[0] for row in pending]

    # -- reading -------------------------------------------------------------------------------
    def table(self, name: "str | Result") -> "IbisTable":
        """The Ibis expression for a canonical, bookkeeping or result table (a declared :class:`Result` too)."""
        if isinstance(name, Result):
            return self.result(name)
        if name in _BOOKKEEPING or name.startswith(RESULT_PREFIX) or name.startswith(HISTORY_PREFIX):
            return self.con.table(name)
        return self.con.table(schema_table(name).name)

    def result(self, name: "str | Result") -> "IbisTable":
        """The published rows of the declared result ``name``, as an Ibis expression."""
        declared = declared_result(name)
        try:
            table = self.con.table(declared.table_name)
        except ibis.common.exceptions.TableNotFound:
            raise StoreError(f"no result {declared.name!r} in {self.location}; run `empathica run --db {self.location}` first.") from None
        missing = [c for c in declared.column_names if c not in table.columns]
        if missing:
            raise OutdatedResultError(
                f"result {declared.name!r} in {self.location} was stored by an older version of Empathica (it lacks "
                f"column(s) {', '.join(missing)}); run `empathica run --db {self.location}` to store it again.")
        return table

    def has_table(self, name: str) -> bool:
        return name in self.con.list_tables()

    def count(self, name: str) -> int:
        return int(self.table(name).count().execute())

    def to_pandas(self, name: str) -> pd.DataFrame:
        return self.table(name).to_pandas()

    def counts(self) -> dict[str, int]:
        """Row count of every canonical table."""
        return {name: self.count(name) for name in TABLES}

    # -- writing -------------------------------------------------------------------------------
    def insert(self, name: str, rows: "pd.DataFrame | IbisTable") -> None:
        """Append rows (a DataFrame or an Ibis expression) to an existing table."""
        self.con.insert(name, rows)

    def write_result(self, name: "str | Result", rows: "pd.DataFrame | IbisTable", *, step: str, description: str = "") -> str:
        """Store the rows of the declared result ``name`` as table ``result_<name>``, replacing its rows, and
        record it in the results catalogue.

        ``rows``: a DataFrame, or an Ibis expression over this store (computed inside the backend, so a
        result of millions of rows never passes through Python). The rows must match the declaration
        (:mod:`empathica.schema.results`) and ``step`` must be the step it names; each row gets the run id.
        """
        declared = check_rows(declared_result(name), rows, step=step)
        rows = self._with_run(declared, rows)
        self.con.create_table(declared.table_name, rows, overwrite=True)
        self._catalogue(declared, step=step, description=description)
        return declared.table_name

    def append_result(self, name: "str | Result", rows: "pd.DataFrame | IbisTable", *, step: str, description: str = "") -> str:
        """Add rows to the declared result ``name`` (created when missing); same columns as the stored result."""
        declared = declared_result(name)
        if not self.has_result(declared):
            return self.write_result(declared, rows, step=step, description=description)
        check_rows(declared, rows, step=step)
        rows = self._with_run(declared, rows)
        stored = self.con.table(declared.table_name).columns
        if isinstance(rows, pd.DataFrame):
            rows = rows.reindex(columns=list(stored))
        else:
            rows = rows.select(*stored)
        self.con.insert(declared.table_name, rows)
        self._catalogue(declared, step=step, description=description)
        return declared.table_name

    def _with_run(self, declared: Result, rows: "pd.DataFrame | IbisTable") -> "pd.DataFrame | IbisTable":
        """``rows`` with the current run in column ``run_id`` (nested values as JSON text)."""
        self.runs.note_written(declared)
        if isinstance(rows, pd.DataFrame):
            return _json_encoded(rows.assign(**{RUN_COLUMN: pd.Series([self.run_id] * len(rows), index=rows.index, dtype="string")}))
        return rows.mutate(**{RUN_COLUMN: ibis.literal(self.run_id, type="string")})

    def _catalogue(self, declared: Result, *, step: str, description: str) -> None:
        catalogue = self.con.table(RESULTS)
        keep = catalogue.filter(catalogue.name != declared.name).to_pandas()
        entry = pd.DataFrame([{
            "name": declared.name, "step": step, "rows": self.count(declared.table_name),
            "description": description or declared.doc, "written_at": datetime.now(UTC), "run_id": self.run_id,
        }])
        self.con.create_table(RESULTS, pd.concat([keep, entry], ignore_index=True), schema=_BOOKKEEPING[RESULTS], overwrite=True)

    def scratch_table(self, name: str, rows: pd.DataFrame) -> "IbisTable":
        """A working table ``scratch_<name>`` (replaced on every call; dropped by :meth:`drop_scratch`), for
        joining a Python-side result back to store tables inside the backend."""
        return self.con.create_table(SCRATCH_PREFIX + name, _json_encoded(rows), overwrite=True)

    def drop_scratch(self, name: str) -> None:
        self.con.drop_table(SCRATCH_PREFIX + name, force=True)

    def read_result(self, name: "str | Result") -> pd.DataFrame:
        """A stored analysis result as a DataFrame."""
        return self.result(name).to_pandas()

    def has_result(self, name: "str | Result") -> bool:
        return declared_result(name).table_name in self.con.list_tables()

    def query(self, sql: str) -> pd.DataFrame:
        """The rows of a read-only SQL query (compiled from an Ibis expression) as a DataFrame."""
        return self.con.raw_sql(sql).fetch_df()

    def duckdb(self) -> Any:
        """The DuckDB connection under this store: the one entry point for the bulk paths Ibis does not express
        (Listen's file reader registers its functions, reads files through cursors and binds ``?`` parameters on
        it; the journeys file reader makes temporary tables). Nothing outside ``store/`` reaches ``store.con.con``
        (a test greps for it). Refused with one line on another backend."""
        if self.settings.backend != "duckdb":
            raise StoreError(f"this needs a DuckDB store; {self.location} uses {self.settings.backend}. "
                             "Ingest into a DuckDB file first.")
        return self.con.con

    def raw_sql(self, sql: str, **kwargs: Any) -> Any:
        """Backend SQL, for the few fast paths Ibis does not express (bulk file reads, the runs ledger);
        ``parameters=[...]`` binds ``?`` placeholders."""
        return self.con.raw_sql(sql, **kwargs)


#: The SQL type a canonical column of each logical type is added with to a store made before it was declared.
_SQL_TYPES = {"string": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "timestamp": "TIMESTAMPTZ",
              "json": "VARCHAR"}


def _json_encoded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with nested values (lists, dicts) as JSON text, so every backend can hold them; a column of
    Python objects that holds no value at all (no rows, or every row null, as in a tiny data set) is stored as text,
    since a backend cannot create a column of type NULL."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].isna().all():
            frame[col] = frame[col].astype("string")
            continue
        if frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, (list, dict, tuple))).any():
            frame[col] = frame[col].map(lambda v: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, dict, tuple)) else v)
    return frame


def _marker(path: str) -> Path:
    return Path(str(path) + ".serve.json")


def server_holding(path: str) -> dict | None:
    """``{"pid", "url"}`` of the server holding the DuckDB file ``path`` (None: no server marked it)."""
    try:
        return json.loads(_marker(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
#: DuckDB files carry this at byte 8 (after a checksum); a file without it is not a DuckDB database.
_DUCKDB_MAGIC = b"DUCK"


def _check_duckdb_file(path: str) -> None:
    """Refuse an existing file that is not a DuckDB database (``--db store.csv``): DuckDB would open it
    as an empty in-memory database and everything written would be lost."""
    file = Path(path).expanduser()
    if not file.is_file() or file.stat().st_size == 0:
        return
    with open(file, "rb") as fh:
        head = fh.read(12)
    if head[8:12] != _DUCKDB_MAGIC:
        raise StoreError(f"{path} is not a DuckDB database (it exists and holds other data); "
                         "give --db a new file name or an existing .duckdb store.")


def _physical_memory_mb() -> int:
    """The machine's memory in MB (8 GB when the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1_000_000
    except (ValueError, OSError, AttributeError):
        return 8000
