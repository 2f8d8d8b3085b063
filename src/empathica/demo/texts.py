"""Compose the demo world's free text from the per-language phrase banks.

Every text is put together from several independently drawn fragments (opener, the issue with its
details, a feeling, a closing), and the details (product, days waited, amount, order number) are
drawn per row, so a few hundred fragments give many thousands of distinct texts. Randomness is drawn
as numpy arrays up front; the per-row work is only picking and formatting strings.
"""

from __future__ import annotations

import numpy as np

from empathica.demo import phrases_de, phrases_en, phrases_zh

BANKS = {"en": phrases_en, "de": phrases_de, "zh": phrases_zh}
#: Pain points (aspect ids) a text can be about.
ASPECTS = tuple(phrases_en.ASPECTS)
#: What a support conversation can be about: the pain points that reach an agent, and plain questions.
TOPICS = ("delivery_delay", "refund", "payment_failure", "product_question", "product_quality", "app_usability")


def _pick(options: list[str], u: float) -> str:
    return options[int(u * len(options))]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


class Details:
    """Per-row details that fill the slots of the fragments."""

    def __init__(self, rng: np.random.Generator, n: int, *, brands: tuple[str, ...] = ("Voltera", "Nordhaus")) -> None:
        self.product = rng.random(n)
        self.days = rng.integers(3, 16, size=n)
        self.amount = np.round(rng.gamma(2.0, 120.0, size=n) + 19.0).astype(int)
        self.order = rng.integers(1_000_000, 9_999_999, size=n)
        self.hours = rng.integers(1, 4, size=n)
        self.brand = rng.integers(0, len(brands), size=n)
        self.brands = brands

    def slots(self, i: int, bank) -> dict[str, str]:
        product = _pick(bank.PRODUCTS, self.product[i])
        nominative, accusative, dative = (product, product, product) if isinstance(product, str) else product
        return {
            "product": nominative,
            "product_acc": accusative,
            "product_dat": dative,
            "days": str(self.days[i]),
            "money": bank.MONEY.format(amount=self.amount[i]),
            "order": f"LM{self.order[i]}",
            "hours": str(self.hours[i]),
            "brand": self.brands[self.brand[i]],
        }


def _join(bank, fragments: list[str], slots: dict[str, str]) -> str:
    parts = [_capitalise(f.format(**slots)) for f in fragments]
    return bank.JOINER.join(parts)


def compose_comments(
    rng: np.random.Generator,
    language: np.ndarray,
    aspect: np.ndarray,
    polarity: np.ndarray,
    *,
    brand: np.ndarray | None = None,
) -> list[str]:
    """One comment per row about ``aspect`` with ``polarity`` ("positive"/"negative") in ``language``.

    With ``brand`` (one brand name per row) the texts are written as public reviews of that brand.
    """
    n = len(language)
    u = rng.random((n, 7))
    details = Details(rng, n)
    texts = []
    for i in range(n):
        bank = BANKS[language[i]]
        pol = polarity[i]
        fragments = []
        if brand is not None and u[i, 0] < 0.7:
            fragments.append(_pick(bank.REVIEW_OPENERS[pol], u[i, 1]))
        elif u[i, 0] < 0.6:
            fragments.append(_pick(bank.OPENERS[pol], u[i, 1]))
        fragments.append(_pick(bank.ASPECTS[aspect[i]][pol], u[i, 2]))
        if u[i, 3] < 0.55:
            fragments.append(_pick(bank.FEELINGS[pol], u[i, 4]))
        if u[i, 5] < 0.5:
            fragments.append(_pick(bank.CLOSINGS[pol], u[i, 6]))
        slots = details.slots(i, bank)
        if brand is not None:
            slots["brand"] = brand[i]
        texts.append(_join(bank, fragments, slots))
    return texts


