"""Experiments with several arms, strata and a planned split (``compare_arms``) on real customers (IBM Telco),
and the ``experiments`` table read through Listen: a bad assignment is quarantined with its field named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from empathica.learn.experiments import analyze_experiment, compare_arms

ARMS = np.array(["control", "a", "b"])


def _units(telco: pd.DataFrame, seed: int, *, effect: float = 0.0, stratum: str | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = ARMS[rng.integers(0, 3, len(telco))]
    y = telco["MonthlyCharges"].to_numpy(float) + effect * (arm == "b")
    units = pd.DataFrame({"arm": arm, "y": y, "x": telco["tenure"].to_numpy(float)})
    if stratum:
        units["stratum"] = telco[stratum].to_numpy()
    return units


def test_two_arms_without_strata_or_covariate_agree_with_the_two_arm_analysis(telco):
    units = _units(telco, 1).query("arm != 'b'").drop(columns="x")
    (row,) = compare_arms(units, control="control").to_dict("records")
    two = analyze_experiment(units, arm="arm", outcome="y", control="control")
    assert row["difference"] == pytest.approx(two.difference) and row["ci_low"] == pytest.approx(two.ci_low)
    assert row["p_value"] == pytest.approx(two.p_value) and row["p_holm"] == pytest.approx(two.p_value)
    # the minimum detectable effect at 80 % power is (z₀.₉₇₅ + z₀.₈) standard errors
    se = (two.ci_high - two.ci_low) / (2 * stats.norm.ppf(0.975))
    assert row["mde"] == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se)


def test_a_planted_effect_in_one_of_three_arms_is_found_post_stratified_with_cuped(telco):
    effect = 0.15 * telco["MonthlyCharges"].std()
    table = compare_arms(_units(telco, 2, effect=effect, stratum="Contract"), control="control").set_index("arm")
    assert table.loc["b", "ci_low"] <= effect <= table.loc["b", "ci_high"] and table.loc["b", "p_holm"] < 0.05
    assert table.loc["a", "ci_low"] <= 0 <= table.loc["a", "ci_high"]
    assert (table["strata"] == 3).all() and (table["variance_reduction"] > 0.05).all()  # tenure explains charges
    assert not table["sample_ratio_mismatch"].any()


def test_three_arm_null_tests_are_called_significant_at_most_at_the_stated_family_wise_rate(telco):
    # Holm over the two arms keeps the chance that either is called significant at ≤ 5 %: 200 null tests
    flagged = [bool((compare_arms(_units(telco, seed), control="control")["p_holm"] < 0.05).any()) for seed in range(200)]
    assert sum(flagged) <= stats.binom.ppf(0.99, 200, 0.05), sum(flagged)


def test_the_sample_ratio_check_flags_a_broken_split_and_respects_a_planned_one(telco):
    units = _units(telco, 3)
    lost = units.index[(units["arm"] == "a")][: int(0.1 * (units["arm"] == "a").sum())]  # a tenth of arm a lost
    broken = compare_arms(units.drop(lost), control="control")
    assert broken["sample_ratio_mismatch"].all() and broken["srm_p"].iloc[0] < 0.001
    uneven = units.assign(arm=np.where(units["arm"] == "b", "a", units["arm"]))  # two thirds in arm a, as planned
    planned = compare_arms(uneven, control="control", planned={"control": 1 / 3, "a": 2 / 3})
    assert not planned["sample_ratio_mismatch"].any()
    assert compare_arms(uneven, control="control")["sample_ratio_mismatch"].all()  # against an equal split


def test_bad_assignments_are_quarantined_naming_the_field(store, tmp_path):
    from empathica.listen import ingest_files

    pd.DataFrame({"customer_id": ["c1", "c2"], "first_seen": ["2024-01-01", "2024-01-02"]}).to_csv(tmp_path / "customers.csv", index=False)
    rows = pd.DataFrame({
        "experiment": ["exp1", "exp1", "exp1", "exp1", "exp1", "exp1"],
        "customer_id": ["c1", "c2", "c1", "c9", "c2", "c2"],
        "variant": ["control", "b", "b", "b", "b", "b"],
        "assigned_at": ["2024-02-01", "2024-02-01", "2024-02-02", "2024-02-01", "not a date", "2024-02-01"],
        "planned_share": [0.5, 0.5, 0.5, 0.5, 0.5, 1.5],
    })
    rows.iloc[[0, 1, 2, 3, 4]].to_csv(tmp_path / "experiments.csv", index=False)
    results = ingest_files(store, [tmp_path / "customers.csv", tmp_path / "experiments.csv"])
    assert results[1].table == "experiments"
    stored = store.to_pandas("experiments")
    assert sorted(stored["assignment_id"]) == ["exp1#c1", "exp1#c2"]
    quarantined = store.to_pandas("quarantine").sort_values("line")
    assert list(quarantined["field"]) == ["assignment_id", "customer_id", "assigned_at"]  # c1 twice, c9 unknown, bad date
    rows.iloc[[5]].assign(customer_id="c1", experiment="exp2").to_csv(tmp_path / "share.csv", index=False)
    ingest_files(store, [tmp_path / "share.csv"], kind="experiments")
    assert store.to_pandas("quarantine")["field"].iloc[-1] == "planned_share"
