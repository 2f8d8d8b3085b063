"""``/runs``, ``/ingest`` and ``/quarantine``: start a run and follow it, ingest files and rows, see what was refused."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from empathica.errors import EmpathicaError
from empathica.schema import TABLES
from empathica.serve.auth import require
from empathica.serve.errors import ApiError
from empathica.serve.reasons import quarantine_reason, shown_language
from empathica.store import QUARANTINE, RUNS
from empathica.store.operational import User

router = APIRouter()
#: What an uploaded file may be called: a plain name with a known extension (no folders, no '..').
_SAFE_NAME = re.compile(r"^[\w\-. ]{1,200}\.(csv|tsv|txt|jsonl|ndjson|json|parquet|xes)(\.gz)?$", re.IGNORECASE)
_CHUNK = 1 << 20


class RunRequest(BaseModel):
    only: list[str] | None = Field(default=None, description="Steps to run (default: every step).", max_length=50)


class Rows(BaseModel):
    rows: list[dict[str, Any]] = Field(min_length=1, description="Rows of the canonical table, as objects.")


# -- runs ------------------------------------------------------------------------------------------
@router.post("/runs", tags=["runs"], status_code=202)
def start_run(request: Request, body: RunRequest | None = None, user: User = Depends(require("analyst"))) -> dict:
    """Start a run of the analyses in the background; follow it with GET /runs/jobs/{job_id}."""
    from empathica.flywheel import registered_steps

    server = request.app.state.server
    only = body.only if body else None
    known = [s.name for s in registered_steps()]
    unknown = [s for s in (only or []) if s not in known]
    if unknown:
        raise ApiError(400, "unknown_step", f"unknown step(s) {', '.join(unknown)[:200]}; the steps are {', '.join(known)}.", field="only")
    job = server.start_run(requested_by=user.username, only=only)
    if job is None:
        running = server.current_job()
        raise ApiError(409, "run_going", f"a run is going already ({running.job_id if running else 'starting'}); wait for it.")
    server.ops.audit(user.username, "run", job.job_id, detail=json.dumps({"only": only}))
    return job.as_dict()


@router.get("/runs", tags=["runs"])
def list_runs(request: Request, limit: int = Query(50, ge=1, le=500), user: User = Depends(require("viewer"))) -> dict:
    """The latest runs (newest first) with status, settings hash, code version and data watermark; and the API's jobs."""
    server = request.app.state.server
    with server.reading() as store:
        runs = store.runs.list(limit=limit)
    return {"runs": json.loads(runs.to_json(orient="records", date_format="iso")),
            "jobs": [j.as_dict() for j in server.jobs.values()]}


@router.get("/runs/jobs/{job_id}", tags=["runs"])
def run_job(request: Request, job_id: str, user: User = Depends(require("viewer"))) -> dict:
    """A run started through the API: status, current step and steps done."""
    job = request.app.state.server.jobs.get(job_id)
    if job is None:
        raise ApiError(404, "no_such_job", f"no job {job_id[:80]!r}; GET /runs lists them.", field="job_id")
    return job.as_dict()


@router.get("/runs/{run_id}", tags=["runs"])
def one_run(request: Request, run_id: str, user: User = Depends(require("viewer"))) -> dict:
    """One run of the runs table."""
    with request.app.state.server.reading() as store:
        runs = store.table(RUNS)
        row = runs.filter(runs.run_id == run_id).to_pandas()
    if row.empty:
        raise ApiError(404, "no_such_run", f"no run {run_id[:80]!r}; GET /runs lists them.", field="run_id")
    return json.loads(row.to_json(orient="records", date_format="iso"))[0]


# -- ingest ----------------------------------------------------------------------------------------
@router.post("/ingest", tags=["ingest"])
async def ingest_upload(request: Request, file: UploadFile = File(...), table: str | None = Form(None),
                        user: User = Depends(require("analyst"))) -> JSONResponse:
    """Ingest one file (CSV, JSON Lines, Parquet, XES) with Listen's validation and quarantine; ``table`` names its
    canonical table (detected from its columns when absent)."""
    server = request.app.state.server
    name = (file.filename or "").strip()
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ApiError(400, "bad_filename", f"file name {name[:80]!r} is not a plain file name with a known extension "
                       "(.csv, .tsv, .jsonl, .json, .parquet, .xes, optionally .gz).", field="file")
    kind = _table(table)
    limit = server.settings.serve_max_upload_mb * 1_000_000
    with tempfile.TemporaryDirectory(prefix="empathica-upload-") as folder:
        path = Path(folder) / name
        size = 0
        with path.open("wb") as out:
            while chunk := await file.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, "too_large", f"{name} is over the upload limit of {limit:,} bytes "
                                   "(setting serve_max_upload_mb).", field="file")
                out.write(chunk)
        # in a worker thread: the event loop goes on answering other requests while the file is ingested
        return await run_in_threadpool(_ingest, request, user, path, kind, label=name)


