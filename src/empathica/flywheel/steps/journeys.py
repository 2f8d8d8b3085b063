"""The "journeys" step: journey map, pathway friction, goal funnel, promoters vs detractors and churned vs retained.

Reads ``events`` (the case is ``journey_id``, else the customer), the touchpoint catalogue (for the
goal and the channel of events without one), ``feedback`` (CSAT per touchpoint; NPS for the
promoter/detractor cohorts), ``customers`` (``churned_at`` for the churned/retained cohorts), the text step's ``text_scores`` when present (sentiment of feedback
comments) and ``transactions`` (revenue touched by each pathway).
"""

from __future__ import annotations

import ibis
import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from empathica.errors import NotEnoughDataError  # noqa: E402
from empathica.flywheel.registry import RunContext, step  # noqa: E402
from empathica.schema.results import (
    JOURNEY_CHANNEL_SWITCHES, JOURNEY_COMPARE, JOURNEY_COMPARE_CHURN, JOURNEY_CUSTOMER_FRICTION, JOURNEY_DFG, JOURNEY_FRICTION,
    JOURNEY_FRICTION_ABLATION, JOURNEY_FUNNEL, JOURNEY_PATHWAY_DAYS, JOURNEY_PATHWAY_DURATIONS, JOURNEY_STARTS, JOURNEY_TOUCHPOINTS, JOURNEY_VARIANTS,
    TEXT_SCORES,
)
from empathica.report import Finding, Metric, Paragraph, Section, TableBlock  # noqa: E402
from empathica.report.figures import draw_figure  # noqa: E402
from empathica.store.names import Names  # noqa: E402
from empathica.understand.journeys import (  # noqa: E402
    DFG_COLUMNS,
    JourneyAnalyzer,
    compare_cohorts,
    journey_events,
    pathway_day_counts,
    pathway_day_durations,
)
from empathica.understand.journeys._friction import _duration as readable_duration  # noqa: E402  (same units as the evidence)
from empathica.understand.journeys._map import journey_map  # noqa: E402

#: NPS answers at or above this make a promoter, at or below DETRACTOR a detractor.
PROMOTER, DETRACTOR = 9, 6
#: Pathways traversed fewer times are not scored for friction.
MIN_TRANSITIONS = 20
FRICTION_SHOWN = ["rank", "source", "target", "friction_score", "transitions", "customers", "revenue", "evidence"]


def store_events(store, customers: ibis.Table | None = None) -> ibis.Table:
    """The store's events as a journey event table, channel filled from the touchpoint catalogue; ``customers``
    (a table with ``customer_id``): only their events."""
    events = store.table("events")
    if customers is not None:
        events = events.filter(events.customer_id.isin(customers.customer_id))
    catalogue = store.table("touchpoints").select(touchpoint_id="touchpoint_id", catalogue_channel="channel")
    joined = events.left_join(catalogue, "touchpoint_id").drop("touchpoint_id_right")
    joined = joined.mutate(
        case=ibis.coalesce(joined.journey_id, joined.customer_id),
        channel=ibis.coalesce(joined.channel, joined.catalogue_channel),
    )
    return journey_events(joined, case="case", activity="touchpoint_id", timestamp="timestamp", event_id="event_id",
                          customer="customer_id", channel="channel", source="table events")


def store_feedback(store, customers: ibis.Table | None = None) -> ibis.Table:
    """Feedback per response: customer, touchpoint, CSAT and (when the text step ran) sentiment; ``customers``:
    only theirs."""
    fb = store.table("feedback")
    fb = fb.filter(fb.customer_id.notnull() & fb.touchpoint_id.notnull())
    if customers is not None:
        fb = fb.filter(fb.customer_id.isin(customers.customer_id))
    sentiment = None
    if store.has_result(TEXT_SCORES):
        scores = store.result(TEXT_SCORES)
        if {"source_id", "sentiment_score"} <= set(scores.columns):
            if "source_table" in scores.columns:
                scores = scores.filter(scores.source_table == "feedback")
            sentiment = scores.group_by(response_id=scores.source_id.cast("string")).aggregate(
                sentiment=scores.sentiment_score.cast("float64").mean()
            )
    if sentiment is not None:
        fb = fb.left_join(sentiment, "response_id").drop("response_id_right")
    else:
        fb = fb.mutate(sentiment=ibis.null("float64"))
    return fb.select(customer="customer_id", touchpoint="touchpoint_id", satisfaction=fb.csat.cast("float64"),
                     sentiment=fb.sentiment.cast("float64"))


