"""Rendering a dashboard page: the Jinja2 environment, the navigation a role sees, the filters bar's choices,
and a panel turned into its chart, its table view and its export links."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from urllib.parse import quote

import jinja2
import pandas as pd
from fastapi import Request
from fastapi.responses import HTMLResponse

from empathica.report.i18n import LANGUAGES
from empathica.serve.web.charts import as_json, chart_option
from empathica.serve.web.formats import Words
from empathica.serve.web.panels import Panel, PanelRows
from empathica.serve.web.scoped import DECIDED
from empathica.serve.web.session import FILTER_FIELDS, PageFilters
from empathica.store import Store
from empathica.store.operational import User

#: The pages in the navigation: (key, path, least role).
NAVIGATION = (
    ("summary", "/ui/summary", "viewer"), ("journeys", "/ui/journeys", "viewer"), ("voice", "/ui/voice", "viewer"),
    ("empathy", "/ui/empathy", "viewer"), ("value", "/ui/value", "viewer"), ("act", "/ui/act", "viewer"),
    ("learn", "/ui/learn", "viewer"), ("diagnosis", "/ui/diagnosis", "viewer"), ("data", "/ui/data", "viewer"),
    ("users", "/ui/admin/users", "admin"), ("settings", "/ui/admin/settings", "admin"),
)
#: Content-Security-Policy of the dashboard's pages: its own scripts, styles and images only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("empathica.serve.web").joinpath("templates", name).read_text(encoding="utf-8"))
    return jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)


ENV = _env()


@dataclass
class Page:
    """What one page shows besides its panels."""

    key: str
    user: User | None
    words: Words
    filters: PageFilters | None = None
    panels: list[dict] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def respond(request: Request, template: str, page: Page, *, status: int = 200) -> HTMLResponse:
    """The page as HTML with the dashboard's security headers."""
    user = page.user
    nav = [(k, path, page.words.t(f"dashboard.nav.{k}")) for k, path, role in NAVIGATION if user and user.allowed(role)]
    here = str(request.url.path)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    languages = [(code, page.words.t(f"dashboard.language.{code}"), _with(here, query, lang=code)) for code in LANGUAGES]
    html = ENV.get_template(template).render(
        page=page, t=page.words.t, label=page.words.label, lang=page.words.lang, nav=nav, here=here, languages=languages, fields=FILTER_FIELDS,
        user=user, **page.extra)
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                                                          "Referrer-Policy": "same-origin"})


def _with(path: str, query: dict[str, str], **extra: str) -> str:
    from urllib.parse import urlencode

    return path + "?" + urlencode({**query, **extra})


def panel_view(p: Panel, rows: PanelRows, words: Words, filters: PageFilters, *, agent_link: Any = None,
               drill: bool = True) -> dict:
    """A panel for the template: title, chart option (JSON), headers, formatted cells, notes and export links."""
    frame = rows.frame
    kinds = [(c, k) for c, k in p.columns if c in frame.columns]
    cells = []
    for _, row in frame.iterrows():
        line = []
        for column, kind in kinds:
            text = words.cell(row, column, kind)
            href = None
            if kind == "agent" and agent_link is not None and agent_link(str(row[column])):
                href = f"/ui/empathy/agents/{row[column]}?{filters.query()}"
            elif kind == "customer" and pd.notna(row[column]):  # the customer's page (Act's card)
                href = "/ui/customers/" + quote(str(row[column]), safe="")
            elif p.drill and drill and column == p.label:
                href = "/ui/voice/texts?" + filters.query(dimension=p.drill, value=str(row[column]))
            line.append({"text": text, "href": href, "number": kind in ("int", "num2", "pct", "money", "signed")})
        cells.append(line)
    option = chart_option(p, frame, words, drill_query=filters.values if drill else None)
    return {"key": p.key, "title": words.t(f"dashboard.panel.{p.key}"), "headers": [words.column(c) for c, _ in kinds],
            "rows": cells, "chart": as_json(option) if option else None, "missing": rows.missing,
            "open": p.table_open or option is None,
            "height": max(340, 26 * len(frame) + 80) if p.chart in ("bar", "heatmap") else 520 if p.chart == "sankey" else 360,
            "ignored": [words.t(f"dashboard.filter.{f}") for f in rows.ignored],
            "company_wide": rows.company_wide, "recomputed": rows.recomputed, "withheld": [words.column(c) for c in rows.withheld],
            # the decide step's money is not recomputed but cut: the scope's customers' parts of it (decide/shares.py)
            "scope_note": "dashboard.scope.share" if p.result.name in DECIDED else "dashboard.scope.recomputed",
            "export": {fmt: f"/ui/export/{p.key}.{fmt}?{filters.query()}" for fmt in ("csv", "xlsx")}}


