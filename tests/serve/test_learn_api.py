"""Learn's API on the small demo store: register and list actions (validated like the CLI, errors name the field),
read effects, event study, benchmark and timeline through the result machinery (pages, export, scope, audit),
reviews through the ingest route, and experiments and power computed on the rows sent."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from empathica.learn.experiments import analyze_experiment, required_sample_size
from tests.serve.conftest import finished_job, token

LEARN_READS = ["/learn/effects", "/learn/event-study", "/learn/timeline", "/learn/benchmark/brands",
               "/learn/benchmark/comparison", "/learn/benchmark/over-time", "/learn/benchmark/over-time-comparison",
               "/learn/experiments"]


def _run_learn(client, headers) -> str:
    job = client.post("/runs", json={"only": ["learn"]}, headers=headers)
    assert job.status_code == 202, job.text
    state = finished_job(client, headers, job.json()["job_id"], seconds=300)
    assert state["status"] == "published", state
    return state["run_id"]


@pytest.fixture(scope="module")
def learned(served):
    """The served store after an action was registered through the API and the learn step ran (POST /runs)."""
    client, server = served
    headers = token(client, "ana")
    with server.reading() as store:
        agents = store.to_pandas("employees")["employee_id"].head(2).tolist()
    body = {"title": "Coaching via the API", "starts_at": "2024-01-08", "agents": agents, "expected_metric": "churn",
            "expected_direction": "down", "action_id": "act_api_1"}
    response = client.post("/actions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return client, server, _run_learn(client, headers)


def test_an_action_registered_through_the_api_is_stored_and_listed(learned):
    client, _, _ = learned
    listed = client.get("/actions", headers=token(client, "vic")).json()
    ours = [a for a in listed["actions"] if a["action_id"] == "act_api_1"]
    assert len(ours) == 1 and ours[0]["source"] == "api" and ours[0]["expected_metric"] == "churn"
    assert listed["total"] == len(listed["actions"]) >= 1
    assert any(e["action"] == "action_recorded" and e["target"] == "act_api_1" for e in _audit(client))


def _audit(client) -> list[dict]:
    return client.get("/audit?page_size=1000", headers=token(client, "root")).json()["entries"]


@pytest.mark.parametrize("change, field", [
    ({"starts_at": "not a date"}, "starts_at"),
    ({"ends_at": "2020-01-01"}, "ends_at"),  # before the start
    ({"agents": ["agent_nobody"]}, "agents"),
    ({"team_id": "team_nobody"}, "team_id"),
    ({"touchpoint_id": "tp_nowhere"}, "touchpoint_id"),
    ({"expected_metric": "happiness"}, "expected_metric"),
    ({"expected_direction": "sideways"}, "expected_direction"),
    ({"title": "   "}, "title"),
])
def test_a_bad_action_is_refused_with_the_field_named(served, change, field):
    client, server = served
    body = {"title": "Bad action", "starts_at": "2024-02-01", **change}
    response = client.post("/actions", json=body, headers=token(client, "ana"))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_action" and error["field"] == field
    with server.reading() as store:
        assert "Bad action" not in set(store.to_pandas("actions")["title"])


def test_an_action_id_cannot_be_recorded_twice(learned):
    client, _, _ = learned
    again = client.post("/actions", json={"title": "Again", "starts_at": "2024-03-01", "action_id": "act_api_1"},
                        headers=token(client, "ana"))
    assert again.status_code == 400 and again.json()["error"]["field"] == "action_id"


def test_a_viewer_cannot_register_an_action(served):
    client, _ = served
    response = client.post("/actions", json={"title": "x", "starts_at": "2024-01-01"}, headers=token(client, "vic"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_learn_results_are_read_like_every_result(learned):
    client, server, run_id = learned
    headers = token(client, "vic")
    with server.reading() as store:
        stored = {"/learn/timeline": store.read_result("learn_timeline"),
                  "/learn/benchmark/comparison": store.read_result("learn_benchmark_comparison")}
    for path, frame in stored.items():
        page = client.get(f"{path}?page_size=3", headers=headers).json()
        assert page["total"] == len(frame) > 0 and len(page["rows"]) == min(3, len(frame))
        assert {r["run_id"] for r in page["rows"]} == {run_id}
        same = client.get(f"/results/{page['result']}?page_size=3", headers=headers).json()
        assert same["rows"] == page["rows"]  # one machinery: the same rows, the same order
    timeline = client.get("/learn/timeline?page_size=1000", headers=headers).json()["rows"]
    assert {"delivery", "ecosystem"} <= {r["dimension"] for r in timeline}
    assert run_id in {r["source_run"] for r in timeline}
    comparison = stored["/learn/benchmark/comparison"]
    lang = sorted(set(comparison["lang"]))[-1]
    one = client.get(f"/learn/benchmark/comparison?language={lang}&page_size=1000", headers=headers).json()
    assert one["total"] == int((comparison["lang"] == lang).sum()) and {r["lang"] for r in one["rows"]} == {lang}
    assert client.get("/learn/benchmark/comparison?language=xx", headers=headers).json()["total"] == 0
    bad = client.get("/learn/benchmark/comparison?team=x", headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "team"
    assert any(e["action"] == "read" and e["target"] == "learn_timeline" for e in _audit(client))


def test_learn_results_export_for_analysts_only(learned):
    client, _, _ = learned
    csv = client.get("/learn/benchmark/brands?format=csv", headers=token(client, "ana"))
    assert csv.status_code == 200 and csv.headers["content-disposition"].startswith("attachment")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert {"brand", "area", "rating", "rating_ci_low"} <= set(frame.columns)
    refused = client.get("/learn/benchmark/brands?format=csv", headers=token(client, "vic"))
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "format"


def test_every_learn_read_answers_json_or_a_clear_error(learned):
    client, _, _ = learned
    for path in LEARN_READS:
        response = client.get(path, headers=token(client, "vic"))
        assert response.status_code in (200, 404), (path, response.text)
        assert "error" in response.json() or "rows" in response.json()


def test_reviews_arrive_through_the_ingest_route(served):
    client, server = served
    rows = [{"review_id": "api_rev_1", "brand": "Voltera", "is_own": True, "rating": 5, "text": "Fast delivery, great",
             "timestamp": "2024-05-01T10:00:00Z", "language": "en"},
            {"review_id": "api_rev_2", "brand": "Rival", "is_own": False, "rating": 2, "text": "Slow delivery",
             "timestamp": "2024-05-02T10:00:00Z", "language": "en"}]
    response = client.post("/ingest/reviews/rows", json={"rows": rows}, headers=token(client, "ana"))
    assert response.status_code == 200, response.text
    assert response.json()["ingested"][0]["table"] == "reviews"
    with server.reading() as store:
        assert {"api_rev_1", "api_rev_2"} <= set(store.to_pandas("reviews")["review_id"])


def test_an_experiment_sent_as_rows_is_analysed_like_the_cli_does(served):
    client, _ = served
    rng = np.random.default_rng(4)
    pre = rng.normal(10, 2, 400)
    arm = np.where(np.arange(400) % 2 == 0, "control", "treatment")
    outcome = pre + rng.normal(0, 1, 400) + np.where(arm == "treatment", 0.5, 0.0)
    units = [{"arm": a, "outcome": float(y), "pre": float(x)} for a, y, x in zip(arm, outcome, pre)]
    response = client.post("/learn/experiments", json={"units": units}, headers=token(client, "ana"))
    assert response.status_code == 200, response.text
    got = response.json()["experiment"]
    expected = analyze_experiment(pd.DataFrame({"arm": arm, "outcome": outcome, "pre": pre}), arm="arm", outcome="outcome",
                                  covariate="pre")
    assert got["difference"] == pytest.approx(expected.difference) and got["cuped"] is True
    assert got["ci_low"] < 0.5 < got["ci_high"] and not got["sample_ratio_mismatch"]
    three = units + [{"arm": "other", "outcome": 1.0}]
    bad = client.post("/learn/experiments", json={"units": three}, headers=token(client, "ana"))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "units"
    assert client.post("/learn/experiments", json={"units": units}, headers=token(client, "vic")).status_code == 403


def test_power_before_launch(served):
    client, _ = served
    response = client.post("/learn/power", json={"mde": 0.02, "baseline_rate": 0.2}, headers=token(client, "vic"))
    assert response.json()["per_arm"] == required_sample_size(mde=0.02, baseline_rate=0.2)
    both = client.post("/learn/power", json={"mde": 0.02, "baseline_rate": 0.2, "sd": 1}, headers=token(client, "vic"))
    assert both.status_code == 400 and both.json()["error"]["code"] == "bad_power"


def test_the_stored_experiments_are_served_after_the_learn_step(learned):
    client, _, _ = learned
    body = client.get("/learn/experiments?page_size=1000", headers=token(client, "vic")).json()
    rows = pd.DataFrame(body["rows"])
    primary = rows[rows["primary"]]  # the demo's two experiments, each arm against control on its declared metric
    assert set(zip(primary["experiment_id"], primary["metric"], primary["arm"])) == {
        ("exp_free_delivery_2023_07", "revenue", "free_delivery"), ("exp_free_delivery_2023_07", "revenue", "newsletter"),
        ("exp_home_banner_2024_01", "churn", "new_banner")}
    assert (rows["ci_low"] <= rows["difference"]).all() and (rows["difference"] <= rows["ci_high"]).all()
