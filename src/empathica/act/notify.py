"""Notifications: signed webhooks and e-mail through an outbox in the operational store, delivered with retries and
exponential back-off; and per-team digests in the team's language.

A webhook is a JSON ``POST`` carrying ``X-Empathica-Timestamp`` and ``X-Empathica-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``"<timestamp>.<body>"`` under the setting ``act_webhook_secret``; a receiver recomputes it
(:func:`signature`) and refuses old timestamps. Each notification is queued once (per rule, signal, channel and
target), so evaluating twice never notifies twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from empathica.act.rules import Rule, Team
from empathica.schema.results import DECIDE_OPPORTUNITIES
from empathica.store.cases import CaseStore, aware, now


@dataclass(frozen=True)
class Delivery:
    """How notifications leave: the webhook secret, the SMTP server, and the retry policy."""

    webhook_secret: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "empathica@localhost"
    attempts: int = 5
    backoff_seconds: float = 30.0
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings) -> "Delivery":
        return cls(webhook_secret=settings.act_webhook_secret, smtp_host=settings.act_smtp_host,
                   smtp_port=settings.act_smtp_port, smtp_sender=settings.act_smtp_sender,
                   attempts=settings.act_notify_attempts, backoff_seconds=settings.act_notify_backoff_seconds)


class NotificationWords(Protocol):
    """How notifications say their words in a team's language — alert and escalation subjects (``act.alert.*``),
    digests (``act.digest.*``) and their opportunities: the report layer's catalogues (``report.i18n.OpportunityText``)
    provide it to the server, the CLI and the run; Act, below the report, only calls it. ``languages``: those it has
    (a team's other language gets English)."""

    languages: tuple[str, ...]

    def text(self, message_id: str, values: dict, lang: str) -> str: ...

    def money(self, amount: float, currency: str, lang: str) -> str: ...


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``X-Empathica-Signature`` for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _targets(team: Team | None) -> list[tuple[str, str]]:
    if team is None:
        return []
    return [(channel, target) for channel, target in (("webhook", team.webhook), ("email", team.email)) if target]


def queue_alert(cases: CaseStore, *, rule: Rule, signal_id: str, team: Team | None, team_id: str | None,
                case_id: int | None, evidence: dict, say: NotificationWords | None) -> int:
    """Queue a rule's notification to its team's webhook and e-mail, its subject said through ``say`` in the team's
    language (``act.alert.*``); the number queued (0: no target, or queued before). The payload carries the
    subject's finding (``message_id``, ``values``) too, so a receiver may say it in another language."""
    title = f"{rule.name}: {evidence.get('customer_id') or signal_id.split(':', 1)[-1]}"
    event = "case_opened" if case_id else "alert"
    finding = {"message_id": f"act.alert.{'case_opened' if case_id else 'notice'}",
               "values": {"team": team_id or "-", "title": title}}
    subject = _said(say, finding, team)
    payload = {"event": event, "rule": rule.rule_id, "rule_name": rule.name, "signal_id": signal_id,
               "case_id": case_id, "team": team_id, "priority": rule.priority, "subject": subject, **finding,
               "evidence": evidence}
    return sum(cases.enqueue(dedup_key=f"{rule.rule_id}|{signal_id}|{channel}|{target}", channel=channel, target=target,
                             subject=subject, payload=payload) for channel, target in _targets(team))


def queue_escalation(cases: CaseStore, case: dict, breach: str, teams: dict[str, Team], *,
                     say: NotificationWords | None) -> int:
    """Queue the news of an escalated case to the team it now belongs to, said through ``say`` in its language."""
    team = teams.get(case["team_id"] or "")
    finding = {"message_id": "act.alert.escalated",
               "values": {"case_id": case["case_id"], "breach": {"id": f"act.breach.{breach}"}, "title": case["title"]}}
    subject = _said(say, finding, team)
    payload = {"event": "case_escalated", "case_id": case["case_id"], "breach": breach, "team": case["team_id"],
               "priority": case["priority"], "escalation_level": case["escalation_level"], "subject": subject,
               **finding}
    return sum(cases.enqueue(dedup_key=f"escalated|{case['case_id']}|{breach}|{channel}|{target}", channel=channel,
                             target=target, subject=subject, payload=payload) for channel, target in _targets(team))


def _said(say: NotificationWords | None, finding: dict, team: Team | None) -> str:
    """A notification's subject in its team's language (English for another language); empty without ``say`` (the
    payload's finding still says it)."""
    if say is None:
        return ""
    language = team.language if team and team.language in say.languages else "en"
    return say.text(finding["message_id"], finding["values"], language)


def deliver(cases: CaseStore, delivery: Delivery, *, at: datetime | None = None) -> dict[str, int]:
    """Send every due notification once; a failure is retried after ``backoff · 2^(attempt-1)`` until
    ``attempts`` are spent, then marked failed with its last error."""
    at = at or now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for item in cases.due_notifications(at):
        try:
            if item["channel"] == "webhook":
                _post(item, delivery)
            else:
                _mail(item, delivery)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            attempts = item["attempts"] + 1
            error = f"{type(exc).__name__}: {exc}"[:1000]
            if attempts >= delivery.attempts:
                cases.mark_notification(item["notification_id"], attempts=attempts, status="failed", last_error=error)
                counts["failed"] += 1
            else:
                wait = timedelta(seconds=delivery.backoff_seconds * 2 ** (attempts - 1))
                cases.mark_notification(item["notification_id"], attempts=attempts, next_attempt_at=at + wait,
                                        last_error=error)
                counts["retry"] += 1
            continue
        cases.mark_notification(item["notification_id"], attempts=item["attempts"] + 1, status="sent", sent_at=now())
        counts["sent"] += 1
    return counts


def _post(item: dict, delivery: Delivery) -> None:
    body = item["payload"].encode("utf-8")
    stamp = str(int(now().timestamp()))
    request = urllib.request.Request(item["target"], data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "empathica-webhook",
        "X-Empathica-Timestamp": stamp, "X-Empathica-Signature": signature(delivery.webhook_secret, stamp, body)})
    try:
        with urllib.request.urlopen(request, timeout=delivery.timeout_seconds) as response:
            if not 200 <= response.status < 300:
                raise ValueError(f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise ValueError(f"HTTP {exc.code} from {item['target']}") from None


def _mail(item: dict, delivery: Delivery) -> None:
    if not delivery.smtp_host:
        raise ValueError("no SMTP server: set act_smtp_host (and act_smtp_port)")
    payload = json.loads(item["payload"])
    message = EmailMessage()
    message["From"] = delivery.smtp_sender
    message["To"] = item["target"]
    message["Subject"] = item["subject"] or "Empathica"
    message.set_content(payload.get("text") or json.dumps(payload, ensure_ascii=False, indent=2))
    with smtplib.SMTP(delivery.smtp_host, delivery.smtp_port, timeout=delivery.timeout_seconds) as smtp:
        smtp.send_message(message)


#: How many of its top opportunities a team's digest lists.
DIGEST_OPPORTUNITIES = 5


def team_opportunities(store) -> dict[str, list[dict]]:
    """Each owner team's top DIGEST_OPPORTUNITIES opportunities of the latest run (Decide's ranking: rank, key,
    kind, customers, revenue at stake when shown, and the finding that names it); empty before Decide ran."""
    if store is None or not store.has_result(DECIDE_OPPORTUNITIES):
        return {}
    rows = store.result(DECIDE_OPPORTUNITIES).select(
        "rank", "key", "kind", "message_id", "values", "customers", "revenue", "currency", "money_shown",
        "owner_team_id").order_by("rank").to_pandas()
    found: dict[str, list[dict]] = {}
    for row in rows.to_dict("records"):
        mine = found.setdefault(row.pop("owner_team_id") or "", [])
        if len(mine) < DIGEST_OPPORTUNITIES:
            mine.append({k: _plain(v) for k, v in row.items()})
    found.pop("", None)
    return found


def _plain(value):
    """A value of a result row as JSON can hold it (numpy scalars as Python's, NaN as None)."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


#: The priorities in the order a digest counts them.
_PRIORITIES = ("urgent", "high", "normal", "low")


def _opportunity_lines(opportunities: list[dict], language: str, say: NotificationWords) -> list[str]:
    """The team's opportunities as digest lines: rank, what to fix (the finding in the team's language; the key
    when it has none), customers and the revenue at stake when shown."""
    lines = [say.text("act.digest.opportunities", {}, language)] if opportunities else []
    for item in opportunities:
        values = json.loads(item["values"]) if isinstance(item.get("values"), str) and item["values"] else {}
        what = say.text(item["message_id"], values, language) if item.get("message_id") else item["key"]
        shown = item.get("money_shown") and item.get("revenue") is not None
        said = {"rank": item["rank"], "what": what, "customers": item["customers"]}
        if shown:
            said["revenue"] = say.money(item["revenue"], item["currency"] or "EUR", language)
        lines.append("- " + say.text("act.digest.opportunity_money" if shown else "act.digest.opportunity", said, language))
    return lines


def digest(cases: CaseStore, team_id: str, *, say: NotificationWords, language: str = "en", end: datetime | None = None,
           days: int = 7, opportunities: list[dict] | None = None) -> dict:
    """A team's digest of the last ``days``, said through ``say`` in the team's language (English when ``say`` lacks
    it): its top opportunities (:func:`team_opportunities`), cases opened, still open, closed, SLA met, open cases by
    priority and the next due."""
    end = end or now()
    start = end - timedelta(days=days)
    language = language if language in say.languages else "en"
    _, rows = cases.cases(team_id=team_id, limit=1_000_000)
    opened = [r for r in rows if start <= r["opened_at"] <= end]
    closed = [r for r in rows if r["closed_at"] and start <= r["closed_at"] <= end]
    active = [r for r in rows if r["status"] in ("open", "in_progress")]
    first = [aware(r["first_response_at"]) <= r["first_response_due"] for r in opened if r["first_response_at"]]
    resolved = [aware(r["resolved_at"]) <= r["resolution_due"] for r in opened if r["resolved_at"]]
    by_priority = {p: sum(r["priority"] == p for r in active) for p in _PRIORITIES}
    figures = {"opened": len(opened), "active": len(active), "closed": len(closed),
               "first_response_met": sum(first) / len(first) if first else None,
               "resolution_met": sum(resolved) / len(resolved) if resolved else None, "by_priority": by_priority}

    def said(message_id: str, **values) -> str:
        return say.text(f"act.digest.{message_id}", values, language)

    lines = [said("intro", team=team_id, start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}"), ""]
    lines += _opportunity_lines(opportunities or [], language, say)
    figures["opportunities"] = opportunities or []
    if not rows:
        lines.append(said("none"))
    lines += [said("opened", n=len(opened)), said("active", n=len(active)), said("closed", n=len(closed)),
              said("first_response", share=figures["first_response_met"]),
              said("resolution", share=figures["resolution_met"]), said("by_priority", **by_priority)]
    for case in sorted(active, key=lambda r: r["resolution_due"])[:10]:
        lines.append("- " + said("case", case_id=case["case_id"], title=case["title"],
                                 priority={"id": f"act.priority.{case['priority']}"},
                                 due=f"{case['resolution_due']:%Y-%m-%d %H:%M}"))
    return {"team": team_id, "language": language, "start": start.isoformat(), "end": end.isoformat(),
            "subject": said("subject", team=team_id), "text": "\n".join(lines), "figures": figures}


def queue_digests(cases: CaseStore, *, say: NotificationWords, end: datetime | None = None, days: int = 7,
                  store=None) -> int:
    """Queue every team's digest (once per team and period) to its e-mail and webhook; with the analytics
    ``store``, each lists the team's top opportunities."""
    end = end or now()
    queued = 0
    opportunities = team_opportunities(store)
    for team_id, team in cases.teams().items():
        content = digest(cases, team_id, language=team["language"], end=end, days=days,
                         opportunities=opportunities.get(team_id), say=say)
        targets = _targets(Team(team_id=team_id, language=team["language"], email=team["email"], webhook=team["webhook"]))
        for channel, target in targets:
            queued += cases.enqueue(dedup_key=f"digest|{team_id}|{end:%Y-%m-%d}|{days}|{channel}|{target}",
                                    channel=channel, target=target, subject=content["subject"],
                                    payload={"event": "digest", **content})
    return queued
