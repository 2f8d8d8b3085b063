"""Two experiments (A/B tests) planted in the demo world: one whose offer raises spend, and a null test.

- ``offer``: ``OFFER_ID`` — every customer who starts a journey between ``OFFER_FROM`` and ``OFFER_TO`` is
  assigned, at the start of their first journey in that window, to one of three arms with equal chances,
  within their segment (the ``stratum``): ``control``; ``newsletter`` (no effect: the null arm of a
  multiple-arm test); ``free_delivery``, whose purchases in the 180 days after assignment are worth
  ``OFFER_LIFT`` more (their refunds too, so a refund still matches its purchase). Primary metric: revenue.
- ``banner``: ``BANNER_ID`` — customers starting a journey between ``BANNER_FROM`` and ``BANNER_TO`` see the
  old or a new home-page banner (half each); nothing changes. Primary metric: churn.

The arms are drawn from a generator of their own (seeded by the world's seed and the chunk), so every other
table's draws are what they would be without the experiments; only the free-delivery arm's amounts change.
``ExperimentsLedger`` books, over the chunks, the planted effect on the measured outcome: the net spend the
offer added in (assigned_at, assigned_at + 180 days], per customer of the arm (what the flywheel's revenue
outcome measures), so the truth is the realised effect on the arm's own customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, UTC

import numpy as np
import pandas as pd

from empathica.demo.catalogue import SEGMENTS, WORLD_START
from empathica.demo.journeys import Journeys
from empathica.demo.population import Customers

OFFER_ID, BANNER_ID = "exp_free_delivery_2023_07", "exp_home_banner_2024_01"
OFFER_FROM, OFFER_TO = datetime(2023, 7, 3, tzinfo=UTC), datetime(2024, 6, 24, tzinfo=UTC)
BANNER_FROM, BANNER_TO = datetime(2024, 1, 8, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
OFFER_ARMS, OFFER_ARM, NULL_ARM, OFFER_LIFT = ("control", "newsletter", "free_delivery"), "free_delivery", "newsletter", 0.3
BANNER_ARMS = ("control", "new_banner")
#: The outcome window the flywheel's revenue outcome uses (learn/exposures.py: HORIZON_DAYS["revenue"]).
REVENUE_DAYS = 180
_STREAM = 20_231  # the experiments' own generator stream (see the module docstring)


def _seconds(when: datetime) -> float:
    return (when - WORLD_START).total_seconds()


@dataclass
class ExperimentsLedger:
    """Over the chunks: customers per arm, and the net spend the offer added to its arm's customers."""

    units: dict = field(default_factory=dict)
    added_spend: float = 0.0

    def count(self, experiment: str, arms: np.ndarray) -> None:
        for arm, n in zip(*np.unique(arms, return_counts=True)):
            key = f"{experiment}:{arm}"
            self.units[key] = self.units.get(key, 0) + int(n)


def _enrol(journeys: Journeys, start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray]:
    """(customer, time): each customer's first journey start in [start, end)."""
    ev = journeys.events
    starts = pd.Series(ev["time"].to_numpy()).groupby(ev["journey"].to_numpy()).min()
    frame = pd.DataFrame({"customer": journeys.customer[starts.index.to_numpy()], "time": starts.to_numpy()})
    frame = frame[(frame["time"] >= _seconds(start)) & (frame["time"] < _seconds(end))]
    first = frame.groupby("customer")["time"].min()
    return first.index.to_numpy(), first.to_numpy()


def _rows(experiment: str, cust: np.ndarray, time: np.ndarray, arms: np.ndarray, *, n_arms: int, stratum, metric: str,
          cust_ids: np.ndarray, timestamps) -> pd.DataFrame:
    return pd.DataFrame({
        "assignment_id": [f"{experiment}#{c}" for c in cust_ids[cust]], "experiment_id": experiment,
        "customer_id": cust_ids[cust], "arm": arms, "assigned_at": timestamps(time), "stratum": stratum,
        "metric": metric, "planned_share": round(1.0 / n_arms, 6)})


