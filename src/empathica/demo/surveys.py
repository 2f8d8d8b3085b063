"""Customer surveys: CSAT and CES after touchpoints, one relationship NPS survey per customer.

Every touchpoint experience has a latent quality: a planted effect (a late delivery, a failed web
payment, the handling agent's empathy, the disengaged returns desk) plus the customer's general
generosity, which every rating they give shares, so touchpoint CSATs are correlated with each other.
NPS is generated from the customer's experiences with the weights in ``NPS_WEIGHTS``: delivery has by
far the largest, so it is the planted driver of NPS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.demo.catalogue import LANGUAGES, S, STATE_TOUCHPOINT, WORLD_WEEKS
from empathica.demo.journeys import WEEK, Journeys
from empathica.demo.population import Customers
from empathica.demo.texts import compose_comments

#: Weights of the mean experience per touchpoint group in the NPS latent, and of generosity.
NPS_WEIGHTS = {"delivery": 1.6, "checkout": 0.35, "contact": 0.35, "returns": 0.3, "generosity": 0.5}
NPS_BASE, NPS_SCALE, NPS_NOISE = 7.0, 1.6, 0.6
GENEROSITY_IN_CSAT = 0.55
CSAT_NOISE = 0.75
CSAT_CUTS = (-1.3, -0.45, 0.35, 1.1)  # latent → 1..5
RESPONSE_RATE = 0.30
NPS_RESPONSE_RATE = 0.55

_GROUP = {
    S["web_checkout"]: "checkout", S["app_checkout"]: "checkout", S["store_checkout"]: "checkout",
    S["delivery_ok"]: "delivery", S["delivery_late"]: "delivery",
    S["chat_pre"]: "contact", S["chat_post"]: "contact", S["call_pay"]: "contact",
    S["call_pay_again"]: "contact", S["call_post"]: "contact",
    S["returns_portal"]: "returns", S["faq_pre"]: "faq", S["faq_post"]: "faq",
}
GROUPS = ("delivery", "checkout", "contact", "returns", "faq")


def experience_effects(journeys: Journeys, conv: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Planted effect on the experience of each event, and its touchpoint group ('' if not rated)."""
    ev = journeys.events
    state = ev["state"].to_numpy()
    effect = np.zeros(len(ev))
    effect[state == S["web_checkout"]] = np.where(ev["next_state"].to_numpy()[state == S["web_checkout"]] == S["call_pay"], -1.4, 0.3)
    effect[state == S["app_checkout"]] = 0.4
    effect[state == S["store_checkout"]] = 0.5
    effect[state == S["delivery_ok"]] = 0.7
    effect[state == S["delivery_late"]] = -1.6
    effect[state == S["returns_portal"]] = -1.0  # the returns desk is slow and curt: low engagement shows
    effect[np.isin(state, (S["faq_pre"], S["faq_post"]))] = -0.2
    rows = conv["event_row"].to_numpy()
    effect[rows] = (
        2.4 * (conv["empathy"].to_numpy() - 0.5)
        + 0.5 * conv["resolved"].to_numpy()
        - 1.3 * (conv["topic"].to_numpy() == "payment_failure")
    )
    group = np.array([_GROUP.get(s, "") for s in range(max(S.values()) + 1)], dtype=object)[state]
    return effect, group


def _csat(latent: np.ndarray) -> np.ndarray:
    return 1 + np.searchsorted(np.array(CSAT_CUTS), latent)


