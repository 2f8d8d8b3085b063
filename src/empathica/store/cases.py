"""``CaseStore``: the operational store's tables of Act — rules, cases and their audit trail, pending evaluations,
the notification outbox, tags, teams and opener feedback — on the same SQLAlchemy engine as users and sessions.

Idempotence lives here: a case is unique per (rule, signal), a tag per (rule, signal), a notification per
(rule, signal, channel, target); opening twice is a no-op. Every change to a case is one row of ``case_events``
written in the same transaction as the change.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from collections.abc import Sequence

from sqlalchemy import (BigInteger, Column, DateTime, Float, Integer, MetaData, String, Table, Text, UniqueConstraint, delete, func,
                        insert, inspect, select, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from empathica.errors import InputError

STATUSES = ("open", "in_progress", "resolved", "closed")
ACTIVE = ("open", "in_progress")
#: Which status may follow which (reopen: resolved or closed → open).
TRANSITIONS = {"open": {"in_progress", "resolved"}, "in_progress": {"resolved", "open"},
               "resolved": {"closed", "open"}, "closed": {"open"}}

_meta = MetaData()
RULES = Table(
    "act_rules", _meta,
    Column("rule_id", String(80), primary_key=True),
    Column("definition", Text, nullable=False),  # the rule as JSON (Rule.as_dict)
    Column("source", String(400)),  # the rule file it came from, or 'api'
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(120)),
)
TEAMS = Table(
    "act_teams", _meta,
    Column("team_id", String(120), primary_key=True),
    Column("language", String(8), nullable=False, default="en"),
    Column("email", String(320)),
    Column("webhook", Text),
)
CASES = Table(
    "cases", _meta,
    Column("case_id", Integer, primary_key=True),
    Column("rule_id", String(80), nullable=False),
    Column("signal_id", String(400), nullable=False),
    Column("customer_id", String(200), index=True),
    Column("touchpoint", String(200)),
    Column("title", Text, nullable=False),
    Column("team_id", String(120)),
    Column("assignee", String(120)),
    Column("priority", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("first_response_due", DateTime(timezone=True), nullable=False),
    Column("resolution_due", DateTime(timezone=True), nullable=False),
    Column("first_response_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("escalate_to", String(120)),
    Column("root_cause", Text),
    Column("outcome", Text),
    Column("evidence", Text),  # JSON: the signal's fields the rule tested
    Column("opener", Text),  # JSON: the opener the customer's card suggested when the case opened (act/card.py)
    UniqueConstraint("rule_id", "signal_id", name="one_case_per_rule_and_signal"),
)
CASE_EVENTS = Table(
    "case_events", _meta,
    Column("event_id", Integer, primary_key=True),
    Column("case_id", Integer, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),  # a user, or 'rule:<id>' / 'sla' for the system
    Column("action", String(40), nullable=False),  # opened, assigned, status, priority, escalated, comment, breach
    Column("field", String(40)),
    Column("old", Text),
    Column("new", Text),
    Column("note", Text),
)
PENDING = Table(
    "act_pending", _meta,
    Column("pending_id", Integer, primary_key=True),
    Column("reason", String(40), nullable=False),  # ingest, run
    Column("detail", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
MARKS = Table(  # per watched table, the highest DuckDB row number Act has evaluated (act/live.py)
    "act_marks", _meta,
    Column("table_name", String(80), primary_key=True),
    Column("last_rowid", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
TAGS = Table(
    "signal_tags", _meta,
    Column("rule_id", String(80), primary_key=True),
    Column("signal_id", String(400), primary_key=True),
    Column("tag", String(120), nullable=False),
    Column("customer_id", String(200)),
    Column("at", DateTime(timezone=True), nullable=False),
)
OUTBOX = Table(
    "notifications", _meta,
    Column("notification_id", Integer, primary_key=True),
    Column("dedup_key", String(600), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),  # webhook, email
    Column("target", Text, nullable=False),
    Column("subject", Text),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
)
OPENER_FEEDBACK = Table(
    "opener_feedback", _meta,
    Column("feedback_id", Integer, primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("opener_id", String(400), nullable=False),  # the turn id of the real reply suggested
    Column("verdict", String(16), nullable=False),  # used, edited, rejected
    Column("edited_text", Text),
    Column("username", String(120)),
    Column("at", DateTime(timezone=True), nullable=False),
)


def create_tables(engine: Engine) -> None:
    _meta.create_all(engine)
    _add_new_columns(engine)


def _add_new_columns(engine: Engine) -> None:
    """Columns added to a table after an operational store was created (all nullable), added to that store."""
    found = inspect(engine)
    tables = set(found.get_table_names())
    for table in _meta.sorted_tables:
        if table.name not in tables:
            continue
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have and column.nullable:
                with engine.begin() as con:
                    con.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" '
                                        f'{column.type.compile(dialect=engine.dialect)}')


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


class CaseStore:
    """Rules, cases, audit trail, pending evaluations, outbox, tags, teams and opener feedback."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine)

    def reset(self) -> None:
        """Delete every case, event, tag, notification, pending evaluation and rule (a fresh demo world)."""
        with self.engine.begin() as con:
            for table in (CASE_EVENTS, CASES, TAGS, OUTBOX, PENDING, RULES, TEAMS, OPENER_FEEDBACK, MARKS):
                con.execute(delete(table))

    # -- rules and teams -----------------------------------------------------------------------
    def save_rule(self, definition: dict, *, source: str, username: str | None = None) -> None:
        values = {"definition": json.dumps(definition, default=str), "source": source, "updated_at": now(),
                  "updated_by": username}
        with self.engine.begin() as con:
            done = con.execute(update(RULES).where(RULES.c.rule_id == definition["id"]).values(**values)).rowcount
            if not done:
                con.execute(insert(RULES).values(rule_id=definition["id"], **values))

    def delete_rule(self, rule_id: str) -> bool:
        with self.engine.begin() as con:
            return bool(con.execute(delete(RULES).where(RULES.c.rule_id == rule_id)).rowcount)

    def rule_definitions(self) -> list[dict]:
        with self.engine.connect() as con:
            rows = con.execute(select(RULES).order_by(RULES.c.rule_id)).mappings()
            return [{**json.loads(r["definition"]), "source": r["source"]} for r in rows]

    def save_team(self, team_id: str, *, language: str, email: str | None, webhook: str | None) -> None:
        with self.engine.begin() as con:
            con.execute(delete(TEAMS).where(TEAMS.c.team_id == team_id))
            con.execute(insert(TEAMS).values(team_id=team_id, language=language, email=email, webhook=webhook))

    def teams(self) -> dict[str, dict]:
        with self.engine.connect() as con:
            return {r["team_id"]: dict(r) for r in con.execute(select(TEAMS)).mappings()}

    # -- pending evaluations (restart safety) --------------------------------------------------
    def add_pending(self, reason: str, detail: str = "") -> int:
        with self.engine.begin() as con:
            return int(con.execute(insert(PENDING).values(reason=reason, detail=detail[:2000], created_at=now()))
                       .inserted_primary_key[0])

    def pending(self) -> list[dict]:
        with self.engine.connect() as con:
            return [dict(r) for r in con.execute(select(PENDING).order_by(PENDING.c.pending_id)).mappings()]

    def done_pending(self, pending_ids: list[int]) -> None:
        if pending_ids:
            with self.engine.begin() as con:
                con.execute(delete(PENDING).where(PENDING.c.pending_id.in_(pending_ids)))

    def marks(self) -> dict[str, int]:
        """The watermarks: per watched table, the highest row number evaluated."""
        with self.engine.connect() as con:
            return {r.table_name: int(r.last_rowid) for r in con.execute(select(MARKS))}

    def save_marks(self, marks: dict[str, int], *, drop: Sequence[str] = ()) -> None:
        """Store ``marks`` (name → row number) and remove the ``drop`` names not among them, in one transaction."""
        with self.engine.begin() as con:
            gone = [name for name in drop if name not in marks]
            if gone:
                con.execute(delete(MARKS).where(MARKS.c.table_name.in_(gone)))
            for table, rowid in marks.items():
                con.execute(delete(MARKS).where(MARKS.c.table_name == table))
                con.execute(insert(MARKS).values(table_name=table, last_rowid=int(rowid), at=now()))

    # -- cases ---------------------------------------------------------------------------------
    def known_signals(self, rule_id: str) -> set[str]:
        """Signals that already opened a case under ``rule_id``."""
        with self.engine.connect() as con:
            return set(con.execute(select(CASES.c.signal_id).where(CASES.c.rule_id == rule_id)).scalars())

    def open_case(self, *, rule_id: str, signal_id: str, title: str, priority: str, team_id: str | None,
                  first_response: timedelta, resolution: timedelta, customer_id: str | None = None,
                  touchpoint: str | None = None, escalate_to: str | None = None, evidence: dict | None = None,
                  opened_at: datetime | None = None, opener: dict | None = None) -> int | None:
        """Open a case (``opener``: the one the customer's card suggests); None when this rule already opened one
        for this signal (idempotent)."""
        opened = opened_at or now()
        try:
            with self.engine.begin() as con:
                case_id = con.execute(insert(CASES).values(
                    rule_id=rule_id, signal_id=signal_id, customer_id=customer_id, touchpoint=touchpoint, title=title,
                    team_id=team_id, priority=priority, status="open", opened_at=opened,
                    first_response_due=opened + first_response, resolution_due=opened + resolution,
                    escalation_level=0, escalate_to=escalate_to, evidence=json.dumps(evidence or {}, default=str),
                    opener=json.dumps(opener, default=str, ensure_ascii=False) if opener else None,
                )).inserted_primary_key[0]
                _event(con, case_id, f"rule:{rule_id}", "opened", new="open", at=opened)
        except IntegrityError:
            return None
        return int(case_id)

    def case(self, case_id: int) -> dict:
        with self.engine.connect() as con:
            row = con.execute(select(CASES).where(CASES.c.case_id == case_id)).mappings().first()
        if row is None:
            raise InputError(f"no case {case_id}; `empathica cases list` shows them.")
        return _case(row)

    def cases(self, *, status: str | None = None, team_id: str | None = None, assignee: str | None = None,
              customer_id: str | None = None, rule_id: str | None = None, priority: str | None = None,
              touchpoint: str | None = None, overdue: bool = False, opened_since: datetime | None = None,
              opened_until: datetime | None = None, teams: Sequence[str] | None = None, limit: int = 100,
              offset: int = 0) -> tuple[int, list[dict]]:
        """Cases matching every filter given, newest first, and how many match in all. ``status="active"``: open
        or in progress; ``overdue``: active and past its first-response or resolution deadline now; ``teams``: only
        the cases owned by one of these teams (a user's scope)."""
        query = _filtered(select(CASES), status=status, team_id=team_id, assignee=assignee, customer_id=customer_id,
                          rule_id=rule_id, priority=priority, touchpoint=touchpoint, overdue=overdue,
                          opened_since=opened_since, opened_until=opened_until, teams=teams)
        with self.engine.connect() as con:
            total = con.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = con.execute(query.order_by(CASES.c.case_id.desc()).limit(limit).offset(offset)).mappings()
            return int(total), [_case(r) for r in rows]

    def case_counts(self, *, team_id: str | None = None, teams: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
        """How many cases there are per status, per priority of the active ones, per team of the active ones, and
        how many active ones are overdue (the tiles of a case dashboard)."""
        out: dict[str, dict[str, int]] = {}
        with self.engine.connect() as con:
            for name, column, status in (("status", CASES.c.status, None), ("priority", CASES.c.priority, "active"),
                                         ("team", CASES.c.team_id, "active")):
                query = _filtered(select(column, func.count()), status=status, team_id=team_id,
                                  teams=teams).group_by(column)
                out[name] = {str(key): int(n) for key, n in con.execute(query)}
            overdue = _filtered(select(func.count()).select_from(CASES), team_id=team_id, teams=teams,
                                overdue=True)
            out["overdue"] = {"active": int(con.execute(overdue).scalar_one())}
        return out

    def active_cases_of(self, customer_id: str, *, limit: int = 20) -> list[dict]:
        """A customer's open and in-progress cases, newest first (one indexed query: the context card asks it)."""
        query = (select(CASES.c.case_id, CASES.c.title, CASES.c.priority, CASES.c.status, CASES.c.team_id,
                        CASES.c.assignee, CASES.c.resolution_due)
                 .where(CASES.c.customer_id == customer_id, CASES.c.status.in_(("open", "in_progress")))
                 .order_by(CASES.c.case_id.desc()).limit(limit))
        with self.engine.connect() as con:
            return [{**dict(r), "resolution_due": aware(r["resolution_due"]).isoformat()}
                    for r in con.execute(query).mappings()]

    def events(self, case_id: int) -> list[dict]:
        with self.engine.connect() as con:
            rows = con.execute(select(CASE_EVENTS).where(CASE_EVENTS.c.case_id == case_id)
                               .order_by(CASE_EVENTS.c.event_id)).mappings()
            return [{**dict(r), "at": aware(r["at"])} for r in rows]

    def all_events(self) -> list[dict]:
        with self.engine.connect() as con:
            rows = con.execute(select(CASE_EVENTS).order_by(CASE_EVENTS.c.case_id, CASE_EVENTS.c.event_id)).mappings()
            return [{**dict(r), "at": aware(r["at"])} for r in rows]

    def update_case(self, case_id: int, actor: str, action: str, changes: dict, *, note: str = "",
                    at: datetime | None = None) -> dict:
        """Apply ``changes`` (column → value) to a case and record one audit event per changed field."""
        at = at or now()
        with self.engine.begin() as con:
            row = con.execute(select(CASES).where(CASES.c.case_id == case_id).with_for_update()).mappings().first()
            if row is None:
                raise InputError(f"no case {case_id}; `empathica cases list` shows them.")
            changed = {k: v for k, v in changes.items() if row[k] != v}
            if changed:
                con.execute(update(CASES).where(CASES.c.case_id == case_id).values(**changed))
            for name, value in changed.items():
                if name in ("first_response_at", "resolved_at", "closed_at"):
                    continue
                _event(con, case_id, actor, action, field=name, old=row[name], new=value, note=note, at=at)
            if note and not changed:
                _event(con, case_id, actor, action, note=note, at=at)
        return self.case(case_id)

    def log(self, case_id: int, actor: str, action: str, *, field: str | None = None, note: str = "",
            at: datetime | None = None) -> None:
        """Record an event that changes no column (a comment, an SLA breach)."""
        with self.engine.begin() as con:
            _event(con, case_id, actor, action, field=field, note=note, at=at or now())

    # -- tags, outbox, opener feedback ---------------------------------------------------------
    def tag(self, *, rule_id: str, signal_id: str, tag: str, customer_id: str | None) -> bool:
        try:
            with self.engine.begin() as con:
                con.execute(insert(TAGS).values(rule_id=rule_id, signal_id=signal_id, tag=tag, customer_id=customer_id,
                                                at=now()))
        except IntegrityError:
            return False
        return True

    def tags(self, customer_id: str | None = None) -> list[dict]:
        query = select(TAGS)
        if customer_id:
            query = query.where(TAGS.c.customer_id == customer_id)
        with self.engine.connect() as con:
            return [dict(r) for r in con.execute(query.order_by(TAGS.c.at)).mappings()]

    def enqueue(self, *, dedup_key: str, channel: str, target: str, subject: str, payload: dict) -> bool:
        """Queue a notification once per ``dedup_key``; False when it was queued before."""
        try:
            with self.engine.begin() as con:
                con.execute(insert(OUTBOX).values(dedup_key=dedup_key[:600], channel=channel, target=target,
                                                  subject=subject, payload=json.dumps(payload, ensure_ascii=False, default=str),
                                                  status="pending", attempts=0, next_attempt_at=now(), created_at=now()))
        except IntegrityError:
            return False
        return True

    def due_notifications(self, at: datetime | None = None, *, limit: int = 100) -> list[dict]:
        with self.engine.connect() as con:
            rows = con.execute(select(OUTBOX).where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= (at or now()))
                               .order_by(OUTBOX.c.notification_id).limit(limit)).mappings()
            return [dict(r) for r in rows]

    def notifications(self) -> list[dict]:
        with self.engine.connect() as con:
            return [dict(r) for r in con.execute(select(OUTBOX).order_by(OUTBOX.c.notification_id)).mappings()]

    def mark_notification(self, notification_id: int, **values) -> None:
        with self.engine.begin() as con:
            con.execute(update(OUTBOX).where(OUTBOX.c.notification_id == notification_id).values(**values))

    def add_opener_feedback(self, *, customer_id: str, opener_id: str, verdict: str, edited_text: str | None,
                            username: str | None) -> int:
        if verdict not in ("used", "edited", "rejected"):
            raise InputError(f"verdict {verdict!r}: use used, edited or rejected.")
        if verdict == "edited" and not (edited_text or "").strip():
            raise InputError("edited_text: an edited opener needs the text the agent said instead.")
        with self.engine.begin() as con:
            return int(con.execute(insert(OPENER_FEEDBACK).values(
                customer_id=customer_id, opener_id=opener_id, verdict=verdict, edited_text=edited_text,
                username=username, at=now())).inserted_primary_key[0])

    def opener_feedback(self) -> list[dict]:
        with self.engine.connect() as con:
            return [dict(r) for r in con.execute(select(OPENER_FEEDBACK).order_by(OPENER_FEEDBACK.c.feedback_id)).mappings()]


