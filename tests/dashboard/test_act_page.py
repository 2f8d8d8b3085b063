"""The Act page shows the live cases of the case store and the SLA report exactly as the API gives them to the same
user (``GET /cases``, ``GET /cases/sla``): a team lead their team's cases, a status filter, labels in the reader's
language, and hostile text kept as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from empathica.report.i18n import format_value
from tests.dashboard.conftest import PASSWORDS, log_in
from tests.dashboard.tables import page_tables

STATUS_EN = {"open": "Open", "in_progress": "In progress", "resolved": "Resolved", "closed": "Closed"}
STATE_EN = {"met": "Met", "missed": "Breached", "waiting": "Pending"}
#: A viewer scoped to a region (added by the ``worked`` fixture): the cases of its teams.
REGION_USER = ("regina", "region-password-7")
PASSWORDS = {**PASSWORDS, REGION_USER[0]: REGION_USER[1]}


_TOKENS: dict[tuple[int, str], str] = {}


def _api(client, name: str, path: str, **params) -> dict:
    """``GET path`` as ``name`` through the API (a bearer token, logged in once per module's server)."""
    key = (id(client), name)
    if key not in _TOKENS:
        _TOKENS[key] = client.post("/auth/login", json={"username": name, "password": PASSWORDS[name]}).json()["token"]
    answer = client.get(path, params=params, headers={"Authorization": f"Bearer {_TOKENS[key]}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _log_in(client, name: str) -> None:
    if name == REGION_USER[0]:
        client.cookies.clear()
        assert client.post("/ui/login", data=dict(zip(("username", "password"), REGION_USER)),
                           follow_redirects=False).status_code == 303
    else:
        log_in(client, name)


def _page(client, name: str | None, query: str = "") -> str:
    """The Act page in English as ``name`` (None: the user logged in already)."""
    if name:
        _log_in(client, name)
    answer = client.get(f"/ui/act?lang=en{query}")
    assert answer.status_code == 200, answer.text[-2000:]
    return answer.text


def _state(done: str | None, due: str, at: datetime) -> str:
    """A deadline's state, worked out here from the API's row (not by the page's code)."""
    due_at = datetime.fromisoformat(due)
    if done is not None:
        return "met" if datetime.fromisoformat(done) <= due_at else "missed"
    return "missed" if due_at < at else "waiting"


@pytest.fixture(scope="module")
def worked(dashboard):
    """Some live cases worked: one in progress, one resolved, one with its first response overdue, one assigned to
    a name that is markup (a case store row is untrusted text)."""
    _, server = dashboard
    cases = server.act.cases
    total, rows = cases.cases(limit=40)
    assert total >= 6, "the demo world opens cases"
    moved, solved, late, hostile = rows[0], rows[1], rows[2], rows[3]
    cases.update_case(moved["case_id"], "test", "status", {"status": "in_progress"})
    cases.update_case(solved["case_id"], "test", "status", {"status": "resolved", "resolved_at": datetime.now(UTC)})
    cases.update_case(late["case_id"], "test", "sla", {"first_response_due": datetime.now(UTC) - timedelta(hours=2)})
    cases.update_case(hostile["case_id"], "test", "assigned", {"assignee": "<script>alert(1)</script>"})
    with server.reading() as store:
        teams = store.to_pandas("teams")
    lead_region = teams.set_index("team_id").region[server.ops.user("lead").team_id]
    server.ops.add_user(REGION_USER[0], REGION_USER[1], role="viewer", region=str(teams[teams.region != lead_region].region.iloc[0]))
    return {"in_progress": moved["case_id"], "resolved": solved["case_id"], "late": late["case_id"],
            "hostile": hostile["case_id"]}


@pytest.mark.parametrize("name", ["root", "lead", REGION_USER[0]])
def test_the_live_cases_and_the_sla_report_are_the_apis_for_the_same_user(dashboard, worked, name):
    client, server = dashboard
    html = _page(client, name)
    shown = page_tables(html).tables["live_cases"]
    api = _api(client, name, "/cases", page_size=100)
    at = datetime.now(UTC)
    assert len(shown) == len(api["cases"]) > 0
    assert f"Showing the newest {len(shown)} of {format_value(api['total'], 'int', lang='en')} cases" in html
    for row, case in zip(shown, api["cases"]):
        assert int(row[0].replace(",", "")) == case["case_id"]
        assert row[2] == STATUS_EN[case["status"]] and row[4] == (case["team_id"] or "–")
        assert row[6] == (case["customer_id"] or "–")
        assert row[9] == STATE_EN[_state(case["first_response_at"], case["first_response_due"], at)]
        assert row[11] == STATE_EN[_state(case["resolved_at"], case["resolution_due"], at)]
    late = next(r for r in shown if int(r[0].replace(",", "")) == worked["late"]) if name == "root" else None
    if late is not None:
        assert late[9] == "Breached"
    links = page_tables(html).links["live_cases"]
    assert links == ["/ui/customers/" + c["customer_id"] for c in api["cases"] if c["customer_id"]]
    if name == "lead":  # a team lead sees their team's cases only, as the API gives them
        team = server.ops.user("lead").team_id
        everyone = _api(client, "root", "/cases", page_size=1)["total"]
        assert {r[4] for r in shown} <= {team} and api["total"] < everyone
    if name == REGION_USER[0]:  # a region user sees the cases of their region's teams, in the API as on the page
        user = server.ops.user(name)
        with server.reading() as store:
            teams = store.to_pandas("teams")
        mine = set(teams[teams.region == user.region].team_id)
        _, every = server.act.cases.cases(limit=100_000)
        assert api["total"] == sum(c["team_id"] in mine for c in every) > 0
    _the_sla_report_is_the_apis(client, name, page_tables(html).tables, api)


def _the_sla_report_is_the_apis(client, name: str, tables: dict, cases: dict) -> None:
    """The page's SLA report (per team, per agent, hours in each status) is ``GET /cases/sla``'s for ``name``."""
    api = _api(client, name, "/cases/sla")

    def said(value, kind):
        return "–" if value is None else format_value(value, kind, lang="en")

    for key, who in (("team", "team_id"), ("agent", "assignee")):
        expected = [[str(r[who]), said(r["cases"], "int"), said(r["first_response_met"], "pct"),
                     said(r["resolution_met"], "pct"), said(r["escalated"], "pct")] for r in api[key]]
        assert tables.get(f"sla_{key}", []) == expected and expected
    hours = [[STATUS_EN[r["status"]], said(r["cases"], "int"), said(r["mean_hours"], "num2"),
              said(r["median_hours"], "num2")] for r in api["status_hours"]]
    assert tables["sla_status_hours"] == hours and hours
    if name != "root":  # a scoped user's report covers their cases only: as many as GET /cases gives them
        assert sum(int(r[1].replace(",", "")) for r in tables["sla_team"]) == cases["total"]


def test_the_status_filter_shows_the_apis_cases_of_that_status(dashboard, worked):
    client, _ = dashboard
    log_in(client, "root")
    for status in ("open", "in_progress", "resolved", "closed"):
        shown = page_tables(_page(client, None, f"&case_status={status}")).tables["live_cases"]
        api = _api(client, "root", "/cases", status=status, page_size=100)["cases"]
        assert [int(r[0].replace(",", "")) for r in shown] == [c["case_id"] for c in api]
        assert {r[2] for r in shown} <= {STATUS_EN[status]}
        if status in ("in_progress", "resolved"):  # the cases the fixture moved
            assert worked[status] in [int(r[0].replace(",", "")) for r in shown]
    some = next(c for c in _api(client, "root", "/cases", page_size=100)["cases"] if c["touchpoint"])
    day = some["opened_at"][:10]  # the filters bar: touchpoint, and the days opened (both ends included)
    shown = page_tables(_page(client, None, f"&touchpoint={some['touchpoint']}&from={day}&to={day}")).tables["live_cases"]
    following = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    api = _api(client, "root", "/cases", touchpoint=some["touchpoint"], opened_since=day, opened_until=following,
               page_size=100)["cases"]
    assert [int(r[0].replace(",", "")) for r in shown] == [c["case_id"] for c in api] and api
    by_segment = _page(client, None, "&segment=loyal")  # not a case's: named, not applied
    live = by_segment.split('id="panel-live_cases"', 1)[1].split('id="panel-sla"', 1)[0]
    assert "These filters do not apply to this result: Segment" in live
    assert len(page_tables(by_segment).tables["live_cases"]) == len(page_tables(_page(client, None)).tables["live_cases"])


def test_the_act_page_speaks_german_and_chinese_and_keeps_markup_as_text(dashboard, worked):
    client, _ = dashboard
    log_in(client, "root")
    german = client.get("/ui/act?lang=de").text
    assert "Fälle jetzt (live)" in german and "SLA-Bericht" in german and "In Bearbeitung" in german
    chinese = client.get("/ui/act?lang=zh").text
    assert "当前工单（实时）" in chinese and "SLA 报告" in chinese and "各团队 SLA 达标" in chinese
    assert "<script>alert(1)</script>" not in german and "&lt;script&gt;alert(1)&lt;/script&gt;" in german
