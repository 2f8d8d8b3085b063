"""``JourneyAnalyzer``: discovery, touchpoints, variants, friction and the goal funnel in one fit."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from empathica.errors import AnalysisError, NotEnoughDataError
from empathica.understand.journeys._discovery import PATH_SEPARATOR, journey_paths, transitions, variant_summary
from empathica.understand.journeys._fused import (
    channel_pair_aggregate,
    count_channel_pairs,
    count_pathways,
    count_touchpoints,
    customer_masks_table,
    distinct_channel_pairs,
    distinct_pathway_customers,
    graph_aggregate,
    indexed_steps,
    journey_masks_table,
    most_frequent_end,
    named,
    step_index,
    touchpoint_aggregate,
    with_goal,
)
from empathica.understand.journeys._friction import friction_ablation, pathway_friction
from empathica.understand.journeys._funnel import funnel_from_paths, goal_funnel, typical_path_to_goal

if TYPE_CHECKING:
    from ibis.expr.types import Table

DFG_COLUMNS = ["source", "target", "transitions", "customers", "median_seconds", "p90_seconds"]
VARIANT_COLUMNS = ["variant", "journeys", "share", "events", "median_duration_seconds", "reaches_goal"]
#: The goal funnel is counted along the distinct paths (one walk each) up to this many variants, else per step.
FUNNEL_FROM_VARIANTS = 200_000
TOUCHPOINT_COLUMNS = ["touchpoint", "events", "median_seconds_to_next", "mean_relative_position", "journeys",
                      "repeat_events", "journeys_with_repeat", "customers", "starts", "ends", "dropoffs",
                      "start_share", "end_share", "dropoff_rate"]


class JourneyAnalyzer:
    """Map journeys from events and score the friction of every pathway.

    Parameters
    ----------
    goal:
        The touchpoint that completes a journey (e.g. ``order_confirmed``). When None, the most
        frequent end touchpoint is taken as the goal (``goal_`` says which).
    min_transitions:
        Pathways with fewer traversals are not scored for friction.
    friction_weights:
        Weight of each friction component (see :mod:`._friction`); missing ones weigh 1.
    top_pathways:
        How many of the highest-friction pathways count as "top" for customer exposure.
    funnel:
        The funnel's touchpoints in order; None takes the typical path of journeys reaching the goal.
    max_variants:
        ``variants_`` keeps the most frequent variants only (None: all); ``variants_rest_`` counts
        the others and :meth:`all_variants` is the full table as an expression, for writing by the engine.
    cache:
        Materialize the per-event steps and the per-journey table once (temporary tables) so
        every summary reads them.

    The plan (one sort, bit masks for repeats and distinct counts) is described in :mod:`._fused`.
    Fitted attributes: ``goal_``, ``steps_`` (one row per event: ``case, customer, activity,
    target, position, n_events, seconds, first_visit, target_repeat, reached_goal, dropped`` …)
    and ``journeys_`` (one row per journey) as Ibis expressions, ``dfg_``,
    ``touchpoints_``, ``variants_``, ``channel_switches_``, ``friction_``, ``friction_ablation_``, ``funnel_`` (DataFrames)
    and ``summary_`` (a dict of headline counts).

    >>> import ibis, pandas as pd
    >>> from empathica.understand.journeys import JourneyAnalyzer, journey_events
    >>> frame = pd.DataFrame({"case": ["1", "1", "2", "2"], "activity": ["web", "buy", "web", "call"],
    ...                       "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05",
    ...                                                    "2024-01-01 11:00", "2024-01-01 12:00"])})
    >>> events = journey_events(ibis.memtable(frame), case="case", activity="activity", timestamp="timestamp")
    >>> JourneyAnalyzer(goal="buy", cache=False).fit(events).dfg_[["source", "target", "transitions"]].values.tolist()
    [['web', 'buy', 1], ['web', 'call', 1]]
    """

    def __init__(
        self,
        *,
        goal: str | None = None,
        min_transitions: int = 10,
        friction_weights: dict[str, float] | None = None,
        top_pathways: int = 3,
        funnel: list[str] | None = None,
        max_variants: int | None = 1000,
        cache: bool = True,
    ) -> None:
        self.goal = goal
        self.min_transitions = min_transitions
        self.friction_weights = friction_weights
        self.top_pathways = top_pathways
        self.funnel = funnel
        self.max_variants = max_variants
        self.cache = cache

    def fit(self, events: "Table", *, feedback: "Table | None" = None, revenue: "Table | None" = None,
            checks: bool = False) -> "JourneyAnalyzer":
        """Discover the journeys in ``events`` (see :func:`journey_events` for its columns).

        ``feedback`` (optional): ``customer, touchpoint, satisfaction, sentiment`` per response, for
        satisfaction and sentiment per touchpoint and the sentiment after each pathway.
        ``revenue`` (optional): ``customer, revenue`` rows, summed per customer, for revenue touched.
        ``checks``: ``steps_`` also carries ``event_id`` and the order and tie flags of
        :func:`._fused.indexed_steps`, for an event file's checks (:meth:`EventFile.fit`).
        """
        # one sort of the events into the step table (materialized once); every summary below is
        # one grouped aggregate over it or over the per-journey table (see ``_fused``)
        index = step_index(events)
        if not index.activities:
            raise NotEnoughDataError("no journeys to analyse: the event table is empty.")
        base = indexed_steps(events, index, goal=self.goal, checks=checks)  # without a goal, one is chosen below
        # a customer that is the case itself (no customer column) is neither stored nor grouped by a second time
        alias = self.cache and _customer_is_case(events)
        if self.cache:
            base = _materialize(base.drop("customer") if alias else base)
            base = base.mutate(customer=base.case) if alias else base
        self.goal_ = self.goal if self.goal is not None else most_frequent_end(base, index)
        steps = with_goal(base, index, self.goal_)  # touchpoints as numbers: the summaries below
        self.steps_ = self._plain_steps = named(steps, index)  # with the names, for everything else

        touch = touchpoint_aggregate(steps, index)
        if not (touch["touchpoint"] == self.goal_).any():
            known = ", ".join(_sorted(touch, ["events", "touchpoint"], [False, True])["touchpoint"].head(20))
            raise AnalysisError(f"the goal touchpoint {self.goal_!r} never occurs in the events; touchpoints seen: {known}.")
        graph = graph_aggregate(steps, index)
        switches = channel_pair_aggregate(steps, index)
        # journeys grouped by (journey, customer): one row per journey unless a journey has several
        # customers, then the customer masks come from those rows and the journeys are regrouped
        numbers = [(index.activity_index(a), index.activity_index(b)) for a, b in zip(graph["source"], graph["target"])]
        known = all(a is not None and b is not None for a, b in numbers)
        pathway_words = index.pathway_words(len(numbers)) if known and numbers else None
        pairs = journey_masks_table(steps, index, numbers if pathway_words else [], by_customer=None if alias else True)
        if self.cache:
            pairs = _materialize(pairs)
        pairs = pairs.mutate(customer=pairs.case) if alias else pairs
        n = int(touch["starts"].sum())
        journeys = pairs
        if int(pairs.count().to_pandas()) != n:
            journeys = journey_masks_table(steps, index, [], by_customer=False)
            if self.cache:
                journeys = _materialize(journeys)
        self.journeys_ = journeys

        # per journey: headline counts, journeys repeating each touchpoint, journeys per channel pair
        channel_pairs = list(zip(switches["source_channel"], switches["target_channel"]))
        repeated = [journeys[f"repeated{w}"].fill_null(0) for w in range(index.touchpoint_words)]
        any_repeat = repeated[0]
        for word in repeated[1:]:
            any_repeat = any_repeat | word
        per_journey = journeys.aggregate(
            journeys=journeys.count(),
            events=journeys.n_events.sum(),
            single_event=(journeys.n_events == 1).cast("int64").sum(),
            reached_goal=journeys.reached_goal.cast("int64").sum(),
            with_repeat=(any_repeat != 0).cast("int64").sum(),
            **count_touchpoints(journeys, "repeated", index),
            **(count_channel_pairs(journeys, index, channel_pairs) if index.channel_words else {}),
        ).to_pandas().iloc[0]
        # per customer (the OR of their journeys' masks): distinct customers of everything
        customers = customer_masks_table(pairs, index)
        per_customer = customers.aggregate(
            customers=customers.count(),
            **count_touchpoints(customers, "visited", index),
            **(count_pathways(customers, len(numbers)) if pathway_words else {}),
            **(count_channel_pairs(customers, index, channel_pairs) if index.channel_words else {}),
        ).to_pandas().iloc[0]

        dfg = graph
        if pathway_words:
            dfg["customers"] = np.array([per_customer[f"pathway|{k}"] for k in range(len(numbers))], dtype="int64")
        else:
            dfg = dfg.merge(distinct_pathway_customers(steps, index), on=["source", "target"], how="left")
        dfg["self_loop"] = dfg["source"] == dfg["target"]
        dfg["source_typical_seconds"] = dfg["source"].map(touch.set_index("touchpoint")["median_seconds_to_next"])
        dfg = dfg[DFG_COLUMNS + ["dropoff_rate", "repeat_rate", "channel_switch_rate", "log_seconds_mean", "log_seconds_sd",
                                 "self_loop", "source_typical_seconds"]]
        if feedback is not None:
            dfg = dfg.merge(_sentiment_after(self.steps_, feedback).to_pandas(), on=["source", "target"], how="left")
        if revenue is not None:
            dfg = dfg.merge(_revenue_touched(self.steps_, revenue).to_pandas(), on=["source", "target"], how="left")
            dfg["revenue"] = dfg["revenue"].fillna(0.0)
        self.dfg_ = _sorted(dfg, ["transitions", "source", "target"], [False, True, True])

        tp = touch
        tp["repeat_events"] = tp["events"] - tp["journeys"]
        # (.get: events without a touchpoint form their own row, outside the masks)
        tp["journeys_with_repeat"] = np.array([per_journey.get(f"repeated|{a}", 0) for a in tp["touchpoint"]], dtype="int64")
        tp["customers"] = np.array([per_customer.get(f"visited|{a}", 0) for a in tp["touchpoint"]], dtype="int64")
        tp["start_share"] = tp["starts"] / n
        tp["end_share"] = tp["ends"] / n
        tp["dropoff_rate"] = tp["dropoffs"] / tp["journeys"]
        tp = tp[TOUCHPOINT_COLUMNS]
        if feedback is not None:
            per_touchpoint = feedback.group_by("touchpoint").aggregate(
                feedback_responses=feedback.count(),
                satisfaction=feedback.satisfaction.cast("float64").mean(),
                sentiment=feedback.sentiment.cast("float64").mean(),
            )
            tp = tp.merge(per_touchpoint.to_pandas(), on="touchpoint", how="left")
        self.touchpoints_ = _sorted(tp, ["events", "touchpoint"], [False, True])

        self._variant_inputs = (journeys, steps, index)
        variants = variant_summary(journeys, steps, label=lambda rows: named(rows, index), limit=self.max_variants).to_pandas()
        variants = _sorted(variants, ["journeys", "variant"], [False, True])
        self.variants_ = variants[VARIANT_COLUMNS]
        groups = journeys.group_by(["n_events", "path_key0", "path_key1"]).aggregate(journeys=journeys.count(), case=journeys.case.min())
        if self.cache:
            groups = _materialize(groups)
        n_variants = int(groups.count().to_pandas())
        self.variants_rest_ = {"variants": n_variants - len(variants), "journeys": n - int(variants["journeys"].sum()),
                               "events": int(per_journey["events"] or 0) - int((variants["journeys"] * variants["events"]).sum())}
        if index.channel_words:
            switches["customers"] = np.array([per_customer[f"chpair|{a}|{b}"] for a, b in channel_pairs], dtype="int64")
            switches["journeys"] = np.array([per_journey[f"chpair|{a}|{b}"] for a, b in channel_pairs], dtype="int64")
        elif len(switches):
            switches = switches.merge(distinct_channel_pairs(steps, index), on=["source_channel", "target_channel"], how="left")
        else:
            switches = switches.assign(customers=pd.Series(dtype="int64"), journeys=pd.Series(dtype="int64"))
        self.channel_switches_ = _sorted(switches, ["transitions", "source_channel", "target_channel"], [False, True, True])
        self.friction_ = pathway_friction(self.dfg_, min_transitions=self.min_transitions, weights=self.friction_weights)
        self.friction_ablation_ = friction_ablation(self.friction_, weights=self.friction_weights)
        self.funnel_steps_ = self.funnel or typical_path_to_goal(self.variants_, self.goal_)
        # the funnel on touchpoint numbers (-1: a funnel touchpoint the events never meet)
        numbers = [index.activity_index(t) for t in self.funnel_steps_]
        numbers = [-1 if k is None else k for k in numbers]
        if n_variants <= FUNNEL_FROM_VARIANTS:  # one walk along each distinct path
            paths = variant_paths(groups, steps)
            funnel = funnel_from_paths(paths["path"], paths["journeys"], numbers)
        else:  # one query per funnel step, each on the journeys that reached the step before
            funnel = goal_funnel(steps.mutate(activity=steps.idx), numbers)
        self.funnel_ = funnel.assign(touchpoint=pd.Series(self.funnel_steps_, index=funnel.index, dtype="str"))

        self.summary_ = {
            "goal": self.goal_,
            "journeys": n,
            "customers": int(per_customer["customers"]),
            "events": int(per_journey["events"] or 0),
            "touchpoints": len(self.touchpoints_),
            "pathways": len(self.dfg_),
            "variants": len(self.variants_) + self.variants_rest_["variants"],
            "single_event_journeys": int(per_journey["single_event"] or 0),
            "journeys_reaching_goal": int(per_journey["reached_goal"] or 0),
            "goal_rate": int(per_journey["reached_goal"] or 0) / n if n else 0.0,
            "journeys_with_repeat_share": int(per_journey["with_repeat"] or 0) / n if n else 0.0,
            "channel_switches": int(self.channel_switches_["transitions"].sum()) if len(self.channel_switches_) else 0,
        }
        return self

    def all_variants(self) -> "Table":
        """Every variant (no ``max_variants`` bound) as an expression of the events' backend, most
        frequent first, to be written by the engine (``.to_csv``, ``.to_parquet``) rather than pulled into memory."""
        journeys, steps, index = self._variant_inputs
        full = variant_summary(journeys, steps, label=lambda rows: named(rows, index))
        return full.select(*VARIANT_COLUMNS).order_by([ibis.desc("journeys"), "variant"])

    @property
    def top_friction_pathways_(self) -> list[tuple[str, str]]:
        """The ``top_pathways`` highest-friction pathways as (source, target)."""
        top = self.friction_.head(self.top_pathways)
        return list(zip(top["source"], top["target"]))

    def customer_friction(self) -> pd.DataFrame:
        """Friction exposure per customer: traversals of the top pathways and the friction met.

        Columns: ``customer_id, top_pathway_traversals, pathways_traversed, max_friction,
        mean_friction`` (over the scored pathways the customer traversed).
        """
        columns = ["customer_id", "top_pathway_traversals", "pathways_traversed", "max_friction", "mean_friction"]
        if self.friction_.empty:
            return pd.DataFrame(columns=columns)
        scores = ibis.memtable(self.friction_[["source", "target", "friction_score"]].assign(
            is_top=self.friction_["rank"] <= self.top_pathways
        ))
        t = transitions(getattr(self, "_plain_steps", self.steps_))
        t = t.select("customer", source=t.activity, target=t.target)
        joined = t.inner_join(scores, ["source", "target"])
        out = joined.group_by(customer_id=joined.customer).aggregate(
            top_pathway_traversals=joined.is_top.cast("int64").sum(),
            pathways_traversed=joined.count(),
            max_friction=joined.friction_score.max(),
            mean_friction=joined.friction_score.mean(),
        )
        return _sorted(out.to_pandas(), ["top_pathway_traversals", "max_friction", "customer_id"], [False, False, True])


def _customer_is_case(events: "Table") -> bool:
    """Whether the events' ``customer`` is the same expression as their ``case`` (:func:`journey_events`
    without a customer column)."""
    op = events.op()
    values = getattr(op, "values", None)
    return isinstance(values, dict) and "customer" in values and values["customer"] == values.get("case")


def _materialize(expr: "Table") -> "Table":
    """Compute ``expr`` once into a temporary table of its backend (gone when the connection closes)."""
    backend = expr._find_backend(use_default=True)
    if backend.name == "duckdb":
        return backend.create_table(f"_journeys_{uuid.uuid4().hex[:12]}", expr, temp=True)
    return expr.cache()


def variant_paths(groups: "Table", steps: "Table") -> pd.DataFrame:
    """``path`` (touchpoint numbers in order) and ``journeys`` of every variant in ``groups`` (journeys
    grouped by their path keys, as :func:`variant_summary` does, with ``journeys`` and a representative
    ``case``), each path spelled from its representative journey."""
    representatives = steps.semi_join(groups.select("case"), "case")
    paths = journey_paths(representatives.mutate(activity=representatives.idx.cast("string")))
    out = groups.inner_join(paths, "case").select("path", "journeys").to_pandas()
    return out.assign(path=[[int(k) for k in p.split(PATH_SEPARATOR)] if p else [] for p in out["path"]])


def _sentiment_after(steps: "Table", feedback: "Table") -> "Table":
    """``source, target, sentiment_after``: mean sentiment of the feedback each traversing customer gave about
    the pathway's target; and, over the traversals whose customer rated both ends, the paired change
    against their sentiment about the source (``sentiment_pairs, sentiment_before, sentiment_change,
    sentiment_change_sd``), friction's sentiment counterfactual.

    A response without a sentiment score counts with its satisfaction rescaled, (CSAT − 3) / 2.
    """
    experience = ibis.coalesce(feedback.sentiment.cast("float64"), (feedback.satisfaction.cast("float64") - 3.0) / 2.0)
    rated = feedback.mutate(experience=experience).filter(experience.notnull())
    per = rated.group_by(["customer", "touchpoint"]).aggregate(sentiment=rated.experience.mean())
    before = per.select(b_customer="customer", b_touchpoint="touchpoint", before="sentiment")
    t = transitions(steps)
    linked = t.inner_join(per, [t.customer == per.customer, t.target == per.touchpoint])
    linked = linked.left_join(before, [linked.customer == before.b_customer, linked.activity == before.b_touchpoint])
    change = linked.sentiment - linked.before
    return linked.group_by(source=linked.activity, target=linked.target).aggregate(
        sentiment_after=linked.sentiment.mean(),
        sentiment_pairs=linked.before.count(),
        sentiment_before=linked.before.mean(),
        sentiment_change=change.mean(),
        sentiment_change_sd=change.std(how="sample"),
    )


def _revenue_touched(steps: "Table", revenue: "Table") -> "Table":
    """``source, target, revenue``: total revenue of the distinct customers who traversed each pathway."""
    per_customer = revenue.group_by("customer").aggregate(revenue=revenue.revenue.cast("float64").sum())
    t = transitions(steps)
    pairs = t.select("customer", source=t.activity, target=t.target).distinct()
    linked = pairs.inner_join(per_customer, "customer")
    return linked.group_by(["source", "target"]).aggregate(revenue=linked.revenue.sum())


def _sorted(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return frame.sort_values(by, ascending=ascending, kind="mergesort").reset_index(drop=True)
