"""How churn responds to the levers: one logistic model that values every opportunity and scenario.

``ChurnResponse`` follows the scikit-learn estimator shape: parameters in ``__init__``, ``fit`` returns
self, fitted state ends in ``_``. It learns P(churned) from the per-customer levers and attribute
controls (missing values: the column mean, i.e. no information), validates itself by cross-validated
ROC AUC, and refits on bootstrap resamples of customers for intervals. ``value_of_change`` turns a
change of the levers for some customers into revenue kept: Σ (P(churn | now) − P(churn | changed)) ×
value, with the 2.5 and 97.5 % points of the same sum over the bootstrap fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from empathica.errors import NotEnoughDataError

#: Below this cross-validated ROC AUC the model is too close to chance to put money on anything.
MIN_AUC = 0.6


@dataclass(frozen=True)
class Valuation:
    """Revenue kept by a change, with its 95 % interval (in the store's currency)."""

    revenue: float
    low: float
    high: float
    churn_change: float  # mean change of P(churn) among the customers changed (negative: fewer leave)
    #: each changed customer's part of ``revenue`` (the fitted model's; rows as given), so that a team's or region's
    #: share is a sum over its customers (``decide.shares``); None when not kept
    by_customer: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def spans_zero(self) -> bool:
        return not (self.low > 0 or self.high < 0)


class ChurnResponse:
    """P(churn) as a logistic function of standardised levers, with bootstrap refits."""

    def __init__(self, *, n_bootstrap: int = 100, C: float = 1.0, min_auc: float = MIN_AUC, random_state: int | None = 0) -> None:
        self.n_bootstrap = n_bootstrap
        self.C = C
        self.min_auc = min_auc
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, churned) -> "ChurnResponse":
        y = np.asarray(churned, dtype=int)
        if len(y) < 50 or min(y.sum(), len(y) - y.sum()) < 10:
            raise NotEnoughDataError(f"valuing changes needs 50+ customers with 10+ churners and 10+ stayers; there are "
                                     f"{len(y)} customers and {int(y.sum())} churners.")
        self.columns_ = list(X.columns)
        values = X.to_numpy(dtype=float)
        self.mean_ = np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=0)
        self.mean_ = np.where(np.isfinite(self.mean_), self.mean_, 0.0)
        self.scale_ = np.nanstd(values, axis=0)
        self.scale_ = np.where(np.isfinite(self.scale_) & (self.scale_ > 0), self.scale_, 1.0)
        Z = self._design(X)
        model = LogisticRegression(C=self.C, max_iter=1000)
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=self.random_state)
        self.auc_ = float(roc_auc_score(y, cross_val_predict(model, Z, y, cv=folds, method="predict_proba")[:, 1]))
        model.fit(Z, y)
        self.coef_, self.intercept_ = model.coef_[0].copy(), float(model.intercept_[0])
        rng = np.random.default_rng(self.random_state)
        draws = []
        for _ in range(self.n_bootstrap):
            idx = rng.integers(0, len(y), len(y))
            if y[idx].min() == y[idx].max():
                continue
            # started from the full fit's coefficients: the same (convex) optimum in far fewer iterations
            m = LogisticRegression(C=self.C, max_iter=1000, warm_start=True)
            m.coef_, m.intercept_ = model.coef_.copy(), model.intercept_.copy()
            m.fit(Z[idx], y[idx])
            draws.append(np.concatenate([[m.intercept_[0]], m.coef_[0]]))
        self.draws_ = np.array(draws)
        self.churn_rate_ = float(y.mean())
        return self

    @property
    def usable(self) -> bool:
        """Whether the model validates clearly above chance (ROC AUC ≥ ``min_auc``)."""
        return self.auc_ >= self.min_auc

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        values = X[self.columns_].to_numpy(dtype=float)
        values = np.where(np.isfinite(values), values, self.mean_)
        return (values - self.mean_) / self.scale_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return _sigmoid(self.intercept_ + self._design(X) @ self.coef_)

    def proba_by_fit(self, X: pd.DataFrame) -> np.ndarray:
        """P(churn) of each row of ``X`` under the model (column 0) and each bootstrap refit (rows × 1 + refits)."""
        fits = np.vstack([np.concatenate([[self.intercept_], self.coef_]), self.draws_.reshape(-1, len(self.coef_) + 1)])
        return _sigmoid(fits[:, 0] + self._design(X) @ fits[:, 1:].T)

    def value_of_change(self, X: pd.DataFrame, changed: pd.DataFrame, value, *, confidence: float = 0.95) -> Valuation:
        """Revenue kept when the customers of ``X`` had the levers of ``changed`` (rows aligned), valued at ``value``."""
        now, then = self._design(X), self._design(changed)
        v = np.clip(np.nan_to_num(np.asarray(value, dtype=float)), 0.0, None)
        delta = _sigmoid(self.intercept_ + now @ self.coef_) - _sigmoid(self.intercept_ + then @ self.coef_)
        sums = [float(((_sigmoid(d[0] + now @ d[1:]) - _sigmoid(d[0] + then @ d[1:])) * v).sum()) for d in self.draws_]
        alpha = (1 - confidence) / 2
        low, high = np.quantile(sums, [alpha, 1 - alpha]) if sums else (np.nan, np.nan)
        return Valuation(revenue=float((delta * v).sum()), low=float(low), high=float(high),
                         churn_change=float(-delta.mean()) if len(delta) else 0.0, by_customer=delta * v)


def _sigmoid(z) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
