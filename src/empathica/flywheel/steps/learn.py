"""The "learn" step: did the recorded actions work, where do we stand against competitors, and the
flywheel's KPIs run by run (from the run history) with the actions on the line. Reads the store only; its
report text is findings rendered through report/locales (block "learn")."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # the object API: no pyplot, no backend chosen, no global state

from empathica.errors import NotEnoughDataError
from empathica.flywheel.registry import RunContext, step
from empathica.learn.actions import load_actions
from empathica.learn.benchmark import company_rows, competitor_benchmark, review_mentions
from empathica.learn.effects import DESIGN, action_effect_table
from empathica.learn.experiment_outcomes import EXPERIMENT_METRICS, experiment_table
from empathica.learn.timeline import kpi_timeline
from empathica.report import Finding, FindingsTable, Metric, Paragraph, Section
from empathica.report.figures import FigureWords, draw_figure
from empathica.store.names import display_name

EFFECTS, EVENT_STUDY = "learn_effects", "learn_event_study"
BENCHMARK = {"brands": "learn_benchmark_brands", "comparison": "learn_benchmark_comparison",
             "over_time": "learn_benchmark_over_time", "over_time_comparison": "learn_benchmark_over_time_comparison"}
TIMELINE = "learn_timeline"
EXPERIMENTS = "learn_experiments"


def _metrics(store) -> list[str]:
    metrics = ["churn", "revenue", "nps", "csat", "friction"]
    if store.has_result("empathy_conversations"):
        metrics.append("empathy")
    if store.has_result("text_scores"):
        metrics.append("sentiment")
    return metrics


EFFECT_COLUMNS = {"action_id": "text", "metric": "text", "estimate": "signed", "ci_low": "signed", "ci_high": "signed",
                  "p_value": "num2", "baseline": "num2", "treated_post": "int", "control_post": "int", "pre_trend_p": "num2"}
BENCHMARK_COLUMNS = {"own_brand": "text", "area": "text", "message_id": "finding", "own": "num2", "theirs": "num2", "difference": "signed",
                     "ci_low": "signed", "ci_high": "signed", "p_holm": "num2", "verdict_id": "message", "index": "num2"}
#: The benchmark's verdicts (stored as data in result learn_benchmark_comparison) and their messages.
VERDICTS = {"we are better": "learn.verdict.better", "we are worse": "learn.verdict.worse",
            "no clear difference": "learn.verdict.unclear"}
AVERAGE = "competitors' average"


EXPERIMENT_COLUMNS = {"experiment_id": "text", "metric": "text", "arm": "text", "n_control": "int", "n_arm": "int",
                      "difference": "signed", "ci_low": "signed", "ci_high": "signed", "p_holm": "num2",
                      "variance_reduction": "pct", "mde": "num2", "srm_p": "num2"}


def _headers(columns: dict[str, str]) -> dict[str, str]:
    return {c: f"learn.column.{c}" for c in columns}


def _effects(ctx: RunContext, section: Section) -> None:
    store = ctx.store
    actions = load_actions(store)
    if not actions:
        section.add(Paragraph(Finding("learn.no_actions")))
        return
    effects, study, skipped = action_effect_table(store, actions, _metrics(store))
    store.write_result(EFFECTS, effects, step="learn", description=f"Effect of each action on each outcome ({DESIGN}).")
    store.write_result(EVENT_STUDY, study, step="learn", description="Treated − control gap per month around each action's start.")
    for action in actions:
        row = effects[(effects["action_id"] == action.action_id) & (effects["metric"] == (action.expected_metric or "churn"))]
        if len(row):
            r = row.iloc[0]
            key = {"action_id": action.action_id, "metric": r["metric"]}
            section.summary.append(Finding("learn.effect", {"title": action.title, "metric": display_name("metric", r["metric"]), "estimate": r["estimate"],
                                                            "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_value": r["p_value"]},
                                           source=EFFECTS, row=key))
            if r["pre_trend_p"] < 0.05:
                section.summary.append(Finding("learn.effect.pre_trend", {"title": action.title, "pre_trend_p": r["pre_trend_p"]},
                                               source=EFFECTS, row=key))
    section.add(Paragraph(Finding("learn.caveat")),
                FindingsTable(effects, EFFECT_COLUMNS, "learn.caption.effects", source=EFFECTS, headers=_headers(EFFECT_COLUMNS)))
    titles = {a.action_id: a.title for a in actions}
    for line in skipped:  # "<action_id> / <metric>: <why>" (action_effect_table's lines; the why, English, goes to the CLI)
        action_id, _, metric = line.partition(": ")[0].partition(" / ")
        section.add(Paragraph(Finding("learn.not_measured.one", {"title": titles.get(action_id, action_id),
                                                                 "metric": display_name("metric", metric)})))
    if len(study):
        section.add(draw_figure(lambda say: _plot_event_study(study, actions, say), Finding("learn.caption.event_study"),
                                    languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi))


def _plot_event_study(study: pd.DataFrame, actions, say: FigureWords) -> Figure:
    fig = Figure(figsize=(5 * len(actions), 3.2))
    axes = fig.subplots(1, len(actions), squeeze=False)
    for ax, action in zip(axes[0], actions):
        metric = action.expected_metric or "churn"
        s = study[(study["action_id"] == action.action_id) & (study["metric"] == metric)]
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(-0.5, color="tab:red", lw=0.8, ls="--")
        ax.errorbar(s["month"], s["estimate"], yerr=[s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]], fmt="o", ms=3)
        ax.set_title(say("figure.learn.action_metric", action=action.title or action.action_id,
                         metric=display_name("metric", metric)), fontsize=8)
        ax.set_xlabel(say("figure.learn.months_from_start"))
    fig.tight_layout()
    return fig


def _experiments(ctx: RunContext, section: Section) -> None:
    """Every stored experiment's arms against its control; headlines for the primary metric's arms."""
    store = ctx.store
    if store.count("experiments") == 0:
        section.add(Paragraph(Finding("learn.experiments.none")))
        return
    metrics = tuple(m for m in EXPERIMENT_METRICS if m != "sentiment" or store.has_result("text_scores"))
    table, skipped = experiment_table(store, metrics)
    if table.empty:
        section.add(Paragraph(Finding("learn.experiments.not_measured", {"n": len(skipped)})))  # the why, English, is in `empathica learn experiments`
        return
    store.write_result(EXPERIMENTS, table, step="learn", description="Experiments: each arm against the control.")
    for _, r in table[table["primary"]].iterrows():
        key = {"experiment_id": r["experiment_id"], "metric": r["metric"], "arm": r["arm"]}
        judgement = ({"id": "learn.experiment.verdict.effect"} if r["p_holm"] < 0.05 else
                     {"id": "learn.experiment.verdict.none", "values": {"mde": r["mde"]}})
        section.summary.append(Finding("learn.experiment", {
            "experiment_id": display_name("experiment", r["experiment_id"]), "arm": display_name("arm", r["arm"]),
            "control": display_name("arm", r["control"]), "metric": display_name("metric", r["metric"]),
            "difference": r["difference"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_holm": r["p_holm"],
            "judgement": judgement}, source=EXPERIMENTS, row=key))
    for _, r in table[table["sample_ratio_mismatch"]].drop_duplicates("experiment_id").iterrows():
        section.summary.append(Finding("learn.experiment.srm", {"experiment_id": display_name("experiment", r["experiment_id"]), "srm_p": r["srm_p"]},
                                       source=EXPERIMENTS, row={"experiment_id": r["experiment_id"], "metric": r["metric"], "arm": r["arm"]}))
    section.add(FindingsTable(table, EXPERIMENT_COLUMNS, "learn.caption.experiments", source=EXPERIMENTS,
                              headers=_headers(EXPERIMENT_COLUMNS), max_rows=40))
    if skipped:
        section.add(Paragraph(Finding("learn.experiments.not_measured", {"n": len(skipped)})))  # the why, English, is in `empathica learn experiments`


def _stored_reviews(store) -> pd.DataFrame:
    rv = store.table("reviews")
    if store.has_result("text_scores"):
        sc = store.table("result_text_scores")
        sc = sc.filter(sc.source_table == "reviews").select("source_id", "lang", "sentiment_score", "aspects")
        rv = rv.left_join(sc, rv.review_id == sc.source_id).select(*rv.columns, sc.lang, sc.sentiment_score, sc.aspects)
    reviews = rv.to_pandas()
    if "lang" not in reviews:
        reviews["lang"] = reviews["language"]
    reviews["lang"] = reviews["lang"].fillna(reviews["language"])
    if "aspects" in reviews:
        reviews["aspects"] = reviews["aspects"].map(lambda v: json.loads(v) if isinstance(v, str) else [])
    return reviews


def _benchmark(ctx: RunContext, section: Section) -> None:
    store = ctx.store
    reviews = _stored_reviews(store)
    if reviews.empty:
        section.add(Paragraph(Finding("learn.no_reviews")))
        return
    try:
        tables = competitor_benchmark(review_mentions(reviews))
    except NotEnoughDataError as exc:
        ctx.console.print(f"  learn: competitor benchmark not computed: {exc}", markup=False, highlight=False)
        section.add(Paragraph(Finding("learn.benchmark_not_computed.why")))
        return
    for key, name in BENCHMARK.items():
        store.write_result(name, tables[key], step="learn", description=f"Competitor benchmark: {key.replace('_', ' ')}.")
    comp = tables["comparison"]
    overall = comp[(comp["lang"] == "all") & (comp["metric"] == "rating")]
    company = company_rows(overall)  # the headlines speak for the company; the table shows each own brand too
    for _, r in company[(company["verdict"] != "no clear difference") & (company["competitor"] != AVERAGE)].iterrows():
        section.summary.append(Finding("learn.benchmark.headline", {
            "area": display_name("area", r["area"]), "competitor": r["competitor"], "judgement": {"id": VERDICTS[r["verdict"]]},
            "difference": r["difference"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]},
            source=BENCHMARK["comparison"], row={"lang": "all", "area": r["area"], "own_brand": r["own_brand"], "metric": "rating",
                                                "competitor": r["competitor"]}))
    shown = overall.assign(
        message_id=np.where(overall["competitor"] == AVERAGE, "learn.competitor.average", "learn.competitor.brand"),
        values=[json.dumps({"brand": c}) for c in overall["competitor"]], verdict_id=overall["verdict"].map(VERDICTS))
    section.add(FindingsTable(shown, BENCHMARK_COLUMNS, "learn.caption.benchmark", source=BENCHMARK["comparison"],
                              headers=_headers(BENCHMARK_COLUMNS)))
    trend = company_rows(tables["over_time_comparison"])
    trend = trend[(trend["metric"] == "rating") & (trend["competitor"] == AVERAGE) & trend["index"].notna()]
    if trend["quarter"].nunique() > 1:
        section.add(draw_figure(lambda say: _plot_index_over_time(trend, say), Finding("learn.caption.index_over_time"),
                                    languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi))


def _plot_index_over_time(trend: pd.DataFrame, say: FigureWords) -> Figure:
    """Per area: the rating index (own ÷ competitors' average × 100) per quarter, with its 95 % interval."""
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    ax.axhline(100, color="grey", lw=0.8)
    for area, s in trend.sort_values("quarter").groupby("area"):
        line = ax.plot(s["quarter"], s["index"], marker="o", ms=3, label=say.name("area", area))[0]
        ax.fill_between(s["quarter"], s["index_ci_low"], s["index_ci_high"], color=line.get_color(), alpha=0.12)
    ax.legend(fontsize=7, ncol=3)
    ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _timeline(ctx: RunContext, section: Section) -> None:
    timeline = kpi_timeline(ctx.store)
    ctx.store.write_result(TIMELINE, timeline, step="learn",
                           description="KPIs per flywheel stage and CX dimension per kept run, from the run history.")
    if timeline.empty:
        section.add(Paragraph(Finding("learn.timeline.empty")))
        return
    starts = ctx.store.table("actions").select("action_id", "starts_at").to_pandas()
    runs = timeline["source_run"].nunique()
    section.add(draw_figure(lambda say: _plot_timeline(timeline, starts, say), Finding("learn.caption.timeline", {"runs": runs}),
                                languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi))
    before = int((pd.to_datetime(starts["starts_at"], utc=True) < timeline["run_started_at"].min()).sum()) if len(starts) else 0
    if before:
        section.add(Paragraph(Finding("learn.timeline.actions_before", {"n": before})))


def _plot_timeline(timeline: pd.DataFrame, starts: pd.DataFrame, say: FigureWords) -> Figure:
    """One small panel per KPI (stage or CX dimension): its value per run; dashed lines: actions starting."""
    panels = list(timeline.groupby(["stage", "dimension", "kpi"], sort=False))
    cols = min(4, len(panels))
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(3.6 * cols, 2.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    first, last = timeline["run_started_at"].min(), timeline["run_started_at"].max()
    marks = pd.to_datetime(starts["starts_at"], utc=True) if len(starts) else pd.Series(dtype="datetime64[ns, UTC]")
    marks = marks[(marks >= first - pd.Timedelta(days=31)) & (marks <= last)]
    for ax, ((stage, dimension, kpi), s) in zip(axes.flat, panels):
        ax.plot(s["run_started_at"].dt.tz_convert(None), s["value"], marker="o", ms=3)
        for mark in marks:
            ax.axvline(mark.tz_convert(None), color="tab:red", lw=0.8, ls="--")
        where = ({"id": f"flywheel.stage.{stage}", "name": stage} if dimension == "all" else
                 {"id": f"diagnose.dim.{dimension}", "name": dimension})
        kpi_name = {"id": f"learn.kpi.{re.sub(r'[^a-z0-9]+', '_', kpi.lower()).strip('_')}", "name": kpi}
        ax.set_title(say("figure.learn.kpi", where=where, kpi=kpi_name), fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


@step("learn", title="Learn: did the actions work, and where we stand against competitors", order=60)
def learn(ctx: RunContext) -> Section:
    if ctx.store.count("customers") == 0:
        raise NotEnoughDataError("the customers table is empty; Learn needs customers, their contacts and outcomes.")
    section = Section(key="learn", title="Learn: did the actions work, and where we stand against competitors")
    _effects(ctx, section)
    _experiments(ctx, section)
    _benchmark(ctx, section)
    _timeline(ctx, section)
    section.add(Metric(Finding("learn.metric.actions"), Finding("value.int", {"v": ctx.store.count("actions")}), "table `actions`"))
    return section
