"""Evaluating rules over the store: open cases, tag signals, queue notifications — idempotently — and replay
rules over history without doing anything.

Every ingest and every run records a *pending evaluation* in the operational store before it evaluates and
removes it after; a process that stops in between leaves it there, and the next start evaluates it
(:func:`evaluate_pending`). Because a case, a tag and a notification are unique per rule and signal,
evaluating twice never opens two cases.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import ibis

from empathica.act.card import case_openers, rejected_openers
from empathica.act.live import Fresh, Lanes, arrivals, fresh
from empathica.act.notify import NotificationWords, queue_alert
from empathica.act.rules import Rule, RuleSet, Team, load_rules, parse_rule
from empathica.act.signals import matching, signal_fields
from empathica.store import Store
from empathica.store.cases import CaseStore

log = logging.getLogger("empathica.act")

#: An ingest is evaluated over its new rows in batches of at most this many rows per table, each batch's texts
#: scored at once: a bulk ingest's first cases open after one batch, not after all of it.
LIVE_ROWS = 1000
#: Columns of a matched signal that a case keeps as its evidence besides the rule's condition fields.
_EVIDENCE = ("customer_id", "touchpoint", "team", "timestamp", "language")


@dataclass
class Evaluation:
    """What one evaluation did, per rule: signals matched, cases opened, tags and notifications added."""

    matched: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)
    tagged: dict[str, int] = field(default_factory=dict)
    notified: dict[str, int] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)
    #: The rows an incremental evaluation tested, with their scores (None: a full evaluation).
    fresh: Fresh | None = None

    @property
    def cases_opened(self) -> int:
        return sum(self.opened.values())

    def add(self, batch: "Evaluation") -> None:
        """Count a later batch's evaluation in this one."""
        for mine, theirs in ((self.matched, batch.matched), (self.opened, batch.opened), (self.tagged, batch.tagged),
                             (self.notified, batch.notified)):
            for rule, n in theirs.items():
                mine[rule] = mine.get(rule, 0) + n
        self.case_ids += batch.case_ids
        if batch.fresh is not None:
            self.fresh = batch.fresh if self.fresh is None else self.fresh.then(batch.fresh)


def install_rules(cases: CaseStore, ruleset: RuleSet, *, source: str, username: str | None = None) -> int:
    """Store a rule file's rules and teams in the operational store (a rule with the same id is replaced)."""
    for rule in ruleset.rules:
        cases.save_rule(rule.as_dict(), source=source, username=username)
    for team in ruleset.teams:
        cases.save_team(team.team_id, language=team.language, email=team.email, webhook=team.webhook)
    return len(ruleset.rules)


def load_rule_file(path: str | Path) -> RuleSet:
    """A rule file, with condition fields checked against the signals and declared results."""
    return load_rules(path, known_fields=signal_fields)


def stored_rules(cases: CaseStore) -> list[Rule]:
    """The rules in the operational store."""
    return [parse_rule({k: v for k, v in d.items() if k != "source"}, known_fields=signal_fields)
            for d in cases.rule_definitions()]


def stored_teams(cases: CaseStore) -> dict[str, Team]:
    return {k: Team(team_id=k, language=v["language"], email=v["email"], webhook=v["webhook"])
            for k, v in cases.teams().items()}


#: The candidate openers a case's opener is chosen from (the server's card snapshot's), or None: read from the store.
OpenerSource = Callable[[], "dict[tuple, dict] | None"]


@dataclass(frozen=True)
class _Acting:
    """What acting on one evaluation's matched signals needs besides the rule and the row."""

    cases: CaseStore
    teams: dict[str, Team]
    owners: dict[str, str]
    say: NotificationWords | None
    openers: dict[str, dict | None]  # customer → the opener a case opened for them carries


def evaluate(store: Store, cases: CaseStore, rules: list[Rule] | None = None, *, until=None,
             new: Fresh | None = None, say: NotificationWords | None = None,
             openers: OpenerSource | None = None) -> Evaluation:
    """Evaluate ``rules`` (default: the stored ones) over the store and act on every signal not acted on yet;
    with ``new``, over the rows that arrived only (rules on results wait for the run that changes them). ``say``:
    how notifications are said (the report's catalogues, handed down by the caller); a case opened for a customer
    carries the opener their card suggests, chosen among ``openers()`` (default: the store's)."""
    rules = stored_rules(cases) if rules is None else rules
    report = Evaluation(fresh=new)
    todo = []
    for rule in rules:
        if not rule.enabled or not _ready(store, rule) or (new is not None and not _timed(rule)):
            continue
        if new is not None and not _arrived(rule, new):  # no new signal of its kind: nothing to query
            report.matched[rule.rule_id] = 0
            continue
        rows = _matched_rows(store, rule, until=until, new=new)
        report.matched[rule.rule_id] = len(rows)
        # a full evaluation skips what is known in one query; a few new rows rely on the unique (rule, signal)
        known = cases.known_signals(rule.rule_id) if "case" in rule.actions and new is None else set()
        todo.append((rule, [row for row in rows if row["signal_id"] not in known]))
    customers = {row["customer_id"] for rule, rows in todo if "case" in rule.actions for row in rows
                 if row.get("customer_id")}
    acting = _Acting(cases, stored_teams(cases), _owners(store) if todo else {}, say,
                     _case_openers(store, cases, customers, new, openers) if customers else {})
    for rule, rows in todo:
        for row in rows:
            _act(acting, rule, row, report)
    return report


