"""Quality gates and user scenarios without a demo world: a model near chance shows no money, a bad
scenario is one clear line, a planted effect is valued with the right sign."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from empathica.decide.response import ChurnResponse
from empathica.decide.scenarios import parse_scenarios
from empathica.errors import SettingsError
from empathica.report.html import render_report
from empathica.report.summary import executive_summary
from empathica.schema.results import DECIDE_MODEL, DECIDE_OPPORTUNITIES

rng = np.random.default_rng(3)


def _levers(n=1500):
    return pd.DataFrame({"path:a>b": (rng.random(n) < 0.2).astype(float), "empathy_received": rng.uniform(0, 1, n),
                         "csat_delivery": np.where(rng.random(n) < 0.5, rng.integers(1, 6, n), np.nan)})


def test_a_planted_effect_is_valued_with_its_sign_and_an_interval():
    X = _levers()
    churned = rng.random(len(X)) < 0.05 + 0.3 * X["path:a>b"] + 0.1 * (1 - X["empathy_received"])
    model = ChurnResponse(n_bootstrap=40).fit(X, churned)
    assert model.usable and model.auc_ > 0.65
    hit = X["path:a>b"] > 0
    gain = model.value_of_change(X[hit], X[hit].assign(**{"path:a>b": 0.0}), np.full(hit.sum(), 100.0))
    assert 0 < gain.low < gain.revenue < gain.high and gain.churn_change < 0
    # the true effect: about 0.3 fewer churners per customer × 100 each
    assert gain.revenue / hit.sum() == pytest.approx(30, rel=0.35)


def test_a_model_near_chance_is_not_usable():
    X = _levers()
    model = ChurnResponse(n_bootstrap=10).fit(X, rng.random(len(X)) < 0.2)
    assert not model.usable and model.auc_ < 0.6


def test_the_summary_shows_no_money_when_the_model_validates_near_chance(store):
    store.write_result(DECIDE_MODEL, pd.DataFrame([{"customers": 900, "churn_rate": 0.2, "roc_auc": 0.52, "min_auc": 0.6,
                                                     "usable": False, "levers": json.dumps(["x"]), "bootstrap_fits": 10,
                                                     "contacts": None, "contacts_left": None, "contact_empathy_coef": None,
                                                     "contact_leaving_at_0_2": None, "contact_leaving_at_0_6": None}]),
                       step="decide")
    store.write_result(DECIDE_OPPORTUNITIES, pd.DataFrame([{
        "rank": 1, "key": "pathway:a>b", "kind": "pathway", "message_id": "decide.opportunity.pathway",
        "values": json.dumps({"source": "Web", "target": "Call"}), "customers": 50, "revenue": 999.0, "revenue_low": 10.0,
        "revenue_high": 2000.0, "currency": "EUR", "churn_change": -0.1, "money_shown": False, "confidence": "low",
        "owner_team_id": "t", "owner": "Team", "evidence": "journey_friction", "evidence_section": "journeys",
        "evidence_key": "a → b", "model_auc": 0.52, "previous_rank": None, "previous_revenue": None, "trend_basis": "run",
        "trend_message_id": "decide.trend.run_first", "trend_values": "{}", "part_of": None,
        "revenue_alone": 900.0}]), step="decide")
    summary = executive_summary(store)
    assert summary.items == []
    assert [n.message_id for n in summary.notes][0] == "decide.gate.model"
    html = render_report([], title="T", summary=summary, lang="de")
    assert "ROC AUC 0,52" in html and "€" not in html


@pytest.mark.parametrize("text", ["touchpoint:delivery", "colour:red:+1", "agents:a,b:lots", "pathway::+1"])
def test_a_bad_scenario_is_one_line_naming_it_and_the_form(text):
    with pytest.raises(SettingsError) as caught:
        parse_scenarios(text, origin="--scenario")
    message = str(caught.value)
    assert "\n" not in message and repr(text) in message and "KIND:TARGET:CHANGE" in message


@pytest.mark.parametrize("text", ["agents:agent_05:+0.2", "agents:agent_05,agent_10:-20%"])
def test_an_agents_scenario_other_than_median_is_refused_saying_what_it_does(text):
    with pytest.raises(SettingsError) as caught:
        parse_scenarios(text, origin="--scenario")
    message = str(caught.value)
    assert "\n" not in message and repr(text) in message and "median agent" in message and "empathy gaps" in message


def test_scenarios_parse_from_the_setting():
    specs = parse_scenarios("touchpoint:delivery:+0.5; agents:agent_05,agent_10:median ;pathway:web>call:-50%")
    assert [(s.kind, s.target, s.change) for s in specs] == [
        ("touchpoint", "delivery", "+0.5"), ("agents", "agent_05,agent_10", "median"), ("pathway", "web>call", "-50%")]


def test_scenarios_as_a_toml_list_keep_their_commas(tmp_path):
    from empathica.settings import Settings

    config = tmp_path / "e.toml"
    config.write_text('scenarios = ["agents:agent_05,agent_10:median", "touchpoint:delivery:+0.5"]\n', encoding="utf-8")
    specs = parse_scenarios(Settings.load(config_file=config).scenarios)
    assert [s.target for s in specs] == ["agent_05,agent_10", "delivery"]
