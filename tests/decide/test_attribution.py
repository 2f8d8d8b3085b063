"""Overlapping fixes share the churn they both change (Shapley values): the amounts add up to what doing all the
fixes together keeps, a fix nobody else touches keeps what it keeps alone, and two fixes that overlap are not
each credited the whole of the shared churn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathica.decide.attribution import shapley_valuations
from empathica.decide.opportunities import Lever, value_lever
from empathica.decide.response import ChurnResponse


def _lever(key: str, affected: np.ndarray, column: str, to: float) -> Lever:
    return Lever(key=key, kind="touchpoint", message_id="decide.opportunity.touchpoint", values={}, affected=affected,
                 change=lambda f: f.assign(**{column: to}), owner_team_id=None, evidence="", evidence_section="")


@pytest.fixture(scope="module")
def world():
    """Customers whose churn rises with two complaints (a, b) that often come together, and a third (c) of others."""
    rng = np.random.default_rng(11)
    n = 3000
    a = (rng.random(n) < 0.3).astype(float)
    b = np.where(a > 0, rng.random(n) < 0.7, rng.random(n) < 0.1).astype(float)
    c = ((rng.random(n) < 0.2) & (a == 0) & (b == 0)).astype(float)
    logit = -2.0 + 1.2 * a + 1.0 * b + 1.1 * c
    table = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "a": a, "b": b, "c": c,
                          "churned": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
                          "value": rng.gamma(2.0, 50.0, n)})
    model = ChurnResponse(n_bootstrap=30, random_state=0).fit(table[["a", "b", "c"]], table["churned"])
    levers = [_lever("a", a > 0, "a", 0.0), _lever("b", b > 0, "b", 0.0), _lever("c", c > 0, "c", 0.0)]
    return table, model, levers


def test_the_shares_add_up_to_doing_all_the_fixes_together(world):
    table, model, levers = world
    shares = shapley_valuations(model, table, levers, orders=16)
    everyone = np.ones(len(table), dtype=bool)
    together = value_lever(model, table, Lever(key="all", kind="all", message_id="", values={}, affected=everyone,
                                               change=lambda f: f.assign(a=0.0, b=0.0, c=0.0), owner_team_id=None,
                                               evidence="", evidence_section=""))
    assert sum(v.revenue for v in shares.values()) == pytest.approx(together.revenue, rel=1e-9)
    for v in shares.values():
        assert v.low <= v.revenue <= v.high and v.churn_change < 0


def test_a_fix_no_other_touches_keeps_its_value_alone_and_overlapping_ones_share(world):
    table, model, levers = world
    shares = shapley_valuations(model, table, levers, orders=16)
    alone = {lever.key: value_lever(model, table, lever).revenue for lever in levers}
    assert shares["c"].revenue == pytest.approx(alone["c"], rel=1e-9)  # c's customers complain of nothing else
    # a and b are mostly the same customers: valued alone each claims churn the other removes too (the logistic
    # curve flattens once one complaint is gone), so alone they add up to more than both together keep
    assert alone["a"] + alone["b"] > shares["a"].revenue + shares["b"].revenue
    assert 0 < shares["a"].revenue < alone["a"] and 0 < shares["b"].revenue < alone["b"]


def test_the_sampled_orders_hardly_move_the_shares(world):
    table, model, levers = world
    one = shapley_valuations(model, table, levers, orders=16, random_state=1)
    other = shapley_valuations(model, table, levers, orders=16, random_state=2)
    for key in one:
        assert one[key].revenue == pytest.approx(other[key].revenue, rel=0.02)