def compose_conversations(
    rng: np.random.Generator,
    language: np.ndarray,
    topic: np.ndarray,
    empathy: np.ndarray,
    resolved: np.ndarray,
    long: np.ndarray,
) -> list[list[tuple[str, str]]]:
    """The turns ``(speaker, text)`` of one conversation per row.

    The agent's wording follows the agent's empathy level ``empathy`` in [0, 1]: the more empathic,
    the more often a turn carries an emotional reaction, an interpretation of the customer's situation
    and an exploring question; the less, the more often the reply is transactional, with jargon and
    abbreviations. ``long`` conversations have one more exchange.
    """
    n = len(language)
    u = rng.random((n, 20))
    details = Details(rng, n)
    conversations = []
    for i in range(n):
        bank = BANKS[language[i]]
        conv = bank.CONVERSATION
        t = topic[i]
        e = empathy[i]
        slots = details.slots(i, bank)
        pain = t != "product_question"
        jargon = u[i, 0] < (1.0 - e) ** 1.5
        turns: list[tuple[str, str]] = []

        opening = [_pick(conv["customer_open"][t], u[i, 1])]
        if pain and u[i, 2] < 0.5:
            opening.append(_pick(bank.FEELINGS["negative"], u[i, 3]))
        turns.append(("customer", _join(bank, opening, slots)))

        first = [] if jargon and u[i, 4] < 0.6 else [_pick(conv["agent_greeting"], u[i, 5])]
        if u[i, 6] < (e if pain else 0.3 * e):
            first.append(_pick(conv["agent_emotion"], u[i, 7]))
        if u[i, 8] < 0.9 * e:
            first.append(_pick(conv["agent_interpret"][t], u[i, 9]))
        action = _pick(conv["agent_jargon" if jargon else "agent_action"][t], u[i, 10])
        explore = u[i, 11] < 0.8 * e
        if explore:
            first.append(_pick(conv["agent_explore"], u[i, 12]))
        if long[i]:
            if not explore and (not first or jargon):
                first.append(_pick(conv["agent_jargon"][t], u[i, 13]))
            turns.append(("agent", _join(bank, first, slots)))
            turns.append(("customer", _join(bank, [_pick(conv["customer_detail"][t], u[i, 14])], slots)))
            second = [action]
            if not jargon and u[i, 15] < 0.4 * e:
                second.insert(0, _pick(conv["agent_emotion"], u[i, 16]))
            turns.append(("agent", _join(bank, second, slots)))
        else:
            first.append(action)
            turns.append(("agent", _join(bank, first, slots)))
        end = conv["customer_end"]["positive" if resolved[i] else "negative"]
        turns.append(("customer", _join(bank, [_pick(end, u[i, 17])], slots)))
        close = conv["agent_close"]["warm" if u[i, 18] < e else "flat"]
        turns.append(("agent", _join(bank, [_pick(close, u[i, 19])], slots)))
        conversations.append(turns)
    return conversations


def compose_values_answers(rng: np.random.Generator, language: np.ndarray, theme: np.ndarray) -> list[str]:
    """Free-text answers to a values question: one or two sentences about ``theme``."""
    return _one_or_two_sentences(rng, language, lambda bank, i: bank.VALUES_ANSWERS[theme[i]], second=0.35)


def compose_staff_comments(rng: np.random.Generator, language: np.ndarray, positive: np.ndarray) -> list[str]:
    """Employees' survey comments, positive or negative, one or two sentences."""
    return _one_or_two_sentences(
        rng, language, lambda bank, i: bank.STAFF_COMMENTS["positive" if positive[i] else "negative"], second=0.4
    )


def _one_or_two_sentences(rng: np.random.Generator, language: np.ndarray, options_of, *, second: float) -> list[str]:
    """One sentence from ``options_of(bank, i)`` per row, and with probability ``second`` a different second one."""
    n = len(language)
    u = rng.random((n, 3))
    texts = []
    for i in range(n):
        bank = BANKS[language[i]]
        options = options_of(bank, i)
        parts = [_pick(options, u[i, 0])]
        if u[i, 1] < second:
            other = _pick(options, u[i, 2])
            if other != parts[0]:
                parts.append(other)
        texts.append(bank.JOINER.join(parts))
    return texts
