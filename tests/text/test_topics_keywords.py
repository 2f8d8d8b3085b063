"""Topic keywords are content words (no stop words of en/de/zh, numbers in any script, URLs or @handles),
and a topic's quotes are distinct texts about what its keywords say."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from empathica.demo import phrases_de
from empathica.understand.text import discover_topics
from empathica.understand.text.topics import stop_words, topic_tokens


def test_tokens_drop_stop_words_numbers_urls_and_handles():
    tokens = topic_tokens("@united even how us his flight was 10 hours late http://t.co/I0kyFDxriZ www.example.com [EMAIL]")
    assert tokens == ["flight", "hours", "late"]
    assert topic_tokens("Der Zug kam schon wieder 30 Minuten zu spät, immer das Gleiche") == ["zug", "minuten", "spät", "gleiche"]
    assert topic_tokens("Beim Bezahlen kam 'Zahlung abgelehnt'") == ["bezahlen", "zahlung", "abgelehnt"]
    chinese = topic_tokens("等了１０天快递才到，后来时点都不对，物流12点后才更新")
    assert "快递" in chinese and "物流" in chinese
    assert not {"点", "才", "后", "时", "１０", "12", "１", "０"} & set(chinese), chinese
    dated = topic_tokens("补充点评 2008年5月6日：隔音效果差")  # ChnSentiCorp's date lines gave a 年 / 月 / 日 topic
    assert "隔音" in dated and not {"年", "月", "日", "2008", "5", "6"} & set(dated), dated


def test_stop_words_cover_the_three_languages():
    words = stop_words()
    assert {"even", "how", "us", "his", "http", "co"} <= words  # scikit-learn's English list and extras
    assert {"immer", "beim", "dazu", "seit", "schon"} <= words
    assert {"点", "才", "后", "时"} <= words
    assert not {"bill", "call", "system"} & words  # customer-service words kept out of sklearn's list


def _german_complaints(n: int = 240, seed: int = 3) -> tuple[list[str], list[str]]:
    """Negative German comments as the demo world writes them: an opener and one pain point's sentence."""
    rng = np.random.default_rng(seed)
    texts, aspects = [], []
    names = list(phrases_de.ASPECTS)
    for i in range(n):
        aspect = names[i % len(names)]
        bank = phrases_de.ASPECTS[aspect]["negative"]
        product = phrases_de.PRODUCTS[i % len(phrases_de.PRODUCTS)]
        slots = dict(product=product[0], product_acc=product[1], product_dat=product[2], days=str(rng.integers(3, 20)),
                     money=f"{rng.integers(20, 900)} €", order=f"LU-{rng.integers(10000, 99999)}",
                     hours=str(rng.integers(1, 4)), brand="Voltera")
        text = phrases_de.OPENERS["negative"][rng.integers(10)] + " " + bank[rng.integers(len(bank))].format(**slots)
        texts.append(text[0].upper() + text[1:])
        aspects.append(aspect)
    return texts, aspects


def test_demo_german_topics_have_content_keywords_and_quotes_about_them():
    texts, _ = _german_complaints()
    found = discover_topics(texts, k_range=(2, 8), seed=7)
    stop = stop_words()
    for row in found.topics.itertuples():
        keywords = row.keywords.split(", ")
        assert keywords and not any(w in stop for k in keywords for w in k.split()), keywords
        assert not any(ch.isdigit() for k in keywords for ch in k), keywords
        assert len(set(row.quotes)) == len(row.quotes) == 3, row.quotes  # distinct texts
        for quote in row.quotes:
            tokens = topic_tokens(quote)
            terms = set(tokens) | {" ".join(pair) for pair in zip(tokens, tokens[1:])}
            assert terms & set(keywords), (keywords, quote)  # the quote is about the keywords


def test_a_catch_all_cluster_is_labelled_mixed_and_themed_ones_are_not():
    """On real tweets k-means leaves one large cluster of what the themes do not hold (49 % of the airline set,
    labelled by its most over-represented words, "dm / sent / follow", as if it were a theme). Its members are on
    average nearer another topic than their own, so its label says so; themed topics keep a cohesion ≥ 0."""
    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "en" / "airline_tweets.csv"
    if not path.is_file():
        pytest.skip("../shared/data not present")
    found = discover_topics(pd.read_csv(path)["text"].tolist()[:6000], seed=7)
    topics = found.topics
    assert topics["cohesion"].between(-1, 1).all()
    mixed = topics[topics["label"].str.startswith("mixed: ")]
    assert len(mixed) == 1 and mixed.index[0] == 0 and topics["share"].iloc[0] > 0.3  # the largest cluster
    assert (mixed["cohesion"] < 0).all() and (topics.drop(mixed.index)["cohesion"] >= 0).all()
    # clear themes (the demo's German complaints, one pain point each) are never a catch-all
    texts, _ = _german_complaints()
    assert not discover_topics(texts, k_range=(2, 8), seed=7).topics["label"].str.startswith("mixed: ").any()
