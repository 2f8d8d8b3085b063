"""The per-customer table the decisions are valued on: levers, controls, churn and the value at stake.

Built from stored results and canonical tables only (no live objects of earlier steps):
- the drivers step's ``drivers_customer`` (CSAT per touchpoint, friction, empathy received, team
  engagement, first-reply wait, pain points, customer attributes) for NPS respondents, and its
  ``drivers_everyone`` (CSAT per touchpoint, pain points) for every other customer;
- one 0/1 column ``path:<source>><target>`` per top friction pathway of ``journey_friction`` (the
  customer made that transition in a journey), from the events table;
- ``empathy_gaps_met``: how many times the customer's distress was answered by a purely transactional
  reply (the empathy step's ``empathy_gaps``; 0 for a customer who never met one). Empathy matters most
  where a customer is upset: the mean empathy received dilutes that moment among routine replies, so the
  gaps are a lever of their own (the agents' and teams' empathy opportunities cut them, docs/decide.md), kept
  per cell (``gaps@<agent>@<pain points complained of>``) so fixes that remove the same gaps compose exactly;
- ``churned`` (``customers.churned_at`` set) and ``value``: the customer's CLV (``value_clv``); a
  customer already lost is valued at the mean CLV of active customers of the same segment, what keeping
  them would have been worth.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from empathica.decide.contacts import CONTACT_PREFIX, agent_levels, complaint_contacts, contact_cells, contact_parts
from empathica.errors import NotEnoughDataError
from empathica.schema.results import (
    DRIVERS_CUSTOMER, DRIVERS_EVERYONE, DRIVERS_TEAMS, EMPATHY_AGENTS, EMPATHY_CUSTOMER, EMPATHY_GAPS, JOURNEY_CUSTOMER_FRICTION, JOURNEY_FRICTION,
    RUN_COLUMN, TEXT_SCORES, VALUE_CLV,
)

#: Friction pathways (by rank in ``journey_friction``) that become levers of their own.
TOP_PATHWAYS = 5
#: Columns of ``drivers_customer`` that are not levers.
NOT_LEVERS = ("customer_id", "nps", "nps_answers", "friction_met")
#: Prefix of customer attributes: controls of the churn model, never levers.
ATTRIBUTE_PREFIX = "attr_"
PATH_PREFIX = "path:"
#: The lever of the empathy gaps a customer met (distress answered transactionally).
GAPS = "empathy_gaps_met"
#: Prefix of the columns holding a customer's empathy gaps per *cell*: the agent who left them and the pain points the
#: customer complained of in that conversation (``gaps@agent_05@delivery_delay+refund``). ``GAPS`` is their sum.
#: Not levers of the model: the fixes change them, so fixes that remove the same gaps compose exactly (``cut_cells``).
CELL_PREFIX = "gaps@"


def pathway_column(source: str, target: str) -> str:
    return f"{PATH_PREFIX}{source}>{target}"


def top_pathways(store, n: int = TOP_PATHWAYS) -> pd.DataFrame:
    """The ``n`` highest-friction pathways of ``journey_friction`` (rank order), or an empty frame."""
    if not store.has_result(JOURNEY_FRICTION):
        return pd.DataFrame(columns=["source", "target", "friction_score", "customers"])
    friction = store.result(JOURNEY_FRICTION)
    order = "rank" if "rank" in friction.columns else ibis.desc("friction_score")
    return friction.order_by(order).limit(n).to_pandas()


def pathway_customers(store, pathways: pd.DataFrame, *, since=None, until=None) -> ibis.Table:
    """(customer_id, pathway column) for every customer who made each pathway's transition in a journey
    (with ``since``/``until``: whose target event falls in [since, until))."""
    events = store.table("events")
    journey = ibis.coalesce(events.journey_id, events.customer_id)
    window = ibis.window(group_by=[events.customer_id, journey], order_by=[events.timestamp, events.event_id])
    steps = events.select(customer_id=events.customer_id, target=events.touchpoint_id,
                          source=events.touchpoint_id.lag().over(window), at=events.timestamp)
    if since is not None:
        steps = steps.filter((steps.at >= since) & (steps.at < until))
    wanted = ibis.memtable(pd.DataFrame({"source": pathways["source"].astype(str), "target": pathways["target"].astype(str),
                                         "lever": [pathway_column(s, t) for s, t in zip(pathways["source"], pathways["target"])]}))
    hits = steps.inner_join(wanted, [steps.source == wanted.source, steps.target == wanted.target])
    return hits.select("customer_id", "lever").distinct()


def customer_levers(store) -> pd.DataFrame:
    """One row per customer: levers, controls, ``churned`` and ``value``."""
    if not store.has_result(DRIVERS_CUSTOMER):
        raise NotEnoughDataError("the drivers step has not stored its per-customer drivers (result drivers_customer); "
                                 "run the drivers step first (it needs feedback with NPS).")
    if not store.has_result(VALUE_CLV):
        raise NotEnoughDataError("the value step has not stored customer lifetime values (result value_clv); "
                                 "run the value step first (it needs transactions).")
    answered = store.read_result(DRIVERS_CUSTOMER).drop(columns=[RUN_COLUMN], errors="ignore")
    answered = answered.drop(columns=[c for c in NOT_LEVERS if c in answered.columns and c != "customer_id"])
    table = _everyone(store, answered)
    pathways = top_pathways(store)
    if len(pathways) and store.count("events"):
        hits = pathway_customers(store, pathways).to_pandas()
        wide = pd.crosstab(hits["customer_id"], hits["lever"]).clip(upper=1).astype(float)
        table = table.merge(wide, left_on="customer_id", right_index=True, how="left")
        for s, t in zip(pathways["source"], pathways["target"]):
            col = pathway_column(s, t)
            table[col] = table[col].fillna(0.0) if col in table else 0.0
    cells = gap_cells(store, [c[5:] for c in table.columns if c.startswith("pain_")]) if "empathy_received" in table else None
    if cells is not None:
        table = table.merge(cells, left_on="customer_id", right_index=True, how="left")
        names = [c for c in cells.columns]
        table[names] = table[names].fillna(0.0)
        table[GAPS] = table[names].sum(axis=1)
    customers = store.table("customers")
    churn = customers.select(customer_id=customers.customer_id.cast("string"),
                             churned=customers.churned_at.notnull().cast("int64")).to_pandas()
    contacts = customer_contacts(store, [c[5:] for c in table.columns if c.startswith("pain_")])
    if contacts is not None:
        table = table.merge(contacts, left_on="customer_id", right_index=True, how="left")
        table[list(contacts.columns)] = table[list(contacts.columns)].fillna(0.0)
    table = table.merge(churn, on="customer_id", how="inner")
    table = table.merge(_values(store), on="customer_id", how="left")
    table["value"] = table["value"].fillna(float(table["value"].mean()) if table["value"].notna().any() else 0.0)
    return table.reset_index(drop=True)


def customer_contacts(store, aspects) -> pd.DataFrame | None:
    """Per customer (index): their complaint contacts per cell (``contacts.contact_cells``); None without them."""
    levels = empathy_levels(store)
    found = complaint_contacts(store, aspects) if levels is not None else None
    if found is None or found.empty:
        return None
    return contact_cells(found, levels)


def empathy_levels(store) -> pd.DataFrame | None:
    """``contacts.agent_levels`` of the store's ``empathy_agents``; None without it."""
    if not store.has_result(EMPATHY_AGENTS):
        return None
    return agent_levels(store.read_result(EMPATHY_AGENTS))


