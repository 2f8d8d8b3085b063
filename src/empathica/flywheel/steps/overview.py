"""The report's opening section: what data the store holds and what was quarantined."""

from __future__ import annotations

import json

import pandas as pd

from empathica.flywheel.registry import RunContext, step
from empathica.listen.reasons import reason_finding
from empathica.report import Finding, FindingsTable, Metric, Paragraph, Section, TableBlock
from empathica.store import QUARANTINE
from empathica.store.status import store_status


@step("overview", title="Data overview", order=0)
def overview(ctx: RunContext) -> Section:
    status = store_status(ctx.store)
    tables = pd.DataFrame(status["tables"])
    tables[["from", "to"]] = tables[["from", "to"]].astype(object).where(tables[["from", "to"]].notna(), "—")
    section = Section(key="overview", title="Data overview")
    total = int(tables["rows"].sum()) if len(tables) else 0
    quarantined = sum(r["rows"] for r in status["quarantine"])
    section.summary.append(Finding("overview.headline", {"rows": total, "tables": int((tables["rows"] > 0).sum()),
                                                         "quarantined": quarantined}))
    section.add(
        Metric(Finding("overview.metric.stored"), Finding("value.int", {"v": total}), "canonical tables"),
        Metric(Finding("overview.metric.quarantined"), Finding("value.int", {"v": quarantined}), f"table `{QUARANTINE}`"),
        Paragraph(Finding("overview.nothing_dropped")),
        TableBlock(tables, Finding("overview.caption.tables"), source="canonical tables"),
    )
    if status["unredacted_files"] or not status["redact_pii"]:
        files = ", ".join(status["unredacted_files"])
        section.summary.append(Finding("overview.unredacted", {"files": files}))
        section.add(Paragraph(Finding("overview.unredacted_warning", {"files": files})))
    if status["quarantine"]:
        refused = pd.DataFrame(status["quarantine"])
        found = [reason_finding(r) for r in refused["reason"]]  # each reason as a finding, said in the report's language
        refused = refused.assign(message_id=[f["id"] for f in found],
                                 values=[json.dumps(f["values"], ensure_ascii=False) for f in found])
        section.add(FindingsTable(refused, {"table": "text", "message_id": "finding", "rows": "int"}, "overview.caption.quarantine",
                                  source=f"table `{QUARANTINE}`", max_rows=50, headers={"message_id": "dashboard.column.reason"}))
    return section