def plant_experiments(seed: int, chunk: int, customers: Customers, journeys: Journeys, money: pd.DataFrame,
                      ledger: ExperimentsLedger, cust_ids: np.ndarray, timestamps) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chunk's assignment rows, and ``money`` with the offer's effect on the free-delivery arm's spend."""
    rng = np.random.default_rng([seed, chunk, _STREAM])
    cust, at = _enrol(journeys, OFFER_FROM, OFFER_TO)
    arms = np.array(OFFER_ARMS, dtype=object)[rng.integers(0, len(OFFER_ARMS), len(cust))]
    offer = _rows(OFFER_ID, cust, at, arms, n_arms=len(OFFER_ARMS), metric="revenue", cust_ids=cust_ids,
                  stratum=np.array(SEGMENTS, dtype=object)[customers.segment[cust]], timestamps=timestamps)
    money, added = _lift_spend(money, cust[arms == OFFER_ARM], at[arms == OFFER_ARM])
    ledger.count(OFFER_ID, arms)
    ledger.added_spend += added
    b_cust, b_at = _enrol(journeys, BANNER_FROM, BANNER_TO)
    b_arms = np.array(BANNER_ARMS, dtype=object)[rng.integers(0, len(BANNER_ARMS), len(b_cust))]
    banner = _rows(BANNER_ID, b_cust, b_at, b_arms, n_arms=len(BANNER_ARMS), stratum=None, metric="churn",
                   cust_ids=cust_ids, timestamps=timestamps)
    ledger.count(BANNER_ID, b_arms)
    return pd.concat([offer, banner], ignore_index=True), money


def _lift_spend(money: pd.DataFrame, cust: np.ndarray, at: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Purchases of ``cust`` in (at, at + 180 d] (and their refunds) worth ``OFFER_LIFT`` more; the net spend added
    inside each customer's outcome window."""
    start = pd.Series(at, index=cust).reindex(money["customer"].to_numpy()).to_numpy()  # nan: not in the arm
    time = money["time"].to_numpy()
    window = (time > start) & (time <= start + REVENUE_DAYS * 86400.0)
    lifted_journeys = set(money.loc[window & (money["kind"].to_numpy() == "purchase"), "journey"])
    lifted = money["journey"].isin(lifted_journeys).to_numpy()
    amount = money["amount"].to_numpy()
    new = np.where(lifted, np.round(amount * (1.0 + OFFER_LIFT), 2), amount)
    added = float((new - amount)[window].sum())
    return money.assign(amount=new), added


def experiments_truth(ledger: ExperimentsLedger) -> dict:
    """The planted experiments for ``ground_truth.json``: design, arms, and the effect on the measured outcome."""
    offer_units = ledger.units.get(f"{OFFER_ID}:{OFFER_ARM}", 0)
    return {
        "offer": {"experiment_id": OFFER_ID, "metric": "revenue", "control": "control", "arm": OFFER_ARM,
                  "null_arm": NULL_ARM, "arms": list(OFFER_ARMS), "stratum": "segment", "spend_lift": OFFER_LIFT,
                  "assigned_from": OFFER_FROM.isoformat(), "assigned_to": OFFER_TO.isoformat(),
                  "outcome_days": REVENUE_DAYS,
                  "effect_on_revenue": round(ledger.added_spend / offer_units, 4) if offer_units else None,
                  "effect_of_null_arm": 0.0},
        "null": {"experiment_id": BANNER_ID, "metric": "churn", "control": "control", "arm": BANNER_ARMS[1],
                 "arms": list(BANNER_ARMS), "assigned_from": BANNER_FROM.isoformat(),
                 "assigned_to": BANNER_TO.isoformat(), "effect": 0.0},
        "units": dict(sorted(ledger.units.items())),
    }