def _event(con, case_id: int, actor: str, action: str, *, field: str | None = None, old=None, new=None,
           note: str = "", at: datetime) -> None:
    con.execute(insert(CASE_EVENTS).values(case_id=case_id, at=at, actor=actor, action=action, field=field,
                                           old=None if old is None else str(old), new=None if new is None else str(new),
                                           note=note or None))


def _filtered(query, *, status: str | None = None, team_id: str | None = None, assignee: str | None = None,
              customer_id: str | None = None, rule_id: str | None = None, priority: str | None = None,
              touchpoint: str | None = None, overdue: bool = False, opened_since: datetime | None = None,
              opened_until: datetime | None = None, teams: Sequence[str] | None = None):
    """``query`` restricted to the cases that match every filter given (``teams``: owned by one of them)."""
    if teams is not None:
        query = query.where(CASES.c.team_id.in_(list(teams)))
    for column, value in ((CASES.c.team_id, team_id), (CASES.c.assignee, assignee), (CASES.c.customer_id, customer_id),
                          (CASES.c.rule_id, rule_id), (CASES.c.priority, priority), (CASES.c.touchpoint, touchpoint)):
        if value:
            query = query.where(column == value)
    if status == "active" or overdue:
        query = query.where(CASES.c.status.in_(ACTIVE))
    elif status:
        query = query.where(CASES.c.status == status)
    if overdue:
        at = now()
        query = query.where(((CASES.c.first_response_at.is_(None)) & (CASES.c.first_response_due < at))
                            | (CASES.c.resolution_due < at))
    if opened_since is not None:
        query = query.where(CASES.c.opened_at >= opened_since)
    if opened_until is not None:
        query = query.where(CASES.c.opened_at < opened_until)
    return query


def _case(row) -> dict:
    out = dict(row)
    for key in ("opened_at", "first_response_due", "resolution_due", "first_response_at", "resolved_at", "closed_at"):
        out[key] = aware(out[key])
    out["evidence"] = json.loads(out["evidence"] or "{}")
    out["opener"] = json.loads(out["opener"]) if out.get("opener") else None
    return out