def _goal(store) -> str | None:
    tps = store.table("touchpoints")
    goals = tps.filter(tps.is_goal.fill_null(False)).order_by("touchpoint_id").touchpoint_id.to_pandas().tolist()
    return goals[0] if goals else None


def fit_journeys(store, customers: ibis.Table | None = None, *, cache: bool = True) -> JourneyAnalyzer:
    """The journeys of every customer (the step), or of ``customers`` only (a table with ``customer_id``: the
    dashboard's team or region scope), fitted the same way on the store's events, feedback and transactions."""
    transactions = store.table("transactions")
    if customers is not None:
        transactions = transactions.filter(transactions.customer_id.isin(customers.customer_id))
    revenue = transactions.select(customer="customer_id", revenue="amount")
    return JourneyAnalyzer(goal=_goal(store), min_transitions=MIN_TRANSITIONS, cache=cache).fit(
        store_events(store, customers), feedback=store_feedback(store, customers), revenue=revenue)


@step("journeys", title="Journeys and pathway friction", order=30,
      reads=("events", "customers", "feedback", "touchpoints", "transactions", TEXT_SCORES))
def journeys(ctx: RunContext) -> Section:
    store = ctx.store
    if store.count("events") == 0:
        raise NotEnoughDataError("the events table is empty; ingest journey events (customer, touchpoint, time) first.")
    analyzer = fit_journeys(store)
    s = analyzer.summary_

    dfg = analyzer.dfg_
    friction = analyzer.friction_
    customer_friction = analyzer.customer_friction()
    comparisons = _compare_cohorts(store, analyzer)
    step_name = "journeys"
    store.write_result(JOURNEY_DFG, dfg, step=step_name, description="Directly-follows graph of touchpoints with friction evidence.")
    store.write_result(JOURNEY_TOUCHPOINTS, analyzer.touchpoints_, step=step_name, description="Volume, starts, ends, drop-off, repeats, CSAT and sentiment per touchpoint.")
    store.write_result(JOURNEY_VARIANTS, analyzer.variants_, step=step_name, description="Distinct journey paths with counts and shares.")
    store.write_result(JOURNEY_FRICTION, friction, step=step_name, description="Pathway friction score per transition with its evidence.")
    store.write_result(JOURNEY_FRICTION_ABLATION, analyzer.friction_ablation_, step=step_name,
                       description="How the friction ranking changes when each component is left out.")
    store.write_result(JOURNEY_FUNNEL, analyzer.funnel_, step=step_name, description=f"Funnel towards the goal {analyzer.goal_}.")
    store.write_result(JOURNEY_CHANNEL_SWITCHES, analyzer.channel_switches_, step=step_name, description="Transitions that change channel.")
    store.write_result(JOURNEY_CUSTOMER_FRICTION, customer_friction, step=step_name,
                       description="Per customer: traversals of the top friction pathways and the friction met.")
    for result, _, title, compare, _ in comparisons:
        if compare is not None:
            store.write_result(result, compare, step=step_name, description=f"{title}: pathways that differ.")
    # the dashboard compares any two segments, or journeys before / after a chosen date, from these counts
    counts, starts = pathway_day_counts(analyzer.steps_, store.table("customers"))
    store.write_result(JOURNEY_PATHWAY_DAYS, counts, step=step_name,
                       description="Journeys per pathway, segment and start day.")
    store.write_result(JOURNEY_STARTS, starts, step=step_name, description="Journeys per segment and start day.")
    store.write_result(JOURNEY_PATHWAY_DURATIONS, pathway_day_durations(analyzer.steps_, store.table("customers")),
                       step=step_name, description="Traversals per pathway, segment, start day and duration bin.")

    journey = journey_map(analyzer.touchpoints_, dfg, friction)
    section = Section(key="journeys", title="Journeys and pathway friction")
    top = friction.iloc[0] if len(friction) else None
    tp_names = Names.from_store(store)
    section.summary.append(Finding("journeys.headline", {
        "journeys": s["journeys"], "customers": s["customers"], "touchpoints": s["touchpoints"], "pathways": s["pathways"],
        "reaching": s["journeys_reaching_goal"], "goal_rate": s["goal_rate"], "goal": tp_names.touchpoint(s["goal"])}))
    if top is not None:
        section.summary.append(Finding("journeys.top_friction", {
            "from_tp": tp_names.touchpoint(top["source"]), "to_tp": tp_names.touchpoint(top["target"]),
            "score": float(top["friction_score"]), "n_customers": int(top["customers"])}))
    for result, names, title, compare, _ in comparisons:
        if compare is not None:
            section.summary.append(_differences(compare, *names, result=result, title=title, names=tp_names))
    section.add(
        Metric(Finding("journeys.metric.journeys"), Finding("value.int", {"v": s["journeys"]}), f"result {JOURNEY_VARIANTS.name}"),
        Metric(Finding("journeys.metric.reach", {"goal": tp_names.touchpoint(s["goal"])}),
               Finding("value.pct", {"v": s["goal_rate"]}), f"result {JOURNEY_FUNNEL.name}"),
        Metric(Finding("journeys.metric.repeat"), Finding("value.pct", {"v": s["journeys_with_repeat_share"]}),
               f"result {JOURNEY_TOUCHPOINTS.name}"),
        Metric(Finding("journeys.metric.switches"), Finding("value.int", {"v": s["channel_switches"]}),
               f"result {JOURNEY_CHANNEL_SWITCHES.name}"),
        draw_figure(lambda say: journey.figure(say, lambda t: say.data(tp_names.touchpoint(t))), _map_caption(journey),
                    languages=ctx.settings.figure_languages, dpi=ctx.settings.report_figure_dpi),
        Paragraph(Finding("journeys.method")),
        TableBlock(friction[[c for c in FRICTION_SHOWN if c in friction.columns]].head(10),
                   Finding("journeys.caption.friction"), source=f"result {JOURNEY_FRICTION.name}"),
        TableBlock(analyzer.friction_ablation_,
                   Finding("journeys.caption.ablation"), source=f"result {JOURNEY_FRICTION_ABLATION.name}"),
        TableBlock(analyzer.funnel_, Finding("journeys.caption.funnel", {"goal": tp_names.touchpoint(analyzer.goal_)}),
                   source=f"result {JOURNEY_FUNNEL.name}"),
        TableBlock(analyzer.touchpoints_[["touchpoint", "events", "journeys", "starts", "ends", "dropoff_rate", "repeat_events"]
                                         + [c for c in ("satisfaction", "sentiment") if c in analyzer.touchpoints_.columns]],
                   Finding("journeys.caption.touchpoints"), source=f"result {JOURNEY_TOUCHPOINTS.name}"),
        TableBlock(_readable_durations(analyzer.variants_.head(10), {"median_duration_seconds": "median_duration"}),
                   Finding("journeys.caption.variants"), source=f"result {JOURNEY_VARIANTS.name}", max_rows=10,
                   headers={"share": "column.journey_share"}),
    )
    for result, (a, b), title, compare, note in comparisons:
        if compare is None:
            section.add(Paragraph(Finding("journeys.not_compared", {"title": {"id": f"journeys.title.{result.name}"}})))
            continue
        shown = compare[["source", "target", "share_a", "share_b", "q_share", "median_seconds_a", "median_seconds_b", "q_duration"]].head(10)
        shown = _readable_durations(shown.rename(columns={"share_a": f"share_{a}", "share_b": f"share_{b}"}),
                                    {"median_seconds_a": f"median_{a}", "median_seconds_b": f"median_{b}"})
        section.add(TableBlock(shown, Finding(f"journeys.caption.{result.name}"), source=f"result {result.name}"))
    section.data = {
        "goal": analyzer.goal_,
        "top_friction_pathways": [list(p) for p in analyzer.top_friction_pathways_],
        "map_pathways": [(p.source, p.target, None if pd.isna(p.friction_rank) else int(p.friction_rank), bool(p.self_loop))
                         for p in journey.pathways.itertuples()],  # what the journey map draws
        "top_friction": friction.head(analyzer.top_pathways)[["source", "target", "friction_score", "transitions", "customers"]].to_dict("records"),
        "customer_friction_result": JOURNEY_CUSTOMER_FRICTION.name,
        "dfg_columns": DFG_COLUMNS,
        "summary": s,
    }
    return section


