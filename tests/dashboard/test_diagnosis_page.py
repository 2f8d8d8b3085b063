"""The diagnosis in the API and the dashboard: scoped users read only their team's or region's scorecard rows, an
analyst posts a self-assessment, and the Diagnosis page (/ui/diagnosis) shows the stored scorecard, stage, EX ↔ CX
and segments in en, de and zh, in Chromium. Here, beside the dashboard tests, so that it shares their session's
demo store (every step, diagnose included, run once) instead of building another."""

from __future__ import annotations

import pytest

from empathica.report.i18n import catalogue, format_value
from empathica.schema.results import DIAGNOSE_SCORECARD
from tests.dashboard.conftest import log_in
from tests.dashboard.test_browser import LOCALES, _log_in, _output, browser, live  # noqa: F401

REGION_PASSWORD = "region-password-1"


def _rows(client, name: str, who: str) -> list[dict]:
    from tests.serve.conftest import PASSWORDS

    login = client.post("/auth/login", json={"username": who, "password": PASSWORDS[who]})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    answer = client.get(f"/results/{name}?page_size=1000", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def test_api_users_scoped_to_a_team_or_region_read_only_their_scorecard_rows(dashboard):
    client, server = dashboard
    if "de" not in {u.username for u in server.ops.users()}:
        server.ops.add_user("de", REGION_PASSWORD, role="viewer", region="DE")
    every = _rows(client, "diagnose_scorecard", "root")
    assert {"all", "brand", "region", "team_id", "site"} <= {r["scope"] for r in every}
    lead = server.ops.user("lead")
    for name in ("diagnose_scorecard", "diagnose_evidence"):
        mine = _rows(client, name, "lead")
        assert mine and {r["team_id"] for r in mine} == {lead.team_id}  # the lead's own team only
        assert {r["scope"] for r in mine} == {"team_id"}
        german = _rows(client, name, "de")
        assert {r["region"] for r in german} == {"DE"}
        assert {("region", "DE")} <= {(r["scope"], r["group"]) for r in german}
        assert not {"all", "brand", "segment"} & {r["scope"] for r in german}  # no company-wide rows


def test_the_page_tells_a_team_lead_it_shows_their_rows(dashboard):
    client, server = dashboard
    with server.reading() as store:
        teams = set(store.read_result(DIAGNOSE_SCORECARD).query("scope == 'team_id'")["group"])
    log_in(client, "lead")
    page = client.get("/ui/diagnosis?lang=en")
    assert page.status_code == 200 and catalogue("en")["dashboard.diagnosis.scoped"] in page.text
    lead = server.ops.user("lead")
    assert lead.team_id in page.text and not any(t in page.text for t in teams - {lead.team_id})


@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_the_diagnosis_page_shows_the_stored_scorecard_in_each_language(live, browser, lang):  # noqa: F811
    base, server = live
    with server.reading() as store:
        scores = store.read_result(DIAGNOSE_SCORECARD)
    company = scores[scores["scope"] == "all"]
    context, page = _log_in(browser, base, "root", locale=LOCALES[lang])
    page.goto(f"{base}/ui/summary?lang={lang}")
    page.click(f"nav >> text={catalogue(lang)['dashboard.nav.diagnosis']}")  # the nav entry, in the chosen language
    assert page.url.split("?")[0].endswith("/ui/diagnosis")
    assert page.locator("h1").inner_text() == catalogue(lang)["dashboard.nav.diagnosis"]
    assert page.locator(".dx-bars li").count() == len(company) >= 4
    table = page.locator("table[data-source=diagnose_scorecard]").first
    shown = {tuple(r.locator("td").all_inner_texts()[:4]) for r in table.locator("tbody tr").all()}
    for row in company.itertuples():  # dimension, score and its interval as stored, in the page's language
        expected = (catalogue(lang)[f"diagnose.dim.{row.dimension}"],
                    *(format_value(v, "int", lang=lang, currency="EUR") for v in (row.score, row.score_low, row.score_high)))
        assert expected in shown, (lang, expected, shown)
    for source in ("diagnose_maturity_inputs", "diagnose_ex_cx_groups", "diagnose_competitor_index", "diagnose_values_themes"):
        assert page.locator(f"table[data-source={source}]").count() == 1
    brands = page.locator("table[data-source=diagnose_competitor_index] tbody tr").all_inner_texts()
    assert any(r.startswith("Lumen Express") for r in brands)  # each own brand's standing, the second brand too
    page.screenshot(path=str(_output() / f"diagnosis-{lang}.png"), full_page=True)
    context.close()


def test_the_api_takes_a_self_assessment_from_an_analyst(dashboard):
    from empathica.diagnose.maturity import load_questionnaire
    from tests.serve.conftest import token

    questionnaire = load_questionnaire()
    client, server = dashboard
    body = {"answers": {q["id"]: 3 for q in questionnaire.questions}}
    assert client.post("/diagnose/self-assessment", json=body, headers=token(client, "vic")).status_code == 403
    bad = client.post("/diagnose/self-assessment", json={"answers": {"value_empathy": 9}}, headers=token(client, "ana"))
    assert bad.status_code == 400 and "value_empathy" in bad.text
    ok = client.post("/diagnose/self-assessment", json=body, headers=token(client, "ana"))
    assert ok.status_code == 201, ok.text
    zh = client.get("/diagnose/questionnaire?lang=zh", headers=token(client, "vic")).json()
    assert len(zh["questions"]) == len(questionnaire.questions) and "客户" in zh["questions"][0]["text"]
    from empathica.flywheel.steps.diagnose import latest_answers

    with server.reading() as store:
        answers, assessment_id = latest_answers(store)
    assert assessment_id == ok.json()["assessment_id"] and set(answers.values()) == {3}
