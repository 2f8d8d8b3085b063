"""Customers of the demo world: their traits, their true purchase process and when they are lost.

Purchases follow a true BG/NBD process (Fader, Hardie & Lee 2005) in weeks: a customer buys at a
Poisson rate ``lambda ~ Gamma(r, alpha)`` and, after each repeat purchase, becomes inactive with
probability ``p ~ Beta(a, b)``. Spend per order is Gamma-Gamma: ``z ~ Gamma(p, nu)``,
``nu ~ Gamma(q, gamma)``. The dropout probabilities keep their exact Beta marginal but are handed out
by rank of a risk score (a Gaussian-copula style coupling), so customers with payment friction,
unreliable couriers and unempathic agents are the ones who drop out sooner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from empathica.demo.catalogue import (
    AGENT_EMPATHY,
    CONTACT_AGENTS,
    LANGUAGE_SHARES,
    LANGUAGES,
    RETURNS_AGENTS,
    SEGMENT_SHARES,
    SEGMENTS,
    WORLD_WEEKS,
)
from empathica.demo.truths import PlantedTruths

#: Weights of the churn risk score (standardised traits); the score orders the Beta dropout draws.
RISK_WEIGHTS = {"pay_issue": 2.5, "courier_bad": 1.0, "agent_unempathy": 3.5, "generosity": -0.5, "noise_sd": 0.8}
#: Share of customers with each binary trait.
TRAIT_SHARES = {"pay_issue": 0.20, "contact_prone": 0.50, "courier_bad": 0.30}
#: Probability that a contact is routed to the customer's usual agent (CRM routing stickiness).
STICKY_ROUTING = 0.85
MAX_REPEAT_PURCHASES = 40


@dataclass
class Customers:
    """The traits of one chunk of customers (arrays of equal length)."""

    index: np.ndarray  # global customer number
    language: np.ndarray  # index into LANGUAGES
    segment: np.ndarray  # index into SEGMENTS
    pay_issue: np.ndarray
    contact_prone: np.ndarray
    courier_bad: np.ndarray
    generosity: np.ndarray  # how kindly a customer rates everything (shared across touchpoints)
    agent: np.ndarray  # usual contact agent, index into AGENTS
    returns_agent: np.ndarray
    lam: np.ndarray  # purchases per week
    p_drop: np.ndarray
    nu: np.ndarray  # Gamma-Gamma rate of spend
    t0: np.ndarray  # first purchase, weeks after WORLD_START
    repeat_times: list[np.ndarray]  # repeat purchases actually made (weeks), sorted
    dead: np.ndarray  # became inactive within the window
    death_week: np.ndarray  # time of the last purchase of a customer who became inactive (nan otherwise)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def profile(self) -> np.ndarray:
        """Index of the journey transition matrix (see catalogue.transition_matrices)."""
        return self.segment * 8 + self.pay_issue * 4 + self.contact_prone * 2 + self.courier_bad

    @property
    def purchases(self) -> np.ndarray:
        return np.array([1 + len(t) for t in self.repeat_times])


def draw_customers(rng: np.random.Generator, start: int, n: int, truths: PlantedTruths) -> Customers:
    """Draw ``n`` customers numbered from ``start``: traits, purchase rate, dropout and purchase times."""
    language = rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_SHARES)
    segment = np.empty(n, dtype=np.int64)
    for li, lang in enumerate(LANGUAGES):
        mask = language == li
        segment[mask] = rng.choice(len(SEGMENTS), size=int(mask.sum()), p=SEGMENT_SHARES[lang])
    pay_issue = (rng.random(n) < TRAIT_SHARES["pay_issue"]).astype(np.int64)
    contact_prone = (rng.random(n) < TRAIT_SHARES["contact_prone"]).astype(np.int64)
    courier_bad = (rng.random(n) < TRAIT_SHARES["courier_bad"]).astype(np.int64)
    generosity = rng.standard_normal(n)
    agent = np.empty(n, dtype=np.int64)
    returns_agent = np.empty(n, dtype=np.int64)
    for li, lang in enumerate(LANGUAGES):
        mask = language == li
        agent[mask] = rng.choice(CONTACT_AGENTS[lang], size=int(mask.sum()))
        returns_agent[mask] = rng.choice(RETURNS_AGENTS[lang], size=int(mask.sum()))

    bg, gg = truths.bgnbd, truths.gamma_gamma
    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], size=n)
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], size=n)

    w = RISK_WEIGHTS
    contact_weight = np.where(contact_prone == 1, 1.0, 0.6)
    risk = (
        w["pay_issue"] * pay_issue
        + w["courier_bad"] * courier_bad
        + w["agent_unempathy"] * contact_weight * (0.5 - AGENT_EMPATHY[agent])
        + w["generosity"] * generosity
        + rng.normal(0.0, w["noise_sd"], size=n)
    )
    # exact Beta(a, b) marginal, handed out in the order of the risk score
    ranks = stats.rankdata(risk) / (n + 1)
    p_drop = stats.beta.ppf(ranks, bg["a"], bg["b"])

    t0 = rng.uniform(0.0, WORLD_WEEKS - 2.0, size=n)
    horizon = WORLD_WEEKS - t0
    n_repeat = np.minimum(rng.poisson(lam * horizon), MAX_REPEAT_PURCHASES)
    # geometric number of repeat purchases after which the customer drops out (>= 1)
    drops_after = rng.geometric(np.clip(p_drop, 1e-9, 1.0))
    dead = drops_after <= n_repeat
    made = np.where(dead, drops_after, n_repeat)
    offsets = np.concatenate([[0], np.cumsum(n_repeat)])
    uniforms = rng.random(int(n_repeat.sum()))
    repeat_times = []
    death_week = np.full(n, np.nan)
    for i in range(n):
        times = np.sort(t0[i] + uniforms[offsets[i]:offsets[i + 1]] * horizon[i])[: made[i]]
        repeat_times.append(times)
        if dead[i]:
            death_week[i] = times[-1]
    return Customers(
        index=np.arange(start, start + n),
        language=language,
        segment=segment,
        pay_issue=pay_issue,
        contact_prone=contact_prone,
        courier_bad=courier_bad,
        generosity=generosity,
        agent=agent,
        returns_agent=returns_agent,
        lam=lam,
        p_drop=p_drop,
        nu=nu,
        t0=t0,
        repeat_times=repeat_times,
        dead=dead,
        death_week=death_week,
    )
