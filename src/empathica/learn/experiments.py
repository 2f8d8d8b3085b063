"""Experiments (A/B tests): the difference with its interval, a sample-ratio check, CUPED, power before
launch, and an always-valid confidence sequence for looking early.

- **Difference**: treatment − control mean with a Welch interval (unequal variances; normal quantiles,
  the samples of CX tests are large), its p-value and the relative lift.
- **Sample-ratio check**: a χ² goodness-of-fit test of the arm sizes against the planned split; a
  p-value below ``SRM_ALPHA`` means the assignment is broken and the result is not to be trusted.
- **CUPED** (Deng et al. 2013): with a pre-period covariate x (the same metric before the test), the
  outcome y − θ(x − x̄), θ = cov(x, y) / var(x) over both arms, keeps the expected difference and
  removes the variance x explains (a share ρ² of it).
- **Power**: the sample per arm that detects a difference ``mde`` with the given power at level α,
  ``n = 2σ²(z₁₋α/₂ + z_power)² / mde²`` (σ² = p(1 − p) for a rate; times 1 − ρ² with CUPED).
- **Looking early**: the two-sided normal-mixture confidence sequence (Howard et al. 2021; the mSPRT
  of Johari et al. 2017) is valid at every look at once: half-width
  ``se · sqrt((1 + m/n) · log((n + m) / (m α²)))``, n the observations so far and m the sample size at
  which it is tightest (by default the planned sample). Stopping as soon as it excludes 0 keeps the
  false-positive rate at α; the fixed-sample interval, looked at repeatedly, does not.

The functions take arrays whose last axis is the units, so a simulation of thousands of splits runs as
one matrix computation (``split_differences``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from empathica.errors import InputError
from empathica.learn.benchmark import holm

SRM_ALPHA = 0.001


@dataclass(frozen=True)
class ExperimentResult:
    """The analysis of one A/B test on one outcome (a row of ``result_learn_experiments``)."""

    outcome: str
    control: str
    treatment: str
    n_control: int
    n_treatment: int
    mean_control: float
    mean_treatment: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    relative_lift: float
    cuped: bool
    variance_reduction: float  # share of the variance CUPED removed (0 without a covariate)
    srm_p: float
    sample_ratio_mismatch: bool
    always_valid_low: float
    always_valid_high: float

    def to_row(self) -> dict:
        return asdict(self)


def welch(mean_t, var_t, n_t, mean_c, var_c, n_c, *, alpha: float = 0.05):
    """Difference, standard error, interval and two-sided p-value (normal reference), elementwise."""
    diff = np.asarray(mean_t) - np.asarray(mean_c)
    se = np.sqrt(np.asarray(var_t) / n_t + np.asarray(var_c) / n_c)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(diff / se))
    return diff, se, diff - z * se, diff + z * se, p


def split_differences(y: np.ndarray, treated: np.ndarray, *, alpha: float = 0.05):
    """Welch difference for each row of the boolean assignment matrix ``treated`` (splits × units) of
    the outcome ``y`` (units, or splits × units): diff, se, ci_low, ci_high, p — arrays over splits."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(treated, dtype=float)
    n_t = t.sum(axis=-1)
    n_c = t.shape[-1] - n_t
    s_t, q_t = (t * y).sum(axis=-1), (t * y * y).sum(axis=-1)
    s_c, q_c = y.sum(axis=-1) - s_t, (y * y).sum(axis=-1) - q_t
    m_t, m_c = s_t / n_t, s_c / n_c
    v_t = (q_t - n_t * m_t**2) / (n_t - 1)
    v_c = (q_c - n_c * m_c**2) / (n_c - 1)
    return welch(m_t, v_t, n_t, m_c, v_c, n_c, alpha=alpha)


