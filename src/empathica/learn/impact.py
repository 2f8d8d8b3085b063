"""Revenue at risk and the ROI of a proposed improvement, in the CFO's terms.

- Revenue at risk of a customer = P(churn) × CLV; summed over customers, and over detractors.
- A scenario ("cut friction on a pathway by 20 %", "lift empathy in team Y by 0.1") moves drivers for
  the customers it touches. The driver model turns the move into a change of the outcome (NPS), an
  outcome→churn link (logistic regression of churn on the outcome) turns that into a change of each
  affected customer's churn probability, and CLV turns that into revenue:

      revenue = Σ_affected [σ(a + c·o_i) − σ(a + c·(o_i + Δo))] × CLV_i,   Δo = Σ_j b_j · Δx_j

  The interval pairs bootstrap draws of the driver effects b with bootstrap draws of the link (a, c).

This module sits in ``learn`` because it values a change; the models it combines live in ``understand``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from empathica.errors import AnalysisError, NotEnoughDataError
from empathica.understand.drivers import DriverAnalysis


def revenue_at_risk(p_churn, clv) -> np.ndarray:
    """Per-customer expected revenue lost to churn: P(churn) × CLV (CLV below zero counts as zero)."""
    p = np.clip(np.asarray(p_churn, dtype=float), 0.0, 1.0)
    value = np.clip(np.nan_to_num(np.asarray(clv, dtype=float)), 0.0, None)
    return p * value


class OutcomeChurnLink:
    """P(churn) as a logistic function of the outcome (e.g. a customer's NPS), with bootstrap draws."""

    def __init__(self, *, n_bootstrap: int = 200, random_state: int | None = 0) -> None:
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit(self, outcome, churned) -> "OutcomeChurnLink":
        o = np.asarray(outcome, dtype=float)
        y = np.asarray(churned, dtype=int)
        keep = np.isfinite(o)
        o, y = o[keep], y[keep]
        if len(o) < 30 or min(y.sum(), len(y) - y.sum()) < 5:
            raise NotEnoughDataError(
                f"linking the outcome to churn needs at least 30 customers with both, and 5 churners and 5 stayers; "
                f"there are {len(o)} customers and {int(y.sum())} churners."
            )

        def one(ov: np.ndarray, yv: np.ndarray) -> tuple[float, float]:
            return _logistic_1d(ov, yv)

        self.intercept_, self.slope_ = one(o, y)
        rng = np.random.default_rng(self.random_state)
        draws = [one(o[idx], y[idx]) for idx in (rng.integers(0, len(o), len(o)) for _ in range(self.n_bootstrap))]
        self.draws_ = np.array([d for d in draws if np.isfinite(d[0])]).reshape(-1, 2)
        return self

    @staticmethod
    def _prob(intercept, slope, outcome) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(intercept + slope * outcome)))

    def churn_change(self, outcome, change: float, *, intercept: float | None = None, slope: float | None = None) -> np.ndarray:
        """Per-customer change of P(churn) when the outcome moves by ``change``."""
        a = self.intercept_ if intercept is None else intercept
        c = self.slope_ if slope is None else slope
        o = np.asarray(outcome, dtype=float)
        return self._prob(a, c, o + change) - self._prob(a, c, o)


def _logistic_1d(x: np.ndarray, y: np.ndarray, *, iterations: int = 50) -> tuple[float, float]:
    """Maximum-likelihood logistic regression of y on one variable (Newton–Raphson, a tiny ridge)."""
    if len(np.unique(y)) < 2:
        return np.nan, np.nan
    centre = float(x.mean())
    design = np.column_stack([np.ones_like(x), x - centre])
    w = np.zeros(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        grad = design.T @ (y - p) - 1e-6 * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w += step
        if np.abs(step).max() < 1e-10:
            break
    return float(w[0] - w[1] * centre), float(w[1])


@dataclass
class Scenario:
    """A proposed improvement: driver changes (driver units) for the customers it reaches."""

    name: str
    changes: dict[str, float]
    affected: np.ndarray | None = None  # boolean mask over customers; None = every customer
    note: str = ""


@dataclass
class ScenarioValue:
    """What a scenario is worth, with its interval."""

    name: str
    customers_affected: int
    outcome_change: float
    outcome_low: float
    outcome_high: float
    churn_change: float  # mean change of P(churn) among the affected customers
    revenue: float
    revenue_low: float
    revenue_high: float
    note: str = ""
    draws: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def as_row(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "draws"}


def scenario_value(
    scenario: Scenario,
    drivers: DriverAnalysis,
    link: OutcomeChurnLink,
    *,
    outcome,
    clv,
    confidence: float = 0.95,
) -> ScenarioValue:
    """Expected change of the outcome and its revenue value (retained CLV), with a bootstrap interval."""
    o = np.asarray(outcome, dtype=float)
    value = np.clip(np.nan_to_num(np.asarray(clv, dtype=float)), 0.0, None)
    mask = np.ones(len(o), dtype=bool) if scenario.affected is None else np.asarray(scenario.affected, dtype=bool)
    if mask.shape != o.shape:
        raise AnalysisError(f"scenario {scenario.name!r}: the affected mask has {mask.size} entries for {o.size} customers.")
    o_aff = np.where(np.isfinite(o[mask]), o[mask], np.nanmean(o) if np.isfinite(o).any() else 0.0)
    v_aff = value[mask]
    effect = drivers.effect_of_change(scenario.changes)
    point_dp = link.churn_change(o_aff, effect["change"])
    revenue = float(-(point_dp * v_aff).sum())
    n = min(len(effect["draws"]), len(link.draws_))
    revenue_draws = np.array([
        -(link.churn_change(o_aff, effect["draws"][i], intercept=link.draws_[i, 0], slope=link.draws_[i, 1]) * v_aff).sum()
        for i in range(n)
    ])
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(revenue_draws, [alpha, 1 - alpha]) if n else (np.nan, np.nan)
    return ScenarioValue(
        name=scenario.name, customers_affected=int(mask.sum()),
        outcome_change=effect["change"], outcome_low=effect["low"], outcome_high=effect["high"],
        churn_change=float(point_dp.mean()) if len(point_dp) else 0.0,
        revenue=revenue, revenue_low=float(low), revenue_high=float(high), note=scenario.note, draws=revenue_draws,
    )


def plot_scenarios(values: list[ScenarioValue], *, currency: str = ""):
    """Retained revenue per scenario with its interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = pd.DataFrame([v.as_row() for v in values])
    fig, ax = plt.subplots(figsize=(6.4, 0.6 * len(frame) + 1.4))
    err = np.vstack([frame["revenue"] - frame["revenue_low"], frame["revenue_high"] - frame["revenue"]]).clip(0)
    ax.barh(frame["name"], frame["revenue"], xerr=err, color="#55a868", capsize=3)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_xlabel(f"revenue retained over the CLV horizon {currency}".strip())
    ax.set_title("ROI scenarios: value of the improvement (95 % interval)", fontsize=10)
    fig.tight_layout()
    return fig
