"""Act inside the processes that change the store: after each CLI ingest, and in `empathica serve` a worker that
evaluates pending ingests and runs, refreshes the context-card snapshot, checks SLAs and delivers notifications.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pandas as pd

from empathica.act.card import CardSnapshot, rejected_openers
from empathica.act.cases import check_slas
from empathica.act.live import LIVE_TEXT_COLUMNS, Fresh
from empathica.act.engine import LIVE_ROWS, Evaluation, evaluate_pending, install_rules, load_rule_file, stored_teams
from empathica.act.notify import Delivery, NotificationWords, deliver, queue_digests, queue_escalation
from empathica.schema.results import TEXT_SCORES
from empathica.settings import Settings
from empathica.store import Store
from empathica.store.cases import CaseStore
from empathica.understand.text import TextAnalyzer

log = logging.getLogger("empathica.act")


def demo_rules_path() -> Path:
    """The rule file shipped for the demo world."""
    return Path(str(resources.files("empathica.act").joinpath("data/demo_rules.toml")))


def ops_url_for(store: Store, settings: Settings) -> str:
    from empathica.store.operational import default_ops_url

    if settings.ops_url:
        return settings.ops_url
    return "sqlite://" if store.location == ":memory:" else default_ops_url(store.location)


def open_cases_store(store: Store, settings: Settings, *, only_existing: bool = False):
    """The operational store beside ``store`` (None with ``only_existing`` when it was never created)."""
    from empathica.store.operational import OperationalStore

    url = ops_url_for(store, settings)
    if only_existing and url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return None
    return OperationalStore(url)


def install_demo_rules(cases: CaseStore) -> int:
    """Start the demo's Act afresh: clear earlier cases and load the shipped demo rules."""
    cases.reset()
    return install_rules(cases, load_rule_file(demo_rules_path()), source="demo")


def after_ingest(store: Store, settings: Settings, detail: str,
                 echo: Callable[[str], None] | None = None, say: NotificationWords | None = None) -> Evaluation | None:
    """Evaluate the rules after a CLI ingest (when the store has an operational store with rules); ``echo`` gets
    a line per batch of a bulk ingest (progress); ``say``: how notifications are said (the report's catalogues)."""
    ops = open_cases_store(store, settings, only_existing=True)
    if ops is None:
        return None
    done: list[int] = []

    def progress(batch: Evaluation) -> None:
        left = batch.fresh.arrived.remaining(LIVE_ROWS) if batch.fresh is not None else 0
        done.append(batch.cases_opened)
        if echo is not None and (left or len(done) > 1):
            echo(f"Act: batch {len(done)} of the new rows evaluated ({sum(done):,} cases opened so far, "
                 f"{left} batches to go).")

    try:
        if not ops.cases.rule_definitions():
            return None
        return evaluate_pending(store, ops.cases, reason="ingest", detail=detail, on_batch=progress, say=say,
                                analyzer=lambda: TextAnalyzer.from_settings(settings))
    finally:
        ops.close()


def settle_heap() -> None:
    """Collect once, then move every object alive now (the libraries, the models, the snapshot) out of the garbage
    collector's sight (``gc.freeze``). Without it each full collection walks every long-lived object while holding
    the interpreter, and the requests arriving meanwhile wait for it: those pauses were the card's p99
    (``bench/results.md``, section act). Called at start, before the first request."""
    gc.collect()
    gc.freeze()


