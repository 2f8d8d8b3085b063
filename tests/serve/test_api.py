"""The REST API on a small demo store: results with filters, scope and exports; runs; ingest; quarantine; users."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.serve.conftest import finished_job, token


def test_health_answers_without_authentication(served):
    client, _ = served
    assert client.get("/health").json()["status"] == "ok"


def test_results_are_listed_with_their_declaration(served):
    client, _ = served
    listed = {r["name"]: r for r in client.get("/results", headers=token(client, "vic")).json()["results"]}
    assert listed["journey_friction"]["step"] == "journeys" and listed["journey_friction"]["rows"] > 0
    assert {"name": "friction_score", "type": "float"} in listed["journey_friction"]["columns"]
    assert listed["value_clv"]["rows"] == 0  # not computed in this store


def test_results_are_paginated_and_carry_their_run(served):
    client, server = served
    headers = token(client, "vic")
    first = client.get("/results/journey_friction?page=1&page_size=5", headers=headers).json()
    second = client.get("/results/journey_friction?page=2&page_size=5", headers=headers).json()
    with server.reading() as store:
        stored = store.read_result("journey_friction")
        published = store.runs.published()[0]
    assert first["total"] == len(stored) and len(first["rows"]) == 5
    assert not {(r["source"], r["target"]) for r in first["rows"]} & {(r["source"], r["target"]) for r in second["rows"]}
    assert {r["run_id"] for r in first["rows"]} == {published}


def test_filters_narrow_the_rows_and_bad_ones_say_which_field(served):
    client, server = served
    headers = token(client, "vic")
    with server.reading() as store:
        customers = store.to_pandas("customers")
        friction = store.read_result("journey_customer_friction")
    segment = customers["segment"].dropna().iloc[0]
    expected = friction["customer_id"].isin(customers.loc[customers["segment"] == segment, "customer_id"]).sum()
    got = client.get(f"/results/journey_customer_friction?segment={segment}&page_size=1", headers=headers).json()
    assert got["total"] == expected and 0 < expected < len(friction)
    bad = client.get("/results/journey_funnel?channel=web", headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "channel"
    bad_date = client.get("/results/journey_friction?from=yesterday", headers=headers)
    assert bad_date.status_code == 422 and bad_date.json()["error"]["field"] == "from"


def test_sql_looking_filter_values_are_answered_as_data(served):
    client, server = served
    headers = token(client, "vic")
    for value in ("x' OR '1'='1", "1; DROP TABLE customers; --", "\" OR 1=1 --"):
        response = client.get("/results/journey_customer_friction", params={"segment": value}, headers=headers)
        assert response.status_code == 200 and response.json()["total"] == 0
    with server.reading() as store:
        assert store.count("customers") > 0


def test_a_team_lead_sees_only_their_team_and_a_region_user_only_their_region(served):
    client, server = served
    with server.reading() as store:
        teams = store.to_pandas("teams")
        customers = store.to_pandas("customers")
        all_teams = store.read_result("drivers_teams")
        friction = store.read_result("journey_customer_friction")
    lead_team = server.ops.user("lead").team_id
    rows = client.get("/results/drivers_teams?page_size=100", headers=token(client, "lead")).json()["rows"]
    assert {r["team_id"] for r in rows} <= {lead_team} and len(all_teams) > len(rows)
    de = client.get("/results/journey_customer_friction?page_size=1000", headers=token(client, "de")).json()
    de_customers = set(customers.loc[customers["region"] == "DE", "customer_id"])
    assert de["total"] == friction["customer_id"].isin(de_customers).sum() > 0
    assert {r["customer_id"] for r in de["rows"]} <= de_customers
    region_rows = client.get("/results/drivers_teams?page_size=100", headers=token(client, "de")).json()["rows"]
    assert {r["team_id"] for r in region_rows} <= set(teams.loc[teams["region"] == "DE", "team_id"])


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_exports_hold_every_row_and_are_for_analysts(served, fmt):
    client, server = served
    with server.reading() as store:
        stored = store.read_result("journey_friction")
    refused = client.get(f"/results/journey_friction?format={fmt}", headers=token(client, "vic"))
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "format"
    response = client.get(f"/results/journey_friction?format={fmt}", headers=token(client, "ana"))
    assert response.status_code == 200
    reader = {"csv": pd.read_csv, "parquet": pd.read_parquet, "xlsx": pd.read_excel}[fmt]
    frame = reader(io.BytesIO(response.content))
    assert len(frame) == len(stored) and set(stored.columns) <= set(frame.columns)
    assert sorted(frame["friction_score"].round(6)) == sorted(stored["friction_score"].round(6))


def test_rows_ingested_as_json_are_validated_and_quarantined_like_files(served):
    client, server = served
    headers = token(client, "ana")
    rows = [{"team_id": "team_api_1", "name": "API team", "function": "support", "region": "DE"},
            {"name": "no id"}]
    response = client.post("/ingest/teams/rows", json={"rows": rows}, headers=headers)
    assert response.status_code == 200, response.text
    (result,) = response.json()["ingested"]
    assert (result["rows_read"], result["rows_stored"], result["rows_quarantined"]) == (2, 1, 1)
    quarantined = client.get("/quarantine?table=teams", headers=headers).json()["rows"]
    assert any(r["field"] == "team_id" for r in quarantined)
    too_many = client.post("/ingest/teams/rows", json={"rows": rows * 26}, headers=headers)
    assert too_many.status_code == 413 and too_many.json()["error"]["field"] == "rows"
    unknown = client.post("/ingest/nonsense/rows", json={"rows": rows}, headers=headers)
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "table"


def test_a_file_upload_is_ingested(served):
    client, server = served
    csv = "team_id,name,function,region\nteam_up_1,Upload team,support,UK\n"
    response = client.post("/ingest", files={"file": ("teams_upload.csv", csv, "text/csv")}, data={"table": "teams"},
                           headers=token(client, "ana"))
    assert response.status_code == 200, response.text
    assert response.json()["ingested"][0]["rows_stored"] == 1
    with server.reading() as store:
        assert "team_up_1" in set(store.to_pandas("teams")["team_id"])


def test_a_run_goes_in_the_background_and_publishes(served):
    client, server = served
    headers = token(client, "ana")
    before = client.get("/runs", headers=headers).json()["runs"]
    job = client.post("/runs", json={"only": ["overview", "drivers"]}, headers=headers)
    assert job.status_code == 202, job.text
    state = finished_job(client, headers, job.json()["job_id"])
    assert state["status"] == "published" and state["steps_done"] == state["steps_total"] == 2
    runs = client.get("/runs", headers=headers).json()["runs"]
    assert len(runs) == len(before) + 1 and runs[0]["run_id"] == state["run_id"] and runs[0]["status"] == "published"
    rows = client.get("/results/drivers_importance", headers=headers).json()["rows"]
    assert {r["run_id"] for r in rows} == {state["run_id"]}
    assert client.post("/runs", json={"only": ["nonsense"]}, headers=headers).json()["error"]["field"] == "only"


def test_users_are_managed_by_admins_and_actions_are_audited(served):
    client, server = served
    admin = token(client, "root")
    created = client.post("/users", json={"username": "temp", "password": "temporary-pass-1", "role": "viewer"}, headers=admin)
    assert created.status_code == 201
    temp = client.post("/auth/login", json={"username": "temp", "password": "temporary-pass-1"}).json()["token"]
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {temp}"}).json()["role"] == "viewer"
    assert client.post("/users/temp/disable", headers=admin).json()["disabled"] is True
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {temp}"}).status_code == 401
    client.get("/results/journey_friction?format=csv", headers=token(client, "ana"))
    entries = client.get("/audit?username=ana&action=export", headers=admin).json()["entries"]
    assert entries and entries[0]["target"] == "journey_friction"


def test_an_api_key_works_like_a_session_with_its_users_role(served):
    client, _ = served
    key = client.post("/auth/keys", json={"label": "ci"}, headers=token(client, "vic")).json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/auth/me", headers=headers).json()["username"] == "vic"
    assert client.get("/users", headers=headers).status_code == 403


def test_a_page_asked_again_comes_from_the_cache_until_an_ingest_changes_what_scopes_read(served):
    """An ingest into a table scopes read drops the scoped and filtered pages only: the unscoped, unfiltered ones
    stay cached (each ingest emptied the whole cache, and every read after it queried the store again)."""
    client, server = served
    headers, everyone = token(client, "lead"), token(client, "vic")
    url = "/results/journey_friction?page_size=7"
    first = client.get(url, headers=headers)
    hits = server.pages.hits
    again = client.get(url, headers=headers)
    assert again.status_code == 200 and again.content == first.content and server.pages.hits == hits + 1
    other = client.get(url, headers=everyone)  # another scope: its own page
    by_segment = "/results/journey_customer_friction?segment=loyal&page_size=3"  # reads the customers table
    filtered = client.get(by_segment, headers=everyone)
    assert server.pages.hits == hits + 1 and other.json()["total"] >= first.json()["total"] and filtered.status_code == 200
    version = server.scope_version
    ingested = client.post("/ingest/teams/rows", json={"rows": [{"team_id": "team_cache", "name": "C", "region": "DE"}]},
                           headers=token(client, "ana"))
    assert ingested.status_code == 200 and server.scope_version == version + 1
    assert client.get(url, headers=everyone).content == other.content and server.pages.hits == hits + 2  # kept
    client.get(url, headers=headers)
    client.get(by_segment, headers=everyone)
    assert server.pages.hits == hits + 2  # the lead's page and the filtered one: computed afresh
