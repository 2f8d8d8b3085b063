"""The dashboard's pages on a small demo store: login, roles, team scope, language, filters, drill-down, export;
the numbers in each table view are those of the stored result rows, formatted for the page's language."""

from __future__ import annotations

import io
import re
import tomllib

import pandas as pd
import pytest

from empathica.report.i18n import format_value
from empathica.schema import results as R
from tests.dashboard.conftest import log_in
from tests.dashboard.tables import page_tables

PAGES = ("/ui/summary", "/ui/journeys", "/ui/voice", "/ui/empathy", "/ui/value", "/ui/act", "/ui/learn", "/ui/data")


def test_pages_need_a_session_and_a_wrong_password_is_refused(dashboard):
    client, _ = dashboard
    client.cookies.clear()
    for path in PAGES + ("/ui/export/agents.csv", "/ui/admin/users"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/ui/login", path
    refused = client.post("/ui/login", data={"username": "root", "password": "wrong-password-9"}, follow_redirects=False)
    assert refused.headers["location"] == "/ui/login?failed=1" and "empathica_session" not in refused.cookies


@pytest.mark.parametrize("name", ["root", "ana", "vic", "lead"])
def test_every_page_renders_for_every_role_and_admin_pages_only_for_admins(dashboard, name):
    client, _ = dashboard
    log_in(client, name)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[-2000:])
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "cdn" not in response.text.lower() and "https://" not in response.text
    admin_pages = [client.get(p) for p in ("/ui/admin/users", "/ui/admin/settings")]
    nav_has_users = 'href="/ui/admin/users"' in client.get("/ui/summary").text
    if name == "root":
        assert all(r.status_code == 200 for r in admin_pages) and nav_has_users
    else:
        assert all(r.status_code == 403 for r in admin_pages) and not nav_has_users


def test_summary_shows_the_stored_opportunities_and_the_data_freshness(dashboard):
    client, server = dashboard
    log_in(client, "vic")
    html = client.get("/ui/summary?lang=en").text
    with server.reading() as store:
        stored = store.read_result(R.DECIDE_OPPORTUNITIES).sort_values("rank").head(15)
        run = store.table("runs").to_pandas().sort_values("finished_at").iloc[-1]
    shown = page_tables(html).tables["opportunities"]
    assert len(shown) == len(stored) > 0
    for row, (_, expected) in zip(shown, stored.iterrows()):
        assert row[0] == format_value(expected["rank"], "int", lang="en")
        if expected["money_shown"]:
            assert row[2] == format_value(expected["revenue"], "money", lang="en", currency=server.settings.currency)
    assert run["run_id"] in html and "Data freshness" in html


def test_the_language_is_switched_by_the_url_and_kept_for_the_user(dashboard):
    client, server = dashboard
    log_in(client, "ana")
    german = client.get("/ui/journeys?lang=de").text
    assert '<html lang="de">' in german and "Reibungs-Rangliste" in german
    again = client.get("/ui/journeys").text  # no ?lang: the stored choice
    assert '<html lang="de">' in again
    chinese = client.get("/ui/journeys?lang=zh").text
    assert '<html lang="zh-Hans">' in chinese and "摩擦排名" in chinese
    with server.reading() as store:
        friction = store.read_result(R.JOURNEY_FRICTION).sort_values("rank").head(15)
    rows = page_tables(german).tables["friction"]
    assert [r[3] for r in rows] == [format_value(v, "num2", lang="de") for v in friction["friction_score"]]
    assert any("," in r[3] for r in rows)  # German decimals
    client.get("/ui/summary?lang=en")


