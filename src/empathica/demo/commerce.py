"""Money and loss: purchases and refunds, and when a customer is recorded as churned.

Each converting journey is one purchase, booked when the order is confirmed, for an amount drawn from
the customer's Gamma-Gamma spend distribution. A purchase whose journey reaches the returns portal is
refunded (a negative amount) after the returns desk has processed it. A customer who became inactive
(the BG/NBD dropout) is recorded as churned some weeks after their last activity, if that falls
within the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.demo.catalogue import GOAL_STATE, S, STATE_TOUCHPOINT, WORLD_WEEKS
from empathica.demo.journeys import WEEK, Journeys
from empathica.demo.population import Customers
from empathica.demo.truths import PlantedTruths

REFUND_RATE = 0.8  # returns that end in a refund (the rest are exchanges or rejected)
CHURN_RECORD_DAYS = 60.0  # median days from the last activity until the CRM marks a customer lost


def purchase_rows(rng: np.random.Generator, customers: Customers, journeys: Journeys, truths: PlantedTruths) -> pd.DataFrame:
    """Purchases and refunds: customer, journey, time, amount, touchpoint_id, kind."""
    ev = journeys.events
    goal = ev[ev["state"].to_numpy() == GOAL_STATE]
    journey = goal["journey"].to_numpy()
    cust = journeys.customer[journey]
    p = truths.gamma_gamma["p"]
    amount = np.round(rng.gamma(p, 1.0 / customers.nu[cust]), 2)
    amount = np.maximum(amount, 0.01)
    where = np.array(STATE_TOUCHPOINT, dtype=object)[np.maximum(goal["prev_state"].to_numpy(), 0)]
    purchases = pd.DataFrame({
        "customer": cust,
        "journey": journey,
        "time": goal["time"].to_numpy(),
        "amount": amount,
        "touchpoint_id": where,
        "kind": "purchase",
    })
    returns = ev[ev["state"].to_numpy() == S["returns_portal"]].drop_duplicates("journey")
    amount_of_journey = pd.Series(amount, index=journey)
    returns = returns[returns["journey"].isin(amount_of_journey.index)]
    refunded = rng.random(len(returns)) < REFUND_RATE
    returns = returns[refunded]
    wait = np.exp(np.log(8 * 86400.0) + 0.5 * rng.standard_normal(len(returns)))
    refunds = pd.DataFrame({
        "customer": journeys.customer[returns["journey"].to_numpy()],
        "journey": returns["journey"].to_numpy(),
        "time": returns["time"].to_numpy() + wait,
        "amount": -amount_of_journey.loc[returns["journey"].to_numpy()].to_numpy(),
        "touchpoint_id": "returns_portal",
        "kind": "refund",
    })
    refunds = refunds[refunds["time"] <= WORLD_WEEKS * WEEK]
    return pd.concat([purchases, refunds], ignore_index=True)


def churn_times(rng: np.random.Generator, customers: Customers, journeys: Journeys) -> np.ndarray:
    """Seconds after WORLD_START at which each customer was recorded as churned (nan: not churned)."""
    n = len(customers)
    ev = journeys.events
    last = np.full(n, -np.inf)
    np.maximum.at(last, journeys.customer[ev["journey"].to_numpy()], ev["time"].to_numpy())
    lag = np.exp(np.log(CHURN_RECORD_DAYS * 86400.0) + 0.4 * rng.standard_normal(n))
    when = last + lag
    churned = customers.dead & np.isfinite(last) & (when <= WORLD_WEEKS * WEEK)
    return np.where(churned, when, np.nan)
