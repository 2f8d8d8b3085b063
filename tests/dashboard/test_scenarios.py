"""A scenario typed on the Value page is valued by a decide run and shown with the built-in ones."""

from __future__ import annotations

import time

import pytest

from empathica.schema import results as R
from tests.dashboard.conftest import log_in, open_served
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
            shown = page_tables(client.get("/ui/value?lang=en").text).tables["scenarios"]
            assert any(SCENARIO in row[1] for row in shown)
    finally:
        server.store.close()
        server.ops.close()
