"""Discovery in few passes: one ordered step table, then every summary of ``JourneyAnalyzer.fit`` from it.

The building blocks in :mod:`._discovery` each scan the steps again, need a grouped aggregate per
(journey, touchpoint) for the first visits and one deduplicating aggregate per distinct count.
Here:

- **one sort**: a single window pass over each journey (:func:`indexed_steps`) gives the position,
  the next event, the wait, the goal flag and — from a running bitwise OR of the touchpoints met so
  far — whether an event is the first visit of its touchpoint in the journey and whether the next
  touchpoint was already met (the repeat flag). Touchpoints are numbered ``0 … T−1`` (text is not
  sorted or stored); touchpoint ``i`` is bit ``i mod 62`` of mask word ``i // 62``, so any number of
  touchpoints works (one word up to 62);
- **one grouped aggregate per key**: per pathway (the graph), per touchpoint, per channel pair and
  per (journey, customer);
- **exact distinct counts without deduplicating the steps**: each journey carries bit masks of the
  touchpoints it met and repeated, the observed pathways it took and the channel pairs it switched
  between; a customer's masks are the OR of their journeys' masks, and "distinct customers of
  pathway p" is the number of customers whose mask has p's bit. Pathway and channel-pair masks are
  used while they fit in :data:`MAX_MASK_WORDS` words (992 observed pathways, 31 channels, and at
  most 64 touchpoints for the pathway numbering); beyond that the distinct customers are counted by
  deduplication (:func:`._discovery.distinct_count`).

Every expression is plain Ibis (``bit_or`` is a built-in aggregate of DuckDB and Spark), so this
runs unchanged on both; the tests compare it with pandas, with itself on narrow mask words and
forced fallbacks, and DuckDB with Spark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from empathica.understand.journeys._discovery import _PATH_MODULI, distinct_count, seconds_between, wait_moments

if TYPE_CHECKING:
    from ibis.expr.types import IntegerValue, Table

#: Bits used per int64 mask word (the sign bit and one more stay clear).
WORD_BITS = 62
#: Pathway and channel-pair masks are kept while they need at most this many words per journey.
MAX_MASK_WORDS = 16
#: Pathways are numbered through a literal list indexed by source × T + target: at most this long.
MAX_PATHWAY_CODES = 4096


@ibis.udf.agg.builtin(name="bit_or")
def _bit_or(value: int) -> int:  # type: ignore[empty-body]
    """Bitwise OR of the values (a built-in aggregate of DuckDB and Spark)."""


def _words(n: int) -> int:
    return max(1, -(-n // WORD_BITS))


def _bit(k: "IntegerValue", words: int = 1) -> "IntegerValue":
    """``1 << (k mod WORD_BITS)`` as int64 (no modulo needed when everything fits one word)."""
    return ibis.literal(1).cast("int64") << (k if words == 1 else k % WORD_BITS)


def _in_word(k: "IntegerValue", word: int, words: int) -> "IntegerValue":
    """The bit of index ``k`` when it lies in mask word ``word``, else 0 (null when ``k`` is null).

    Integer comparisons only (a floor division compiles to a float division on DuckDB)."""
    if words == 1:
        return _bit(k)
    low = word * WORD_BITS
    return ibis.ifelse((k >= low) & (k < low + WORD_BITS), ibis.literal(1).cast("int64") << (k - low), 0)


def _pick(masks: list, k: "IntegerValue") -> "IntegerValue":
    """The mask word that holds index ``k``."""
    if len(masks) == 1:
        return masks[0]
    return ibis.cases(*[(k < (w + 1) * WORD_BITS, m) for w, m in enumerate(masks)], else_=0)


def _has(mask: "IntegerValue", k: int) -> "IntegerValue":
    """1 when the (literal) index ``k`` is set in ``mask`` (its word already chosen), else 0."""
    return ((mask & (1 << (k % WORD_BITS))) != 0).cast("int64")


@dataclass(frozen=True)
class StepIndex:
    """The numbering behind the masks: touchpoints and channels in sorted order."""

    activities: tuple[str, ...]
    channels: tuple[str, ...]

    @property
    def touchpoint_words(self) -> int:
        return _words(len(self.activities))

    def pathway_words(self, pathways: int) -> int | None:
        """Mask words for ``pathways`` observed pathways (None: count by deduplication instead)."""
        if len(self.activities) ** 2 > MAX_PATHWAY_CODES:
            return None
        words = _words(pathways)
        return words if words <= MAX_MASK_WORDS else None

    @property
    def channel_words(self) -> int | None:
        if not self.channels:
            return None
        words = _words(len(self.channels) ** 2)
        return words if words <= MAX_MASK_WORDS else None

    def activity_index(self, name: str) -> int | None:
        try:
            return self.activities.index(name)
        except ValueError:
            return None


def step_index(events: "Table") -> StepIndex:
    """The distinct touchpoints and channels of ``events`` (one small grouped query)."""
    pairs = events.select("activity", "channel").distinct().to_pandas()
    activities = sorted(str(a) for a in pairs["activity"].dropna().unique())
    channels = sorted(str(c) for c in pairs["channel"].dropna().unique())
    return StepIndex(tuple(activities), tuple(channels))


def indexed_steps(events: "Table", index: StepIndex, *, goal: str | None = None, checks: bool = False) -> "Table":
    """Each event with its place in the journey, the next event and the repeat evidence, in one sort.

    Columns: ``case, customer, timestamp, idx`` (the touchpoint, as its number in
    ``index.activities``: text is neither sorted nor stored, :func:`named` adds the names back),
    ``cidx`` (the channel's number in ``index.channels``), ``position`` (0-based), ``n_events``,
    ``target_idx``, ``target_cidx`` (the next event; null on the last), ``seconds`` (to the next
    event), ``first_visit`` (the touchpoint is met here for the first time in the journey),
    ``target_repeat`` (the next touchpoint was already met at or before this step) and
    with a ``goal``, ``reached_goal`` (the journey meets it somewhere); without one, ``visited0 …``
    (mask words of the touchpoints the whole journey meets) so that :func:`with_goal` can test any
    goal chosen afterwards (DuckDB computes these per-journey ORs more slowly than a plain flag).
    With ``checks``, also ``event_id``, ``order_back`` (the event's id is smaller than the previous
    event's: for a file, the journey's rows are not in time order in the file) and ``time_tie`` (the
    previous or next event of the journey has the same time), from the same sort: what an event file's
    duplicate and order checks need (:meth:`._files.EventFile.fit`).
    """
    # numbered by their place in a literal list (no lookup table to register on the backend)
    e = events.mutate(
        idx=ibis.literal(list(index.activities), type="array<string>").index(events.activity).cast("int64"),
        cidx=(ibis.literal(list(index.channels), type="array<string>").index(events.channel).cast("int64")
              if index.channels else ibis.null("int64")),
    )
    order = [e.timestamp, e.event_id]
    journey = ibis.window(group_by=e.case, order_by=order)
    before = ibis.window(group_by=e.case, order_by=order, rows=(None, -1))  # the events before this one
    whole = ibis.window(group_by=e.case, order_by=order, rows=(None, None))  # same sort, whole journey
    # the journey's OR over all its events: without an order (a per-partition aggregate, still the
    # same sort); DuckDB evaluates bit_or over an ordered whole-journey frame row by row
    unordered = ibis.window(group_by=e.case)
    n_words = index.touchpoint_words
    words = range(n_words)
    if goal is not None:  # one flag per journey, from the same sort
        k = index.activity_index(goal)
        per_journey = {"reached_goal": (e.idx == k).any().over(whole) if k is not None else ibis.literal(False)}
    else:
        per_journey = {f"visited{w}": _bit_or(_in_word(e.idx, w, n_words)).over(unordered) for w in words}
    s = e.mutate(
        position=ibis.row_number().over(journey),
        target_idx=e.idx.lead().over(journey),
        target_cidx=e.cidx.lead().over(journey),
        target_time=e.timestamp.lead().over(journey),
        n_events=e.count().over(whole),
        **{f"_seen{w}": _bit_or(_in_word(e.idx, w, n_words)).over(before) for w in words},
        **per_journey,
        **({"order_back": e.event_id < e.event_id.lag().over(journey),
            "_time_before": e.timestamp.lag().over(journey)} if checks else {}),
    )
    if checks:
        s = s.mutate(time_tie=(s._time_before == s.timestamp).fill_null(False) | (s.target_time == s.timestamp).fill_null(False),
                     order_back=s.order_back.fill_null(False)).drop("_time_before")
    seen = [s[f"_seen{w}"].fill_null(0) for w in words]
    upto = [seen[w] | _in_word(s.idx, w, n_words).fill_null(0) for w in words]  # met at or before this step
    s = s.mutate(
        seconds=seconds_between(s.target_time, s.timestamp),
        first_visit=(_pick(seen, s.idx) & _bit(s.idx, n_words)) == 0,
        target_repeat=(_pick(upto, s.target_idx) & _bit(s.target_idx, n_words)) != 0,
    )
    # channels stay as numbers (``cidx``): fewer text columns to sort and store
    return s.drop("target_time", *([] if checks else ["event_id"]), "activity", "channel", *[f"_seen{w}" for w in words])


def named(steps: "Table", index: StepIndex) -> "Table":
    """Add ``activity`` and ``target`` (the touchpoint names) to steps from :func:`indexed_steps`."""
    names = ibis.literal(list(index.activities), type="array<string>")
    return steps.mutate(activity=_lookup(names, steps.idx), target=_lookup(names, steps.target_idx))


def _lookup(array, k: "IntegerValue"):
    """``array[k]``, null when ``k`` is null (Spark would read a null index as the last element;
    it also wants an int32 index)."""
    return ibis.ifelse(k.isnull(), ibis.null(array.type().value_type), array[k.cast("int32")])


def _names(numbers: pd.Series, names: tuple[str, ...]) -> pd.Series:
    """Touchpoint (or channel) numbers back to their names (null stays null)."""
    lookup = np.array([*names, None], dtype=object)
    return pd.Series(lookup[numbers.fillna(-1).astype("int64").to_numpy()], index=numbers.index, dtype="str")


def with_goal(steps: "Table", index: StepIndex, goal: str | None) -> "Table":
    """Add ``is_goal``, ``reached_goal`` (a bit test on the journey's touchpoint mask) and ``dropped``
    (the journey never reaches the goal; without a goal: the next event is the journey's last)."""
    k = index.activity_index(goal) if goal is not None else None
    if "reached_goal" in steps.columns:  # computed with the steps (the goal was known)
        reached = steps.reached_goal
    elif goal is None:
        return steps.mutate(is_goal=ibis.literal(False), reached_goal=ibis.literal(False),
                            dropped=steps.position + 2 == steps.n_events)
    else:
        reached = ibis.literal(False) if k is None else (steps[f"visited{k // WORD_BITS}"].fill_null(0) & (1 << (k % WORD_BITS))) != 0
    is_goal = ibis.literal(False) if k is None else steps.idx == k
    return steps.mutate(is_goal=is_goal, reached_goal=reached, dropped=~reached)


def most_frequent_end(steps: "Table", index: StepIndex) -> str | None:
    """The touchpoint most journeys end at (ties: the alphabetically first, i.e. the lowest number)."""
    ends = steps.filter(_last(steps) & steps.idx.notnull())
    top = ends.group_by("idx").aggregate(n=ends.count()).order_by([ibis.desc("n"), "idx"]).limit(1).to_pandas()
    return None if top.empty else index.activities[int(top["idx"].iloc[0])]


def _last(steps: "Table"):
    """The journey's last event (robust to a next event without a touchpoint)."""
    return steps.position + 1 == steps.n_events


def graph_aggregate(steps: "Table", index: StepIndex) -> pd.DataFrame:
    """Per pathway, in one grouped aggregate: ``source, target, transitions, median_seconds,
    p90_seconds, dropoff_rate, repeat_rate, channel_switch_rate, log_seconds_mean, log_seconds_sd`` (both quantiles from one state)."""
    t = steps.filter(~_last(steps))
    q = t.seconds.quantile([0.5, 0.9])
    g = t.group_by(source=t.idx, target=t.target_idx).aggregate(
        transitions=t.count(),
        _q=q,
        dropoff_rate=t.dropped.cast("float64").mean(),
        repeat_rate=t.target_repeat.cast("float64").mean(),
        channel_switch_rate=(t.cidx != t.target_cidx).cast("float64").mean(),
        **wait_moments(t.seconds),
    )
    frame = g.select("source", "target", "transitions", median_seconds=g._q[0], p90_seconds=g._q[1],
                     dropoff_rate=g.dropoff_rate, repeat_rate=g.repeat_rate,
                     channel_switch_rate=g.channel_switch_rate, log_seconds_mean=g.log_seconds_mean,
                     log_seconds_sd=g.log_seconds_sd).to_pandas()
    return frame.assign(source=_names(frame["source"], index.activities), target=_names(frame["target"], index.activities))


def touchpoint_aggregate(steps: "Table", index: StepIndex) -> pd.DataFrame:
    """Per touchpoint, in one grouped aggregate: volume, journeys (first visits), starts, ends,
    drop-offs, the median wait to the next step and the mean relative position."""
    s = steps
    last = _last(s)
    frame = s.group_by(touchpoint=s.idx).aggregate(
        events=s.count(),
        median_seconds_to_next=s.seconds.quantile(0.5),
        mean_relative_position=(
            s.position.cast("float64") / ibis.greatest(s.n_events - 1, 1).cast("float64")
        ).mean(),
        journeys=s.first_visit.cast("int64").sum(),
        starts=(s.position == 0).cast("int64").sum(),
        ends=last.cast("int64").sum(),
        dropoffs=(last & s.dropped).cast("int64").sum(),
    ).to_pandas()
    return frame.assign(touchpoint=_names(frame["touchpoint"], index.activities))


def _switches(steps: "Table") -> "Table":
    return steps.filter(~_last(steps) & steps.target_cidx.notnull() & steps.cidx.notnull() & (steps.cidx != steps.target_cidx))


def _channel_names(frame: pd.DataFrame, index: StepIndex) -> pd.DataFrame:
    out = frame.assign(source_channel=_names(frame.pop("_s"), index.channels),
                       target_channel=_names(frame.pop("_t"), index.channels))
    return out[["source_channel", "target_channel", *[c for c in out.columns if c not in ("source_channel", "target_channel")]]]


def channel_pair_aggregate(steps: "Table", index: StepIndex) -> pd.DataFrame:
    """Transitions that change channel, per pair of channels (no distinct counts)."""
    t = _switches(steps)
    frame = t.group_by(_s=t.cidx, _t=t.target_cidx).aggregate(transitions=t.count()).to_pandas()
    return _channel_names(frame, index)


def _row_masks(steps: "Table", index: StepIndex, pathways: list[tuple[int, int]]) -> dict:
    """Per step, the bits it contributes to its journey's masks: touchpoints ``visited*``, repeated
    touchpoints ``repeated*``, pathways ``pathway*`` (numbered in the order of ``pathways``, the
    observed (source, target) numbers) and switched channel pairs ``chpair*``."""
    s = steps
    out = {}
    n = index.touchpoint_words
    for w in range(n):
        out[f"visited{w}"] = _in_word(s.idx, w, n)
        out[f"repeated{w}"] = ibis.ifelse(s.first_visit, 0, _in_word(s.idx, w, n))
    words = index.pathway_words(len(pathways)) if pathways else None
    if words is not None:
        t = len(index.activities)
        numbers = [-1] * (t * t)
        for k, (source, target) in enumerate(pathways):
            numbers[source * t + target] = k
        pathway = _lookup(ibis.literal(numbers, type="array<int64>"), s.idx * t + s.target_idx)
        for w in range(words):
            out[f"pathway{w}"] = _in_word(pathway, w, words)
    if index.channel_words is not None:
        switched = ~_last(s) & (s.cidx != s.target_cidx)
        cpair = s.cidx * len(index.channels) + s.target_cidx
        for w in range(index.channel_words):
            out[f"chpair{w}"] = ibis.ifelse(switched, _in_word(cpair, w, index.channel_words), 0)
    return out


def _indexed_path_keys(steps: "Table") -> dict:
    """The two path keys of :func:`._discovery.journey_table`, with the touchpoint's number + 1 as its
    residue instead of a hash of its name (no text hashed per event): key_m = Σ_i (idx_i + 1) ·
    (h(i + salt_m) mod m) mod m. Two different paths of equal length share both keys only when
    Σ_i d_i · w_m(i) ≡ 0 for both moduli (d_i the differences of the numbers, w_m pseudo-random),
    about 2⁻⁶⁰ per pair, as before."""
    keys = {}
    for k, m in enumerate(_PATH_MODULI):
        touch = steps.idx + 1
        place = ((steps.position + 1_000_003 * k).hash() % m).cast("int32").cast("int64")
        keys[f"path_key{k}"] = ((touch * place) % m).sum()
    return keys


def journey_masks_table(steps: "Table", index: StepIndex, pathways: list[tuple[int, int]], *,
                        by_customer: bool | None = True) -> "Table":
    """One row per journey: customer, length, duration, goal reached, the path keys of
    :func:`._discovery.journey_table` and the mask words.

    ``by_customer`` groups by (journey, customer), cheaper than taking each journey's customer and
    exact for the customer masks; it gives one row per journey only when no journey has several
    customers (the caller checks, and otherwise groups by journey alone). ``by_customer=None``: the
    customer is the case itself, grouped by the case alone and left out (the caller adds it back)."""
    s = steps
    masks = {name: _bit_or(expr) for name, expr in _row_masks(s, index, pathways).items()}
    keys = {"case": s.case, "customer": s.customer} if by_customer else {"case": s.case}
    customer = {"customer": s.customer.min()} if by_customer is False else {}
    return s.group_by(**keys).aggregate(
        **customer,
        n_events=s.count(),
        seconds=seconds_between(s.timestamp.max(), s.timestamp.min()),
        reached_goal=s.reached_goal.any(),
        **_indexed_path_keys(s),
        **masks,
    )


def customer_masks_table(journeys: "Table", index: StepIndex) -> "Table":
    """One row per customer with the OR of the masks of everything they did (``journeys`` grouped
    by journey and customer, :func:`journey_masks_table`)."""
    names = [f"visited{w}" for w in range(index.touchpoint_words)]
    names += [c for c in journeys.columns if c.startswith(("pathway", "chpair"))]
    return journeys.group_by("customer").aggregate(**{n: _bit_or(journeys[n]) for n in names})


def _mask_count(table: "Table", prefix: str, k: int) -> "IntegerValue":
    """How many rows of ``table`` have index ``k`` set in their ``prefix`` masks."""
    return _has(table[f"{prefix}{k // WORD_BITS}"].fill_null(0), k).sum()


def count_touchpoints(table: "Table", prefix: str, index: StepIndex) -> dict:
    """Aggregates counting the rows of ``table`` whose ``prefix`` masks have each touchpoint."""
    return {f"{prefix}|{a}": _mask_count(table, prefix, k) for k, a in enumerate(index.activities)}


def count_pathways(table: "Table", pathways: int) -> dict:
    """Aggregates counting the rows of ``table`` whose pathway masks have pathway number k."""
    return {f"pathway|{k}": _mask_count(table, "pathway", k) for k in range(pathways)}


def count_channel_pairs(table: "Table", index: StepIndex, pairs: list[tuple[str, str]]) -> dict:
    n = len(index.channels)
    return {f"chpair|{a}|{b}": _mask_count(table, "chpair", index.channels.index(a) * n + index.channels.index(b))
            for a, b in pairs}


def distinct_pathway_customers(steps: "Table", index: StepIndex) -> pd.DataFrame:
    """Fallback when the pathway masks would be too wide: deduplicate (pathway, customer) pairs."""
    t = steps.filter(~_last(steps))
    frame = distinct_count(t, {"source": t.idx, "target": t.target_idx}, "customer", "customers").to_pandas()
    return frame.assign(source=_names(frame["source"], index.activities), target=_names(frame["target"], index.activities))


def distinct_channel_pairs(steps: "Table", index: StepIndex) -> pd.DataFrame:
    """Fallback for the channel pairs: deduplicated customers and journeys per pair."""
    t = _switches(steps)
    keys = {"_s": t.cidx, "_t": t.target_cidx}
    out = distinct_count(t, keys, "customer", "customers").inner_join(distinct_count(t, keys, "case", "journeys"), list(keys))
    return _channel_names(out.to_pandas(), index)
