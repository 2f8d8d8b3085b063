"""The executive summary: one screen, built from the stored ranking alone (result ``decide_opportunities``).

The 3–5 opportunities to act on (money with its interval, owner, confidence, a link to the evidence),
the data's freshness, and what changed since the last run. When the churn model validated near chance
it names no money and says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from empathica.report.i18n import Finding
from empathica.schema.results import DECIDE_MODEL, DECIDE_OPPORTUNITIES, DECIDE_PROTECT

#: Opportunities the summary names (those with money shown, best first).
TOP = 5
#: Timestamped canonical tables whose latest row says how fresh the data is.
FRESHNESS_TABLES = ("events", "feedback", "transactions", "turns")


@dataclass
class SummaryItem:
    finding: Finding
    anchor: str  # the evidence section's id in the report


@dataclass
class ExecutiveSummary:
    items: list[SummaryItem] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # gates, freshness, changes


def executive_summary(store) -> ExecutiveSummary:
    """The summary of the store's last run (empty items and a note when nothing was ranked)."""
    summary = ExecutiveSummary()
    if not store.has_result(DECIDE_OPPORTUNITIES):
        summary.notes.append(Finding("summary.not_ranked"))
        summary.notes.extend(_freshness(store))
        return summary
    ranking = store.read_result(DECIDE_OPPORTUNITIES)
    model = store.read_result(DECIDE_MODEL).iloc[0] if store.has_result(DECIDE_MODEL) else None
    if model is not None and not bool(model["usable"]):
        summary.notes.append(Finding("decide.gate.model", {"auc": float(model["roc_auc"]), "min_auc": float(model["min_auc"])},
                                     source=DECIDE_MODEL.name, row={"roc_auc": float(model["roc_auc"])}))
    shown = ranking[ranking["money_shown"].astype(bool)].head(TOP) if len(ranking) else ranking
    for row in shown.itertuples():
        summary.items.append(SummaryItem(opportunity_finding(row), anchor=f"{row.evidence_section}"))
    if len(ranking) and shown.empty and (model is None or bool(model["usable"])):
        summary.notes.append(Finding("summary.none_clear", {"candidates": len(ranking)}))
    if model is None or bool(model["usable"]):  # with the gate above, the summary names no money at all
        summary.notes.extend(_protect(store))
    summary.notes.extend(_freshness(store))
    summary.notes.extend(_changes(ranking))
    return summary


def opportunity_finding(row) -> Finding:
    """The one-sentence finding of a ranking row: what, money with interval, owner, confidence."""
    return Finding("summary.item", {
        "what": {"id": row.message_id, "values": json.loads(row.values)},
        "revenue": float(row.revenue), "revenue_low": float(row.revenue_low), "revenue_high": float(row.revenue_high),
        "customers": int(row.customers), "owner": row.owner if isinstance(row.owner, str) else {"id": "owner.none"},
        "confidence": {"id": f"grade.{row.confidence}"},
    }, source=DECIDE_OPPORTUNITIES.name, row={"rank": int(row.rank)})


def _protect(store) -> list[Finding]:
    """Whom to protect: the first at-risk group with money shown (ranked apart from the fixes: the same money)."""
    if not store.has_result(DECIDE_PROTECT):
        return []
    protect = store.read_result(DECIDE_PROTECT)
    shown = protect[protect["money_shown"].astype(bool)] if len(protect) else protect
    if shown.empty:
        return []
    return [protect_finding(shown.iloc[0])]


def protect_finding(row: pd.Series) -> Finding:
    """The headline of a "whom to protect" row: the group, its money with interval, how many the top fixes concern."""
    return Finding("decide.headline.protect", {
        "what": {"id": row["message_id"], "values": json.loads(row["values"])}, "customers": int(row["customers"]),
        "concerned_by_fixes": int(row["concerned_by_fixes"]), "revenue": float(row["revenue"]),
        "revenue_low": float(row["revenue_low"]), "revenue_high": float(row["revenue_high"])},
        source=DECIDE_PROTECT.name, row={"rank": int(row["rank"])})


def _freshness(store) -> list[Finding]:
    latest = []
    for name in FRESHNESS_TABLES:
        if store.has_table(name) and store.count(name) and "timestamp" in store.table(name).columns:
            t = store.table(name)
            latest.append(pd.Timestamp(t.timestamp.max().execute()))
    if not latest:
        return []
    return [Finding("summary.freshness", {"latest": max(latest).date().isoformat()})]


def _changes(ranking: pd.DataFrame) -> list[Finding]:
    if ranking.empty or ranking["previous_rank"].isna().all():
        return [Finding("summary.first_run")]
    top = ranking[ranking["money_shown"].astype(bool)].head(TOP)
    new = top[top["previous_rank"].isna() | (top["previous_rank"] > TOP)]
    if new.empty:
        return [Finding("summary.no_change", {"top": TOP})]
    return [Finding("summary.new_in_top", {"what": {"id": r.message_id, "values": json.loads(r.values)}, "rank": int(r.rank)})
            for r in new.itertuples()]