def cuped_adjust(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CUPED-adjusted outcome and the share of variance removed, θ from both arms together
    (``y``: units, or splits × units; ``x``: units)."""
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    xc = x - x.mean()
    vx = (xc * xc).mean()
    if vx == 0:
        return y, np.zeros(y.shape[:-1])
    theta = ((y - y.mean(axis=-1, keepdims=True)) * xc).mean(axis=-1) / vx
    adjusted = y - np.asarray(theta)[..., None] * xc
    vy = y.var(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(vy > 0, 1.0 - adjusted.var(axis=-1) / vy, 0.0)
    return adjusted, reduction


def sample_ratio_p(n_control: int, n_treatment: int, expected_treatment_share: float = 0.5) -> float:
    """χ² p-value of the arm sizes against the planned share of treatment."""
    total = n_control + n_treatment
    expected = [total * (1 - expected_treatment_share), total * expected_treatment_share]
    return float(stats.chisquare([n_control, n_treatment], expected).pvalue)


def confidence_sequence(diff, se, n, *, tightest_at, alpha: float = 0.05):
    """Always-valid interval (low, high) for a difference ``diff`` with standard error ``se`` after ``n``
    observations (two-sided normal mixture, tightest near ``tightest_at`` observations)."""
    n = np.asarray(n, dtype=float)
    m = float(tightest_at)
    half = np.asarray(se) * np.sqrt((1.0 + m / n) * np.log((n + m) / (m * alpha**2)))
    return np.asarray(diff) - half, np.asarray(diff) + half


def required_sample_size(*, mde: float, sd: float | None = None, baseline_rate: float | None = None,
                         alpha: float = 0.05, power: float = 0.8, cuped_r2: float = 0.0) -> int:
    """Units per arm needed to detect a difference ``mde`` (absolute) — for a mean give ``sd``, for a
    rate give ``baseline_rate``; ``cuped_r2`` is the share of variance a pre-period covariate explains."""
    if mde == 0:
        raise InputError("power: the minimum detectable effect (mde) must not be 0.")
    if (sd is None) == (baseline_rate is None):
        raise InputError("power: give either sd (for a mean) or baseline_rate (for a rate), not both or neither.")
    if baseline_rate is not None and not 0 < baseline_rate < 1:
        raise InputError(f"power: baseline_rate {baseline_rate} must be between 0 and 1 (a share, e.g. 0.2).")
    variance = sd**2 if sd is not None else baseline_rate * (1 - baseline_rate)
    variance *= 1.0 - cuped_r2
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(np.ceil(2 * variance * z**2 / mde**2))


def analyze_experiment(frame: pd.DataFrame, *, arm: str, outcome: str, covariate: str | None = None,
                       control: str | None = None, treatment_share: float = 0.5, alpha: float = 0.05,
                       planned_per_arm: int | None = None, source: str = "the experiment") -> ExperimentResult:
    """Analyse a two-arm test from one row per unit (``arm`` names the variant, ``outcome`` the result,
    ``covariate`` the same metric before the test for CUPED)."""
    for col in (arm, outcome, covariate):
        if col and col not in frame.columns:
            raise InputError(f"{source}: no column {col!r}; the columns are {', '.join(map(str, frame.columns))}.")
    data = frame[[c for c in (arm, outcome, covariate) if c]].copy()
    data[arm] = data[arm].astype(str)
    for col in (outcome, covariate):
        if col:
            values = pd.to_numeric(data[col], errors="coerce")
            bad = values.isna() & data[col].notna() & (data[col].astype(str).str.strip() != "")
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
                raise InputError(f"{source}: row {row}, field {col}: {data[col].iloc[row - 2]!r} is not a number; fix or remove the row.")
            data[col] = values
    data = data.dropna()
    arms = sorted(data[arm].unique())
    if len(arms) != 2:
        raise InputError(f"{source}: field {arm} has {len(arms)} arm(s) ({', '.join(arms)}); an A/B test needs exactly two.")
    control = control or ("control" if "control" in arms else arms[0])
    if control not in arms:
        raise InputError(f"{source}: control arm {control!r} is not among the arms {', '.join(arms)}.")
    treatment = next(a for a in arms if a != control)
    y = data[outcome].to_numpy(float)
    reduction = 0.0
    if covariate:
        y, reduction = cuped_adjust(y, data[covariate].to_numpy(float))
        reduction = float(reduction)
    is_t = (data[arm] == treatment).to_numpy()
    if is_t.sum() < 2 or (~is_t).sum() < 2:
        raise InputError(f"{source}: each arm needs at least two units with an outcome.")
    diff, se, lo, hi, p = split_differences(y, is_t[None, :], alpha=alpha)
    raw_c, raw_t = data.loc[~is_t, outcome].mean(), data.loc[is_t, outcome].mean()
    n_c, n_t = int((~is_t).sum()), int(is_t.sum())
    srm = sample_ratio_p(n_c, n_t, treatment_share)
    cs_lo, cs_hi = confidence_sequence(diff[0], se[0], n_c + n_t, tightest_at=2 * (planned_per_arm or max(n_c, n_t)), alpha=alpha)
    return ExperimentResult(
        outcome=outcome, control=control, treatment=treatment, n_control=n_c, n_treatment=n_t,
        mean_control=float(raw_c), mean_treatment=float(raw_t), difference=float(diff[0]), ci_low=float(lo[0]),
        ci_high=float(hi[0]), p_value=float(p[0]), relative_lift=float(diff[0] / raw_c) if raw_c else float("nan"),
        cuped=bool(covariate), variance_reduction=round(reduction, 4), srm_p=srm, sample_ratio_mismatch=srm < SRM_ALPHA,
        always_valid_low=float(cs_lo), always_valid_high=float(cs_hi))


def _stratified(y: np.ndarray, is_t: np.ndarray, strata: np.ndarray) -> tuple[float, float, int]:
    """Post-stratified difference treatment − control, its standard error and the strata used: the
    within-stratum Welch differences weighted by the stratum's share of units (strata without two units
    in each arm are left out). With one stratum it is the Welch difference."""
    codes = np.unique(strata, return_inverse=True)[1].ravel()
    k = int(codes.max()) + 1 if len(codes) else 0
    n, total, squares = {}, {}, {}
    for arm, mask in ((True, is_t), (False, ~is_t)):
        n[arm] = np.bincount(codes[mask], minlength=k).astype(float)
        total[arm] = np.bincount(codes[mask], weights=y[mask], minlength=k)
        squares[arm] = np.bincount(codes[mask], weights=y[mask] ** 2, minlength=k)
    used = (n[True] >= 2) & (n[False] >= 2)
    if not used.any():
        return float("nan"), float("nan"), 0
    mean = {a: total[a][used] / n[a][used] for a in n}
    var = {a: (squares[a][used] - n[a][used] * mean[a] ** 2) / (n[a][used] - 1) for a in n}
    w = (n[True][used] + n[False][used]) / (n[True][used] + n[False][used]).sum()
    diff = mean[True] - mean[False]
    se2 = var[True] / n[True][used] + var[False] / n[False][used]
    return float((w * diff).sum()), float(np.sqrt((w**2 * se2).sum())), int(used.sum())


def _sample_ratio(assigned: dict[str, int], arms: list[str], planned: dict[str, float] | None) -> float:
    """χ² p-value of the units assigned to every arm against the planned shares (equal when not all given)."""
    every = sorted(set(assigned) | set(arms))
    shares = np.array([(planned or {}).get(a, np.nan) for a in every], dtype=float)
    shares = np.full(len(every), 1.0 / len(every)) if np.isnan(shares).any() else shares / shares.sum()
    counts = np.array([assigned.get(a, 0) for a in every], dtype=float)
    return float(stats.chisquare(counts, counts.sum() * shares).pvalue)


def compare_arms(units: pd.DataFrame, *, control: str, assigned: dict[str, int] | None = None,
                 planned: dict[str, float] | None = None, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """Every arm against ``control``, from one row per unit with ``arm``, outcome ``y``, optional ``x`` (the
    same measure before assignment: CUPED, θ over all arms) and ``stratum`` (post-stratified difference).

    One row per treatment arm: difference with its 95 % interval and p, p Holm-adjusted over the arms, the
    always-valid interval, the minimum detectable effect at ``power`` for the units measured (``mde``), and
    the sample-ratio check of all arms' ``assigned`` counts against the ``planned`` shares (equal by default).
    """
    arm_of = units["arm"].astype(str).to_numpy()
    arms = sorted(set(arm_of))
    if control not in arms or len(arms) < 2:
        raise InputError(f"an experiment needs its control arm {control!r} and at least one other arm; it has {', '.join(arms)}.")
    raw = units["y"].to_numpy(float)
    y, reduction = raw, 0.0
    has_x = "x" in units and units["x"].notna().any() and units["x"].nunique() > 1
    if has_x:
        y, reduction = cuped_adjust(raw, units["x"].fillna(units["x"].mean()).to_numpy(float))
        reduction = float(reduction)
    strata = units["stratum"].fillna("(none)").astype(str).to_numpy() if "stratum" in units else np.zeros(len(units), int)
    assigned = assigned or dict(zip(*np.unique(arm_of, return_counts=True)))
    srm = _sample_ratio(assigned, arms, planned)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for arm in (a for a in arms if a != control):
        pair = (arm_of == arm) | (arm_of == control)
        is_t = arm_of[pair] == arm
        diff, se, used = _stratified(y[pair], is_t, strata[pair])
        n_t, n_c = int(is_t.sum()), int((~is_t).sum())
        mean_c, mean_t = float(raw[pair][~is_t].mean()), float(raw[pair][is_t].mean())
        cs_lo, cs_hi = confidence_sequence(diff, se, n_t + n_c, tightest_at=n_t + n_c, alpha=alpha)
        rows.append({"control": control, "arm": arm, "assigned_control": int(assigned.get(control, 0)),
                     "assigned_arm": int(assigned.get(arm, 0)), "n_control": n_c, "n_arm": n_t,
                     "mean_control": mean_c, "mean_arm": mean_t, "difference": diff, "ci_low": diff - z * se,
                     "ci_high": diff + z * se, "p_value": float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else float("nan"),
                     "relative_lift": diff / mean_c if mean_c else float("nan"), "cuped": bool(has_x),
                     "variance_reduction": round(reduction, 4), "strata": used,
                     "mde": float((z + stats.norm.ppf(power)) * se), "srm_p": srm,
                     "sample_ratio_mismatch": srm < SRM_ALPHA, "always_valid_low": float(cs_lo),
                     "always_valid_high": float(cs_hi)})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p_value"])
    return out