def gap_cell(agent: str, aspects) -> str:
    """The column of the empathy gaps ``agent`` left in conversations where the customer complained of ``aspects``."""
    return f"{CELL_PREFIX}{agent}@{'+'.join(sorted(aspects))}"


def cell_parts(column: str) -> tuple[str, set[str]]:
    """(agent, complained aspects) of a ``gap_cell`` column."""
    agent, _, aspects = column[len(CELL_PREFIX):].rpartition("@")
    return agent, set(aspects.split("+")) - {""}


def gap_cells(store, aspects) -> pd.DataFrame | None:
    """Per customer (index): the empathy gaps met per cell (``gap_cell``: the agent, and which of the pain points
    ``aspects`` the customer complained of in the conversation); None without gaps linked to customers. A gap removed
    by one fix is then not removed again by another: each fix scales the cells it concerns, and a customer's gaps
    are the sum of the cells (``cut_cells``)."""
    met = _gaps_per_conversation(store)
    if met is None or met.empty:
        return None
    about = complained_conversations(store)
    if about is not None:
        about = about[about["aspect"].isin(list(aspects))]
        sets = about.groupby("conversation_id")["aspect"].agg(lambda a: tuple(sorted(set(a))))
        met["aspects"] = met["conversation_id"].map(sets)
    else:
        met["aspects"] = None
    met["cell"] = [gap_cell(a, s if isinstance(s, tuple) else ()) for a, s in zip(met["agent_id"], met["aspects"])]
    return met.pivot_table(index="customer_id", columns="cell", values="gaps", aggfunc="sum", fill_value=0.0)


def cut_cells(frame: pd.DataFrame, kept: dict[str, float]) -> pd.DataFrame:
    """``frame`` with each gap cell of ``kept`` scaled to that share kept, and ``GAPS`` their sum again."""
    if not kept:
        return frame
    cells = list(kept)
    frame[cells] = frame[cells].to_numpy() * np.array([kept[c] for c in cells])
    frame[GAPS] = frame[[c for c in frame.columns if c.startswith(CELL_PREFIX)]].sum(axis=1)
    return frame


