"""The demo world's planted experiments are recovered from the store (``experiments`` → outcomes → arms against
the control): the free-delivery arm's effect on revenue lies in its 95 % interval and is significant, the null
arm of the same test and the null banner test are not called significant, and the assignment passes its
sample-ratio check — on seeds 1–5 at 3,000 customers and one world of 6,000 (the sweep over more seeds and
sizes is bench/bench_learn.py, ``learn_experiments``)."""

from __future__ import annotations

import pytest

from empathica.learn.experiment_outcomes import experiment_table
from empathica.store import Store


@pytest.mark.parametrize("seed, customers", [(1, 3000), (2, 3000), (3, 3000), (4, 3000), (5, 3000), (6, 6000)])
def test_the_offer_is_recovered_and_the_null_arms_are_not_called_significant(planted_world, seed, customers):
    db, truths = planted_world(seed, customers)
    offer, null = truths["planted_experiments"]["offer"], truths["planted_experiments"]["null"]
    with Store.open(db, read_only=True) as store:
        table, skipped = experiment_table(store, ("revenue", "churn"))
    assert not skipped
    rows = table.set_index(["experiment_id", "metric", "arm"])
    lifted = rows.loc[(offer["experiment_id"], "revenue", offer["arm"])]
    truth = offer["effect_on_revenue"]
    assert truth > 20  # a planted effect worth finding (+30 % spend for 180 days)
    assert lifted["ci_low"] <= truth <= lifted["ci_high"], (lifted.to_dict(), truth)
    assert lifted["p_holm"] < 0.05 and lifted["primary"] and lifted["strata"] == 3
    placebo = rows.loc[(offer["experiment_id"], "revenue", offer["null_arm"])]
    assert placebo["p_holm"] >= 0.05, placebo.to_dict()
    banner = rows.loc[(null["experiment_id"], "churn", null["arm"])]
    assert banner["p_holm"] >= 0.05 and banner["primary"], banner.to_dict()
    assert not table["sample_ratio_mismatch"].any()
    # the Holm-adjusted p of the offer's two arms is at least each raw p; the early-look interval is wider
    assert (table["p_holm"] >= table["p_value"] - 1e-12).all()
    assert (table["always_valid_low"] <= table["ci_low"]).all() and (table["always_valid_high"] >= table["ci_high"]).all()