@router.post("/ingest/{table}/rows", tags=["ingest"])
def ingest_rows(request: Request, table: str, body: Rows, user: User = Depends(require("analyst"))) -> JSONResponse:
    """Ingest rows given as JSON objects into canonical table ``table`` (same validation and quarantine as files)."""
    server = request.app.state.server
    kind = _table(table)
    if len(body.rows) > server.settings.serve_max_rows:
        raise ApiError(413, "too_large", f"{len(body.rows):,} rows in one request; the limit is "
                       f"{server.settings.serve_max_rows:,} (setting serve_max_rows).", field="rows")
    with tempfile.TemporaryDirectory(prefix="empathica-rows-") as folder:
        path = Path(folder) / f"api-{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for row in body.rows:
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return _ingest(request, user, path, kind, label=f"{len(body.rows)} rows")


def _table(table: str | None) -> str | None:
    if table is None or table == "":
        return None
    if table not in TABLES:
        raise ApiError(400, "unknown_table", f"unknown table {table[:80]!r}; the tables are {', '.join(TABLES)}.", field="table")
    return table


def _ingest(request: Request, user: User, path: Path, kind: str | None, *, label: str) -> JSONResponse:
    from rich.console import Console
    import io

    from empathica.listen import ingest_files

    server = request.app.state.server
    try:
        with server.ingesting() as writer:
            results = ingest_files(writer, [path], kind=kind, console=Console(file=io.StringIO()))
    except EmpathicaError as exc:
        server.ops.audit(user.username, "ingest", label, detail=str(exc)[:500], status=400)
        raise ApiError(400, "ingest_failed", str(exc), field="file") from None
    out = [{"file": label, "table": r.table, "rows_read": r.rows_read, "rows_stored": r.rows_stored,
            "rows_already_stored": r.rows_already_stored, "rows_quarantined": r.rows_quarantined,
            "skipped_identical": r.skipped_identical, "notes": r.notes, "error": r.error} for r in results]
    server.ops.audit(user.username, "ingest", label, detail=json.dumps(out[0], default=str)[:1000])
    server.ingested({r.table for r in results if r.rows_stored})  # share: cached result pages that read these go
    if getattr(server, "act", None) is not None and any(r.rows_stored for r in results):
        server.act.changed("ingest", label)  # persisted first: a restart still evaluates it
    return JSONResponse({"ingested": out})


# -- quarantine ------------------------------------------------------------------------------------
@router.get("/quarantine", tags=["quarantine"])
def quarantine(request: Request, table: str | None = Query(None, max_length=80), page_number: int = Query(1, alias="page", ge=1),
               page_size: int = Query(100, ge=1, le=1000), lang: str | None = Query(None, max_length=8),
               user: User = Depends(require("analyst"))) -> dict:
    """Rows Listen refused, with file, row, field and reason (raw rows: not for users scoped to a team or region); each
    reason also as a finding (``reason_id``, ``reason_values``) and said in ``lang`` (``reason_shown``; default the
    setting ``report_language``)."""
    shown = shown_language(lang, request.app.state.server.settings.report_language)
    if user.team_id or user.region:
        raise ApiError(403, "forbidden", "quarantined rows are raw input of every team; a user scoped to a team or region "
                       "cannot read them.")
    server = request.app.state.server
    with server.reading() as store:
        rows = store.table(QUARANTINE)
        if table:
            rows = rows.filter(rows.table_name == table)
        total = int(rows.count().execute())
        frame = rows.order_by(["table_name", "source_file", "line"]).limit(page_size, offset=(page_number - 1) * page_size).to_pandas()
    server.ops.audit(user.username, "read", "quarantine", detail=table or "")
    return {"page": page_number, "page_size": page_size, "total": total, "language": shown,
            "rows": [quarantine_reason(row, shown) for row in json.loads(frame.to_json(orient="records", date_format="iso"))]}
