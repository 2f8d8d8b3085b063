"""The life of a case: assign, move it open → in progress → resolved → closed (or reopen), escalate when an SLA is
breached, and the SLA report per team and agent. Every change goes through :class:`CaseStore.update_case`, which
writes the audit trail in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from empathica.errors import InputError
from empathica.act.rules import PRIORITIES
from empathica.store.cases import STATUSES, TRANSITIONS, CaseStore, aware, now


def assign(cases: CaseStore, case_id: int, assignee: str | None, *, actor: str, team_id: str | None = None) -> dict:
    """Give a case to an agent (and optionally move it to another team)."""
    changes: dict = {"assignee": assignee or None}
    if team_id:
        changes["team_id"] = team_id
    return cases.update_case(case_id, actor, "assigned", changes)


def set_priority(cases: CaseStore, case_id: int, priority: str, *, actor: str) -> dict:
    if priority not in PRIORITIES:
        raise InputError(f"priority {priority!r}: use one of {', '.join(PRIORITIES)}.")
    return cases.update_case(case_id, actor, "priority", {"priority": priority})


def comment(cases: CaseStore, case_id: int, text: str, *, actor: str, at: datetime | None = None) -> dict:
    """A note on the case; the first note or move by a person is the case's first response."""
    if not text.strip():
        raise InputError("comment: write what was done or learnt.")
    case = cases.case(case_id)
    at = at or now()
    if case["first_response_at"] is None:
        cases.update_case(case_id, actor, "first_response", {"first_response_at": at}, at=at)
    cases.log(case_id, actor, "comment", note=text[:4000], at=at)
    return cases.case(case_id)


def set_status(cases: CaseStore, case_id: int, status: str, *, actor: str, root_cause: str | None = None,
               outcome: str | None = None, note: str = "", at: datetime | None = None) -> dict:
    """Move a case to ``status``; closing needs a root cause and an outcome (given now or before)."""
    if status not in STATUSES:
        raise InputError(f"status {status!r}: use one of {', '.join(STATUSES)}.")
    case = cases.case(case_id)
    if status not in TRANSITIONS[case["status"]]:
        allowed = ", ".join(sorted(TRANSITIONS[case["status"]]))
        raise InputError(f"case {case_id} is {case['status']}; it can move to {allowed}, not {status}.")
    at = at or now()
    changes: dict = {"status": status}
    if case["first_response_at"] is None:
        changes["first_response_at"] = at
    if status == "resolved":
        changes["resolved_at"] = at
    if status == "closed":
        root_cause = (root_cause or case["root_cause"] or "").strip()
        outcome = (outcome or case["outcome"] or "").strip()
        if not root_cause or not outcome:
            missing = "root_cause" if not root_cause else "outcome"
            raise InputError(f"case {case_id}: {missing} is required to close a case; say why it happened and what "
                             "was done (--root-cause, --outcome).")
        changes.update(root_cause=root_cause, outcome=outcome, closed_at=at)
    if status == "open":  # reopened: the resolution clock runs again
        changes.update(resolved_at=None, closed_at=None)
    action = "reopened" if status == "open" else "status"
    return cases.update_case(case_id, actor, action, changes, note=note, at=at)


def check_slas(cases: CaseStore, *, at: datetime | None = None, on_escalation=None) -> list[dict]:
    """Escalate every active case whose first-response or resolution SLA is breached (once per breach):
    priority up one step, moved to the rule's ``escalate_to`` team when set, and an audit event."""
    at = at or now()
    escalated = []
    _, active = cases.cases(status="active", limit=1_000_000)
    for case in active:
        breached = []
        if case["first_response_at"] is None and case["first_response_due"] < at:
            breached.append("first_response")
        if case["resolved_at"] is None and case["resolution_due"] < at:
            breached.append("resolution")
        if not breached:
            continue
        already = {e["field"] for e in cases.events(case["case_id"]) if e["action"] == "breach"}
        for kind in [b for b in breached if b not in already]:
            cases.log(case["case_id"], "sla", "breach", field=kind, note=f"{kind} SLA breached", at=at)
            changes = {"escalation_level": case["escalation_level"] + 1,
                       "priority": PRIORITIES[min(PRIORITIES.index(case["priority"]) + 1, len(PRIORITIES) - 1)]}
            if case["escalate_to"]:
                changes["team_id"] = case["escalate_to"]
            case = cases.update_case(case["case_id"], "sla", "escalated", changes, note=f"{kind} SLA breached", at=at)
            escalated.append({**case, "breach": kind})
            if on_escalation is not None:
                on_escalation(case, kind)
    return escalated