def complaint_cells(table: pd.DataFrame, aspects, *, share: float = 1.0) -> dict[str, float]:
    """The gap cells met in conversations complaining of any of ``aspects``, and the complaint contacts about them
    (``contacts.contact_cell``), each kept at ``1 − share``: a complaint that never happens is never answered badly
    either, and nobody leaves after it."""
    wanted = set(aspects)
    kept = {c: 1.0 - share for c in table.columns if c.startswith(CELL_PREFIX) and cell_parts(c)[1] & wanted}
    kept.update({c: 1.0 - share for c in table.columns if c.startswith(CONTACT_PREFIX) and contact_parts(c)[2] & wanted})
    return kept


def agent_cells(table: pd.DataFrame, left: dict[str, float]) -> dict[str, float]:
    """The gap cells of the agents of ``left``, each kept at that agent's share."""
    return {c: left[cell_parts(c)[0]] for c in table.columns if c.startswith(CELL_PREFIX) and cell_parts(c)[0] in left}


def _gaps_per_conversation(store) -> pd.DataFrame | None:
    """(conversation_id, customer_id, agent_id, gaps): the empathy gaps (``empathy_gaps``) each agent left in each
    conversation of a known customer; None without them."""
    if not store.has_result(EMPATHY_GAPS) or not store.count("conversations"):
        return None
    gaps, conv = store.result(EMPATHY_GAPS), store.table("conversations")
    left = gaps.group_by(["conversation_id", "agent_id"]).aggregate(gaps=gaps.count())
    owners = conv.select(k_id=conv.conversation_id, customer_id=conv.customer_id.cast("string"))
    left = left.inner_join(owners, left.conversation_id == owners.k_id)
    frame = left.select("conversation_id", "customer_id", "agent_id", "gaps").to_pandas().dropna(subset=["customer_id"])
    frame["gaps"] = frame["gaps"].astype(float)
    return frame


def complained_conversations(store) -> pd.DataFrame | None:
    """(conversation_id, aspect): the conversations where a customer turn leaning negative names the aspect (as the
    drivers step counts complaints); None without scored turns."""
    if not store.has_result(TEXT_SCORES) or not store.count("turns"):
        return None
    from empathica.flywheel.steps.text import aspect_of_each_mention  # the one reading of the stored aspects

    scores, turns = store.result(TEXT_SCORES), store.table("turns")
    negative = scores.filter((scores.source_table == "turns") & (scores.sentiment_score < 0) & scores.aspects.notnull())
    said = turns.filter(turns.speaker == "customer").select(t_id=turns.turn_id.cast("string"), c_id=turns.conversation_id)
    linked = negative.inner_join(said, negative.source_id == said.t_id)
    return linked.select(conversation_id=linked.c_id, aspect=aspect_of_each_mention(linked.aspects)).distinct().to_pandas()


def conversation_agents(store) -> pd.DataFrame:
    """(conversation_id, customer_id, agent_id, at): each conversation with the agent who handled it (its
    ``attributes.agent_id``, else an agent who replied in it) and when it started; agent_id is None when neither says."""
    conv, turns = store.table("conversations"), store.table("turns")
    replied = turns.filter(turns.agent_id.notnull()).group_by("conversation_id").aggregate(turn_agent=turns.agent_id.min())
    rows = conv.left_join(replied, conv.conversation_id == replied.conversation_id)
    named = rows.attributes.cast("json")["agent_id"].unwrap_as("string")
    frame = rows.select(conversation_id=rows.conversation_id, customer_id=rows.customer_id.cast("string"),
                        agent_id=named.fill_null(rows.turn_agent), at=rows.started_at).to_pandas()
    return frame.dropna(subset=["customer_id"])


def customer_agents(store, *, since=None, until=None) -> pd.DataFrame:
    """(customer_id, agent_id, team_id): the agents who served each customer — replied in a conversation, or handled
    one nobody transcribed (its ``attributes.agent_id``) — and their teams (with ``since``/``until``: in
    conversations started in [since, until))."""
    turns, conv = store.table("turns"), store.table("conversations")
    if since is not None:
        conv = conv.filter((conv.started_at >= since) & (conv.started_at < until))
    named = conv.select("conversation_id", agent_id=conv.attributes.cast("json")["agent_id"].unwrap_as("string"))
    pairs = turns.filter(turns.agent_id.notnull()).select("conversation_id", "agent_id").union(
        named.filter(named.agent_id.notnull())).distinct()
    linked = pairs.inner_join(conv.select("conversation_id", "customer_id"), "conversation_id")
    if store.count("employees"):
        emp = store.table("employees")
        linked = linked.left_join(emp.select(agent_id=emp.employee_id, team_id=emp.team_id), "agent_id")
    frame = linked.to_pandas()
    if "team_id" not in frame:
        frame["team_id"] = None
    return frame[["customer_id", "agent_id", "team_id"]].dropna(subset=["customer_id"]).drop_duplicates()


