"""Key-driver analysis: what moves an outcome (NPS, CSAT, churn, spend) when the drivers correlate.

Two importance measures, both decompositions of the regression R² that stay sound under correlated
drivers (plain regression coefficients do not: they answer "move one driver, hold the others fixed",
which correlated drivers never do, and they swing with sampling noise):

- ``relative_weights`` (Johnson 2000): orthogonalise the drivers, Z = X R^(-1/2) … concretely with the
  eigen-decomposition R_xx = V Λ Vᵀ, Λ* = V Λ^½ Vᵀ, β* = Λ*⁻¹ r_xy, weight_j = Σ_k (Λ*_jk)² (β*_k)²;
  the weights add up to R².
- ``shapley`` (LMG / Shapley value regression): the average gain in R² from adding driver j over all
  orders of entry, computed exactly over all 2^p subsets (p ≤ 15).

Both need only the correlation matrix. Missing driver values (a customer who never rated a
touchpoint) are by default filled with the driver's mean — the customer counts as average on what they
did not rate, so a rarely met touchpoint cannot explain much of the outcome across the customer base.
``missing="pairwise"`` uses pairwise-complete correlations instead (sound when drivers overlap a lot;
with sparse, barely overlapping drivers the matrix becomes inconsistent and the fit says so).
Bootstrap confidence intervals resample customers (seeded). The driver matrix sets each driver's
importance against its current performance and marks where to act first.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["delivery", "price", "app"])
>>> y = 2 * X["delivery"] + X["price"] + rng.normal(size=300)
>>> DriverAnalysis(n_bootstrap=20).fit(X, y).importance_["driver"].tolist()
['delivery', 'price', 'app']
"""

from __future__ import annotations

from itertools import combinations
from math import factorial
from typing import Callable, Literal

import numpy as np
import pandas as pd

from empathica.errors import AnalysisError, NotEnoughDataError

#: Fewest rows with an outcome a driver analysis is run on.
MIN_ROWS = 30
#: Fewest rows where a driver and the outcome are both present for the driver to be used.
MIN_PAIRS = 20
_MAX_SHAPLEY_DRIVERS = 15


def redundant_drivers(frame: pd.DataFrame, names: list[str]) -> dict[str, str]:
    """Drivers that earlier drivers in ``names`` already determine exactly (centred, missing values at the
    mean, up to rounding): e.g. ``attr_language=zh`` when every ``zh`` customer is in region ``CN``. Keeping
    them makes the correlation matrix singular; each is named with the reason it is left out."""
    dropped: dict[str, str] = {}
    kept: list[str] = []
    for name in names:
        values = frame[name].astype("float64")
        x = (values.fillna(values.mean()) - values.mean()).to_numpy()
        if not np.any(x):
            continue  # constant: fit drops and names it
        if kept:
            basis = frame[kept].astype("float64")
            basis = (basis.fillna(basis.mean()) - basis.mean()).to_numpy()
            coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
            if np.linalg.norm(x - basis @ coef) <= 1e-8 * np.linalg.norm(x):
                parts = [kept[i] for i in np.flatnonzero(np.abs(coef) > 1e-6)]
                dropped[name] = f"determined by {', '.join(parts)}: it adds nothing they do not say"
                continue
        kept.append(name)
    return dropped


