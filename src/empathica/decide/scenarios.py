"""ROI scenarios: built-in and user-defined changes, valued by the same churn model as the ranking.

A user scenario is one line ``KIND:TARGET:CHANGE`` (option ``--scenario``, repeatable; setting
``scenarios``, several separated by ``;``):

- ``pathway:web_checkout>call_centre:-50%``   fewer traversals of a pathway by those who make it
- ``touchpoint:delivery:+0.5``                 CSAT at a touchpoint, for the customers who rated it
- ``team:team_returns:median``                 engagement of a team, for the customers it served
- ``agents:agent_05,agent_10:median``          agents lifted to the median agent (empathy received and the
                                               empathy gaps they left), for the customers they served
- ``driver:wait_first_reply_minutes:-20%``     any driver column, for every customer who has a value

CHANGE is ``+x``/``-x`` (in the lever's unit), ``±x%`` (relative) or ``median`` (lift everyone below the
median of all customers' values to it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from empathica.decide.levers import pathway_column
from empathica.decide.opportunities import Lever, Names, named_agents_to_median, value_lever, values_json
from empathica.decide.response import ChurnResponse
from empathica.errors import SettingsError
from empathica.schema.results import DECIDE_SCENARIOS

KINDS = ("pathway", "touchpoint", "team", "agents", "driver")
_CHANGE = re.compile(r"^(median|[+-]\d+(\.\d+)?%?)$")


@dataclass(frozen=True)
class ScenarioSpec:
    """A parsed user scenario."""

    text: str
    kind: str
    target: str
    change: str


def parse_scenarios(text: str, *, origin: str = "setting scenarios") -> list[ScenarioSpec]:
    """Scenario specs from ``KIND:TARGET:CHANGE`` lines separated by ``;``; a bad one is a one-line error."""
    specs = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        pieces = [p.strip() for p in part.split(":")]
        if len(pieces) != 3 or pieces[0] not in KINDS or not pieces[1] or not _CHANGE.match(pieces[2]):
            raise SettingsError(f"{origin}: {part!r} is not KIND:TARGET:CHANGE with KIND one of {', '.join(KINDS)} and "
                                "CHANGE like +0.5, -20% or median (e.g. touchpoint:delivery:+0.5).")
        if pieces[0] == "agents" and pieces[2] != "median":
            raise SettingsError(f"{origin}: {part!r}: an agents scenario lifts the named agents to the median agent (the "
                                "empathy their customers received and the empathy gaps they leave), so CHANGE must be "
                                "median (e.g. agents:agent_05,agent_10:median).")
        specs.append(ScenarioSpec(part, *pieces))
    return specs


def _apply(change: str, series: pd.Series, reference: pd.Series) -> pd.Series:
    if change == "median":
        return series.clip(lower=float(reference.median()))
    if change.endswith("%"):
        return series * (1.0 + float(change[:-1]) / 100.0)
    return series + float(change)


def spec_lever(spec: ScenarioSpec, table: pd.DataFrame, names: Names, served: pd.DataFrame, store=None) -> Lever:
    """The lever a user scenario describes; a target the store does not know is a one-line error."""
    if spec.kind == "agents":
        return _agents_lever(spec, table, served, store)
    column, affected = _column_and_customers(spec, table, served)
    reference = table[column]

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out[column] = _apply(spec.change, out[column], reference)
        return out

    return Lever(key=f"user:{spec.text}", kind=spec.kind, message_id="decide.scenario.user",
                 values={"scenario": spec.text}, affected=affected & table[column].notna().to_numpy(), change=change,
                 owner_team_id=None, evidence=DECIDE_SCENARIOS.name, evidence_section="decide")


def _agents_lever(spec: ScenarioSpec, table: pd.DataFrame, served: pd.DataFrame, store) -> Lever:
    """``agents:IDS:median``: the named agents lifted to the median agent, as the least-empathic-agents opportunity
    does (empathy received lifted to the agents' median, the empathy gaps they left cut to the median gap rate)."""
    _need("empathy_received", table, spec, "empathy scores of conversations")
    ids = [a.strip() for a in spec.target.split(",") if a.strip()]
    unknown = sorted(set(ids) - set(served["agent_id"].astype(str)))
    if unknown:
        raise SettingsError(f"scenario {spec.text!r}: {', '.join(unknown)} served no customer in this store; TARGET must "
                            "be agent ids (employees.employee_id) who replied in conversations, separated by commas.")
    lifted = named_agents_to_median(store, table, served, ids) if store is not None else None
    if lifted is None:
        raise SettingsError(f"scenario {spec.text!r}: this store has no empathy scores of agents (result empathy_agents); "
                            "run the empathy step first.")
    affected, change = lifted
    return Lever(key=f"user:{spec.text}", kind=spec.kind, message_id="decide.scenario.user", values={"scenario": spec.text},
                 affected=affected, change=change, owner_team_id=None, evidence=DECIDE_SCENARIOS.name,
                 evidence_section="decide", extra={"agent_ids": ids})


def _column_and_customers(spec: ScenarioSpec, table: pd.DataFrame, served: pd.DataFrame) -> tuple[str, np.ndarray]:
    everyone = np.ones(len(table), dtype=bool)
    if spec.kind == "pathway":
        source, _, target = spec.target.partition(">")
        column = pathway_column(source.strip(), target.strip())
        _need(column, table, spec, "a top friction pathway of the journeys step (SOURCE>TARGET)")
        return column, table[column].to_numpy() > 0
    if spec.kind == "touchpoint":
        column = f"csat_{spec.target}"
        _need(column, table, spec, "a touchpoint with CSAT answers from enough customers")
        return column, everyone
    if spec.kind == "team":
        _need("team_engagement", table, spec, "team engagement (employee surveys and conversations)")
        ids = served.loc[served["team_id"] == spec.target, "customer_id"]
        if ids.empty:
            raise SettingsError(f"scenario {spec.text!r}: team {spec.target!r} served no customer in this store.")
        return "team_engagement", table["customer_id"].isin(ids).to_numpy()
    _need(spec.target, table, spec, "a driver column of the drivers step")
    return spec.target, everyone


def _need(column: str, table: pd.DataFrame, spec: ScenarioSpec, what: str) -> None:
    if column not in table:
        raise SettingsError(f"scenario {spec.text!r}: {column!r} is not in this store's drivers; TARGET must be {what}.")


def builtin_levers(opportunities: list[Lever], table: pd.DataFrame, names: Names) -> list[Lever]:
    """The built-in scenarios, from ``opportunities`` in ranking order: halve the first friction pathway, lift
    the least empathic agents to the median, the first touchpoint's low ratings to its median (and resolve its
    complaints), the first low-engagement team to the median team."""
    chosen = []
    for kind in ("pathway", "agents", "touchpoint", "team_engagement"):
        lever = next((l for l in opportunities if l.kind == kind), None)
        if lever is None:
            continue
        if kind == "pathway":
            col = pathway_column(*lever.key.split(":", 1)[1].split(">"))
            lever = Lever(key=lever.key + ":half", kind=kind, message_id="decide.scenario.pathway_half", values=lever.values,
                          affected=lever.affected, change=lambda f, col=col: f.assign(**{col: f[col] * 0.5}),
                          owner_team_id=lever.owner_team_id, evidence=lever.evidence, evidence_section=lever.evidence_section)
        else:
            lever = Lever(**{**lever.__dict__, "message_id": lever.message_id.replace("opportunity", "scenario")})
        chosen.append(lever)
    return chosen


def value_scenarios(model: ChurnResponse, table: pd.DataFrame, levers: list[Lever], *, currency: str) -> pd.DataFrame:
    """One row per scenario: customers changed, revenue kept with its interval (currency), the churn change."""
    rows = []
    for lever in levers:
        n = int(lever.affected.sum())
        v = value_lever(model, table, lever) if n else None
        rows.append({"key": lever.key, "kind": lever.kind, "message_id": lever.message_id,
                     "values": values_json(lever.values),
                     "customers": n, "revenue": v.revenue if v else 0.0, "revenue_low": v.low if v else 0.0,
                     "revenue_high": v.high if v else 0.0, "currency": currency, "churn_change": v.churn_change if v else 0.0,
                     "money_shown": bool(v and model.usable and not v.spans_zero), "owner_team_id": lever.owner_team_id})
    return pd.DataFrame(rows)


__all__ = ["ScenarioSpec", "builtin_levers", "parse_scenarios", "spec_lever", "value_scenarios"]
