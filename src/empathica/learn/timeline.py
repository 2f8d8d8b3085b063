"""The flywheel over time: KPIs per stage and per CX dimension per month, with the actions on the line.

Months come from the data itself (the store keeps no history of runs yet): each KPI is computed for the
month its signals happened in, so a re-run adds no row twice and a late file fills its own month.

| stage | KPI |
|---|---|
| listen | feedback responses, conversations, reviews |
| understand | NPS (promoters − detractors, %), mean CSAT, customers recorded as churned, text sentiment |
| learn | actions started |
| CX dimension (journey stage of the touchpoint) | mean CSAT |
"""

from __future__ import annotations

import ibis
import pandas as pd

COLUMNS = ["month", "stage", "dimension", "kpi", "value", "n"]


def _monthly(t: ibis.Table, at: str, *, stage: str, kpi: str, value, dimension=None) -> ibis.Table:
    """Per month of ``at`` (and ``dimension(t)``): ``value(t)`` and the rows counted."""
    t = t.filter(t[at].notnull())
    dim = dimension(t) if dimension is not None else ibis.literal("all")
    g = t.group_by(month=t[at].strftime("%Y-%m"), dimension=dim)
    return g.aggregate(value=value(t).cast("float64"), n=t.count()).mutate(stage=ibis.literal(stage), kpi=ibis.literal(kpi))


def kpi_timeline(store, *, promoter: int, detractor: int) -> pd.DataFrame:
    """Rows (month, stage, dimension, kpi, value, n), month as YYYY-MM."""
    fb, cv, rv = store.table("feedback"), store.table("conversations"), store.table("reviews")
    nps = fb.filter(fb.nps.notnull())
    csat = fb.filter(fb.csat.notnull())
    parts = [
        _monthly(fb, "timestamp", stage="listen", kpi="feedback responses", value=lambda t: t.count()),
        _monthly(cv, "started_at", stage="listen", kpi="conversations", value=lambda t: t.count()),
        _monthly(rv, "timestamp", stage="listen", kpi="reviews", value=lambda t: t.count()),
        _monthly(nps, "timestamp", stage="understand", kpi="NPS",
                 value=lambda t: 100 * ((t.nps >= promoter).cast("float64").mean() - (t.nps <= detractor).cast("float64").mean())),
        _monthly(csat, "timestamp", stage="understand", kpi="CSAT", value=lambda t: t.csat.mean()),
    ]
    cu = store.table("customers")
    churned = cu.filter(cu.churned_at.notnull())
    parts.append(_monthly(churned, "churned_at", stage="understand", kpi="customers churned", value=lambda t: t.count()))
    tp = store.table("touchpoints").select("touchpoint_id", "journey_stage")
    by_stage = csat.join(tp, csat.touchpoint_id == tp.touchpoint_id)
    parts.append(_monthly(by_stage, "timestamp", stage="cx dimension", kpi="CSAT", value=lambda t: t.csat.mean(),
                          dimension=lambda t: t.journey_stage.fill_null("(none)")))
    if store.has_result("text_scores"):
        sc = store.table("result_text_scores")
        sc = sc.filter(sc.source_table == "feedback")
        scored = sc.join(fb, sc.source_id == fb.response_id)
        parts.append(_monthly(scored, "timestamp", stage="understand", kpi="text sentiment", value=lambda t: t.sentiment_score.mean()))
    act = store.table("actions")
    parts.append(_monthly(act, "starts_at", stage="learn", kpi="actions started", value=lambda t: t.count()))
    frame = ibis.union(*[p.select(*COLUMNS) for p in parts]).order_by(["stage", "kpi", "dimension", "month"]).to_pandas()
    return frame.assign(value=frame["value"].round(4))
