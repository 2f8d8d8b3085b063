"""Security: every route refuses the unauthenticated and the wrong role (routes read from the OpenAPI spec),
no stored text is ever served as HTML, path traversal and oversized uploads are refused, login is rate-limited."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from tests.serve.conftest import token

#: The least role of every operation; a route missing here (or here but gone) fails the test below.
LEAST_ROLE = {
    ("GET", "/health"): None, ("POST", "/auth/login"): None,
    ("POST", "/auth/logout"): "viewer", ("GET", "/auth/me"): "viewer", ("POST", "/auth/keys"): "viewer",
    ("GET", "/results"): "viewer", ("GET", "/results/{name}"): "viewer",
    ("POST", "/runs"): "analyst", ("GET", "/runs"): "viewer", ("GET", "/runs/jobs/{job_id}"): "viewer",
    ("GET", "/runs/{run_id}"): "viewer",
    ("POST", "/ingest"): "analyst", ("POST", "/ingest/{table}/rows"): "analyst", ("GET", "/quarantine"): "analyst",
    ("GET", "/users"): "admin", ("POST", "/users"): "admin", ("POST", "/users/{username}/disable"): "admin",
    ("GET", "/audit"): "admin",
    # Act (docs/act.md): working a case needs a user whose team scope covers it; rules need an admin
    ("GET", "/rules"): "viewer", ("POST", "/rules"): "admin", ("DELETE", "/rules/{rule_id}"): "admin",
    ("POST", "/rules/replay"): "analyst", ("GET", "/cases"): "viewer", ("GET", "/cases/sla"): "viewer",
    ("GET", "/cases/summary"): "viewer", ("GET", "/teams"): "viewer", ("GET", "/act/cards"): "admin",
    ("POST", "/act/cards/refresh"): "admin",
    ("GET", "/cases/{case_id}"): "viewer", ("POST", "/cases/{case_id}/assign"): "viewer",
    ("POST", "/cases/{case_id}/status"): "viewer", ("POST", "/cases/{case_id}/comments"): "viewer",
    ("POST", "/cases/{case_id}/priority"): "viewer", ("GET", "/teams/{team_id}/digest"): "viewer",
    ("POST", "/digests"): "admin", ("GET", "/notifications"): "admin",
    ("GET", "/customers/{customer_id}/card"): "viewer", ("POST", "/customers/{customer_id}/card/opener"): "viewer",
    # Learn (docs/learn.md): registering an action or analysing an experiment needs an analyst; reading, a viewer
    ("POST", "/actions"): "analyst", ("GET", "/actions"): "viewer", ("GET", "/learn/effects"): "viewer",
    ("GET", "/learn/event-study"): "viewer", ("GET", "/learn/timeline"): "viewer",
    ("GET", "/learn/benchmark/brands"): "viewer", ("GET", "/learn/benchmark/comparison"): "viewer",
    ("GET", "/learn/benchmark/over-time"): "viewer", ("GET", "/learn/benchmark/over-time-comparison"): "viewer",
    ("GET", "/learn/experiments"): "viewer",
    ("POST", "/learn/experiments"): "analyst", ("POST", "/learn/power"): "viewer",
    # Diagnose (docs/diagnose.md): the questionnaire is readable by all, a self-assessment needs an analyst
    ("GET", "/diagnose/questionnaire"): "viewer", ("POST", "/diagnose/self-assessment"): "analyst",
}
BELOW = {"analyst": "vic", "admin": "ana"}  # a user whose role is just below the one needed


def _operations(client) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json", headers=token(client, "vic")).json()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item]


def _call(client, method: str, path: str, headers: dict | None = None):
    url = re.sub(r"\{[^}]+\}", "journey_friction", path)
    return client.request(method, url, headers=headers or {}, json={} if method == "POST" else None)


def test_every_route_of_the_spec_has_a_declared_least_role(served):
    client, _ = served
    assert sorted(_operations(client)) == sorted(LEAST_ROLE)


def test_unauthenticated_and_bad_token_requests_are_refused_on_every_route_but_health_and_login(served):
    client, _ = served
    for method, path in _operations(client):
        if LEAST_ROLE[(method, path)] is None:
            continue
        for headers in (None, {"Authorization": "Bearer emk_not-a-key"}, {"Authorization": "Basic cm9vdDpyb290"}):
            response = _call(client, method, path, headers)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_the_api_description_needs_authentication(served, path):
    client, _ = served
    for headers in (None, {"Authorization": "Bearer emk_not-a-key"}):
        response = client.get(path, headers=headers or {})
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "unauthenticated"


def test_no_public_description_or_swagger_page_is_left(served):
    client, _ = served
    for path in ("/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code in (401, 404)


def test_the_docs_page_shows_every_route_of_the_spec_to_a_viewer(served):
    client, _ = served
    headers = token(client, "vic")
    page = client.get("/docs", headers=headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text and "cdn" not in page.text.lower()
    for method, path in _operations(client):
        assert f"<td>{method}</td><td><code>{path}</code></td>" in page.text, (method, path)


def test_a_role_below_the_one_needed_is_refused_on_every_route(served):
    client, _ = served
    sessions = {name: token(client, name) for name in BELOW.values()}
    for (method, path), role in LEAST_ROLE.items():
        if role in BELOW:
            response = _call(client, method, path, sessions[BELOW[role]])
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error"]["code"] == "forbidden"


def test_stored_html_and_script_come_back_as_inert_data(served):
    client, server = served
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    headers = token(client, "ana")
    client.post("/ingest/teams/rows", json={"rows": [{"team_id": "team_xss", "name": payload, "region": "DE"}]}, headers=headers)
    with server.reading() as store:
        assert payload in set(store.to_pandas("teams")["name"])  # stored as given: it is data
    for method, path in _operations(client):
        if path == "/auth/logout":  # would end the session the next calls use
            continue
        response = _call(client, method, path, headers)
        assert not response.headers.get("content-type", "").startswith("text/html") or path in ("/docs", "/redoc")
        assert response.headers.get("x-content-type-options") == "nosniff"
    csv = client.get("/results/journey_friction?format=csv", headers=headers)
    assert csv.headers["content-disposition"].startswith("attachment")


def test_the_report_escapes_stored_html(tmp_path):
    from empathica.report import Section, TableBlock, write_report

    payload = "<script>alert(1)</script>"
    section = Section(key="x", title="X", summary=[f"customers said {payload}"])
    section.add(TableBlock(pd.DataFrame({"comment": [payload]}), "comments", source="test"))
    html = write_report(tmp_path / "report", [section], title="t", meta={}).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_names_in_findings_are_escaped_in_every_place_of_the_report(tmp_path, lang):
    """A name from the data (a team, an action, a touchpoint) in a headline, paragraph, metric, caption or table
    header, and a nested display name, is shown as text, never as markup."""
    from empathica.report import Finding, Metric, Paragraph, Section, TableBlock, write_report

    payload = '<img src=x onerror="alert(1)">'
    name = {"id": "aspect.<b>", "name": payload}  # a client's own aspect that no catalogue names
    section = Section(key="x", title="X", summary=[Finding("learn.effect", {"title": payload, "metric": name, "estimate": 0.1,
                                                                            "ci_low": 0.0, "ci_high": 0.2, "p_value": 0.5})])
    section.add(Metric(Finding("journeys.metric.reach", {"goal": payload}), Finding("value.text", {"v": payload})),
                Paragraph(Finding("report.not_run", {"why": payload})),
                TableBlock(pd.DataFrame({payload: [payload]}), Finding("journeys.caption.funnel", {"goal": payload}), source="t"))
    html = write_report(tmp_path / lang, [section], title="t", meta={}, lang=lang).read_text(encoding="utf-8")
    assert "<img" not in html and html.count("&lt;img src=x onerror=") >= 6


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheet_formulas_in_stored_text_are_exported_as_text(fmt):
    from empathica.serve.query import export

    frame = pd.DataFrame({"said": ['=HYPERLINK("http://x")', "+cmd", "plain"], "n": [1, 2, 3]})
    reader = pd.read_csv if fmt == "csv" else pd.read_excel
    back = reader(io.BytesIO(export(frame, fmt, name="t")))
    assert back["said"].tolist() == ['\'=HYPERLINK("http://x")', "'+cmd", "plain"] and back["n"].tolist() == [1, 2, 3]


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "..\\..\\x.csv", "/etc/passwd", "a/b.csv", ".hidden", "x.exe"])
def test_upload_names_that_leave_the_upload_folder_are_refused(served, name):
    client, _ = served
    response = client.post("/ingest", files={"file": (name, "team_id\nt\n", "text/csv")}, headers=token(client, "ana"))
    assert response.status_code == 400 and response.json()["error"]["field"] == "file"


@pytest.mark.parametrize("name", ["..%2F..%2Fcustomers", "customers", "result_journey_friction%00", "quarantine"])
def test_only_declared_results_can_be_read(served, name):
    client, _ = served
    response = client.get(f"/results/{name}", headers=token(client, "vic"))
    assert response.status_code == 404


def test_oversized_uploads_are_refused(served):
    client, _ = served
    headers = token(client, "ana")
    big = "team_id,name\n" + "t,x\n" * 400_000  # 1.6 MB over the 1 MB limit of the test server
    response = client.post("/ingest", files={"file": ("teams.csv", big, "text/csv")}, headers=headers)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    huge = client.post("/ingest", content=b"x", headers={**headers, "content-length": str(50_000_000)})
    assert huge.status_code == 413


def test_login_is_rate_limited_per_user_name(served):
    client, _ = served
    for _ in range(5):
        assert client.post("/auth/login", json={"username": "de", "password": "wrong password"}).status_code == 401
    limited = client.post("/auth/login", json={"username": "de", "password": "region-password-1"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
