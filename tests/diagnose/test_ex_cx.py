"""EX ↔ CX: the planted links (engaged agents serve with more empathy; the sites whose employees are more engaged
serve their customers better) are recovered by the mixed models on seeds 1–5 and other sizes, and no team or site
of fewer than 5 employees is shown."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.diagnose.evidence import customer_evidence, employee_experience
from empathica.diagnose.exlink import MIN_EMPLOYEES, ExCxLink, group_table
from empathica.demo.truths import TRUTHS
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
    links = ExCxLink(measures=("engagement",)).fit(frame, staff).links_.set_index(["level", "measure", "outcome"])
    retention, csat = links.loc[("employee", "engagement", "retention")], links.loc[("employee", "engagement", "csat")]
    assert retention["slope_per_sd"] > 0 and csat["slope_per_sd"] > 0
    assert retention["ci_low"] > 0 or csat["ci_low"] > 0  # at least one outcome clear of zero at 95 %
    assert retention["ci_low"] < retention["slope_per_sd"] < retention["ci_high"]
    # the planted site-level link: the serving sites (more than two) are a level of their own, and between them
    # the site's mean engagement goes with its customers' CSAT and retention (retention clear of zero)
    site = links.loc["site"]
    assert set(staff.loc[staff["employee_id"].isin(frame["employee_id"]), "site"]) == set(TRUTHS.serving_sites)
    assert (site["sites"] == len(TRUTHS.serving_sites)).all()
    assert site.loc[("engagement", "csat"), "slope_per_sd"] > 0 and site.loc[("engagement", "retention"), "ci_low"] > 0


def _from_files(folder) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customers with the agent who served them most, CSAT and retention; employees with site and survey means)
    read from a demo world's files."""
    def read(name):
        return pd.read_csv(folder / f"{name}.csv") if (folder / f"{name}.csv").exists() else pd.read_json(folder / f"{name}.jsonl", lines=True)

    turns, conversations, customers = read("turns"), read("conversations"), read("customers")
    served = turns.dropna(subset=["agent_id"]).merge(conversations[["conversation_id", "customer_id"]], on="conversation_id")
    main = (served.groupby(["customer_id", "agent_id"]).size().rename("n").reset_index()
            .sort_values(["customer_id", "n", "agent_id"], ascending=[True, False, True]).drop_duplicates("customer_id"))
    frame = (main.rename(columns={"agent_id": "employee_id"})[["customer_id", "employee_id"]]
             .merge(customers.assign(retained=customers["churned_at"].isna().astype(int))[["customer_id", "retained"]], on="customer_id")
             .merge(read("feedback").groupby("customer_id")["csat"].mean().reset_index(), on="customer_id", how="left"))
    surveys = read("employee_surveys")
    staff = (surveys.groupby(["employee_id", "team_id"]).agg(engagement=("engagement", "mean"), enps=("enps", "mean")).reset_index()
             .merge(read("employees")[["employee_id", "site"]], on="employee_id"))
    return frame, staff


@pytest.mark.parametrize("seed,customers", [(6, 2000), (2, 3000)])
def test_the_planted_site_link_is_recovered_at_other_sizes(tmp_path, seed, customers):
    """From the demo's files at other seeds and sizes (the 1,500-customer stores above cover seeds 1–5): between
    the serving sites, the site's mean engagement goes with its customers' retention, the interval above zero."""
    from empathica.demo import generate_world

    generate_world(tmp_path, customers=customers, seed=seed)
    frame, staff = _from_files(tmp_path)
    links = ExCxLink(measures=("engagement",)).fit(frame, staff).links_.set_index(["level", "measure", "outcome"])
    site = links.loc[("site", "engagement", "retention")]
    assert site["sites"] == len(TRUTHS.serving_sites) and site["ci_low"] > 0
    assert links.loc[("site", "engagement", "csat"), "slope_per_sd"] > 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_planted_low_engagement_team_has_the_lowest_ecosystem_score(tmp_path_factory, seed):
    from empathica.diagnose.rules import load_rules
    from empathica.diagnose.scorecard import Scorecard

    customers, _, company = _world(tmp_path_factory, seed)
    scores = Scorecard(rules=load_rules(), n_bootstrap=50).fit(customers, company).scores_
    teams = scores[(scores["scope"] == "team_id") & (scores["dimension"] == "ecosystem")].set_index("group")
    assert len(teams) >= 3 and teams["score"].idxmin() == TRUTHS.low_engagement_team
    assert teams.loc[TRUTHS.low_engagement_team, "score_high"] < teams.drop(TRUTHS.low_engagement_team)["score_low"].min()
    # sites (where the serving employee works): the planted serving sites, each scored on the customers its
    # employees served
    sites = scores[(scores["scope"] == "site") & (scores["dimension"] == "ecosystem")].set_index("group")
    assert set(sites.index) == set(TRUTHS.serving_sites)
    served = customers.dropna(subset=["site"]).groupby("site").size()
    assert (sites["customers"] == served[sites.index]).all()


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


def test_sites_where_employees_work_are_shown_from_their_own_figures():
    """Sites that cut across teams (``employees.site``): a site's row takes its employees' figures and the outcomes
    of the customers they served; a site of fewer than 5 employees is not shown, nor are the customers of a team
    too small to show."""
    teams = pd.DataFrame({"team_id": ["a", "b", "tiny"], "site": ["x", "x", "x"], "engagement": [3.0, 4.0, 1.0],
                          "enps": [0.0, 20.0, -80.0], "employees": [6, 6, 2]})
    sites = pd.DataFrame({"site": ["north", "south", "east"], "engagement": [3.2, 3.8, 2.0], "enps": [5.0, 15.0, 0.0],
                          "employees": [7, 5, 2]})
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(6)], "team_id": ["a", "b", "tiny", "a", "b", "a"],
                              "site": ["north", "north", "north", "south", "south", "east"],
                              "nps": [8, 6, 0, 9, 9, 1], "retained": [1, 1, 0, 1, 0, 1]})
    shown = group_table(customers, teams, sites=sites).set_index(["level", "group"])
    assert set(shown.loc["site"].index) == {"north", "south"}  # east: 2 employees
    assert shown.loc[("site", "north"), "customers"] == 2 and shown.loc[("site", "north"), "nps"] == pytest.approx(7.0)
    assert shown.loc[("site", "south"), "engagement"] == pytest.approx(3.8)
    assert "tiny" not in shown.loc["team"].index