def _differences(compare: pd.DataFrame, a: str, b: str, *, result, title: str, names: Names) -> Finding:
    """One finding on a comparison: how many pathways differ, and the first row of the stored table (the order
    shown) whose share is significantly higher in ``a`` — so the headline names a row of the table under it."""
    significant = compare[compare["significant_share"] | compare["significant_duration"]]
    more = significant[significant["significant_share"] & (significant["share_a"] > significant["share_b"])]
    values = {"title": {"id": f"journeys.title.{result.name}"}, "n": len(significant), "group_a": {"id": f"cohort.{a}"},
              "group_b": {"id": f"cohort.{b}"}}
    if not len(more):
        return Finding("journeys.differences", values)
    top = more.iloc[0]
    values.update({"from_tp": names.touchpoint(top["source"]), "to_tp": names.touchpoint(top["target"]),
                   "share_a": float(top["share_a"]), "share_b": float(top["share_b"])})
    return Finding("journeys.differences_top", values, source=str(result), row={"source": top["source"], "target": top["target"]})


def _map_caption(journey) -> Finding:
    """The journey map's caption: what is drawn, how, and what is left out (``JourneyMap.caption`` in findings)."""
    p = journey.pathways
    share = journey.left_out_transitions / journey.transitions_total if journey.transitions_total else 0.0
    return Finding("journeys.figure.map", {
        "busiest": int(p["busiest"].sum()), "top": int(p["top_friction"].sum()),
        "extra": int((p["top_friction"] & ~p["busiest"]).sum()), "loops": int(p["self_loop"].sum()),
        "left_pathways": journey.left_out_pathways, "left_traversals": journey.left_out_transitions, "left_share": share,
        "left_touchpoints": max(journey.touchpoints_total - len(journey.nodes), 0)})


