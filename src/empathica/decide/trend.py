"""The trend of each opportunity against the previous period of the data (previous run as the fallback).

The data's periods are the last ``PERIOD_DAYS`` days up to its latest event and the ``PERIOD_DAYS`` before
them. The trend compares, period by period, the share of customers active in the period (an event in it)
whom the opportunity concerns. How exact that is depends on the kind, and the finding says which:

- a friction pathway (basis ``period``, exact): the customers who made the transition *in that period*
  (its target event in it), by the same definition as the ranking;
- the least empathic agents and a team's empathy or engagement (basis ``period``, exact): the customers
  the agents (the team) served in a conversation started in that period;
- the complaint and rating fixes (touchpoints, pain points, competitor gaps; basis ``period``, exact): the
  customers who complained of the fix's pain points *in that period*, or (a touchpoint) whose ratings of it
  given in that period average below its par, by the same definition as the ranking — read from the drivers
  step's ``drivers_lever_events`` (when each rating and complaint was given). A store written before that
  result existed falls back to basis ``active`` (approximate: the customers concerned over the whole
  history, among those active in the period; the finding ``decide.trend.active_*`` says so);
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
from empathica.schema.results import DRIVERS_LEVER_EVENTS

#: Length of a period (a quarter).
PERIOD_DAYS = 91
#: Fixes whose customers are found per period: who served them (conversations started in it) ...
SERVED_KINDS = ("agents", "team_empathy", "team_engagement")
#: ... and with the pathways (a transition made in it), the fixes whose trend is exact (basis ``period``) from the
#: events, turns and conversations alone ...
PERIOD_KINDS = ("pathway", *SERVED_KINDS)
#: ... and the fixes whose customers are found by their complaints and ratings (exact with ``drivers_lever_events``).
COMPLAINT_KINDS = ("touchpoint", "pain_point", "competitor")


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


def _utc(moment: pd.Timestamp) -> pd.Timestamp:
    moment = pd.Timestamp(moment)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _complained_in(lever, events: pd.DataFrame) -> set[str]:
    """The customers whom ``lever`` concerns by the ratings and complaints of ``events`` (those of one period): a
    complaint about one of its pain points (``extra["complaints"]``), or ratings of its touchpoint averaging below
    par (``extra["below"]``)."""
    concerned = set(events.loc[events["lever"].isin(lever.extra.get("complaints", [])), "customer_id"])
    for column, par in lever.extra.get("below", {}).items():
        rated = events[events["lever"] == column].groupby("customer_id")["value"].mean()
        concerned |= set(rated.index[rated < par])
    return concerned


def period_shares(store, table: pd.DataFrame, levers, periods: Periods) -> dict[str, tuple[float, float, str]]:
    """Per lever key: (share concerned in the current period, share in the previous one, basis) of active customers;
    basis ``period`` when counted per period, ``active`` when over the whole history (no ``drivers_lever_events``)."""
    windows = {"now": (periods.start, periods.end), "before": (periods.previous_start, periods.start)}
    active = {k: _active(store, *w) for k, w in windows.items()}
    ids = table["customer_id"].astype(str).to_numpy()
    events = store.read_result(DRIVERS_LEVER_EVENTS) if store.has_result(DRIVERS_LEVER_EVENTS) else None
    served: dict[str, pd.DataFrame] = {}  # who served whom per period, read once when a lever needs it
    out = {}
    for lever in (lever for lever in levers if lever.kind != "at_risk"):  # today's risk has no earlier period
        shares, exact = [], lever.kind in PERIOD_KINDS or (lever.kind in COMPLAINT_KINDS and events is not None)
        for k, (since, until) in windows.items():
            if not active[k]:
                shares.append(np.nan)
                continue
            if lever.kind == "pathway":
                source, _, target = lever.key.split(":", 1)[1].partition(">")
                concerned = _pathway_in(store, source, target, since, until)
            elif lever.kind in SERVED_KINDS:
                concerned = _served_in(lever, served.setdefault(k, customer_agents(store, since=since, until=until)))
            elif exact:
                at = pd.to_datetime(events["at"], utc=True)  # stored naive (UTC); the events' bounds may carry a zone
                concerned = _complained_in(lever, events[(at >= _utc(since)) & (at < _utc(until))])
            else:
                concerned = set(ids[lever.affected])
            shares.append(len(concerned & active[k]) / len(active[k]))
        out[lever.key] = (shares[0], shares[1], "period" if exact else "active")
    return out


def with_trend(frame: pd.DataFrame, previous: pd.DataFrame | None, shares: dict[str, tuple[float, float, str]] | None,
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
        now, before, basis = shares[row.key]  # exact per period, or concerned over the whole history
        direction = "up" if now > before * 1.1 else "down" if now < before / 1.1 else "flat"
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


__all__ = ["COMPLAINT_KINDS", "PERIOD_DAYS", "Periods", "data_periods", "period_shares", "with_trend"]
