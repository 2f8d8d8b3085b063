"""Act inside the processes that change the store: after each CLI ingest, and in `empathica serve` a worker that
evaluates pending ingests and runs, refreshes the context-card snapshot, checks SLAs and delivers notifications.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from empathica.act.card import CardSnapshot
from empathica.act.cases import check_slas
from empathica.act.engine import Evaluation, evaluate_pending, install_rules, load_rule_file, stored_teams
from empathica.act.notify import Delivery, deliver, queue_digests, queue_escalation
from empathica.settings import Settings
from empathica.store import Store
from empathica.store.cases import CaseStore

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

    def __init__(self, server, *, tick_seconds: float | None = None) -> None:
        self.server = server
        self.cases: CaseStore = server.ops.cases
        self.delivery = Delivery.from_settings(server.settings)
        self.tick = tick_seconds if tick_seconds is not None else server.settings.act_tick_seconds
        self.snapshot: CardSnapshot | None = None
        self.last: Evaluation | None = None
        self._wake = threading.Event()
        self._stale = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._work_lock = threading.Lock()
        self._digest_end: datetime | None = None

    def start(self) -> None:
        """Finish what a stopped server left pending, build the card snapshot, then work in the background: one
        thread evaluates (so a new row's case never waits for a snapshot), another refreshes the snapshot."""
        self.work()
        self._stale.clear()  # the snapshot built next already includes what work() evaluated
        self.refresh_snapshot()
        self._threads = [threading.Thread(target=self._loop, args=(self._wake, self.work, self.tick),
                                          name="empathica-act", daemon=True),
                         threading.Thread(target=self._loop, args=(self._stale, self.refresh_snapshot, None),
                                          name="empathica-act-cards", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._stale.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def changed(self, reason: str, detail: str = "") -> None:
        """The store changed (an ingest, a run): persist a pending evaluation and wake the worker."""
        self.cases.add_pending(reason, detail)
        self._wake.set()

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

    def refresh_snapshot(self) -> None:
        """Rebuild the card snapshot from the store and swap it in (cards are served from the old one meanwhile)."""
        with self.server.reading() as store:
            self.snapshot = CardSnapshot.build(store, rejected=self._rejected_openers())

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
