"""The trend of each opportunity against the previous period of the data (previous run as the fallback).

The data's periods are the last ``PERIOD_DAYS`` days up to its latest event and the ``PERIOD_DAYS`` before
them. The trend compares, period by period, the share of customers active in the period (an event in it)
whom the opportunity concerns. How exact that is depends on the kind, and the finding says which:

- a friction pathway (basis ``period``, exact): the customers who made the transition *in that period*
  (its target event in it), by the same definition as the ranking;
- the least empathic agents and a team's empathy or engagement (basis ``period``, exact): the customers
  the agents (the team) served in a conversation started in that period;
- the complaint and rating fixes (touchpoints, pain points, competitor gaps; basis ``active``,
  approximate): the customers the opportunity concerns — read over the whole history, because the
  levers they are found by (``drivers_everyone``'s complaints and ratings) are stored per customer, not
  per period — among those active in the period. It says whether
  the customers concerned are active more or less often lately, not whether the complaints themselves grew;
  the finding names this (``decide.trend.active_*``);
- an at-risk group (basis ``run``): its P(churn) comes from the value step's model of today, which has no
  earlier period; the trend is the previous run's rank (``decide.trend.risk_*``).

When the data hold less than two full periods there is nothing earlier to compare with inside the data:
the trend is then the previous run's rank and revenue (``previous_rank``, ``previous_revenue``), and the
finding says which basis it used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from empathica.decide.levers import customer_agents, pathway_customers

#: Length of a period (a quarter).
PERIOD_DAYS = 91
#: Fixes whose customers are found per period: who served them (conversations started in it) ...
SERVED_KINDS = ("agents", "team_empathy", "team_engagement")
#: ... and with the pathways (a transition made in it), the fixes whose trend is exact (basis ``period``).
PERIOD_KINDS = ("pathway", *SERVED_KINDS)


@dataclass(frozen=True)
class Periods:
    """The current period [start, end) and the one before [previous_start, start)."""

    previous_start: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp


def data_periods(store, *, days: int = PERIOD_DAYS) -> Periods | None:
    """The last two periods of the events, or None when the events span less than two of them."""
    if not store.count("events"):
        return None
    events = store.table("events")
    span = events.aggregate(first=events.timestamp.min(), last=events.timestamp.max()).execute().iloc[0]
    first, last = pd.Timestamp(span["first"]), pd.Timestamp(span["last"])
    end = last + pd.Timedelta(seconds=1)
    start = end - pd.Timedelta(days=days)
    previous_start = start - pd.Timedelta(days=days)
    if first > previous_start:
        return None
    return Periods(previous_start, start, end)


def _active(store, since: pd.Timestamp, until: pd.Timestamp) -> set[str]:
    events = store.table("events")
    inside = events.filter((events.timestamp >= since) & (events.timestamp < until) & events.customer_id.notnull())
    return set(inside.select(customer_id=inside.customer_id.cast("string")).distinct().to_pandas()["customer_id"])


def _pathway_in(store, source: str, target: str, since: pd.Timestamp, until: pd.Timestamp) -> set[str]:
    pathways = pd.DataFrame({"source": [source], "target": [target]})
    hits = pathway_customers(store, pathways, since=since, until=until).to_pandas()
    return set(hits["customer_id"].astype(str))


def _served_in(lever, served: pd.DataFrame) -> set[str]:
    """The customers the lever's agents (``extra["agent_ids"]``) or team (its owner) served in the period."""
    if lever.kind == "agents":
        who = served["agent_id"].isin(lever.extra.get("agent_ids", []))
    else:
        who = served["team_id"].astype(str) == str(lever.owner_team_id)
    return set(served.loc[who, "customer_id"].astype(str))


def period_shares(store, table: pd.DataFrame, levers, periods: Periods) -> dict[str, tuple[float, float]]:
    """Per lever key: (share concerned in the current period, share in the previous one) of active customers."""
    windows = {"now": (periods.start, periods.end), "before": (periods.previous_start, periods.start)}
    active = {k: _active(store, *w) for k, w in windows.items()}
    ids = table["customer_id"].astype(str).to_numpy()
    served: dict[str, pd.DataFrame] = {}  # who served whom per period, read once when a lever needs it
    out = {}
    for lever in (lever for lever in levers if lever.kind != "at_risk"):  # today's risk has no earlier period
        shares = []
        for k, (since, until) in windows.items():
            if not active[k]:
                shares.append(np.nan)
                continue
            if lever.kind == "pathway":
                source, _, target = lever.key.split(":", 1)[1].partition(">")
                concerned = _pathway_in(store, source, target, since, until) & active[k]
            elif lever.kind in SERVED_KINDS:
                concerned = _served_in(lever, served.setdefault(k, customer_agents(store, since=since, until=until))) & active[k]
            else:
                concerned = set(ids[lever.affected]) & active[k]
            shares.append(len(concerned) / len(active[k]))
        out[lever.key] = (shares[0], shares[1])
    return out


def with_trend(frame: pd.DataFrame, previous: pd.DataFrame | None, shares: dict[str, tuple[float, float]] | None,
               periods: Periods | None) -> pd.DataFrame:
    """``frame`` (the ranking) with the previous run's rank and revenue, and the trend finding of each row:
    against the previous period of the data when it has two, else against the previous run."""
    if previous is None or previous.empty or not {"key", "rank", "revenue"} <= set(previous.columns):
        frame["previous_rank"] = pd.array([pd.NA] * len(frame), dtype="Int64")
        frame["previous_revenue"] = np.nan
    else:
        before = previous[["key", "rank", "revenue"]].rename(columns={"rank": "previous_rank", "revenue": "previous_revenue"})
        frame = frame.merge(before, on="key", how="left")
        frame["previous_rank"] = frame["previous_rank"].astype("Int64")
    ids, values, basis = [], [], []
    for row in frame.itertuples():
        on, message_id, v = _risk_trend(row) if row.kind == "at_risk" else _trend_of(row, shares, periods)
        ids.append(message_id)
        values.append(v)
        basis.append(on)
    frame["trend_basis"] = basis
    frame["trend_message_id"] = ids
    frame["trend_values"] = [json.dumps(v) for v in values]
    return frame


def _trend_of(row, shares, periods) -> tuple[str, str, dict]:
    """(basis, message id, values) of one ranking row's trend."""
    if periods is not None and shares is not None and row.key in shares and not np.isnan(shares[row.key][1]):
        now, before = shares[row.key]
        direction = "up" if now > before * 1.1 else "down" if now < before / 1.1 else "flat"
        basis = "period" if row.kind in PERIOD_KINDS else "active"  # exact per period, or concerned over the whole history
        return basis, f"decide.trend.{basis}_{direction}", {"now": float(now), "before": float(before), "days": PERIOD_DAYS,
                                                               "since": periods.start.date().isoformat()}
    if pd.isna(row.previous_rank):
        return "run", "decide.trend.run_first", {}
    return "run", "decide.trend.run", {"previous_rank": int(row.previous_rank), "rank": int(row.rank)}


def _risk_trend(row) -> tuple[str, str, dict]:
    """An at-risk group's trend: against the previous run only (today's P(churn) has no earlier period)."""
    if pd.isna(row.previous_rank):
        return "run", "decide.trend.risk_first", {}
    return "run", "decide.trend.risk_run", {"previous_rank": int(row.previous_rank), "rank": int(row.rank)}


__all__ = ["PERIOD_DAYS", "Periods", "data_periods", "period_shares", "with_trend"]
