"""Customer lifetime value: RFM summaries (Ibis), BG/NBD purchases and Gamma-Gamma spend (SciPy).

The models are those of Fader, Hardie & Lee (2005) — "Counting your customers the easy way" (BG/NBD)
and "RFM and CLV" (Gamma-Gamma) — written on SciPy so that no unmaintained CLV package is needed.
Time is measured in ``time_unit_days`` (7: weeks, the unit of the published CDNOW figures).

>>> import pandas as pd
>>> summary = pd.DataFrame({"frequency": [0, 2, 5, 1], "recency": [0.0, 20.0, 30.0, 5.0], "T": [38.0, 38.0, 36.0, 30.0]})
>>> model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd
from scipy import optimize, special

from empathica.errors import AnalysisError, NotEnoughDataError

if TYPE_CHECKING:
    from ibis.expr.types import Table as IbisTable

#: Fewest customers a BG/NBD fit is attempted on (four parameters need a population, not a handful).
MIN_CUSTOMERS = 20
#: Fewest repeat buyers a Gamma-Gamma fit is attempted on.
MIN_REPEAT_BUYERS = 10
_SECONDS_PER_DAY = 86_400
#: Search bounds of the (scaled) log-parameters; a fit ending within _BOUND_MARGIN of them is refused.
_LOG_BOUNDS = (-12.0, 12.0)
_BOUND_MARGIN = 0.5
_BGNBD_HINTS = {
    "r": "purchase rates barely differ between customers: purchases are too regular",
    "alpha": "purchase rates barely differ between customers: purchases are too regular",
    "a": "no drop-out is visible: customers keep buying to the end, too few have stopped",
    "b": "no drop-out is visible: customers keep buying to the end, too few have stopped",
}
_GAMMA_GAMMA_HINTS = {
    "p": "spend per purchase does not vary the way Gamma-Gamma assumes",
    "q": "mean spend barely differs between customers: too few repeat buyers or too uniform amounts",
    "gamma": "mean spend barely differs between customers: too few repeat buyers or too uniform amounts",
}


# -- RFM summaries ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RFMInput:
    """What went into an RFM summary: the rows kept and the rows set aside, with why."""

    rows: int
    returns_excluded: int  # rows with amount <= 0 (refunds, zero-value lines): not purchases
    duplicates_removed: int  # rows repeating a transaction id already counted
    customers: int
    calibration_end: datetime
    observation_end: datetime


def rfm_summary(
    transactions: "IbisTable",
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    transaction_id: str | None = None,
    calibration_end: datetime | str | None = None,
    observation_end: datetime | str | None = None,
    time_unit_days: float = 7.0,
    zero_amount_is_purchase: bool = False,
) -> tuple[pd.DataFrame, RFMInput]:
    """Per-customer frequency, recency, T and monetary value from a transactions table (Ibis).

    Rules (documented in docs/value.md):
    - rows with a missing customer, time or amount are ignored; rows with ``amount <= 0`` are returns
      or zero-value lines and are not purchases: they are excluded from frequency and spend
      (``zero_amount_is_purchase=True`` counts zero-value purchases, e.g. free items, as occasions);
    - with ``transaction_id`` given, a repeated id is counted once (duplicate transactions);
    - purchases on the same day are collapsed into one purchase occasion whose value is their sum;
    - ``frequency`` = purchase days after the first (repeat purchases) up to ``calibration_end``;
      ``recency`` = time from first to last purchase day; ``T`` = time from first purchase day to
      ``calibration_end``; ``monetary_value`` = mean value of the repeat purchase days (NaN when none);
    - when ``observation_end`` is after ``calibration_end``, ``holdout_frequency`` and
      ``holdout_value`` count the purchase days (and their value) in the holdout period.
    Customers whose first purchase is after ``calibration_end`` are not in the summary.
    """
    import ibis

    for col in (customer, timestamp, amount) + ((transaction_id,) if transaction_id else ()):
        if col not in transactions.columns:
            raise AnalysisError(
                f"transactions have no column {col!r}; their columns are {', '.join(transactions.columns)}. "
                "Name the right column (--customer/--date/--value)."
            )
    t = transactions
    ts = t[timestamp]
    if not ts.type().is_timestamp():
        if ts.type().is_date():
            ts = ts.cast("timestamp")
        else:
            raise AnalysisError(f"column {timestamp!r} holds {ts.type()}, not dates; parse it as a date first.")
    base = t.select(
        cust=t[customer].cast("string"),
        ts=ts,
        amount=t[amount].cast("float64"),
        **({"tid": t[transaction_id].cast("string")} if transaction_id else {}),
    ).filter(lambda r: r.cust.notnull() & r.ts.notnull() & r.amount.notnull())
    counts = base.aggregate(
        rows=base.count(),
        returns=((base.amount < 0) | ((base.amount == 0) & (not zero_amount_is_purchase))).sum(),
        first=base.ts.min(),
        last=base.ts.max(),
    ).execute().iloc[0]
    rows = int(counts["rows"])
    if rows == 0:
        raise NotEnoughDataError("the transactions table holds no row with a customer, a date and an amount.")
    purchases = base.filter((base.amount >= 0) if zero_amount_is_purchase else (base.amount > 0))
    duplicates = 0
    if transaction_id:
        kept = purchases.group_by(["cust", "tid"]).aggregate(ts=purchases.ts.min(), amount=purchases.amount.max())
        duplicates = int(purchases.count().execute()) - int(kept.count().execute())
        purchases = kept.select("cust", "ts", "amount")

    last_seen = pd.Timestamp(counts["last"])
    obs_end = _as_timestamp(observation_end, last_seen)
    cal_end = _as_timestamp(calibration_end, obs_end)
    if cal_end > obs_end:
        raise AnalysisError(f"the calibration end {cal_end.date()} is after the observation end {obs_end.date()}.")
    cal_day = _day_number(cal_end)
    obs_day = _day_number(obs_end)

    day = (purchases.ts.epoch_seconds() // _SECONDS_PER_DAY).cast("int64")
    daily = purchases.group_by([purchases.cust, day.name("day")]).aggregate(value=purchases.amount.sum())
    daily = daily.filter(daily.day <= obs_day)
    cal = daily.filter(daily.day <= cal_day)
    per_customer = cal.group_by("cust").aggregate(
        first_day=cal.day.min(),
        last_day=cal.day.max(),
        days=cal.count(),
        total=cal.value.sum(),
        first_value=cal.value.argmin(cal.day),
    )
    unit = float(time_unit_days)
    summary = per_customer.select(
        customer_id=per_customer.cust,
        frequency=(per_customer.days - 1).cast("int64"),
        recency=(per_customer.last_day - per_customer.first_day).cast("float64") / unit,
        T=(ibis.literal(cal_day) - per_customer.first_day).cast("float64") / unit,
        monetary_value=ibis.ifelse(
            per_customer.days > 1,
            (per_customer.total - per_customer.first_value) / (per_customer.days - 1).cast("float64"),
            ibis.null("float64"),
        ),
        first_purchase_value=per_customer.first_value,
    )
    if obs_day > cal_day:
        hold = daily.filter(daily.day > cal_day)
        hold = hold.group_by("cust").aggregate(holdout_frequency=hold.count(), holdout_value=hold.value.sum())
        summary = summary.left_join(hold, summary.customer_id == hold.cust).select(
            *summary.columns,
            holdout_frequency=hold.holdout_frequency.fill_null(0).cast("int64"),
            holdout_value=hold.holdout_value.fill_null(0.0),
        )
    frame = summary.order_by("customer_id").to_pandas()
    frame["monetary_value"] = frame["monetary_value"].astype(float)
    info = RFMInput(
        rows=rows,
        returns_excluded=int(counts["returns"] or 0),
        duplicates_removed=duplicates,
        customers=len(frame),
        calibration_end=cal_end.to_pydatetime(),
        observation_end=obs_end.to_pydatetime(),
    )
    if len(frame) == 0:
        raise NotEnoughDataError(
            f"no customer made a purchase (amount > 0) by {cal_end.date()}; {info.returns_excluded} rows were returns "
            "or zero amounts. Check the --value column and the --holdout-start date."
        )
    return frame, info


def _as_timestamp(value: datetime | str | None, default: pd.Timestamp) -> pd.Timestamp:
    """A tz-naive UTC timestamp (the store keeps UTC; naive input is taken as UTC)."""
    if value is None:
        stamp = pd.Timestamp(default)
    else:
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise AnalysisError(f"cannot read {value!r} as a date (use YYYY-MM-DD): {exc}") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def _day_number(stamp: pd.Timestamp) -> int:
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int((stamp.normalize() - pd.Timestamp("1970-01-01")).days)


# -- fitting helpers -------------------------------------------------------------------------------
def _fit_log_params(
    negative_ll,
    starts: list[np.ndarray],
    *,
    random_state: int | None,
    n_starts: int,
    polish: bool = True,
) -> tuple[np.ndarray, float]:
    """Minimise a negative log-likelihood over log-parameters from several starting points."""
    rng = np.random.default_rng(random_state)
    candidates = list(starts) + [starts[0] + rng.normal(0.0, 1.0, size=starts[0].shape) for _ in range(max(0, n_starts - len(starts)))]
    best_x, best_f = None, np.inf
    for x0 in candidates:
        with np.errstate(all="ignore"):
            result = optimize.minimize(negative_ll, x0, method="L-BFGS-B", bounds=[_LOG_BOUNDS] * len(x0),
                                       options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000})
        if np.isfinite(result.fun) and result.fun < best_f:
            best_x, best_f = result.x, float(result.fun)
    if best_x is not None and polish:
        # polish the best optimum: Nelder-Mead tightens the last digits on a flat likelihood; it keeps
        # to the same bounds, or it would walk along a flat ridge to 1e280 when the MLE is at infinity
        with np.errstate(all="ignore"):
            polished = optimize.minimize(negative_ll, best_x, method="Nelder-Mead", bounds=[_LOG_BOUNDS] * len(best_x),
                                         options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 1500})
        if np.isfinite(polished.fun) and polished.fun < best_f:
            best_x, best_f = polished.x, float(polished.fun)
    if best_x is None:
        raise AnalysisError("the likelihood could not be evaluated at any starting point; the data may be degenerate.")
    return np.exp(best_x), best_f


def _check_inside_bounds(model: str, log_params: dict[str, float], hints: dict[str, str]) -> None:
    """Refuse a fit whose (scaled) log-parameter ran to the search bound: the likelihood's maximum is
    at infinity, so the figures it would give (CLV, spend) are meaningless, not merely imprecise."""
    at_bound = [name for name, value in log_params.items() if abs(value) >= _LOG_BOUNDS[1] - _BOUND_MARGIN]
    if at_bound:
        why = "; ".join(dict.fromkeys(hints[name] for name in at_bound))
        raise NotEnoughDataError(
            f"the purchase pattern cannot be fitted by {model}: {', '.join(at_bound)} ran to "
            f"{'its bound' if len(at_bound) == 1 else 'their bounds'} ({why}). No CLV is given rather than a "
            "meaningless figure; a longer history or more customers with repeat purchases would help."
        )


def _subsample(rng_seed: int | None, n: int, limit: int | None) -> np.ndarray | None:
    """Indices of a random subsample of ``limit`` rows when there are more (population parameters
    are estimated as well from a few hundred thousand customers, and far faster)."""
    if limit is None or n <= limit:
        return None
    return np.sort(np.random.default_rng(rng_seed).choice(n, size=limit, replace=False))


def _as_float_array(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise AnalysisError(f"{name} must be one value per customer")
    return array


# -- BG/NBD -----------------------------------------------------------------------------------------
class BetaGeoModel:
    """BG/NBD: repeat purchases while alive (Poisson, gamma-distributed rates) and drop-out after any
    purchase (geometric, beta-distributed probabilities).

    Parameters: ``r, alpha`` (purchase-rate heterogeneity) and ``a, b`` (drop-out heterogeneity).
    Fitted by maximum likelihood over log-parameters from ``n_starts`` starting points, on at most
    ``max_fit_customers`` customers (a seeded random subsample beyond that; None: all).
    """

    def __init__(self, *, n_starts: int = 3, max_fit_customers: int | None = 100_000, random_state: int | None = 0) -> None:
        self.n_starts = n_starts
        self.max_fit_customers = max_fit_customers
        self.random_state = random_state

    def fit(self, frequency, recency, T) -> "BetaGeoModel":
        x = _as_float_array(frequency, "frequency")
        t_x = _as_float_array(recency, "recency")
        big_t = _as_float_array(T, "T")
        if len(x) < MIN_CUSTOMERS:
            raise NotEnoughDataError(
                f"a BG/NBD model needs at least {MIN_CUSTOMERS} customers; the summary holds {len(x)}."
            )
        if not (x > 0).any():
            raise NotEnoughDataError(
                "no customer made a repeat purchase, so purchase rates and drop-out cannot be told apart; "
                "a longer observation period is needed."
            )
        if np.any(t_x > big_t + 1e-9) or np.any(x < 0) or np.any(t_x < 0):
            raise AnalysisError("recency must lie between 0 and T and frequency be >= 0 for every customer.")
        self.n_customers_ = len(x)
        rows = _subsample(self.random_state, len(x), self.max_fit_customers)
        if rows is not None:
            x, t_x, big_t = x[rows], t_x[rows], big_t[rows]
        self.n_fit_customers_ = len(x)
        # customers with the same (x, t_x, T) share a likelihood term: fit on the unique rows, weighted;
        # the terms that depend on x alone are computed once per distinct x
        keys, counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
        ux, ut_x, ut = keys[:, 0], keys[:, 1], keys[:, 2]
        xs, x_index = np.unique(ux, return_inverse=True)
        repeat = ux > 0
        scale = max(1.0, float(np.median(ut)))  # keep log-alpha near 0 whatever the time unit

        def nll(log_params: np.ndarray) -> float:
            r, alpha, a, b = np.exp(log_params)
            alpha = alpha * scale
            per_x = (special.gammaln(r + xs) - special.gammaln(r) + r * np.log(alpha)
                     + special.betaln(a, b + xs) - special.betaln(a, b))
            a4_const = np.log(a) - np.log(np.maximum(b + xs - 1.0, 1e-300))
            ln_a3 = -(r + ux) * np.log(alpha + ut)
            ln_a4 = np.where(repeat, a4_const[x_index] - (r + ux) * np.log(alpha + ut_x), -np.inf)
            value = -float(np.dot(counts, per_x[x_index] + np.logaddexp(ln_a3, ln_a4)))
            return value if np.isfinite(value) else 1e300

        starts = [np.log([0.5, 1.0, 0.8, 2.0]), np.log([1.0, 0.1, 1.0, 1.0]), np.log([0.2, 0.5, 0.5, 3.0])]
        params, best = _fit_log_params(nll, starts, random_state=self.random_state, n_starts=self.n_starts,
                                       polish=len(ux) <= 20_000)
        _check_inside_bounds("BG/NBD", dict(zip(("r", "alpha", "a", "b"), np.log(params))), _BGNBD_HINTS)
        self.r_, alpha, self.a_, self.b_ = (float(v) for v in params)
        self.alpha_ = alpha * scale
        self.log_likelihood_ = -best
        return self

    @property
    def params_(self) -> dict[str, float]:
        return {"r": self.r_, "alpha": self.alpha_, "a": self.a_, "b": self.b_}

    def _check_fitted(self) -> None:
        if not hasattr(self, "r_"):
            raise AnalysisError("the BG/NBD model is not fitted yet; call fit() first.")

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(customer still active at T | x, t_x, T)."""
        self._check_fitted()
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        log_ratio = np.log(self.a_) - np.log(np.maximum(self.b_ + x - 1.0, 1e-12)) + (self.r_ + x) * (
            np.log(self.alpha_ + big_t) - np.log(self.alpha_ + t_x)
        )
        return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700.0))), 1.0)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units, given each customer's history."""
        self._check_fitted()
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        t = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        z = t / (alpha + big_t + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        power = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
        numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - power * hyp)
        log_ratio = np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-12)) + (r + x) * (
            np.log(alpha + big_t) - np.log(alpha + t_x)
        )
        denominator = 1.0 + np.where(x > 0, np.exp(np.minimum(log_ratio, 700.0)), 0.0)
        return numerator / denominator

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a customer in the first ``t`` units after the first."""
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        hyp = special.hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
        return (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp)


def _bgnbd_log_likelihood(r, alpha, a, b, x, t_x, big_t) -> np.ndarray:
    """Per-customer log-likelihood of the BG/NBD (Fader, Hardie & Lee 2005, eq. 6)."""
    ln_a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    ln_a2 = special.betaln(a, b + x) - special.betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


# -- Gamma-Gamma ------------------------------------------------------------------------------------
class GammaGammaModel:
    """Gamma-Gamma spend model: a customer's transaction values vary around a mean that varies across
    customers. Parameters ``p, q, gamma``; fitted on repeat buyers (frequency >= 1) by maximum likelihood
    (on at most ``max_fit_customers`` of them, a seeded random subsample beyond that).
    """

    def __init__(self, *, n_starts: int = 3, max_fit_customers: int | None = 100_000, random_state: int | None = 0) -> None:
        self.n_starts = n_starts
        self.max_fit_customers = max_fit_customers
        self.random_state = random_state

    def fit(self, frequency, monetary_value) -> "GammaGammaModel":
        x = _as_float_array(frequency, "frequency")
        m = _as_float_array(monetary_value, "monetary_value")
        keep = (x > 0) & np.isfinite(m) & (m > 0)
        x, m = x[keep], m[keep]
        if len(x) < MIN_REPEAT_BUYERS:
            raise NotEnoughDataError(
                f"a Gamma-Gamma spend model needs at least {MIN_REPEAT_BUYERS} repeat buyers with positive spend; "
                f"there are {len(x)}."
            )
        self.n_customers_ = len(x)
        rows = _subsample(self.random_state, len(x), self.max_fit_customers)
        if rows is not None:
            x, m = x[rows], m[rows]
        self.n_fit_customers_ = len(x)
        scale = float(np.mean(m))  # gamma is in money units: fit it relative to mean spend
        xs, x_index = np.unique(x, return_inverse=True)
        log_m, log_x = np.log(m), np.log(x)

        def nll(log_params: np.ndarray) -> float:
            p, q, gamma = np.exp(log_params)
            gamma = gamma * scale
            per_x = special.gammaln(p * xs + q) - special.gammaln(p * xs) - special.gammaln(q) + q * np.log(gamma)
            px = p * x
            ll = per_x[x_index] + (px - 1.0) * log_m + px * log_x - (px + q) * np.log(x * m + gamma)
            value = -float(np.sum(ll))
            return value if np.isfinite(value) else 1e300

        starts = [np.log([1.0, 1.0, 1.0]), np.log([5.0, 3.0, 2.0]), np.log([2.0, 5.0, 0.5])]
        params, best = _fit_log_params(nll, starts, random_state=self.random_state, n_starts=self.n_starts,
                                       polish=len(x) <= 20_000)
        _check_inside_bounds("Gamma-Gamma", dict(zip(("p", "q", "gamma"), np.log(params))), _GAMMA_GAMMA_HINTS)
        self.p_, self.q_, gamma = (float(v) for v in params)
        self.gamma_ = gamma * scale
        self.log_likelihood_ = -best
        if self.q_ <= 1.0:
            raise AnalysisError(
                f"the fitted spend model has q = {self.q_:.2f} <= 1, so mean spend is unbounded; spend is too "
                "heavy-tailed for Gamma-Gamma (check for outlier amounts)."
            )
        return self

    @property
    def params_(self) -> dict[str, float]:
        return {"p": self.p_, "q": self.q_, "gamma": self.gamma_}

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[mean transaction value | x, m̄] = p (gamma + x m̄) / (p x + q - 1); the population mean
        p gamma / (q - 1) for customers without repeat purchases."""
        if not hasattr(self, "p_"):
            raise AnalysisError("the Gamma-Gamma model is not fitted yet; call fit() first.")
        x = np.asarray(frequency, dtype=float)
        m = np.nan_to_num(np.asarray(monetary_value, dtype=float), nan=0.0)
        x = np.where(np.isfinite(m) & (m > 0), x, 0.0)
        return self.p_ * (self.gamma_ + x * m) / (self.p_ * x + self.q_ - 1.0)