def _comment_plan(rng: np.random.Generator, state: np.ndarray, friction: np.ndarray, topic: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """The aspect a touchpoint comment is about, given where it was written and its polarity."""
    n = len(state)
    u = rng.random(n)
    aspect = np.where(u < 0.5, "price", "product_quality").astype(object)
    web = state == S["web_checkout"]
    aspect[web] = np.where(friction[web], "payment_failure", np.where(u[web] < 0.85, "price", "payment_failure"))
    app = state == S["app_checkout"]
    aspect[app] = np.where(u[app] < 0.7, "app_usability", "price")
    store = state == S["store_checkout"]
    aspect[store] = np.where(u[store] < 0.4, "staff_attitude", np.where(u[store] < 0.7, "waiting_time", "price"))
    late = state == S["delivery_late"]
    aspect[late] = np.where(negative[late] & (u[late] < 0.9), "delivery_delay", "product_quality")
    ok = state == S["delivery_ok"]
    aspect[ok] = np.where(negative[ok], np.where(u[ok] < 0.5, "product_quality", "price"), np.where(u[ok] < 0.6, "delivery_delay", "product_quality"))
    ret = state == S["returns_portal"]
    aspect[ret] = np.where(u[ret] < 0.9, "refund", "staff_attitude")
    faq = np.isin(state, (S["faq_pre"], S["faq_post"]))
    aspect[faq] = np.where(u[faq] < 0.6, "app_usability", "waiting_time")
    contact = topic != ""
    call = np.isin(state, (S["call_pay"], S["call_pay_again"], S["call_post"]))
    own = np.isin(topic, ("delivery_delay", "refund", "payment_failure", "product_quality", "app_usability"))
    staff_or_wait = np.where(call & (u < 0.3), "waiting_time", "staff_attitude")
    aspect[contact] = np.where(own[contact] & (u[contact] < 0.55), topic[contact], staff_or_wait[contact])
    return aspect


def feedback_tables(
    rng: np.random.Generator, customers: Customers, journeys: Journeys, conv: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Touchpoint feedback rows and NPS rows (positions, not ids yet), and realised NPS figures.

    Returns ``touch`` (event_row, customer, time, csat, ces, comment, aspect, polarity, language),
    ``nps`` (customer, time, nps, comment, aspect, polarity, language) and a dict of realised figures.
    """
    ev = journeys.events
    effect, group = experience_effects(journeys, conv)
    cust = journeys.customer[ev["journey"].to_numpy()]
    g = customers.generosity[cust]
    state = ev["state"].to_numpy()
    friction = (state == S["web_checkout"]) & (ev["next_state"].to_numpy() == S["call_pay"])
    friction |= np.isin(state, (S["call_pay"], S["call_pay_again"]))

    # -- touchpoint surveys (CSAT, CES)
    rated = group != ""
    rate = np.select([np.isin(state, (S["call_pay"], S["call_pay_again"])), state == S["returns_portal"]], [0.30, 0.35], RESPONSE_RATE)
    answered = rated & (rng.random(len(ev)) < rate)
    rows = np.flatnonzero(answered)
    latent = effect[rows] + GENEROSITY_IN_CSAT * g[rows] + rng.normal(0.0, CSAT_NOISE, len(rows))
    csat = _csat(latent)
    effort = -0.8 * latent + rng.normal(0.0, 0.6, len(rows)) + 1.5 * friction[rows]
    ces = np.clip(np.round(3.0 + 1.2 * effort), 1, 7).astype(np.int64)
    p_comment = np.select([csat <= 2, csat == 3], [0.5, 0.25], 0.3)
    commented = rng.random(len(rows)) < p_comment
    negative = (csat <= 2) | ((csat == 3) & (rng.random(len(rows)) < 0.6))
    topic_of_event = np.full(len(ev), "", dtype=object)
    topic_of_event[conv["event_row"].to_numpy()] = conv["topic"].to_numpy()
    aspect = _comment_plan(rng, state[rows], friction[rows], topic_of_event[rows], negative)
    language = np.array(LANGUAGES)[customers.language[cust[rows]]]
    polarity = np.where(negative, "negative", "positive").astype(object)
    comments = np.full(len(rows), None, dtype=object)
    ci = np.flatnonzero(commented)
    comments[ci] = compose_comments(rng, language[ci], aspect[ci], polarity[ci])
    delay = np.exp(np.log(3 * 3600.0) + 0.8 * rng.standard_normal(len(rows)))
    touch = pd.DataFrame({
        "event_row": rows,
        "customer": cust[rows],
        "journey": ev["journey"].to_numpy()[rows],
        "touchpoint_id": np.array(STATE_TOUCHPOINT, dtype=object)[state[rows]],
        "time": ev["time"].to_numpy()[rows] + delay,
        "csat": csat,
        "ces": ces,
        "comment": comments,
        "aspect": np.where(commented, aspect, None),
        "polarity": np.where(commented, polarity, None),
        "language": language,
    })

    # -- relationship NPS, one survey per customer, after their last experience
    n = len(customers)
    sums = {k: np.zeros(n) for k in GROUPS}
    counts = {k: np.zeros(n) for k in GROUPS}
    for k in GROUPS:
        mask = group == k
        sums[k] = np.bincount(cust[mask], weights=effect[mask], minlength=n)
        counts[k] = np.bincount(cust[mask], minlength=n)
    means = {k: np.divide(sums[k], counts[k], out=np.zeros(n), where=counts[k] > 0) for k in GROUPS}
    w = NPS_WEIGHTS
    nps_latent = (
        w["generosity"] * customers.generosity
        + sum(w[k] * means[k] for k in ("delivery", "checkout", "contact", "returns"))
        + rng.normal(0.0, NPS_NOISE, n)
    )
    nps_all = np.clip(np.round(NPS_BASE + NPS_SCALE * nps_latent), 0, 10).astype(np.int64)
    last_event = np.full(n, -np.inf)
    np.maximum.at(last_event, cust, ev["time"].to_numpy())
    responds = (rng.random(n) < NPS_RESPONSE_RATE) & np.isfinite(last_event)
    who = np.flatnonzero(responds)
    t_end = WORLD_WEEKS * WEEK
    when = np.minimum(last_event[who] + np.exp(np.log(4 * 86400.0) + 0.5 * rng.standard_normal(len(who))), t_end - 3600.0)
    nps = nps_all[who]
    nps_comment = rng.random(len(who)) < 0.5
    negative = (nps <= 6) | ((nps <= 8) & (rng.random(len(who)) < 0.5))
    had_late = counts["delivery"][who] > 0
    late_count = np.bincount(cust[state == S["delivery_late"]], minlength=n)[who]
    friction_count = np.bincount(cust[friction], minlength=n)[who]
    returns_count = counts["returns"][who]
    u = rng.random(len(who))
    fallback = np.array(["price", "product_quality", "staff_attitude", "app_usability", "waiting_time"], dtype=object)[rng.integers(0, 5, len(who))]
    aspect_neg = np.where(late_count > 0, "delivery_delay", np.where(returns_count > 0, "refund", np.where(friction_count > 0, "payment_failure", fallback)))
    aspect_pos = np.where(had_late & (late_count == 0) & (u < 0.4), "delivery_delay", np.where(u < 0.6, "product_quality", np.where(u < 0.8, "price", "staff_attitude")))
    aspect = np.where(negative, aspect_neg, aspect_pos).astype(object)
    polarity = np.where(negative, "negative", "positive").astype(object)
    language = np.array(LANGUAGES)[customers.language[who]]
    comments = np.full(len(who), None, dtype=object)
    ci = np.flatnonzero(nps_comment)
    comments[ci] = compose_comments(rng, language[ci], aspect[ci], polarity[ci])
    nps_rows = pd.DataFrame({
        "customer": who,
        "time": when,
        "nps": nps,
        "comment": comments,
        "aspect": np.where(nps_comment, aspect, None),
        "polarity": np.where(nps_comment, polarity, None),
        "language": language,
    })
    figures = {"nps_all": nps_all}
    return touch, nps_rows, figures
