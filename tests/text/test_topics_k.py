"""`empathica text topics`: the automatic k may be 2, and an impossible --k is a clear error."""

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.errors import InputError
from empathica.understand.text import discover_topics

DELIVERY = [
    "The delivery was late again and the parcel arrived after two weeks",
    "My parcel is late, the delivery takes forever",
    "Late delivery, the parcel never came on time",
    "Delivery of my parcel was three days late",
    "Why is the delivery always late? Parcel still missing",
    "The parcel delivery is late and the courier does not answer",
    "Slow delivery, my parcel came late",
    "Parcel arrived late, delivery was a disaster",
    "Delivery late by a week, parcel damaged",
    "The courier brought the parcel late, bad delivery",
    "Again a late delivery of my parcel",
    "Parcel delivery late, nobody told me",
]
REFUND = [
    "I am still waiting for my refund money",
    "Where is my refund? The money never arrived",
    "Refund promised a month ago, no money yet",
    "The refund of my money takes too long",
    "Please send my refund, I returned the item",
    "No refund and no answer, I want my money back",
    "My refund money is still missing",
    "Refund not received, money gone",
    "I returned it weeks ago and the refund is missing",
    "Give me my money back, the refund never came",
    "Refund still pending, money not on my account",
    "The refund money never reached my account",
]
TWO_THEMES = DELIVERY + REFUND


def test_two_clear_themes_give_two_topics(tmp_path):
    assert len(TWO_THEMES) == 24
    found = discover_topics(TWO_THEMES)
    assert found.k == 2
    first, second = found.assignments["topic"][:12], found.assignments["topic"][12:]
    assert first.nunique() == 1 and second.nunique() == 1 and first.iloc[0] != second.iloc[0]
    keywords = " ".join(found.topics["keywords"])
    assert "delivery" in keywords and "refund" in keywords

    src = tmp_path / "two.csv"
    pd.DataFrame({"comment": TWO_THEMES}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "topics", str(src), "--text-column", "comment", "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 topics")
    assert len(pd.read_csv(tmp_path / "t" / "topics.csv")) == 2


def test_two_templated_themes_give_two_topics():
    # one wording per theme: only two distinct word profiles, which the old search (k >= 3) rejected
    texts = [f"My parcel delivery is {d} days late" for d in range(12)] + [f"Where is my refund of {d} euros" for d in range(12)]
    found = discover_topics(texts)
    assert found.k == 2 and sorted(found.topics["size"]) == [12, 12]


def test_k_larger_than_the_texts_allow_is_a_clear_error(tmp_path):
    with pytest.raises(InputError) as err:
        discover_topics(TWO_THEMES, k=30)
    message = str(err.value)
    assert "k = 30" in message and "24 texts" in message and "largest k possible is" in message

    src = tmp_path / "two.csv"
    pd.DataFrame({"comment": TWO_THEMES}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "topics", str(src), "--text-column", "comment", "--out", str(tmp_path / "t"), "--k", "30"])
    assert result.exit_code == 2
    assert "24 texts" in result.output and "largest k possible" in result.output and "Traceback" not in result.output
    largest = int(message.split("largest k possible is ")[1].split(" ")[0])
    assert 2 <= largest < 24
    assert discover_topics(TWO_THEMES, k=largest).k == largest  # the named largest k works
