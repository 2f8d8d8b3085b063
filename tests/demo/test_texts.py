"""The demo world's texts vary, are in the customer's language, and the phrase banks are consistent."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest

from empathica.demo.texts import ASPECTS, BANKS, TOPICS, compose_comments

CJK = re.compile(r"[\u4e00-\u9fff]")
SLOTS = {"product", "product_acc", "product_dat", "days", "money", "order", "hours", "brand"}


def test_comments_are_varied_in_every_language(tables):
    fb = tables["feedback"].dropna(subset=["comment"])
    assert fb["comment"].nunique() / len(fb) >= 0.7
    for lang in ("zh", "de", "en"):
        comments = fb.loc[fb["language"] == lang, "comment"]
        assert len(comments) > 100
        assert comments.nunique() / len(comments) >= 0.7, lang
    reviews = tables["reviews"]["text"]
    assert reviews.nunique() / len(reviews) >= 0.7
    customer_turns = tables["turns"].loc[tables["turns"]["speaker"] == "customer", "text"]
    assert customer_turns.nunique() > 500


def test_texts_are_in_the_customers_language(tables):
    fb = tables["feedback"].dropna(subset=["comment"])
    zh = fb.loc[fb["language"] == "zh", "comment"]
    assert zh.map(lambda t: len(CJK.findall(t)) / len(t) > 0.5).mean() > 0.95
    de = fb.loc[fb["language"] == "de", "comment"]
    german = r"\b(?:und|nicht|ich|die|der|das|ist|mit|Lieferung|Danke)\b|[äöüß]"
    assert de.str.contains(german, regex=True).mean() > 0.9
    en = fb.loc[fb["language"] == "en", "comment"]
    assert en.str.contains(r"\b(?:the|and|I|was|to|my|it)\b", regex=True).mean() > 0.9
    assert not en.map(lambda t: bool(CJK.search(t))).any()
    lang_of = tables["customers"].set_index("customer_id")["language"]
    assert (fb["language"] == lang_of.loc[fb["customer_id"]].to_numpy()).all()


@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_phrase_banks_cover_every_aspect_and_topic_with_known_slots(lang):
    bank = BANKS[lang]
    assert set(bank.ASPECTS) == set(ASPECTS)
    for aspect, polarities in bank.ASPECTS.items():
        for polarity in ("negative", "positive"):
            assert polarities[polarity], (aspect, polarity)
            for template in polarities[polarity]:
                assert any(k.lower() in template.lower() for k in bank.KEYWORDS[aspect]), template
    conv = bank.CONVERSATION
    for part in ("customer_open", "customer_detail", "agent_interpret", "agent_action", "agent_jargon"):
        assert set(conv[part]) == set(TOPICS), part
    fragments = []
    for value in vars(bank).values():
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str):
                fragments.append(item)
    for fragment in fragments:
        names = {name for _, name, _, _ in string.Formatter().parse(fragment) if name}
        assert names <= SLOTS | {"amount"}, fragment


def test_compose_comments_gives_thousands_of_distinct_sentences():
    rng = np.random.default_rng(0)
    n = 6000
    for lang in ("en", "de", "zh"):
        texts = compose_comments(rng, np.full(n, lang), np.full(n, "delivery_delay", dtype=object), np.full(n, "negative", dtype=object))
        assert len(set(texts)) > 3000, lang