def complaint_gaps(store) -> pd.DataFrame | None:
    """(conversation_id, customer_id, agent_id, aspect, gaps): the empathy gaps each agent left in a conversation
    where the customer complained about the aspect (a customer turn leaning negative that names it, as the drivers
    step counts complaints). None when there are no gaps or no scored conversations."""
    met, about = _gaps_per_conversation(store), complained_conversations(store)
    if met is None or about is None:
        return None
    return met.merge(about, on="conversation_id")[["conversation_id", "customer_id", "agent_id", "aspect", "gaps"]]


def _everyone(store, answered: pd.DataFrame) -> pd.DataFrame:
    """Every customer, with the drivers of those who answered NPS and, for the others, the levers stored results
    hold for everyone: empathy received, traversals of the top friction pathways, engagement of the teams that
    served them. (Customers who never answer a survey leave too: valuing only those who answer would miss them.)"""
    customers = store.table("customers")
    table = customers.select(customer_id=customers.customer_id.cast("string")).to_pandas().merge(answered, on="customer_id", how="left")
    fills = {}
    if store.has_result(DRIVERS_EVERYONE):  # CSAT and complaints of customers who never answered NPS
        everyone = store.read_result(DRIVERS_EVERYONE).drop(columns=[RUN_COLUMN], errors="ignore")
        fills.update({c: everyone[["customer_id", c]] for c in everyone.columns if c != "customer_id" and c in table})
    if "empathy_received" in table and store.has_result(EMPATHY_CUSTOMER):
        fills["empathy_received"] = store.result(EMPATHY_CUSTOMER).select("customer_id", "empathy_received").to_pandas()
    if "friction_exposure" in table and store.has_result(JOURNEY_CUSTOMER_FRICTION):
        f = store.result(JOURNEY_CUSTOMER_FRICTION)
        fills["friction_exposure"] = f.select("customer_id", friction_exposure=f.top_pathway_traversals.cast("float64")).to_pandas()
    if "team_engagement" in table and store.has_result(DRIVERS_TEAMS) and store.count("turns") and store.count("conversations"):
        served = customer_agents(store).merge(store.read_result(DRIVERS_TEAMS)[["team_id", "engagement"]], on="team_id")
        fills["team_engagement"] = served.groupby("customer_id", as_index=False)["engagement"].mean().rename(
            columns={"engagement": "team_engagement"})
    for column, frame in fills.items():
        known = table["customer_id"].map(frame.drop_duplicates("customer_id").set_index("customer_id")[column])
        table[column] = table[column].fillna(known)
    if "friction_exposure" in table:
        table["friction_exposure"] = table["friction_exposure"].fillna(0.0)
    return table


def _values(store) -> pd.DataFrame:
    clv = store.result(VALUE_CLV)
    frame = clv.select("customer_id", "clv", "segment", "status").to_pandas()
    active = frame[frame["status"] == "active"]
    by_segment = active.groupby("segment")["clv"].mean()
    fallback = float(active["clv"].mean()) if len(active) else 0.0
    lost = frame["status"] != "active"
    value = frame["clv"].clip(lower=0.0).astype(float)
    value[lost] = frame.loc[lost, "segment"].map(by_segment).fillna(fallback).to_numpy()
    return pd.DataFrame({"customer_id": frame["customer_id"].astype(str), "value": np.asarray(value, dtype=float)})


def lever_columns(table: pd.DataFrame) -> list[str]:
    """The columns of ``table`` the churn model learns from (levers and attribute controls)."""
    return [c for c in table.columns if c not in ("customer_id", "churned", "value") and c not in NOT_LEVERS
            and not c.startswith((CELL_PREFIX, CONTACT_PREFIX))]


def churn_levers(table: pd.DataFrame) -> list[str]:
    """The levers of the customer-level churn model. With complaint contacts known, the empathy met at complaints is
    valued per contact (``contacts.ContactLeaving``): the count of gaps met, its customer-level stand-in, leaves the
    model (it would count the same churn a second time, and under-reads it: docs/decide.md). The empathy received
    stays: how empathic a customer's usual agents are bears on whether they drift away, contact or not."""
    columns = lever_columns(table)
    if any(c.startswith(CONTACT_PREFIX) for c in table.columns):
        columns = [c for c in columns if c != GAPS]
    return columns