def _readable_durations(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the seconds ``columns`` shown as durations ("13.9 min", "3.1 h") under new names
    (the stored result keeps the seconds)."""
    out = frame.copy()
    for column in columns:
        out[column] = [readable_duration(float(v)) if pd.notna(v) else "" for v in out[column]]
    return out.rename(columns=columns)


#: The customer cohorts whose journeys the step compares: result name, the two cohort labels, what they
#: are called in the report (column names ``share_<name>``, ``median_<name>``), and the title.
COMPARISONS = (
    (JOURNEY_COMPARE, "promoter", "detractor", ("promoters", "detractors"), "Promoters vs detractors"),
    (JOURNEY_COMPARE_CHURN, "churned", "retained", ("churned", "retained"), "Churned vs retained customers"),
)


def _customer_cohorts(store) -> dict[str, ibis.Table]:
    """``customer_id, cohort`` per comparison: promoters (mean NPS >= 9) and detractors (<= 6); customers the
    CRM records as lost (``churned_at`` set) and those still active."""
    fb = store.table("feedback")
    fb = fb.filter(fb.customer_id.notnull() & fb.nps.notnull())
    nps = fb.group_by("customer_id").aggregate(nps=fb.nps.cast("float64").mean())
    promoters = nps.select("customer_id", cohort=ibis.cases((nps.nps >= PROMOTER, "promoter"), (nps.nps <= DETRACTOR, "detractor"),
                                                           else_=ibis.null("string")))
    customers = store.table("customers")
    churn = customers.select("customer_id", cohort=ibis.ifelse(customers.churned_at.notnull(), "churned", "retained"))
    return {JOURNEY_COMPARE: promoters, JOURNEY_COMPARE_CHURN: churn}


def cohort_comparisons(store, analyzer: JourneyAnalyzer) -> dict[str, pd.DataFrame | None]:
    """Each of :data:`COMPARISONS` on fitted journeys (the step's, or a dashboard scope's), by result name; None: it
    could not be made (too few customers in a cohort)."""
    return {result.name: compare for result, _, _, compare, _ in _compare_cohorts(store, analyzer)}


def _compare_cohorts(store, analyzer: JourneyAnalyzer) -> list[tuple[str, tuple[str, str], str, pd.DataFrame | None, str]]:
    """Each of :data:`COMPARISONS` on the fitted journeys: (result, names, title, comparison or None, note)."""
    labelled = _customer_cohorts(store)
    cases = analyzer.steps_.select("case", "customer").distinct()
    out = []
    for result, a, b, names, title in COMPARISONS:
        cohort = labelled[result]
        cohorts = cases.inner_join(cohort.filter(cohort.cohort.notnull()), cases.customer == cohort.customer_id).select("case", "cohort")
        try:
            out.append((result, names, title, compare_cohorts(analyzer.steps_, cohorts, cohort_a=a, cohort_b=b), ""))
        except NotEnoughDataError as exc:
            out.append((result, names, title, None, str(exc)))  # the report says which comparison could not be made
    return out
