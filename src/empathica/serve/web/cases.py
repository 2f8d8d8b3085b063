"""The Act page: the live cases of the operational store and the SLA report, beside the rules in force.

Nothing is read twice: the cases are those ``GET /cases`` lists (``routes_act.scoped_cases``: the same filters
and the same scope, a team lead their team's cases, a region user their region's teams'), and the SLA report is
``GET /cases/sla``'s (``routes_act.scoped_sla``); this module only writes them in the reader's language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from empathica.act.cases import deadline_state
from empathica.act.rules import PRIORITIES
from empathica.serve.routes_act import scoped_cases, scoped_sla
from empathica.serve.web.formats import Words
from empathica.serve.web.pages import analysis_page, moment_text, words_for
from empathica.serve.web.session import current_user, page_filters
from empathica.store.cases import STATUSES, now
from empathica.store.operational import User

router = APIRouter(prefix="/ui", include_in_schema=False)

#: The status filter's choices ('' : every case; active: open or in progress), as ``GET /cases?status=`` takes them.
CASE_FILTERS = ("", "active", *STATUSES)
DEADLINE_STATES = ("met", "missed", "waiting")
#: The live cases' columns, in order.
CASE_COLUMNS = ("case_id", "title", "status", "priority", "team_id", "assignee", "customer_id", "opened_at",
                "first_response_due", "first_response_state", "resolution_due", "resolution_state", "escalation_level")
#: The SLA report's tables and their columns (column, kind of cell).
SLA_TABLES = {
    "team": (("team_id", "text"), ("cases", "int"), ("first_response_met", "pct"), ("resolution_met", "pct"),
             ("escalated", "pct")),
    "agent": (("assignee", "text"), ("cases", "int"), ("first_response_met", "pct"), ("resolution_met", "pct"),
              ("escalated", "pct")),
    "status_hours": (("status", "status"), ("cases", "int"), ("mean_hours", "num2"), ("median_hours", "num2")),
}
LIVE_ROWS = 100


@router.get("/act", response_class=HTMLResponse)
def act_page(request: Request) -> Response:
    """The live cases (status filter, newest first), the SLA report, and the rules in force."""
    user = current_user(request)
    words = words_for(request, user)
    chosen = request.query_params.get("case_status", "")
    chosen = chosen if chosen in CASE_FILTERS else ""
    live = None
    if getattr(request.app.state.server, "act", None) is not None:
        live = live_cases(request, user, words, chosen)
        live["sla"] = sla_tables(request, user, words)
    return analysis_page(request, "act", extra={"live": live, "case_status": chosen,
                                                "case_filters": [(s, words.label("case_status", s or "all"))
                                                                 for s in CASE_FILTERS]},
                         link={"case_status": chosen} if chosen else None)


def live_cases(request: Request, user: User, words: Words, status: str) -> dict:
    """The newest cases ``user`` may see, of ``status`` and of the filters bar as ``GET /cases`` takes it: team
    (``team_id``), touchpoint, and the date range as the days cases were opened (both ends included); language,
    channel and segment are not a case's, and are named as not applied."""
    bar = page_filters(request, user)
    since, until = bar.filters.date_from, bar.filters.date_to
    total, rows = scoped_cases(
        request, user, status=status or None, team_id=bar.values.get("team") or None, touchpoint=bar.touchpoint,
        opened_since=_midnight(since), opened_until=_midnight(until and until + timedelta(days=1)), page_size=LIVE_ROWS)
    at = now()
    ignored = [words.t(f"dashboard.filter.{f}") for f in ("language", "channel", "segment") if bar.values.get(f)]
    return {"total": words.number(total, "int"), "shown": words.number(len(rows), "int"), "ignored": ignored,
            "headers": [words.column(c) for c in CASE_COLUMNS], "rows": [case_cells(c, words, at) for c in rows]}


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def case_cells(case: dict, words: Words, at) -> list[dict]:
    """One case as table cells (text, and the customer's page as a link); the template escapes every text."""
    first = deadline_state(case["first_response_at"], case["first_response_due"], at)
    resolved = deadline_state(case["resolved_at"], case["resolution_due"], at)
    customer = case.get("customer_id")
    cells = [words.number(case["case_id"], "int"), case["title"] or "", words.label("case_status", case["status"]),
             words.label("priority", case["priority"]) if case["priority"] in PRIORITIES else str(case["priority"]),
             case["team_id"] or "–", case["assignee"] or "–", customer or "–", moment_text(case["opened_at"], words),
             moment_text(case["first_response_due"], words), words.label("deadline", first),
             moment_text(case["resolution_due"], words), words.label("deadline", resolved),
             words.number(case["escalation_level"], "int")]
    out = [{"text": text, "href": None} for text in cells]
    if customer:
        out[CASE_COLUMNS.index("customer_id")]["href"] = "/ui/customers/" + quote(str(customer), safe="")
    for name, state in (("first_response_state", first), ("resolution_state", resolved)):
        out[CASE_COLUMNS.index(name)]["state"] = state
    return out


def sla_tables(request: Request, user: User, words: Words) -> list[dict]:
    """The SLA report ``GET /cases/sla`` gives ``user``: per team, per agent, hours in each status."""
    report = scoped_sla(request, user)
    tables = []
    for name, columns in SLA_TABLES.items():
        frame = report[name]
        rows = [[_cell(row[c], kind, words) for c, kind in columns] for _, row in frame.iterrows()]
        tables.append({"key": f"sla_{name}", "title": words.label("panel", f"sla_{name}"),
                       "headers": [words.column(c) for c, _ in columns], "rows": rows})
    return tables


def _cell(value, kind: str, words: Words) -> str:
    if kind == "status":
        return words.label("case_status", value) if value in STATUSES else str(value)
    if kind == "text":
        return "–" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return words.number(value, kind)
