"""`empathica act …` (rules, replay, evaluate, SLA checks, digests, a customer's context card) and `empathica cases …` (list, show, work a case,
SLA report)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime

import click

from empathica.cli.options import db_option
from empathica.settings import Settings
from empathica.store import Store


@contextmanager
def _stores(db: str, *, read_only: bool = True):
    from empathica.act.service import open_cases_store

    settings = Settings.load(db_path=db)
    with Store.open(db, settings=settings, read_only=read_only) as store:
        ops = open_cases_store(store, settings)
        try:
            yield store, ops.cases, settings
        finally:
            ops.close()


@click.group()
def act() -> None:
    """Act: rules that open cases, notify and tag; replay them over history; SLA checks and digests."""


@act.command("check")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False))
def check_rules(rules_file: str) -> None:
    """Check RULES_FILE (TOML) and list its rules; a mistake is reported with its line and field."""
    from empathica.act.engine import load_rule_file

    ruleset = load_rule_file(rules_file)
    for rule in ruleset.rules:
        conditions = " and ".join(c.describe() for c in rule.conditions)
        click.echo(f"{rule.rule_id}: on {rule.on} when {conditions} → {', '.join(rule.actions)} ({rule.priority})")
    click.echo(f"{len(ruleset.rules)} rules, {len(ruleset.teams)} teams: OK")


@act.command("load")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False))
@db_option
def load(rules_file: str, db: str) -> None:
    """Load the rules and teams of RULES_FILE into DB's operational store (a rule with the same id is replaced)."""
    from empathica.act.engine import install_rules, load_rule_file

    ruleset = load_rule_file(rules_file)
    with _stores(db) as (_, cases, _settings):
        count = install_rules(cases, ruleset, source=str(rules_file))
    click.echo(f"{count} rules loaded from {rules_file}.")


@act.command("rules")
@db_option
def list_rules(db: str) -> None:
    """The rules in force."""
    with _stores(db) as (_, cases, _settings):
        for rule in cases.rule_definitions():
            conditions = " and ".join(f"{c['field']} {c['op']} {c['value']!r}" for c in rule["condition"])
            click.echo(f"{rule['id']}: on {rule['on']} when {conditions} → {', '.join(rule['actions'])} "
                       f"[{rule.get('source')}]")


@act.command("replay")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="First day replayed (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def replay_cmd(rules_file: str, db: str, since: datetime, as_json: bool) -> None:
    """How many cases each rule of RULES_FILE would have opened since --since, per month; opens none."""
    from empathica.act.engine import load_rule_file, replay

    ruleset = load_rule_file(rules_file)
    with Store.open(db, settings=Settings.load(db_path=db), read_only=True) as store:
        rows = replay(store, list(ruleset.rules), since=since.date())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        if row["cases"] is None:
            click.echo(f"{row['rule']:<32} –  ({row['note']})")
            continue
        months = ", ".join(f"{m} {n}" for m, n in row["by_month"].items())
        who = f" ({row['customers']:,} customers)" if row["customers"] is not None else ""
        click.echo(f"{row['rule']:<32} {row['cases']:>7,} cases{who}" + (f"  by month: {months}" if months else ""))


@act.command("evaluate")
@db_option
def evaluate_cmd(db: str) -> None:
    """Evaluate the rules in force now (cases are opened once per rule and signal)."""
    from empathica.act.engine import evaluate_pending
    from empathica.report.i18n import OpportunityText

    with _stores(db) as (store, cases, _settings):
        report = evaluate_pending(store, cases, reason="cli", say=OpportunityText())
    for rule, matched in report.matched.items():
        click.echo(f"{rule:<32} matched {matched:>7,}  opened {report.opened.get(rule, 0):>6,}  "
                   f"tagged {report.tagged.get(rule, 0):>6,}  notified {report.notified.get(rule, 0):>6,}")


