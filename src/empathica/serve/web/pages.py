"""The analysis pages: Summary, Journeys, Voice of the customer (and its drill-down to texts), Empathy (and an
agent's page), Value; and the export of any panel. Each reads stored results only."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from empathica.schema.results import DECIDE_SCENARIOS
from empathica.serve.query import FORMATS, export
from empathica.serve.web.cohorts import STORED, cohort_choice, compare_on_request, segments
from empathica.serve.web.formats import Words, quote_text
from empathica.serve.web.journey_map import read_journey_map
from empathica.serve.web.panels import PANELS, PanelRows, company_wide, read_panel, shown
from empathica.serve.web.render import Page, filter_choices, panel_view, respond
from empathica.serve.web.scoped import texts_in_scope
from empathica.serve.web.session import NotAllowed, current_user, language, page_filters
from empathica.store import RUNS
from empathica.store.operational import User

router = APIRouter(prefix="/ui", include_in_schema=False)

#: The panels of each analysis page, in order.
PAGE_PANELS = {
    "summary": ("opportunities",),
    "journeys": ("journey_map", "pathways", "friction", "touchpoints"),
    "voice": ("sentiment_touchpoint", "sentiment_channel", "sentiment_lang", "sentiment_month", "emotions", "emotions_channel",
              "emotions_lang", "emotions_month",
              "pain_points", "topics"),
    "empathy": ("agents", "teams", "gaps", "coaching"),
    "value": ("clv_segments", "revenue_at_risk", "scenarios"),
    "act": ("rules",),  # beside the live cases and the SLA report (cases.py)
    "learn": ("effects", "experiments", "benchmark"),
}
DRILL_DIMENSIONS = ("touchpoint", "channel", "lang", "month")
DRILL_ROWS = 100
DRILL_COLUMNS = ("lang", "touchpoint", "channel", "month", "sentiment", "emotion", "text")


def words_for(request: Request, user: User | None) -> Words:
    return Words(language(request, user), request.app.state.server.settings.currency)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Viewers and team leads land on their team's view; everyone else on the summary."""
    user = current_user(request)
    target = "/ui/empathy?" + urlencode({"team": user.team_id}) if user.team_id else "/ui/summary"
    return RedirectResponse(target, status_code=303)


def analysis_page(request: Request, key: str, *, extra_panels: tuple[str, ...] = (), extra: dict | None = None,
                  link: dict[str, str] | None = None) -> Response:
    """A page of panels; ``link``: URL parameters besides the filters that its exports keep (the cohort chosen)."""
    user = current_user(request)
    words = words_for(request, user)
    filters = page_filters(request, user)
    server = request.app.state.server
    with server.reading() as store:
        may_open = _agent_opener(store, user)
        panels = []
        for k in PAGE_PANELS[key] + extra_panels:
            view = panel_view(PANELS[k], panel_rows(store, k, user, filters, words, request.query_params), words, filters,
                              agent_link=may_open)
            if link:
                view["export"] = {fmt: href + ("" if href.endswith("?") else "&") + urlencode(link)
                                  for fmt, href in view["export"].items()}
            panels.append(view)
        choices = filter_choices(request, store)
        fresh = freshness(store, words) if key == "summary" else None
        if key == "journeys":
            choices = {**choices, "cohort_segments": segments(store)}
    server.ops.audit(user.username, "read", f"dashboard:{key}", detail=filters.query())
    page = Page(key, user, words, filters, panels, {"choices": choices, "freshness": fresh, **(extra or {})})
    return respond(request, "page.html", page)


def panel_rows(store, key: str, user: User, filters, words: Words, params) -> PanelRows:
    """The rows panel ``key`` shows: a stored result read in scope, or the journey map and the cohort comparison
    chosen in the page (``params``: the URL's), which are read from stored results by their own modules."""
    p = PANELS[key]
    if key == "journey_map":
        rows = read_journey_map(store, words, filters.filters, filters.touchpoint, user)
    elif key == "compare_custom":
        rows = compare_on_request(store, cohort_choice(params), filters.filters, filters.touchpoint, user)
        rows.frame = _cohort_names(rows.frame, words)
    else:
        return read_panel(store, p, user, filters.filters, touchpoint=filters.touchpoint)
    rows.frame = rows.frame.head(p.limit)
    rows.company_wide = company_wide(user, rows.frame.columns) and not rows.recomputed
    return rows


