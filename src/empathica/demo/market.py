"""Public reviews of Lumen and its competitors, and customers' answers to values questions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.demo.catalogue import COMPETITORS, LANGUAGE_SHARES, LANGUAGES, OWN_BRAND, WORLD_WEEKS
from empathica.demo.journeys import WEEK
from empathica.demo.population import Customers
from empathica.demo.texts import BANKS, compose_comments, compose_values_answers
from empathica.demo.truths import TRUTHS

#: Reviews per customer of the chunk, by brand.
REVIEWS_PER_CUSTOMER = {OWN_BRAND: 0.25, "Voltera": 0.12, "Nordhaus": 0.12}
REVIEW_ASPECTS = {"delivery_delay": 0.30, "price": 0.16, "product_quality": 0.10, "refund": 0.26, "staff_attitude": 0.10, "app_usability": 0.08}
#: Probability that a review of a brand about an aspect is positive: Voltera is planted better on
#: delivery and worse on price than Lumen.
POSITIVE_SHARE = {
    OWN_BRAND: {"delivery_delay": 0.30, "price": 0.65, "product_quality": 0.65, "refund": 0.25, "staff_attitude": 0.55, "app_usability": 0.55},
    "Voltera": {"delivery_delay": 0.80, "price": 0.15, "product_quality": 0.60, "refund": 0.55, "staff_attitude": 0.60, "app_usability": 0.55},
    "Nordhaus": {"delivery_delay": 0.45, "price": 0.45, "product_quality": 0.50, "refund": 0.45, "staff_attitude": 0.45, "app_usability": 0.40},
}
SOURCES = {"zh": ("JD.com", "Dianping", "App Store"), "de": ("Trusted Shops", "Google", "App Store"), "en": ("Trustpilot", "Google", "App Store")}
VALUES_THEMES = {"reliability": 0.30, "service": 0.25, "price": 0.20, "convenience": 0.15, "sustainability": 0.10}
VALUES_RESPONSE_RATE = 0.25


def review_rows(rng: np.random.Generator, n_customers: int) -> pd.DataFrame:
    """Reviews (brand, is_own, rating, text, language, source, time, aspect, polarity) for a chunk."""
    frames = [_brand_reviews(rng, brand, rng.poisson(per * n_customers), POSITIVE_SHARE[brand], is_own=brand == OWN_BRAND)
              for brand, per in REVIEWS_PER_CUSTOMER.items()]
    assert set(COMPETITORS) <= set(REVIEWS_PER_CUSTOMER)
    return pd.concat(frames, ignore_index=True)


def second_brand_reviews(rng: np.random.Generator, n_customers: int) -> pd.DataFrame:
    """Reviews of the second own brand (its discount line), rated worse than Lumen on delivery and refunds
    (``TRUTHS.second_brand_reviews``). ``rng`` is a generator of their own and the rows are appended after the
    others, so every other draw, text and review of the world stays as it was."""
    plant = TRUTHS.second_brand_reviews
    share = {**POSITIVE_SHARE[OWN_BRAND], **plant["positive_share"]}
    languages = np.where(np.isin(LANGUAGES, plant["languages"]), LANGUAGE_SHARES, 0.0)
    return _brand_reviews(rng, plant["brand"], rng.poisson(plant["per_customer"] * n_customers), share, is_own=True,
                          languages=languages / languages.sum())


def second_brand_german_reviews(rng: np.random.Generator, n_customers: int) -> pd.DataFrame:
    """German reviews of the second own brand (``TRUTHS.second_brand_reviews["de_per_customer"]``), with the same
    positive shares as its other reviews. ``rng`` is a generator of their own and the rows come after every other
    review, so the brand's English and Chinese reviews and the rest of the world stay as they were."""
    plant = TRUTHS.second_brand_reviews
    share = {**POSITIVE_SHARE[OWN_BRAND], **plant["positive_share"]}
    only_german = np.where(np.array(LANGUAGES) == "de", 1.0, 0.0)
    return _brand_reviews(rng, plant["brand"], rng.poisson(plant["de_per_customer"] * n_customers), share, is_own=True,
                          languages=only_german)


