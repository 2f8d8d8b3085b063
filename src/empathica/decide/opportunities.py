"""Opportunities: every finding turned into one comparable, monetised, owned candidate, then ranked.

Each candidate is a *lever change* for the customers it concerns, valued by the one churn model
(``ChurnResponse``): remove a friction pathway from the journeys that made it, remove a pain point from
the customers who complained of it, lift a touchpoint's low CSAT ratings to its median, lift the least
empathic agents' (or a team's) customers to the median empathy, lift a low-engagement team to the median
engagement. Revenue at stake is the CLV those changes keep, with a 95 % bootstrap interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from empathica.decide.contacts import agent_levels, lift_contacts
from empathica.decide.levers import agent_cells, complaint_cells, customer_agents, cut_cells, pathway_column, top_pathways
from empathica.decide.response import ChurnResponse, Valuation
from empathica.decide.trend import with_trend
from empathica.store.names import Names, display_name, name_list
from empathica.schema.results import (
    DRIVERS_IMPORTANCE, DRIVERS_TEAMS, EMPATHY_AGENTS, EMPATHY_TEAMS, JOURNEY_FRICTION, TEXT_PAIN_POINTS,
)

#: Share of agents (lowest empathy first) grouped as "the least empathic agents".
LEAST_EMPATHIC_SHARE = 0.2
#: Fewest customers an opportunity must concern to be valued.
MIN_CUSTOMERS = 20


@dataclass
class Lever:
    """A change of the levers for some customers: what it is, whom it concerns, who owns it."""

    key: str
    kind: str  # pathway, pain_point, touchpoint, agents, team_empathy, team_engagement
    message_id: str
    values: dict
    affected: np.ndarray
    change: Callable[[pd.DataFrame], pd.DataFrame]
    owner_team_id: str | None
    evidence: str  # the result whose rows show the finding
    evidence_section: str
    evidence_key: str = ""
    #: agent_ids (agents), complaints / below (the pain_* columns and {csat_* column: par} whose complaints and
    #: ratings below par make a customer concerned: their trend is counted per period from drivers_lever_events)
    extra: dict = field(default_factory=dict)
    part_of: str | None = None  # the key of the opportunity whose change contains this one's (no double counting)


def _set(column: str, to) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out[column] = to(out[column]) if callable(to) else to
        return out
    return change


def pathway_levers(store, table: pd.DataFrame, names: Names) -> list[Lever]:
    levers = []
    for p in top_pathways(store).itertuples():
        col = pathway_column(p.source, p.target)
        if col not in table:
            continue
        affected = table[col].to_numpy() > 0

        def change(frame, col=col):
            out = frame.copy()
            out[col] = 0.0
            if "friction_exposure" in out:  # one top-pathway traversal fewer
                out["friction_exposure"] = (out["friction_exposure"] - 1).clip(lower=0)
            return out

        levers.append(Lever(key=f"pathway:{p.source}>{p.target}", kind="pathway", message_id="decide.opportunity.pathway",
                            values={"source": names.touchpoint(p.source), "target": names.touchpoint(p.target)},
                            affected=affected, change=change, owner_team_id=names.owners.get(str(p.source)),
                            evidence=JOURNEY_FRICTION.name, evidence_section="journeys", evidence_key=f"{p.source} → {p.target}"))
    return levers


def pain_touchpoint(aspect: str, names: Names) -> str | None:
    """The touchpoint a pain point is about, when its name says so (``delivery_delay`` → ``delivery``)."""
    return next((tp for tp in sorted(names.owners, key=len, reverse=True) if aspect == tp or aspect.startswith(tp + "_")), None)


def resolve_complaints(table: pd.DataFrame, columns, *, share: float = 1.0,
                       also: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The change: ``share`` of the complaints of ``columns`` (``pain_<aspect>``) never happen, and neither do the
    empathy gaps met in those complaint conversations (``levers.complaint_cells``); ``also`` changes the rest first."""
    kept = complaint_cells(table, [c[5:] for c in columns], share=share)

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        out = also(frame) if also is not None else frame.copy()
        out[list(columns)] = out[list(columns)] * (1.0 - share)
        return cut_cells(out, kept)
    return change