def _cohort_names(frame: pd.DataFrame, words: Words) -> pd.DataFrame:
    """'before' and 'after' in the reader's language (segment names are data and stay as they are)."""
    named = {"before": words.t("dashboard.cohort.before"), "after": words.t("dashboard.cohort.after")}
    return frame.assign(**{c: frame[c].map(lambda v: named.get(v, v)) for c in ("cohort_a", "cohort_b")})


def _plain_page(key: str):
    def page(request: Request) -> Response:
        return analysis_page(request, key)

    page.__name__ = f"{key}_page"
    return page


for _key in ("summary", "voice", "empathy", "learn"):  # pages with nothing but their panels
    router.add_api_route(f"/{_key}", _plain_page(_key), methods=["GET"], response_class=HTMLResponse)


@router.get("/journeys", response_class=HTMLResponse)
def journeys(request: Request) -> Response:
    """The journey map, pathways, friction, touchpoints, and the cohort comparison chosen in the page."""
    choice = cohort_choice(request.query_params)
    panel = STORED.get(choice.kind, "compare_custom")
    return analysis_page(request, "journeys", extra_panels=(panel,), extra={"cohort": choice}, link=choice.query)


@router.get("/value", response_class=HTMLResponse)
def value(request: Request) -> Response:
    """CLV, revenue at risk, scenarios, and the scenarios this user kept with their valuation in the last run."""
    scenario = request.query_params.get("scenario", "")
    user = current_user(request)
    words = words_for(request, user)
    server = request.app.state.server
    with server.reading() as store:
        valued = store.read_result(DECIDE_SCENARIOS) if store.has_result(DECIDE_SCENARIOS) else pd.DataFrame()
    mine = [kept_scenario(text, valued, words) for text in server.ops.scenarios(user.username)]
    return analysis_page(request, "value", extra={"request_scenario": scenario if scenario in ("started", "busy", "bad") else "",
                                                  "my_scenarios": mine})


def kept_scenario(text: str, valued: pd.DataFrame, words: Words) -> list[str]:
    """One kept scenario as a row: its text, and its revenue kept with the 95 % interval in the last decide run
    (or that the last run did not value it)."""
    row = valued[valued["key"] == f"user:{text}"] if len(valued) else valued
    if row.empty:
        return [text, words.t("dashboard.scenario.not_valued"), ""]
    r = row.iloc[0]
    if "money_shown" in r and not bool(r["money_shown"]):
        return [text, words.t("value.withheld"), words.number(r["customers"], "int")]
    money = words.number(r["revenue"], "money")
    interval = f"{words.number(r['revenue_low'], 'money')} – {words.number(r['revenue_high'], 'money')}"
    return [text, f"{money} ({interval})", words.number(r["customers"], "int")]


def _agent_opener(store, user: User):
    """Which agents' pages ``user`` may open: admins every agent, a team lead their team's, an agent their own."""
    if user.role == "admin":
        return lambda agent_id: True
    if not user.team_id:
        return lambda agent_id: agent_id == user.username
    employees = store.table("employees")
    mine = set(employees.filter(employees.team_id == user.team_id).employee_id.to_pandas().astype(str))
    return lambda agent_id: agent_id in mine or agent_id == user.username


