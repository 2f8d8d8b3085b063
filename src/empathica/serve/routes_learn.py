"""Learn's API: ``/actions`` (register, list), the stored effects, event study, competitor benchmark and timeline
(``/learn/...``, read through the result machinery of ``/results/{name}``: scope, filters, pages, export, audit),
the stored experiments (``GET /learn/experiments``: table ``experiments`` analysed by the learn step), and A/B
analysis and power (``POST /learn/experiments``, ``/learn/power``) computed on the rows sent.

Registering an action needs an analyst (the same validation as ``empathica actions add``); reading needs a viewer.
Reviews for the benchmark arrive through ``POST /ingest`` (``table=reviews``) or ``POST /ingest/reviews/rows``.
"""

from __future__ import annotations

import inspect
import json
import math
import typing
from typing import Any

import ibis
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from empathica.errors import InputError
from empathica.learn.actions import ACTIONS, ActionError, record_action
from empathica.learn.experiments import analyze_experiment, required_sample_size
from empathica.schema.results import (
    LEARN_BENCHMARK_BRANDS, LEARN_BENCHMARK_COMPARISON, LEARN_BENCHMARK_OVER_TIME, LEARN_BENCHMARK_OVER_TIME_COMPARISON,
    LEARN_EFFECTS, LEARN_EVENT_STUDY, LEARN_EXPERIMENTS, LEARN_TIMELINE,
)
from empathica.serve.auth import require
from empathica.serve.errors import ApiError
from empathica.serve.routes_results import read_result
from empathica.store.operational import User

router = APIRouter(tags=["learn"])
#: Most units one experiment request may carry.
MAX_UNITS = 200_000


class NewAction(BaseModel):
    """One action, with the fields of ``empathica actions add`` (docs/learn.md)."""

    title: str = Field(min_length=1, max_length=200)
    starts_at: str = Field(min_length=1, max_length=40, description="When it took effect, e.g. 2024-01-08.")
    ends_at: str | None = Field(default=None, max_length=40, description="When it was withdrawn (empty while in force).")
    action_id: str | None = Field(default=None, min_length=1, max_length=120, pattern=r"^[\w\-.]+$")
    description: str | None = Field(default=None, max_length=4000)
    touchpoint_id: str | None = Field(default=None, max_length=200)
    team_id: str | None = Field(default=None, max_length=200)
    agents: list[str] | None = Field(default=None, max_length=500, description="Employee ids concerned.")
    segment: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    expected_metric: str | None = Field(default=None, max_length=40, description="nps, csat, sentiment, empathy, "
                                        "friction, churn or revenue.")
    expected_direction: str | None = Field(default=None, max_length=10, description="up or down.")
    owner: str | None = Field(default=None, max_length=200)


class ExperimentUnit(BaseModel):
    arm: str = Field(min_length=1, max_length=200)
    outcome: float
    pre: float | None = Field(default=None, description="The same metric before the test (CUPED).")


class Experiment(BaseModel):
    units: list[ExperimentUnit] = Field(min_length=4, description="One row per unit (customer, session …).")
    control: str | None = Field(default=None, max_length=200, description="The control arm (default: 'control' or the first).")
    split: float = Field(default=0.5, gt=0, lt=1, description="Planned share of units in the treatment arm.")
    planned_per_arm: int | None = Field(default=None, ge=2, description="Planned units per arm (for the early-look interval).")
    alpha: float = Field(default=0.05, gt=0, lt=0.5)


class Power(BaseModel):
    mde: float = Field(description="Smallest absolute difference worth detecting.")
    sd: float | None = Field(default=None, gt=0, description="Standard deviation of the outcome (a mean).")
    baseline_rate: float | None = Field(default=None, gt=0, lt=1, description="Baseline share (a rate).")
    power: float = Field(default=0.8, gt=0, lt=1)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    cuped_r2: float = Field(default=0.0, ge=0, lt=1, description="Share of variance a pre-period covariate removes.")


# -- actions ---------------------------------------------------------------------------------------
@router.post("/actions", status_code=201)
def add_action(request: Request, body: NewAction, user: User = Depends(require("analyst"))) -> dict:
    """Record one action (what was changed, where, from when, which outcome should move)."""
    server = request.app.state.server
    fields = body.model_dump(exclude_none=True)
    try:
        with server.ingesting() as writer:
            action_id = record_action(writer, source="api", **fields)
    except ActionError as exc:
        raise ApiError(400, "bad_action", str(exc), field=exc.field) from None
    except InputError as exc:
        raise ApiError(400, "bad_action", str(exc)) from None
    server.ops.audit(user.username, "action_recorded", action_id)
    return {"action_id": action_id}