def relative_weights(corr_xx: np.ndarray, corr_xy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights from the driver correlation matrix and driver-outcome correlations."""
    evals, evecs = np.linalg.eigh(corr_xx)
    evals = np.clip(evals, 1e-10, None)  # pairwise correlations can be slightly indefinite
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T
    beta = np.linalg.solve(lam, corr_xy)
    return (lam ** 2) @ (beta ** 2)


def shapley_r2(corr_xx: np.ndarray, corr_xy: np.ndarray) -> np.ndarray:
    """LMG / Shapley decomposition of R² over all subsets of drivers (exact)."""
    p = len(corr_xy)
    if p > _MAX_SHAPLEY_DRIVERS:
        raise AnalysisError(f"Shapley regression over {p} drivers needs 2^{p} fits; use relative weights for more than {_MAX_SHAPLEY_DRIVERS}.")
    r2: dict[frozenset, float] = {frozenset(): 0.0}
    for size in range(1, p + 1):
        for subset in combinations(range(p), size):
            idx = list(subset)
            sub = corr_xx[np.ix_(idx, idx)] + np.eye(size) * 1e-10
            r2[frozenset(subset)] = float(corr_xy[idx] @ np.linalg.solve(sub, corr_xy[idx]))
    weights = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for size in range(p):
            w = factorial(size) * factorial(p - size - 1) / factorial(p)
            for subset in combinations(others, size):
                s = frozenset(subset)
                weights[j] += w * (r2[s | {j}] - r2[s])
    return weights


def _correlations(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete correlations, means and standard deviations (outcome in the last column)."""
    frame = pd.DataFrame(data)
    corr = frame.corr(min_periods=3).to_numpy()
    corr = np.nan_to_num(corr, nan=0.0)
    np.fill_diagonal(corr, 1.0)
    return corr[:-1, :-1], corr[:-1, -1], frame.mean().to_numpy(), frame.std().to_numpy()


class DriverAnalysis:
    """Importance of each driver for an outcome, with bootstrap intervals and scenario effects.

    ``method``: "relative_weights" (Johnson) or "shapley" (LMG). ``n_bootstrap`` resamples give the
    ``confidence`` interval of each importance and of the regression effects used for scenarios.
    Fitted: ``importance_`` (one row per driver, most important first), ``r2_``, ``coefficients_``
    (outcome units per driver unit), ``coefficient_draws_``, ``dropped_`` (driver → why unused).
    """

    def __init__(
        self,
        *,
        method: Literal["relative_weights", "shapley"] = "relative_weights",
        n_bootstrap: int = 200,
        confidence: float = 0.95,
        missing: Literal["mean", "pairwise"] = "mean",
        random_state: int | None = 0,
    ) -> None:
        self.missing = missing
        self.method = method
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.random_state = random_state

    def _importance(self, corr_xx: np.ndarray, corr_xy: np.ndarray) -> np.ndarray:
        if self.method == "relative_weights":
            return relative_weights(corr_xx, corr_xy)
        if self.method == "shapley":
            return shapley_r2(corr_xx, corr_xy)
        raise AnalysisError(f"unknown driver method {self.method!r}; use 'relative_weights' or 'shapley'.")

    def fit(self, X: pd.DataFrame, y, *, outcome: str = "outcome") -> "DriverAnalysis":
        X = pd.DataFrame(X).apply(pd.to_numeric, errors="coerce").astype(float)
        y = pd.Series(np.asarray(y, dtype=float), index=X.index, name=outcome)
        has_y = y.notna()
        X, y = X[has_y], y[has_y]
        if len(y) < MIN_ROWS:
            raise NotEnoughDataError(f"driver analysis needs at least {MIN_ROWS} rows with a value of {outcome!r}; there are {len(y)}.")
        if y.nunique() < 2:
            raise NotEnoughDataError(f"the outcome {outcome!r} is {y.iloc[0]:g} in every row: there is no variation for drivers to explain.")
        self.dropped_: dict[str, str] = {}
        self.dropped_kinds_: dict[str, str] = {}  # driver → few_values, constant, outcome_constant or redundant (the report's words)
        keep = []
        for col in X.columns:
            pairs = X[col].notna()
            if pairs.sum() < MIN_PAIRS:
                self.dropped_[col] = f"only {int(pairs.sum())} rows have a value (at least {MIN_PAIRS} needed)"
                self.dropped_kinds_[col] = "few_values"
            elif X.loc[pairs, col].nunique() < 2:
                self.dropped_[col] = f"constant ({X.loc[pairs, col].iloc[0]:g} in every row): it cannot explain differences"
                self.dropped_kinds_[col] = "constant"
            elif y[pairs].nunique() < 2:
                self.dropped_[col] = "the outcome does not vary where this driver is present"
                self.dropped_kinds_[col] = "outcome_constant"
            else:
                keep.append(col)
        redundant = redundant_drivers(X[keep], keep)  # e.g. a language that follows region exactly
        self.dropped_.update(redundant)
        self.dropped_kinds_.update({col: "redundant" for col in redundant})
        keep = [c for c in keep if c not in redundant]
        if not keep:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.dropped_.items())
            raise NotEnoughDataError(f"no driver can be used for {outcome!r} — {reasons}.")
        X = X[keep]
        filled = X.fillna(X.mean()) if self.missing == "mean" else X
        data = np.column_stack([filled.to_numpy(), y.to_numpy()])
        corr_xx, corr_xy, means, sds = _correlations(data)
        weights = self._importance(corr_xx, corr_xy)
        if not np.isfinite(weights).all() or weights.sum() > 1.0 + 1e-6:
            raise AnalysisError(
                "the pairwise correlations of the drivers are inconsistent (too little overlap between drivers); "
                "use missing='mean' or drivers measured for the same customers."
            )
        coef = self._coefficients(corr_xx, corr_xy, sds)

        rng = np.random.default_rng(self.random_state)
        draws_w = np.empty((self.n_bootstrap, len(keep)))
        draws_b = np.empty((self.n_bootstrap, len(keep)))
        for i in range(self.n_bootstrap):
            sample = data[rng.integers(0, len(data), len(data))]
            c_xx, c_xy, _, s = _correlations(sample)
            draws_w[i] = self._importance(c_xx, c_xy)
            draws_b[i] = self._coefficients(c_xx, c_xy, s)
        alpha = (1.0 - self.confidence) / 2.0
        r2 = float(weights.sum())
        share = weights / r2 if r2 > 0 else np.zeros_like(weights)
        share_draws = draws_w / np.clip(draws_w.sum(axis=1, keepdims=True), 1e-12, None)
        std_coef = coef * sds[:-1] / sds[-1]
        frame = pd.DataFrame({
            "driver": keep,
            "importance": weights,
            "share": share,
            "share_low": np.quantile(share_draws, alpha, axis=0) if self.n_bootstrap else np.nan,
            "share_high": np.quantile(share_draws, 1 - alpha, axis=0) if self.n_bootstrap else np.nan,
            "correlation": corr_xy,
            "std_coefficient": std_coef,
            "coefficient": coef,
            "rows": X.notna().sum().to_numpy(),
            "mean": means[:-1],
        })
        frame["rank"] = frame["importance"].rank(ascending=False, method="first").astype(int)
        frame["coefficient_rank"] = frame["std_coefficient"].abs().rank(ascending=False, method="first").astype(int)
        if self.n_bootstrap:
            ranks = (-draws_w).argsort(axis=1).argsort(axis=1) + 1
            frame["rank_stability"] = (ranks == frame["rank"].to_numpy()).mean(axis=0)
        self.importance_ = frame.sort_values("rank", ignore_index=True)
        self.r2_ = r2
        self.r2_interval_ = tuple(np.quantile(draws_w.sum(axis=1), [alpha, 1 - alpha])) if self.n_bootstrap else (np.nan, np.nan)
        self.coefficients_ = pd.Series(coef, index=keep)
        self.coefficient_draws_ = pd.DataFrame(draws_b, columns=keep)
        self.outcome_ = outcome
        self.n_rows_ = len(y)
        self.drivers_ = keep
        self._X = X
        self._y = y
        return self

    @staticmethod
    def _coefficients(corr_xx: np.ndarray, corr_xy: np.ndarray, sds: np.ndarray) -> np.ndarray:
        """Multiple-regression effects in outcome units per driver unit (from the same correlations)."""
        beta = np.linalg.lstsq(corr_xx + np.eye(len(corr_xy)) * 1e-8, corr_xy, rcond=None)[0]
        return beta * sds[-1] / np.where(sds[:-1] > 0, sds[:-1], 1.0)

    def effect_of_change(self, changes: dict[str, float]) -> dict[str, float]:
        """Expected change of the outcome per customer when drivers move by ``changes`` (driver units),
        through the regression effects, with the bootstrap interval."""
        if not hasattr(self, "importance_"):
            raise AnalysisError("the driver analysis is not fitted yet; call fit() first.")
        unknown = [k for k in changes if k not in self.drivers_]
        if unknown:
            raise AnalysisError(f"unknown driver(s) {unknown}; the drivers are {', '.join(self.drivers_)}.")
        delta = pd.Series(changes, dtype=float)
        point = float((self.coefficients_[delta.index] * delta).sum())
        draws = self.coefficient_draws_[delta.index].to_numpy() @ delta.to_numpy()
        alpha = (1.0 - self.confidence) / 2.0
        low, high = (np.quantile(draws, [alpha, 1 - alpha]) if len(draws) else (np.nan, np.nan))
        return {"change": point, "low": float(low), "high": float(high), "draws": draws}

    def matrix(self, *, performance: pd.Series | None = None, higher_is_better: dict[str, bool] | None = None) -> pd.DataFrame:
        """The driver matrix: importance (share of R²) against current performance (0–100).

        Performance is the driver's mean placed within its observed range (0 = worst value seen,
        100 = best); a driver that correlates negatively with the outcome (friction, waiting time)
        counts as better when lower, unless ``higher_is_better`` says otherwise. Quadrants split at
        the mean share and at performance 50; ``priority`` = share × (100 − performance) orders
        "where to act first" (important and under-performing first).
        """
        frame = self.importance_[["driver", "share", "share_low", "share_high", "correlation", "mean"]].copy()
        perf = []
        for _, row in frame.iterrows():
            values = self._X[row["driver"]].dropna()
            lo, hi = float(values.min()), float(values.max())
            score = 100.0 * (row["mean"] - lo) / (hi - lo) if hi > lo else 50.0
            better_high = (higher_is_better or {}).get(row["driver"], row["correlation"] >= 0)
            perf.append(score if better_high else 100.0 - score)
        frame["performance"] = performance.reindex(frame["driver"]).to_numpy() if performance is not None else perf
        cut_share = 1.0 / len(frame)
        important = frame["share"] >= cut_share
        strong = frame["performance"] >= 50.0
        frame["quadrant"] = np.select(
            [important & ~strong, important & strong, ~important & ~strong],
            ["act first: important, under-performing", "keep: important, performing", "monitor: minor, under-performing"],
            default="maintain: minor, performing",
        )
        frame["priority"] = frame["share"] * (100.0 - frame["performance"])
        frame = frame.sort_values("priority", ascending=False, ignore_index=True)
        frame["act_order"] = np.arange(1, len(frame) + 1)
        return frame


