"""Evaluating rules over the store: the right signals open cases, once; a restart loses no pending evaluation;
replay counts without opening; an ingest through the CLI is evaluated."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from empathica.act.engine import LIVE_ROWS, evaluate, evaluate_pending, install_rules, replay, stored_rules
from empathica.act.rules import parse_rules
from empathica.act.signals import signal_fields
from empathica.store import Store
from empathica.store.operational import OperationalStore

from tests.act.conftest import CONVERSATIONS, EMPATHY, FEEDBACK, RULES, settings_for


def expected_distress_cases() -> set[str]:
    hit = EMPATHY[(EMPATHY.max_distress >= 0.6) & (EMPATHY.empathy_gaps > 0)]
    return {f"conversation:{c}" for c in hit.conversation_id}


def expected_detractor_cases() -> set[str]:
    stamps = pd.to_datetime(FEEDBACK.timestamp)
    hit = FEEDBACK[(FEEDBACK.nps <= 3) & (stamps > stamps.max() - pd.Timedelta(days=60))]
    return {f"feedback:{r}" for r in hit.response_id}


@pytest.fixture
def stores(world, tmp_path):
    db = tmp_path / "world.duckdb"
    shutil.copy(world, db)
    ops = OperationalStore(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    install_rules(ops.cases, parse_rules(RULES, known_fields=signal_fields), source="test")
    store = Store.open(db, settings=settings_for(db))
    yield store, ops
    store.close()
    ops.close()


def test_rules_open_a_case_for_each_matching_signal_with_owner_team_and_slas(stores):
    store, ops = stores
    report = evaluate(store, ops.cases)
    _, cases = ops.cases.cases()
    by_rule = {r: {c["signal_id"] for c in cases if c["rule_id"] == r} for r in ("distress_without_empathy", "detractor")}
    assert by_rule["distress_without_empathy"] == expected_distress_cases()
    assert by_rule["detractor"] == expected_detractor_cases()  # f3 (nps 0) is outside the 60-day window
    assert report.cases_opened == len(cases)
    owners = dict(zip(CONVERSATIONS.conversation_id, CONVERSATIONS.touchpoint_id))
    for case in cases:
        if case["rule_id"] == "distress_without_empathy":  # owner: the team owning the conversation's touchpoint
            assert case["touchpoint"] == owners[case["signal_id"].split(":")[1]] and case["team_id"] == "team_care"
            assert (case["first_response_due"] - case["opened_at"]).total_seconds() == 4 * 3600
            assert case["priority"] == "high" and case["escalate_to"] == "team_leads"
            assert case["evidence"]["distress"] >= 0.6 and case["evidence"]["empathy_gap"] is True
        else:
            assert case["team_id"] == "team_care"  # the rule's team
    assert {t["signal_id"] for t in ops.cases.tags()} == expected_distress_cases()
    assert all(t["tag"] == "call back" for t in ops.cases.tags())


def test_the_same_signal_never_opens_two_cases(stores):
    store, ops = stores
    first = evaluate(store, ops.cases)
    second = evaluate(store, ops.cases)
    third = evaluate_pending(store, ops.cases, reason="ingest")
    total, cases = ops.cases.cases()
    assert first.cases_opened == total > 0
    assert second.cases_opened == 0 and third.cases_opened == 0
    assert len({(c["rule_id"], c["signal_id"]) for c in cases}) == total
    assert len(ops.cases.tags()) == len(expected_distress_cases())


def test_a_restart_mid_evaluation_loses_nothing_and_duplicates_nothing(stores, tmp_path, monkeypatch):
    store, ops = stores
    real_open = ops.cases.open_case
    opened = []

    def crash_after_one(**kwargs):
        if opened:
            raise KeyboardInterrupt("the process stops mid-evaluation")
        opened.append(real_open(**kwargs))
        return opened[-1]

    monkeypatch.setattr(ops.cases, "open_case", crash_after_one)
    with pytest.raises(KeyboardInterrupt):
        evaluate_pending(store, ops.cases, reason="ingest", detail="feedback.csv")
    assert ops.cases.cases()[0] == 1
    ops.close()
    # a new process over the same operational store: the pending evaluation is still there and is finished
    restarted = OperationalStore(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    try:
        assert [p["reason"] for p in restarted.cases.pending()] == ["ingest"]
        evaluate_pending(store, restarted.cases)
        _, cases = restarted.cases.cases()
        assert {c["signal_id"] for c in cases} == expected_distress_cases() | expected_detractor_cases()
        assert len(cases) == len(expected_distress_cases() | expected_detractor_cases())
        assert restarted.cases.pending() == []
    finally:
        restarted.close()


def test_replay_counts_what_rules_would_have_opened_without_opening_any(stores):
    store, ops = stores
    rules = stored_rules(ops.cases)
    rows = {r["rule"]: r for r in replay(store, rules, since=pd.Timestamp("2024-05-02").date())}
    stamps = pd.to_datetime(CONVERSATIONS.started_at).dt.tz_localize(None)
    hit = EMPATHY[(EMPATHY.max_distress >= 0.6) & (EMPATHY.empathy_gaps > 0)].conversation_id
    since = CONVERSATIONS[stamps >= pd.Timestamp("2024-05-02")].conversation_id
    assert rows["distress_without_empathy"]["cases"] == len(set(hit) & set(since))
    assert sum(rows["distress_without_empathy"]["by_month"].values()) == rows["distress_without_empathy"]["cases"]
    assert ops.cases.cases()[0] == 0 and ops.cases.tags() == []


def test_repeat_contacts_count_the_customers_contacts_in_the_last_30_days(stores):
    store, _ = stores
    from empathica.act.signals import signals

    frame = signals(store, "conversation").select("conversation_id", "repeat_contacts").to_pandas()
    counts = dict(zip(frame.conversation_id, frame.repeat_contacts))
    assert counts["k3"] == 1 and counts["k4"] == 2  # c3 called on 3 May and again on 20 May
    assert counts["k1"] == 1


def test_a_rule_on_a_result_opens_one_case_per_result_row(stores):
    store, ops = stores
    rule = parse_rules('[[rule]]\nid = "gaps"\non = "empathy_conversations"\nkey = ["conversation_id"]\n'
                       '  [[rule.condition]]\n  field = "empathy_gaps"\n  op = ">="\n  value = 2\n',
                       known_fields=signal_fields).rules[0]
    report = evaluate(store, ops.cases, [rule])
    _, cases = ops.cases.cases(rule_id="gaps")
    assert report.opened == {"gaps": 1}
    assert [c["signal_id"] for c in cases] == ["empathy_conversations:k4"]


def test_an_ingest_through_the_cli_is_evaluated(world, tmp_path):
    from click.testing import CliRunner

    from empathica.cli import main

    db = tmp_path / "world.duckdb"
    shutil.copy(world, db)
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["act", "load", str(rules), "--db", str(db)]).exit_code == 0
    new = tmp_path / "more_feedback.csv"
    pd.DataFrame({"response_id": ["f9"], "customer_id": ["c4"], "touchpoint_id": ["chat"],
                  "timestamp": ["2024-05-29T09:00:00Z"], "nps": [1]}).to_csv(new, index=False)
    result = runner.invoke(main, ["listen", str(new), "--db", str(db), "--kind", "feedback"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["cases", "list", "--db", str(db), "--limit", "100"])
    assert "c4" in listed.output and "Detractor" in listed.output
    bulk = tmp_path / "bulk_feedback.csv"  # more than one batch: the CLI shows each batch's progress
    n = LIVE_ROWS + 10
    pd.DataFrame({"response_id": [f"bulk{i}" for i in range(n)], "customer_id": ["c4"] * n, "touchpoint_id": ["chat"] * n,
                  "timestamp": ["2024-05-29T09:00:00Z"] * n, "nps": [9] * (n - 1) + [0]}).to_csv(bulk, index=False)
    result = runner.invoke(main, ["listen", str(bulk), "--db", str(db), "--kind", "feedback"])
    assert result.exit_code == 0, result.output
    assert "Act: batch 1 of the new rows evaluated (0 cases opened so far, 1 batches to go)" in result.output
    assert "Act: batch 2 of the new rows evaluated (1 cases opened so far, 0 batches to go)" in result.output


def test_the_cli_replays_and_refuses_a_bad_rule_file_in_one_line(world, tmp_path):
    from click.testing import CliRunner

    from empathica.cli import main

    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    runner = CliRunner()
    replayed = runner.invoke(main, ["act", "replay", str(rules), "--since", "2024-05-02", "--db", str(world), "--json"])
    assert replayed.exit_code == 0, replayed.output
    counts = {row["rule"]: row["cases"] for row in json.loads(replayed.output)}
    assert counts["detractor"] == len({f for f in expected_detractor_cases()
                                       if FEEDBACK.set_index("response_id").loc[f.split(":")[1], "timestamp"] >= "2024-05-02"})
    bad = tmp_path / "bad.toml"
    bad.write_text(RULES.replace('op = "<="', 'op = "=<"'), encoding="utf-8")
    refused = runner.invoke(main, ["act", "check", str(bad)])
    assert refused.exit_code == 2
    assert refused.output.strip().count("\n") == 0 and f"{bad}, line " in refused.output and "field op" in refused.output


def test_the_cli_shows_a_customers_context_card(world):
    from click.testing import CliRunner

    from empathica.cli import main

    runner = CliRunner()
    shown = runner.invoke(main, ["act", "card", "c3", "--db", str(world)])
    assert shown.exit_code == 0, shown.output
    card = json.loads(shown.output)
    assert card["customer_id"] == "c3" and card["language"] == "en" and card["segment"] == "loyal"
    assert card["last_conversation"]["conversation_id"] == "k4"  # the latest of k3 and k4
    assert card["open_cases"] == [] and card["opener"] is None  # no case opened, no reply scored in this world
    missing = runner.invoke(main, ["act", "card", "nobody", "--db", str(world)])
    assert missing.exit_code == 1 and missing.output.strip().count("\n") == 0 and "no customer 'nobody'" in missing.output
