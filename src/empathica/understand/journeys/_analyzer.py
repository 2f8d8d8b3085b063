"""``JourneyAnalyzer``: discovery, touchpoints, variants, friction and the goal funnel in one fit."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from empathica.errors import AnalysisError, NotEnoughDataError
from empathica.understand.journeys._discovery import (
    channel_switches,
    directly_follows,
    first_visits,
    journey_steps,
    journey_table,
    ordered_steps,
    source_timing,
    touchpoint_summary,
    transitions,
    variant_summary,
    with_target_repeat,
)
from empathica.understand.journeys._friction import pathway_friction
from empathica.understand.journeys._funnel import goal_funnel, typical_path_to_goal

if TYPE_CHECKING:
    from ibis.expr.types import Table

DFG_COLUMNS = ["source", "target", "transitions", "customers", "median_seconds", "p90_seconds"]


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
    cache:
        Materialize the per-event steps once (a temporary table) so every summary reads them.

    Fitted attributes: ``goal_``, ``steps_`` and ``journeys_`` (Ibis expressions), ``dfg_``,
    ``touchpoints_``, ``variants_``, ``channel_switches_``, ``friction_``, ``funnel_`` (DataFrames)
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
        cache: bool = True,
    ) -> None:
        self.goal = goal
        self.min_transitions = min_transitions
        self.friction_weights = friction_weights
        self.top_pathways = top_pathways
        self.funnel = funnel
        self.cache = cache

    def fit(self, events: "Table", *, feedback: "Table | None" = None, revenue: "Table | None" = None) -> "JourneyAnalyzer":
        """Discover the journeys in ``events`` (see :func:`journey_events` for its columns).

        ``feedback`` (optional): ``customer, touchpoint, satisfaction, sentiment`` per response, for
        satisfaction and sentiment per touchpoint and the sentiment after each pathway.
        ``revenue`` (optional): ``customer, revenue`` rows, summed per customer, for revenue touched.
        """
        self.goal_ = self.goal if self.goal is not None else _most_frequent_end(ordered_steps(events, goal=None))
        if self.goal_ is None:
            raise NotEnoughDataError("no journeys to analyse: the event table is empty.")
        # the ordered steps (one sort) and each journey's first visits are computed once; the
        # repeat flag is joined on only where it is used (the graph) and in ``steps_``
        plain = ordered_steps(events, goal=self.goal_)
        if self.cache:
            plain = _materialize(plain)
        first = first_visits(plain)
        if self.cache:
            first = _materialize(first)
        steps = with_target_repeat(plain, first)
        journeys = journey_table(plain)
        timing = source_timing(plain)  # the exact per-touchpoint medians, computed once for both summaries
        if self.cache:
            journeys, timing = _materialize(journeys), _materialize(timing)
        self.steps_, self.journeys_ = steps, journeys
        self._plain_steps = plain  # steps_ without the repeat flag's join, for the summaries below

        dfg = directly_follows(plain, timing=timing, first=first)
        if feedback is not None:
            dfg = _with_sentiment_after(dfg, plain, feedback)
        if revenue is not None:
            dfg = _with_revenue(dfg, plain, revenue)
        self.dfg_ = _sorted(dfg.to_pandas(), ["transitions", "source", "target"], [False, True, True])

        touchpoints = touchpoint_summary(plain, journeys, first=first, timing=timing)
        if feedback is not None:
            per_touchpoint = feedback.group_by("touchpoint").aggregate(
                feedback_responses=feedback.count(),
                satisfaction=feedback.satisfaction.cast("float64").mean(),
                sentiment=feedback.sentiment.cast("float64").mean(),
            )
            touchpoints = touchpoints.left_join(per_touchpoint, "touchpoint").drop("touchpoint_right")
        self.touchpoints_ = _sorted(touchpoints.to_pandas(), ["events", "touchpoint"], [False, True])
        if not (self.touchpoints_["touchpoint"] == self.goal_).any():
            known = ", ".join(self.touchpoints_["touchpoint"].head(20))
            raise AnalysisError(f"the goal touchpoint {self.goal_!r} never occurs in the events; touchpoints seen: {known}.")

        variants = variant_summary(journeys, plain).to_pandas()
        variants = _sorted(variants, ["journeys", "variant"], [False, True])
        self.variants_ = variants[["variant", "journeys", "share", "events", "median_duration_seconds", "reaches_goal"]]
        self.channel_switches_ = _sorted(channel_switches(plain).to_pandas(), ["transitions", "source_channel", "target_channel"], [False, True, True])
        self.friction_ = pathway_friction(self.dfg_, min_transitions=self.min_transitions, weights=self.friction_weights)
        self.funnel_steps_ = self.funnel or typical_path_to_goal(self.variants_, self.goal_)
        self.funnel_ = goal_funnel(plain, self.funnel_steps_)

        counts = journeys.aggregate(
            journeys=journeys.count(),
            customers=journeys.customer.nunique(),
            events=journeys.n_events.sum(),
            single_event=(journeys.n_events == 1).cast("int64").sum(),
            reached_goal=journeys.reached_goal.cast("int64").sum(),
        ).to_pandas().iloc[0]
        with_repeat = int(first.filter(first.visits > 1).case.nunique().to_pandas() or 0)
        n = int(counts["journeys"])
        self.summary_ = {
            "goal": self.goal_,
            "journeys": n,
            "customers": int(counts["customers"]),
            "events": int(counts["events"] or 0),
            "touchpoints": len(self.touchpoints_),
            "pathways": len(self.dfg_),
            "variants": len(self.variants_),
            "single_event_journeys": int(counts["single_event"] or 0),
            "goal_rate": int(counts["reached_goal"] or 0) / n if n else 0.0,
            "journeys_with_repeat_share": with_repeat / n if n else 0.0,
            "channel_switches": int(self.channel_switches_["transitions"].sum()) if len(self.channel_switches_) else 0,
        }
        return self

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


def _materialize(expr: "Table") -> "Table":
    """Compute ``expr`` once into a temporary table of its backend (gone when the connection closes)."""
    backend = expr._find_backend(use_default=True)
    if backend.name == "duckdb":
        return backend.create_table(f"_journeys_{uuid.uuid4().hex[:12]}", expr, temp=True)
    return expr.cache()


def _most_frequent_end(steps: "Table") -> str | None:
    ends = steps.filter(steps.target.isnull())
    top = ends.group_by("activity").aggregate(n=ends.count()).order_by([ibis.desc("n"), "activity"]).limit(1).to_pandas()
    return None if top.empty else str(top["activity"].iloc[0])


def _with_sentiment_after(dfg: "Table", steps: "Table", feedback: "Table") -> "Table":
    """Mean sentiment of the feedback each traversing customer gave about the pathway's target.

    A response without a sentiment score counts with its satisfaction rescaled, (CSAT − 3) / 2.
    """
    experience = ibis.coalesce(feedback.sentiment.cast("float64"), (feedback.satisfaction.cast("float64") - 3.0) / 2.0)
    rated = feedback.mutate(experience=experience).filter(experience.notnull())
    per = rated.group_by(["customer", "touchpoint"]).aggregate(sentiment=rated.experience.mean())
    t = transitions(steps)
    linked = t.inner_join(per, [t.customer == per.customer, t.target == per.touchpoint])
    after = linked.group_by(source=linked.activity, target=linked.target).aggregate(sentiment_after=linked.sentiment.mean())
    return dfg.left_join(after, ["source", "target"]).drop("source_right", "target_right")


def _with_revenue(dfg: "Table", steps: "Table", revenue: "Table") -> "Table":
    """Total revenue of the distinct customers who traversed each pathway."""
    per_customer = revenue.group_by("customer").aggregate(revenue=revenue.revenue.cast("float64").sum())
    t = transitions(steps)
    pairs = t.select("customer", source=t.activity, target=t.target).distinct()
    linked = pairs.inner_join(per_customer, "customer")
    touched = linked.group_by(["source", "target"]).aggregate(revenue=linked.revenue.sum())
    out = dfg.left_join(touched, ["source", "target"]).drop("source_right", "target_right")
    return out.mutate(revenue=out.revenue.fill_null(0.0))


def _sorted(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return frame.sort_values(by, ascending=ascending, kind="mergesort").reset_index(drop=True)
