"""``Server``: what one ``empathica serve`` process holds — the analytics store (its one writer), the operational
store, the login limiter, and the background run."""

from __future__ import annotations

import io
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Iterator

from rich.console import Console

from empathica.settings import Settings, config_path
from empathica.store import Store
from empathica.store.operational import OperationalStore, with_kept_scenarios
from empathica.serve.auth import LoginLimiter


@dataclass
class RunJob:
    """A run started through the API, going on in a background thread."""

    job_id: str
    requested_by: str
    only: list[str] | None
    status: str = "queued"  # queued, running, published, failed
    run_id: str | None = None
    step: str = ""
    steps_done: int = 0
    steps_total: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


class Server:
    """The analytics store (one writing connection; each request reads on its own cursor), the operational
    store, and the one run at a time."""

    def __init__(self, store: Store, ops: OperationalStore, settings: Settings) -> None:
        self.store = store
        self.ops = ops
        self.settings = settings
        #: The settings file the dashboard's settings form writes (the one ``Settings.load`` reads by default).
        self.config_file = config_path()
        self.limiter = LoginLimiter()
        self.jobs: dict[str, RunJob] = {}
        self._run_lock = threading.Lock()
        self._ingest_lock = threading.Lock()
        self._local = threading.local()
        #: Bumped when a run ends: result tables may have changed shape, so compiled queries are made afresh.
        self.results_version = 0
        #: Bumped when an ingest stores rows in a table that scopes and filters read (``query.SCOPE_TABLES``).
        self.scope_version = 0
        from empathica.serve.cache import PageCache

        #: Result pages as answered, per (results version, scope version or None for a page that reads no
        #: ``SCOPE_TABLES``, result, scope, filters, page, language).
        self.pages = PageCache(max_bytes=settings.serve_cache_mb * 1_000_000)

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """A read-only view for one request: it sees the last published results, complete, even while a run goes.
        Each worker thread keeps its own cursor (each query sees the latest committed data)."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = self.store.reader()
        yield reader

    @contextmanager
    def ingesting(self) -> Iterator[Store]:
        """A writer of its own for one ingest (one ingest at a time; a run may go on meanwhile)."""
        with self._ingest_lock:
            writer = self.store.writer()
            try:
                yield writer
            finally:
                writer.close()

    def ingested(self, tables: set[str]) -> None:
        """Forget the cached result pages that read a table an ingest stored rows in (a scoped or filtered page,
        after an ingest into a table that scopes and filters read); every other page stays cached."""
        from empathica.serve.query import SCOPE_TABLES

        if tables & SCOPE_TABLES:
            self.scope_version += 1
            self.pages.drop(lambda key: key[1] is not None)  # keyed by the scope version: it read SCOPE_TABLES
        self._prepare_scopes()

    def _prepare_scopes(self) -> None:
        """Recompute scoped users' panels on the changed data (the dashboard's ``ScopePreparer``, when running)."""
        if getattr(self, "scopes", None) is not None and self.settings.serve_prepare_scopes:
            self.scopes.start()

    def start_run(self, *, requested_by: str, only: list[str] | None, settings: Settings | None = None) -> RunJob | None:
        """Start a run in the background (with ``settings`` instead of the server's), valuing every user's kept
        scenarios besides the setting's; None when one is going already."""
        if not self._run_lock.acquire(blocking=False):
            return None
        settings = with_kept_scenarios(settings or self.settings, self.ops)  # every user's kept scenarios, valued
        job = RunJob(job_id=f"job-{len(self.jobs) + 1}-{datetime.now(UTC):%H%M%S}", requested_by=requested_by, only=only)
        self.jobs[job.job_id] = job
        threading.Thread(target=self._run, args=(job, settings), name=job.job_id, daemon=True).start()
        return job

    def current_job(self) -> RunJob | None:
        return next((j for j in self.jobs.values() if j.status in ("queued", "running")), None)

    def _run(self, job: RunJob, settings: Settings) -> None:
        from empathica.flywheel import run_flywheel

        def progress(step: str, done: int, total: int) -> None:
            job.status, job.step, job.steps_done, job.steps_total = "running", step, done, total
            job.run_id = job.run_id or self.store.run_id

        try:
            run_flywheel(self.store, settings=settings, console=Console(file=io.StringIO()), only=job.only,
                         on_step=progress)
            job.status = "published"
            if getattr(self, "act", None) is not None:
                self.act.changed("run", job.run_id or job.job_id)
        except Exception as exc:  # the run is rolled back and marked failed in the runs table; the job says why
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = datetime.now(UTC)
            self.results_version += 1
            self.pages.clear()
            self.ops.audit(job.requested_by, "run_finished", job.run_id or job.job_id, detail=job.status)
            self._run_lock.release()
            self._prepare_scopes()