def _case_openers(store: Store, cases: CaseStore, customers: set[str], new: Fresh | None,
                  openers: OpenerSource | None) -> dict[str, dict | None]:
    """The opener each customer's card suggests, for the cases about to open for them; none when they cannot be
    read (logged): a case opens without its opener rather than not at all."""
    candidates = openers() if openers is not None else None
    rejected = rejected_openers(cases.opener_feedback()) if candidates is None else set()  # the snapshot's exclude them
    try:
        return case_openers(store, sorted(customers), live=new.texts if new is not None and len(new.texts) else None,
                            openers=candidates, rejected=rejected)
    except Exception:  # e.g. DuckDB out of memory under an ingest's limit: the cases matter more than their openers
        log.exception("act: the openers of %d customers' cases could not be chosen; their cases open without one",
                      len(customers))
        return {}


def _arrived(rule: Rule, new: Fresh) -> bool:
    """Whether ``new`` holds a signal of the kind ``rule`` is on (feedback rows; conversations or their turns)."""
    if rule.on == "feedback":
        return bool(new.keys("feedback"))
    return bool(new.keys("conversations")) or bool(len(new.conversations))


def _ready(store: Store, rule: Rule) -> bool:
    """A rule on a result waits until a run has stored that result."""
    return rule.on in ("conversation", "feedback") or store.has_result(rule.on)


def _matched_rows(store: Store, rule: Rule, *, until=None, new: Fresh | None = None) -> list[dict]:
    table = matching(store, rule, until=until, new=new)
    fields = [*_EVIDENCE, *[c.field for c in rule.conditions]]
    if not _timed(rule):  # a result row: keep all of it as the case's evidence
        fields += [c for c in table.columns if c not in ("run_id", "kind")]
    wanted = ["signal_id"] + [c for c in dict.fromkeys(fields) if c in table.columns and c != "signal_id"]
    frame = table.select(*wanted).distinct(on="signal_id", keep="first").to_pandas()
    records = frame.to_dict("records")
    for row in records:
        for key, value in list(row.items()):
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
            elif hasattr(value, "isoformat"):
                row[key] = value.isoformat()
    return records


def _owners(store: Store) -> dict[str, str]:
    tp = store.table("touchpoints").select("touchpoint_id", "owner_team_id").to_pandas()
    return {r.touchpoint_id: r.owner_team_id for r in tp.itertuples() if r.owner_team_id}


def _act(acting: _Acting, rule: Rule, row: dict, report: Evaluation) -> None:
    cases = acting.cases
    touchpoint = row.get("touchpoint") or row.get("source")
    team = rule.team or row.get("team") or acting.owners.get(touchpoint or "")
    evidence = {k: v for k, v in row.items() if k != "signal_id"}
    case_id = None
    if "case" in rule.actions:
        subject = row.get("customer_id") or row["signal_id"].split(":", 1)[-1]
        case_id = cases.open_case(rule_id=rule.rule_id, signal_id=row["signal_id"], title=f"{rule.name}: {subject}",
                                  priority=rule.priority, team_id=team, first_response=rule.first_response,
                                  resolution=rule.resolution, customer_id=row.get("customer_id"), touchpoint=touchpoint,
                                  escalate_to=rule.escalate_to, evidence=evidence,
                                  opener=acting.openers.get(row.get("customer_id") or ""))
        if case_id is None:
            return  # another evaluation opened it meanwhile
        report.opened[rule.rule_id] = report.opened.get(rule.rule_id, 0) + 1
        report.case_ids.append(case_id)
    if "tag" in rule.actions and cases.tag(rule_id=rule.rule_id, signal_id=row["signal_id"], tag=rule.tag or rule.rule_id,
                                           customer_id=row.get("customer_id")):
        report.tagged[rule.rule_id] = report.tagged.get(rule.rule_id, 0) + 1
    if "notify" in rule.actions:
        sent = queue_alert(cases, rule=rule, signal_id=row["signal_id"], team=acting.teams.get(team or ""),
                           team_id=team, case_id=case_id, evidence=evidence, say=acting.say)
        report.notified[rule.rule_id] = report.notified.get(rule.rule_id, 0) + sent