def plot_importance(analysis: DriverAnalysis, *, say: Callable[..., str], labels: dict[str, str] | None = None):
    """Horizontal bars of each driver's share of R² with its bootstrap interval (``say``: the figure's words, see
    ``report.figures``; ``labels``: driver → name)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = analysis.importance_.iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(frame) + 1.4))
    err = np.vstack([frame["share"] - frame["share_low"], frame["share_high"] - frame["share"]]).clip(0) * 100
    ax.barh([(labels or {}).get(d, d) for d in frame["driver"]], frame["share"] * 100, xerr=err, color="#4c72b0", capsize=3)
    ax.set_xlabel(say("figure.drivers.share_axis"))
    ax.set_title(say("figure.drivers.importance_title", outcome=say.name("metric", analysis.outcome_.lower()), r2=analysis.r2_,
                     confidence=analysis.confidence), fontsize=10)
    fig.tight_layout()
    return fig


def plot_driver_matrix(matrix: pd.DataFrame, *, say: Callable[..., str], outcome: str = "outcome",
                       labels: dict[str, str] | None = None):
    """Importance against performance, with quadrant lines; act first on the top-left. Each point carries its
    ``act_order`` number, named in a key beside the plot (``labels``: driver → name), so labels never overlap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, key) = plt.subplots(1, 2, figsize=(9.6, 4.8), gridspec_kw={"width_ratios": [2.2, 1]})
    share = matrix["share"] * 100
    colours = np.where(matrix["quadrant"].str.startswith("act first"), "#c44e52", "#4c72b0")
    ax.scatter(matrix["performance"], share, s=60, c=colours)
    order = matrix["act_order"] if "act_order" in matrix else pd.Series(np.arange(1, len(matrix) + 1), index=matrix.index)
    for (_, row), n in zip(matrix.iterrows(), order):
        ax.annotate(str(n), (row["performance"], row["share"] * 100), textcoords="offset points", xytext=(4, 3), fontsize=8)
    ax.axvline(50, color="grey", linestyle="--", linewidth=1)
    ax.axhline(100.0 / len(matrix), color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(-5, 105)
    ax.set_ylim(0, max(share.max() * 1.2, 1))
    outcome_name = say.name("metric", outcome.lower())
    ax.set_xlabel(say("figure.drivers.performance_axis"))
    ax.set_ylabel(say("figure.drivers.importance_axis", outcome=outcome_name))
    ax.text(2, ax.get_ylim()[1] * 0.95, say("figure.drivers.act_first"), color="#c44e52", fontsize=9, va="top")
    ax.text(98, ax.get_ylim()[1] * 0.95, say("figure.drivers.keep"), color="grey", fontsize=9, va="top", ha="right")
    ax.set_title(say("figure.drivers.matrix_title", outcome=outcome_name), fontsize=10)
    key.axis("off")
    names = [(labels or {}).get(d, d) for d in matrix["driver"]]
    key.text(0, 1, "\n".join(f"{n}  {name}" for n, name in zip(order, names)), va="top", fontsize=8, transform=key.transAxes)
    fig.tight_layout()
    return fig
