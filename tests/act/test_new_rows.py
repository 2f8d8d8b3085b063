"""An ingest is evaluated over its new rows only, and their text-derived fields (sentiment, distress, empathy gap)
are scored at once, so rules on them act before any run — with the verdict the run later stores."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.act import engine
from empathica.act.engine import evaluate_pending

from tests.act.conftest import ingest_frame as _ingest

COMMENT = "The parcel arrived two weeks late and my refund has still not arrived. I am furious!"
#: A distressed customer answered by a purely transactional reply, then a calm one answered politely.
TURNS = pd.DataFrame({
    "turn_id": ["k9-0", "k9-1", "k10-0", "k10-1"], "conversation_id": ["k9", "k9", "k10", "k10"],
    "turn_index": [0, 1, 0, 1], "speaker": ["customer", "agent", "customer", "agent"],
    "agent_id": [None, "a1", None, "a1"],
    "text": ["This is the third time I call. I am desperate, nobody helps me and I cannot sleep because of this!",
             "Please provide your order number.",
             "Hello, I would like to change my delivery address please.",
             "Of course, happy to help you with that."],
    "timestamp": ["2024-05-30T10:00:00Z", "2024-05-30T10:01:00Z", "2024-05-30T11:00:00Z", "2024-05-30T11:01:00Z"],
})


def test_an_ingest_is_evaluated_over_its_new_rows_with_texts_and_conversations_scored_at_once(live):
    store, ops, settings, analyzer, loaded, folder = live
    before = {c["signal_id"] for c in ops.cases.cases(limit=1000)[1]}
    _ingest(store, folder, "conv", pd.DataFrame({"conversation_id": ["k9", "k10"], "customer_id": ["c5", "c6"],
                                                 "channel": ["phone", "chat"],
                                                 "touchpoint_id": ["call_centre", "chat"],
                                                 "started_at": ["2024-05-30T10:00:00Z", "2024-05-30T11:00:00Z"]}),
            "conversations")
    _ingest(store, folder, "turns", TURNS, "turns")
    _ingest(store, folder, "fb", pd.DataFrame({"response_id": ["f10", "f11"], "customer_id": ["c2", "c7"],
                                               "touchpoint_id": ["chat", "chat"],
                                               "timestamp": ["2024-05-30T09:00:00Z", "2024-05-30T09:00:00Z"],
                                               "nps": [8, 9], "comment": [COMMENT, "Quick and friendly, thank you."]}),
            "feedback")
    report = evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer)
    assert report.fresh is not None  # incremental: the new rows only
    assert report.fresh.arrived.keys["feedback"] == ["f10", "f11"] and set(report.fresh.arrived.keys["turns"]) == set(TURNS.turn_id)
    # the detractor rule matched none of the old detractors again: it looked at f10 and f11 only (NPS 8 and 9)
    assert report.matched["detractor"] == 0 and report.matched["angry_comment"] == 1
    opened = {c["signal_id"]: c for c in ops.cases.cases(limit=1000)[1] if c["signal_id"] not in before}
    assert set(opened) == {"feedback:f10", "conversation:k9"}
    live_sentiment = opened["feedback:f10"]["evidence"]["sentiment"]
    live_distress = opened["conversation:k9"]["evidence"]["distress"]
    assert opened["conversation:k9"]["evidence"]["empathy_gap"] is True and live_distress >= 0.6

    # the analyses a run uses give the same verdicts (the text step's analyzer, the empathy step's conversations)
    from empathica.understand.empathy import analyze_conversations, validate_transcript

    expected = analyzer().analyze([COMMENT]).iloc[0]
    assert live_sentiment == pytest.approx(float(expected["sentiment_score"]))
    clean, _ = validate_transcript(TURNS.assign(timestamp=pd.to_datetime(TURNS.timestamp)), source="test")
    verdicts = analyze_conversations(clean, text_analyzer=analyzer()).conversations.set_index("conversation_id")
    assert verdicts.loc["k9", "max_distress"] == pytest.approx(live_distress)
    assert verdicts.loc["k9", "empathy_gaps"] > 0 and verdicts.loc["k10", "empathy_gaps"] == 0
    again = evaluate_pending(store, ops.cases, reason="run", analyzer=analyzer)  # a full evaluation: nothing twice
    assert again.fresh is None and again.cases_opened == 0


def test_an_ingest_without_texts_loads_no_analyzer_and_a_bulk_of_events_is_one_batch(live, monkeypatch):
    """Events and customer rows are tested by no rule and scored by nothing: however many come, they are one batch
    (its customers found by DuckDB), and the card patch and the signals of the customers they reach read those ids
    from an in-memory table. Both held the server's interpreter: an ingest of the demo's 31,694 events was 32 batches,
    each patching up to 2,000 cards through queries of thousands of literals (bench/results.md, serve ingest cost)."""
    import ibis

    from empathica.act import live as live_rows_module
    from empathica.act.card import snapshot_queries
    from empathica.act.signals import matching

    store, ops, _, analyzer, loaded, folder = live
    _ingest(store, folder, "one", pd.DataFrame({"response_id": ["f20"], "customer_id": ["c1"], "touchpoint_id": ["chat"],
                                                "timestamp": ["2024-05-30T09:00:00Z"], "nps": [0]}), "feedback")
    report = evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer)
    assert report.fresh is not None and not loaded and report.opened == {"detractor": 1}
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(7)], "customer_id": [f"c{1 + i % 3}" for i in range(7)],
                           "timestamp": ["2024-05-30T09:00:00Z"] * 7, "touchpoint_id": ["chat"] * 7, "channel": ["chat"] * 7})
    _ingest(store, folder, "events", events, "events")
    batches = []
    evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer, live_rows=3, on_batch=batches.append,
                     max_batches=1)
    assert len(batches) == 1 and ops.cases.pending() == [] and not loaded  # 7 rows, batches of 3 for tested rows: one
    assert batches[0].fresh.arrived.reached == {"events": 7} and batches[0].fresh.arrived.customers == {"c1", "c2", "c3"}
    monkeypatch.setattr(live_rows_module, "LITERAL_IDS", 2)  # more customers than a query names as literals
    detractor = next(r for r in engine.stored_rules(ops.cases) if r.rule_id == "detractor")
    queries = snapshot_queries(store, only=["c1", "c2", "c3"], with_openers=False)
    compiled = [ibis.to_sql(queries[name]) for name in ("facts", "journey")]  # texts and values: journey's function
    compiled.append(ibis.to_sql(matching(store, detractor, new=batches[0].fresh)))
    assert all(f"'{c}'" not in sql for sql in compiled for c in ("c1", "c2", "c3"))


def test_a_bulk_ingest_is_evaluated_in_bounded_batches_with_its_texts_scored_and_resumes_after_a_stop(
        live, monkeypatch, caplog):
    store, ops, _, analyzer, _, folder = live
    comments = [COMMENT if i % 2 == 0 else "Quick and friendly, thank you." for i in range(7)]
    rows = pd.DataFrame({"response_id": [f"b{i}" for i in range(7)], "customer_id": ["c1"] * 7,
                         "touchpoint_id": ["chat"] * 7, "timestamp": ["2024-05-30T09:00:00Z"] * 7,
                         "nps": [0, 9, 0, 9, 0, 9, 0], "comment": comments})
    _ingest(store, folder, "bulk", rows, "feedback")
    start = ops.cases.marks()["feedback"]
    real_evaluate, batches = engine.evaluate, []

    def stop_in_third_batch(*args, **kwargs):  # the process stops after two batches of three rows
        if len(batches) == 2:
            raise KeyboardInterrupt("the process stops mid-bulk")
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(engine, "evaluate", stop_in_third_batch)
    with caplog.at_level("INFO", logger="empathica.act"):  # one batch per call (the server's worker): the rest waits
        evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer, live_rows=3, on_batch=batches.append,
                         max_batches=1)
    assert len(batches) == 1 and [p["reason"] for p in ops.cases.pending()] == ["ingest"]
    assert "batches left: 2" in caplog.text  # progress
    with pytest.raises(KeyboardInterrupt):
        evaluate_pending(store, ops.cases, analyzer=analyzer, live_rows=3, on_batch=batches.append)
    assert [sorted(b.fresh.keys("feedback")) for b in batches] == [["b0", "b1", "b2"], ["b3", "b4", "b5"]]
    assert ops.cases.marks()["feedback"] == start + 6  # each finished batch's watermark is stored
    monkeypatch.undo()
    report = evaluate_pending(store, ops.cases, analyzer=analyzer, live_rows=3)  # the restart: the last row only
    assert report.fresh.keys("feedback") == ["b6"] and ops.cases.pending() == []
    opened = [(c["rule_id"], c["signal_id"]) for c in ops.cases.cases(limit=1000)[1]]
    for i in range(7):  # every detractor once, every angry comment (scored in its batch) once: the even rows
        for rule in ("detractor", "angry_comment"):
            assert opened.count((rule, f"feedback:b{i}")) == (1 if i % 2 == 0 else 0)


def test_a_restart_mid_incremental_evaluation_finds_the_same_new_rows_again(live, monkeypatch):
    store, ops, _, analyzer, _, folder = live
    rows = pd.DataFrame({"response_id": ["r1", "r2"], "customer_id": ["c1", "c2"], "touchpoint_id": ["chat", "chat"],
                         "timestamp": ["2024-05-30T09:00:00Z"] * 2, "nps": [0, 1]})
    _ingest(store, folder, "two", rows, "feedback")
    marks = ops.cases.marks()
    real_open = ops.cases.open_case

    opened = []

    def crash_after_one(**kwargs):  # the first case opens, the second crashes (rows come in any order)
        if not opened:
            opened.append(kwargs)
            return real_open(**kwargs)
        raise KeyboardInterrupt("the process stops mid-evaluation")

    monkeypatch.setattr(ops.cases, "open_case", crash_after_one)
    with pytest.raises(KeyboardInterrupt):
        evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer)
    assert ops.cases.marks() == marks and [p["reason"] for p in ops.cases.pending()] == ["ingest"]
    monkeypatch.undo()
    report = evaluate_pending(store, ops.cases, analyzer=analyzer)  # the next start: the same rows, once each
    assert report.fresh is not None and report.opened == {"detractor": 1}
    signals = [c["signal_id"] for c in ops.cases.cases(limit=1000)[1]]
    assert signals.count("feedback:r1") == 1 and signals.count("feedback:r2") == 1
    assert ops.cases.pending() == [] and ops.cases.marks()["feedback"] > marks["feedback"]


def test_a_small_ingest_during_a_bulk_is_evaluated_ahead_of_the_bulks_remaining_batches(live):
    store, ops, _, analyzer, loaded, folder = live
    bulk = pd.DataFrame({"response_id": [f"q{i}" for i in range(5)], "customer_id": ["c1"] * 5,
                         "touchpoint_id": ["chat"] * 5, "timestamp": ["2024-05-30T09:00:00Z"] * 5, "nps": [0] * 5})
    _ingest(store, folder, "bulk", bulk, "feedback")
    first = evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer, live_rows=2, max_batches=1)
    assert first.fresh.keys("feedback") == ["q0", "q1"]  # one batch per call, as the server's worker
    small = pd.DataFrame({"response_id": ["s1"], "customer_id": ["c2"], "touchpoint_id": ["chat"],
                          "timestamp": ["2024-05-30T10:00:00Z"], "nps": [1]})
    _ingest(store, folder, "small", small, "feedback")
    ops.cases.add_pending("ingest", "small")
    # the next call — reading the lanes stored with the watermarks, as after a restart — takes the small ingest first
    seen = [evaluate_pending(store, ops.cases, analyzer=analyzer, live_rows=2, max_batches=1).fresh.keys("feedback")]
    opened = {c["signal_id"] for c in ops.cases.cases(limit=1000)[1]}
    assert seen == [["s1"]] and "feedback:s1" in opened and "feedback:q2" not in opened
    while ops.cases.pending():  # then the bulk's batches, to its end
        seen.append(evaluate_pending(store, ops.cases, analyzer=analyzer, live_rows=2, max_batches=1).fresh.keys("feedback"))
    assert seen == [["s1"], ["q2", "q3"], ["q4"]]
    signals = [c["signal_id"] for c in ops.cases.cases(limit=1000)[1] if c["rule_id"] == "detractor"]
    assert sorted(s for s in signals if s.split(":")[1][0] in "qs") == [*(f"feedback:q{i}" for i in range(5)), "feedback:s1"]
    # the bulk is done: its lanes are gone and the marks are past the rows taken ahead (nothing comes again)
    assert set(ops.cases.marks()) == set(engine.Lanes.read(ops.cases.marks()).marks)
    assert evaluate_pending(store, ops.cases, reason="ingest", analyzer=analyzer).fresh.arrived.empty and not loaded
