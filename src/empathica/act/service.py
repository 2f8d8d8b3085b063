"""Act inside the processes that change the store: after each CLI ingest, and in `empathica serve` a worker that
evaluates pending ingests and runs, refreshes the context-card snapshot, checks SLAs and delivers notifications.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pandas as pd

from empathica.act.card import CardSnapshot
from empathica.act.card_facts import LIVE_COLUMNS, unscored_texts
from empathica.act.cases import check_slas
from empathica.act.engine import Evaluation, evaluate_pending, install_rules, load_rule_file, stored_teams
from empathica.act.notify import Delivery, deliver, queue_digests, queue_escalation
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


def after_ingest(store: Store, settings: Settings, detail: str) -> Evaluation | None:
    """Evaluate the rules after a CLI ingest (when the store has an operational store with rules)."""
    ops = open_cases_store(store, settings, only_existing=True)
    if ops is None:
        return None
    try:
        if not ops.cases.rule_definitions():
            return None
        return evaluate_pending(store, ops.cases, reason="ingest", detail=detail)
    finally:
        ops.close()


class ActService:
    """The server's Act: one worker thread that evaluates, refreshes the card snapshot and notifies."""

    #: A text scored on ingest for the card: at most this many of the newest unscored texts per refresh (a bulk
    #: ingest's texts wait for the next run); and a full rebuild after ingests at most this often (seconds).
    live_texts = 500
    full_refresh_seconds = 600.0
    #: The card thread's nice value: a rebuild yields the CPU to the requests it serves (Linux; elsewhere ignored).
    card_thread_nice = 10

    def __init__(self, server, *, tick_seconds: float | None = None) -> None:
        self.server = server
        self.cases: CaseStore = server.ops.cases
        self.delivery = Delivery.from_settings(server.settings)
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
        self._digest_end: datetime | None = None
        self._run_due = False  # a run published: rebuild every card now
        self._ingest_due = False  # an ingest stored rows: score its texts now, rebuild every card within a minute
        self._texts_due = False
        self._last_full = 0.0
        self._live = pd.DataFrame(columns=list(LIVE_COLUMNS))
        self._analyzer = None

    def start(self) -> None:
        """Finish what a stopped server left pending, build the card snapshot, then work in the background: one
        thread evaluates (so a new row's case never waits for a snapshot), another refreshes the snapshot."""
        self.work()
        self._stale.clear()  # the snapshot built next already includes what work() evaluated
        self.refresh_snapshot()
        self._threads = [threading.Thread(target=self._loop, args=(self._wake, self.work, self.tick),
                                          name="empathica-act", daemon=True),
                         threading.Thread(target=self._card_loop, name="empathica-act-cards", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._stale.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def changed(self, reason: str, detail: str = "") -> None:
        """The store changed (an ingest, a run): persist a pending evaluation and wake the worker; a run's
        results reach the cards by a full rebuild, an ingest's texts at once (:meth:`refresh_cards`)."""
        self.cases.add_pending(reason, detail)
        if reason == "ingest":
            self._ingest_due = self._texts_due = True
        else:
            self._run_due = True
        self._wake.set()
        self._stale.set()

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

    def work(self) -> None:
        """Evaluate pending changes, escalate breached SLAs, deliver due notifications; mark the snapshot stale."""
        with self._work_lock:
            if self.cases.pending():
                with self.server.reading() as store:
                    self.last = evaluate_pending(store, self.cases) or self.last
                self._stale.set()
            teams = stored_teams(self.cases)
            check_slas(self.cases, on_escalation=lambda case, kind: queue_escalation(self.cases, case, kind, teams))
            self._weekly_digests()
            deliver(self.cases, self.delivery)

    def _weekly_digests(self) -> None:
        """Each team's digest once per period, for the days up to the latest Monday 00:00 UTC (queued once even
        across restarts: the outbox refuses a second one for the same team and period)."""
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = today - timedelta(days=today.weekday())
        if self._digest_end != end:
            queue_digests(self.cases, end=end, days=self.server.settings.act_digest_days)
            self._digest_end = end

    def refresh_cards(self) -> None:
        """Bring the cards up to date: texts ingested since the last refresh are scored and their customers'
        cards rebuilt at once; everything else (new customers, events, a run's results) by a full rebuild, done
        after a run and at most every ``full_refresh_seconds`` after ingests."""
        if self._run_due:
            self.refresh_snapshot()
            return
        if self._texts_due:
            self._texts_due = False
            self.refresh_live_texts()
        if self._ingest_due and time.monotonic() - self._last_full >= self.full_refresh_seconds:
            self.refresh_snapshot()

    def refresh_snapshot(self) -> None:
        """Rebuild the whole card snapshot from the store and swap it in (cards are served from the old one
        meanwhile): a run's results, new customers and events, and the texts scored on ingest."""
        self._run_due = self._ingest_due = False
        self._last_full = started = time.monotonic()
        self.refreshing = True
        try:
            with self.server.reading() as store:
                self.snapshot = CardSnapshot.build(store, rejected=self._rejected_openers(), live=self._live)
        finally:
            self.refreshing = False
        self.snapshot_seconds = round(time.monotonic() - started, 2)

    def snapshot_status(self) -> dict:
        """What the card snapshot holds: when it was built, how long that took, customers, bytes, patches."""
        snap = self.snapshot
        if snap is None:
            return {"built_at": None}
        return {"built_at": snap.built_at.isoformat(), "build_seconds": self.snapshot_seconds,
                "customers": snap.customers, "bytes": snap.nbytes(), "patched_customers": len(snap.patches),
                "live_texts": len(self._live), "refreshing": self.refreshing,
                "full_refresh_due": self._run_due or self._ingest_due}

    def refresh_live_texts(self) -> bool:
        """Score the texts no run has scored yet (the newest ``live_texts``) and rebuild their customers' cards;
        True when there were any."""
        with self.server.reading() as store:
            fresh = unscored_texts(store, limit=self.live_texts)
            known = set(zip(self._live["source"], self._live["source_id"]))
            new = fresh[[key not in known for key in zip(fresh["source"], fresh["source_id"])]]
            still = set(zip(fresh["source"], fresh["source_id"]))
            kept = self._live[[key in still for key in zip(self._live["source"], self._live["source_id"])]]
            self._live = pd.concat([kept, self._score(new)], ignore_index=True) if len(new) else kept
            if not len(new) or self.snapshot is None:
                return bool(len(new))
            part = CardSnapshot.build(store, live=self._live, only=sorted(set(new["customer_id"])),
                                      openers=self.snapshot.openers)
        self.snapshot = self.snapshot.patched(part)
        return True

    def _score(self, texts: pd.DataFrame) -> pd.DataFrame:
        """Sentiment, emotion and aspects of new texts, with the analyzer a run uses (loaded once)."""
        if self._analyzer is None:
            self._analyzer = TextAnalyzer.from_settings(self.server.settings)
        scored = self._analyzer.analyze(texts["text"].tolist())
        return pd.DataFrame({"customer_id": texts["customer_id"].to_numpy(), "timestamp": texts["timestamp"].to_numpy(),
                             "source": texts["source"].to_numpy(), "source_id": texts["source_id"].to_numpy(),
                             "sentiment": scored["sentiment_score"].astype(float).to_numpy(),
                             "emotion": scored["emotion"].to_numpy(),
                             "aspects": [json.dumps(list(a)) for a in scored["aspects"]]})

    def _rejected_openers(self) -> set[str]:
        """Openers agents rejected more often than they used or edited them."""
        balance: dict[str, int] = {}
        for item in self.cases.opener_feedback():
            balance[item["opener_id"]] = balance.get(item["opener_id"], 0) + (1 if item["verdict"] == "rejected" else -1)
        return {opener for opener, score in balance.items() if score > 0}

    def digests(self) -> int:
        """Queue every team's digest of the last ``act_digest_days`` and deliver what is due."""
        queued = queue_digests(self.cases, days=self.server.settings.act_digest_days)
        deliver(self.cases, self.delivery)
        return queued
