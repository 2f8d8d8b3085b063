"""The five-dimension scorecard: rules from a data file (shipped or the user's), scores between the anchors in
the declared direction, intervals around them, small groups not scored, the trend against the previous run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathica.diagnose.evidence import COMPANY_METRICS, CUSTOMER_METRICS
from empathica.diagnose.rules import DIMENSIONS, load_rules
from empathica.diagnose.scorecard import Scorecard, with_trend
from empathica.errors import InputError

KNOWN = set(CUSTOMER_METRICS) | set(COMPANY_METRICS)


def _customers(n=400, seed=1):
    rng = np.random.default_rng(seed)
    region = np.where(np.arange(n) < n - 10, np.where(np.arange(n) % 2, "DE", "CN"), "tiny")
    csat = np.where(region == "DE", 4.5, 2.0) + rng.normal(0, 0.3, n)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "region": region, "segment": "loyal", "team_id": None,
                         "csat": csat.clip(1, 5), "empathy_received": rng.uniform(0, 1, n), "empathy_gap_rate": 0.1,
                         "handoff_share": np.where(region == "DE", 0.0, 0.5)})


def test_the_shipped_rules_cover_the_five_dimensions_with_known_metrics():
    rules = load_rules(known_metrics=KNOWN)
    assert {r.dimension for r in rules} == set(DIMENSIONS)
    assert all(r.weight > 0 and r.worst != r.best for r in rules)


def test_scores_follow_the_anchors_and_direction_and_small_groups_are_not_scored():
    card = Scorecard(rules=load_rules(), n_bootstrap=100).fit(_customers(), {"touchpoint_coverage": 0.5})
    s = card.scores_.set_index(["scope", "group", "dimension"])
    assert s.loc[("region", "DE", "touchpoints"), "score"] > s.loc[("region", "CN", "touchpoints"), "score"]
    ev = card.evidence_.set_index(["scope", "group", "dimension", "metric"])
    assert ev.loc[("region", "DE", "delivery", "handoff_share"), "score"] == 100  # lower is better: 0 hand-offs
    assert ev.loc[("region", "CN", "delivery", "handoff_share"), "score"] == 0
    assert ev.loc[("all", "all", "touchpoints", "touchpoint_coverage"), "score"] == pytest.approx(50)
    assert "tiny" not in set(card.scores_["group"])  # 10 customers: under the 30 a group needs
    assert ((card.scores_["score_low"] <= card.scores_["score"] + 1e-9) & (card.scores_["score"] <= card.scores_["score_high"] + 1e-9)).all()
    assert "pathways" not in set(card.scores_["dimension"])  # no pathway data: no score, not a zero


def test_a_users_rules_file_changes_the_weights_and_bad_files_are_named(tmp_path):
    own = tmp_path / "rules.toml"
    own.write_text('[dimensions.touchpoints]\nmetrics = [{ metric = "csat", level = "customer", worst = 1, best = 3, weight = 1 }]\n',
                   encoding="utf-8")
    card = Scorecard(rules=load_rules(own, known_metrics=KNOWN), n_bootstrap=50).fit(_customers(), {})
    assert set(card.scores_["dimension"]) == {"touchpoints"}
    assert card.scores_.set_index(["scope", "group"]).loc[("region", "DE"), "score"] == 100  # all above "best" = 3
    own.write_text('[dimensions.touchpoints]\nmetrics = [{ metric = "csat", level = "customer", worst = 1, best = 3 }]\n',
                   encoding="utf-8")
    with pytest.raises(InputError, match=r"rules.toml: dimensions.touchpoints, metric 1: field\(s\) weight missing"):
        load_rules(own)
    own.write_text('[dimensions.vibes]\nmetrics = []\n', encoding="utf-8")
    with pytest.raises(InputError, match="'vibes' is not one of touchpoints"):
        load_rules(own)
    own.write_text('[dimensions.empathy]\nmetrics = [{ metric = "smiles", level = "customer", worst = 0, best = 1, weight = 1 }]\n',
                   encoding="utf-8")
    with pytest.raises(InputError, match="metric 'smiles' is unknown"):
        load_rules(own, known_metrics=KNOWN)


def test_the_trend_is_the_change_since_the_previous_scorecard():
    now = pd.DataFrame({"scope": ["all", "all"], "group": ["all", "all"], "dimension": ["empathy", "delivery"],
                        "score": [60.0, 40.0]})
    before = now.assign(score=[50.0, 40.0])
    out = with_trend(now, before).set_index("dimension")
    assert out.loc["empathy", "trend"] == 10 and out.loc["delivery", "trend"] == 0
    assert with_trend(now, None)["trend"].isna().all()


def test_groups_are_scored_per_brand_and_site_and_name_the_team_and_region_they_speak_for():
    from empathica.diagnose.scorecard import with_scope_keys

    customers = _customers(n=240).assign(
        brand=np.where(np.arange(240) % 3 == 0, "Lumen Express", "Lumen"),
        team_id=np.where(np.arange(240) < 120, "t_north", "t_south"))
    customers["site"] = customers["team_id"].map({"t_north": "north", "t_south": "south"})
    customers.loc[customers["team_id"] == "t_north", "csat"] = 4.8  # the north site's customers are satisfied
    card = Scorecard(rules=load_rules(), n_bootstrap=50).fit(customers, {})
    s = card.scores_.set_index(["scope", "group", "dimension"])["score"]
    assert {"brand", "site", "team_id", "region"} <= set(card.scores_["scope"])
    assert set(card.scores_.loc[card.scores_["scope"] == "brand", "group"]) == {"Lumen", "Lumen Express"}
    assert s[("site", "north", "touchpoints")] > s[("site", "south", "touchpoints")]
    assert s[("site", "north", "touchpoints")] == pytest.approx(s[("team_id", "t_north", "touchpoints")])  # its only team
    teams = pd.DataFrame({"team_id": ["t_north", "t_south"], "region": ["north", "south"]})
    keyed = with_scope_keys(card.scores_, teams).set_index(["scope", "group", "dimension"])
    assert keyed.loc[("team_id", "t_south", "touchpoints"), ["team_id", "region"]].tolist() == ["t_south", "south"]
    assert keyed.loc[("site", "north", "touchpoints"), "region"] == "north"
    assert keyed.loc[("region", "DE", "touchpoints"), "region"] == "DE"
    assert pd.isna(keyed.loc[("region", "DE", "touchpoints"), "team_id"])
    assert keyed.loc[("brand", "Lumen", "touchpoints"), ["team_id", "region"]].isna().all()  # nobody's team or region
    assert keyed.loc[("all", "all", "touchpoints"), ["team_id", "region"]].isna().all()


def test_sla_attainment_counts_a_late_resolution_as_missed():
    from empathica.diagnose.evidence import sla_attainment

    now = pd.Timestamp("2024-06-30", tz="UTC")
    due = pd.Timestamp("2024-06-10", tz="UTC")
    cases = pd.DataFrame({
        "status": ["resolved", "resolved", "closed", "open", "in_progress", "closed"],
        "resolution_due": [due, due, due, due, pd.Timestamp("2024-07-05", tz="UTC"), due],
        "resolved_at": [due - pd.Timedelta(days=2), due + pd.Timedelta(days=3), pd.NaT, pd.NaT, pd.NaT, pd.NaT],
        "closed_at": [due, due + pd.Timedelta(days=4), due - pd.Timedelta(hours=1), pd.NaT, pd.NaT, pd.NaT],
    })
    # met: resolved on time, closed on time (no resolution time: the closing counts); missed: resolved 3 days late,
    # still open past due; not counted: active within due, closed with no time recorded
    assert sla_attainment(cases, now=now)["sla_attainment"] == pytest.approx(2 / 4)
    on_time = cases.iloc[[0]]
    assert sla_attainment(on_time, now=now)["sla_attainment"] == 1.0
    assert sla_attainment(cases.iloc[[1]], now=now)["sla_attainment"] == 0.0  # the planted late case alone: missed
    assert sla_attainment(cases.iloc[[4]], now=now) == {}


def test_case_resolution_time_is_the_median_from_opening_to_resolution():
    from empathica.diagnose.evidence import resolution_hours

    opened = pd.Timestamp("2024-06-01", tz="UTC")
    cases = pd.DataFrame({"opened_at": [opened] * 4,
                          "resolved_at": [opened + pd.Timedelta(hours=10), opened + pd.Timedelta(hours=50), pd.NaT, pd.NaT],
                          "closed_at": [pd.NaT, pd.NaT, opened + pd.Timedelta(hours=30), pd.NaT]})  # the last is open
    assert resolution_hours(cases) == {"case_resolution_hours": pytest.approx(30.0)}
    assert resolution_hours(cases.iloc[[3]]) == {}