def pain_levers(store, table: pd.DataFrame, names: Names) -> list[Lever]:
    """Pain points that belong to no touchpoint (those that do are part of the touchpoint's opportunity)."""
    levers = []
    for col in [c for c in table.columns if c.startswith("pain_")]:
        aspect = col[5:]
        if f"csat_{pain_touchpoint(aspect, names)}" in table:
            continue
        levers.append(Lever(key=f"pain:{aspect}", kind="pain_point", message_id="decide.opportunity.pain",
                            values={"aspect": display_name("aspect", aspect)}, affected=table[col].to_numpy() > 0,
                            change=resolve_complaints(table, [col]), owner_team_id=None,
                            evidence=TEXT_PAIN_POINTS.name, evidence_section="text", evidence_key=aspect,
                            extra={"complaints": [col]}))
    return levers


def touchpoint_levers(store, table: pd.DataFrame, names: Names) -> list[Lever]:
    """Per rated touchpoint: its ratings below the median lifted to the median, and the complaints about it
    (pain points named after it) resolved with the empathy gaps met in them, for the customers who gave either."""
    levers = []
    pains = {c: pain_touchpoint(c[5:], names) for c in table.columns if c.startswith("pain_")}
    for col in [c for c in table.columns if c.startswith("csat_")]:
        tp = col[5:]
        par = float(table[col].median())
        own = [p for p, t in pains.items() if t == tp]
        affected = (table[col] < par).to_numpy()
        for p in own:
            affected = affected | (table[p] > 0).to_numpy()

        change = resolve_complaints(table, own, also=_set(col, lambda s, par=par: s.clip(lower=par)))
        values = {"touchpoint": names.touchpoint(tp), "par": par}
        if own:
            values["aspects"] = name_list([display_name("aspect", p[5:]) for p in own])
        levers.append(Lever(key=f"touchpoint:{tp}", kind="touchpoint",
                            message_id="decide.opportunity.touchpoint_pain" if own else "decide.opportunity.touchpoint",
                            values=values, affected=affected, change=change, owner_team_id=names.owners.get(tp),
                            evidence=DRIVERS_IMPORTANCE.name, evidence_section="drivers", evidence_key=col,
                            extra={"complaints": own, "below": {col: par}}))
    return levers


def empathy_levers(store, table: pd.DataFrame, names: Names, served: pd.DataFrame) -> list[Lever]:
    """The least empathic agents, and each team below the median team: their customers' empathy received lifted
    (to the agents' median; by the team's gap), and the empathy gaps they met from those agents cut to the median
    gap rate (of agents; of teams)."""
    if "empathy_received" not in table or not store.has_result(EMPATHY_AGENTS) or served.empty:
        return []
    agents = store.read_result(EMPATHY_AGENTS).dropna(subset=["empathy"]).sort_values("empathy")
    median = float(agents["empathy"].median())
    k = max(1, int(round(LEAST_EMPATHIC_SHARE * len(agents))))
    least = agents.head(k)
    least = least[least["empathy"] < median]
    gaps = _GapCut(table, agents)
    levers = []
    if len(least):
        ids = least["agent_id"].astype(str).tolist()
        affected, change = agents_to_median(table, served, gaps, ids, median)
        teams = least["team_id"].dropna().astype(str) if "team_id" in least else pd.Series(dtype=str)
        levers.append(Lever(key="agents:least_empathic", kind="agents", message_id="decide.opportunity.agents",
                            values={"agents": ", ".join(names.person(a) for a in ids), "n_agents": len(ids), "median": median},
                            affected=affected, change=change,
                            owner_team_id=teams.mode().iloc[0] if len(teams) else None,
                            evidence=EMPATHY_AGENTS.name, evidence_section="empathy", evidence_key=", ".join(ids),
                            extra={"agent_ids": ids}))
    if "team_id" in agents:
        per_team = agents.groupby("team_id")["empathy"].mean()
        for team, level in per_team[per_team < per_team.median()].items():
            affected = table["customer_id"].isin(served.loc[served["team_id"] == team, "customer_id"]).to_numpy()
            lift = float(per_team.median() - level)
            levers.append(Lever(key=f"team_empathy:{team}", kind="team_empathy", message_id="decide.opportunity.team_empathy",
                                values={"team": names.team(team)}, affected=affected,
                                change=gaps.lift(lambda s, lift=lift: s + lift, gaps.team_to_median(str(team)),
                                                 contacts=(gaps.team_agents(str(team)), "team")),
                                owner_team_id=str(team), evidence=EMPATHY_TEAMS.name, evidence_section="empathy",
                                evidence_key=str(team)))
    return levers


