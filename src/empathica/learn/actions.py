"""The actions registry: what was changed, where, from when, and which outcome should move.

Actions live in the canonical ``actions`` table (``schema/tables.py``). They arrive from the CLI
(``empathica actions add``), from a file (``empathica ingest actions.csv``, Listen validates it like any
table), or from closed cases with a root cause (:func:`actions_from_cases`).
"""

from __future__ import annotations

import hashlib

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from empathica.errors import InputError
from empathica.schema import TABLES
from empathica.schema.tables import ACTION_METRICS

ACTIONS = "actions"


class ActionError(InputError):
    """An action field that cannot be recorded; ``field`` names it (the API answers with it)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Action:
    """One action: where it applies (touchpoint, team, agents, segment, region) and from when."""

    action_id: str
    title: str
    starts_at: pd.Timestamp
    ends_at: pd.Timestamp | None = None
    touchpoint_id: str | None = None
    team_id: str | None = None
    agents: tuple[str, ...] = field(default=())
    segment: str | None = None
    region: str | None = None
    expected_metric: str | None = None
    expected_direction: str | None = None
    description: str | None = None

    @property
    def scope(self) -> dict[str, object]:
        """The 'where' fields that are set (what defines the treated group)."""
        fields = {"touchpoint_id": self.touchpoint_id, "team_id": self.team_id, "agents": self.agents,
                  "segment": self.segment, "region": self.region}
        return {k: v for k, v in fields.items() if v}


def _utc(value, *, what: str, field: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ActionError(f"{what}: {value!r} is not a date or time; write it as 2024-01-08 or 2024-01-08T09:00Z.",
                          field=field) from exc
    if pd.isna(stamp):
        raise ActionError(f"{what}: empty; give a date such as 2024-01-08.", field=field)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _known(store, table: str, column: str, values: Iterable[str], *, what: str, field: str) -> None:
    values = [v for v in values if v]
    if not values:
        return
    t = store.table(table)
    found = set(t.filter(t[column].isin(values)).select(column).distinct().to_pandas()[column])
    missing = [v for v in values if v not in found]
    if missing:
        raise ActionError(f"{what}: unknown {column} {', '.join(missing)}; it must exist in the {table} table "
                          f"(ingest it first or correct the id).", field=field)


def new_action_row(store, *, title: str, starts_at, action_id: str | None = None, source: str = "cli", **where) -> pd.DataFrame:
    """A validated one-row frame of the ``actions`` table (not stored yet).

    ``where``: description, ends_at, touchpoint_id, team_id, agents (list or comma-separated), segment,
    region, expected_metric, expected_direction, owner, case_id.
    """
    unknown = set(where) - set(TABLES[ACTIONS].column_names)
    if unknown:
        raise ActionError(f"action: unknown field(s) {', '.join(sorted(unknown))}; the fields are "
                          f"{', '.join(TABLES[ACTIONS].column_names)}.", field=sorted(unknown)[0])
    if not title or not str(title).strip():
        raise ActionError("action: title is empty; give a short name such as 'Empathy coaching, team A'.", field="title")
    start = _utc(starts_at, what="action starts_at", field="starts_at")
    end = _utc(where["ends_at"], what="action ends_at", field="ends_at") if where.get("ends_at") else None
    if end is not None and end <= start:
        raise ActionError(f"action: ends_at {end:%Y-%m-%d} is not after starts_at {start:%Y-%m-%d}.", field="ends_at")
    agents = where.get("agents") or ()
    agents = [a.strip() for a in (agents.split(",") if isinstance(agents, str) else agents) if a and a.strip()]
    metric, direction = where.get("expected_metric"), where.get("expected_direction")
    if metric and metric not in ACTION_METRICS:
        raise ActionError(f"action: expected_metric {metric!r} is not one of {', '.join(ACTION_METRICS)}.",
                          field="expected_metric")
    if direction and direction not in ("up", "down"):
        raise ActionError(f"action: expected_direction {direction!r} must be 'up' or 'down'.", field="expected_direction")
    _known(store, "touchpoints", "touchpoint_id", [where.get("touchpoint_id")], what="action touchpoint", field="touchpoint_id")
    _known(store, "teams", "team_id", [where.get("team_id")], what="action team", field="team_id")
    _known(store, "employees", "employee_id", agents, what="action agents", field="agents")
    action_id = action_id or f"act_{start:%Y%m%d}_{hashlib.sha1(f'{title}|{start}'.encode()).hexdigest()[:6]}"
    existing = store.table(ACTIONS)
    if int(existing.filter(existing.action_id == action_id).count().execute()):
        raise ActionError(f"action: action_id {action_id!r} is already recorded; choose another id.", field="action_id")
    row = {c: None for c in TABLES[ACTIONS].column_names}
    row.update({k: v for k, v in where.items() if v not in (None, "")})
    row.update(action_id=action_id, title=str(title).strip(), starts_at=start, ends_at=end, agents=",".join(agents) or None,
               source=source, created_at=pd.Timestamp(datetime.now(UTC)))
    return pd.DataFrame([row])


def record_action(store, **fields) -> str:
    """Validate and store one action; returns its id (see :func:`new_action_row` for the fields)."""
    row = new_action_row(store, **fields)
    store.insert(ACTIONS, _typed(row))
    return str(row.loc[0, "action_id"])


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[TABLES[ACTIONS].column_names].copy()
    for col in TABLES[ACTIONS].columns:
        if col.type == "timestamp":
            out[col.name] = pd.to_datetime(out[col.name], utc=True)
        else:
            out[col.name] = out[col.name].astype(object).where(out[col.name].notna(), None)
    return out


def actions_from_cases(store, cases: pd.DataFrame) -> list[str]:
    """Record one action per closed case that names a root cause and a fix (columns: case_id, status,
    root_cause, resolution, closed_at, touchpoint_id, team_id). Returns the new action ids; cases already
    turned into an action are skipped."""
    needed = {"case_id", "status", "root_cause", "resolution", "closed_at"}
    missing = needed - set(cases.columns)
    if missing:
        raise InputError(f"cases: missing column(s) {', '.join(sorted(missing))}; a case needs {', '.join(sorted(needed))}.")
    done = set(store.table(ACTIONS).case_id.execute().dropna())
    closed = cases[cases["status"].astype(str).str.lower().eq("closed") & cases["root_cause"].notna() & cases["resolution"].notna()]
    ids = []
    for k, case in enumerate(closed.to_dict("records")):
        if str(case["case_id"]) in done:
            continue
        if pd.isna(case["closed_at"]):
            raise InputError(f"cases row {k + 1} (case {case['case_id']}): field closed_at is empty; a closed case needs the date it was closed.")
        ids.append(record_action(
            store, action_id=f"act_case_{case['case_id']}", title=str(case["resolution"])[:120], starts_at=case["closed_at"],
            description=f"Root cause: {case['root_cause']}", source="case", case_id=str(case["case_id"]),
            touchpoint_id=_field(case, "touchpoint_id"), team_id=_field(case, "team_id")))
    return ids


def _field(row: Mapping, name: str):
    value = row.get(name)
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def load_actions(store, ids: Iterable[str] | None = None) -> list[Action]:
    """The stored actions (all, or those in ``ids``), oldest first."""
    t = store.table(ACTIONS)
    if ids is not None:
        ids = list(ids)
        t = t.filter(t.action_id.isin(ids))
    frame = t.order_by(["starts_at", "action_id"]).to_pandas()
    if ids is not None:
        missing = [i for i in ids if i not in set(frame["action_id"])]
        if missing:
            raise InputError(f"no action {', '.join(missing)} in the store; `empathica actions list` shows the recorded ones.")
    return [Action(
        action_id=r["action_id"], title=r["title"], starts_at=pd.Timestamp(r["starts_at"]),
        ends_at=None if pd.isna(r["ends_at"]) else pd.Timestamp(r["ends_at"]),
        touchpoint_id=_field(r, "touchpoint_id"), team_id=_field(r, "team_id"),
        agents=tuple(a for a in (_field(r, "agents") or "").split(",") if a),
        segment=_field(r, "segment"), region=_field(r, "region"), expected_metric=_field(r, "expected_metric"),
        expected_direction=_field(r, "expected_direction"), description=_field(r, "description"),
    ) for r in frame.to_dict("records")]