def _brand_reviews(rng: np.random.Generator, brand: str, n: int, positive_share: dict, *, is_own: bool,
                   languages=LANGUAGE_SHARES) -> pd.DataFrame:
    """``n`` reviews of ``brand``, each about one aspect, positive with the brand's share for that aspect (the same
    draws, in the same order, for every brand)."""
    aspects = np.array(list(REVIEW_ASPECTS), dtype=object)
    aspect = aspects[rng.choice(len(aspects), size=n, p=list(REVIEW_ASPECTS.values()))]
    share = np.array([positive_share[a] for a in aspect])
    positive = rng.random(n) < share
    rating = np.where(positive, rng.choice([4.0, 5.0], size=n, p=(0.4, 0.6)), rng.choice([1.0, 2.0], size=n, p=(0.55, 0.45)))
    rating = np.where(rng.random(n) < 0.1, 3.0, rating)
    language = np.array(LANGUAGES)[rng.choice(len(LANGUAGES), size=n, p=languages)]
    polarity = np.where(positive, "positive", "negative").astype(object)
    return pd.DataFrame({
        "brand": brand,
        "is_own": is_own,
        "rating": rating,
        "text": compose_comments(rng, language, aspect, polarity, brand=np.full(n, brand, dtype=object)),
        "language": language,
        "source": [SOURCES[lang][k] for lang, k in zip(language, rng.integers(0, 3, n))],
        "time": rng.random(n) * WORLD_WEEKS * WEEK,
        "aspect": aspect,
        "polarity": polarity,
    })


def values_rows(rng: np.random.Generator, customers: Customers, first_seen: np.ndarray, last_seen: np.ndarray,
                churned: np.ndarray | None = None) -> pd.DataFrame:
    """Answers of a sample of customers to one to three values questions (customer, question, answer, time).

    What a customer values goes with whether they leave, more than who they are (``TRUTHS.values_and_churn``):
    customers the CRM records as lost lean to the themes of that truth. One uniform per customer is placed in
    the customer's own theme distribution, the same draws ``rng.choice`` made, so the rest of the world is unchanged.
    """
    n = len(customers)
    who = np.flatnonzero((rng.random(n) < VALUES_RESPONSE_RATE) & np.isfinite(first_seen))
    themes = np.array(list(VALUES_THEMES), dtype=object)
    p = np.tile(np.array(list(VALUES_THEMES.values())), (len(who), 1))
    if churned is not None:
        lost = np.isfinite(churned[who])
        for name, weight in TRUTHS.values_and_churn["lost_lean_to"].items():
            p[lost, list(VALUES_THEMES).index(name)] *= weight
        p /= p.sum(axis=1, keepdims=True)
    theme = themes[(rng.random(len(who))[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, len(themes) - 1)]
    # customers whose couriers keep failing them ask above all for reliability
    theme = np.where(customers.courier_bad[who].astype(bool) & (rng.random(len(who)) < 0.4), "reliability", theme)
    k = rng.integers(1, 4, size=len(who))
    cust = np.repeat(who, k)
    question_no = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    theme = np.repeat(theme, k)
    language = np.array(LANGUAGES)[customers.language[cust]]
    question = [BANKS[lang].VALUES_QUESTIONS[q] for lang, q in zip(language, question_no)]
    lo, hi = first_seen[cust], last_seen[cust]
    return pd.DataFrame({
        "customer": cust,
        "question_no": question_no,
        "question": question,
        "answer": compose_values_answers(rng, language, theme),
        "time": lo + rng.random(len(cust)) * (hi - lo),
        "theme": theme,
    })


def plant_values_emphasis(rng: np.random.Generator, values: pd.DataFrame, language: np.ndarray,
                          contacted: np.ndarray) -> pd.DataFrame:
    """``values`` (from :func:`values_rows`) with the planted misalignment (``TRUTHS.values_misalignment``):
    customers who contacted Lumen (a chat or a call) ask for its theme (service, where Lumen's CSAT is the lowest),
    each answerer with the plant's probability, unless price is what they value: their answers are composed again
    about it. (Replacing only a first answer made customers of mixed themes, which clustered by language in the values
    segments; replacing price answers too left too few for a price segment.)

    ``rng`` is a generator of its own and ``values_rows`` is the chunk's last draw from the main one, so no other
    draw, table or planted truth of the world moves; ``language`` is per answer row, ``contacted`` per customer."""
    plant = TRUTHS.values_misalignment
    who = np.unique(values["customer"].to_numpy())
    chosen = who[contacted[who] & (rng.random(len(who)) < plant["share_of_contacted"])]
    rows = np.flatnonzero(np.isin(values["customer"].to_numpy(), chosen) & (values["theme"].to_numpy() != "price"))
    if not len(rows):
        return values
    out = values.copy()
    theme = np.full(len(rows), plant["theme"], dtype=object)
    out.loc[rows, "theme"] = theme
    out.loc[rows, "answer"] = compose_values_answers(rng, np.asarray(language)[rows], theme)
    return out
