"""Empathy valued per complaint contact: on simulated contacts where customers leave right after a complaint answered
without empathy (the demo world's planted shape), the contact model recovers the per-contact effect, and the revenue
of lifting the least empathic agents to the median matches what the planted hazard says it is worth; the fixes that
move and remove contacts compose in either order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empathica.decide.contacts import (
    ContactLeaving, agent_levels, contact_cell, contact_cells, lift_contacts,
)
from empathica.decide.levers import complaint_cells, cut_cells
from empathica.decide.response import ChurnResponse, ChurnWithContacts

LEVELS = np.linspace(0.1, 0.6, 10)
VALUE = 100.0


def _hazard(e):
    return 0.4 * (1.0 - e) ** 2  # the demo's contact_leaving shape: max · (1 − e)^exponent


def _world(seed: int, n: int):
    """Customers with one agent each, a Poisson number of complaint contacts in a row; after each, the customer leaves
    with the planted hazard of the agent's empathy (later contacts are never seen); besides, 10 % leave anyway."""
    rng = np.random.default_rng(seed)
    agents = pd.DataFrame({"agent_id": [f"a{i}" for i in range(len(LEVELS))], "team_id": "t", "empathy": LEVELS})
    agent = rng.integers(0, len(LEVELS), n)
    potential = rng.poisson(1.5, n) + 1
    anyway = rng.random(n) < 0.1
    rows, churned = [], np.zeros(n, dtype=int)
    for i in range(n):
        for k in range(potential[i]):
            left = rng.random() < _hazard(LEVELS[agent[i]])
            rows.append({"conversation_id": f"c{i}-{k}", "customer_id": f"u{i}", "agent_id": f"a{agent[i]}",
                         "aspects": (("delivery_delay",), ("refund",))[rng.integers(0, 2)], "left": int(left)})
            if left:
                churned[i] = 1
                break
        if anyway[i] and not churned[i]:
            churned[i] = 1
            rows[-1]["left"] = 1  # their last contact is the last thing seen of them too
    contacts = pd.DataFrame(rows)
    table = pd.DataFrame({"customer_id": [f"u{i}" for i in range(n)], "noise": rng.normal(size=n), "churned": churned,
                          "value": VALUE})
    levels = agent_levels(agents)
    cells = contact_cells(contacts, levels)
    table = table.merge(cells, left_on="customer_id", right_index=True, how="left").fillna(0.0)
    return table, contacts, levels, agent, potential, anyway


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_contact_model_recovers_the_planted_per_contact_effect(seed):
    table, contacts, levels, *_ = _world(seed, 2000)
    model = ContactLeaving(n_bootstrap=30, random_state=seed).fit(contacts, levels)
    p = model.leaving_by_fit([0.1, 0.6], [("refund",), ("refund",)])
    effect = p[0] - p[1]  # per fit: how much likelier leaving is after a contact with the least empathic level
    planted = _hazard(0.1) - _hazard(0.6)  # 0.26; the 10 % who leave anyway add to both
    assert effect[0] == pytest.approx(planted, abs=0.07)
    assert np.quantile(effect[1:], 0.025) > 0.1


@pytest.mark.parametrize("seed", [1, 2])
def test_lifting_the_least_empathic_agents_is_worth_what_the_planted_hazard_says(seed):
    table, contacts, levels, agent, potential, anyway = _world(seed, 2000)
    customers = ChurnResponse(n_bootstrap=30, random_state=seed).fit(table[["noise"]], table["churned"])
    cells = [c for c in table.columns if c.startswith("contacts@")]
    model = ChurnWithContacts(customers, ContactLeaving(n_bootstrap=30, random_state=seed).fit(contacts, levels), cells, levels,
                              table)
    low = [f"a{i}" for i, e in enumerate(LEVELS) if e < np.median(LEVELS)]
    affected = table["customer_id"].isin(contacts.loc[contacts["agent_id"].isin(low), "customer_id"]).to_numpy()
    rows = table.loc[affected]
    kept = model.value_of_change(rows[model.columns_], lift_contacts(rows.copy(), low, "median", levels)[model.columns_],
                                 rows["value"])
    # what the planted hazard says: each affected customer's chance of leaving after their complaint contacts, at the
    # agent's level against the median's, among those who would not have left anyway
    e, k = LEVELS[agent[affected]], potential[affected]
    median = float(np.median(LEVELS))
    truth = VALUE * ((1 - (1 - _hazard(median)) ** k) - (1 - (1 - _hazard(e)) ** k)) * (1 - 0.1)
    # read from the contacts seen: a customer who left shows fewer contacts than they would have made had they stayed,
    # so the estimate is somewhat below the planted truth (0.94 and 0.72 of it on these seeds), never above it
    assert 0.6 * -truth.sum() <= kept.revenue <= 1.1 * -truth.sum(), (kept, -truth.sum())
    assert kept.low > 0 and kept.low <= kept.revenue <= kept.high


def test_removing_complaints_and_lifting_their_agents_compose_in_either_order():
    table, contacts, levels, *_ = _world(4, 300)
    low = ["a0", "a1"]
    removed = complaint_cells(table, ["refund"])
    first = lift_contacts(cut_cells(table.copy(), removed), low, "median", levels)
    then = cut_cells(lift_contacts(table.copy(), low, "median", levels), removed)
    cells = [c for c in table.columns if c.startswith("contacts@")]
    pd.testing.assert_frame_equal(first[cells], then[cells])
    # the refund contacts are gone in every level; the agents' delivery contacts moved to the median, none lost
    assert (first[[c for c in cells if c.endswith("@refund")]] == 0).all().all()
    for a in low:
        own, lifted = contact_cell("own", a, ["delivery_delay"]), contact_cell("median", a, ["delivery_delay"])
        assert (first[own] == 0).all() and (first[lifted] == table[own]).all()
