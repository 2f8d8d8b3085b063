"""Two actions planted in the demo world: a coaching that works and a placebo that does nothing.

- ``coaching``: from ``COACHING_FROM`` the least empathic agents (``truths.unempathic_agents``) are
  coached in chat. Each chat they handle afterwards shows more empathy: the empathy drawn for the contact,
  e, becomes ``1 − (1 − e)·(1 − COACHING_GAP_CLOSED)`` (the coaching closes that share of the gap to
  full empathy). Less empathy lost means fewer customers leave after a complaint contact
  (``truths.contact_leaving``), so their customers' retention rises.
- ``placebo``: from ``PLACEBO_FROM`` two ordinary agents take an e-learning module with no effect.

The shift is applied after the contact's empathy is drawn, so everything drawn before the customers'
leaving is unchanged; the coached chats read more empathic and lose fewer customers, and the draws
after the leaving (surveys, purchases, churn records) shift with the journeys that now go on. ``ActionsLedger`` accumulates, over the chunks, the effect each action has on
the outcome the flywheel measures — P(the customer is lost after the contact: recorded as churned and
starting no journey after it; they may leave at this contact or at a later one before their next
journey) — for the contacts the flywheel can observe (those at least
``OBSERVABLE_MARGIN_DAYS`` before the end of the window, so the CRM had time to record a loss).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC

import numpy as np
import pandas as pd

from empathica.demo.catalogue import AGENT_IDS, WORLD_END, WORLD_START
from empathica.demo.journeys import Journeys
from empathica.demo.population import Customers
from empathica.demo.truths import PlantedTruths

COACHING_FROM = datetime(2024, 1, 8, tzinfo=UTC)
COACHING_GAP_CLOSED = 0.3
#: The coaching is about written replies: it changes the agents' chats, not their calls (so the planted
#: friction pathway web checkout → call centre and its churn stay as they were).
COACHED_CHANNEL = "chat"
PLACEBO_AGENTS = ("agent_02", "agent_09")
PLACEBO_FROM = datetime(2023, 11, 6, tzinfo=UTC)
#: Contacts this close to the end of the window are not counted: a loss is recorded ~60 days after it.
OBSERVABLE_MARGIN_DAYS = 180


def _seconds(when: datetime) -> float:
    return (when - WORLD_START).total_seconds()


def _naive(moments: list[datetime]) -> np.ndarray:
    return np.array([m.replace(tzinfo=None) for m in moments], dtype="datetime64[s]")


def action_rows(truths: PlantedTruths) -> pd.DataFrame:
    """The two actions as rows of the canonical ``actions`` table (what a CX team would have logged)."""
    return pd.DataFrame({
        "action_id": ["act_coaching_2024_01", "act_elearning_2023_11"],
        "title": ["Empathy coaching in chat for the least empathic agents", "E-learning module on the new returns policy"],
        "description": [
            "One-to-one coaching of written chat replies (acknowledge, explain, own the next step) for the agents with the lowest empathy scores.",
            "A self-paced e-learning module about the returns policy for two contact agents.",
        ],
        "starts_at": _naive([COACHING_FROM, PLACEBO_FROM]),
        "ends_at": np.array(["NaT", "NaT"], dtype="datetime64[s]"),
        "touchpoint_id": [COACHED_CHANNEL, None],
        "team_id": [None, None],
        "agents": [",".join(truths.unempathic_agents), ",".join(PLACEBO_AGENTS)],
        "segment": [None, None],
        "region": [None, None],
        "expected_metric": ["churn", "churn"],
        "expected_direction": ["down", "down"],
        "owner": ["Head of customer service", "Training team"],
        "source": ["demo", "demo"],
        "case_id": [None, None],
        "created_at": _naive([COACHING_FROM - timedelta(days=14), PLACEBO_FROM - timedelta(days=14)]),
    })


@dataclass
class ActionsLedger:
    """Per action: treated contacts after the start that the flywheel can observe, and the sum of the
    planted change in P(lost after the contact) and in the empathy shown over them."""

    contacts: dict = field(default_factory=lambda: {"coaching": 0, "placebo": 0})
    loss_change: dict = field(default_factory=lambda: {"coaching": 0.0, "placebo": 0.0})
    empathy_change: dict = field(default_factory=lambda: {"coaching": 0.0, "placebo": 0.0})

    def summary(self) -> dict:
        out = {}
        for name in self.contacts:
            n = self.contacts[name]
            out[name] = {"treated_contacts_after_start": n,
                         "effect_on_lost_after_contact": round(self.loss_change[name] / n, 4) if n else None,
                         "effect_on_empathy_shown": round(self.empathy_change[name] / n, 4) if n else None}
        return out


def plant_actions(conv: pd.DataFrame, customers: Customers, journeys: Journeys, truths: PlantedTruths,
                  ledger: ActionsLedger) -> pd.DataFrame:
    """Raise the empathy of the coached agents' contacts after the start, and book the planted effects."""
    agent = np.array(AGENT_IDS, dtype=object)[conv["agent"].to_numpy()]
    time = conv["time"].to_numpy()
    coached = (np.isin(agent, truths.unempathic_agents) & (time >= _seconds(COACHING_FROM))
               & (conv["channel"].to_numpy() == COACHED_CHANNEL))
    before = conv["empathy"].to_numpy()
    after = np.where(coached, 1.0 - (1.0 - before) * (1.0 - COACHING_GAP_CLOSED), before)
    conv = conv.assign(empathy=after)

    # lost after the contact: the customer leaves at it or at a later contact before their next journey
    # starts (the journeys under way are finished), or drops out anyway with no later journey
    h = truths.contact_leaving
    complaint = conv["topic"].to_numpy() != "product_question"
    p_before = np.where(complaint, h["max"] * (1.0 - before) ** h["exponent"], 0.0)
    p_after = np.where(complaint, h["max"] * (1.0 - after) ** h["exponent"], 0.0)
    cust = conv["customer"].to_numpy()
    next_start = _next_journey_start(journeys, cust, time)
    keep_before = _stay_probability(cust, time, next_start, p_before)
    keep_after = _stay_probability(cust, time, next_start, p_after)
    lost_anyway = customers.dead[cust] & ~np.isfinite(next_start)
    loss_change = (keep_before - keep_after) * ~lost_anyway
    observable = time <= _seconds(WORLD_END) - OBSERVABLE_MARGIN_DAYS * 86400.0
    placebo = np.isin(agent, PLACEBO_AGENTS) & (time >= _seconds(PLACEBO_FROM))
    for name, mask in (("coaching", coached & observable), ("placebo", placebo & observable)):
        ledger.contacts[name] += int(mask.sum())
        ledger.loss_change[name] += float(loss_change[mask].sum())
        ledger.empathy_change[name] += float((after - before)[mask].sum())
    return conv