def evaluate_pending(store: Store, cases: CaseStore, *, reason: str | None = None, detail: str = "",
                     analyzer: Callable[[], object] | None = None, live_rows: int = LIVE_ROWS,
                     on_batch: Callable[[Evaluation], None] | None = None,
                     max_batches: int | None = None, say: NotificationWords | None = None,
                     openers: OpenerSource | None = None) -> Evaluation | None:
    """Record a pending evaluation (when ``reason`` is given), then evaluate every pending one and clear them.

    Called after each ingest and run, and at start-up (``reason=None``) to finish what a stopped process left.
    When only ingests are pending, only the new rows are evaluated, in batches of at most ``live_rows`` rows per
    table, their texts and conversations scored at once with ``analyzer()`` (the text analyzer a run uses); each
    batch's watermarks are stored when it is done (a restart goes on from there) and ``on_batch`` gets its
    evaluation. After ``max_batches`` the pending evaluations stay for the next call (the server's worker checks
    SLAs and delivers notifications between batches). Otherwise (a run, a changed rule, or no watermark yet)
    every signal is evaluated. ``say`` and ``openers``: as for :func:`evaluate`.
    """
    if reason is not None:
        cases.add_pending(reason, detail)
    pending = cases.pending()
    if not pending:
        return None
    lanes = Lanes.read(cases.marks())
    arrived = arrivals(store, lanes.marks, limit=live_rows)  # the rows of every pending ingest are up to its tops
    if analyzer is not None and not arrived.bulk and all(p["reason"] == "ingest" for p in pending):
        report, finished = _evaluate_batches(store, cases, lanes, arrived.tops, analyzer, live_rows=live_rows,
                                             on_batch=on_batch, max_batches=max_batches,
                                             acting={"say": say, "openers": openers})
        if not finished:
            return report
    else:
        report = evaluate(store, cases, say=say, openers=openers)
        # read before evaluating: rows that came meanwhile are looked at next time; a bulk going on is done
        cases.save_marks(arrived.tops, drop=Lanes.dropped())
    cases.done_pending([p["pending_id"] for p in pending])
    return report


def _evaluate_batches(store: Store, cases: CaseStore, lanes: Lanes, tops: dict[str, int],
                      analyzer: Callable[[], object], *, live_rows: int,
                      on_batch: Callable[[Evaluation], None] | None,
                      max_batches: int | None, acting: dict) -> tuple[Evaluation, bool]:
    """Evaluate the new rows batch after batch until every row up to ``tops`` (the pending ingests') is done; a
    small ingest that comes during a bulk is taken ahead of the bulk's next batch (:class:`Lanes`); progress is
    logged for a bulk ingest (``acting``: :func:`evaluate`'s ``say`` and ``openers``). Whether every batch was done."""
    report, done, started = Evaluation(), 0, time.monotonic()
    while True:
        arrived, ahead = lanes.next_batch(store, limit=live_rows)
        new = fresh(store, arrived, analyzer)
        batch = evaluate(store, cases, new=new, **acting) if not arrived.empty else Evaluation(fresh=new)
        lanes.advance(arrived, ahead)
        cases.save_marks(lanes.stored(), drop=Lanes.dropped())
        done += 1
        report.add(batch)
        if on_batch is not None:
            on_batch(batch)
        left = arrived.remaining(live_rows) if not ahead else None
        if ahead:
            log.info("act: %d rows that came during a bulk ingest evaluated ahead of it, %d cases opened",
                     arrived.rows, batch.cases_opened)
        elif done > 1 or left:
            log.info("act: bulk ingest, batch evaluated: %d rows, %d texts scored, %d cases opened (%.1f s in all); "
                     "batches left: %d", arrived.rows, len(new.texts), batch.cases_opened,
                     time.monotonic() - started, left)
        if lanes.covers(tops) or (arrived.empty and not lanes.ends):
            return report, True
        if max_batches is not None and done >= max_batches:
            return report, False


def replay(store: Store, rules: list[Rule], *, since: date | datetime, until: date | datetime | None = None) -> list[dict]:
    """How many signals (cases) each rule would have matched since ``since``, per month, without acting."""
    out = []
    start = datetime.combine(since, datetime.min.time()) if not isinstance(since, datetime) else since
    for rule in rules:
        if not _ready(store, rule):
            out.append({"rule": rule.rule_id, "name": rule.name, "cases": None, "customers": None, "by_month": {},
                        "note": f"needs result {rule.on}: run the analyses first"})
            continue
        table = matching(store, rule, since=ibis.timestamp(start) if _timed(rule) else None, until=until)
        total = int(table.count().execute())
        customers = int(table.customer_id.nunique().execute()) if "customer_id" in table.columns else None
        by_month = {}
        if "timestamp" in table.columns and total:
            months = table.group_by(month=table.timestamp.truncate("M").date().cast("string")).aggregate(n=ibis._.count())
            by_month = {r.month[:7]: int(r.n) for r in months.order_by("month").to_pandas().itertuples()}
        out.append({"rule": rule.rule_id, "name": rule.name, "cases": total, "customers": customers,
                    "by_month": by_month, "note": ""})
    return out


def _timed(rule: Rule) -> bool:
    return rule.on in ("conversation", "feedback")