def test_a_filter_narrows_the_rows_is_kept_in_the_links_and_the_export_is_exactly_what_is_shown(dashboard):
    client, server = dashboard
    log_in(client, "ana")
    with server.reading() as store:
        risk = store.read_result(R.VALUE_REVENUE_AT_RISK)
    segment = risk["segment"].value_counts().index[-1]
    html = client.get(f"/ui/value?segment={segment}&lang=en").text
    expected = risk[risk.segment == segment].sort_values("revenue_at_risk", ascending=False).head(20)
    tables = page_tables(html)
    assert [r[0] for r in tables.tables["revenue_at_risk"]] == expected["customer_id"].tolist()
    assert {r[1] for r in tables.tables["revenue_at_risk"]} == {segment}
    assert f'href="/ui/journeys?segment={segment}"' in html  # the navigation keeps the filters
    assert f"/ui/export/revenue_at_risk.csv?segment={segment}" in html
    exported = pd.read_csv(io.BytesIO(client.get(f"/ui/export/revenue_at_risk.csv?segment={segment}").content))
    assert exported["customer_id"].tolist() == expected["customer_id"].tolist()
    assert list(exported.columns) == ["customer_id", "segment", "clv", "p_churn", "revenue_at_risk", "reasons"]
    workbook = pd.read_excel(io.BytesIO(client.get(f"/ui/export/revenue_at_risk.xlsx?segment={segment}").content))
    assert workbook["revenue_at_risk"].round(6).tolist() == expected["revenue_at_risk"].round(6).tolist()


def test_a_filter_a_result_cannot_take_is_named_not_silently_applied(dashboard):
    client, _ = dashboard
    log_in(client, "vic")
    html = client.get("/ui/voice?channel=web&lang=en").text
    assert "These filters do not apply to this result:" in html
    assert client.get("/ui/voice?from=not-a-date&lang=en").status_code == 200


def test_a_bar_drills_down_to_the_texts_behind_it(dashboard):
    client, server = dashboard
    log_in(client, "root")
    with server.reading() as store:
        by = store.read_result(R.TEXT_SENTIMENT_BY)
    row = by[by.dimension == "lang"].sort_values("texts").iloc[-1]
    voice = client.get("/ui/voice?lang=en").text
    link = next(h for h in page_tables(voice).links["sentiment_lang"] if f"value={row['value']}" in h)
    drill = client.get(link.replace("&amp;", "&")).text
    count = re.search(r"of ([\d,]+) customer texts", drill)
    assert count and int(count.group(1).replace(",", "")) == int(row["texts"])
    texts = page_tables(drill).tables["texts"]
    assert texts and {t[0] for t in texts} == {row["value"]}
    # emotions by channel, language and month: the stored shares of each dimension (the voice page already loaded)
    with server.reading() as store:
        store_emotions = store.read_result(R.TEXT_EMOTION_BY)
    for dimension in ("channel", "lang", "month"):
        emotions = page_tables(voice).tables[f"emotions_{dimension}"]
        stored = store_emotions[store_emotions.dimension == dimension]
        assert len(emotions) == min(len(stored), 30 if dimension != "month" else 400) > 0
        assert {(r[1], r[2]) for r in emotions} <= {(e, format_value(s, "pct", lang="en")) for e, s in zip(stored.emotion, stored.share)}


def test_a_team_lead_lands_on_their_team_and_cannot_reach_other_teams_agents(dashboard):
    client, server = dashboard
    lead = server.ops.user("lead")
    with server.reading() as store:
        agents = store.read_result(R.EMPATHY_AGENTS)
    mine = agents[agents.team_id == lead.team_id].agent_id.tolist()
    other = agents[agents.team_id != lead.team_id].agent_id.tolist()
    assert mine and other
    log_in(client, "lead")
    landing = client.get("/ui/", follow_redirects=False)
    assert landing.headers["location"] == f"/ui/empathy?team={lead.team_id}"
    shown = {r[1] for r in page_tables(client.get(landing.headers["location"]).text).tables["agents"]}
    assert shown == set(mine)
    assert client.get(f"/ui/empathy?team={agents[agents.team_id != lead.team_id].team_id.iloc[0]}").status_code == 200
    assert {r[1] for r in page_tables(client.get("/ui/empathy?team=").text).tables["agents"]} <= set(mine)
    assert client.get(f"/ui/empathy/agents/{mine[0]}").status_code == 200
    assert client.get(f"/ui/empathy/agents/{other[0]}").status_code == 403
    exported = pd.read_csv(io.BytesIO(client.get("/ui/export/agents.csv").content))
    assert set(exported["agent_id"]) == set(mine)
    log_in(client, "vic")
    assert client.get(f"/ui/empathy/agents/{mine[0]}").status_code == 403
    log_in(client, "root")
    page = client.get(f"/ui/empathy/agents/{other[0]}")
    assert page.status_code == 200 and {r[1] for r in page_tables(page.text).tables["agents"]} == {other[0]}


