"""Notifications against receivers this test starts on 127.0.0.1: signed webhooks with retries and back-off, e-mail
over SMTP, and a team digest in the team's language."""

from __future__ import annotations

import email
import json
import socket
import socketserver
import threading
from datetime import datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from empathica.act.notify import Delivery, deliver, digest, queue_digests, signature
from empathica.store.cases import now
from empathica.store.operational import OperationalStore

SECRET = "test-secret"


@pytest.fixture
def cases(tmp_path):
    ops = OperationalStore(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    yield ops.cases
    ops.close()


@pytest.fixture
def webhook():
    """A receiver that answers 500 to the first two requests, then 200; it keeps every request."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(500 if len(received) <= 2 else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp():
    """A minimal SMTP receiver: it accepts every message and keeps it."""
    messages = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 localhost test\r\n")
            data, in_data = [], False
            for raw in self.rfile:
                line = raw.decode("utf-8", "replace")
                if in_data:
                    if line.rstrip("\r\n") == ".":
                        in_data = False
                        messages.append("".join(data).encode("utf-8"))
                        data = []
                        self.wfile.write(b"250 OK\r\n")
                    else:
                        data.append(line[1:] if line.startswith("..") else line)
                    continue
                verb = line[:4].upper()
                if verb == "EHLO" or verb == "HELO":
                    self.wfile.write(b"250 localhost\r\n")
                elif verb == "DATA":
                    in_data = True
                    self.wfile.write(b"354 go ahead\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], messages
    server.shutdown()
    server.server_close()


def test_a_webhook_is_signed_and_retried_with_back_off_until_it_is_delivered(cases, webhook):
    url, received = webhook
    assert cases.enqueue(dedup_key="r|s|webhook", channel="webhook", target=url, subject="New case", payload={"case_id": 7})
    assert not cases.enqueue(dedup_key="r|s|webhook", channel="webhook", target=url, subject="New case", payload={})
    delivery = Delivery(webhook_secret=SECRET, attempts=5, backoff_seconds=60)
    start = now()
    assert deliver(cases, delivery, at=start) == {"sent": 0, "retry": 1, "failed": 0}
    assert deliver(cases, delivery, at=start + timedelta(seconds=30)) == {"sent": 0, "retry": 0, "failed": 0}  # backing off
    assert deliver(cases, delivery, at=start + timedelta(seconds=61)) == {"sent": 0, "retry": 1, "failed": 0}
    assert deliver(cases, delivery, at=start + timedelta(seconds=61 + 119)) == {"sent": 0, "retry": 0, "failed": 0}
    assert deliver(cases, delivery, at=start + timedelta(seconds=61 + 121)) == {"sent": 1, "retry": 0, "failed": 0}
    (item,) = cases.notifications()
    assert item["status"] == "sent" and item["attempts"] == 3 and len(received) == 3
    headers, body = received[-1]
    assert json.loads(body) == {"case_id": 7}
    assert headers["X-Empathica-Signature"] == signature(SECRET, headers["X-Empathica-Timestamp"], body)
    assert headers["X-Empathica-Signature"] != signature("another secret", headers["X-Empathica-Timestamp"], body)


def test_an_unreachable_webhook_fails_after_its_attempts(cases):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cases.enqueue(dedup_key="x", channel="webhook", target=f"http://127.0.0.1:{port}/", subject="s", payload={})
    delivery = Delivery(webhook_secret=SECRET, attempts=2, backoff_seconds=1, timeout_seconds=2)
    deliver(cases, delivery)
    assert deliver(cases, delivery, at=now() + timedelta(seconds=5)) == {"sent": 0, "retry": 0, "failed": 1}
    (item,) = cases.notifications()
    assert item["status"] == "failed" and item["attempts"] == 2 and item["last_error"]


def test_a_team_digest_is_mailed_in_the_teams_language(cases, smtp):
    from empathica.report.i18n import OpportunityText

    say = OpportunityText()  # the report's catalogues, as the server and the CLI hand them to Act
    port, messages = smtp
    cases.save_team("team_care", language="de", email="care@example.com", webhook=None)
    opened = cases.open_case(rule_id="r", signal_id="s:1", title="Kundin verärgert", priority="high", team_id="team_care",
                             first_response=timedelta(hours=4), resolution=timedelta(days=2), customer_id="c1")
    content = digest(cases, "team_care", language="de", say=say)
    assert content["figures"]["opened"] == 1 and content["figures"]["active"] == 1
    assert "Eröffnete Fälle: 1" in content["text"] and f"#{opened} Kundin verärgert (Priorität hoch, fällig" in content["text"]
    assert "Offene Fälle nach Priorität: dringend 0, hoch 1, normal 0, niedrig 0" in content["text"]
    start = datetime.fromisoformat(content["start"])
    assert f"vom {start:%d.%m.%Y} bis" in content["text"]  # dates as Germans write them
    chinese = digest(cases, "team_care", language="zh", say=say)
    assert chinese["subject"] == "Empathica 每周摘要：team_care" and "新开案例：1" in chinese["text"]
    assert f"#{opened} Kundin verärgert（优先级 高，截止" in chinese["text"] and "紧急 0，高 1，普通 0，低 0" in chinese["text"]
    assert queue_digests(cases, say=say) == 1 and queue_digests(cases, say=say) == 0  # once per team and period
    sent = deliver(cases, Delivery(smtp_host="127.0.0.1", smtp_port=port, smtp_sender="empathica@test"))
    assert sent == {"sent": 1, "retry": 0, "failed": 0}
    (raw,) = messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "care@example.com" and message["Subject"] == "Empathica-Wochenübersicht für team_care"
    assert "Eröffnete Fälle: 1" in message.get_content()


def test_english_is_the_fallback_language(cases):
    from empathica.report.i18n import OpportunityText

    said = digest(cases, "team_x", language="fr", say=OpportunityText())
    assert said["subject"] == "Empathica weekly digest for team_x" and said["language"] == "en"
    assert "No cases in this period." in said["text"] and "First responses on time: –" in said["text"]


def test_a_digest_lists_the_top_opportunities_the_team_owns_in_its_language(cases, world, tmp_path):
    import shutil

    import pandas as pd

    from empathica.act.notify import DIGEST_OPPORTUNITIES, team_opportunities
    from empathica.report.i18n import OpportunityText
    from empathica.schema.results import DECIDE_OPPORTUNITIES
    from empathica.store import Store

    from tests.act.conftest import settings_for

    db = tmp_path / "world.duckdb"
    shutil.copy(world, db)
    defaults = {"string": "", "int": 0, "float": 0.0, "bool": False, "json": "{}"}
    owners = ["team_web"] + ["team_care"] * 7  # Decide's ranking: the web team's first, then seven of care's
    rows = pd.DataFrame([{**{c: defaults[k] for c, k in DECIDE_OPPORTUNITIES.columns},
                          "rank": n + 1, "key": f"pathway:step{n}", "customers": 10 * (n + 1), "revenue": 1000.0 * (n + 1),
                          "currency": "EUR", "money_shown": n == 1, "owner_team_id": owner}
                         for n, owner in enumerate(owners)])
    with Store.open(db, settings=settings_for(db)) as store:
        assert team_opportunities(store) == {}  # before Decide ran
        store.runs.begin(steps=["decide"])
        store.write_result(DECIDE_OPPORTUNITIES, rows, step="decide")
        store.runs.publish()
        found = team_opportunities(store)
        cases.save_team("team_care", language="de", email=None, webhook="http://127.0.0.1:9/hook")
        assert queue_digests(cases, store=store, say=OpportunityText()) == 1
    assert [o["rank"] for o in found["team_care"]] == [2, 3, 4, 5, 6][:DIGEST_OPPORTUNITIES]
    assert [o["rank"] for o in found["team_web"]] == [1]
    text = digest(cases, "team_care", language="de", opportunities=found["team_care"], say=OpportunityText())["text"]
    assert "Ihre wichtigsten Chancen" in text and "- 2. pathway:step1 (20 Kunden, 2.000 € auf dem Spiel)" in text
    assert "- 3. pathway:step2 (30 Kunden)" in text and "pathway:step0" not in text  # money only where shown
    (item,) = cases.notifications()
    assert [o["key"] for o in json.loads(item["payload"])["figures"]["opportunities"]][:2] == ["pathway:step1",
                                                                                                "pathway:step2"]
    # the finding said in German (from the report's catalogues, as the server and the CLI do), never the key
    said = [dict(o, message_id="decide.opportunity.pathway", values=json.dumps({"source": "Kasse", "target": "Hotline"}))
            for o in found["team_care"]]
    text = digest(cases, "team_care", language="de", opportunities=said, say=OpportunityText())["text"]
    assert "pathway:step" not in text and "2.000" in text and "€" in text
    assert "- 2. Reibung von Kasse zu Hotline (20 Kunden" in text
    chinese = digest(cases, "team_care", language="zh", opportunities=said, say=OpportunityText())["text"]
    assert "您负责的重点机会" in chinese and "（20 位客户，涉及金额 €2,000）" in chinese


#: A rule that opens a case and notifies its team; its alerts and escalations are said in the team's language.
NOTIFY_RULE = {"id": "detractor_alert", "name": "Detractor", "on": "feedback", "actions": ["case", "notify"],
               "team": "team_care", "first_response": "1h", "resolution": "2d",
               "condition": [{"field": "nps", "op": "<=", "value": 3}]}


@pytest.mark.parametrize("lang, opened, notice, escalated", [
    ("de", "Neuer Fall für team_care: Detractor: c1", "Hinweis für team_care: Detractor: c1",
     "Fall {case_id} eskaliert (SLA Erstreaktion verletzt): Detractor: c1"),
    ("zh", "team_care 的新案例：Detractor: c1", "team_care 的提醒：Detractor: c1",
     "案例 {case_id} 已升级（首次响应 SLA 超时）：Detractor: c1"),
    ("fr", "New case for team_care: Detractor: c1", "Alert for team_care: Detractor: c1",  # no French: English
     "Case {case_id} escalated (first response SLA breached): Detractor: c1"),
])
def test_alert_and_escalation_subjects_are_said_in_the_teams_language(cases, lang, opened, notice, escalated):
    from empathica.act.cases import check_slas
    from empathica.act.engine import stored_teams
    from empathica.act.notify import queue_alert, queue_escalation
    from empathica.act.rules import parse_rule
    from empathica.act.signals import signal_fields
    from empathica.report.i18n import OpportunityText

    say = OpportunityText()  # the report's catalogues, handed down to Act by the server, the CLI and the run
    rule = parse_rule(NOTIFY_RULE, known_fields=signal_fields)
    cases.save_team("team_care", language=lang, email="care@example.com", webhook=None)
    teams = stored_teams(cases)
    case_id = cases.open_case(rule_id=rule.rule_id, signal_id="feedback:f1", title="Detractor: c1", priority="normal",
                              team_id="team_care", first_response=rule.first_response, resolution=rule.resolution,
                              customer_id="c1", opened_at=now() - timedelta(hours=2))
    for opened_id, signal in ((case_id, "feedback:f1"), (None, "feedback:f9")):
        assert queue_alert(cases, rule=rule, signal_id=signal, team=teams["team_care"], team_id="team_care",
                           case_id=opened_id, evidence={"customer_id": "c1"}, say=say) == 1
    late = check_slas(cases, on_escalation=lambda case, kind: queue_escalation(cases, case, kind, teams, say=say))
    assert [c["breach"] for c in late] == ["first_response"]
    queued = cases.notifications()
    assert [n["subject"] for n in queued] == [opened, notice, escalated.format(case_id=case_id)]
    payloads = [json.loads(n["payload"]) for n in queued]  # the finding travels too, for a receiver's own language
    assert [p["message_id"] for p in payloads] == ["act.alert.case_opened", "act.alert.notice", "act.alert.escalated"]
    assert payloads[2]["values"]["breach"] == {"id": "act.breach.first_response"}


def test_an_evaluation_says_its_alerts_through_the_words_handed_to_it(cases, world, tmp_path):
    """The evaluation (below the report) gets the report's words from its caller: the German team's subjects."""
    from empathica.act.engine import evaluate, install_rules
    from empathica.act.rules import RuleSet, parse_rule
    from empathica.act.signals import signal_fields
    from empathica.report.i18n import OpportunityText
    from empathica.store import Store

    from tests.act.conftest import settings_for

    rule = parse_rule(NOTIFY_RULE, known_fields=signal_fields)
    install_rules(cases, RuleSet(rules=(rule,)), source="test")
    cases.save_team("team_care", language="de", email=None, webhook="http://127.0.0.1:9/hook")
    with Store.open(world, settings=settings_for(world), read_only=True) as store:
        report = evaluate(store, cases, say=OpportunityText())
    detractors = sorted(c["customer_id"] for c in cases.cases(limit=100)[1])
    assert report.notified == {"detractor_alert": len(detractors)} and len(detractors) >= 2
    assert sorted(n["subject"] for n in cases.notifications()) == [f"Neuer Fall für team_care: Detractor: {c}"
                                                                   for c in detractors]


def test_a_case_opens_without_its_opener_when_the_opener_cannot_be_chosen(cases, world, monkeypatch, caplog):
    from empathica.act import engine
    from empathica.act.rules import RuleSet, parse_rule
    from empathica.act.signals import signal_fields
    from empathica.store import Store

    from tests.act.conftest import settings_for

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(engine, "case_openers", broken)
    engine.install_rules(cases, RuleSet(rules=(parse_rule(NOTIFY_RULE, known_fields=signal_fields),)), source="test")
    with Store.open(world, settings=settings_for(world), read_only=True) as store:
        report = engine.evaluate(store, cases)
    assert report.cases_opened >= 2 and all(c["opener"] is None for c in cases.cases(limit=100)[1])
    assert "could not be chosen" in caplog.text