class ActService:
    """The server's Act: a worker thread that evaluates, an overlay thread that patches the cards of the customers
    new rows reach, and a card thread that rebuilds the whole snapshot after runs and bulk ingests."""

    #: A full rebuild after ingests merges the overlay of patched cards at most this often (seconds).
    full_refresh_seconds = 600.0
    #: An ingest reaching more customers than this is left to a full rebuild instead of patched card by card.
    overlay_customers = 2000
    #: Nice values of the card thread and of the child process that assembles a full snapshot: a rebuild yields
    #: the CPU to the requests it serves (Linux; elsewhere ignored).
    card_thread_nice = 10
    card_nice = 19

    def __init__(self, server, *, tick_seconds: float | None = None) -> None:
        self.server = server
        self.cases: CaseStore = server.ops.cases
        self.delivery = Delivery.from_settings(server.settings)
        #: How notifications and digests are said (set by the server from the report's catalogues; None: alerts
        #: without a subject, no digests).
        self.digest_words = None
        self.tick = tick_seconds if tick_seconds is not None else server.settings.act_tick_seconds
        self.snapshot: CardSnapshot | None = None
        self.snapshot_seconds: float | None = None
        self.refreshing = False
        self.last: Evaluation | None = None
        self._wake = threading.Event()
        self._stale = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._work_lock = threading.Lock()
        self._swap_lock = threading.Lock()  # the snapshot reference: a patch and a finished rebuild do not cross
        self._digest_end: datetime | None = None
        self._run_due = False  # a run published: rebuild every card now
        self._ingest_due = False  # a bulk ingest (or patches to merge): rebuild within full_refresh_seconds
        self._last_full = 0.0
        self._live = pd.DataFrame(columns=list(LIVE_TEXT_COLUMNS))
        self._analyzer = None
        self._analyzer_lock = threading.Lock()
        self._folder: Path | None = None  # the files the current snapshot is mapped from
        self._patch = threading.Event()
        self._overlay_due: set[str] = set()  # customers whose cards wait for the overlay thread

    def start(self) -> None:
        """Finish what a stopped server left pending (the first start evaluates everything once), build the card
        snapshot, then work in the background: one thread evaluates (so a new row's case never waits for a
        snapshot), another rebuilds the snapshot."""
        if not self.cases.marks() and self.cases.rule_definitions():
            self.cases.add_pending("start", "no watermark yet: every signal is evaluated once")
        self.work()
        self._stale.clear()  # the snapshot built next already includes what work() evaluated
        self.refresh_snapshot(serving=False)
        settle_heap()
        self._threads = [threading.Thread(target=self._work_loop, name="empathica-act", daemon=True),
                         threading.Thread(target=self._loop, args=(self._patch, self.overlay, None),
                                          name="empathica-act-overlay", daemon=True),
                         threading.Thread(target=self._card_loop, name="empathica-act-cards", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._stale.set()
        self._patch.set()
        for thread in self._threads:
            thread.join(timeout=30)
        gc.unfreeze()  # what the server kept becomes collectable again (in a test process, the next test's heap)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def changed(self, reason: str, detail: str = "") -> None:
        """The store changed (an ingest, a run, a rule): persist a pending evaluation and wake the worker; a run's
        results reach the cards by a full rebuild, an ingest's rows by patches (:meth:`work`)."""
        self.cases.add_pending(reason, detail)
        if reason == "run":
            self._run_due = True
            self._stale.set()
        self._wake.set()

    def _work_loop(self) -> None:
        if self.cases.rule_definitions():  # rules may test texts: load the analyzer before the first ingest needs it
            self.analyzer()
            gc.freeze()  # it lives as long as the server: out of the collector's sight (settle_heap), no pause now
        self._loop(self._wake, self.work, self.tick)

    def _loop(self, event: threading.Event, task, timeout: float | None) -> None:
        while not self._stop.is_set():
            event.wait(timeout)
            event.clear()
            if self._stop.is_set():
                break
            try:
                task()
            except Exception:  # the worker must outlive one bad evaluation; the pending row stays for the next
                log.exception("act: %s failed", task.__name__)

    def _card_loop(self) -> None:
        try:  # a thread's own priority (Linux): the requests served meanwhile come first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.card_thread_nice)
        except (AttributeError, OSError):
            pass
        self._loop(self._stale, self.refresh_cards, self.full_refresh_seconds)

    def rebuild_cards(self) -> None:
        """Ask for a full rebuild of the card snapshot now (as after a run)."""
        self._run_due = True
        self._stale.set()

    def analyzer(self):
        """The text analyzer a run uses, loaded once (for the texts and conversations scored on ingest)."""
        with self._analyzer_lock:
            if self._analyzer is None:
                self._analyzer = TextAnalyzer.from_settings(self.server.settings)
            return self._analyzer

    def work(self) -> None:
        """Evaluate pending changes (new rows only, their texts scored at once; a bulk ingest one batch per call),
        patch the cards of the customers they reach, escalate breached SLAs, deliver due notifications."""
        with self._work_lock:
            if self.cases.pending():
                with self.server.reading() as store:
                    report = evaluate_pending(store, self.cases, analyzer=self.analyzer, max_batches=1,
                                              on_batch=lambda batch: self._queue_overlay(batch.fresh),
                                              say=self.digest_words, openers=self._openers)
                    self.last = report or self.last
                    if report is not None and report.fresh is None:  # a full evaluation: a full rebuild
                        self._queue_overlay(None)
                if self.cases.pending():  # a bulk ingest's next batch, after the SLA check and deliveries below
                    self._wake.set()
            teams = stored_teams(self.cases)
            check_slas(self.cases, on_escalation=lambda case, kind: queue_escalation(self.cases, case, kind, teams,
                                                                                     say=self.digest_words))
            self._weekly_digests()
            deliver(self.cases, self.delivery)

    def _openers(self) -> dict[tuple, dict] | None:
        """The snapshot's candidate openers, which a case opened now chooses from as the card does."""
        snapshot = self.snapshot
        return snapshot.openers if snapshot is not None else None

    def _queue_overlay(self, new: Fresh | None) -> None:
        """Hand the rows an evaluation saw to the overlay thread (so the next evaluation does not wait for it); a
        full evaluation or an ingest reaching many customers is left to a full rebuild instead."""
        if new is None or len(new.arrived.customers) > self.overlay_customers:
            self._ingest_due = True
            return
        if len(new.texts):
            self._live = pd.concat([self._live, new.texts[list(LIVE_TEXT_COLUMNS)]], ignore_index=True)
        if new.arrived.customers:
            with self._swap_lock:
                self._overlay_due |= new.arrived.customers
            self._patch.set()

    def overlay(self) -> None:
        """Patch the cards of the customers new rows reached (events, texts scored at once, a new customer) on top
        of the snapshot: one partial build for all that queued meanwhile; merged by the next full rebuild."""
        with self._swap_lock:
            customers, self._overlay_due = self._overlay_due, set()
        if not customers or self.snapshot is None:
            return
        with self.server.reading() as store:
            part = CardSnapshot.build(store, live=self._live, only=sorted(customers), openers=self.snapshot.openers)
        with self._swap_lock:
            self.snapshot = self.snapshot.patched(part)
        self._ingest_due = True

    def card(self, customer_id: str) -> dict | None:
        """The card of ``customer_id`` from the snapshot and its overlay (None: no such customer)."""
        snapshot = self.snapshot
        return snapshot.card(customer_id) if snapshot is not None else None

    def _weekly_digests(self) -> None:
        """Each team's digest once per period, for the days up to the latest Monday 00:00 UTC (queued once even
        across restarts: the outbox refuses a second one for the same team and period)."""
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = today - timedelta(days=today.weekday())
        if self._digest_end != end and self.digest_words is not None:
            with self.server.reading() as store:
                queue_digests(self.cases, end=end, days=self.server.settings.act_digest_days, store=store,
                              say=self.digest_words)
            self._digest_end = end

    def refresh_cards(self) -> None:
        """A full rebuild after a run at once, and after ingests (merging the overlay) at most every
        ``full_refresh_seconds``."""
        if self._run_due or (self._ingest_due and time.monotonic() - self._last_full >= self.full_refresh_seconds):
            self.refresh_snapshot()

    def refresh_snapshot(self, *, serving: bool = True) -> None:
        """Rebuild the whole card snapshot from the store and swap it in (cards are served from the old one
        meanwhile); the patches made while it was built stay on top of it. ``serving``: requests are being
        answered meanwhile (DuckDB then works on one thread and the child at ``card_nice``; at start, before any
        request, both take what they can)."""
        self._run_due = self._ingest_due = False
        self._last_full = started = time.monotonic()
        since = datetime.now(UTC)
        self.refreshing = True
        folder = Path(tempfile.mkdtemp(prefix="empathica-cards-"))
        try:
            with self.server.reading() as store:
                self._live = self._still_unscored(store)
                built = CardSnapshot.build_apart(store, folder, rejected=self._rejected_openers(),
                                                 nice=self.card_nice if serving else 0, one_thread=serving)
                if len(self._live):  # texts scored on ingest that no run has scored: their customers patched on top
                    built = built.patched(CardSnapshot.build(store, live=self._live, openers=built.openers,
                                                             only=sorted(set(self._live["customer_id"]))))
            with self._swap_lock:
                later = {id(p): p for p in (self.snapshot.patches.values() if self.snapshot else ()) if p.built_at >= since}
                for part in later.values():
                    built = built.patched(part)
                self.snapshot = built
                old, self._folder = self._folder, folder
            if old is not None:  # mapped pages stay readable until the old snapshot is dropped (POSIX)
                shutil.rmtree(old, ignore_errors=True)
        except Exception:  # e.g. out of memory under an ingest's memory limit: the old snapshot serves on
            shutil.rmtree(folder, ignore_errors=True)
            self._ingest_due = True  # tried again within full_refresh_seconds
            raise
        finally:
            self.refreshing = False
        self.snapshot_seconds = round(time.monotonic() - started, 2)

    def _still_unscored(self, store: Store) -> pd.DataFrame:
        """The texts scored on ingest that no run has scored since (a run's scores replace the live ones)."""
        live = self._live
        if not len(live) or not store.has_result(TEXT_SCORES):
            return live
        scores = store.result(TEXT_SCORES)
        done = scores.filter(scores.source_id.isin(live["source_id"].astype(str).tolist()))
        done = set(zip(*[done.select("source_table", "source_id").to_pandas()[c] for c in ("source_table", "source_id")]))
        return live[[k not in done for k in zip(live["source"], live["source_id"])]].reset_index(drop=True)

    def snapshot_status(self) -> dict:
        """What the card snapshot holds: when it was built, how long that took, customers, bytes, patches."""
        snap = self.snapshot
        if snap is None:
            return {"built_at": None}
        return {"built_at": snap.built_at.isoformat(), "build_seconds": self.snapshot_seconds,
                "customers": snap.customers, "bytes": snap.nbytes(), "patched_customers": len(snap.patches),
                "live_texts": len(self._live), "refreshing": self.refreshing,
                "full_refresh_due": self._run_due or self._ingest_due}

    def _rejected_openers(self) -> set[str]:
        """Openers agents rejected more often than they used or edited them."""
        return rejected_openers(self.cases.opener_feedback())

    def digests(self) -> int:
        """Queue every team's digest of the last ``act_digest_days`` and deliver what is due."""
        with self.server.reading() as store:
            queued = queue_digests(self.cases, days=self.server.settings.act_digest_days, store=store,
                                   say=self.digest_words)
        deliver(self.cases, self.delivery)
        return queued
