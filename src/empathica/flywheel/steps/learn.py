"""The "learn" step: did the recorded actions work, where do we stand against competitors, and the
flywheel's KPIs month by month with the actions on the line. Reads the store only."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from empathica.errors import NotEnoughDataError  # noqa: E402
from empathica.flywheel.registry import RunContext, step  # noqa: E402
from empathica.flywheel.steps.journeys import DETRACTOR, PROMOTER  # noqa: E402
from empathica.learn.actions import load_actions  # noqa: E402
from empathica.learn.benchmark import competitor_benchmark, review_mentions  # noqa: E402
from empathica.learn.effects import CAVEAT, DESIGN, action_effect_table  # noqa: E402
from empathica.learn.timeline import kpi_timeline  # noqa: E402
from empathica.report import Metric, Paragraph, Section, TableBlock, figure_from_matplotlib  # noqa: E402

EFFECTS, EVENT_STUDY = "learn_effects", "learn_event_study"
BENCHMARK = {"brands": "learn_benchmark_brands", "comparison": "learn_benchmark_comparison",
             "over_time": "learn_benchmark_over_time", "over_time_comparison": "learn_benchmark_over_time_comparison"}
TIMELINE = "learn_timeline"


def _metrics(store) -> list[str]:
    metrics = ["churn", "revenue", "nps", "csat", "friction"]
    if store.has_result("empathy_conversations"):
        metrics.append("empathy")
    if store.has_result("text_scores"):
        metrics.append("sentiment")
    return metrics


def _effects(ctx: RunContext, section: Section) -> None:
    store = ctx.store
    actions = load_actions(store)
    if not actions:
        section.add(Paragraph("No actions are recorded (`empathica actions add`), so no effect was measured."))
        return
    effects, study, skipped = action_effect_table(store, actions, _metrics(store))
    store.write_result(EFFECTS, effects, step="learn", description=f"Effect of each action on each outcome ({DESIGN}).")
    store.write_result(EVENT_STUDY, study, step="learn", description="Treated − control gap per month around each action's start.")
    for action in actions:
        row = effects[(effects["action_id"] == action.action_id) & (effects["metric"] == (action.expected_metric or "churn"))]
        if len(row):
            r = row.iloc[0]
            drift = " Pre-trends differ (p < 0.05): read with care." if r["pre_trend_p"] < 0.05 else ""
            section.summary.append(f"{action.title}: {r['metric']} {r['estimate']:+.3f} (95 % CI {r['ci_low']:+.3f} to "
                                   f"{r['ci_high']:+.3f}, p = {r['p_value']:.3g}).{drift}")
    shown = effects[["action_id", "metric", "estimate", "ci_low", "ci_high", "p_value", "baseline", "treated_pre",
                     "treated_post", "control_pre", "control_post", "pre_trend_p"]]
    section.add(Paragraph(CAVEAT),
                TableBlock(shown, "Effect of each action (difference-in-differences, 95 % CI clustered by customer).",
                           source=f"result_{EFFECTS}"))
    if skipped:
        section.add(Paragraph("Not measured: " + "; ".join(skipped)))
    if len(study):
        section.add(figure_from_matplotlib(_plot_event_study(study, actions), "Event study: treated − control gap by month "
                                           "relative to each action's start (reference: month −1), 95 % CI."))


def _plot_event_study(study: pd.DataFrame, actions) -> plt.Figure:
    fig, axes = plt.subplots(1, len(actions), figsize=(5 * len(actions), 3.2), squeeze=False)
    for ax, action in zip(axes[0], actions):
        metric = action.expected_metric or "churn"
        s = study[(study["action_id"] == action.action_id) & (study["metric"] == metric)]
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(-0.5, color="tab:red", lw=0.8, ls="--")
        ax.errorbar(s["month"], s["estimate"], yerr=[s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]], fmt="o", ms=3)
        ax.set_title(f"{action.title[:40]} — {metric}", fontsize=8)
        ax.set_xlabel("months from start")
    fig.tight_layout()
    return fig


def _benchmark(ctx: RunContext, section: Section) -> None:
    store = ctx.store
    rv = store.table("reviews")
    if store.has_result("text_scores"):
        sc = store.table("result_text_scores")
        sc = sc.filter(sc.source_table == "reviews").select("source_id", "lang", "sentiment_score", "aspects")
        rv = rv.left_join(sc, rv.review_id == sc.source_id).select(*rv.columns, sc.lang, sc.sentiment_score, sc.aspects)
    reviews = rv.to_pandas()
    if reviews.empty:
        section.add(Paragraph("No reviews are stored, so there is no competitor benchmark."))
        return
    if "lang" not in reviews:
        reviews["lang"] = reviews["language"]
    reviews["lang"] = reviews["lang"].fillna(reviews["language"])
    if "aspects" in reviews:
        reviews["aspects"] = reviews["aspects"].map(lambda v: json.loads(v) if isinstance(v, str) else [])
    try:
        tables = competitor_benchmark(review_mentions(reviews))
    except NotEnoughDataError as exc:
        section.add(Paragraph(f"Competitor benchmark not computed: {exc}"))
        return
    for key, name in BENCHMARK.items():
        store.write_result(name, tables[key], step="learn", description=f"Competitor benchmark: {key.replace('_', ' ')}.")
    comp = tables["comparison"]
    overall = comp[(comp["lang"] == "all") & (comp["metric"] == "rating")]
    for _, r in overall[overall["verdict"] != "no clear difference"].iterrows():
        if r["competitor"] != "competitors' average":
            section.summary.append(f"Rating on {r['area']} vs {r['competitor']}: {r['verdict']} "
                                   f"({r['difference']:+.2f} stars, 95 % CI {r['ci_low']:+.2f} to {r['ci_high']:+.2f}).")
    section.add(TableBlock(overall[["area", "competitor", "own", "theirs", "difference", "ci_low", "ci_high", "p_holm",
                                    "verdict", "index", "index_ci_low", "index_ci_high"]],
                           "Our rating against each competitor and the competitors' average (index = own ÷ average × 100), "
                           "all languages; p Holm-adjusted across areas.", source=f"result_{BENCHMARK['comparison']}"))


def _timeline(ctx: RunContext, section: Section) -> None:
    timeline = kpi_timeline(ctx.store, promoter=PROMOTER, detractor=DETRACTOR)
    ctx.store.write_result(TIMELINE, timeline, step="learn", description="KPIs per flywheel stage and CX dimension per month.")
    starts = ctx.store.table("actions").select("title", "starts_at").to_pandas()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for ax, kpi in zip(axes, ("NPS", "CSAT")):
        s = timeline[(timeline["kpi"] == kpi) & (timeline["dimension"] == "all")]
        ax.plot(pd.to_datetime(s["month"]), s["value"], marker="o", ms=2)
        for _, a in starts.iterrows():
            ax.axvline(pd.Timestamp(a["starts_at"]).tz_localize(None) if pd.Timestamp(a["starts_at"]).tzinfo else a["starts_at"],
                       color="tab:red", lw=0.8, ls="--")
        ax.set_title(f"{kpi} per month (dashed: actions start)", fontsize=9)
    fig.autofmt_xdate()
    section.add(figure_from_matplotlib(fig, "The flywheel over time: NPS and CSAT per month, actions marked."),
                Paragraph("Months are those of the data (the store keeps no run history yet)."))


@step("learn", title="Learn: did the actions work, and where we stand against competitors", order=60)
def learn(ctx: RunContext) -> Section:
    if ctx.store.count("customers") == 0:
        raise NotEnoughDataError("the customers table is empty; Learn needs customers, their contacts and outcomes.")
    section = Section(key="learn", title="Learn: did the actions work, and where we stand against competitors")
    _effects(ctx, section)
    _benchmark(ctx, section)
    _timeline(ctx, section)
    section.add(Metric("actions recorded", f"{ctx.store.count('actions'):,}", "table `actions`"))
    return section
