"""Which German and Chinese agent replies a flywheel run sends to the e5 heads (setting
``empathy_e5_replies``): the most frequent distinct ones, ties by text, English and customer turns never,
at most the cap — whatever the order of the turns in the store."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.flywheel.steps.empathy import _e5_replies
from empathica.store import Store

DE = ["Das tut mir leid, wir kümmern uns darum.", "Bitte Kundennummer angeben.", "Ich verstehe Ihren Ärger."]
ZH = ["很抱歉给您带来不便。", "请提供订单号。"]
EN = ["Sorry about that, we will look into it.", "Please send us your order number."]


def _turns(counts: dict[str, int], *, customer: dict[str, int] | None = None, reverse: bool = False) -> pd.DataFrame:
    rows = []
    for speaker, table in (("agent", counts), ("customer", customer or {})):
        for text, n in table.items():
            for _ in range(n):
                i = len(rows)
                rows.append({"turn_id": f"t{i}", "conversation_id": f"c{i}", "turn_index": 0 if speaker == "customer" else 1,
                             "speaker": speaker, "agent_id": "a1" if speaker == "agent" else None, "text": text,
                             "timestamp": pd.Timestamp("2026-01-01")})
    frame = pd.DataFrame(rows)
    return frame.iloc[::-1].reset_index(drop=True) if reverse else frame


@pytest.fixture
def store():
    with Store.open(":memory:") as s:
        yield s


def test_the_most_frequent_german_and_chinese_replies_are_chosen_up_to_the_cap(store):
    counts = {EN[0]: 50, EN[1]: 40, DE[0]: 9, ZH[0]: 7, DE[1]: 7, ZH[1]: 3, DE[2]: 1}
    # a customer saying a German phrase many times does not make it an agent reply
    store.insert("turns", _turns(counts, customer={"Ich warte seit drei Wochen!": 30}))
    everything = _e5_replies(store, 100)
    assert everything == [DE[0], DE[1], ZH[0], ZH[1], DE[2]]  # by frequency, the tie (7) by text
    assert _e5_replies(store, 3) == [DE[0], DE[1], ZH[0]]
    assert _e5_replies(store, 1) == [DE[0]]
    assert _e5_replies(store, 0) == [] and _e5_replies(store, -5) == []


def test_the_choice_does_not_depend_on_the_order_of_the_turns(store):
    counts = {DE[0]: 2, ZH[0]: 2, DE[1]: 5, EN[0]: 9}
    store.insert("turns", _turns(counts, reverse=True))
    with Store.open(":memory:") as forward:
        forward.insert("turns", _turns(counts))
        assert _e5_replies(forward, 2) == _e5_replies(store, 2)
    # DE[1] (5) first, then the tie at 2 by text: "Das …" before "很…"
    assert _e5_replies(store, 2) == [DE[1], DE[0]]


def test_a_mostly_english_store_still_fills_the_cap(store):
    """English replies ahead of every German one (more than four pages of the cap) do not crowd them out."""
    counts = {f"Thanks for reaching out, ticket {i} is open.": 20 for i in range(30)}
    counts |= {DE[0]: 3, ZH[0]: 2, ZH[1]: 1}
    store.insert("turns", _turns(counts))
    assert _e5_replies(store, 2) == [DE[0], ZH[0]]
    assert _e5_replies(store, 5) == [DE[0], ZH[0], ZH[1]]
