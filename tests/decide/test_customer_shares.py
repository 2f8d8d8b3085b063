"""Each customer's part of an opportunity's or scenario's money: the parts of any group of customers add up to the
money the same valuation gives when played on that group alone, so a team's or region's share is a sum."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from empathica.decide.attribution import shapley_valuations
from empathica.decide.opportunities import Lever, value_lever
from empathica.decide.response import ChurnResponse
from empathica.decide.shares import customer_values, scope_share


def _lever(key: str, affected: np.ndarray, change) -> Lever:
    return Lever(key=key, kind="touchpoint", message_id="decide.opportunity.touchpoint", values={}, affected=affected,
                 change=change, owner_team_id=None, evidence="", evidence_section="")


@pytest.fixture(scope="module", params=[3, 19])
def world(request):
    """Customers whose churn rises with two overlapping complaints (a, b) and falls with CSAT; fixes that overlap."""
    rng = np.random.default_rng(request.param)
    n = 1500
    a = (rng.random(n) < 0.3).astype(float)
    b = np.where(a > 0, rng.random(n) < 0.6, rng.random(n) < 0.1).astype(float)
    csat = rng.integers(1, 6, n).astype(float)
    logit = -1.5 + 1.2 * a + 0.9 * b - 0.4 * (csat - 3)
    table = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "a": a, "b": b, "csat": csat,
                          "churned": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
                          "value": rng.gamma(2.0, 50.0, n)})
    model = ChurnResponse(n_bootstrap=10, random_state=0).fit(table[["a", "b", "csat"]], table["churned"])
    levers = [_lever("a", a > 0, lambda f: f.assign(a=0.0)), _lever("b", b > 0, lambda f: f.assign(b=0.0)),
              _lever("csat", (csat < 3) | (a > 0), lambda f: f.assign(csat=f["csat"].clip(lower=3.0), a=f["a"] * 0.5))]
    return table, model, levers, rng.random(n) < 0.35  # a scope: about a third of the customers


def test_a_groups_parts_of_the_shapley_shares_are_the_game_played_on_that_group_alone(world):
    table, model, levers, scope = world
    everyone = shapley_valuations(model, table, levers, orders=8)
    alone = shapley_valuations(model, table[scope].reset_index(drop=True),
                               [replace(lever, affected=lever.affected[scope]) for lever in levers], orders=8)
    parts = customer_values(table, [(lever, everyone[lever.key]) for lever in levers], result="decide_opportunities")
    mine = parts[parts.customer_id.isin(table.customer_id[scope])].groupby("key")["revenue"].sum()
    for lever in levers:
        assert parts[parts.key == lever.key].revenue.sum() == pytest.approx(everyone[lever.key].revenue, rel=1e-9)
        assert (parts.key == lever.key).sum() == lever.affected.sum()
        assert mine[lever.key] == pytest.approx(alone[lever.key].revenue, rel=1e-9)
        assert 0 < mine[lever.key] < everyone[lever.key].revenue


def test_a_groups_parts_of_a_scenario_are_its_value_on_that_group(world):
    table, model, levers, scope = world
    lever = levers[2]
    whole = value_lever(model, table, lever)
    parts = customer_values(table, [(lever, whole)], result="decide_scenarios")
    on_scope = value_lever(model, table[scope], replace(lever, affected=lever.affected[scope]))
    assert parts.revenue.sum() == pytest.approx(whole.revenue, rel=1e-9)
    assert parts[parts.customer_id.isin(table.customer_id[scope])].revenue.sum() == pytest.approx(on_scope.revenue, rel=1e-9)


def test_a_scopes_ranking_is_its_own_share_re_ranked_with_the_interval_scaled():
    rows = pd.DataFrame({
        "rank": [1, 2, 3], "key": ["x", "y", "z"], "revenue": [1000.0, 600.0, 300.0], "revenue_low": [400.0, 100.0, -50.0],
        "revenue_high": [1500.0, 900.0, 700.0], "customers": [500, 300, 200], "money_shown": [True, True, False],
        "confidence": ["high", "medium", "low"], "model_auc": [0.75] * 3, "part_of": [None, None, None],
        "previous_rank": [1, 3, 2], "previous_revenue": [900.0, 500.0, 350.0]})
    parts = pd.DataFrame({"key": ["x"] * 3 + ["y"] * 3, "customer_id": ["a", "b", "e", "a", "c", "d"],
                          "revenue": [30.0, 40.0, -40.0, 100.0, 50.0, 150.0]})
    moved = pd.Series({"x": 1100.0, "y": 600.0, "z": 300.0})  # Σ |part| of everyone's parts
    mine = scope_share(rows, parts, moved, ranking=True)
    assert mine.key.tolist() == ["y", "x"] and mine["rank"].tolist() == [1, 2]  # z concerns none of the scope
    y, x = mine.iloc[0], mine.iloc[1]
    # parts of one sign: the company's interval scaled by the scope's share of the revenue (300 of 600)
    assert (y.revenue, y.customers) == (300.0, 3) and y.revenue_low == pytest.approx(50.0) and y.revenue_high == pytest.approx(450.0)
    assert y.confidence == "medium" and bool(y.money_shown) and pd.isna(y.previous_rank)  # 3 customers: not high
    # parts of both signs: around the scope's 30, the distances to the ends scaled by its share of the money moved
    # (110 of 1,100), not by 30 / 1,000 of the revenue; the interval then reaches below 0: no money shown
    assert x.revenue == 30.0 and x.revenue_low == pytest.approx(-30.0) and x.revenue_high == pytest.approx(80.0)
    assert x.confidence == "low" and not x.money_shown