def _next_journey_start(journeys: Journeys, cust: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Per contact: the start of the customer's first journey after it (inf: none)."""
    ev = journeys.events
    starts = pd.Series(ev["time"].to_numpy()).groupby(ev["journey"].to_numpy()).min()
    frame = pd.DataFrame({"customer": journeys.customer[starts.index.to_numpy()], "start": starts.to_numpy()})
    frame = frame.sort_values(["customer", "start"])
    key = frame["customer"].to_numpy() * 1e10 + frame["start"].to_numpy()
    pos = np.searchsorted(key, cust * 1e10 + time, side="right")
    found = pos < len(key)
    out = np.full(len(cust), np.inf)
    same = found.copy()
    same[found] = frame["customer"].to_numpy()[pos[found]] == cust[found]
    out[same] = frame["start"].to_numpy()[pos[same]]
    return out


def _stay_probability(cust: np.ndarray, time: np.ndarray, until: np.ndarray, p_leave: np.ndarray) -> np.ndarray:
    """Per contact: P(the customer leaves at none of their contacts from this one until ``until``)."""
    order = np.lexsort((time, cust))
    key = cust[order] * 1e10 + time[order]
    log_stay = np.concatenate([[0.0], np.cumsum(np.log1p(-p_leave[order]))])
    start = np.searchsorted(key, cust * 1e10 + time, side="left")
    stop = np.searchsorted(key, cust * 1e10 + np.minimum(until, 1e9), side="left")
    return np.exp(log_stay[stop] - log_stay[start])


def actions_truth(truths: PlantedTruths, ledger: ActionsLedger) -> dict:
    """The planted actions for ``ground_truth.json``: what was done, and its effect on the outcomes."""
    realised = ledger.summary()
    return {
        "coaching": {
            "action_id": "act_coaching_2024_01", "agents": list(truths.unempathic_agents), "touchpoint_id": COACHED_CHANNEL,
            "starts_at": COACHING_FROM.isoformat(), "empathy_gap_closed": COACHING_GAP_CLOSED,
            "outcome": "lost_after_contact", "expected_sign": -1, **realised["coaching"],
        },
        "placebo": {
            "action_id": "act_elearning_2023_11", "agents": list(PLACEBO_AGENTS),
            "starts_at": PLACEBO_FROM.isoformat(), "empathy_gap_closed": 0.0,
            "outcome": "lost_after_contact", "expected_sign": 0, **realised["placebo"],
        },
        "observable_margin_days": OBSERVABLE_MARGIN_DAYS,
    }
