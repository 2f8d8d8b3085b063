"""Journey discovery as Ibis expressions: steps, directly-follows graph, touchpoints, variants, channels.

Every function takes and returns Ibis expressions (no backend is opened here), so the same code runs
on the embedded DuckDB and, unchanged, on Spark. Each ordering within a journey is
``(timestamp, event_id)``: the event id breaks ties so results never depend on the backend's row order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

if TYPE_CHECKING:
    from ibis.expr.types import FloatingValue, Table, TimestampValue

#: Separator between touchpoints in a variant's path.
PATH_SEPARATOR = " → "


@ibis.udf.scalar.builtin(name="epoch_ms")
def _epoch_ms(value) -> int:  # type: ignore[empty-body]
    """Milliseconds since 1970-01-01 UTC of a timestamp (a built-in function of DuckDB)."""


def seconds_between(later: "TimestampValue", earlier: "TimestampValue") -> "FloatingValue":
    """``later − earlier`` in seconds, counted in whole milliseconds (null when either is null).

    On DuckDB it is the difference of the two epoch milliseconds: ``date_diff`` on a timestamp with a
    time zone (the type a file's UTC times are read as) goes through ICU's calendar row by row, many
    times slower than the plain subtraction; both count the same millisecond boundaries. Elsewhere
    (Spark), and on expressions not yet bound to a backend, ``delta``.
    """
    try:
        duckdb = later._find_backend(use_default=True).name == "duckdb"
    except Exception:  # unbound tables: no backend to ask
        duckdb = False
    if duckdb:
        return (_epoch_ms(later) - _epoch_ms(earlier)).cast("float64") / 1000.0
    return later.delta(earlier, unit="millisecond").cast("float64") / 1000.0


def distinct_count(table: "Table", keys: dict, column: str, name: str) -> "Table":
    """``count(distinct column)`` per group in two spillable steps (distinct rows, then a count), so a
    backend never holds one hash set per group in memory (DuckDB cannot spill those at 100M rows)."""
    pairs = table.select(**keys, _value=table[column]).distinct()
    return pairs.group_by(list(keys)).aggregate(**{name: pairs.count()})


def journey_steps(events: "Table", *, goal: str | None) -> "Table":
    """Each event with its place in the journey, the event that directly follows it, and the goal.

    Added columns (``event_id`` is dropped once the order is fixed in ``position``): ``position``
    (0-based), ``n_events`` (events in the journey), ``previous`` (the touchpoint before; null on
    the first event), ``target``, ``target_channel`` (the next
    event; null on the last one), ``seconds`` (time to the next event), ``is_goal``,
    ``reached_goal`` (the journey reaches the goal somewhere), ``dropped`` (the journey never
    reaches the goal; without a goal: the next event is the journey's last; a pathway taken after
    the goal, delivery after the purchase, is not a drop-off) and ``target_repeat`` (the next
    touchpoint was already met in this journey).

    This is :func:`ordered_steps` followed by :func:`with_target_repeat`.
    """
    return with_target_repeat(ordered_steps(events, goal=goal))


def ordered_steps(events: "Table", *, goal: str | None) -> "Table":
    """:func:`journey_steps` without ``target_repeat``: every column comes from one ordering of
    each journey, so the backend sorts the events once (one window pass, no join)."""
    order = [events.timestamp, events.event_id]
    journey = ibis.window(group_by=events.case, order_by=order)
    whole = ibis.window(group_by=events.case, order_by=order, rows=(None, None))  # same sort, whole journey
    is_goal = (events.activity == goal) if goal is not None else ibis.literal(False)
    s = events.mutate(
        position=ibis.row_number().over(journey),
        previous=events.activity.lag().over(journey),
        target=events.activity.lead().over(journey),
        target_time=events.timestamp.lead().over(journey),
        target_channel=events.channel.lead().over(journey),
        n_events=events.count().over(whole),
        is_goal=is_goal,
        reached_goal=is_goal.any().over(whole) if goal is not None else ibis.literal(False),
    )
    s = s.mutate(seconds=seconds_between(s.target_time, s.timestamp))
    s = s.drop("target_time", "event_id")  # fewer columns to materialize; the order is in ``position`` now
    if goal is None:
        return s.mutate(dropped=s.position + 2 == s.n_events)
    return s.mutate(dropped=~s.reached_goal)


def with_target_repeat(steps: "Table", first: "Table | None" = None) -> "Table":
    """Add ``target_repeat``: the step's target touchpoint was already met in the journey (at or
    before this step), i.e. its first position in the journey is ≤ the step's position.

    A hash join with :func:`first_visits` (pass it when already computed), instead of a running
    list of the touchpoints met so far, which made the step table quadratic in the journey length.
    """
    first = first_visits(steps) if first is None else first
    f = first.select(_case=first.case, _target=first.activity, _first=first.first_position)
    s = steps.left_join(f, [steps.case == f._case, steps.target == f._target])
    return s.mutate(target_repeat=s._first <= s.position).drop("_case", "_target", "_first")


def pathway_graph(events: "Table", *, customers: bool = True, statistics: bool = False) -> "Table":
    """The bare directly-follows graph in one pass: ``source, target, transitions, customers,
    median_seconds, p90_seconds`` (what ``dfg.csv`` holds, without the friction evidence).

    ``customers=False`` leaves out the distinct-customer count (a second, deduplicating aggregate);
    ``statistics=True`` adds ``mean_seconds, min_seconds, max_seconds, sum_seconds, stdev_seconds``
    (the sample standard deviation, ``ddof=1``, as pandas' ``std``): every measure of pm4py's
    performance DFG.
    """
    journey = ibis.window(group_by=events.case, order_by=[events.timestamp, events.event_id])
    s = events.mutate(target=events.activity.lead().over(journey), target_time=events.timestamp.lead().over(journey))
    t = s.filter(s.target.notnull())
    seconds = seconds_between(t.target_time, t.timestamp)
    extra = {}
    if statistics:
        extra = dict(mean_seconds=seconds.mean(), min_seconds=seconds.min(), max_seconds=seconds.max(),
                     sum_seconds=seconds.sum(), stdev_seconds=seconds.std(how="sample"))
    graph = t.group_by(source=t.activity, target=t.target).aggregate(
        transitions=t.count(),
        _quantiles=seconds.quantile([0.5, 0.9]),  # both from one collected state (one sort per pathway)
        **extra,
    )
    graph = graph.mutate(median_seconds=graph._quantiles[0], p90_seconds=graph._quantiles[1])
    columns = ["source", "target", "transitions", "median_seconds", "p90_seconds", *extra]
    if customers:
        counted = distinct_count(t, {"source": t.activity, "target": t.target}, "customer", "customers")
        graph = graph.inner_join(counted, ["source", "target"])
        columns.insert(3, "customers")
    return graph.select(*columns)


def first_visits(steps: "Table") -> "Table":
    """One row per journey and touchpoint: where it was first met (``first_position``), how often
    (``visits``) and, when ``steps`` has the ``previous`` column, the touchpoint met just before the
    first visit (``first_previous``, null when the journey starts there)."""
    extra = {"first_previous": steps.previous.argmin(steps.position)} if "previous" in steps.columns else {}
    return steps.group_by(["case", "activity"]).aggregate(
        first_position=steps.position.min(), visits=steps.count(), **extra
    )


def first_arrivals(first: "Table") -> "Table":
    """``source, target, first_arrivals``: traversals of each pathway that reach the target for the
    first time in the journey (every first visit but a journey's start is reached by exactly one
    traversal, from ``first_previous``). The other traversals of the pathway are repeats."""
    arrived = first.filter(first.first_position > 0)
    return arrived.group_by(source=arrived.first_previous, target=arrived.activity).aggregate(first_arrivals=arrived.count())


def transitions(steps: "Table") -> "Table":
    """Only the steps that have a next event: one row per traversal of a pathway."""
    return steps.filter(steps.target.notnull())


def wait_moments(seconds) -> dict:
    """Mean and sample standard deviation of ``ln(1 + seconds)`` (the aggregates friction's delay
    interval needs; per target they are pooled from the pathways' moments, no second pass)."""
    log_wait = (ibis.greatest(seconds.cast("float64"), 0.0) + 1.0).ln()
    return {"log_seconds_mean": log_wait.mean(), "log_seconds_sd": log_wait.std(how="sample")}


def source_timing(steps: "Table") -> "Table":
    """Per touchpoint: ``events``, ``median_seconds_to_next`` (the typical wait before whatever follows
    it, which is also the yardstick of its pathways' delay) and ``mean_relative_position``.

    Computed once and shared by :func:`directly_follows` and :func:`touchpoint_summary` (an exact
    median is the most expensive aggregate here)."""
    return steps.group_by(touchpoint=steps.activity).aggregate(
        events=steps.count(),
        median_seconds_to_next=steps.seconds.quantile(0.5),
        mean_relative_position=(
            steps.position.cast("float64") / ibis.greatest(steps.n_events - 1, 1).cast("float64")
        ).mean(),
    )


def directly_follows(steps: "Table", *, timing: "Table | None" = None, first: "Table | None" = None) -> "Table":
    """The directly-follows graph with the evidence friction needs, one row per pathway.

    Columns: ``source, target, transitions, customers, median_seconds, p90_seconds,
    dropoff_rate, repeat_rate, channel_switch_rate`` (null when channels are unknown),
    ``self_loop`` and ``source_typical_seconds`` (median time from the source to whatever follows
    it, the yardstick for this pathway's delay). ``timing`` and ``first`` are :func:`source_timing`
    and :func:`first_visits` of ``steps`` when already computed. ``repeat_rate`` is the mean of the
    steps' ``target_repeat`` when they have it (and no ``first`` is given), else 1 − first arrivals
    / transitions (:func:`first_arrivals`), the same number without joining every step.
    """
    t = transitions(steps)
    switched = (t.channel != t.target_channel).cast("float64")
    timing = source_timing(steps) if timing is None else timing
    typical = timing.select(source=timing.touchpoint, source_typical_seconds=timing.median_seconds_to_next)
    # repeats: from the steps' own flag when they carry one, otherwise counted from the first visits
    # (no join of every step with its journey's first visits)
    by_flag = "target_repeat" in steps.columns and first is None
    repeat = {"repeat_rate": t.target_repeat.cast("float64").mean()} if by_flag else {}
    graph = t.group_by(source=t.activity, target=t.target).aggregate(
        transitions=t.count(),
        median_seconds=t.seconds.quantile(0.5),
        p90_seconds=t.seconds.quantile(0.9),
        dropoff_rate=t.dropped.cast("float64").mean(),
        **repeat,
        channel_switch_rate=switched.mean(),
        **wait_moments(t.seconds),
    )
    if not by_flag:
        arrivals = first_arrivals(first_visits(steps) if first is None else first)
        graph = graph.left_join(arrivals, ["source", "target"]).drop("source_right", "target_right")
        graph = graph.mutate(
            repeat_rate=1.0 - graph.first_arrivals.fill_null(0).cast("float64") / graph.transitions.cast("float64")
        ).drop("first_arrivals")
    graph = graph.mutate(self_loop=graph.source == graph.target)
    customers = distinct_count(t, {"source": t.activity, "target": t.target}, "customer", "customers")
    graph = graph.inner_join(customers, ["source", "target"]).left_join(typical, "source").drop("source_right")
    head = ["source", "target", "transitions", "customers", "median_seconds", "p90_seconds", "dropoff_rate",
            "repeat_rate", "channel_switch_rate", "self_loop"]
    return graph.select(*head, *[c for c in graph.columns if c not in head])


#: Moduli of the two path keys (primes below 2**30, so products of residues stay far inside int64).
_PATH_MODULI = (1_000_000_007, 998_244_353)


def _path_keys(steps: "Table") -> dict:
    """Two order-sensitive keys of a journey's path as plain sums (fixed-size, spillable aggregates).

    key_m = Σ_i (h(touchpoint_i) mod m) · (h(i + salt_m) mod m) mod m: each position gets its own
    pseudo-random weight, so two different paths (with the same length, also compared) share both
    keys only by chance (≈ 2⁻⁶⁰ per pair) and the keys need no list of touchpoints per journey.
    """
    keys = {}
    for k, m in enumerate(_PATH_MODULI):
        # residues fit int32; widened explicitly (Ibis types hash() as int64, but Spark's is int32
        # and its ANSI mode would reject an int32 product that overflows)
        touch = (steps.activity.hash() % m).cast("int32").cast("int64")
        place = ((steps.position + 1_000_003 * k).hash() % m).cast("int32").cast("int64")
        keys[f"path_key{k}"] = ((touch * place) % m).sum()
    return keys


def journey_table(steps: "Table") -> "Table":
    """One row per journey: customer, start and end touchpoint, length, duration, goal reached and
    ``path_key0, path_key1`` (equal for equal paths; :func:`variant_summary` spells the paths out)."""
    return steps.group_by(case=steps.case).aggregate(
        customer=steps.customer.min(),
        start=steps.activity.min(where=steps.position == 0),
        end=steps.activity.min(where=steps.target.isnull()),
        n_events=steps.count(),
        seconds=seconds_between(steps.timestamp.max(), steps.timestamp.min()),
        reached_goal=steps.reached_goal.any(),
        **_path_keys(steps),
    )


def journey_paths(steps: "Table") -> "Table":
    """``case, path``: each journey's touchpoints joined in order (a list per journey: use it on few
    journeys, as :func:`variant_summary` does with one representative journey per variant)."""
    # (position, touchpoint) pairs collected, sorted and joined, which Spark can do too
    # (an ordered string aggregate cannot be expressed there)
    path = (
        ibis.struct({"p": steps.position, "a": steps.activity}).collect().sort().map(lambda e: e.a).join(PATH_SEPARATOR)
    )
    return steps.group_by(case=steps.case).aggregate(path=path)


def variant_summary(journeys: "Table", steps: "Table", *, label=None, limit: int | None = None) -> "Table":
    """Distinct paths with their journeys, share, length, median duration and whether they reach the goal.

    Journeys are grouped by their path keys (see :func:`journey_table`); the path of each variant
    is then spelled out from one representative journey (the smallest case id), so no list of
    touchpoints is ever built per journey: this is what lets 100M events complete in bounded memory.
    ``label`` (optional) turns the representatives' steps into steps with an ``activity`` column
    (the analyzer's steps carry touchpoint numbers and name only these few rows). ``limit`` keeps the
    ``limit`` most frequent variants (ties: the smaller representative case id) before any path is spelled out.
    """
    total = journeys.count().as_scalar()
    keys = ["n_events", "path_key0", "path_key1"]
    groups = journeys.group_by(keys).aggregate(
        journeys=journeys.count(),
        median_duration_seconds=journeys.seconds.quantile(0.5),
        reaches_goal=journeys.reached_goal.any(),
        case=journeys.case.min(),
    )
    if limit is not None:
        groups = groups.order_by([ibis.desc("journeys"), "case"]).limit(limit)
    representatives = steps.semi_join(groups.select("case"), "case")
    paths = journey_paths(representatives if label is None else label(representatives))
    out = groups.inner_join(paths, "case")
    return out.select(
        variant=out.path,
        journeys=out.journeys,
        events=out.n_events,
        median_duration_seconds=out.median_duration_seconds,
        reaches_goal=out.reaches_goal,
        share=out.journeys.cast("float64") / total.cast("float64"),
    )


def touchpoint_summary(
    steps: "Table", journeys: "Table", *, first: "Table | None" = None, timing: "Table | None" = None
) -> "Table":
    """Volume, starts, ends, drop-off, repeats and time to the next step per touchpoint.

    ``dropoffs`` counts journeys that end at the touchpoint without reaching the goal;
    ``dropoff_rate`` divides them by the journeys that visit the touchpoint. ``first`` and
    ``timing`` are :func:`first_visits` and :func:`source_timing` of ``steps`` when already computed.
    """
    total = journeys.count().as_scalar().cast("float64")
    base = source_timing(steps) if timing is None else timing
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
