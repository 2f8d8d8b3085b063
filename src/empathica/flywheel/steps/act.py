"""The Act step: evaluate the stored rules on this run's results (opening cases in the operational store), store
what the rules did and the cases as results, and show them in the report from those stored rows."""

from __future__ import annotations

import pandas as pd

from empathica.errors import NotEnoughDataError
from empathica.flywheel.registry import RunContext, step
from empathica.report import Finding, Metric, Paragraph, Section, TableBlock
from empathica.report.i18n import OpportunityText
from empathica.schema.results import ACT_CASES, ACT_RULES


@step("act", title="Act: rules and cases", order=90, reads=("conversations", "feedback", "touchpoints"))
def act(ctx: RunContext) -> Section:
    from empathica.act.engine import evaluate_pending, stored_rules
    from empathica.act.service import open_cases_store

    ops = open_cases_store(ctx.store, ctx.settings, only_existing=True)
    if ops is None:
        raise NotEnoughDataError("no rules: load a rule file with `empathica act rules load FILE --db DB` "
                                 "(the demo loads its own).", reason_id="act.not_run.no_rules")
    try:
        rules = stored_rules(ops.cases)
        if not rules:
            raise NotEnoughDataError("no rules: load a rule file with `empathica act rules load FILE --db DB`.",
                                     reason_id="act.not_run.no_rules")
        evaluation = evaluate_pending(ctx.store, ops.cases, reason="run", detail=ctx.store.run_id or "",
                                      say=OpportunityText())
        _, cases = ops.cases.cases(limit=1_000_000)
    finally:
        ops.close()
    ctx.store.write_result(ACT_RULES, _rule_rows(rules, evaluation, cases), step="act",
                           description="What each rule matched and opened.")
    ctx.store.write_result(ACT_CASES, _case_rows(cases), step="act", description="Cases opened by rules.")
    return _section(ctx.store.read_result(ACT_RULES), ctx.store.read_result(ACT_CASES))


def _rule_rows(rules, evaluation, cases: list[dict]) -> pd.DataFrame:
    rows = []
    for rule in rules:
        mine = [c for c in cases if c["rule_id"] == rule.rule_id]
        rows.append({"rule_id": rule.rule_id, "name": rule.name, "on": rule.on, "actions": ", ".join(rule.actions),
                     "priority": rule.priority, "matched": evaluation.matched.get(rule.rule_id, 0) if evaluation else 0,
                     "opened_now": evaluation.opened.get(rule.rule_id, 0) if evaluation else 0,
                     "cases_total": len(mine), "cases_active": sum(c["status"] in ("open", "in_progress") for c in mine)})
    return pd.DataFrame(rows, columns=ACT_RULES.column_names)


def _case_rows(cases: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(cases, columns=[c for c in ACT_CASES.column_names])
    for column in ("opened_at", "resolution_due", "resolved_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.astype({"case_id": "int64", "escalation_level": "int64"})


def _section(rules: pd.DataFrame, cases: pd.DataFrame) -> Section:
    section = Section(key="act", title="Act: rules and cases")
    active = cases[cases.status.isin(["open", "in_progress"])]
    section.summary.append(Finding("act.headline.cases", {"rules": len(rules), "cases": int(rules.cases_total.sum()),
                                                          "active": len(active)}))  # totals: no one row says them
    for rule in rules.itertuples():
        section.summary.append(Finding("act.rule.cases", {"name": rule.name, "cases_total": int(rule.cases_total),
                                                          "opened_now": int(rule.opened_now)},
                                       source=ACT_RULES.name, row={"rule_id": rule.rule_id}))
    by_team = (cases.assign(team_id=cases.team_id.fillna("(none)")).groupby(["team_id", "priority", "status"])
               .size().rename("cases").reset_index())
    section.add(
        Metric(Finding("act.metric.open"), Finding("value.int", {"v": len(active)}), f"result `{ACT_CASES.name}`"),
        Metric(Finding("act.metric.rules"), Finding("value.int", {"v": len(rules)}), f"result `{ACT_RULES.name}`"),
        Paragraph(Finding("act.method")),
        TableBlock(rules.drop(columns=["run_id"], errors="ignore"), Finding("act.caption.rules"),
                   source=f"result `{ACT_RULES.name}`"),
        TableBlock(by_team, Finding("act.caption.by_team"), source=f"result `{ACT_CASES.name}`"),
        TableBlock(active.drop(columns=["run_id"], errors="ignore").sort_values(["priority", "opened_at"]).head(30),
                   Finding("act.caption.open", {"n": 30}), source=f"result `{ACT_CASES.name}`"),
    )
    return section
