"""A scenario typed on the Value page is valued by a decide run and shown with the built-in ones."""

from __future__ import annotations

import time

import pytest

from empathica.report.i18n import format_value
from empathica.schema import results as R
from empathica.serve.web.formats import Words
from tests.dashboard.conftest import PASSWORDS, log_in, open_served
from tests.dashboard.tables import page_tables

SCENARIO = "touchpoint:delivery:+0.5"


@pytest.mark.slow
def test_a_user_scenario_from_the_page_is_valued_and_listed(dashboard_store_file, tmp_path):
    from fastapi.testclient import TestClient

    from empathica.serve import create_app

    server = open_served(dashboard_store_file, tmp_path)
    try:
        with TestClient(create_app(server)) as client:
            log_in(client, "ana")
            started = client.post("/ui/value/scenario", data={"scenario": SCENARIO}, follow_redirects=False)
            assert started.headers["location"] == "/ui/value?scenario=started"
            deadline = time.monotonic() + 600
            while server.current_job() is not None and time.monotonic() < deadline:
                time.sleep(0.5)
            job = next(iter(server.jobs.values()))
            assert job.status == "published", job.error
            with server.reading() as store:
                scenarios = store.read_result(R.DECIDE_SCENARIOS)
            mine = scenarios[scenarios.key == f"user:{SCENARIO}"]
            assert len(mine) == 1
            html = client.get("/ui/value?lang=en").text
            shown = page_tables(html).tables["scenarios"]
            assert any(SCENARIO in row[1] for row in shown)
            kept = page_tables(html).tables["my_scenarios"]  # the user's own list, with the money of the stored row
            money = (format_value(mine.revenue.iloc[0], "money", lang="en", currency=server.settings.currency)
                     if bool(mine.money_shown.iloc[0]) else Words("en", server.settings.currency).t("value.withheld"))
            assert kept[0][0] == SCENARIO and kept[0][1].startswith(money)
    finally:
        server.store.close()
        server.ops.close()


def test_kept_scenarios_are_listed_per_user_after_a_restart_and_valued_by_every_run(dashboard_store_file, tmp_path,
                                                                                     monkeypatch):
    """Scenarios typed on the Value page are kept per user in the operational store: a restarted server lists them
    again (as not valued until a decide run values them), and every run values every user's kept scenarios with the
    setting's — one started from the page, by ``POST /runs`` or by ``empathica run``."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    import empathica.cli.flywheel_commands as commands
    from empathica.cli import main
    from empathica.serve import create_app, open_server
    from empathica.settings import Settings

    server = open_served(dashboard_store_file, tmp_path)
    server.settings = Settings.load(config_file=tmp_path / "none.toml", progress=False, db_path=server.settings.db_path,
                                    scenarios="team:team_contact_a:+0.5")
    valued = []

    def run(job, settings):  # what the run would value; the decide run itself is the slow test's
        valued.append((job.only, settings.scenarios))
        job.status = "published"
        server._run_lock.release()

    server._run = run
    try:
        with TestClient(create_app(server)) as client:
            log_in(client, "ana")
            started = client.post("/ui/value/scenario", data={"scenario": SCENARIO}, follow_redirects=False)
            assert started.headers["location"] == "/ui/value?scenario=started"
            log_in(client, "root")
            client.post("/ui/value/scenario", data={"scenario": "touchpoint:call_centre:-20%"})
            login = client.post("/auth/login", json={"username": "ana", "password": PASSWORDS["ana"]}).json()
            api = client.post("/runs", json={}, headers={"Authorization": f"Bearer {login['token']}"})
            assert api.status_code == 202, api.text
    finally:
        server.store.close()
        server.ops.close()
    both = f"team:team_contact_a:+0.5; {SCENARIO}; touchpoint:call_centre:-20%"
    assert valued == [(["decide"], f"team:team_contact_a:+0.5; {SCENARIO}"), (["decide"], both), (None, both)]
    ran = []
    monkeypatch.setattr(commands, "_run_and_report", lambda store, settings, *a, **k: ran.append(settings.scenarios))
    db = tmp_path / "demo.duckdb"
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "--db", str(db), "--scenario", "touchpoint:web:+0.2"])
    assert result.exit_code == 0, result.output
    assert ran == [f"touchpoint:web:+0.2; {SCENARIO}; touchpoint:call_centre:-20%"]  # the CLI's and the kept ones
    restarted = open_server(str(db), settings=Settings.load(config_file=tmp_path / "none.toml", progress=False, db_path=str(db)))
    try:
        with TestClient(create_app(restarted)) as client:
            log_in(client, "ana")
            mine = page_tables(client.get("/ui/value?lang=en").text).tables["my_scenarios"]
            assert [r[0] for r in mine] == [SCENARIO] and "not valued in the last run" in mine[0][1]
            log_in(client, "vic")
            assert "my_scenarios" not in page_tables(client.get("/ui/value?lang=en").text).tables
    finally:
        restarted.store.close()
        restarted.ops.close()
