"""Customer journeys as a Markov process over touchpoints, timed around the true purchases.

Each customer's journeys are independent runs of the chain of their profile. Runs are drawn until the
customer has as many converting journeys (reaching ``order_confirmed``) as purchases in their true
BG/NBD purchase history; the converting journey of purchase j is placed so that its order is
confirmed exactly at the purchase time, and the journeys that did not convert before it are spread
over the weeks before. A customer still active at the end of the window also keeps the unconverted
journeys after their last purchase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from empathica.demo.catalogue import (
    GOAL_STATE,
    N_STATES,
    WORLD_WEEKS,
    delay_tables,
    transition_matrices,
)
from empathica.demo.population import Customers

WEEK = 7 * 86400.0
MAX_STEPS = 24
#: Weeks before the first purchase over which the journeys that led up to it are spread.
LEAD_IN_WEEKS = 6.0

_ENTRY_CUM, _TRANS_CUM = transition_matrices()
_DELAY_MU, _DELAY_SD = delay_tables()


def conversion_probabilities() -> np.ndarray:
    """Probability that a journey of each profile reaches the goal (absorption probabilities)."""
    trans = np.diff(np.concatenate([np.zeros(_TRANS_CUM.shape[:2] + (1,)), _TRANS_CUM], axis=2), axis=2)
    entry = np.diff(np.concatenate([np.zeros((_ENTRY_CUM.shape[0], 1)), _ENTRY_CUM], axis=1), axis=1)
    out = np.empty(len(trans))
    transient = [s for s in range(N_STATES) if s not in (0, GOAL_STATE)]
    for k, P in enumerate(trans):
        Q = P[np.ix_(transient, transient)]
        b = P[transient, GOAL_STATE]
        h = np.linalg.solve(np.eye(len(transient)) - Q, b)
        full = np.zeros(N_STATES)
        full[transient] = h
        full[GOAL_STATE] = 1.0
        out[k] = entry[k] @ full
    return out


_CONVERSION = conversion_probabilities()


def _draw(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    return np.minimum((u[:, None] > cum).sum(axis=1), N_STATES - 1)


def run_chains(rng: np.random.Generator, profile: np.ndarray) -> np.ndarray:
    """State paths (journeys x MAX_STEPS, 0 = ended) of one journey per entry of ``profile``."""
    m = len(profile)
    paths = np.zeros((m, MAX_STEPS), dtype=np.int8)
    paths[:, 0] = _draw(rng.random(m), _ENTRY_CUM[profile].astype(np.float32))
    active = np.arange(m)
    for step in range(1, MAX_STEPS):
        active = active[paths[active, step - 1] != 0]
        if len(active) == 0:
            break
        cum = _TRANS_CUM[profile[active], paths[active, step - 1]]
        paths[active, step] = _draw(rng.random(len(active)).astype(np.float32), cum.astype(np.float32))
    return paths


@dataclass
class Journeys:
    """The journeys of one chunk of customers and their events (flat arrays, sorted by customer, time)."""

    customer: np.ndarray  # per journey: position of the customer in the chunk
    number: np.ndarray  # per journey: 0, 1, ... in chronological order per customer
    converted: np.ndarray  # per journey
    purchase: np.ndarray  # per journey: purchase number (0 = first) of a converting journey, else -1
    events: pd.DataFrame  # journey, step, state, time (seconds after WORLD_START), prev_state, next_state


def simulate_journeys(rng: np.random.Generator, customers: Customers) -> Journeys:
    """All journeys of ``customers`` with timed events (see the module docstring)."""
    n = len(customers)
    profile = customers.profile
    purchases = customers.purchases
    alive = ~customers.dead
    need = purchases + alive  # an active customer also gets the journeys before a next, future purchase

    # draw runs until every customer has enough conversions
    owners, paths_list = [], []
    have = np.zeros(n, dtype=np.int64)
    pending = np.arange(n)
    while len(pending):
        per = np.ceil((need[pending] - have[pending]) / _CONVERSION[profile[pending]] * 1.3).astype(np.int64) + 2
        owner = np.repeat(pending, per)
        paths = run_chains(rng, profile[owner])
        conv = (paths == GOAL_STATE).any(axis=1)
        have += np.bincount(owner[conv], minlength=n)
        owners.append(owner)
        paths_list.append(paths)
        pending = np.flatnonzero(have < need)
    owner = np.concatenate(owners)
    paths = np.concatenate(paths_list)
    order = np.argsort(owner, kind="stable")
    owner, paths = owner[order], paths[order]
    converted = (paths == GOAL_STATE).any(axis=1)

    # conversions before each run, within its customer
    cum = np.cumsum(converted)
    first_of_customer = np.searchsorted(owner, np.arange(n))
    base = np.concatenate([[0], cum])[first_of_customer]
    before = cum - converted - base[owner]
    m = purchases[owner]
    keep = before < m
    trailing = alive[owner] & (before == m) & ~converted
    # unconverted journeys after the last purchase, thinned by the time left in the window
    last_purchase = np.array([t[-1] if len(t) else t0 for t, t0 in zip(customers.repeat_times, customers.t0)])
    time_left = WORLD_WEEKS - last_purchase
    keep_trailing = rng.random(len(owner)) < np.minimum(1.0, customers.lam * time_left * 1.5)[owner]
    keep |= trailing & keep_trailing
    owner, paths, converted, before = owner[keep], paths[keep], converted[keep], before[keep]

    # purchase week of each converting journey; gap in which each unconverted journey falls
    purchase_weeks = [np.concatenate([[t0], t]) for t0, t in zip(customers.t0, customers.repeat_times)]
    offsets = np.concatenate([[0], np.cumsum([len(w) for w in purchase_weeks])])
    flat_weeks = np.concatenate(purchase_weeks)
    idx = offsets[owner] + np.minimum(before, purchases[owner] - 1)
    this_week = flat_weeks[idx]
    prev_week = np.where(before == 0, this_week - LEAD_IN_WEEKS, flat_weeks[np.maximum(idx - 1, 0)])
    after_last = before >= purchases[owner]
    gap_lo = np.where(after_last, this_week, prev_week)
    gap_hi = np.where(after_last, WORLD_WEEKS, this_week)

    # delays between consecutive states, and each event's offset from its journey's start
    src, dst = paths[:, :-1].astype(np.int64), paths[:, 1:].astype(np.int64)
    delay = np.exp(_DELAY_MU[src, dst] + _DELAY_SD[src, dst] * rng.standard_normal(src.shape))
    delay[dst == 0] = 0.0
    offset = np.concatenate([np.zeros((len(paths), 1)), np.cumsum(delay, axis=1)], axis=1)
    goal_step = np.argmax(paths == GOAL_STATE, axis=1)
    goal_offset = offset[np.arange(len(paths)), goal_step]
    start = np.where(
        converted,
        this_week * WEEK - goal_offset,
        (gap_lo + rng.random(len(paths)) * (gap_hi - gap_lo)) * WEEK,
    )

    # chronological numbering per customer
    order = np.lexsort((start, owner))
    owner, paths, converted, before, start, offset = (
        a[order] for a in (owner, paths, converted, before, start, offset)
    )
    first = np.searchsorted(owner, owner)
    number = np.arange(len(owner)) - first
    purchase = np.where(converted, before, -1)

    journey_idx, step = np.nonzero(paths)
    state = paths[journey_idx, step].astype(np.int64)
    time = start[journey_idx] + offset[journey_idx, step]
    prev_state = np.where(step > 0, paths[journey_idx, np.maximum(step - 1, 0)], -1)
    next_state = np.where(step < MAX_STEPS - 1, paths[journey_idx, np.minimum(step + 1, MAX_STEPS - 1)], 0)
    events = pd.DataFrame({
        "journey": journey_idx,
        "step": step,
        "state": state,
        "time": time,
        "prev_state": prev_state.astype(np.int64),
        "next_state": next_state.astype(np.int64),
    })
    # the data was extracted at the end of the window: nothing later exists yet
    events = events[events["time"] <= WORLD_WEEKS * WEEK].reset_index(drop=True)
    return Journeys(customer=owner, number=number, converted=converted, purchase=purchase, events=events)
