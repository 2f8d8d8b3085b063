"""The demo world's two planted actions are recovered from the store: the coaching's effect on losing
customers after a contact lies in its 95 % interval and the placebo's interval covers 0, on seeds 1–5
(small worlds; the sweep over larger worlds and more seeds is bench/bench_learn.py)."""

from __future__ import annotations

import pytest

from empathica.learn.actions import load_actions
from empathica.learn.effects import action_effect_table
from empathica.store import Store

CUSTOMERS = 3000


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_coaching_is_recovered_within_its_interval_and_the_placebo_covers_zero(planted_world, seed):
    db, truths = planted_world(seed, CUSTOMERS)
    planted = truths["planted_actions"]
    with Store.open(db, read_only=True) as store:
        actions = load_actions(store)
        effects, study, skipped = action_effect_table(store, actions, ["churn"])
    assert not skipped
    by_id = effects.set_index("action_id")
    coaching = by_id.loc[planted["coaching"]["action_id"]]
    truth = planted["coaching"]["effect_on_lost_after_contact"]
    assert truth < -0.03  # the planted effect is a real one (its power at this size is low: bench_learn)
    assert coaching["ci_low"] <= truth <= coaching["ci_high"], (coaching.to_dict(), truth)
    placebo = by_id.loc[planted["placebo"]["action_id"]]
    assert placebo["ci_low"] <= 0.0 <= placebo["ci_high"], placebo.to_dict()
    # the event study has the reference month and months on both sides of the start
    months = set(study.loc[study["action_id"] == coaching.name, "month"])
    assert {-3, -1, 0, 3} <= months
