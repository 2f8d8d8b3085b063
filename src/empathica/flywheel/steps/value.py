"""The "value" step: CLV per customer, churn propensity, revenue at risk and ROI scenarios.

- CLV: BG/NBD × Gamma-Gamma on the transactions table (weeks, 52-week horizon, 10 % annual discount),
  checked by a fit without the last 26 weeks against the purchases made in them.
- Churn: target ``customers.churned_at`` within 90 days; learnt at end − 180 days, validated at
  end − 90 days (a later period), refit and scored at the end of the data.
- Detractor propensity: P(the customer's next NPS answer within 180 days is 0–6), learnt from customers
  who answered, validated on a later period like churn, scored for every active customer.
- Customers with ``churned_at`` set are already lost: CLV 0, P(churn) 1, status "already lost"; live
  value and revenue at risk count active customers only.
- Revenue at risk = P(churn) × CLV, in total and for detractors (last NPS ≤ 6); revenue held by likely
  detractors = P(detractor) × CLV.
- Every money total (CLV, revenue at risk, with likely detractors) is stored with its 95 % interval in
  ``value_totals`` (``value_totals``' docstring says how) and the headlines are generated from those rows.
- Quality gate: a propensity model validating below ROC AUC 0.6 (near chance) yields no money and no
  headline; the section says so. ROI scenarios are valued in the decide step (docs/decide.md), from
  the stored results of this step and the drivers step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.errors import AnalysisError, NotEnoughDataError
from empathica.flywheel.registry import RunContext, step
from empathica.decide.response import MIN_AUC
from empathica.learn.impact import revenue_at_risk
from empathica.report import Finding, FindingsTable, Metric, Paragraph, Section, TableBlock
from empathica.report.figures import FigureWords, draw_figure
from empathica.schema.results import (
    DRIVERS_CUSTOMER, VALUE_CHURN_RELIABILITY, VALUE_CHURN_SCORES, VALUE_CLV, VALUE_CLV_HOLDOUT, VALUE_CLV_PARAMS,
    VALUE_CLV_SEGMENTS, VALUE_DETRACTOR_RELIABILITY, VALUE_DETRACTOR_SCORES, VALUE_REVENUE_AT_RISK, VALUE_TOTALS,
)
from empathica.understand.churn import ALREADY_LOST_REASON, fit_time_validated_churn, plot_reliability
from empathica.understand.clv import bootstrap_clv_totals, fit_clv, plot_holdout

HORIZON_WEEKS = 52.0
HOLDOUT_WEEKS = 26
CHURN_HORIZON_DAYS = 90.0
DETRACTOR_HORIZON_DAYS = 180.0


def _segments(store, clv: pd.DataFrame) -> pd.DataFrame:
    """CLV with each customer's segment and status. A customer whose ``churned_at`` is set is already
    lost: BG/NBD cannot know it (it infers drop-out from purchases alone), so their CLV, P(alive) and
    expected purchases are set to 0 and ``status`` says "already lost"; live value counts "active" only."""
    customers = store.table("customers").select("customer_id", "segment", "churned_at").to_pandas()
    merged = clv.merge(customers, on="customer_id", how="left")
    merged["segment"] = merged["segment"].fillna("(missing)")
    lost = merged["churned_at"].notna().to_numpy()
    merged["status"] = np.where(lost, "already lost", "active")
    merged.loc[lost, ["p_alive", "expected_purchases", "clv"]] = 0.0
    return merged.drop(columns="churned_at")


# Not ``after=("drivers",)``: CLV and churn need no survey, so this step must still run when the drivers
# step could not; order 50 places it after drivers (40), whose results it uses when they exist.

def clv_by_segment(clv: pd.DataFrame) -> pd.DataFrame:
    """``value_clv_segments`` from per-customer CLV rows (segment, clv, p_alive, status): active customers'
    count, mean and total CLV and mean p_alive, and the customers already lost, per segment (the dashboard adds up
    a team's customers the same way)."""
    live = clv[clv["status"] == "active"]
    lost = clv["status"] == "already lost"
    by_segment = live.groupby("segment").agg(customers=("clv", "size"), clv_mean=("clv", "mean"), clv_total=("clv", "sum"),
                                             p_alive_mean=("p_alive", "mean")).reset_index()
    by_segment = by_segment.merge(clv[lost].groupby("segment").size().rename("already_lost").reset_index(), on="segment", how="outer")
    return by_segment.fillna({"customers": 0, "clv_total": 0.0, "already_lost": 0}).astype(
        {"customers": "int64", "already_lost": "int64"}).sort_values("clv_total", ascending=False, ignore_index=True)

@step("value", title="Value: lifetime value, churn risk and ROI", order=50,
      reads=("customers", "transactions", "feedback", "conversations", DRIVERS_CUSTOMER))
def value(ctx: RunContext) -> Section:
    store = ctx.store
    if store.count("transactions") == 0:
        raise NotEnoughDataError("the transactions table is empty; CLV needs purchases (customer_id, timestamp, amount).")
    section = Section(key="value", title="Value: lifetime value, churn risk and ROI")

    # -- CLV --------------------------------------------------------------------------------------
    transactions = store.table("transactions")
    first, last = (pd.Timestamp(v) for v in transactions.aggregate(
        first=transactions.timestamp.min(), last=transactions.timestamp.max()).execute().iloc[0])
    holdout_start = last - pd.Timedelta(weeks=HOLDOUT_WEEKS)
    if holdout_start - first < pd.Timedelta(weeks=2 * HOLDOUT_WEEKS):
        holdout_start = None  # too short a history to hold part of it back
    try:
        result = fit_clv(transactions, transaction_id="transaction_id", horizon=HORIZON_WEEKS, holdout_start=holdout_start)
    except NotEnoughDataError:
        if holdout_start is None:
            raise
        result = fit_clv(transactions, transaction_id="transaction_id", horizon=HORIZON_WEEKS)
    clv = _segments(store, result.customers)
    params = pd.DataFrame([{k: v for k, v in result.params.items() if isinstance(v, (int, float))}])
    store.write_result(VALUE_CLV, clv, step="value", description="Per-customer p_alive, expected purchases and spend, CLV (52 weeks).")
    store.write_result(VALUE_CLV_PARAMS, params, step="value", description="BG/NBD and Gamma-Gamma parameters (weeks).")
    live = clv[clv["status"] == "active"]
    lost = clv["status"] == "already lost"
    by_segment = clv_by_segment(clv)
    store.write_result(VALUE_CLV_SEGMENTS, by_segment, step="value",
                       description="CLV per segment (active customers; already_lost: customers with churned_at set).")
    total_clv = float(live["clv"].sum())
    clv_finding = len(section.summary)  # the headline goes here once the bootstrap gives its interval (below)
    section.add(Metric(Finding("value.metric.clv", {"weeks": HORIZON_WEEKS}), Finding("value.money", {"v": total_clv}),
                       Finding("value.metric.clv_note")))
    section.appendix.append(
        Paragraph(Finding("value.clv_parameters", {**{k: float(result.params[k]) for k in ("r", "alpha", "a", "b", "p", "q", "gamma")},
                                                    "returns": int(result.rfm.returns_excluded)})))
    section.add(
        draw_figure(lambda say: _plot_clv(live, by_segment, say), Finding("value.figure.clv"),
            languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
        TableBlock(by_segment.round(2), Finding("value.caption.clv_segments"), source=VALUE_CLV_SEGMENTS.table_name),
    )
    if result.holdout_by_bin is not None:
        h = result.holdout_totals
        store.write_result(VALUE_CLV_HOLDOUT, result.holdout_by_bin, step="value",
                           description=f"Holdout check: purchases in the last {HOLDOUT_WEEKS} weeks, actual vs predicted.")
        section.summary.append(Finding("value.holdout", {"weeks": HOLDOUT_WEEKS, "actual": float(h["actual_total"]),
                                                         "predicted": float(h["predicted_total"]),
                                                         "error": float(h["relative_error_total"])}))
        section.appendix.extend([
            draw_figure(lambda say: plot_holdout(result.holdout_by_bin, say=say),
                        Finding("value.figure.holdout", {"weeks": HOLDOUT_WEEKS}),
                        languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
            TableBlock(result.holdout_by_bin.round(3), Finding("value.caption.holdout"),
                       source=VALUE_CLV_HOLDOUT.table_name),
        ])

    # -- churn ------------------------------------------------------------------------------------
    extra = None
    if store.has_result(DRIVERS_CUSTOMER):  # the drivers step's stored per-customer drivers, when it ran
        table = store.read_result(DRIVERS_CUSTOMER)
        extra = table[[c for c in table.columns if c.startswith(("friction_", "empathy_", "team_"))] + ["customer_id"]]
    risk = clv[["customer_id", "clv", "segment", "status"]].copy()
    already_lost = (risk["status"] == "already lost").to_numpy()
    churn = None
    try:
        end = store.table("transactions").timestamp.max().execute()
        churn = fit_time_validated_churn(
            store.table("customers"), store.table("transactions"), store.table("feedback"),
            store.table("conversations") if store.count("conversations") else None,
            end=end, horizon_days=CHURN_HORIZON_DAYS, extra=extra if extra is not None and extra.shape[1] > 1 else None,
            cv=3,
        )
    except NotEnoughDataError as exc:
        ctx.console.print(f"  value: churn propensity not computed: {exc}", markup=False, highlight=False)
        section.add(Paragraph(Finding("value.churn_not_computed")))
    if churn is not None:
        ev = churn.evaluation
        store.write_result(VALUE_CHURN_SCORES, churn.scores, step="value", description="P(churn within 90 days) and reasons per active customer.")
        store.write_result(VALUE_CHURN_RELIABILITY, ev.reliability, step="value", description="Reliability curve on the later (validation) period.")
        section.summary.append(Finding("value.churn_model", {"days": CHURN_HORIZON_DAYS, "auc": ev.auc, "brier": ev.brier,
                                                             "base_rate": ev.base_rate}))
        risk = risk.merge(churn.scores, on="customer_id", how="left")
        # the model scores customers active at the end; an active customer it could not score gets the
        # BG/NBD fallback 1 − P(alive), never 0
        risk["p_churn"] = risk["p_churn"].fillna(pd.Series(1.0 - clv["p_alive"].to_numpy(), index=risk.index))
        risk["reasons"] = risk["reasons"].fillna("")
        section.appendix.extend([
            Metric(Finding("value.metric.churn_auc"), Finding("value.num3", {"v": ev.auc}),
                   Finding("value.metric.trained", {"train": churn.train_at.date(), "validate": churn.validate_at.date()})),
            Metric(Finding("value.metric.brier"), Finding("value.num3", {"v": ev.brier}), "result value_churn_reliability"),
            draw_figure(lambda say: plot_reliability(ev, say=say), Finding("value.figure.churn_reliability"),
                        languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
        ])
    else:
        risk["p_churn"] = 1.0 - clv["p_alive"].to_numpy()  # documented fallback: BG/NBD's P(inactive)
        risk["reasons"] = ""
        section.add(Paragraph(Finding("value.churn_fallback")))
    # customers already lost have churned for certain, and nothing of their value is at risk any more
    risk.loc[already_lost, "p_churn"] = 1.0
    risk.loc[already_lost, "reasons"] = ALREADY_LOST_REASON

    # -- detractor propensity ---------------------------------------------------------------------
    detractor = None
    try:
        detractor = fit_time_validated_churn(
            store.table("customers"), store.table("transactions"), store.table("feedback"),
            store.table("conversations") if store.count("conversations") else None,
            end=end, horizon_days=DETRACTOR_HORIZON_DAYS, extra=extra if extra is not None and extra.shape[1] > 1 else None,
            cv=3, target="detractor",
        )
    except (NotEnoughDataError, AnalysisError) as exc:
        ctx.console.print(f"  value: detractor propensity not computed: {exc}", markup=False, highlight=False)
        section.add(Paragraph(Finding("value.detractor_not_computed")))
    if detractor is not None:
        dev = detractor.evaluation
        store.write_result(VALUE_DETRACTOR_SCORES, detractor.scores, step="value",
                           description=f"P(next NPS answer within {DETRACTOR_HORIZON_DAYS:g} days is 0–6) and reasons per active customer.")
        store.write_result(VALUE_DETRACTOR_RELIABILITY, dev.reliability, step="value",
                           description="Reliability curve of detractor probabilities on the later (validation) period.")
        if dev.auc < MIN_AUC:  # quality gate: a model near chance yields no money and no headline
            section.summary.append(Finding("value.gate.detractor", {"auc": dev.auc, "min_auc": MIN_AUC}))
        else:
            section.summary.append(Finding("value.detractor_model", {"days": DETRACTOR_HORIZON_DAYS, "auc": dev.auc,
                                                                     "brier": dev.brier, "base_rate": dev.base_rate}))
            scores = detractor.scores.rename(columns={"reasons": "detractor_reasons"})
            risk = risk.merge(scores, on="customer_id", how="left")
        section.appendix.extend([
            Metric(Finding("value.metric.detractor_auc"), Finding("value.num3", {"v": dev.auc}),
                   Finding("value.metric.trained", {"train": detractor.train_at.date(), "validate": detractor.validate_at.date()})),
            Metric(Finding("value.metric.detractor_brier"), Finding("value.num3", {"v": dev.brier}), "result value_detractor_reliability"),
            draw_figure(lambda say: plot_reliability(dev, say=say, outcome="detractor"),
                        Finding("value.figure.detractor_reliability"),
                        languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
        ])

    # -- revenue at risk --------------------------------------------------------------------------
    nps_last = _last_nps(store)
    risk = risk.merge(nps_last, on="customer_id", how="left")
    risk["revenue_at_risk"] = revenue_at_risk(risk["p_churn"], risk["clv"])
    if "p_detractor" in risk:  # only when the detractor model passed the quality gate
        risk["revenue_with_likely_detractors"] = revenue_at_risk(risk["p_detractor"].fillna(0.0), risk["clv"])
    risk["detractor"] = risk["nps_last"] <= 6
    totals = value_totals(clv, risk, settings=ctx.settings, churn_auc=churn.evaluation.auc if churn is not None else None,
                          detractor_auc=detractor.evaluation.auc if detractor is not None else None)
    store.write_result(VALUE_TOTALS, totals, step="value",
                       description="Total CLV, revenue at risk and revenue held by likely detractors, with 95% intervals.")
    section.summary[clv_finding:clv_finding] = total_findings(totals, clv_weeks=HORIZON_WEEKS, lost=int(lost.sum()),
                                                              median=float(live["clv"].median()), days=CHURN_HORIZON_DAYS,
                                                              detractor_risk=float(risk.loc[risk["detractor"].fillna(False),
                                                                                            "revenue_at_risk"].sum()))
    risk = risk.sort_values("revenue_at_risk", ascending=False, ignore_index=True)
    store.write_result(VALUE_REVENUE_AT_RISK, risk, step="value", description="P(churn) × CLV per customer.")
    section.add(
        draw_figure(lambda say: _plot_risk(risk, say), Finding("value.figure.risk"),
            languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
        FindingsTable(risk.head(15), {"customer_id": "text", "segment": "text", "clv": "money", "p_churn": "pct",
                                      "revenue_at_risk": "money", "nps_last": "int", "reasons": "churn_reasons"},
                      "value.caption.risk", source=VALUE_REVENUE_AT_RISK.table_name),
    )

    section.add(Paragraph(Finding("value.see_decide", {"section": {"id": "section.decide"}})))
    return section


#: Refits of the CLV models on bootstrap resamples of customers, for the intervals of the totals.
CLV_BOOTSTRAP = 30


def value_totals(clv: pd.DataFrame, risk: pd.DataFrame, *, settings, churn_auc: float | None,
                 detractor_auc: float | None) -> pd.DataFrame:
    """The result ``value_totals``: total CLV of active customers, revenue at risk (Σ P(churn) × CLV) and revenue
    held by likely detractors (Σ P(detractor) × CLV), each with a 95 % interval, and whether it may be shown.

    The CLV total's interval is the 2.5–97.5 % points over ``CLV_BOOTSTRAP`` refits of BG/NBD and Gamma-Gamma
    on bootstrap resamples of customers (parameter uncertainty). The at-risk totals also vary with who
    actually leaves: their interval is the total ± 1.96 √(bootstrap variance + Σ p(1−p)·CLV²) (independent
    customers, normal approximation), never below 0. A total from a model validating below ``MIN_AUC`` is
    not shown (quality gate)."""
    active = (clv["status"] == "active").to_numpy()
    by_id = risk.drop_duplicates("customer_id").set_index("customer_id")
    p = {"revenue_at_risk": by_id["p_churn"]}
    if "p_detractor" in by_id:
        p["detractor_revenue"] = by_id["p_detractor"].fillna(0.0)
    p = {k: np.where(active, clv["customer_id"].map(v).fillna(0.0).to_numpy(dtype=float), 0.0) for k, v in p.items()}
    draws = bootstrap_clv_totals(clv, {"clv": active.astype(float), **p}, horizon=HORIZON_WEEKS,
                                 periods_per_year=365.25 / 7.0, n_bootstrap=CLV_BOOTSTRAP, random_state=settings.seed)
    value = np.clip(clv["clv"].to_numpy(dtype=float), 0.0, None)
    low, high = _quantiles(draws["clv"], float(value[active].sum()))
    rows = [{"total": "clv", "revenue": float(value[active].sum()), "revenue_low": low, "revenue_high": high,
             "customers": int(active.sum()), "model_auc": np.nan, "shown": True}]
    for name, auc in (("revenue_at_risk", churn_auc), ("detractor_revenue", detractor_auc)):
        if name not in p:
            continue
        mean = float((p[name] * value).sum())
        sd = float(np.sqrt(np.var(draws[name]) + (p[name] * (1 - p[name]) * value ** 2).sum())) if len(draws[name]) else np.nan
        rows.append({"total": name, "revenue": mean, "revenue_low": max(0.0, mean - 1.96 * sd), "revenue_high": mean + 1.96 * sd,
                     "customers": int(active.sum()), "model_auc": np.nan if auc is None else float(auc),
                     "shown": auc is None or auc >= MIN_AUC})
    frame = pd.DataFrame(rows)
    frame["currency"] = settings.currency
    frame["fits"] = len(draws["clv"])
    return frame


def _quantiles(draws: np.ndarray, fallback: float) -> tuple[float, float]:
    if not len(draws):
        return fallback, fallback
    low, high = np.quantile(draws, [0.025, 0.975])
    return float(low), float(high)


def total_findings(totals: pd.DataFrame, *, clv_weeks: float, lost: int, median: float, days: float,
                   detractor_risk: float) -> list[Finding]:
    """The section's money headlines, each from its row of ``value_totals`` (a gated total: why it is not shown)."""
    rows = totals.set_index("total")
    out = []
    for name, r in rows.iterrows():
        money = {"revenue": float(r["revenue"]), "revenue_low": float(r["revenue_low"]), "revenue_high": float(r["revenue_high"])}
        where = {"source": VALUE_TOTALS.name, "row": {"total": name}}
        if name == "clv":
            out.append(Finding("value.clv_total", {**money, "weeks": clv_weeks, "customers": int(r["customers"]), "median": median,
                                                   "lost": lost}, **where))
        elif not r["shown"]:
            gate = "value.gate.churn" if name == "revenue_at_risk" else "value.gate.detractor"
            out.append(Finding(gate, {"auc": float(r["model_auc"]), "min_auc": MIN_AUC}, **where))
        elif name == "revenue_at_risk":
            out.append(Finding("value.revenue_at_risk", {**money, "days": days, "detractor_revenue": detractor_risk,
                                                         "detractor_share": detractor_risk / r["revenue"] if r["revenue"] else 0.0},
                               **where))
        else:
            out.append(Finding("value.detractor_revenue", money, **where))
    return out


def _last_nps(store) -> pd.DataFrame:
    fb = store.table("feedback")
    fb = fb.filter(fb.nps.notnull() & fb.customer_id.notnull())
    last = fb.group_by("customer_id").aggregate(nps_last=fb.nps.cast("float64").argmax(fb.timestamp))
    frame = last.to_pandas()
    return frame if len(frame) else pd.DataFrame({"customer_id": pd.Series(dtype=str), "nps_last": pd.Series(dtype=float)})


def _plot_clv(clv: pd.DataFrame, by_segment: pd.DataFrame, say: FigureWords):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    values = clv["clv"].clip(lower=0)
    cap = float(values.quantile(0.99)) or 1.0
    left.hist(values.clip(upper=cap), bins=40, color="#4c72b0")
    left.set_xlabel(say("figure.clv.axis", weeks=HORIZON_WEEKS))
    left.set_ylabel(say("figure.customers"))
    right.bar([say.name("segment", s) for s in by_segment["segment"].astype(str)], by_segment["clv_mean"].fillna(0.0),
              color="#55a868")
    right.set_ylabel(say("figure.clv.mean"))
    right.set_title(say("figure.clv.per_segment"), fontsize=10)
    right.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def _plot_risk(risk: pd.DataFrame, say: FigureWords):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grouped = risk.assign(group=np.where(risk["detractor"].fillna(False), "detractors", "others")).pivot_table(
        index="segment", columns="group", values="revenue_at_risk", aggfunc="sum", fill_value=0.0)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    bottom = np.zeros(len(grouped))
    for col, colour in (("detractors", "#c44e52"), ("others", "#8172b2")):
        if col in grouped:
            ax.bar([say.name("segment", s) for s in grouped.index.astype(str)], grouped[col], bottom=bottom,
                   label=say(f"figure.risk.{col}"), color=colour)
            bottom = bottom + grouped[col].to_numpy()
    ax.set_ylabel(say("figure.risk.axis"))
    ax.legend()
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig
