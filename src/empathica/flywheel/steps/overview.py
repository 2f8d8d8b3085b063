"""The report's opening section: what data the store holds and what was quarantined."""

from __future__ import annotations

import pandas as pd

from empathica.flywheel.registry import RunContext, step
from empathica.report import Metric, Paragraph, Section, TableBlock
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
    section.summary.append(f"{total:,} rows stored in {int((tables['rows'] > 0).sum())} tables; {quarantined:,} rows quarantined.")
    section.add(
        Metric("rows stored", f"{total:,}", "all canonical tables"),
        Metric("rows quarantined", f"{quarantined:,}", f"table `{QUARANTINE}`"),
        Paragraph("Every input row is either stored in a canonical table or quarantined with the reason; nothing is dropped."),
        TableBlock(tables, "Rows and date range per table.", source="canonical tables"),
    )
    if status["unredacted_files"] or not status["redact_pii"]:
        files = ", ".join(status["unredacted_files"]) or "none yet"
        section.summary.append(f"Personal data NOT redacted (setting redact_pii off); files read without redaction: {files}.")
        section.add(Paragraph(f"Warning: personal data was not redacted (the setting redact_pii is off). "
                              f"Files read without redaction: {files}."))
    if status["quarantine"]:
        section.add(TableBlock(pd.DataFrame(status["quarantine"]), "Quarantined rows by table and reason.", source=f"table `{QUARANTINE}`"))
    return section