def filter_choices(request: Request, store: Store) -> dict[str, list[str]]:
    """The values each filter offers (from the canonical tables), kept until the next run."""
    server = request.app.state.server
    key = (id(server), server.results_version)
    cached = _CHOICES.get(key)
    if cached is None:
        cached = {}
        for name, table, column in (("language", "customers", "language"), ("segment", "customers", "segment"),
                                    ("channel", "touchpoints", "channel"), ("touchpoint", "touchpoints", "touchpoint_id"),
                                    ("team", "teams", "team_id")):
            values = store.table(table)[column].cast("string")
            cached[name] = sorted(v for v in values.name("v").as_table().distinct().to_pandas()["v"].dropna().tolist())
        _CHOICES.clear()
        _CHOICES[key] = cached
    return cached


_CHOICES: dict[tuple, dict[str, list[str]]] = {}


def message_ids() -> set[str]:
    """The message ids the dashboard composes from names (columns, panels, pages, roles ...); the catalogue test
    adds the literal ids of the templates and modules and checks every one in all three languages."""
    from empathica.serve.web.manage import DATA_TABLES
    from empathica.serve.web.pages import DRILL_DIMENSIONS, DRILL_COLUMNS
    from empathica.serve.web.panels import PANELS
    from empathica.store.operational import ROLES

    ids = {f"dashboard.nav.{k}" for k, _, _ in NAVIGATION} | {f"dashboard.language.{c}" for c in LANGUAGES}
    ids |= {f"dashboard.role.{r}" for r in ROLES} | {f"dashboard.dimension.{d}" for d in DRILL_DIMENSIONS}
    ids |= {f"dashboard.filter.{f}" for f in ("date_from", "date_to", "date", *FILTER_FIELDS[2:])}
    columns = {c for p in PANELS.values() for c, _ in p.columns} | set(DRILL_COLUMNS)
    columns |= {c for _, _, spec in DATA_TABLES.values() for c in spec.split()}
    ids |= {f"dashboard.column.{c}" for c in columns} | {f"dashboard.panel.{k}" for k in (*PANELS, *DATA_TABLES)}
    ids |= {f"dashboard.sentiment.{s}" for s in ("positive", "neutral", "negative")}
    ids |= {f"dashboard.upload.{s}" for s in ("ok", "failed", "too_large")} | {f"dashboard.users.{s}" for s in ("ok", "failed")}
    ids |= {f"dashboard.scenario.{s}" for s in ("started", "busy", "bad")}
    # -- dashboard, part 2: the journey map's stages, cohort choices, the customer card
    from empathica.serve.web.card import CARD_COLUMNS, TRENDS, VERDICTS
    from empathica.serve.web.journey_map import STAGES

    ids |= {f"dashboard.stage.{s}" for s in STAGES} | {f"dashboard.trend.{s}" for s in TRENDS}
    ids |= {f"dashboard.cohort.{k}" for k in ("nps", "churn", "segments", "date")}
    ids |= {f"dashboard.opener.{v}" for v in VERDICTS} | {f"dashboard.opener_done.{v}" for v in (*VERDICTS, "failed")}
    ids |= {f"dashboard.column.{c}" for c in (*CARD_COLUMNS, "scenario_text")}
    # -- the Act page's live cases and SLA report
    from empathica.act.rules import PRIORITIES
    from empathica.serve.web.cases import CASE_COLUMNS, CASE_FILTERS, DEADLINE_STATES, SLA_TABLES

    ids |= {f"dashboard.column.{c}" for c in CASE_COLUMNS} | {f"dashboard.deadline.{s}" for s in DEADLINE_STATES}
    ids |= {f"dashboard.column.{c}" for columns in SLA_TABLES.values() for c, _ in columns}
    ids |= {f"dashboard.panel.sla_{k}" for k in SLA_TABLES} | {f"dashboard.priority.{p}" for p in PRIORITIES}
    ids |= {f"dashboard.case_status.{s or 'all'}" for s in CASE_FILTERS}
    return ids
