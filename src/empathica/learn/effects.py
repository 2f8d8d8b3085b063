"""Did the action work? Difference-in-differences against matched controls, and an event study.

Design (observational): the exposures the action touched (its agents', team's or touchpoint's contacts,
in its segment and region) are compared before and after its start with exposures it did not touch.
Controls are matched exactly on segment, region, language and prior contacts (coarsened exact matching:
within each period, control rows are weighted so that their mix over those strata equals the treated
rows'; strata without both are dropped). The effect is the interaction in a weighted least-squares fit
``y ~ treated + post + treated × post``, with standard errors clustered by customer (statsmodels), so a
customer seen many times counts as one cluster. The event study replaces ``post`` by months relative to
the start (reference: the month before); the pre-trend check is the joint Wald test that the treated −
control gap did not move in the months before the start.

What the design can show: a change in the treated group's outcome beyond the change the matched controls
saw over the same months. What it cannot: it is not an experiment — anything else that changed for the
treated group at the same time (a new product, a different mix of customers) is read as the action's
effect, and parallel trends before the start make the assumption plausible, not true.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from empathica.errors import NotEnoughDataError
from empathica.learn.actions import Action
from empathica.learn.exposures import MATCH_COLUMNS, exposure_outcomes

#: Months either side of the start shown in the event study.
EVENT_MONTHS = 6
DAYS_PER_MONTH = 30.4375
DESIGN = "observational: difference-in-differences with matched controls"
MIN_ROWS = 20  # per arm and period
#: Wild cluster bootstrap draws of the pre-trend test.
PRE_TREND_DRAWS = 499
#: What the design can and cannot show, for the report and the CLI.
CAVEAT = ("Observational design: each effect compares the customers the action touched, before and after it, with "
          "matched customers it did not touch. It shows a change beyond what the controls saw; it cannot rule out "
          "another change that hit the same customers at the same time. Parallel trends before the start "
          "(pre-trend p ≥ 0.05) make the comparison plausible, not proven. Only an experiment proves cause.")
CAVEAT_SHORT = ("observational (difference-in-differences with matched controls): a change beyond the controls', "
                "not proof of cause; a pre-trend p below 0.05 means the groups were already drifting apart.")


@dataclass(frozen=True)
class EffectEstimate:
    """The effect of one action on one metric (a row of ``result_learn_effects``)."""

    action_id: str
    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    baseline: float  # the treated group's mean before the start
    treated_pre: int
    treated_post: int
    control_pre: int
    control_post: int
    customers: int  # clusters
    pre_trend_p: float
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    design: str = DESIGN

    def to_row(self) -> dict:
        return asdict(self)


def treated_mask(frame: pd.DataFrame, action: Action) -> np.ndarray:
    """Whether each exposure is one the action touched (every 'where' field it sets must match)."""
    mask = np.ones(len(frame), dtype=bool)
    if action.agents:
        mask &= frame["agent_id"].isin(action.agents).to_numpy()
    if action.team_id:
        mask &= (frame["team_id"] == action.team_id).to_numpy()
    if action.touchpoint_id:
        mask &= (frame["touchpoint_id"] == action.touchpoint_id).to_numpy()
    if action.segment:
        mask &= (frame["segment"] == action.segment).to_numpy()
    if action.region:
        mask &= (frame["region"] == action.region).to_numpy()
    return mask


def exposure_unit(store, action: Action) -> str:
    """'contact' when the action is about agents, a team or a touchpoint where conversations happen; else
    'visit' (journeys' visits of touchpoints)."""
    if action.agents or action.team_id:
        return "contact"
    if action.touchpoint_id:
        cv = store.table("conversations")
        return "contact" if int(cv.filter(cv.touchpoint_id == action.touchpoint_id).count().execute()) else "visit"
    return "visit"


def _window(frame: pd.DataFrame, action: Action) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Equal spans before and after the start (as long as the data allows), ending at ``ends_at``."""
    start = pd.Timestamp(action.starts_at)
    if frame.empty:
        raise NotEnoughDataError(f"action {action.action_id}: no exposures with a known outcome.")
    end = min(frame["at"].max(), pd.Timestamp(action.ends_at)) if action.ends_at is not None else frame["at"].max()
    span = min(end - start, start - frame["at"].min())
    if span <= pd.Timedelta(days=14):
        raise NotEnoughDataError(f"action {action.action_id}: less than two weeks of data on one side of its start "
                                 f"{start:%Y-%m-%d}; an effect needs outcomes before and after it.")
    return start - span, start + span


def matched_weights(frame: pd.DataFrame, strata: list[str]) -> pd.Series:
    """Coarsened exact matching weights: treated 1; control rows, within each period, weighted so their
    mix over ``strata`` equals the treated rows'; rows in strata lacking either arm get 0."""
    key = pd.Series("all", index=frame.index)
    for i, column in enumerate(strata):  # column by column: a row-wise join is a Python loop over the rows
        key = frame[column].astype(str) if i == 0 else key + "|" + frame[column].astype(str)
    cell = pd.DataFrame({"key": key, "post": frame["post"], "treated": frame["treated"]})
    counts = cell.groupby(["post", "key", "treated"]).size().unstack("treated", fill_value=0)
    counts = counts.reindex(columns=[False, True], fill_value=0)
    both = counts[(counts[True] > 0) & (counts[False] > 0)]
    totals = both.groupby(level="post").sum()
    share_t = both[True] / totals[True].reindex(both.index.get_level_values("post")).to_numpy()
    share_c = both[False] / totals[False].reindex(both.index.get_level_values("post")).to_numpy()
    control_w = (share_t / share_c).rename("w")
    w = pd.Series(0.0, index=frame.index)
    idx = pd.MultiIndex.from_arrays([cell["post"], cell["key"]])
    matched = idx.isin(both.index)
    w[matched & cell["treated"].to_numpy()] = 1.0
    ctrl = matched & ~cell["treated"].to_numpy()
    w[ctrl] = control_w.reindex(idx[ctrl]).to_numpy()
    return w


def _fit(y, X, w, groups):
    import statsmodels.api as sm

    return sm.WLS(y, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": groups})


def prepare(frame: pd.DataFrame, action: Action, others: tuple[Action, ...] = ()) -> pd.DataFrame:
    """The exposures in the action's window with treated, post, relative month and matching weight.
    Exposures that ``others`` (other recorded actions) touched while in force are not used as controls."""
    lo, hi = _window(frame, action)
    frame = frame[(frame["at"] >= lo) & (frame["at"] < hi)].copy()
    frame["treated"] = treated_mask(frame, action)
    if not frame["treated"].any():
        raise NotEnoughDataError(f"action {action.action_id}: no exposure in its window matches where it applies "
                                 f"({', '.join(f'{k}={v}' for k, v in action.scope.items()) or 'nowhere given'}).")
    for other in others:  # a control the other action touched after its start is contaminated
        if other.action_id != action.action_id:
            touched = treated_mask(frame, other) & (frame["at"] >= pd.Timestamp(other.starts_at)).to_numpy()
            if other.ends_at is not None:
                touched &= (frame["at"] < pd.Timestamp(other.ends_at)).to_numpy()
            frame = frame[frame["treated"].to_numpy() | ~touched]
    frame["post"] = (frame["at"] >= pd.Timestamp(action.starts_at)).to_numpy()
    days = (frame["at"] - pd.Timestamp(action.starts_at)).dt.total_seconds() / 86400.0
    frame["month"] = np.clip(np.floor(days / DAYS_PER_MONTH), -EVENT_MONTHS, EVENT_MONTHS - 1).astype(int)
    strata = [c for c in MATCH_COLUMNS if c.removesuffix("_contacts") not in {k.removesuffix("_id") for k in action.scope}]
    frame["w"] = matched_weights(frame, strata)
    frame = frame[frame["w"] > 0]
    arms = frame.groupby(["treated", "post"]).size().reindex(pd.MultiIndex.from_product([[False, True], [False, True]]), fill_value=0)
    if arms.min() < MIN_ROWS:
        raise NotEnoughDataError(f"action {action.action_id}: too few matched exposures (treated/control × before/after: "
                                 f"{', '.join(str(int(v)) for v in arms)}; need {MIN_ROWS} each).")
    return frame


def did(frame: pd.DataFrame, action: Action, metric: str, *, others: tuple[Action, ...] = (),
        alpha: float = 0.05) -> tuple[EffectEstimate, pd.DataFrame]:
    """The DiD estimate for ``action`` on the exposures ``frame`` (from ``exposure_outcomes``) and the
    event-study coefficients (month, estimate, ci_low, ci_high); ``others``: actions whose exposures
    are kept out of the controls."""
    data = prepare(frame, action, others)
    t, p = data["treated"].to_numpy(float), data["post"].to_numpy(float)
    X = np.column_stack([np.ones(len(data)), t, p, t * p])
    groups = pd.factorize(data["customer_id"])[0]
    res = _fit(data["y"].to_numpy(float), X, data["w"].to_numpy(float), groups)
    low, high = res.conf_int(alpha)[3]
    study, pre_p = event_study(data, alpha=alpha)
    n = data.groupby(["treated", "post"]).size()
    est = EffectEstimate(
        action_id=action.action_id, metric=metric, estimate=float(res.params[3]), ci_low=float(low), ci_high=float(high),
        p_value=float(res.pvalues[3]), baseline=float(data.loc[data["treated"] & ~data["post"], "y"].mean()),
        treated_pre=int(n.get((True, False), 0)), treated_post=int(n.get((True, True), 0)),
        control_pre=int(n.get((False, False), 0)), control_post=int(n.get((False, True), 0)),
        customers=int(groups.max() + 1), pre_trend_p=pre_p,
        window_start=data["at"].min(), window_end=data["at"].max())
    return est, study.assign(action_id=action.action_id, metric=metric)


def event_study(data: pd.DataFrame, *, alpha: float = 0.05) -> tuple[pd.DataFrame, float]:
    """Treated − control gap per month relative to the start (reference month −1), and the p-value of the
    pre-trend check (:func:`linear_pre_trend_p`; nan when fewer than three months precede the start).
    Months without both arms are left out."""
    arms = data.groupby("month")["treated"].agg(["any", "all"])
    both = arms.index[arms["any"] & ~arms["all"]]
    months = sorted(int(m) for m in both if m != -1)
    if -1 not in both or not months:  # no reference month, or nothing to compare it with
        return pd.DataFrame(columns=["month", "estimate", "ci_low", "ci_high"]), float("nan")
    data = data[data["month"].isin([-1, *months])]
    groups = pd.factorize(data["customer_id"])[0]
    t = data["treated"].to_numpy(float)
    month_dummies = np.column_stack([(data["month"].to_numpy() == m).astype(float) for m in months])
    X = np.column_stack([np.ones(len(data)), t, month_dummies, month_dummies * t[:, None]])
    res = _fit(data["y"].to_numpy(float), X, data["w"].to_numpy(float), groups)
    k0 = 2 + len(months)
    ci = res.conf_int(alpha)
    rows = [{"month": -1, "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0}]
    rows += [{"month": int(m), "estimate": float(res.params[k0 + i]), "ci_low": float(ci[k0 + i][0]),
              "ci_high": float(ci[k0 + i][1])} for i, m in enumerate(months)]
    pre_p = linear_pre_trend_p(data) if any(m < -1 for m in months) else float("nan")
    return pd.DataFrame(rows).sort_values("month", ignore_index=True), pre_p


def linear_pre_trend_p(data: pd.DataFrame) -> float:
    """p-value that the treated − control gap had no linear trend over the months before the start: the
    treated × month slope in ``y ~ treated + month dummies + treated × month`` on the pre-period rows, tested
    by :func:`pre_trend_p`. One slope, not one coefficient per month: the joint test of five monthly gaps
    over-rejected on clean simulated worlds even with the bootstrap; the slope holds the stated rate
    (bench/results.md, ``learn_pretrend``)."""
    pre = data[data["month"] < 0]
    if pre["month"].nunique() < 3:
        return float("nan")
    t = pre["treated"].to_numpy(float)
    month = pre["month"].to_numpy()
    dummies = np.column_stack([(month == m).astype(float) for m in sorted(set(month))[1:]])
    X = np.column_stack([np.ones(len(pre)), t, dummies, t * (month - month.mean())])
    groups = pd.factorize(pre["customer_id"])[0]
    return pre_trend_p(pre["y"].to_numpy(float), X, pre["w"].to_numpy(float), groups, [X.shape[1] - 1])


def pre_trend_p(y: np.ndarray, X: np.ndarray, w: np.ndarray, groups: np.ndarray, pre: list[int], *,
                draws: int = PRE_TREND_DRAWS, seed: int = 0) -> float:
    """p-value of the joint test that the coefficients ``pre`` are zero: the cluster-robust Wald statistic
    referred to its wild cluster bootstrap distribution with the null imposed (Rademacher weights per
    customer; Cameron, Gelbach & Miller 2008), not to χ². The χ² reference over-rejects when the treated
    cells are small (a few coached contacts a month): on clean simulated data it flagged several times the
    nominal 5 % (bench/results.md, tests/learn/test_pre_trend.py)."""
    order = np.argsort(groups, kind="stable")  # rows grouped by customer, for summing scores per cluster
    y, X, w, groups = y[order], X[order], w[order], groups[order]
    starts = np.flatnonzero(np.r_[True, np.diff(groups) != 0])
    sw = np.sqrt(w)
    Xw, yw = X * sw[:, None], y * sw
    keep = [j for j in range(X.shape[1]) if j not in set(pre)]
    restricted, *_ = np.linalg.lstsq(Xw[:, keep], yw, rcond=None)
    fitted = Xw[:, keep] @ restricted
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(len(starts), draws))
    signs = np.repeat(signs, np.diff(np.r_[starts, len(groups)]), axis=0)  # one sign per customer and draw
    Y = np.column_stack([yw, fitted[:, None] + (yw - fitted)[:, None] * signs])  # column 0: the data itself
    bread = np.linalg.pinv(Xw.T @ Xw)
    C = (bread @ Xw.T)[pre]  # R (X'WX)⁻¹ X'W: the pre-period coefficients as linear maps of y
    U = Y - Xw @ (bread @ (Xw.T @ Y))  # residuals of the full model, per draw
    d = C @ Y  # q × (draws + 1)
    n, k = X.shape
    scale = len(starts) / (len(starts) - 1) * (n - 1) / (n - k)
    scores = np.stack([np.add.reduceat(C[j][:, None] * U, starts, axis=0) for j in range(len(pre))], axis=1)
    V = scale * np.einsum("gjb,glb->bjl", scores, scores) + np.eye(len(pre)) * 1e-12  # per draw: R V R'
    wald = np.einsum("bj,bj->b", d.T, np.linalg.solve(V, d.T[:, :, None])[:, :, 0])
    return float((1 + np.sum(wald[1:] >= wald[0])) / (draws + 1))


def action_effect(store, action: Action, metric: str, *, others: tuple[Action, ...] = (),
                  alpha: float = 0.05) -> tuple[EffectEstimate, pd.DataFrame]:
    """The effect of a stored action on ``metric``, read from the store (see ``learn.exposures``); the
    exposures of ``others`` (the other recorded actions) are kept out of the controls."""
    frame = exposure_outcomes(store, metric, unit=exposure_unit(store, action))
    if frame.empty:
        raise NotEnoughDataError(f"no exposures with a known {metric} outcome; effects need conversations or events.")
    return did(frame, action, metric, others=others, alpha=alpha)


def action_effect_table(store, actions: list[Action], metrics: list[str], *, others: tuple[Action, ...] | None = None,
                        alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Every action's effect on every metric: the effects, the event studies, and what could not be
    measured (one line each). Exposures and outcomes are read once per unit and metric; the exposures
    of ``others`` (default: ``actions``) are kept out of the controls."""
    others = tuple(actions) if others is None else others
    cache: dict[tuple[str, str], pd.DataFrame] = {}
    rows, studies, skipped = [], [], []
    for action in actions:
        unit = exposure_unit(store, action)
        for metric in metrics:
            try:
                if (unit, metric) not in cache:
                    cache[unit, metric] = exposure_outcomes(store, metric, unit=unit)
                est, study = did(cache[unit, metric], action, metric, others=others, alpha=alpha)
            except NotEnoughDataError as exc:
                skipped.append(f"{action.action_id} / {metric}: {exc}")
                continue
            rows.append(est.to_row())
            studies.append(study)
    effects = pd.DataFrame(rows, columns=list(EffectEstimate.__dataclass_fields__))
    study = pd.concat(studies, ignore_index=True) if studies else pd.DataFrame(
        columns=["month", "estimate", "ci_low", "ci_high", "action_id", "metric"])
    return effects, study, skipped
