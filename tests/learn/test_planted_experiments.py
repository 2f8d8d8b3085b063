"""The demo world's planted experiments are recovered from the store (``experiments`` → outcomes → arms against
the control), on seeds 1–5 at 3,000 customers and one world of 6,000: the free-delivery arm's effect on revenue
is significant and its 95 % interval holds the planted effect (at the interval's rate), and the null comparisons
(the newsletter arm of the same test, the home-banner test) are called significant no more often than their 5 %
allows. The sweep over more seeds and sizes is bench/bench_learn.py (bench/results.md, ``learn``)."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from empathica.learn.experiment_outcomes import experiment_table
from empathica.store import Store

WORLDS = [(1, 3000), (2, 3000), (3, 3000), (4, 3000), (5, 3000), (6, 6000)]


@pytest.fixture(scope="module")
def measured(planted_world) -> pd.DataFrame:
    """Per world: the offer arm's row, the null arm's and the banner's, with the planted truth."""
    rows = []
    for seed, customers in WORLDS:
        db, truths = planted_world(seed, customers)
        offer, null = truths["planted_experiments"]["offer"], truths["planted_experiments"]["null"]
        with Store.open(db, read_only=True) as store:
            table, skipped = experiment_table(store, ("revenue", "churn"))
        assert not skipped, skipped
        table = table.set_index(["experiment_id", "metric", "arm"])
        for kind, key, truth in (("offer", (offer["experiment_id"], "revenue", offer["arm"]), offer["effect_on_revenue"]),
                                 ("null_arm", (offer["experiment_id"], "revenue", offer["null_arm"]), 0.0),
                                 ("banner", (null["experiment_id"], "churn", null["arm"]), 0.0)):
            rows.append({"seed": seed, "customers": customers, "kind": kind, "truth": truth, **table.loc[key].to_dict()})
    return pd.DataFrame(rows)


def test_the_offer_is_significant_and_its_interval_holds_the_planted_effect(measured):
    offer = measured[measured["kind"] == "offer"]
    assert (offer["truth"] > 20).all()  # a planted effect worth finding: +30 % spend over 180 days
    assert (offer["p_holm"] < 0.05).all(), offer
    covered = (offer["ci_low"] <= offer["truth"]) & (offer["truth"] <= offer["ci_high"])
    assert covered.sum() >= stats.binom.ppf(0.01, len(offer), 0.95), offer  # 95 % intervals: ≥ 4 of 6 (one-sided 99 %)
    assert offer["primary"].all() and (offer["strata"] == 3).all()


def test_null_comparisons_are_called_significant_no_more_often_than_five_percent(measured):
    null = measured[measured["kind"] != "offer"]
    assert null[null["kind"] == "banner"]["primary"].all()
    significant = int((null["p_holm"] < 0.05).sum())
    assert significant <= stats.binom.ppf(0.99, len(null), 0.05), null[["seed", "kind", "difference", "p_holm"]]


def test_fair_assignments_pass_the_sample_ratio_check_and_early_looks_are_wider(measured):
    assert not measured["sample_ratio_mismatch"].any()
    assert (measured["p_holm"] >= measured["p_value"] - 1e-12).all()
    assert (measured["always_valid_low"] <= measured["ci_low"]).all()
    assert (measured["always_valid_high"] >= measured["ci_high"]).all()
