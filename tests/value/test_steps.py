"""The drivers and value flywheel steps on a store, and revenue at risk / ROI scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathica.errors import NotEnoughDataError
from empathica.flywheel import run_flywheel
from empathica.learn.impact import OutcomeChurnLink, Scenario, revenue_at_risk, scenario_value
from empathica.understand.drivers import DriverAnalysis
from tests.value.world import fill_store


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    from empathica.settings import Settings
    from empathica.store import Store

    folder = tmp_path_factory.mktemp("value")
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    with Store.open(folder / "v.duckdb", settings=settings) as store:
        fill_store(store, n=500, seed=1)
        sections = {s.key: s for s in run_flywheel(store, only=["drivers", "value"])}
        yield store, sections


def test_drivers_step_finds_the_planted_touchpoint(ran):
    store, sections = ran
    assert not sections["drivers"].skipped
    importance = store.read_result("drivers_importance")
    assert importance["driver"].iloc[0] == "csat_delivery"
    touchpoints = importance[importance["source"] != "customer attribute"]
    assert set(touchpoints["driver"]) == {"csat_delivery", "csat_web_checkout", "csat_service"}
    assert importance["driver"].str.startswith("attr_").any()  # customer attributes are candidates too
    customers = store.read_result("drivers_customer")
    assert customers["csat_service"].isna().mean() > 0.3  # sparse driver kept, not imputed
    assert any(b.__class__.__name__ == "Figure" for b in sections["drivers"].blocks)


def test_value_step_writes_clv_churn_and_risk(ran):
    store, sections = ran
    section = sections["value"]
    assert not section.skipped, section.skipped
    clv = store.read_result("value_clv")
    assert {"customer_id", "p_alive", "expected_purchases", "expected_spend", "clv", "segment"} <= set(clv.columns)
    assert (clv["clv"] >= 0).all() and len(clv) == 500
    risk = store.read_result("value_revenue_at_risk")
    np.testing.assert_allclose(risk["revenue_at_risk"], risk["p_churn"] * risk["clv"].clip(lower=0))
    reliability = store.read_result("value_churn_reliability")
    assert reliability["rows"].sum() > 100
    holdout = store.read_result("value_clv_holdout")
    assert holdout["customers"].sum() > 0 and (holdout["predicted"] >= 0).all()
    from empathica.schema.results import RESULTS

    assert "value_roi_scenarios" not in RESULTS  # scenarios are valued by the decide step (tests/decide)
    assert any(getattr(line, "message_id", "") in ("value.churn_model", "value.detractor_model") for line in section.summary)


def test_steps_on_an_empty_store_say_what_is_missing(store):
    sections = {s.key: s for s in run_flywheel(store, only=["drivers", "value"])}
    assert "NPS" in sections["drivers"].skipped
    assert "transactions table is empty" in sections["value"].skipped  # runs without drivers, says what it lacks


def test_revenue_at_risk_and_a_null_scenario():
    assert revenue_at_risk([0.5, 1.2, 0.1], [100.0, 10.0, -5.0]).tolist() == [50.0, 10.0, 0.0]
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"delivery": rng.normal(size=500), "price": rng.normal(size=500)})
    nps = 7 + 1.5 * X["delivery"] + rng.normal(size=500)
    churned = rng.random(500) < 1 / (1 + np.exp(1.0 + 0.8 * (nps - 7)))
    drivers = DriverAnalysis(n_bootstrap=50).fit(X, nps)
    link = OutcomeChurnLink(n_bootstrap=50).fit(nps, churned)
    assert link.slope_ < 0
    clv = np.full(500, 100.0)
    none = scenario_value(Scenario("nothing", {"delivery": 0.0}), drivers, link, outcome=nps, clv=clv)
    assert none.revenue == 0.0 and none.revenue_low == 0.0
    lift = scenario_value(Scenario("delivery +0.5", {"delivery": 0.5}, affected=np.arange(500) < 250), drivers, link, outcome=nps, clv=clv)
    assert lift.customers_affected == 250 and lift.revenue_low < lift.revenue < lift.revenue_high and lift.revenue > 0
    with pytest.raises(NotEnoughDataError):
        OutcomeChurnLink().fit(nps[:10], churned[:10])


def test_demo_world_delivery_ranks_first_and_purchase_process_is_recovered(tmp_path):
    demo = pytest.importorskip("empathica.demo")
    if not hasattr(demo, "generate_world"):
        pytest.skip("the demo world generator has not landed yet")
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store
    from empathica.demo.truths import TRUTHS

    world = demo.generate_world(tmp_path / "world", customers=1500, seed=3)
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(tmp_path / "demo.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        sections = {s.key: s for s in run_flywheel(store, only=["drivers", "value"])}
        assert not sections["drivers"].skipped, sections["drivers"].skipped
        importance = store.read_result("drivers_importance")
        assert importance["driver"].iloc[0] == f"csat_{TRUTHS.nps_driver_touchpoint}"
        assert not sections["value"].skipped, sections["value"].skipped
        params = store.read_result("value_clv_params").iloc[0]
        true, spend = TRUTHS.bgnbd, TRUTHS.gamma_gamma
        # a few thousand purchases pin down the population means far better than the four shapes:
        # mean purchase rate r/alpha, mean dropout probability a/(a+b), mean spend p·gamma/(q−1)
        assert params["r"] / params["alpha"] == pytest.approx(true["r"] / true["alpha"], rel=0.2)
        assert params["a"] / (params["a"] + params["b"]) == pytest.approx(true["a"] / (true["a"] + true["b"]), rel=0.2)
        assert params["p"] * params["gamma"] / (params["q"] - 1) == pytest.approx(
            spend["p"] * spend["gamma"] / (spend["q"] - 1), rel=0.2)
        assert params["r"] == pytest.approx(true["r"], rel=0.5)
        if store.has_result("drivers_teams"):
            assert store.read_result("drivers_teams")["team_id"].iloc[0] == TRUTHS.low_engagement_team


# -- review follow-ups on a small demo world with the text step run first ------------------------------
@pytest.fixture(scope="module")
def demo_ran(tmp_path_factory):
    demo = pytest.importorskip("empathica.demo")
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    folder = tmp_path_factory.mktemp("demo_value")
    world = demo.generate_world(folder / "world", customers=300, seed=7)
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    with Store.open(folder / "demo.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        sections = {s.key: s for s in run_flywheel(store, only=["text", "drivers", "value"])}
        yield store, sections


def test_pain_points_reach_the_drivers_step_linked_to_their_customers(demo_ran):
    from empathica.demo.truths import TRUTHS

    store, sections = demo_ran
    assert not sections["drivers"].skipped, sections["drivers"].skipped
    customers = store.read_result("drivers_customer")
    pains = [c for c in customers.columns if c.startswith("pain_")]
    assert f"pain_{TRUTHS.top_pain_points[0]}" in pains and len(pains) == 5
    assert (customers[pains] >= 0).all().all() and customers[pains].notna().all().all()
    assert (customers[pains].sum(axis=1) > 0).mean() > 0.1  # many customers complained about something
    importance = store.read_result("drivers_importance")
    assert set(pains) <= set(importance["driver"])
    assert importance.set_index("driver").loc[pains, "source"].str.startswith("text:").all()
    # the planted NPS driver still leads: NPS comments, which explain the score itself, are not drivers
    assert importance["driver"].iloc[0] == f"csat_{TRUTHS.nps_driver_touchpoint}"


def test_customers_already_lost_have_no_live_value_and_are_certain_churners(demo_ran):
    store, sections = demo_ran
    assert not sections["value"].skipped, sections["value"].skipped
    churned = set(store.table("customers").filter(lambda c: c.churned_at.notnull()).customer_id.to_pandas())
    clv = store.read_result("value_clv")
    lost = clv["customer_id"].isin(churned)
    assert lost.sum() > 10  # the demo world has churners who bought before they left
    assert (clv.loc[lost, "status"] == "already lost").all() and (clv.loc[~lost, "status"] == "active").all()
    assert (clv.loc[lost, ["clv", "p_alive", "expected_purchases"]] == 0).all().all()
    assert (clv.loc[~lost, "clv"] > 0).all()
    segments = store.read_result("value_clv_segments")
    assert segments["clv_total"].sum() == pytest.approx(clv["clv"].sum())
    assert segments["already_lost"].sum() == lost.sum() and segments["customers"].sum() == (~lost).sum()
    risk = store.read_result("value_revenue_at_risk").set_index("customer_id")
    assert (risk.loc[list(set(clv.loc[lost, "customer_id"])), "p_churn"] == 1.0).all()
    assert (risk.loc[list(set(clv.loc[lost, "customer_id"])), "revenue_at_risk"] == 0.0).all()
    assert risk["p_churn"].notna().all()
    from empathica.report.i18n import render

    assert any("already lost" in (line if isinstance(line, str) else render(line)) for line in sections["value"].summary)
