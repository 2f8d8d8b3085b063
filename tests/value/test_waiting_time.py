"""Waiting time for the first agent reply, a candidate driver of NPS."""

from __future__ import annotations

import pandas as pd

from empathica.flywheel.steps.drivers import MIN_RATERS, _first_reply_waits


def _conversations(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    start = pd.Timestamp("2024-03-01 09:00", tz="UTC")
    conv, turns = [], []
    for i in range(n):
        cid, customer = f"c{i}", f"cust{i}"
        wait = i % 5 + 1
        conv.append({"conversation_id": cid, "customer_id": customer, "channel": "chat", "started_at": start,
                     "touchpoint_id": None, "outcome": "resolved", "attributes": None})
        turns += [
            {"turn_id": f"{cid}#0", "conversation_id": cid, "turn_index": 0, "speaker": "customer", "agent_id": None,
             "text": "Where is my parcel?", "timestamp": start},
            {"turn_id": f"{cid}#1", "conversation_id": cid, "turn_index": 1, "speaker": "agent", "agent_id": None,
             "text": "Let me check.", "timestamp": start + pd.Timedelta(minutes=wait)},
            {"turn_id": f"{cid}#2", "conversation_id": cid, "turn_index": 2, "speaker": "agent", "agent_id": None,
             "text": "It arrives today.", "timestamp": start + pd.Timedelta(minutes=wait + 30)},
        ]
    # an agent-initiated conversation has no wait for a reply
    conv.append({"conversation_id": "out", "customer_id": "cust_out", "channel": "chat", "started_at": start,
                 "touchpoint_id": None, "outcome": "resolved", "attributes": None})
    turns.append({"turn_id": "out#0", "conversation_id": "out", "turn_index": 0, "speaker": "agent", "agent_id": None,
                  "text": "Your order shipped.", "timestamp": start})
    return pd.DataFrame(conv), pd.DataFrame(turns)


def test_mean_minutes_to_the_first_agent_reply_per_customer(store):
    conv, turns = _conversations(MIN_RATERS + 5)
    store.insert("conversations", conv)
    store.insert("turns", turns)
    waits = _first_reply_waits(store).to_pandas().set_index("customer_id")["wait_first_reply_minutes"]
    assert len(waits) == MIN_RATERS + 5 and "cust_out" not in waits.index
    assert waits["cust0"] == 1.0 and waits["cust4"] == 5.0 and waits["cust7"] == 3.0


def test_too_few_timed_replies_give_no_driver(store):
    conv, turns = _conversations(MIN_RATERS - 1)
    store.insert("conversations", conv)
    store.insert("turns", turns)
    assert _first_reply_waits(store) is None
