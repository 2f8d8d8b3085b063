"""``ingest_files``: read users' files into the canonical tables, quarantining every row that fails a check."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from empathica.errors import EmpathicaError, InputError, MappingError, NothingReadError, StoreError
from empathica.listen.kinds import detect_kind, resolve_columns
from empathica.listen.mapping import Mapping, TableMapping, load_mapping
from empathica.listen.reasons import stored
from empathica.listen.readers import ParquetSlice, SourceFile, inspect_file, iter_batches, parquet_slices
from empathica.listen.redaction import column_key, redact, redact_array, redact_json_array
from empathica.listen.validation import AGAIN, BATCH, FAILED, SEEN, BatchPlan, ident, source_kind
from empathica.schema import SIGNAL_TABLES, table as schema_table
from empathica.store.database import INGESTING, INGESTIONS, QUARANTINE, Store
from empathica.store.status import activity

__all__ = ["IngestResult", "ingest_files"]

#: Parquet is read by DuckDB in slices of this many times the ``batch_rows`` setting: its rows come
#: typed and compact, so a bigger batch costs little memory and saves per-batch statements.
PARQUET_BATCH_FACTOR = 5
#: A malformed CSV row's quarantine ``value`` holds its source line cut to this many characters.
MALFORMED_VALUE_CHARS = 500


@dataclass
class IngestResult:
    """What happened to one file. Invariant: rows_read == rows_stored + rows_already_stored + rows_quarantined."""

    source_file: str
    table: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_already_stored: int = 0
    rows_quarantined: int = 0
    skipped_identical: bool = False
    notes: list[str] = field(default_factory=list)  # checks that were skipped, and why
    error: str | None = None  # why the file could not be read at all


@dataclass
class _Planned:
    index: int
    path: Path
    source: SourceFile
    table: str


def ingest_files(
    store: Store,
    paths: Sequence[str | Path],
    *,
    kind: str | None = None,
    kinds: Sequence[str | None] | None = None,
    mapping: str | Path | Mapping | None = None,
    console: Console | None = None,
    force: bool = False,
) -> list[IngestResult]:
    """Ingest ``paths`` into the store and return one :class:`IngestResult` per file, in the order given.

    ``kinds`` names the table of each path, ``kind`` one table for all; otherwise each file's table is
    detected from its columns. Files are ingested referenced tables first (teams, employees,
    customers, touchpoints before events ...), so references between files of one call resolve. A
    file that cannot be read gets a result with ``error`` set; when no file yields a single row,
    NothingReadError (or the one file's own error) is raised.

    A file already ingested into the same table with the same content and the same mapping is
    skipped (``skipped_identical``, with the earlier reading's counts); ``force=True`` reads it again
    (rows already stored are still not stored twice). Reading a file again replaces its earlier
    quarantine rows for that table.
    """
    if store.settings.backend != "duckdb":
        raise StoreError(f"listen reads files with DuckDB; the store {store.location} uses {store.settings.backend}. "
                         "Ingest into a DuckDB file first.")
    paths = [Path(p) for p in paths]
    if kinds is not None and len(kinds) != len(paths):
        raise InputError(f"kinds names {len(kinds)} tables for {len(paths)} files; give one per file.")
    per_file = list(kinds) if kinds is not None else [kind] * len(paths)
    if isinstance(mapping, (str, Path)):
        mapping = load_mapping(mapping)
    mapping = mapping or Mapping()
    duck = store.duckdb()
    _register_functions(duck)
    # Stores made before the column existed gain it here (NULL: read without a mapping).
    duck.execute(f"ALTER TABLE {INGESTIONS} ADD COLUMN IF NOT EXISTS mapping_sha256 VARCHAR")
    duck.execute(f"ALTER TABLE {INGESTIONS} ADD COLUMN IF NOT EXISTS redacted BOOLEAN")
    results: list[IngestResult | None] = [None] * len(paths)
    errors: list[EmpathicaError] = []
    planned: list[_Planned] = []
    for i, (path, k) in enumerate(zip(paths, per_file)):
        try:
            source = inspect_file(path, duck=duck)
            name = schema_table(k).name if k else detect_kind(source.columns, path=path, mappings=mapping.tables)
            planned.append(_Planned(i, path, source, name))
        except EmpathicaError as exc:
            errors.append(exc)
            results[i] = IngestResult(str(path), str(k or "?"), error=str(exc))
    planned.sort(key=lambda p: (SIGNAL_TABLES.index(p.table), p.index))
    said: set[str] = set()
    console = console or Console(stderr=True)
    if not store.settings.redact_pii:
        console.print("[yellow]warning:[/yellow] personal data is NOT redacted: the setting redact_pii is off "
                      f"({escape(_setting_origin('redact_pii'))}); `empathica status` and the report say so.")
    show = store.settings.progress and console.is_terminal
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=not show)
    # The limit caps DuckDB's buffer pool and hash tables, which spill to disk beyond it; without it
    # DuckDB may use 80 % of the machine's memory. The connection's own limit is restored afterwards.
    limit = store.settings.ingest_memory_limit
    previous_limit = duck.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    try:
        duck.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error as exc:
        raise InputError(f"setting ingest_memory_limit={limit!r} is not a memory size DuckDB understands "
                         f"({str(exc).splitlines()[0]}); use e.g. 2GB or 512MB.") from None
    with progress if show else nullcontext(), _restore_memory_limit(duck, previous_limit), \
            activity(store.location, files=[str(p.path) for p in planned]) as now:
        for p in planned:
            now(file=str(p.path), table=p.table)
            try:
                result = _ingest_one(store, p, mapping, progress, force=force)
            except EmpathicaError as exc:
                errors.append(exc)
                result = IngestResult(str(p.path), p.table, error=str(exc))
            finally:
                p.source.close()
            for note in result.notes:
                if note not in said:
                    said.add(note)
                    console.print(f"[yellow]note:[/yellow] {escape(note)}")
            results[p.index] = result
    done = [r for r in results if r is not None]
    if not any(r.rows_read or r.skipped_identical for r in done):
        if len(errors) == 1 and len(paths) == 1:
            raise errors[0]
        problems = "; ".join(r.error or f"{r.source_file}: no data rows" for r in done)
        raise NothingReadError(f"nothing could be read from {len(paths)} file(s): {problems}")
    return done


def _setting_origin(name: str) -> str:
    """Where a setting's value came from: the environment or the settings file (as Settings.load reads them)."""
    if f"EMPATHICA_{name.upper()}" in os.environ:
        return f"environment variable EMPATHICA_{name.upper()}"
    return f"settings file {os.environ.get('EMPATHICA_CONFIG', 'empathica.toml')} or an override"


@contextmanager
def _restore_memory_limit(duck, previous: str):
    try:
        yield
    finally:
        duck.execute(f"SET memory_limit = '{previous}'")


def _register_functions(duck) -> None:
    # empathica_redact: free text; empathica_redact_json: a quarantined row kept as JSON (string values).
    for name, function in (("empathica_redact", redact_array), ("empathica_redact_json", redact_json_array)):
        try:
            duck.create_function(name, function, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
                                 type="arrow", null_handling="special", side_effects=False)
        except duckdb.Error as exc:  # already registered on this connection
            if "already" not in str(exc).lower():
                raise


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def mapping_sha256(tm: TableMapping) -> str | None:
    """Digest of what a table's mapping says (columns, values, constants, formats); None when it says nothing."""
    if tm == TableMapping():
        return None
    return hashlib.sha256(json.dumps(asdict(tm), sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _ingest_one(store: Store, p: _Planned, mapping: Mapping, progress: Progress, *, force: bool = False) -> IngestResult:
    duck = store.duckdb()
    t = schema_table(p.table)
    sha = file_sha256(p.path)
    result = IngestResult(str(p.path), t.name)
    tm = mapping.for_table(t.name)
    mapping_digest = mapping_sha256(tm)
    # The same content read into the same table with the same mapping gives the same rows: skip it.
    # A changed mapping (e.g. a fixed column name) reads the file again.
    # Only the latest reading of the file counts: after a reading with another mapping, the quarantine
    # holds that reading's rows, and an earlier reading's counts would no longer be true.
    previous = duck.execute(
        f"SELECT rows_read, rows_stored, rows_already_stored, rows_quarantined FROM "
        f"(SELECT * FROM {INGESTIONS} WHERE table_name = ? AND (sha256 = ? OR source_file = ?) ORDER BY ingested_at DESC LIMIT 1) "
        "WHERE sha256 = ? AND mapping_sha256 IS NOT DISTINCT FROM ?",
        [t.name, sha, str(p.path), sha, mapping_digest],
    ).fetchall()
    if previous and not force:
        read, stored, already, quarantined = (int(v) for v in previous[0])
        result.skipped_identical = True
        result.rows_read = read
        result.rows_already_stored = stored + already  # in the store since the earlier reading
        result.rows_quarantined = quarantined  # still in the quarantine from the earlier reading
        result.notes.append(
            f"{p.path} → {t.name}: identical file already ingested (stored {stored:,}, quarantined {quarantined:,}); "
            "use --force to read it again, e.g. after loading missing customers."
        )
        return result

    _check_mapping(p, tm, t.name, mapping.source, result)
    colmap = resolve_columns(t, p.source.columns, tm)
    references = []
    for col in t.columns:
        if not col.references or (col.name not in colmap and col.name not in tm.constants):
            continue
        ref_table = col.references.split(".")[0]
        if duck.execute(f"SELECT count(*) FROM {ident(ref_table)}").fetchone()[0]:
            references.append(col.name)
        else:
            result.notes.append(f"{ref_table} is empty in the store, so {t.name}.{col.name} was not checked against it "
                                f"(ingest {ref_table} first to check it).")
    start_rowid = duck.execute(f"SELECT coalesce(max(rowid), -1) FROM {ident(t.name)}").fetchone()[0]
    stamp = datetime.now(UTC)
    rejects: list[tuple[int, str, str]] = []
    reader = duck.cursor()
    task = progress.add_task(escape(f"{p.path.name} → {t.name}"), total=p.source.estimated_rows)
    plan: BatchPlan | None = None
    # One transaction per batch keeps memory bounded (DuckDB holds a transaction's appended rows in
    # memory until it commits). A file is still all-or-nothing: on failure the rows it added (rowid
    # beyond the table's last row at the start) and its quarantine rows are deleted again, and the
    # `ingestions` row that makes a re-run skip the file is only written at the very end.
    slices = parquet_slices(p.source, store.settings.batch_rows * PARQUET_BATCH_FACTOR) if p.source.format == "parquet" else None
    batches = slices if slices is not None else iter_batches(p.source, reader, batch_rows=store.settings.batch_rows,
                                                             rejects=rejects)
    unique_keys = False  # True when the whole file was checked up front: its keys are unique and new
    # Committed first, deleted with the `ingestions` row: a process killed mid-file leaves this row, and
    # the next Store.open removes the file's rows and quarantine rows (undo_interrupted_ingestions).
    duck.execute(f"INSERT INTO {INGESTING} VALUES (?, ?, ?, CAST(? AS TIMESTAMPTZ), ?)",
                 [str(p.path), t.name, start_rowid, stamp.isoformat(), os.getpid()])
    try:
        for batch in batches:
            if plan is None:
                plan = _plan(t, p.source, batch, tm, colmap, references, store.settings.redact_pii,
                             pii_columns=store.settings.pii_columns)
                if isinstance(batch, ParquetSlice):
                    # A Parquet file can be scanned again cheaply: check once for repeated or stored keys,
                    # and when there are none skip the per-batch duplicate and stored-key lookups.
                    duck.execute(f"CREATE OR REPLACE TEMP VIEW {BATCH} AS {batch.sql(whole_file=True)}")
                    repeats, overlap = duck.execute(plan.precheck_sql(stored_rows=start_rowid >= 0)).fetchone()
                    unique_keys = not repeats and not overlap
                if not unique_keys:
                    duck.execute(f"CREATE OR REPLACE TEMP TABLE {SEEN} AS SELECT hash({ident(t.key)}) AS h FROM {ident(t.name)}")
                duck.execute(f"CREATE OR REPLACE TEMP TABLE {AGAIN} (h UBIGINT)")
            if isinstance(batch, ParquetSlice):
                duck.execute(f"CREATE OR REPLACE TEMP VIEW {BATCH} AS {batch.sql()}")
            else:
                duck.register(BATCH, batch)
            duck.execute("BEGIN TRANSACTION")
            duck.execute(plan.failed_sql(start_rowid=start_rowid, unique_keys=unique_keys))
            bad, already = duck.execute(
                f"SELECT count(*) FILTER (_first IS NOT NULL), count(*) FILTER (_first IS NULL) FROM {FAILED}"
            ).fetchone()
            good = duck.execute(plan.insert_sql(any_failed=bool(bad or already))).fetchone()[0]
            if not unique_keys:
                duck.execute(plan.seen_sql(any_failed=bool(bad or already)))
            if already:
                duck.execute(plan.again_sql())
            if bad:
                duck.execute(plan.quarantine_sql(source_file=str(p.path)), [stamp.isoformat()])
            duck.execute("COMMIT")
            if isinstance(batch, ParquetSlice):
                duck.execute(f"DROP VIEW {BATCH}")
            else:
                duck.unregister(BATCH)
            result.rows_read += batch.num_rows
            result.rows_stored += good
            result.rows_already_stored += already
            result.rows_quarantined += bad
            progress.advance(task, batch.num_rows)
        if p.source.suspect_rows:
            shown = ", ".join(str(r) for r in p.source.suspect_rows[:10])
            result.notes.append(
                f"{p.path}: row(s) {shown}{' …' if len(p.source.suspect_rows) > 10 else ''} hold a quoted field "
                "spanning lines in which a line looks like a whole row: a quote that never closes, closed by a later "
                "field's quote, reads the same; check those rows (they were stored as read).")
        duck.execute("BEGIN TRANSACTION")
        if rejects:
            _quarantine_rejects(duck, p, t.name, rejects, stamp, redact_pii=store.settings.redact_pii)
            result.rows_read += len(rejects)
            result.rows_quarantined += len(rejects)
        # This reading's quarantine rows replace those of earlier readings of the file into the table.
        duck.execute(f"DELETE FROM {QUARANTINE} WHERE source_file = ? AND table_name = ? "
                     "AND ingested_at <> CAST(? AS TIMESTAMPTZ)", [str(p.path), t.name, stamp.isoformat()])
        duck.execute(
            f"INSERT INTO {INGESTIONS} (ingestion_id, source_file, sha256, table_name, rows_read, rows_stored, "
            "rows_already_stored, rows_quarantined, ingested_at, mapping_sha256, redacted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMPTZ), ?, ?)",
            [uuid.uuid4().hex, str(p.path), sha, t.name, result.rows_read, result.rows_stored,
             result.rows_already_stored, result.rows_quarantined, stamp.isoformat(), mapping_digest,
             store.settings.redact_pii],
        )
        duck.execute(f"DELETE FROM {INGESTING} WHERE source_file = ? AND ingested_at = CAST(? AS TIMESTAMPTZ)",
                     [str(p.path), stamp.isoformat()])
        duck.execute("COMMIT")
    except BaseException as exc:
        _undo(duck, t.name, start_rowid, str(p.path), stamp)
        if isinstance(exc, duckdb.Error):  # a value no check foresaw: name the file, not a traceback
            raise InputError(f"{p.path}: could not be ingested into {t.name} ({str(exc).splitlines()[0]}); "
                             "nothing of this file was stored.") from None
        raise
    finally:
        for name in (FAILED, SEEN, AGAIN):
            duck.execute(f"DROP TABLE IF EXISTS {name}")
        if slices is not None:
            duck.execute(f"DROP VIEW IF EXISTS {BATCH}")
        reader.close()
        progress.remove_task(task)
    return result


def _check_mapping(p: _Planned, tm: TableMapping, table: str, source: str, result: IngestResult) -> None:
    """MappingError when two of the file's columns are mapped onto one column; a note for each mapped
    column the file lacks (a typo in the mapping, or the column of another export)."""
    targets: dict[str, str] = {}
    for src, target in tm.columns.items():
        if src not in p.source.columns:
            continue
        if target in targets:
            raise MappingError(f"{p.path}: mapping file {source} maps both columns {targets[target]!r} and {src!r} "
                               f"onto {table}.{target}; map only one of them (remove the other's entry).")
        targets[target] = src
    missing = [src for src in tm.columns if src not in p.source.columns]
    if missing:
        result.notes.append(
            f"{p.path}: the mapping names column(s) {', '.join(repr(c) for c in missing)} that the file lacks "
            f"(its columns are {', '.join(p.source.columns)}); those entries were not used."
        )


def _undo(duck, table: str, start_rowid: int, source_file: str, stamp: datetime) -> None:
    """Remove what a failed ingestion of one file added, so that the file is all-or-nothing."""
    try:
        duck.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction was open
    duck.execute(f"DELETE FROM {ident(table)} WHERE rowid > ?", [start_rowid])
    for bookkeeping in (QUARANTINE, INGESTING):
        duck.execute(f"DELETE FROM {bookkeeping} WHERE source_file = ? AND ingested_at = CAST(? AS TIMESTAMPTZ)",
                     [source_file, stamp.isoformat()])


def _plan(t, source: SourceFile, batch, tm, colmap, references, redact: bool, *, pii_columns: str = "") -> BatchPlan:
    kinds = {name: source_kind(batch.schema.field(name).type) for name in batch.schema.names}
    helper = {"_line", "_error", "_raw"}
    used = set(colmap.values())
    extra = [c for c in batch.schema.names if c not in helper and c not in used] if "attributes" in t.column_names else []
    return BatchPlan(
        table=t, columns=colmap, kinds=kinds, mapping=tm, extra_columns=extra, redact=redact,
        check_references=references, raw_column="_raw" if "_raw" in kinds else None,
        trim=source.format != "parquet", touchpoint_channels="touchpoint_id" in references,
        pii_columns=frozenset(column_key(c) for c in pii_columns.split(",") if c.strip()),
    )


def _quarantine_rejects(duck, p: _Planned, table: str, rejects: list[tuple[int, str, str]], stamp: datetime, *,
                        redact_pii: bool = True) -> None:
    """Quarantine CSV rows DuckDB could not split, and shift the row numbers of the other quarantined rows.

    With ``redact_pii`` the source lines are redacted (the whole line, before it is cut for ``value``).

    Rows DuckDB rejects are left out of the stream, so the rows after them were numbered too low: a
    streamed row numbered ``p`` is really row ``p + #{j : r_j - j < p}`` where ``r_1 < r_2 < ...`` are
    the rejected rows (numbered from their physical line, exact when no quoted field spans lines).
    """
    rows = sorted(r for r, _, _ in rejects)
    shifts = [r - j for j, r in enumerate(rows, start=1)]
    duck.execute("CREATE OR REPLACE TEMP TABLE _listen_shifts (s BIGINT)")
    duck.executemany("INSERT INTO _listen_shifts VALUES (?)", [[s] for s in shifts])
    duck.execute(
        f"UPDATE {QUARANTINE} q SET line = q.line + (SELECT count(*) FROM _listen_shifts WHERE s < q.line) "
        "WHERE q.source_file = ? AND q.ingested_at = CAST(? AS TIMESTAMPTZ)",
        [str(p.path), stamp.isoformat()],
    )
    # value: the source line as text (cut to MALFORMED_VALUE_CHARS); raw: the whole line and DuckDB's error kind, as JSON.
    if redact_pii:
        rejects = [(r, redact(raw), kind) for r, raw, kind in rejects]
    duck.executemany(
        f"INSERT INTO {QUARANTINE} VALUES (?, ?, ?, NULL, 'malformed CSV row', ?, ?, CAST(? AS TIMESTAMPTZ), ?, ?)",
        [[str(p.path), r, table, (raw or "")[:MALFORMED_VALUE_CHARS],
          json.dumps({"_raw_line": raw, "_error": kind}, ensure_ascii=False), stamp.isoformat(), *stored("malformed CSV row")]
         for r, raw, kind in rejects],
    )
    duck.execute("DROP TABLE _listen_shifts")
