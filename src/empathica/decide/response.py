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
        start = np.concatenate([[self.intercept_], self.coef_])
        draws = []
        for _ in range(self.n_bootstrap):
            counts = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
            if y[counts > 0].min() == y[counts > 0].max():
                continue
            draws.append(fit_logistic(Z, y, C=self.C, weight=counts, start=start))
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


class ChurnWithContacts:
    """The customer-level ``ChurnResponse`` and leaving after complaint contacts (``contacts.ContactLeaving``) as one
    response. A customer stays if they survive every complaint contact — Π (1 − P(leaving | the contact's empathy
    level, aspects)) over their contacts, S — and whatever else would make them leave: 1 − P = R × S. Today's P is
    the customer model's (it learnt every churner, those who left after a contact too), so R = (1 − P) ÷ S today
    (at most 1); a fix that changes the customer levers changes P and so R, one that moves or removes contacts
    changes S. The contacts are columns of their own (``contact_cell``: how many per cell), rows are customers of
    ``table`` (by index). Quacks like ``ChurnResponse`` (``columns_``, ``auc_``, ``usable``, ``proba_by_fit``,
    ``value_of_change``)."""

    def __init__(self, customers: ChurnResponse, contacts, cells: list[str], levels: pd.DataFrame, table: pd.DataFrame) -> None:
        self.customers, self.contacts, self.cells = customers, contacts, list(cells)
        self.log_stay_ = contacts.log_stay(self.cells, levels)  # cells × fits
        fits = min(1 + len(customers.draws_), self.log_stay_.shape[1])
        self.log_stay_ = self.log_stay_[:, :fits]
        self.columns_ = [*customers.columns_, *self.cells]
        self.auc_, self.usable, self.churn_rate_ = customers.auc_, customers.usable, customers.churn_rate_
        self.draws_ = customers.draws_[: fits - 1]
        self.index_ = table.index
        self.today_ = self._stay(table)  # S of every customer today

    def _stay(self, X: pd.DataFrame) -> np.ndarray:
        return np.exp(X[self.cells].to_numpy(dtype=float) @ self.log_stay_)

    def proba_by_fit(self, X: pd.DataFrame) -> np.ndarray:
        """P(churn) of each row of ``X`` (customers of the table, by index) under the models (column 0) and each
        pair of bootstrap refits."""
        m = self.customers.proba_by_fit(X)[:, : self.log_stay_.shape[1]]
        today = self.today_[self.index_.get_indexer(X.index)]
        rest = np.clip((1.0 - m) / np.maximum(today, 1e-12), 0.0, 1.0)
        return 1.0 - rest * self._stay(X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.proba_by_fit(X)[:, 0]

    def value_of_change(self, X: pd.DataFrame, changed: pd.DataFrame, value, *, confidence: float = 0.95) -> Valuation:
        """Revenue kept when the customers of ``X`` had the levers and contacts of ``changed`` (rows aligned)."""
        v = np.clip(np.nan_to_num(np.asarray(value, dtype=float)), 0.0, None)
        delta = self.proba_by_fit(X) - self.proba_by_fit(changed)
        sums = (delta * v[:, None]).sum(axis=0)
        alpha = (1 - confidence) / 2
        low, high = np.quantile(sums[1:], [alpha, 1 - alpha]) if len(sums) > 1 else (np.nan, np.nan)
        return Valuation(revenue=float(sums[0]), low=float(low), high=float(high),
                         churn_change=float(-delta[:, 0].mean()) if len(delta) else 0.0, by_customer=delta[:, 0] * v)


def fit_logistic(X: np.ndarray, y: np.ndarray, *, C: float, weight: np.ndarray | None = None,
                 start: np.ndarray | None = None, max_iter: int = 50, tol: float = 1e-8) -> np.ndarray:
    """(intercept, coefficients) of the L2-penalised logistic regression scikit-learn's ``LogisticRegression(C=C)``
    fits — minimising ½‖w‖² + C Σ weight·log-loss, the intercept unpenalised — by Newton's method from ``start``.
    A bootstrap refit is the full fit with each row weighted by how often it was drawn: from the full fit's
    coefficients Newton needs a handful of steps, where lbfgs needs dozens of passes."""
    A = np.hstack([np.ones((len(X), 1)), X])
    w = np.zeros(A.shape[1]) if start is None else np.array(start, dtype=float)
    s = np.ones(len(X)) if weight is None else np.asarray(weight, dtype=float)
    penalty = np.eye(A.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(max_iter):
        mu = _sigmoid(A @ w)
        gradient = C * (A.T @ (s * (mu - y))) + penalty @ w
        hessian = C * (A.T * (s * mu * (1.0 - mu))) @ A + penalty
        step = np.linalg.solve(hessian, gradient)
        w = w - step
        if np.max(np.abs(step)) < tol:
            break
    return w


def _sigmoid(z) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