@act.command("tick")
@db_option
def tick(db: str) -> None:
    """Check SLAs (escalating breached cases) and deliver due notifications (what `empathica serve` does on its own)."""
    from empathica.act.cases import check_slas
    from empathica.act.engine import stored_teams
    from empathica.act.notify import Delivery, deliver, queue_escalation
    from empathica.report.i18n import OpportunityText

    with _stores(db) as (_, cases, settings):
        teams, say = stored_teams(cases), OpportunityText()
        escalated = check_slas(cases, on_escalation=lambda case, kind: queue_escalation(cases, case, kind, teams,
                                                                                        say=say))
        sent = deliver(cases, Delivery.from_settings(settings))
    click.echo(f"{len(escalated)} cases escalated; notifications sent {sent['sent']}, to retry {sent['retry']}, "
               f"failed {sent['failed']}.")


@act.command("digest")
@click.argument("team_id", required=False)
@db_option
@click.option("--days", default=None, type=click.IntRange(1, 366), help="Days covered (default: setting act_digest_days).")
@click.option("--send", is_flag=True, help="Queue every team's digest to its e-mail and webhook and deliver it.")
def digest_cmd(team_id: str | None, db: str, days: int | None, send: bool) -> None:
    """Print TEAM_ID's digest in the team's language, or send every team's digest (--send)."""
    from empathica.act.notify import Delivery, deliver, digest, queue_digests, team_opportunities
    from empathica.report.i18n import OpportunityText

    with _stores(db) as (store, cases, settings):
        days = days or settings.act_digest_days
        if send:
            queued = queue_digests(cases, days=days, store=store, say=OpportunityText())
            sent = deliver(cases, Delivery.from_settings(settings))
            click.echo(f"{queued} digests queued; sent {sent['sent']}, to retry {sent['retry']}, failed {sent['failed']}.")
            return
        if not team_id:
            raise click.UsageError("name a team, or use --send for every team.")
        language = cases.teams().get(team_id, {}).get("language", "en")
        content = digest(cases, team_id, language=language, days=days,
                         opportunities=team_opportunities(store).get(team_id), say=OpportunityText())
    click.echo(content["subject"])
    click.echo(content["text"])


@act.command("card")
@click.argument("customer_id")
@db_option
@click.option("--lang", default=None, type=click.Choice(["en", "de", "zh"]),
              help="Language of the reasons (default: the customer's, else English).")
def card_cmd(customer_id: str, db: str, lang: str | None) -> None:
    """A customer's context card as JSON — what `GET /customers/{id}/card` returns — built from the store now:
    journey, open cases, sentiment, pain points, values, churn risk and CLV with reasons, and the suggested opener."""
    from empathica.act.card import CardSnapshot, rejected_openers
    from empathica.serve.routes_act import said_card

    with _stores(db) as (store, store_cases, _settings):
        built = CardSnapshot.build(store, only=[customer_id], rejected=rejected_openers(store_cases.opener_feedback()))
        card = built.card(customer_id, open_cases=store_cases.active_cases_of(customer_id))
    if card is None:
        raise click.ClickException(f"no customer {customer_id!r} in {db}; `empathica status --db {db}` counts them.")
    click.echo(json.dumps(said_card(card, lang), ensure_ascii=False, indent=2, default=str))


@click.group()
def cases() -> None:
    """Cases opened by rules: list, show, assign, move, comment, SLA report."""


@cases.command("list")
@db_option
@click.option("--status", default=None, type=click.Choice(["open", "in_progress", "resolved", "closed", "active"]),
              help="active: open or in progress.")
