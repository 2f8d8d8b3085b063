"""Act's API: ``/rules`` (list, add, delete, replay), ``/cases`` (list with filters, counts, one with its audit trail,
assign, move, comment, SLA report), ``/teams``, ``/digests`` and the agent's context card ``/customers/{id}/card`` with opener feedback.

Reading needs the viewer role; working a case needs a user whose team scope covers it; rules need an admin
(replay: an analyst). A user scoped to a team sees and works only that team's cases.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, Literal

import ibis
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from empathica.act.cases import assign, comment, set_priority, set_status, sla_report
from empathica.act.engine import replay, stored_rules
from empathica.act.notify import digest, team_opportunities
from empathica.act.rules import PRIORITIES, RuleError, parse_rule
from empathica.act.signals import signal_fields
from empathica.errors import InputError
from empathica.report.i18n import LANGUAGES, Finding, OpportunityText, render
from empathica.serve.auth import require
from empathica.serve.errors import ApiError
from empathica.serve.reasons import card_reasons
from empathica.store.cases import STATUSES
from empathica.store.operational import User

router = APIRouter()


class Assignment(BaseModel):
    assignee: str | None = Field(default=None, max_length=120)
    team_id: str | None = Field(default=None, max_length=120)


class StatusChange(BaseModel):
    status: Literal["open", "in_progress", "resolved", "closed"]
    root_cause: str | None = Field(default=None, max_length=4000)
    outcome: str | None = Field(default=None, max_length=4000)
    note: str = Field(default="", max_length=4000)


class Comment(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class Priority(BaseModel):
    priority: Literal["low", "normal", "high", "urgent"]


class Replay(BaseModel):
    since: date
    rules: list[dict[str, Any]] | None = Field(default=None, description="Rules to try (default: the stored ones).")


class OpenerFeedback(BaseModel):
    opener_id: str = Field(min_length=1, max_length=400)
    verdict: Literal["used", "edited", "rejected"]
    edited_text: str | None = Field(default=None, max_length=4000)


def _act(request: Request):
    act = getattr(request.app.state.server, "act", None)
    if act is None:
        raise ApiError(503, "act_not_running", "Act is not running in this server.")
    return act


def _jsonable(value):
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def _language(lang: str | None) -> str | None:
    """The reader's language asked for (None: each customer's own); another value is a 400 naming ``lang``."""
    if lang is not None and lang not in LANGUAGES:
        raise ApiError(400, "bad_language", f"lang {lang[:8]!r}; use one of {', '.join(LANGUAGES)}.", field="lang")
    return lang


def _said_opener(opener: dict | None, language: str | None, lang: str | None) -> None:
    """A suggested opener's reason said in ``lang``, else the customer's ``language``, else English (in place)."""
    if opener:
        shown = lang or (language if language in LANGUAGES else "en")
        opener["reason"] = render(Finding(opener["reason_id"], opener["reason_values"]), lang=shown)
        opener["reason_language"] = shown


def said_card(card: dict, lang: str | None) -> dict:
    """A card's opener reason and churn, CLV and detractor reasons said in ``lang``, else the customer's language,
    else English (in place; the API's card and `empathica act card`)."""
    _said_opener(card.get("opener"), card["language"], lang)
    card_reasons(card, lang or (card["language"] if card["language"] in LANGUAGES else "en"))
    return card


def _cases_said(rows: list[dict], lang: str | None) -> list[dict]:
    """Cases as JSON, each opener's reason said in ``lang`` or the customer's language."""
    rows = _jsonable(rows)
    for case in rows:
        opener = case.get("opener")
        _said_opener(opener, (opener or {}).get("reason_values", {}).get("language"), lang)
    return rows


# -- rules -----------------------------------------------------------------------------------------
@router.get("/rules", tags=["act"])
def list_rules(request: Request, user: User = Depends(require("viewer"))) -> dict:
    """The rules in force, as stored (from rule files and this API)."""
    return {"rules": _act(request).cases.rule_definitions()}


@router.post("/rules", tags=["act"], status_code=201)
def add_rule(request: Request, body: dict[str, Any], user: User = Depends(require("admin"))) -> dict:
    """Add or replace one rule (the fields of a rule file's [[rule]]; see docs/act.md)."""
    act = _act(request)
    try:
        rule = parse_rule(body, known_fields=signal_fields)
    except RuleError as exc:
        raise ApiError(400, "bad_rule", str(exc), field=_field_of(str(exc))) from None
    act.cases.save_rule(rule.as_dict(), source="api", username=user.username)
    request.app.state.server.ops.audit(user.username, "rule_saved", rule.rule_id)
    act.changed("rule", rule.rule_id)
    return {"rule": rule.as_dict()}


def _field_of(message: str) -> str | None:
    marker = "field "
    if marker not in message:
        return None
    return message.split(marker, 1)[1].split(":", 1)[0].strip(" '\"")


@router.delete("/rules/{rule_id}", tags=["act"])
def delete_rule(request: Request, rule_id: str, user: User = Depends(require("admin"))) -> dict:
    """Remove a rule (the cases it opened stay)."""
    if not _act(request).cases.delete_rule(rule_id):
        raise ApiError(404, "no_such_rule", f"no rule {rule_id[:80]!r}; GET /rules lists them.", field="rule_id")
    request.app.state.server.ops.audit(user.username, "rule_deleted", rule_id)
    return {"deleted": rule_id}


@router.post("/rules/replay", tags=["act"])
def replay_rules(request: Request, body: Replay, user: User = Depends(require("analyst"))) -> dict:
    """How many cases each rule would have opened since ``since``, per month, without opening any."""
    act = _act(request)
    try:
        rules = [parse_rule(r, known_fields=signal_fields) for r in body.rules] if body.rules else stored_rules(act.cases)
    except RuleError as exc:
        raise ApiError(400, "bad_rule", str(exc), field=_field_of(str(exc))) from None
    with request.app.state.server.reading() as store:
        return {"since": body.since.isoformat(), "rules": replay(store, rules, since=body.since)}


# -- cases -----------------------------------------------------------------------------------------
def case_teams(request: Request, user: User) -> tuple[str, ...] | None:
    """The teams whose cases ``user`` sees and works: their team; a region user, the teams of their region (the
    canonical ``teams`` table, as every other scope); ``None``: every case. The API and the dashboard both ask it."""
    if user.team_id:
        return (user.team_id,)
    if not user.region:
        return None
    with request.app.state.server.reading() as store:
        teams = store.table("teams")
        mine = teams.filter(teams.region == ibis.literal(user.region, type="string")).team_id.to_pandas()
    return tuple(sorted(mine.dropna().astype(str)))


def _visible(request: Request, user: User, case: dict) -> bool:
    scope = case_teams(request, user)
    return scope is None or case["team_id"] in scope


def _case(request: Request, user: User, case_id: int) -> dict:
    try:
        case = _act(request).cases.case(case_id)
    except InputError:
        case = None
    if case is None or not _visible(request, user, case):
        raise ApiError(404, "no_such_case", f"no case {case_id}; GET /cases lists them.", field="case_id")
    return case


def scoped_cases(request: Request, user: User, *, status: str | None = None, team_id: str | None = None,
                 page: int = 1, page_size: int = 100, **filters: Any) -> tuple[int, list[dict]]:
    """The cases ``user`` may see that match every filter (``GET /cases`` and the dashboard's Act page): how many
    in all, and page ``page`` of them, newest first. A bad status or priority is a 400 naming the field."""
    if status and status not in (*STATUSES, "active"):
        raise ApiError(400, "bad_filter", f"status {status[:20]!r}; use one of {', '.join(STATUSES)} or active.", field="status")
    priority = filters.get("priority")
    if priority and priority not in PRIORITIES:
        raise ApiError(400, "bad_filter", f"priority {priority[:20]!r}; use one of {', '.join(PRIORITIES)}.", field="priority")
    return _act(request).cases.cases(status=status, team_id=user.team_id or team_id, teams=case_teams(request, user),
                                     limit=page_size, offset=(page - 1) * page_size, **filters)


def scoped_sla(request: Request, user: User) -> dict:
    """The SLA report (``act.cases.sla_report``) over the cases ``user`` may see: ``GET /cases/sla`` and the
    dashboard's Act page."""
    return sla_report(_act(request).cases, teams=case_teams(request, user))


@router.get("/cases", tags=["act"])
def list_cases(request: Request, status: str | None = Query(None, max_length=20), team_id: str | None = Query(None, max_length=120),
               assignee: str | None = Query(None, max_length=120), customer_id: str | None = Query(None, max_length=200),
               rule_id: str | None = Query(None, max_length=80), priority: str | None = Query(None, max_length=20),
               touchpoint: str | None = Query(None, max_length=200), overdue: bool = False,
               opened_since: date | None = None, opened_until: date | None = None, page: int = Query(1, ge=1),
               page_size: int = Query(100, ge=1, le=1000), lang: str | None = Query(None, max_length=8),
               user: User = Depends(require("viewer"))) -> dict:
    """Cases matching every filter given, newest first: ``status`` (open, in_progress, resolved, closed, or active:
    open or in progress), ``team_id``, ``assignee``, ``customer_id``, ``rule_id``, ``priority``, ``touchpoint``,
    ``overdue`` (active and past a deadline), ``opened_since`` / ``opened_until`` (dates, the second excluded). A
    case opened for a customer carries the opener their card suggested, its reason in ``lang`` (en, de, zh;
    default the customer's language). A user with a team sees that team's cases; with a region, its teams'."""
    lang = _language(lang)
    total, rows = scoped_cases(
        request, user, status=status, team_id=team_id, assignee=assignee, customer_id=customer_id, rule_id=rule_id,
        priority=priority, touchpoint=touchpoint, overdue=overdue, opened_since=_day(opened_since),
        opened_until=_day(opened_until), page=page, page_size=page_size)
    return {"page": page, "page_size": page_size, "total": total, "cases": _cases_said(rows, lang)}


def _day(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, datetime.min.time(), tzinfo=UTC)


@router.get("/cases/summary", tags=["act"])
def cases_summary(request: Request, user: User = Depends(require("viewer"))) -> dict:
    """Counts for a case dashboard: cases per status, active cases per priority and per team, active overdue."""
    return _act(request).cases.case_counts(teams=case_teams(request, user))


@router.get("/cases/sla", tags=["act"])
def cases_sla(request: Request, user: User = Depends(require("viewer"))) -> dict:
    """Share of first responses and resolutions within SLA per team and agent, and hours spent in each status, over
    the cases the user may see."""
    return {name: json.loads(frame.to_json(orient="records")) for name, frame in scoped_sla(request, user).items()}


@router.get("/teams", tags=["act"])
def list_teams(request: Request, user: User = Depends(require("viewer"))) -> dict:
    """The teams Act knows (from rule files) with their language; contacts only for admins."""
    teams = _act(request).cases.teams()
    keep = ("team_id", "language", "email", "webhook") if user.allowed("admin") else ("team_id", "language")
    visible = [t for t in teams.values() if not user.team_id or t["team_id"] == user.team_id]
    return {"teams": [{k: t.get(k) for k in keep} for t in visible]}


@router.get("/cases/{case_id}", tags=["act"])
def one_case(request: Request, case_id: int, lang: str | None = Query(None, max_length=8),
             user: User = Depends(require("viewer"))) -> dict:
    """One case (with the opener the customer's card suggested, its reason in ``lang`` or theirs) and its audit
    trail."""
    lang = _language(lang)
    case = _case(request, user, case_id)
    return {"case": _cases_said([case], lang)[0], "events": _jsonable(_act(request).cases.events(case_id))}


@router.post("/cases/{case_id}/assign", tags=["act"])
def assign_case(request: Request, case_id: int, body: Assignment, user: User = Depends(require("viewer"))) -> dict:
    """Give the case to an agent (and optionally another team)."""
    _case(request, user, case_id)
    case = assign(_act(request).cases, case_id, body.assignee, actor=user.username, team_id=body.team_id)
    return {"case": _cases_said([case], None)[0]}


@router.post("/cases/{case_id}/status", tags=["act"])
def move_case(request: Request, case_id: int, body: StatusChange, user: User = Depends(require("viewer"))) -> dict:
    """Move the case: open → in_progress → resolved → closed (closing needs root_cause and outcome); or reopen."""
    _case(request, user, case_id)
    try:
        case = set_status(_act(request).cases, case_id, body.status, actor=user.username, root_cause=body.root_cause,
                          outcome=body.outcome, note=body.note)
    except InputError as exc:
        field = "root_cause" if "root_cause" in str(exc) else "outcome" if "outcome is" in str(exc) else "status"
        raise ApiError(400, "bad_transition", str(exc), field=field) from None
    return {"case": _cases_said([case], None)[0]}


@router.post("/cases/{case_id}/comments", tags=["act"], status_code=201)
def comment_case(request: Request, case_id: int, body: Comment, user: User = Depends(require("viewer"))) -> dict:
    """A note on the case (the first one counts as its first response)."""
    _case(request, user, case_id)
    return {"case": _cases_said([comment(_act(request).cases, case_id, body.text, actor=user.username)], None)[0]}


@router.post("/cases/{case_id}/priority", tags=["act"])
def prioritise_case(request: Request, case_id: int, body: Priority, user: User = Depends(require("viewer"))) -> dict:
    _case(request, user, case_id)
    return {"case": _cases_said([set_priority(_act(request).cases, case_id, body.priority, actor=user.username)], None)[0]}


# -- digests and notifications ---------------------------------------------------------------------
@router.get("/teams/{team_id}/digest", tags=["act"])
def team_digest(request: Request, team_id: str, days: int = Query(7, ge=1, le=366),
                user: User = Depends(require("viewer"))) -> dict:
    """The team's digest of the last ``days`` in the team's language (what the weekly e-mail says)."""
    if user.team_id and user.team_id != team_id:
        raise ApiError(404, "no_such_team", f"no team {team_id[:80]!r} in your scope.", field="team_id")
    act = _act(request)
    language = act.cases.teams().get(team_id, {}).get("language", "en")
    with act.server.reading() as store:
        opportunities = team_opportunities(store).get(team_id)
    return digest(act.cases, team_id, language=language, days=days, opportunities=opportunities,
                  say=OpportunityText())


@router.post("/digests", tags=["act"])
def send_digests(request: Request, user: User = Depends(require("admin"))) -> dict:
    """Queue and send every team's digest now (the server also does it weekly)."""
    return {"queued": _act(request).digests()}


@router.get("/notifications", tags=["act"])
def notifications(request: Request, user: User = Depends(require("admin"))) -> dict:
    """The notification outbox: status, attempts and last error of each."""
    return {"notifications": _jsonable(_act(request).cases.notifications())}


# -- the context card ------------------------------------------------------------------------------
@router.get("/customers/{customer_id}/card", tags=["act"])
def customer_card(request: Request, customer_id: str, lang: str | None = Query(None, max_length=8),
                  user: User = Depends(require("viewer"))) -> Response:
    """Who is calling and how they feel: journey, open cases, sentiment, pain points, values, churn risk and CLV
    with reasons, the empathy last received, and a suggested opener (a real reply) with its reason, in ``lang``
    (the agent's: en, de, zh; default the customer's language, else English)."""
    lang = _language(lang)
    act = _act(request)
    card = act.card(customer_id)
    if card is None or (user.region and card.get("region") != user.region):
        raise ApiError(404, "no_such_customer", f"no customer {customer_id[:80]!r} in the card snapshot.",
                       field="customer_id")
    card["open_cases"] = act.cases.active_cases_of(customer_id)
    said_card(card, lang)
    # the card is plain JSON data already: encoded once here, not walked again by the framework's encoder
    return Response(json.dumps(card, ensure_ascii=False, default=str), media_type="application/json")


@router.get("/act/cards", tags=["act"])
def card_snapshot(request: Request, user: User = Depends(require("admin"))) -> dict:
    """The card snapshot: when it was built and how long that took, customers, bytes held, patched customers."""
    return _act(request).snapshot_status()


@router.post("/act/cards/refresh", tags=["act"], status_code=202)
def refresh_cards(request: Request, user: User = Depends(require("admin"))) -> dict:
    """Rebuild the card snapshot now in the background (cards are served from the current one meanwhile)."""
    _act(request).rebuild_cards()
    return {"refresh": "queued"}


@router.post("/customers/{customer_id}/card/opener", tags=["act"], status_code=201)
def opener_feedback(request: Request, customer_id: str, body: OpenerFeedback, user: User = Depends(require("viewer"))) -> dict:
    """The agent used, edited or rejected the suggested opener (stored for Learn; rejected openers are not
    suggested again once they are rejected more often than used)."""
    try:
        feedback_id = _act(request).cases.add_opener_feedback(customer_id=customer_id, opener_id=body.opener_id,
                                                               verdict=body.verdict, edited_text=body.edited_text,
                                                               username=user.username)
    except InputError as exc:
        raise ApiError(400, "bad_feedback", str(exc), field="edited_text") from None
    return {"feedback_id": feedback_id}