def _gamma_gamma_log_likelihood(p, q, gamma, x, m) -> np.ndarray:
    """Per-customer log-likelihood of the mean spend m̄ over x transactions (Fader, Hardie & Lee 2005b)."""
    px = p * x
    return (
        special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
        + q * np.log(gamma) + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + gamma)
    )


# -- CLV ----------------------------------------------------------------------------------------------
def customer_lifetime_value(
    purchases: BetaGeoModel,
    spend: GammaGammaModel,
    summary: pd.DataFrame,
    *,
    horizon: float = 52.0,
    step: float = 52.0 / 12.0,
    annual_discount_rate: float = 0.10,
    periods_per_year: float = 52.0,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Per-customer p_alive, expected purchases and spend over ``horizon``, and discounted CLV.

    CLV = margin · E[spend] · Σ_k (E[X(t_k)] − E[X(t_{k−1})]) / (1 + d)^(t_k / periods_per_year), with
    t_k = k · step up to ``horizon`` (time units of the summary) and d the annual discount rate.
    """
    if horizon <= 0 or step <= 0:
        raise AnalysisError("the CLV horizon and step must be positive.")
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    big_t = summary["T"].to_numpy(dtype=float)
    money = summary["monetary_value"].to_numpy(dtype=float)
    spend_per_purchase = spend.expected_spend(x, money)
    edges = np.append(np.arange(step, horizon, step), horizon)
    discounted = np.zeros_like(x)
    previous = np.zeros_like(x)
    for t_k in edges:
        cumulative = purchases.expected_purchases(t_k, x, t_x, big_t)
        discounted += (cumulative - previous) / (1.0 + annual_discount_rate) ** (t_k / periods_per_year)
        previous = cumulative
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()} if "customer_id" in summary else {})
    out["frequency"] = x.astype(int)
    out["recency"] = t_x
    out["T"] = big_t
    out["monetary_value"] = money
    out["p_alive"] = purchases.probability_alive(x, t_x, big_t)
    out["expected_purchases"] = previous
    out["expected_spend"] = spend_per_purchase
    out["clv"] = margin * spend_per_purchase * discounted
    bad = ~np.isfinite(out[["p_alive", "expected_purchases", "expected_spend", "clv"]].to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        first = out["customer_id"].iloc[int(np.flatnonzero(bad)[0])] if "customer_id" in out else int(np.flatnonzero(bad)[0])
        raise AnalysisError(
            f"the fitted models give no finite CLV for {int(bad.sum())} of {len(out)} customers (first: {first}); "
            f"the parameters (r={purchases.r_:.3g}, alpha={purchases.alpha_:.3g}, a={purchases.a_:.3g}, b={purchases.b_:.3g}, "
            f"p={spend.p_:.3g}, q={spend.q_:.3g}, gamma={spend.gamma_:.3g}) are too extreme for this purchase pattern; "
            "a longer history or more repeat buyers would help."
        )
    return out


def holdout_comparison(purchases: BetaGeoModel, summary: pd.DataFrame, holdout_length: float) -> tuple[pd.DataFrame, dict]:
    """Actual against predicted holdout purchases, by calibration frequency (0, 1, …, 6, 7+), and totals."""
    if "holdout_frequency" not in summary:
        raise AnalysisError("the summary has no holdout period; give a calibration end before the last date.")
    predicted = purchases.expected_purchases(holdout_length, summary["frequency"], summary["recency"], summary["T"])
    frame = pd.DataFrame({
        "frequency_bin": np.minimum(summary["frequency"].to_numpy(), 7),
        "actual": summary["holdout_frequency"].to_numpy(dtype=float),
        "predicted": predicted,
    })
    by_bin = frame.groupby("frequency_bin").agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")).reset_index()
    by_bin["frequency_bin"] = by_bin["frequency_bin"].map(lambda v: "7+" if v >= 7 else str(int(v)))
    totals = {
        "holdout_length": float(holdout_length),
        "actual_total": float(frame["actual"].sum()),
        "predicted_total": float(frame["predicted"].sum()),
        "mean_absolute_error": float(np.mean(np.abs(frame["actual"] - frame["predicted"]))),
    }
    totals["relative_error_total"] = (totals["predicted_total"] - totals["actual_total"]) / max(totals["actual_total"], 1e-12)
    return by_bin, totals


def bootstrap_clv_totals(summary: pd.DataFrame, weights: dict[str, np.ndarray], *, horizon: float = 52.0,
                         annual_discount_rate: float = 0.10, periods_per_year: float = 52.0, n_bootstrap: int = 30,
                         random_state: int | None = 0) -> dict[str, np.ndarray]:
    """Weighted CLV totals (Σ weight × CLV, one per name of ``weights``, each aligned with the rows of
    ``summary``), once per refit of BG/NBD and Gamma-Gamma on a bootstrap resample of the customers of
    ``summary`` (frequency, recency, T, monetary_value): how much each total moves with the models'
    parameter uncertainty. The 2.5 and 97.5 % points of a total's draws are its 95 % interval."""
    rng = np.random.default_rng(random_state)
    w = {name: np.nan_to_num(np.asarray(v, dtype=float)) for name, v in weights.items()}
    totals: dict[str, list[float]] = {name: [] for name in w}
    for _ in range(n_bootstrap):
        sample = summary.iloc[rng.integers(0, len(summary), len(summary))]
        try:
            purchases = BetaGeoModel(random_state=random_state).fit(sample["frequency"], sample["recency"], sample["T"])
            spend = GammaGammaModel(random_state=random_state).fit(sample["frequency"], sample["monetary_value"])
            clv = customer_lifetime_value(purchases, spend, summary, horizon=horizon, step=horizon / 12.0,
                                          annual_discount_rate=annual_discount_rate,
                                          periods_per_year=periods_per_year)["clv"].to_numpy(dtype=float)
        except (NotEnoughDataError, AnalysisError):  # a resample too thin to fit: skipped, not counted
            continue
        for name, weight in w.items():
            totals[name].append(float((weight * clv).sum()))
    return {name: np.array(v) for name, v in totals.items()}


def plot_holdout(by_bin: pd.DataFrame, *, say: Callable[..., str]):
    """Bar chart of mean holdout purchases per calibration-frequency bin (``say``: the figure's words, see
    ``report.figures``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    pos = np.arange(len(by_bin))
    ax.bar(pos - 0.2, by_bin["actual"], width=0.4, label=say("figure.holdout.actual"))
    ax.bar(pos + 0.2, by_bin["predicted"], width=0.4, label=say("figure.holdout.predicted"))
    ax.set_xticks(pos, [say.data(b) for b in by_bin["frequency_bin"]])
    ax.set_xlabel(say("figure.holdout.calibration_axis"))
    ax.set_ylabel(say("figure.holdout.holdout_axis"))
    ax.set_title(say("figure.holdout.title"))
    ax.legend()
    fig.tight_layout()
    return fig


@dataclass
class CLVResult:
    """Everything one CLV fit produces."""

    customers: pd.DataFrame
    params: dict
    rfm: RFMInput
    holdout_by_bin: pd.DataFrame | None = None
    holdout_totals: dict | None = None


def fit_clv(
    transactions: "IbisTable",
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    transaction_id: str | None = None,
    holdout_start: datetime | str | None = None,
    time_unit_days: float = 7.0,
    horizon: float = 52.0,
    annual_discount_rate: float = 0.10,
    zero_amount_is_purchase: bool = False,
    random_state: int | None = 0,
) -> CLVResult:
    """RFM summary → BG/NBD + Gamma-Gamma → CLV per customer, with holdout validation when asked.

    With ``holdout_start``, a first fit learns from purchases before it and is checked on purchases from
    it on (``holdout_by_bin``, ``holdout_totals``); the CLV table comes from a refit on the whole period,
    so that it uses all the data.
    """
    columns = dict(customer=customer, timestamp=timestamp, amount=amount, transaction_id=transaction_id,
                   time_unit_days=time_unit_days, zero_amount_is_purchase=zero_amount_is_purchase)
    by_bin = totals = None
    if holdout_start is not None:
        cal_end = _as_timestamp(holdout_start, pd.Timestamp.now()) - pd.Timedelta(days=1)
        calib, _ = rfm_summary(transactions, calibration_end=cal_end, **columns)
        if "holdout_frequency" not in calib:
            raise AnalysisError(f"no purchase falls on or after the holdout start {holdout_start}; choose an earlier date.")
        model = BetaGeoModel(random_state=random_state).fit(calib["frequency"], calib["recency"], calib["T"])
        obs_end = _as_timestamp(None, transactions[timestamp].max().execute())
        length = (_day_number(obs_end) - _day_number(cal_end)) / time_unit_days
        by_bin, totals = holdout_comparison(model, calib, length)
        totals["calibration_params"] = model.params_
    summary, info = rfm_summary(transactions, **columns)
    purchases = BetaGeoModel(random_state=random_state).fit(summary["frequency"], summary["recency"], summary["T"])
    spend = GammaGammaModel(random_state=random_state).fit(summary["frequency"], summary["monetary_value"])
    customers = customer_lifetime_value(purchases, spend, summary, horizon=horizon, step=horizon / 12.0,
                                        annual_discount_rate=annual_discount_rate,
                                        periods_per_year=365.25 / time_unit_days)
    params = {**purchases.params_, **spend.params_, "time_unit_days": time_unit_days, "horizon": horizon,
              "annual_discount_rate": annual_discount_rate, "customers": len(summary),
              "rows": info.rows, "returns_excluded": info.returns_excluded,
              "duplicates_removed": info.duplicates_removed,
              "observation_end": info.observation_end.isoformat()}
    return CLVResult(customers=customers, params=params, rfm=info, holdout_by_bin=by_bin, holdout_totals=totals)