def agents_to_median(table: pd.DataFrame, served: pd.DataFrame, gaps: "_GapCut", ids: list[str], median: float):
    """(customers concerned, change) of lifting agents ``ids`` to the median agent: the empathy their customers
    received lifted to ``median``, and the empathy gaps they left cut to the median agent's gap rate."""
    affected = table["customer_id"].isin(served.loc[served["agent_id"].isin(ids), "customer_id"]).to_numpy()
    return affected, gaps.lift(lambda s: s.clip(lower=median), gaps.agents_to_median(ids), contacts=(ids, "median"))


def named_agents_to_median(store, table: pd.DataFrame, served: pd.DataFrame, ids: list[str]):
    """``agents_to_median`` for any agents of ``empathy_agents`` (a user scenario); None without empathy scores."""
    if "empathy_received" not in table or not store.has_result(EMPATHY_AGENTS):
        return None
    agents = store.read_result(EMPATHY_AGENTS).dropna(subset=["empathy"])
    gaps = _GapCut(table, agents)
    return agents_to_median(table, served, gaps, ids, float(agents["empathy"].median()))


class _GapCut:
    """The empathy gaps each customer would have met had some agents answered distress transactionally only at a
    median rate (``empathy_agents.gap_rate``: gaps per reply to distress)."""

    def __init__(self, table: pd.DataFrame, agents: pd.DataFrame) -> None:
        self.table = table
        self.levels = agent_levels(agents)
        self.teams = agents.dropna(subset=["empathy"]).drop_duplicates("agent_id").set_index("agent_id").get("team_id")
        self.agents = agents[agents["replies_to_distress"].fillna(0) > 0] if "replies_to_distress" in agents else agents.iloc[0:0]

    def agents_to_median(self, ids: list[str]) -> dict[str, float]:
        """Per agent of ``ids``: the share of their gaps left at the median agent's gap rate."""
        rate = self.agents.set_index("agent_id")["gap_rate"].astype(float)
        target = float(rate.median()) if len(rate) else np.nan
        return {a: min(1.0, target / rate[a]) for a in ids if a in rate and rate[a] > 0 and np.isfinite(target)}

    def team_to_median(self, team: str) -> dict[str, float]:
        """Per agent of ``team``: the share of their gaps left at the median team's gap rate."""
        if "team_id" not in self.agents:
            return {}
        sums = self.agents.groupby("team_id")[["empathy_gaps", "replies_to_distress"]].sum()
        rate = sums["empathy_gaps"] / sums["replies_to_distress"]
        if team not in rate or not rate[team] > 0:
            return {}
        share = min(1.0, float(rate.median()) / float(rate[team]))
        return {str(a): share for a in self.agents.loc[self.agents["team_id"] == team, "agent_id"]}

    def team_agents(self, team: str) -> list[str]:
        """The agents of ``team`` with an empathy level."""
        return [] if self.teams is None else [str(a) for a in self.teams.index[self.teams.astype(str) == team]]

    def lift(self, empathy: Callable[[pd.Series], pd.Series], left: dict[str, float],
             contacts: tuple[list[str], str] = ((), "own")) -> Callable[[pd.DataFrame], pd.DataFrame]:
        """The change: empathy received by ``empathy``, the gaps met from each agent of ``left`` cut to that share
        (``levers.agent_cells``: the gaps another fix already removed are not removed again), and the complaint
        contacts answered by the agents of ``contacts`` valued at its level (``contacts.lift_contacts``)."""
        kept = agent_cells(self.table, left)
        agents, level = contacts

        def change(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame.copy()
            out["empathy_received"] = empathy(out["empathy_received"])
            if len(agents):
                out = lift_contacts(out, agents, level, self.levels)
            return cut_cells(out, kept)
        return change


def engagement_levers(store, table: pd.DataFrame, names: Names, served: pd.DataFrame) -> list[Lever]:
    if "team_engagement" not in table or not store.has_result(DRIVERS_TEAMS) or served.empty:
        return []
    teams = store.read_result(DRIVERS_TEAMS)
    median = float(teams["engagement"].median())
    levers = []
    for row in teams[teams["engagement"] < median].itertuples():
        lift = median - float(row.engagement)
        affected = table["customer_id"].isin(served.loc[served["team_id"] == row.team_id, "customer_id"]).to_numpy()
        levers.append(Lever(key=f"team_engagement:{row.team_id}", kind="team_engagement",
                            message_id="decide.opportunity.team_engagement",
                            values={"team": names.team(row.team_id), "engagement": float(row.engagement), "median": median},
                            affected=affected, change=_set("team_engagement", lambda s, lift=lift: s + lift),
                            owner_team_id=str(row.team_id), evidence=DRIVERS_TEAMS.name, evidence_section="drivers",
                            evidence_key=str(row.team_id)))
    return levers


def served_customers(store) -> pd.DataFrame:
    """``customer_agents`` of the store, or no rows when it holds no conversations."""
    if store.count("turns") and store.count("conversations"):
        return customer_agents(store)
    return pd.DataFrame(columns=["customer_id", "agent_id", "team_id"])


def all_levers(store, table: pd.DataFrame, names: Names, served: pd.DataFrame) -> list[Lever]:
    """Every candidate opportunity the stored results support."""
    return [*pathway_levers(store, table, names), *pain_levers(store, table, names),
            *touchpoint_levers(store, table, names),
            *empathy_levers(store, table, names, served), *engagement_levers(store, table, names, served)]


def value_lever(model: ChurnResponse, table: pd.DataFrame, lever: Lever) -> Valuation:
    """Revenue kept by ``lever``: its change for the affected customers, valued by ``model``."""
    rows = table.loc[lever.affected]
    features = rows[model.columns_]
    return model.value_of_change(features, lever.change(rows)[model.columns_], rows["value"])


def confidence(valuation: Valuation, customers: int, auc: float, usable: bool) -> str:
    """A grade: high (interval above 0, 100+ customers, model AUC ≥ 0.7), medium (interval above 0), low (an
    interval that reaches 0 or below, or a model near chance: no gain to expect with confidence, so no money
    is shown)."""
    if not valuation.low > 0 or not usable:
        return "low"
    return "high" if customers >= 100 and auc >= 0.7 else "medium"


def rank_opportunities(levers: list[Lever], model: ChurnResponse, table: pd.DataFrame, names: Names, *, currency: str,
                       previous: pd.DataFrame | None = None, shares: dict | None = None, periods=None,
                       shared: dict[str, Valuation] | None = None) -> pd.DataFrame:
    """The ranking of ``levers``: one row per opportunity, those with money shown first, by revenue at stake;
    those whose change another contains (``part_of``: a competitor gap scales down the very complaints a
    touchpoint or pain-point opportunity resolves) after all the others, so no money is ranked twice.

    A lever is valued by ``model`` unless it carries its own valuation (``extra["valuation"]``, with the AUC
    and usability of the model behind it: at-risk customer groups, valued by the value step's churn model).
    ``shared`` holds the revenue of overlapping fixes shared among them (``attribution.shapley_valuations``):
    a lever found there is ranked by its share; ``revenue_alone`` keeps what it would keep alone."""
    rows = []
    for lever in levers:
        n = int(lever.affected.sum())
        if n < MIN_CUSTOMERS:
            continue
        alone = lever.extra.get("valuation") or value_lever(model, table, lever)
        v = (shared or {}).get(lever.key, alone)
        auc, usable = lever.extra.get("auc", model.auc_), lever.extra.get("usable", model.usable)
        grade = confidence(v, n, auc, usable)
        rows.append({
            "key": lever.key, "kind": lever.kind, "message_id": lever.message_id, "values": values_json(lever.values),
            "customers": n, "revenue": v.revenue, "revenue_low": v.low, "revenue_high": v.high, "currency": currency,
            "churn_change": v.churn_change, "money_shown": grade != "low", "confidence": grade,
            "owner_team_id": lever.owner_team_id, "owner": names.team(lever.owner_team_id) if lever.owner_team_id else None,
            "evidence": lever.evidence, "evidence_section": lever.evidence_section, "evidence_key": lever.evidence_key,
            "model_auc": auc, "part_of": lever.part_of, "revenue_alone": alone.revenue,
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    # an opportunity contained in another (part_of) is listed after the independent ones: its money is theirs
    frame.loc[~frame["part_of"].isin(frame["key"]), "part_of"] = None  # its container was not ranked: it stands alone
    frame["independent"] = frame["part_of"].isna()
    frame = frame.sort_values(["independent", "money_shown", "revenue"], ascending=[False, False, False],
                              ignore_index=True).drop(columns="independent")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return with_trend(frame, previous, shares, periods)


def values_json(values: dict) -> str:
    """A finding's values as JSON (numpy scalars as numbers)."""
    return json.dumps(values, ensure_ascii=False, default=lambda v: v.item() if hasattr(v, "item") else str(v))


__all__ = ["Lever", "Names", "all_levers", "customer_agents", "rank_opportunities", "served_customers", "value_lever",
           "values_json"]