def sla_report(cases: CaseStore, *, at: datetime | None = None,
               teams: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """SLA met per team and per agent, and hours spent in each status; one row per team / agent. ``teams``: over
    the cases these teams own only (a user's scope: the API, the CLI and the dashboard's Act page all read this).

    A first response (resolution) counts as met when it came before its due time; a case still waiting past its
    due time counts as missed; a case still waiting within its time is not counted yet.
    """
    at = at or now()
    _, rows = cases.cases(limit=10_000_000, teams=teams)
    if not rows:
        empty = pd.DataFrame(columns=["cases", "first_response_met", "resolution_met", "escalated"])
        return {"team": empty, "agent": empty.copy(), "status_hours": pd.DataFrame(columns=["status", "cases", "mean_hours", "median_hours"])}
    frame = pd.DataFrame(rows)
    frame["first_response_met"] = [_met(r["first_response_at"], r["first_response_due"], at) for r in rows]
    frame["resolution_met"] = [_met(r["resolved_at"], r["resolution_due"], at) for r in rows]
    frame["escalated"] = frame["escalation_level"] > 0
    out = {}
    for name, column in (("team", "team_id"), ("agent", "assignee")):
        grouped = frame.assign(**{column: frame[column].fillna("(none)")}).groupby(column)
        out[name] = grouped.agg(cases=("case_id", "count"), first_response_met=("first_response_met", "mean"),
                                resolution_met=("resolution_met", "mean"), escalated=("escalated", "mean")).reset_index()
    out["status_hours"] = _status_hours(cases, at, None if teams is None else set(frame["case_id"]))
    return out


def deadline_state(done: datetime | None, due: datetime, at: datetime) -> str:
    """A deadline of a case at ``at``: ``met`` (done by its due time), ``missed`` (done late, or still waiting
    past it) or ``waiting`` (not done, still within its time)."""
    if done is not None:
        return "met" if aware(done) <= due else "missed"
    return "missed" if due < at else "waiting"


def _met(done: datetime | None, due: datetime, at: datetime) -> float | None:
    return {"met": 1.0, "missed": 0.0, "waiting": None}[deadline_state(done, due, at)]


def _status_hours(cases: CaseStore, at: datetime, only: set[int] | None = None) -> pd.DataFrame:
    """Hours each case (of ``only`` these, when given) spent in each status, from the audit trail (the current
    status runs until ``at``)."""
    spans = []
    current: dict[int, tuple[str, datetime]] = {}
    for event in cases.all_events():
        case_id = event["case_id"]
        if only is not None and case_id not in only:
            continue
        if event["action"] == "opened":
            current[case_id] = ("open", event["at"])
        elif event["field"] == "status" and case_id in current:
            status, since = current[case_id]
            spans.append((status, case_id, (event["at"] - since).total_seconds() / 3600))
            current[case_id] = (event["new"], event["at"])
    for case_id, (status, since) in current.items():
        if status != "closed":
            spans.append((status, case_id, max((at - since).total_seconds(), 0) / 3600))
    frame = pd.DataFrame(spans, columns=["status", "case_id", "hours"])
    per_case = frame.groupby(["status", "case_id"], as_index=False)["hours"].sum()
    report = per_case.groupby("status").agg(cases=("case_id", "count"), mean_hours=("hours", "mean"),
                                            median_hours=("hours", "median")).reset_index()
    order = {s: i for i, s in enumerate(STATUSES)}
    return report.sort_values("status", key=lambda s: s.map(order)).reset_index(drop=True)
