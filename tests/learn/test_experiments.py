"""A/B analysis on real customers (IBM Telco, 7,043): A/A false positives, planted-effect coverage,
CUPED, power, the sample-ratio check and the always-valid interval under repeated looks — every
simulation is one matrix computation over 1,000 splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from empathica.errors import InputError
from empathica.learn.experiments import (
    analyze_experiment,
    confidence_sequence,
    cuped_adjust,
    required_sample_size,
    split_differences,
)

SPLITS = 1000


@pytest.fixture(scope="module")
def splits(telco) -> np.ndarray:
    return np.random.default_rng(2024).random((SPLITS, len(telco))) < 0.5


def test_aa_splits_have_a_false_positive_rate_of_at_most_five_percent(telco, splits):
    # 1,000 splits estimate the rate to ±0.7 points: the count must be one a true rate of at most 5 %
    # produces (binomial, one-sided 1 %), and not so low that the interval is needlessly wide
    most = stats.binom.ppf(0.99, SPLITS, 0.05)
    for outcome in (telco["MonthlyCharges"].to_numpy(), (telco["Churn"] == "Yes").to_numpy(float)):
        _, _, _, _, p = split_differences(outcome, splits)
        false_positives = int((p < 0.05).sum())
        assert 0.02 * SPLITS <= false_positives <= most, false_positives


def test_a_planted_effect_is_covered_at_the_stated_rate_with_and_without_cuped(telco, splits):
    y = telco["TotalCharges"].to_numpy()
    effect = 0.05 * y.std()
    planted = y[None, :] + effect * splits  # every split gets the effect on its treated units
    covered, widths = {}, {}
    for name, covariate in (("plain", None), ("cuped", telco["tenure"].to_numpy(float))):
        outcome = planted if covariate is None else cuped_adjust(planted, covariate)[0]  # θ per split
        _, _, lows, highs, _ = split_differences(outcome, splits)
        covered[name] = float(((lows <= effect) & (effect <= highs)).mean())
        widths[name] = float(np.median(highs - lows))
    assert 0.93 <= covered["plain"] <= 0.97 and 0.93 <= covered["cuped"] <= 0.97, covered
    # tenure explains about two thirds of the variance of total charges: a much narrower interval
    assert widths["cuped"] < 0.7 * widths["plain"], widths


def test_looking_every_few_hundred_customers_keeps_the_error_rate_only_with_the_confidence_sequence(telco, splits):
    y = telco["MonthlyCharges"].to_numpy()
    looks = np.linspace(700, len(y), 10).astype(int)
    naive_hit = np.zeros(SPLITS, dtype=bool)
    sequence_hit = np.zeros(SPLITS, dtype=bool)
    for n in looks:
        diff, se, lo, hi, _ = split_differences(y[:n], splits[:, :n])
        naive_hit |= (lo > 0) | (hi < 0)
        cs_lo, cs_hi = confidence_sequence(diff, se, n, tightest_at=len(y))
        sequence_hit |= (cs_lo > 0) | (cs_hi < 0)
    assert naive_hit.mean() > 0.08  # peeking at a fixed-sample interval inflates false positives
    assert sequence_hit.mean() <= 0.05


def test_the_sample_size_from_the_power_calculation_reaches_the_stated_power(telco):
    y = telco["MonthlyCharges"].to_numpy()
    mde = 0.1 * y.std()
    n = required_sample_size(mde=mde, sd=y.std(), power=0.8)
    rng = np.random.default_rng(5)
    picks = rng.integers(0, len(y), size=(SPLITS, 2 * n))  # resampled customers, half to each arm
    sample = y[picks] + mde * (np.arange(2 * n) >= n)[None, :]
    arm = np.zeros((SPLITS, 2 * n), dtype=bool)
    arm[:, n:] = True
    detected = split_differences(sample, arm)[4] < 0.05
    assert 0.76 <= detected.mean() <= 0.84
    rate_n = required_sample_size(mde=0.02, baseline_rate=0.26)
    assert 7000 < rate_n < 8500  # 2·p(1−p)·(1.96+0.84)²/0.02² for p = 0.26
    assert required_sample_size(mde=mde, sd=y.std(), cuped_r2=0.5) == pytest.approx(n / 2, rel=0.01)


def test_an_experiment_file_is_analysed_with_a_sample_ratio_check(telco):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"variant": np.where(rng.random(len(telco)) < 0.5, "new_ivr", "control"),
                          "charges": telco["TotalCharges"], "tenure_before": telco["tenure"]})
    frame.loc[frame["variant"] == "new_ivr", "charges"] += 100.0
    result = analyze_experiment(frame, arm="variant", outcome="charges", covariate="tenure_before")
    assert result.treatment == "new_ivr" and result.cuped and result.variance_reduction > 0.5
    assert result.ci_low <= 100.0 <= result.ci_high and result.p_value < 0.05
    assert result.always_valid_low <= result.ci_low and result.always_valid_high >= result.ci_high
    assert not result.sample_ratio_mismatch
    skewed = frame[~((frame["variant"] == "control") & (rng.random(len(frame)) < 0.2))]
    assert analyze_experiment(skewed, arm="variant", outcome="charges").sample_ratio_mismatch


def test_bad_experiment_input_names_the_row_and_field():
    frame = pd.DataFrame({"arm": ["a", "b", "a"], "nps": ["9", "ten", "7"]})
    with pytest.raises(InputError, match=r"row 3, field nps: 'ten' is not a number"):
        analyze_experiment(frame, arm="arm", outcome="nps", source="test.csv")
    with pytest.raises(InputError, match="needs exactly two"):
        analyze_experiment(pd.DataFrame({"arm": ["a", "b", "c"], "y": [1, 2, 3]}), arm="arm", outcome="y")
    with pytest.raises(InputError, match="no column 'revenue'"):
        analyze_experiment(frame, arm="arm", outcome="revenue")
