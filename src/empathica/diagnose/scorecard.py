"""The five-dimension CX scorecard: each dimension 0–100 with its evidence, a bootstrap interval and its trend
(against the previous run and between the data's last two periods), for the whole company and per brand, region,
segment, serving team and site (the serving team's region).

A dimension's score is the weighted mean of its metrics' scores (``rules.MetricRule.score``). Customer-level
measures are averaged over the group's customers, and the interval comes from resampling those customers;
company-level measures are the same for every group and held fixed in the resampling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.diagnose.rules import DIMENSIONS, MetricRule
from empathica.learn.benchmark import Z95

#: Customers a group needs to be scored (fewer: not shown).
MIN_GROUP_CUSTOMERS = 30
#: The groupings a scorecard is computed for, besides the whole company (column of the customer evidence).
SCOPES = ("brand", "region", "segment", "team_id", "site")
#: Customers of a group a customer-level metric needs measured to count (fewer: the metric is left out).
MIN_MEASURED = 5


class Scorecard:
    """Scores the CX dimensions of customer evidence by the rules; ``fit`` stores ``scores_`` and ``evidence_``."""

    def __init__(self, *, rules: list[MetricRule], n_bootstrap: int = 200, random_state: int = 7,
                 min_customers: int = MIN_GROUP_CUSTOMERS, min_measured: int = MIN_MEASURED) -> None:
        self.rules = rules
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.min_customers = min_customers
        self.min_measured = min_measured

    def fit(self, customers: pd.DataFrame, company: dict[str, float],
            group_measures: dict[tuple[str, str], dict[str, float]] | None = None) -> "Scorecard":
        """``company``: the company-level measures; ``group_measures[(scope, group)]`` replaces some of them for
        one group (a brand's own competitor index)."""
        rng = np.random.default_rng(self.random_state)
        scores, evidence = [], []
        for scope, group, rows in _groups(customers, self.min_customers):
            own = {**company, **(group_measures or {}).get((scope, group), {})}
            s, e = self._score_group(rows, own, rng)
            scores += [dict(scope=scope, group=group, customers=len(rows), **r) for r in s]
            evidence += [dict(scope=scope, group=group, **r) for r in e]
        self.scores_ = pd.DataFrame(scores, columns=["scope", "group", "dimension", "score", "score_low", "score_high",
                                                     "customers", "metrics"])
        self.evidence_ = pd.DataFrame(evidence, columns=["scope", "group", "dimension", "metric", "level", "value", "score",
                                                         "weight", "worst", "best", "n"])
        return self

    def _score_group(self, rows: pd.DataFrame, company: dict[str, float], rng) -> tuple[list[dict], list[dict]]:
        draws = rng.integers(0, len(rows), size=(self.n_bootstrap, len(rows)))
        scores, evidence = [], []
        for dimension in DIMENSIONS:
            total, boot, weights, used = 0.0, np.zeros(self.n_bootstrap), 0.0, 0
            for rule in (r for r in self.rules if r.dimension == dimension):
                value, n, boot_values = _measure(rule, rows, company, draws, self.min_measured)
                if value is None:
                    continue
                score = float(rule.score(value))
                evidence.append(dict(dimension=dimension, metric=rule.metric, level=rule.level, value=value, score=score,
                                     weight=rule.weight, worst=rule.worst, best=rule.best, n=n))
                total += rule.weight * score
                boot += rule.weight * (rule.score(boot_values) if boot_values is not None else score)
                weights += rule.weight
                used += 1
            if used:
                low, high = np.nanpercentile(boot / weights, [2.5, 97.5])
                scores.append(dict(dimension=dimension, score=total / weights, score_low=float(low), score_high=float(high),
                                   metrics=used))
        return scores, evidence


def _measure(rule: MetricRule, rows: pd.DataFrame, company: dict[str, float], draws: np.ndarray, min_measured: int):
    """(value, customers measured, bootstrap values or None) of one rule on a group; value None without data."""
    if rule.level == "company":
        return (float(company[rule.metric]), 0, None) if rule.metric in company else (None, 0, None)
    if rule.metric not in rows:
        return None, 0, None
    values = rows[rule.metric].to_numpy(dtype=float)
    measured = ~np.isnan(values)
    if measured.sum() < min_measured:
        return None, 0, None
    sampled = values[draws]
    with np.errstate(invalid="ignore"):
        boot = np.nanmean(np.where(np.isnan(sampled), np.nan, sampled), axis=1)
    boot = np.where(np.isnan(boot), np.nanmean(values), boot)
    return float(np.nanmean(values)), int(measured.sum()), boot


def _groups(customers: pd.DataFrame, min_customers: int):
    yield "all", "all", customers
    for scope in SCOPES:
        if scope not in customers:
            continue
        for group, rows in customers.dropna(subset=[scope]).groupby(scope):
            if len(rows) >= min_customers:
                yield scope, str(group), rows


def with_trend(scores: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """``scores`` with the previous run's score of the same scope, group and dimension and the change since."""
    out = scores.copy()
    if previous is None or previous.empty:
        out["previous_score"] = np.nan
    else:
        keys = ["scope", "group", "dimension"]
        prev = previous[keys + ["score"]].rename(columns={"score": "previous_score"}).drop_duplicates(keys)
        out = out.merge(prev, on=keys, how="left")
    out["trend"] = out["score"] - out["previous_score"]
    return out


def with_period_trend(scores: pd.DataFrame, last: pd.DataFrame | None, before: pd.DataFrame | None,
                      period_end: pd.Timestamp | None) -> pd.DataFrame:
    """``scores`` with each group's score on the data's last period and on the period before it, the change, its
    95 % interval and its direction: ``up`` or ``down`` only when the interval excludes zero, else ``flat``.

    The interval is the difference's normal interval, each period's standard error read from its bootstrap
    interval (width / 3.92); the periods are resampled independently, so a customer seen in both makes it wider,
    not narrower (conservative)."""
    out = scores.copy()
    keys = ["scope", "group", "dimension"]
    for name, frame in (("period_score", last), ("previous_period_score", before)):
        columns = {"score": name, "score_low": name + "_low", "score_high": name + "_high"}
        if frame is None or frame.empty:
            for column in columns.values():
                out[column] = np.nan
        else:
            out = out.merge(frame[keys + list(columns)].rename(columns=columns).drop_duplicates(keys), on=keys, how="left")
    out["period_trend"] = out["period_score"] - out["previous_period_score"]
    se = np.hypot(*((out[n + "_high"] - out[n + "_low"]) / (2 * Z95) for n in ("period_score", "previous_period_score")))
    out["period_trend_low"], out["period_trend_high"] = out["period_trend"] - Z95 * se, out["period_trend"] + Z95 * se
    out["period_direction"] = np.select([out["period_trend_low"] > 0, out["period_trend_high"] < 0,
                                         out["period_trend"].notna()], ["up", "down", "flat"], default=None)
    out["period_end"] = pd.Timestamp(period_end) if period_end is not None else pd.NaT
    return out.drop(columns=[n + s for n in ("period_score", "previous_period_score") for s in ("_low", "_high")])


def with_scope_keys(frame: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows per scope and group) with the ``team_id`` and ``region`` each row speaks for, so that a user
    scoped to a team or region sees only those rows (the API's scope filter reads these columns)."""
    out = frame.copy()
    home = dict(zip(teams["team_id"], teams["region"]))
    out["team_id"] = out["group"].where(out["scope"] == "team_id")
    out["region"] = out["group"].where(out["scope"].isin(["region", "site"])).fillna(out["team_id"].map(home))
    return out
