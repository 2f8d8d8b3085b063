"""EX ↔ CX: the planted link (engaged agents serve with more empathy) is recovered by the mixed model on seeds
1–5, and no team or site of fewer than 5 employees is shown."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.diagnose.evidence import customer_evidence, employee_experience
from empathica.diagnose.exlink import MIN_EMPLOYEES, ExCxLink, group_table
from tests.diagnose.conftest import demo_store


_WORLDS: dict[int, tuple] = {}


def _world(tmp_path_factory, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(customer evidence, employee experience, company measures) of the 1,500-customer world of ``seed``, built once."""
    from empathica.diagnose.evidence import company_measures
    from empathica.store import Store

    if seed not in _WORLDS:
        path, settings = demo_store(tmp_path_factory, seed)
        with Store.open(path, settings=settings, read_only=True) as store:
            _WORLDS[seed] = (customer_evidence(store), employee_experience(store), company_measures(store))
    return _WORLDS[seed]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_planted_engagement_link_is_recovered(tmp_path_factory, seed):
    customers, staff, _ = _world(tmp_path_factory, seed)
    frame = customers.drop(columns=["team_id"]).assign(retained=1 - customers["churned"])
    links = ExCxLink().fit(frame, staff).links_.set_index(["measure", "outcome"])
    retention, csat = links.loc[("engagement", "retention")], links.loc[("engagement", "csat")]
    assert retention["slope_per_sd"] > 0 and csat["slope_per_sd"] > 0
    assert retention["ci_low"] > 0 or csat["ci_low"] > 0  # at least one outcome clear of zero at 95 %
    assert retention["ci_low"] < retention["slope_per_sd"] < retention["ci_high"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_planted_low_engagement_team_has_the_lowest_ecosystem_score(tmp_path_factory, seed):
    from empathica.demo.truths import TRUTHS
    from empathica.diagnose.rules import load_rules
    from empathica.diagnose.scorecard import Scorecard

    customers, _, company = _world(tmp_path_factory, seed)
    scores = Scorecard(rules=load_rules(), n_bootstrap=50).fit(customers, company).scores_
    teams = scores[(scores["scope"] == "team_id") & (scores["dimension"] == "ecosystem")].set_index("group")
    assert len(teams) >= 3 and teams["score"].idxmin() == TRUTHS.low_engagement_team
    assert teams.loc[TRUTHS.low_engagement_team, "score_high"] < teams.drop(TRUTHS.low_engagement_team)["score_low"].min()
    # sites (the serving team's region): Shenzhen is contact centre B alone, Leeds contact centre A with the
    # returns desk, so Leeds scores between its two teams and below Shenzhen
    sites = scores[(scores["scope"] == "site") & (scores["dimension"] == "ecosystem")].set_index("group")
    assert set(sites.index) == {"Leeds", "Shenzhen"}
    assert sites.loc["Shenzhen", "score"] == pytest.approx(teams.loc["team_contact_b", "score"])
    assert teams.loc[TRUTHS.low_engagement_team, "score"] < sites.loc["Leeds", "score"] < teams.loc["team_contact_a", "score"]
    assert sites.loc["Leeds", "score_high"] < sites.loc["Shenzhen", "score_low"]


def test_groups_under_five_employees_are_not_shown():
    teams = pd.DataFrame({"team_id": ["big", "small", "edge"], "site": ["north", "south", "south"],
                          "engagement": [3.5, 2.0, 4.0], "enps": [10.0, -50.0, 30.0], "employees": [12, 3, 5]})
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(9)], "team_id": ["big"] * 3 + ["small"] * 3 + ["edge"] * 3,
                              "nps": [9, 8, 7, 2, 3, 1, 6, 7, 8], "csat": [5, 4, 4, 1, 2, 1, 3, 4, 4], "retained": [1] * 9})
    shown = group_table(customers, teams)
    assert set(shown.loc[shown["level"] == "team", "group"]) == {"big", "edge"}  # "small" (3 employees) is left out
    assert (shown["employees"] >= MIN_EMPLOYEES).all()
    south = shown[(shown["level"] == "site") & (shown["group"] == "south")].iloc[0]
    # the small team is left out of its site too: south minus edge must not reveal it
    assert south["employees"] == 5 and south["nps"] == pytest.approx(7.0)
    assert not shown.isin(["small"]).any().any()


def test_too_few_serving_employees_is_a_clear_error():
    from empathica.errors import NotEnoughDataError

    staff = pd.DataFrame({"employee_id": ["a", "b"], "team_id": ["t", "t"], "site": ["s", "s"], "engagement": [3.0, 4.0],
                          "enps": [5.0, 8.0]})
    customers = pd.DataFrame({"customer_id": ["c1", "c2"], "employee_id": ["a", "b"], "nps": [3, 9], "retained": [1, 0]})
    with pytest.raises(NotEnoughDataError, match="at least 6 employees"):
        ExCxLink().fit(customers, staff)
