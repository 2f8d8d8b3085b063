"""Cases: the status flow, close needs root cause and outcome, reopen, SLA breach and escalation, the SLA report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from empathica.act.cases import assign, check_slas, comment, set_status, sla_report
from empathica.errors import InputError
from empathica.store.cases import now
from empathica.store.operational import OperationalStore


@pytest.fixture
def cases(tmp_path):
    ops = OperationalStore(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    yield ops.cases
    ops.close()


def open_one(cases, signal="conversation:k1", *, hours=4, days=2, opened_at=None, escalate_to="team_leads"):
    return cases.open_case(rule_id="distress", signal_id=signal, title="Distressed", priority="high", team_id="team_care",
                           first_response=timedelta(hours=hours), resolution=timedelta(days=days),
                           customer_id="c1", escalate_to=escalate_to, opened_at=opened_at)


def test_opening_twice_is_a_no_op(cases):
    assert open_one(cases) is not None
    assert open_one(cases) is None
    assert cases.cases()[0] == 1


def test_the_status_flow_and_its_audit_trail(cases):
    case_id = open_one(cases)
    assign(cases, case_id, "agent_03", actor="lead")
    with pytest.raises(InputError, match="it can move to in_progress, resolved, not closed"):
        set_status(cases, case_id, "closed", actor="agent_03")
    set_status(cases, case_id, "in_progress", actor="agent_03")
    set_status(cases, case_id, "resolved", actor="agent_03")
    with pytest.raises(InputError, match="root_cause is required"):
        set_status(cases, case_id, "closed", actor="agent_03", outcome="called back")
    with pytest.raises(InputError, match="outcome is required"):
        set_status(cases, case_id, "closed", actor="agent_03", root_cause="script")
    closed = set_status(cases, case_id, "closed", actor="agent_03", root_cause="script", outcome="called back")
    assert closed["closed_at"] and closed["root_cause"] == "script"
    reopened = set_status(cases, case_id, "open", actor="lead", note="customer called again")
    assert reopened["status"] == "open" and reopened["resolved_at"] is None and reopened["closed_at"] is None
    trail = [(e["actor"], e["action"], e["field"], e["old"], e["new"]) for e in cases.events(case_id)]
    assert trail[0] == ("rule:distress", "opened", None, None, "open")
    assert ("lead", "assigned", "assignee", None, "agent_03") in trail
    statuses = [(old, new) for _, _, field, old, new in trail if field == "status"]
    assert statuses == [("open", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed"), ("closed", "open")]
    assert trail[-1][1] == "reopened"


def test_a_breached_sla_escalates_once(cases):
    start = now() - timedelta(hours=10)
    late = open_one(cases, "conversation:k1", opened_at=start)  # first response due 4 h after: breached
    answered = open_one(cases, "conversation:k2", opened_at=start)
    comment(cases, answered, "Called the customer back.", actor="agent_03", at=start + timedelta(hours=1))
    fresh = open_one(cases, "conversation:k3")  # due in 4 h: not breached
    escalations = []
    escalated = check_slas(cases, on_escalation=lambda case, kind: escalations.append((case["case_id"], kind)))
    assert [(c["case_id"], c["breach"]) for c in escalated] == [(late, "first_response")] == escalations
    case = cases.case(late)
    assert case["priority"] == "urgent" and case["team_id"] == "team_leads" and case["escalation_level"] == 1
    assert cases.case(answered)["escalation_level"] == 0 and cases.case(fresh)["escalation_level"] == 0
    assert check_slas(cases) == []  # the same breach escalates once
    # two days on, the late case also misses its resolution: a second escalation
    later = check_slas(cases, at=now() + timedelta(days=2))
    assert {(c["case_id"], c["breach"]) for c in later} >= {(late, "resolution")}
    assert cases.case(late)["escalation_level"] == 2
    events = cases.events(late)
    assert [e["field"] for e in events if e["action"] == "breach"] == ["first_response", "resolution"]
    assert len({e["at"] for e in events if e["action"] == "escalated"}) == 2  # one event per field changed, twice


def test_the_sla_report_counts_met_and_missed_per_team_and_agent(cases):
    start = now() - timedelta(days=3)
    on_time = open_one(cases, "s:1", opened_at=start)
    assign(cases, on_time, "agent_a", actor="lead")
    comment(cases, on_time, "on it", actor="agent_a", at=start + timedelta(hours=1))
    set_status(cases, on_time, "resolved", actor="agent_a", at=start + timedelta(days=1))
    late = open_one(cases, "s:2", opened_at=start)
    assign(cases, late, "agent_b", actor="lead")
    comment(cases, late, "sorry, late", actor="agent_b", at=start + timedelta(hours=6))
    waiting = open_one(cases, "s:3")  # within its time: not counted yet
    report = sla_report(cases)
    agents = report["agent"].set_index("assignee")
    assert agents.loc["agent_a", "first_response_met"] == 1.0 and agents.loc["agent_a", "resolution_met"] == 1.0
    assert agents.loc["agent_b", "first_response_met"] == 0.0 and agents.loc["agent_b", "resolution_met"] == 0.0
    team = report["team"].set_index("team_id").loc["team_care"]
    assert team["cases"] == 3 and team["first_response_met"] == 0.5
    hours = report["status_hours"].set_index("status")
    assert hours.loc["resolved", "cases"] == 1 and hours.loc["open", "cases"] == 3
    assert waiting


def test_the_case_list_filters_and_the_dashboard_counts(cases):
    start = now() - timedelta(hours=10)
    late = open_one(cases, "conversation:k1", opened_at=start)  # first response due after 4 h: overdue now
    answered = open_one(cases, "conversation:k2", opened_at=start)
    comment(cases, answered, "called back", actor="agent_03")  # first response given; resolution due in 2 days
    fresh = open_one(cases, "conversation:k3")
    set_status(cases, fresh, "resolved", actor="agent_03")
    ids = lambda **kw: sorted(c["case_id"] for c in cases.cases(**kw)[1])  # noqa: E731
    assert ids(overdue=True) == [late]
    assert ids(status="active") == sorted([late, answered])
    assert ids(status="resolved") == [fresh]
    assert ids(opened_since=now() - timedelta(hours=1)) == [fresh]
    assert ids(opened_until=now() - timedelta(hours=1)) == sorted([late, answered])
    assert ids(priority="high") == sorted([late, answered, fresh]) and ids(priority="low") == []
    counts = cases.case_counts()
    assert counts["status"] == {"open": 2, "resolved": 1}
    assert counts["priority"] == {"high": 2} and counts["team"] == {"team_care": 2}
    assert counts["overdue"] == {"active": 1}
    assert cases.case_counts(team_id="team_web")["status"] == {}


def test_an_operational_store_made_before_cases_carried_openers_gets_the_column(tmp_path):
    from sqlalchemy import create_engine, inspect

    from empathica.store.cases import CaseStore

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    CaseStore(engine)
    with engine.begin() as con:  # as a store created before the column existed
        con.exec_driver_sql('ALTER TABLE "cases" DROP COLUMN "opener"')
    assert "opener" not in {c["name"] for c in inspect(engine).get_columns("cases")}
    cases = CaseStore(engine)
    opener = {"opener_id": "k9#3", "text": "Es tut mir leid.", "language": "de", "reason_id": "act.opener.reason.language"}
    case_id = cases.open_case(rule_id="r", signal_id="s:1", title="t", priority="high", team_id=None,
                              first_response=timedelta(hours=1), resolution=timedelta(days=1), opener=opener)
    assert cases.case(case_id)["opener"] == opener
    assert cases.case(open_one(cases))["opener"] is None
    engine.dispose()