@click.option("--team", default=None, help="Only this owner team's cases.")
@click.option("--assignee", default=None, help="Only this agent's cases.")
@click.option("--priority", default=None, type=click.Choice(["low", "normal", "high", "urgent"]))
@click.option("--overdue", is_flag=True, help="Only active cases past their first-response or resolution deadline.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
def list_cases(db: str, status: str | None, team: str | None, assignee: str | None, priority: str | None,
               overdue: bool, limit: int) -> None:
    """Cases, newest first."""
    with _stores(db) as (_, store_cases, _settings):
        total, rows = store_cases.cases(status=status, team_id=team, assignee=assignee, priority=priority,
                                        overdue=overdue, limit=limit)
    for c in rows:
        click.echo(f"#{c['case_id']:<5} {c['status']:<11} {c['priority']:<7} {c['team_id'] or '-':<16} "
                   f"{c['assignee'] or '-':<12} due {c['resolution_due']:%Y-%m-%d %H:%M}  {c['title']}")
    click.echo(f"{len(rows)} of {total} cases.")


@cases.command("show")
@click.argument("case_id", type=int)
@db_option
def show(case_id: int, db: str) -> None:
    """One case, its evidence and its audit trail."""
    with _stores(db) as (_, store_cases, _settings):
        case, events = store_cases.case(case_id), store_cases.events(case_id)
    for key in ("title", "rule_id", "signal_id", "customer_id", "team_id", "assignee", "priority", "status",
                "opened_at", "first_response_due", "resolution_due", "first_response_at", "resolved_at", "closed_at",
                "escalation_level", "root_cause", "outcome"):
        click.echo(f"{key:<20} {case[key] if case[key] is not None else '-'}")
    click.echo(f"{'evidence':<20} {json.dumps(case['evidence'], ensure_ascii=False)}")
    opener = case["opener"]
    click.echo(f"{'opener':<20} {opener['text'] if opener else '-'}")
    for e in events:
        change = f"{e['field']}: {e['old']} → {e['new']}" if e["field"] else ""
        click.echo(f"  {e['at']:%Y-%m-%d %H:%M:%S}  {e['actor']:<24} {e['action']:<14} {change} {e['note'] or ''}")


@cases.command("assign")
@click.argument("case_id", type=int)
@click.argument("assignee")
@db_option
@click.option("--team", default=None, help="Move the case to this team too.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who makes the change (for the audit trail).")
def assign_cmd(case_id: int, assignee: str, db: str, team: str | None, actor: str) -> None:
    """Give CASE_ID to ASSIGNEE."""
    from empathica.act.cases import assign

    with _stores(db) as (_, store_cases, _settings):
        case = assign(store_cases, case_id, assignee, actor=actor, team_id=team)
    click.echo(f"#{case_id} assigned to {case['assignee']} ({case['team_id']}).")


@cases.command("move")
@click.argument("case_id", type=int)
@click.argument("status", type=click.Choice(["open", "in_progress", "resolved", "closed"]))
@db_option
@click.option("--root-cause", default=None, help="Why it happened (required to close).")
@click.option("--outcome", default=None, help="What was done and how it ended (required to close).")
@click.option("--note", default="", help="A note for the audit trail.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who makes the change (for the audit trail).")
def move(case_id: int, status: str, db: str, root_cause: str | None, outcome: str | None, note: str, actor: str) -> None:
    """Move CASE_ID to STATUS (open reopens a resolved or closed case)."""
    from empathica.act.cases import set_status

    with _stores(db) as (_, store_cases, _settings):
        case = set_status(store_cases, case_id, status, actor=actor, root_cause=root_cause, outcome=outcome, note=note)
    click.echo(f"#{case_id} is {case['status']}.")


@cases.command("comment")
@click.argument("case_id", type=int)
@click.argument("text")
@db_option
@click.option("--by", "actor", default="cli", show_default=True, help="Who writes (for the audit trail).")
def comment_cmd(case_id: int, text: str, db: str, actor: str) -> None:
    """Add a note to CASE_ID (the first one is its first response)."""
    from empathica.act.cases import comment

    with _stores(db) as (_, store_cases, _settings):
        comment(store_cases, case_id, text, actor=actor)
    click.echo(f"#{case_id}: noted.")


@cases.command("sla")
@db_option
def sla(db: str) -> None:
    """Share of first responses and resolutions within SLA per team and agent, and hours in each status."""
    from empathica.act.cases import sla_report

    with _stores(db) as (_, store_cases, _settings):
        report = sla_report(store_cases)
    for name, frame in report.items():
        click.echo(f"\n{name}:")
        click.echo(frame.to_string(index=False, float_format=lambda v: f"{v:.2f}") if len(frame) else "  (none)")


COMMANDS = [act, cases]
