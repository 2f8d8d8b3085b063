"""A small simulated store for the value tests: known drivers of NPS, a BG/NBD purchase process, churn."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-01-01", tz="UTC")
WEEKS = 104


def simulate_transactions(n: int, *, r=0.9, alpha=40.0 / 7, a=0.8, b=2.5, p=6.0, q=4.0, gamma=60.0, weeks=WEEKS, seed=0):
    """BG/NBD purchases (in weeks; alpha given per week-unit) and Gamma-Gamma spend, as a DataFrame."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p_drop = rng.beta(a, b, n)
    nu = rng.gamma(q, 1.0 / gamma, n)
    t0 = rng.uniform(0, weeks * 0.5, n)
    rows = []
    for i in range(n):
        t = t0[i]
        times = [t]
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > weeks:
                break
            times.append(t)
            if rng.random() < p_drop[i]:
                break
        amounts = rng.gamma(p, 1.0 / nu[i], len(times))
        for k, (tt, amt) in enumerate(zip(times, amounts)):
            rows.append((f"c{i:05d}", f"t{i:05d}_{k}", START + pd.Timedelta(weeks=float(tt)), float(amt)))
    frame = pd.DataFrame(rows, columns=["customer_id", "transaction_id", "timestamp", "amount"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.floor("s").astype("datetime64[us, UTC]")
    return frame, t0


def fill_store(store, n: int = 600, seed: int = 0) -> None:
    """Customers, touchpoints, feedback (delivery drives NPS), transactions and churn into ``store``."""
    rng = np.random.default_rng(seed)
    tx, t0 = simulate_transactions(n, seed=seed)
    ids = np.array([f"c{i:05d}" for i in range(n)])
    delivery = np.clip(np.round(3.2 + rng.normal(0, 1.1, n)), 1, 5)
    checkout = np.clip(np.round(3.6 + 0.4 * (delivery - 3.2) + rng.normal(0, 0.9, n)), 1, 5)
    service = np.clip(np.round(3.8 + rng.normal(0, 0.8, n)), 1, 5)
    nps = np.clip(np.round(6.5 + 1.6 * (delivery - 3.2) + 0.4 * (checkout - 3.6) + 0.2 * (service - 3.8) + rng.normal(0, 1.0, n)), 0, 10)
    # churn: detractors leave more; churned_at after their last purchase
    last = tx.groupby("customer_id")["timestamp"].max().reindex(ids)
    p_churn = 1 / (1 + np.exp(-(-1.2 - 0.45 * (nps - 6.5))))
    churned = rng.random(n) < p_churn
    churn_at = last + pd.to_timedelta(rng.uniform(1, 60, n), unit="D")
    churn_at = churn_at.where(churned & (churn_at < START + pd.Timedelta(weeks=WEEKS)))
    customers = pd.DataFrame({
        "customer_id": ids,
        "first_seen": [START + pd.Timedelta(weeks=float(t)) for t in t0],
        "language": "en",
        "region": rng.choice(["north", "south"], n),
        "segment": rng.choice(["loyal", "new", "business"], n),
        "churned_at": pd.to_datetime(churn_at.to_numpy(), utc=True),
        "attributes": None,
    })
    touchpoints = pd.DataFrame({
        "touchpoint_id": ["delivery", "web_checkout", "service"],
        "name": ["Delivery", "Checkout", "Service"],
        "channel": ["post", "web", "phone"],
        "owner_team_id": None, "journey_stage": ["delivery", "purchase", "service"], "is_goal": [False, True, False],
    })
    rows = []
    for i, cid in enumerate(ids):
        when = START + pd.Timedelta(weeks=float(t0[i]) + 2)
        for tp, score in (("delivery", delivery[i]), ("web_checkout", checkout[i]), ("service", service[i])):
            if tp == "service" and rng.random() < 0.5:
                continue  # not everyone meets the service desk: a sparse driver
            rows.append((f"r{i}_{tp}", cid, tp, when, None, int(score)))
        rows.append((f"r{i}_nps", cid, None, when, int(nps[i]), None))
    fb = pd.DataFrame(rows, columns=["response_id", "customer_id", "touchpoint_id", "timestamp", "nps", "csat"])
    fb = fb.assign(journey_id=None, ces=None, comment=None, language=None, attributes=None)
    fb["nps"] = fb["nps"].astype("Int64")
    fb["csat"] = fb["csat"].astype("Int64")
    fb["ces"] = fb["ces"].astype("Int64")
    tx = tx.assign(currency="EUR", touchpoint_id=None)
    for name, frame in (("customers", customers), ("touchpoints", touchpoints), ("feedback", fb), ("transactions", tx)):
        schema = store.table(name).schema()
        frame = frame.reindex(columns=list(schema.names)).copy()  # optional columns the world does not set (brand) are null
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                frame[col] = frame[col].dt.floor("s").astype("datetime64[us, UTC]")
        store.insert(name, frame)