@router.get("/actions")
def list_actions(request: Request, page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(100, ge=1, le=1000),
                 user: User = Depends(require("viewer"))) -> dict:
    """The recorded actions, oldest first; a user scoped to a team or region sees theirs and the company-wide ones."""
    server = request.app.state.server
    with server.reading() as store:
        actions = store.table(ACTIONS)
        if user.team_id:
            actions = actions.filter(actions.team_id.isnull() | (actions.team_id == ibis.literal(user.team_id, type="string")))
        if user.region:
            actions = actions.filter(actions.region.isnull() | (actions.region == ibis.literal(user.region, type="string")))
        total = int(actions.count().execute())
        frame = actions.order_by(["starts_at", "action_id"]).limit(page_size, offset=(page - 1) * page_size).to_pandas()
    server.ops.audit(user.username, "read", ACTIONS)
    return {"page": page, "page_size": page_size, "total": total,
            "actions": json.loads(frame.to_json(orient="records", date_format="iso"))}


# -- stored results, read like /results/{name} -----------------------------------------------------
def _reader(declared):
    """A route function reading result ``declared`` with every query parameter of ``GET /results/{name}``."""

    def read(request: Request, **params: Any):
        return read_result(request, declared.name, **params)

    hints = typing.get_type_hints(read_result)
    signature = inspect.signature(read_result)
    read.__signature__ = signature.replace(parameters=[
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values() if p.name != "name"],
        return_annotation=hints.get("return", signature.return_annotation))
    read.__doc__ = f"Result ``{declared.name}`` ({declared.grain}): {declared.doc} Filters, pages and exports as /results/{{name}}."
    read.__name__ = f"read_{declared.name}"
    return read


for _path, _declared in (
    ("/learn/effects", LEARN_EFFECTS), ("/learn/event-study", LEARN_EVENT_STUDY), ("/learn/timeline", LEARN_TIMELINE),
    ("/learn/benchmark/brands", LEARN_BENCHMARK_BRANDS), ("/learn/benchmark/comparison", LEARN_BENCHMARK_COMPARISON),
    ("/learn/benchmark/over-time", LEARN_BENCHMARK_OVER_TIME),
    ("/learn/benchmark/over-time-comparison", LEARN_BENCHMARK_OVER_TIME_COMPARISON),
    ("/learn/experiments", LEARN_EXPERIMENTS),  # the stored experiments; POST analyses units sent (below)
):
    router.add_api_route(_path, _reader(_declared), methods=["GET"], name=f"read_{_declared.name}")


# -- experiments -----------------------------------------------------------------------------------
@router.post("/learn/experiments")
def analyse_experiment(request: Request, body: Experiment, user: User = Depends(require("analyst"))) -> dict:
    """An A/B test on the units sent: difference with a 95 % interval, sample-ratio check, CUPED when ``pre`` is
    given on every unit, and the always-valid interval for looking early. Nothing is stored."""
    if len(body.units) > MAX_UNITS:
        raise ApiError(413, "too_large", f"{len(body.units):,} units; the limit is {MAX_UNITS:,}.", field="units")
    frame = pd.DataFrame([u.model_dump() for u in body.units])
    cuped = bool(frame["pre"].notna().all())
    try:
        result = analyze_experiment(frame, arm="arm", outcome="outcome", covariate="pre" if cuped else None,
                                    control=body.control, treatment_share=body.split, alpha=body.alpha,
                                    planned_per_arm=body.planned_per_arm, source="units")
    except InputError as exc:
        field = "control" if "control arm" in str(exc) else "units"
        raise ApiError(400, "bad_experiment", str(exc), field=field) from None
    request.app.state.server.ops.audit(user.username, "experiment", f"{len(frame)} units")
    return {"experiment": {k: _finite(v) for k, v in result.to_row().items()}}


@router.post("/learn/power")
def power(request: Request, body: Power, user: User = Depends(require("viewer"))) -> dict:
    """Units per arm an experiment needs before launch to detect ``mde`` (give ``sd`` or ``baseline_rate``)."""
    try:
        n = required_sample_size(mde=body.mde, sd=body.sd, baseline_rate=body.baseline_rate, alpha=body.alpha,
                                 power=body.power, cuped_r2=body.cuped_r2)
    except InputError as exc:
        raise ApiError(400, "bad_power", str(exc), field="mde" if "mde" in str(exc) else "sd") from None
    return {"per_arm": n, "total": 2 * n}


def _finite(value: Any) -> Any:
    """JSON has no NaN: a float that is not finite is null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value
