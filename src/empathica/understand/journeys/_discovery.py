"""Journey discovery as Ibis expressions: steps, directly-follows graph, touchpoints, variants, channels.

Every function takes and returns Ibis expressions (no backend is opened here), so the same code runs
on the embedded DuckDB and, unchanged, on Spark. Each ordering within a journey is
``(timestamp, event_id)``: the event id breaks ties so results never depend on the backend's row order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

if TYPE_CHECKING:
    from ibis.expr.types import Table

#: Separator between touchpoints in a variant's path.
PATH_SEPARATOR = " → "


def distinct_count(table: "Table", keys: dict, column: str, name: str) -> "Table":
    """``count(distinct column)`` per group in two spillable steps (distinct rows, then a count), so a
    backend never holds one hash set per group in memory (DuckDB cannot spill those at 100M rows)."""
    pairs = table.select(**keys, _value=table[column]).distinct()
    return pairs.group_by(list(keys)).aggregate(**{name: pairs.count()})


def journey_steps(events: "Table", *, goal: str | None) -> "Table":
    """Each event with its place in the journey, the event that directly follows it, and the goal.

    Added columns (``event_id`` is dropped once the order is fixed in ``position``): ``position``
    (0-based), ``n_events`` (events in the journey), ``target``, ``target_channel`` (the next
    event; null on the last one), ``target_repeat`` (the next touchpoint was already met in this
    journey), ``seconds`` (time to
    the next event), ``is_goal``, ``reached_goal`` (the journey reaches the goal somewhere) and
    ``dropped`` (the journey never reaches the goal; without a goal: the next event is the journey's
    last). A pathway taken after the goal (delivery after the purchase) is not a drop-off.

    Every column comes from one ordering of each journey, so the backend sorts the events once.
    """
    order = [events.timestamp, events.event_id]
    journey = ibis.window(group_by=events.case, order_by=order)
    whole = ibis.window(group_by=events.case, order_by=order, rows=(None, None))  # same sort, whole journey
    so_far = ibis.window(group_by=events.case, order_by=order, rows=(None, 0))  # same sort, up to this event
    is_goal = (events.activity == goal) if goal is not None else ibis.literal(False)
    s = events.mutate(
        position=ibis.row_number().over(journey),
        target=events.activity.lead().over(journey),
        target_time=events.timestamp.lead().over(journey),
        target_channel=events.channel.lead().over(journey),
        n_events=events.count().over(whole),
        is_goal=is_goal,
        reached_goal=is_goal.any().over(whole) if goal is not None else ibis.literal(False),
        seen=events.activity.collect().over(so_far),
    )
    s = s.mutate(
        seconds=s.target_time.delta(s.timestamp, unit="millisecond").cast("float64") / 1000.0,
        target_repeat=s.seen.contains(s.target),
    )
    s = s.drop("target_time", "event_id", "seen")  # fewer columns to materialize; the order is in ``position`` now
    if goal is None:
        return s.mutate(dropped=s.position + 2 == s.n_events)
    return s.mutate(dropped=~s.reached_goal)


def pathway_graph(events: "Table") -> "Table":
    """The bare directly-follows graph in one pass: ``source, target, transitions, customers,
    median_seconds, p90_seconds`` (what ``dfg.csv`` holds, without the friction evidence)."""
    journey = ibis.window(group_by=events.case, order_by=[events.timestamp, events.event_id])
    s = events.mutate(target=events.activity.lead().over(journey), target_time=events.timestamp.lead().over(journey))
    t = s.filter(s.target.notnull())
    seconds = t.target_time.delta(t.timestamp, unit="millisecond").cast("float64") / 1000.0
    graph = t.group_by(source=t.activity, target=t.target).aggregate(
        transitions=t.count(),
        median_seconds=seconds.quantile(0.5),
        p90_seconds=seconds.quantile(0.9),
    )
    customers = distinct_count(t, {"source": t.activity, "target": t.target}, "customer", "customers")
    graph = graph.inner_join(customers, ["source", "target"])
    return graph.select("source", "target", "transitions", "customers", "median_seconds", "p90_seconds")


def first_visits(steps: "Table") -> "Table":
    """One row per journey and touchpoint: where it was first met and how often (``visits``)."""
    return steps.group_by(["case", "activity"]).aggregate(first_position=steps.position.min(), visits=steps.count())


def transitions(steps: "Table") -> "Table":
    """Only the steps that have a next event: one row per traversal of a pathway."""
    return steps.filter(steps.target.notnull())


def directly_follows(steps: "Table") -> "Table":
    """The directly-follows graph with the evidence friction needs, one row per pathway.

    Columns: ``source, target, transitions, customers, median_seconds, p90_seconds,
    dropoff_rate, repeat_rate, channel_switch_rate`` (null when channels are unknown),
    ``self_loop`` and ``source_typical_seconds`` (median time from the source to whatever follows
    it, the yardstick for this pathway's delay).
    """
    t = transitions(steps)
    switched = (t.channel != t.target_channel).cast("float64")
    typical = t.group_by(source=t.activity).aggregate(source_typical_seconds=t.seconds.quantile(0.5))
    graph = (
        t.group_by(source=t.activity, target=t.target)
        .aggregate(
            transitions=t.count(),
            median_seconds=t.seconds.quantile(0.5),
            p90_seconds=t.seconds.quantile(0.9),
            dropoff_rate=t.dropped.cast("float64").mean(),
            repeat_rate=t.target_repeat.cast("float64").mean(),
            channel_switch_rate=switched.mean(),
        )
        .mutate(self_loop=ibis._.source == ibis._.target)
    )
    customers = distinct_count(t, {"source": t.activity, "target": t.target}, "customer", "customers")
    graph = graph.inner_join(customers, ["source", "target"]).left_join(typical, "source").drop("source_right")
    first = ["source", "target", "transitions", "customers"]
    return graph.select(*first, *[c for c in graph.columns if c not in first])


def journey_table(steps: "Table") -> "Table":
    """One row per journey: customer, start and end touchpoint, length, duration, goal reached, path."""
    # the path: (position, touchpoint) pairs collected, sorted and joined, which Spark can do too
    # (an ordered string aggregate cannot be expressed there)
    path = (
        ibis.struct({"p": steps.position, "a": steps.activity}).collect().sort().map(lambda e: e.a).join(PATH_SEPARATOR)
    )
    return steps.group_by(case=steps.case).aggregate(
        customer=steps.customer.min(),
        start=steps.activity.min(where=steps.position == 0),
        end=steps.activity.min(where=steps.target.isnull()),
        n_events=steps.count(),
        seconds=steps.timestamp.max().delta(steps.timestamp.min(), unit="millisecond").cast("float64") / 1000.0,
        reached_goal=steps.reached_goal.any(),
        path=path,
    )


def variant_summary(journeys: "Table") -> "Table":
    """Distinct paths with their journeys, share, length, median duration and whether they reach the goal."""
    total = journeys.count().as_scalar()
    return (
        journeys.group_by(variant=journeys.path)
        .aggregate(
            journeys=journeys.count(),
            events=journeys.n_events.max(),
            median_duration_seconds=journeys.seconds.quantile(0.5),
            reaches_goal=journeys.reached_goal.any(),
        )
        .mutate(share=ibis._.journeys.cast("float64") / total.cast("float64"))
    )


def touchpoint_summary(steps: "Table", journeys: "Table", *, first: "Table | None" = None) -> "Table":
    """Volume, starts, ends, drop-off, repeats and time to the next step per touchpoint.

    ``dropoffs`` counts journeys that end at the touchpoint without reaching the goal;
    ``dropoff_rate`` divides them by the journeys that visit the touchpoint.
    """
    total = journeys.count().as_scalar().cast("float64")
    base = steps.group_by(touchpoint=steps.activity).aggregate(
        events=steps.count(),
        median_seconds_to_next=steps.seconds.quantile(0.5),
        mean_relative_position=(
            steps.position.cast("float64") / ibis.greatest(steps.n_events - 1, 1).cast("float64")
        ).mean(),
    )
    first = first_visits(steps) if first is None else first
    repeats = first.group_by(touchpoint=first.activity).aggregate(
        journeys=first.count(),
        repeat_events=(first.visits - 1).sum(),
        journeys_with_repeat=(first.visits > 1).cast("int64").sum(),
    )
    base = base.inner_join(repeats, "touchpoint").inner_join(
        distinct_count(steps, {"touchpoint": steps.activity}, "customer", "customers"), "touchpoint"
    )
    starts = journeys.group_by(touchpoint=journeys.start).aggregate(starts=journeys.count())
    ends = journeys.group_by(touchpoint=journeys.end).aggregate(
        ends=journeys.count(), dropoffs=(~journeys.reached_goal).cast("int64").sum()
    )
    out = base.left_join(starts, "touchpoint").drop("touchpoint_right")
    out = out.left_join(ends, "touchpoint").drop("touchpoint_right")
    return out.mutate(
        starts=out.starts.fill_null(0),
        ends=out.ends.fill_null(0),
        dropoffs=out.dropoffs.fill_null(0),
        start_share=out.starts.fill_null(0).cast("float64") / total,
        end_share=out.ends.fill_null(0).cast("float64") / total,
        dropoff_rate=out.dropoffs.fill_null(0).cast("float64") / out.journeys.cast("float64"),
    )


def channel_switches(steps: "Table") -> "Table":
    """Transitions whose channel changes (e.g. web → phone), per pair of channels."""
    t = transitions(steps)
    t = t.filter(t.channel.notnull() & t.target_channel.notnull() & (t.channel != t.target_channel))
    keys = {"source_channel": t.channel, "target_channel": t.target_channel}
    out = t.group_by(**keys).aggregate(transitions=t.count())
    for column, name in (("customer", "customers"), ("case", "journeys")):
        out = out.inner_join(distinct_count(t, keys, column, name), list(keys))
    return out
