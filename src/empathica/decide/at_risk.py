"""At-risk customer groups as opportunities: the active customers most likely to leave, per segment.

A group is the active customers of one segment whose P(churn) (the value step's time-validated churn
model, result ``value_revenue_at_risk``) is in the top ``AT_RISK_SHARE`` of all active customers. Its
revenue at stake is what bringing their risk down to the typical active customer's (the median P(churn))
would keep:

    Σ over the group (P(churn) − median P(churn)) × CLV

with a 95 % interval from who actually leaves (± 1.96 √Σ p(1−p)·CLV², independent customers). The money
is only shown when the value step's churn model validated at ROC AUC ≥ 0.6 (its row of ``value_totals``).
The owner is the team that served most of the group's customers in conversations (none when no team did).

**Whom to protect, apart from what to fix.** An at-risk group is the same money as the fixes that would
retain its customers: a customer on the planted friction pathway who complains about delivery is at risk
*because* of them. Ranked among the fixes, the groups counted that money twice and pushed fixes out of the
top five. So the groups are ranked apart (result ``decide_protect``, its own headline), and each row says
how many of its customers the top fixes concern (``concerned_by_fixes``): for them, the fixes above are
the protection; the two lists are never added up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.decide.opportunities import MIN_CUSTOMERS, Lever
from empathica.decide.response import MIN_AUC, Valuation
from empathica.schema.results import VALUE_REVENUE_AT_RISK, VALUE_TOTALS
from empathica.store.names import display_name

#: Share of active customers, highest P(churn) first, that count as at risk.
AT_RISK_SHARE = 0.2


def _churn_model_quality(store) -> tuple[float, bool]:
    """(ROC AUC, usable) of the value step's churn model, from its row of ``value_totals``."""
    if not store.has_result(VALUE_TOTALS):
        return np.nan, False
    totals = store.read_result(VALUE_TOTALS).set_index("total")
    if "revenue_at_risk" not in totals.index:
        return np.nan, False
    row = totals.loc["revenue_at_risk"]
    auc = float(row["model_auc"]) if pd.notna(row["model_auc"]) else np.nan
    return auc, bool(row["shown"]) and bool(np.isfinite(auc) and auc >= MIN_AUC)


def at_risk_levers(store, table: pd.DataFrame, served: pd.DataFrame) -> list[Lever]:
    """One opportunity per segment with ``MIN_CUSTOMERS``+ active customers at risk, valued as above."""
    if not store.has_result(VALUE_REVENUE_AT_RISK):
        return []
    risk = store.read_result(VALUE_REVENUE_AT_RISK)
    active = risk[(risk["status"] == "active") & risk["p_churn"].notna()]
    if len(active) < MIN_CUSTOMERS:
        return []
    auc, usable = _churn_model_quality(store)
    threshold = float(active["p_churn"].quantile(1 - AT_RISK_SHARE))
    typical = float(active["p_churn"].median())
    at_risk = active[active["p_churn"] >= threshold]
    levers = []
    for segment, group in at_risk.groupby("segment"):
        ids = set(group["customer_id"].astype(str))
        affected = table["customer_id"].astype(str).isin(ids).to_numpy()
        if affected.sum() < MIN_CUSTOMERS:
            continue
        p, value = group["p_churn"].to_numpy(float), np.clip(np.nan_to_num(group["clv"].to_numpy(float)), 0.0, None)
        kept = float(((p - typical).clip(min=0) * value).sum())
        sd = float(np.sqrt((p * (1 - p) * value ** 2).sum()))
        valuation = Valuation(revenue=kept, low=kept - 1.96 * sd, high=kept + 1.96 * sd,
                              churn_change=float(-(p - typical).clip(min=0).mean()))
        owner = served.loc[served["customer_id"].astype(str).isin(ids), "team_id"].dropna().astype(str)
        levers.append(Lever(key=f"at_risk:{segment}", kind="at_risk", message_id="decide.opportunity.at_risk",
                            values={"segment": display_name("segment", segment), "p_churn": threshold}, affected=affected, change=lambda f: f,
                            owner_team_id=owner.mode().iloc[0] if len(owner) else None,
                            evidence=VALUE_REVENUE_AT_RISK.name, evidence_section="value", evidence_key=str(segment),
                            extra={"valuation": valuation, "auc": auc, "usable": usable}))
    return levers


def concerned_by_fixes(groups: list[Lever], fixes: list[Lever], ranking: pd.DataFrame, *, top: int) -> dict[str, int]:
    """Per at-risk group key: how many of its customers one of the ``top`` first fixes with money shown concerns."""
    shown = ranking[ranking["money_shown"].astype(bool)].head(top)["key"] if len(ranking) else pd.Series(dtype=str)
    chosen = [lever for lever in fixes if lever.key in set(shown)]
    if not chosen:
        return {g.key: 0 for g in groups}
    fixed = np.logical_or.reduce([lever.affected for lever in chosen])
    return {g.key: int((g.affected & fixed).sum()) for g in groups}


__all__ = ["AT_RISK_SHARE", "at_risk_levers", "concerned_by_fixes"]
