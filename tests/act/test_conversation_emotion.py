"""Conversation signals carry the customer's emotion (the text analyzer's, per language) and pain points, so rules on
them act on conversations, at once on ingest and the same after a run; the card shows the emotion of the latest
conversation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd

from empathica.act.card import CardSnapshot
from empathica.act.engine import evaluate_pending
from empathica.act.signals import signals
from empathica.schema.results import TEXT_SCORES

from tests.act.conftest import ingest_frame

#: Angry customers in English (calmer at the end: the emotion shown still counts), German and Chinese, and a calm
#: English one frustrated about a refund (a pain point) after a neutral turn; each answered by an agent.
CUSTOMER_TURNS = {
    "e1": ("c1", ["This is the third time I call. I am furious, this is outrageous!", "Ok."]),
    "e2": ("c2", ["Ich bin wirklich wütend, das ist eine Frechheit! Schon wieder keine Lieferung."]),
    "e3": ("c4", ["我非常生气，这太过分了！第三次打电话了还没人解决。"]),
    "e4": ("c5", ["Hello, I would like to change my delivery address please.",
                  "Also, my refund has not arrived yet."]),
}


def _conversation_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    conversations, turns = [], []
    for n, (conversation, (customer, texts)) in enumerate(CUSTOMER_TURNS.items()):
        conversations.append({"conversation_id": conversation, "customer_id": customer, "channel": "phone",
                              "touchpoint_id": "call_centre", "started_at": f"2024-05-30T1{n}:00:00Z"})
        for i, text in enumerate(texts):
            for speaker, said in (("customer", text), ("agent", "Thank you, I am looking into it.")):
                index = 2 * i + (speaker == "agent")
                turns.append({"turn_id": f"{conversation}-{index}", "conversation_id": conversation,
                              "turn_index": index, "speaker": speaker, "agent_id": "a1" if speaker == "agent" else None,
                              "text": said, "timestamp": f"2024-05-30T1{n}:0{index}:00Z"})
    return pd.DataFrame(conversations), pd.DataFrame(turns)


def _store_run_scores(store, analyzer) -> None:
    """What a run's text step stores for the customers' turns (the same analyzer)."""
    turns = store.table("turns").filter(lambda t: t.speaker == "customer").to_pandas()
    scored = analyzer.analyze(turns["text"].tolist())
    aspects = [json.dumps(list(a)) for a in scored["aspects"]]
    rows = pd.DataFrame({"source_table": "turns", "source_id": turns["turn_id"], "lang": scored["lang"],
                         "sentiment": scored["sentiment"], "sentiment_score": scored["sentiment_score"],
                         "confidence": 1.0, "emotion": scored["emotion"], "emotion_confidence": 1.0,
                         "aspects": aspects, "note": "", "scored_at": datetime.now(UTC)})
    store.runs.begin(steps=["text"])
    store.write_result(TEXT_SCORES, rows, step="text")
    store.runs.publish()


#: Thanks after the angry conversations (the latest text's emotion is then another than the conversation's), and an
#: opener candidate per (language, emotion answered): the card's opener must answer the conversation's emotion.
THANKS = {"c1": "Thank you so much, that was really kind of you!", "c2": "Vielen herzlichen Dank, sehr freundlich!",
          "c4": "非常感谢你们的帮助，太好了！"}
OPENERS = {(lang, None, emotion): {"opener_id": f"{lang}-{emotion}", "text": f"{emotion} reply", "agent_id": "a9",
                                   "language": lang, "empathy": 0.9, "answered_emotion": emotion,
                                   "answered_pain_points": []}
           for lang in ("en", "de", "zh") for emotion in ("anger", "gratitude", "joy", None)}


def test_rules_on_emotion_act_on_conversations_in_three_languages_and_the_card_shows_it(live):
    from empathica.report.i18n import Finding, render

    store, ops, _, analyzer, _, folder = live
    conversations, turns = _conversation_rows()
    ingest_frame(store, folder, "conv", conversations, "conversations")
    ingest_frame(store, folder, "turns", turns, "turns")
    thanks = pd.DataFrame({"response_id": [f"t{c}" for c in THANKS], "customer_id": list(THANKS), "nps": 9,
                           "touchpoint_id": "call_centre", "timestamp": "2024-05-31T09:00:00Z",
                           "comment": list(THANKS.values())})
    ingest_frame(store, folder, "thanks", thanks, "feedback")
    # the candidate openers are handed in as the server hands its card snapshot's
    report = evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer, openers=lambda: OPENERS)
    assert report.fresh is not None  # on ingest, before any run
    opened = {c["signal_id"]: c for c in ops.cases.cases(limit=1000)[1] if c["rule_id"] == "angry_conversation"}
    assert set(opened) == {"conversation:e1", "conversation:e2", "conversation:e3"}
    assert {c["evidence"]["emotion"] for c in opened.values()} == {"anger"}
    refunds = [c for c in ops.cases.cases(limit=1000)[1] if c["rule_id"] == "refund_conversation"]
    assert [c["signal_id"] for c in refunds] == ["conversation:e4"] and "refund" in refunds[0]["evidence"]["pain_points"]

    customers = ["c1", "c2", "c4", "c5"]
    card = CardSnapshot.build(store, live=report.fresh.texts, only=customers, openers=OPENERS)
    shown = {c: card.card(c)["last_conversation"] for c in customers}
    assert {c: s["emotion"] for c, s in shown.items()} == {"c1": "anger", "c2": "anger", "c4": "anger",
                                                           "c5": "frustration"}
    assert shown["c4"]["conversation_id"] == "e3"
    # the opener answers the anger of the latest conversation, not the thanks written after it (en, de, zh)
    for customer, lang in (("c1", "en"), ("c2", "de"), ("c4", "zh")):
        shown_card = card.card(customer)
        assert shown_card["sentiment"]["last_emotion"] not in ("anger", "neutral", None), shown_card["sentiment"]
        opener = shown_card["opener"]
        assert opener["opener_id"] == f"{lang}-anger", (customer, opener)
        assert opener["reason_id"] == "act.opener.reason.conversation_emotion"
        assert opener["reason_values"]["emotion_from"] == "conversation"
        said = render(Finding(opener["reason_id"], opener["reason_values"]), lang=lang)
        assert "anger" in said and {"en": "latest conversation", "de": "letzten Gespräch", "zh": "最近一次对话"}[lang] in said
        # the case opened for the customer carries the same opener, in their language, stored with the case
        case = next(c for c in opened.values() if c["customer_id"] == customer)
        assert ops.cases.case(case["case_id"])["opener"] == opener
    # no candidate answered frustration or a refund in English: the best English reply, and the reason says so
    assert ops.cases.case(refunds[0]["case_id"])["opener"] == card.card("c5")["opener"]
    assert card.card("c5")["opener"]["opener_id"] == "en-None"

    _store_run_scores(store, analyzer())  # after a run: the same emotions, and no second case
    after = signals(store, "conversation").filter(lambda s: s.conversation_id.isin(list(CUSTOMER_TURNS)))
    after = after.select("conversation_id", "emotion", "pain_points").to_pandas().set_index("conversation_id")
    assert after["emotion"].to_dict() == {"e1": "anger", "e2": "anger", "e3": "anger", "e4": "frustration"}
    assert [k for k, v in after["pain_points"].items() if "refund" in v] == ["e4"]
    assert evaluate_pending(store, ops.cases, reason="run").cases_opened == 0
    ran = CardSnapshot.build(store, only=customers)
    assert {c: ran.card(c)["last_conversation"]["emotion"] for c in customers} == {c: s["emotion"] for c, s in shown.items()}