@router.get("/empathy/agents/{agent_id}", response_class=HTMLResponse)
def agent_page(request: Request, agent_id: str) -> Response:
    """One agent's scorecard, months and coaching pairs: for the agent, their team lead and admins only."""
    user = current_user(request)
    words = words_for(request, user)
    filters = page_filters(request, user)
    server = request.app.state.server
    with server.reading() as store:
        if not _agent_opener(store, user)(agent_id):
            server.ops.audit(user.username, "refused", f"dashboard:agent:{agent_id}", status=403)
            raise NotAllowed("dashboard.forbidden.agent")
        where = (("agent_id", agent_id),)
        panels = [panel_view(PANELS[k], read_panel(store, PANELS[k], user, filters.filters, where=where), words, filters)
                  for k in ("agents", "agent_months", "coaching", "gaps")]
        choices = filter_choices(request, store)
    server.ops.audit(user.username, "read", f"dashboard:agent:{agent_id}")
    return respond(request, "page.html", Page("agent", user, words, filters, panels,
                                                {"agent_id": agent_id, "choices": choices}))


@router.get("/export/{key}.{fmt}")
def export_panel(request: Request, key: str, fmt: str) -> Response:
    """Exactly the rows and columns a panel shows (same scope and filters), as CSV or XLSX."""
    user = current_user(request)
    if key not in PANELS or fmt not in ("csv", "xlsx"):
        raise NotAllowed("dashboard.forbidden.export")
    p = PANELS[key]
    filters = page_filters(request, user)
    server = request.app.state.server
    with server.reading() as store:
        rows = panel_rows(store, key, user, filters, words_for(request, user), request.query_params)
    server.ops.audit(user.username, "export", f"dashboard:{key}", detail=f"{fmt} {filters.query()}")
    return Response(export(shown(p, rows.frame), fmt, name=p.key), media_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{p.key}.{fmt}"'})


@router.get("/voice/texts", response_class=HTMLResponse)
def voice_texts(request: Request) -> Response:
    """The customer texts behind one bar of sentiment by touchpoint, channel, language or month (redacted)."""
    user = current_user(request)
    words = words_for(request, user)
    filters = page_filters(request, user)
    dimension = request.query_params.get("dimension", "")
    chosen = request.query_params.get("value", "")[:200]
    if dimension not in DRILL_DIMENSIONS:
        raise NotAllowed("dashboard.forbidden.drill")
    server = request.app.state.server
    with server.reading() as store:
        texts = texts_in_scope(store, user)  # a scoped user: their customers' texts, as their bars count
        texts = texts.filter(texts[dimension].cast("string").fill_null("(unknown)") == chosen)
        choices = filter_choices(request, store)
        # one pass: the first rows and, with each, how many there are in all (a second count query read every
        # scored text again)
        frame = (texts.mutate(_total=texts.count().over()).order_by(texts.source_id).select(*DRILL_COLUMNS, "_total")
                 .limit(DRILL_ROWS).to_pandas())
        total = int(frame.pop("_total").iloc[0]) if len(frame) else 0
    server.ops.audit(user.username, "read", "dashboard:voice:texts", detail=f"{dimension}={chosen}")
    rows = [[str(r.lang), str(r.touchpoint), str(r.channel), str(r.month), words.t(f"dashboard.sentiment.{r.sentiment}"),
             str(r.emotion), quote_text(r.text)] for r in frame.itertuples()]
    headers = [words.column(c) for c in DRILL_COLUMNS]
    extra = {"choices": choices, "drill": {"dimension": words.t(f"dashboard.dimension.{dimension}"), "value": chosen,
                       "total": words.number(total, "int"), "shown": words.number(len(rows), "int"),
                       "headers": headers, "rows": rows}}
    return respond(request, "texts.html", Page("voice", user, words, filters, [], extra))


def freshness(store, words: Words) -> dict | None:
    """The last published run: when it finished, and the latest data it saw (the data watermark)."""
    runs = store.table(RUNS)
    last = runs.filter(runs.status == "published").order_by(runs.finished_at.desc()).limit(1).to_pandas()
    if last.empty:
        return None
    row = last.iloc[0]
    return {"run": str(row["run_id"]), "finished": moment_text(row["finished_at"], words),
            "watermark": moment_text(row["data_watermark"], words)}


def moment_text(moment, words: Words) -> str:
    """A moment for the reader: its date in their language and the time of day, UTC."""
    if moment is None or pd.isna(moment):
        return "–"
    return words.number(pd.Timestamp(moment).date().isoformat(), "date") + f" {pd.Timestamp(moment):%H:%M} UTC"

