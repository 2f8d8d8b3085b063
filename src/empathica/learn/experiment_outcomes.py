"""Experiments read from the store: every assignment of table ``experiments`` with the customer's outcome
after it (the outcomes of ``learn.exposures``, measured from the assignment time) and the same kind of
measure before it (the CUPED covariate), then each experiment × metric × arm compared with its control
(``learn.experiments.compare_arms``).

| metric | outcome after assignment at t | measure before t (CUPED) |
|---|---|---|
| revenue | net spend in (t, t + 180 d] | net spend in (t − 180 d, t] |
| churn | lost after t | journeys started in (t − 180 d, t] |
| friction | contacted support in (t, t + 30 d] | contacts in (t − 30 d, t] |
| nps, csat | first answer after t (within the horizon) | last answer in the year before t |
| sentiment | mean comment sentiment in (t, t + 90 d] (text step) | — |

Assignments whose outcome window does not fit inside the data yet are left out (``pending``). NPS, CSAT and
sentiment exist only for customers who answered a survey: their comparison is among respondents.
"""

from __future__ import annotations

import ibis
import pandas as pd

from empathica.errors import NotEnoughDataError
from empathica.learn.experiments import compare_arms
from empathica.learn.exposures import HORIZON_DAYS, outcome_after

#: Outcomes of a customer (the empathy of a contact is not one: it belongs to a conversation).
EXPERIMENT_METRICS = ("revenue", "churn", "friction", "nps", "csat", "sentiment")
#: Days before the assignment over which the CUPED covariate is measured.
BEFORE_DAYS = {"revenue": 180, "churn": 180, "friction": 30, "nps": 365, "csat": 365}
CONTROL = "control"


def _assignments(store) -> ibis.Table:
    ex = store.table("experiments")
    return ex.select(unit_id=ex.assignment_id, customer_id=ex.customer_id, at=ex.assigned_at)


def _before(store, x: ibis.Table, metric: str) -> ibis.Table | None:
    """(unit_id, x): the measure of ``metric`` before each assignment, or None when there is none."""
    if metric not in BEFORE_DAYS:
        return None
    since = x.at - ibis.interval(days=BEFORE_DAYS[metric])
    if metric == "revenue":
        tx = store.table("transactions").select(t_customer="customer_id", t_at="timestamp", amount="amount")
        j = x.left_join(tx, (x.customer_id == tx.t_customer) & (tx.t_at > since) & (tx.t_at <= x.at))
        return j.group_by("unit_id").aggregate(x=j.amount.sum().fill_null(0.0).cast("float64"))
    if metric == "churn":
        ev = store.table("events")
        starts = ev.group_by(["customer_id", "journey_id"]).aggregate(start=ev.timestamp.min())
        starts = starts.select(s_customer="customer_id", start="start")
        j = x.left_join(starts, (x.customer_id == starts.s_customer) & (starts.start > since) & (starts.start <= x.at))
        return j.group_by("unit_id").aggregate(x=j.start.count().cast("float64"))
    if metric == "friction":
        cv = store.table("conversations").select(c_customer="customer_id", c_at="started_at")
        j = x.left_join(cv, (x.customer_id == cv.c_customer) & (cv.c_at > since) & (cv.c_at < x.at))
        return j.group_by("unit_id").aggregate(x=j.c_at.count().cast("float64"))
    fb = store.table("feedback")
    fb = fb.filter(fb[metric].notnull()).select(f_customer=fb.customer_id, f_at=fb.timestamp, f_value=fb[metric])
    j = x.join(fb, (x.customer_id == fb.f_customer) & (fb.f_at > since) & (fb.f_at <= x.at))
    return j.group_by("unit_id").aggregate(x=j.f_value.argmax(j.f_at).cast("float64"))


def assignment_outcomes(store, metric: str) -> tuple[pd.DataFrame, int]:
    """The assignments (experiment_id, arm, stratum, metric, planned_share, assigned_at) whose ``metric``
    outcome is known, with ``y`` and the before-measure ``x``; and how many are still pending."""
    end = store.table("events").timestamp.max().execute()
    if end is None or pd.isna(end):
        raise NotEnoughDataError("the events table is empty; experiment outcomes need the customers' journeys over time.")
    ex = store.table("experiments")
    cutoff = pd.Timestamp(end) - pd.Timedelta(days=HORIZON_DAYS[metric])
    total = int(ex.count().execute())
    x = _assignments(store)
    x = x.filter(x.at.notnull() & (x.at <= cutoff))
    y = outcome_after(store, x, metric)
    rows = ex.join(y, ex.assignment_id == y.unit_id).select(
        "assignment_id", "experiment_id", "arm", "stratum", "metric", "planned_share", "assigned_at", y=y.y)
    before = _before(store, x, metric)
    if before is not None:
        rows = rows.left_join(before, rows.assignment_id == before.unit_id).select(rows, x=before.x)
    frame = rows.filter(rows.y.notnull()).to_pandas()
    if "x" not in frame:
        frame["x"] = float("nan")
    pending = total - int(x.count().execute())
    return frame, pending


def _designs(store) -> pd.DataFrame:
    """Per experiment and arm: units assigned, the planned share, the declared metric and the assignment span."""
    ex = store.table("experiments")
    return ex.group_by(["experiment_id", "arm"]).aggregate(
        assigned=ex.count(), planned_share=ex.planned_share.max(), metric=ex.metric.mode(),
        assigned_from=ex.assigned_at.min(), assigned_to=ex.assigned_at.max()).to_pandas()


def experiment_table(store, metrics: tuple[str, ...] = EXPERIMENT_METRICS, *, alpha: float = 0.05) -> tuple[pd.DataFrame, list[str]]:
    """Every stored experiment × metric × arm against the control (rows of ``result_learn_experiments``), and
    what could not be measured (one line each)."""
    designs = _designs(store)
    rows, skipped = [], []
    for metric in metrics:
        try:
            frame, _ = assignment_outcomes(store, metric)
        except NotEnoughDataError as exc:
            skipped.append(f"{metric}: {exc}")
            continue
        for exp_id, design in designs.groupby("experiment_id"):
            units = frame[frame["experiment_id"] == exp_id]
            arms = sorted(design["arm"])
            control = CONTROL if CONTROL in arms else arms[0]
            if units["arm"].nunique() < 2 or control not in set(units["arm"]):
                skipped.append(f"{exp_id} × {metric}: fewer than two arms with a known outcome")
                continue
            planned = dict(zip(design["arm"], design["planned_share"])) if design["planned_share"].notna().all() else None
            compared = compare_arms(units, control=control, assigned=dict(zip(design["arm"], design["assigned"])),
                                    planned=planned, alpha=alpha)
            declared = design["metric"].dropna()
            compared.insert(0, "experiment_id", exp_id)
            compared.insert(1, "metric", metric)
            compared.insert(2, "primary", bool(len(declared)) and declared.iloc[0] == metric)
            compared["assigned_from"] = design["assigned_from"].min()
            compared["assigned_to"] = design["assigned_to"].max()
            rows.append(compared)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return table, skipped