def test_admins_add_change_and_disable_users(dashboard):
    client, server = dashboard
    log_in(client, "root")
    added = client.post("/ui/admin/users", data={"action": "add", "username": "newbie", "password": "newbie-password-1",
                                                 "role": "viewer", "team": ""}, follow_redirects=False)
    assert added.headers["location"] == "/ui/admin/users?done=ok" and server.ops.user("newbie").role == "viewer"
    client.post("/ui/admin/users", data={"action": "role", "username": "newbie", "role": "analyst", "team": "team_x"})
    assert server.ops.user("newbie").role == "analyst" and server.ops.user("newbie").team_id == "team_x"
    client.post("/ui/admin/users", data={"action": "disable", "username": "newbie"})
    assert server.ops.user("newbie").disabled
    short = client.post("/ui/admin/users", data={"action": "add", "username": "x2", "password": "short", "role": "viewer"},
                        follow_redirects=False)
    assert short.headers["location"] == "/ui/admin/users?done=failed"
    log_in(client, "ana")
    assert client.post("/ui/admin/users", data={"action": "disable", "username": "vic"}).status_code == 403
    assert not server.ops.user("vic").disabled


def test_admins_change_a_setting_in_the_settings_file_a_bad_value_is_refused_by_name(dashboard, tmp_path):
    client, server = dashboard
    kept_settings, kept_file = server.settings, server.config_file
    server.config_file = tmp_path / "empathica.toml"
    server.config_file.write_text('seed = 11\n', encoding="utf-8")  # a setting already in the file is kept
    try:
        log_in(client, "root")
        page = client.get("/ui/admin/settings")
        assert 'name="value" value="' + str(kept_settings.report_figure_dpi) in page.text and "dots per inch" in page.text
        saved = client.post("/ui/admin/settings", data={"name": "report_figure_dpi", "value": "150"}, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == "/ui/admin/settings?done=ok"
        assert server.settings.report_figure_dpi == 150 and 'value="150"' in client.get("/ui/admin/settings").text
        read_back = tomllib.loads(server.config_file.read_text(encoding="utf-8"))  # the file `empathica serve` reads
        assert read_back == {"seed": 11, "report_figure_dpi": 150}
        bad = client.post("/ui/admin/settings", data={"name": "report_figure_dpi", "value": "<b>5</b>"})
        assert bad.status_code == 400 and "report_figure_dpi" in bad.text and "whole number" in bad.text
        assert "<b>5</b>" not in bad.text and "Traceback" not in bad.text  # the value is escaped, no traceback
        low = client.post("/ui/admin/settings", data={"name": "report_figure_dpi", "value": "5"})
        assert low.status_code == 400 and "report_figure_dpi" in low.text and "from 20 to 600" in low.text
        assert client.post("/ui/admin/settings", data={"name": "ops_url", "value": "sqlite://"}).status_code == 400
        assert tomllib.loads(server.config_file.read_text(encoding="utf-8"))["report_figure_dpi"] == 150  # none refused written
        _, entries = server.ops.audit_entries(action="setting_change", username="root")
        assert any(e["target"] == "report_figure_dpi" and e["status"] == 200 and "150" in e["detail"] for e in entries)
        log_in(client, "ana")
        assert client.post("/ui/admin/settings", data={"name": "report_figure_dpi", "value": "200"}).status_code == 403
        assert client.get("/ui/admin/settings").status_code == 403 and server.settings.report_figure_dpi == 150
    finally:
        server.settings, server.config_file = kept_settings, kept_file


def test_analysts_upload_files_and_see_ingestions_viewers_cannot(dashboard):
    client, server = dashboard
    rows = "customer_id,touchpoint_id,timestamp,channel\ncust_upload_1,web_home,2024-05-01T10:00:00,web\n,web_home,bad-date,web\n"
    log_in(client, "vic")
    refused = client.post("/ui/data/upload", files={"file": ("events_ui.csv", rows, "text/csv")}, data={"table": "events"})
    assert refused.status_code == 403
    log_in(client, "ana")
    done = client.post("/ui/data/upload", files={"file": ("events_ui.csv", rows, "text/csv")}, data={"table": "events"},
                       follow_redirects=False)
    assert done.headers["location"] == "/ui/data?uploaded=ok"
    tables = page_tables(client.get("/ui/data?lang=en").text)
    assert any(r[0].endswith("events_ui.csv") for r in tables.tables["ingestions"])
    assert any(r[0].endswith("events_ui.csv") for r in tables.tables["quarantine"])


def test_a_bad_scenario_is_refused_with_its_format(dashboard):
    client, server = dashboard
    log_in(client, "ana")
    bad = client.post("/ui/value/scenario", data={"scenario": "delivery faster"}, follow_redirects=False)
    assert bad.headers["location"] == "/ui/value?scenario=bad"
    assert "KIND:TARGET:CHANGE" in client.get(bad.headers["location"] + "&lang=en").text
    log_in(client, "vic")
    assert client.post("/ui/value/scenario", data={"scenario": "touchpoint:delivery:+0.5"}).status_code == 403


def test_learn_shows_the_stored_effects_and_experiments(dashboard):
    """(The Act page's live cases: test_act_page.py.)"""
    client, server = dashboard
    with server.reading() as store:
        effects = store.read_result(R.LEARN_EFFECTS)
    log_in(client, "root")
    learned = page_tables(client.get("/ui/learn?lang=en").text).tables["effects"]
    assert {(r[0], r[1]) for r in learned} == set(zip(effects.action_id, effects.metric))
    with server.reading() as store:  # learn: the stored experiments, each arm against control
        experiments = store.read_result(R.LEARN_EXPERIMENTS)
    tried = page_tables(client.get("/ui/learn?lang=en").text).tables["experiments"]
    assert {(r[0], r[1], r[2]) for r in tried} == set(zip(experiments.experiment_id, experiments.metric, experiments.arm))


def test_an_agent_opens_their_own_page_only_and_the_browser_language_is_the_first_default(dashboard):
    client, server = dashboard
    with server.reading() as store:
        agents = sorted(store.read_result(R.EMPATHY_AGENTS).agent_id)
    me, other = agents[0], agents[-1]
    server.ops.add_user(me, "agent-password-12", role="viewer")
    client.cookies.clear()
    assert client.post("/ui/login", data={"username": me, "password": "agent-password-12"}, follow_redirects=False).status_code == 303
    assert client.get(f"/ui/empathy/agents/{me}").status_code == 200
    assert client.get(f"/ui/empathy/agents/{other}").status_code == 403
    page = client.get("/ui/summary", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text  # no choice stored yet
    assert '<html lang="zh-Hans">' in page and "概览" in page


def test_a_team_leads_drill_down_shows_only_their_teams_customers_texts(dashboard):
    client, _ = dashboard

    def total(name: str) -> int:
        log_in(client, name)
        html = client.get("/ui/voice/texts?dimension=lang&value=en&lang=en").text
        return int(re.search(r"of ([\d,]+) customer texts", html).group(1).replace(",", ""))

    everyone, team = total("root"), total("lead")
    assert 0 < team < everyone
