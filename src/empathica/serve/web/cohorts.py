"""The cohort comparison chosen on the journeys page: the two the journeys step stores (promoters vs detractors,
churned vs retained), or — chosen in the page — any two customer segments, or journeys started before vs after
a date. The chosen ones are tested on request from the stored counts (``journey_pathway_days``,
``journey_starts``): two sums over a small table (pathways × segments × days, whatever the number of customers)
and one share test per pathway (:func:`~empathica.understand.journeys.compare_shares`); each cohort's median and
p90 wait per pathway is read from the summed duration bins (``journey_pathway_durations``); no event is read again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import pandas as pd

from empathica.errors import NotEnoughDataError, StoreError
from empathica.schema.results import JOURNEY_PATHWAY_DAYS, JOURNEY_PATHWAY_DURATIONS, JOURNEY_STARTS
from empathica.serve.query import Filters
from empathica.serve.web.panels import PanelRows
from empathica.store import Store
from empathica.store.operational import User
from empathica.understand.journeys import compare_shares, duration_quantiles

#: The comparisons the page offers: stored ones name their panel; the others are computed on request.
STORED = {"nps": "compare_nps", "churn": "compare_churn"}
CHOSEN = ("segments", "date")
#: Each cohort's median and 90th percentile wait on the pathway, in minutes (from stored duration bins).
DURATION_COLUMNS = ("median_minutes_a", "p90_minutes_a", "median_minutes_b", "p90_minutes_b")
#: The columns of a comparison computed on request.
COLUMNS = ("source", "target", "cohort_a", "share_a", "cohort_b", "share_b", "share_difference", "q_share",
           *DURATION_COLUMNS)
#: Filters of the page that a comparison on request cannot take (its counts have no such column).
NOT_APPLIED = ("language", "channel", "team", "touchpoint")


@dataclass(frozen=True)
class CohortChoice:
    """What the page compares: ``kind`` (nps, churn, segments, date), the two segments, or the date."""

    kind: str = "nps"
    a: str = ""
    b: str = ""
    at: date | None = None
    error: str = ""  # a message id: the choice could not be compared as asked

    @property
    def query(self) -> dict[str, str]:
        """The URL parameters of this choice (kept in links and exports)."""
        values = {"cohort": self.kind, "a": self.a, "b": self.b, "at": self.at.isoformat() if self.at else ""}
        return {k: v for k, v in values.items() if v}


def cohort_choice(params) -> CohortChoice:
    """The comparison the URL asks for (``cohort``, ``a``, ``b``, ``at``); anything unknown is promoters/detractors."""
    kind = params.get("cohort", "nps")
    if kind not in (*STORED, *CHOSEN):
        return CohortChoice()
    a, b = params.get("a", "").strip()[:120], params.get("b", "").strip()[:120]
    if kind == "segments":
        error = "dashboard.cohort.same_segment" if a and a == b else "" if a and b else "dashboard.cohort.need_segments"
        return CohortChoice(kind, a, b, error=error)
    if kind == "date":
        try:
            return CohortChoice(kind, at=date.fromisoformat(params.get("at", "").strip()))
        except ValueError:
            return CohortChoice(kind, error="dashboard.cohort.need_date")
    return CohortChoice(kind)


def compare_on_request(store: Store, choice: CohortChoice, filters: Filters, touchpoint: str | None,
                       user: User | None = None) -> PanelRows:
    """The chosen comparison: pathways whose share of journeys differs between the two cohorts, most significant
    first. The date range filter keeps journeys started in it; the segment filter keeps one segment (before /
    after only); the other filters cannot apply (no column) and are named. A team lead's or region user's
    comparison is made on their customers' journeys (``scoped.chosen_in_scope``)."""
    ignored = [f for f in NOT_APPLIED if getattr(filters, f, None) or (f == "touchpoint" and touchpoint)]
    empty = pd.DataFrame(columns=list(COLUMNS))
    if choice.error or choice.kind not in CHOSEN:  # the stored comparisons are read as panels of their own
        return PanelRows(empty, ignored)
    try:
        counts, starts = store.result(JOURNEY_PATHWAY_DAYS), store.result(JOURNEY_STARTS)
    except StoreError:
        return PanelRows(empty, ignored, missing=True)
    if choice.kind == "segments" and filters.segment:
        ignored.append("segment")
    if user is not None and (user.team_id or user.region):
        return _in_scope(store, choice, filters, user, sorted(set(ignored)))
    counts, starts = _within(counts, choice, filters), _within(starts, choice, filters)
    cohort_a, cohort_b = (choice.a, choice.b) if choice.kind == "segments" else ("before", "after")
    label = _label(counts, choice)
    wide = (counts.mutate(cohort=label).group_by(["source", "target"])
            .aggregate(journeys_a=(counts.journeys * (label == cohort_a).cast("int64")).sum(),
                       journeys_b=(counts.journeys * (label == cohort_b).cast("int64")).sum())).to_pandas()
    sizes = starts.group_by(cohort=_label(starts, choice)).aggregate(n=starts.journeys.sum()).to_pandas()
    n = dict(zip(sizes["cohort"], sizes["n"]))
    try:
        frame = compare_shares(wide, n_a=int(n.get(cohort_a, 0) or 0), n_b=int(n.get(cohort_b, 0) or 0),
                               cohort_a=cohort_a, cohort_b=cohort_b)
    except NotEnoughDataError:
        return PanelRows(empty, sorted(set(ignored)))
    return PanelRows(with_durations(store, frame, choice, filters, (cohort_a, cohort_b)), sorted(set(ignored)))


def _in_scope(store: Store, choice: CohortChoice, filters: Filters, user: User, ignored: list[str]) -> PanelRows:
    from empathica.serve.web.scoped import chosen_in_scope

    compared = chosen_in_scope(store, user, choice, filters)
    if compared is None:
        return PanelRows(pd.DataFrame(columns=list(COLUMNS)), ignored, recomputed=True)
    # the scope's own steps give each cohort's median wait; its p90 is read from the company's bins only
    frame = compared.assign(median_minutes_a=compared["median_seconds_a"] / 60.0, p90_minutes_a=float("nan"),
                            median_minutes_b=compared["median_seconds_b"] / 60.0, p90_minutes_b=float("nan"))
    return PanelRows(frame[list(COLUMNS)].reset_index(drop=True), ignored, recomputed=True)


def with_durations(store: Store, frame: pd.DataFrame, choice: CohortChoice, filters: Filters,
                   cohorts: tuple[str, str]) -> pd.DataFrame:
    """``frame`` with each cohort's median and p90 minutes on each pathway, read from the stored duration bins
    (``journey_pathway_durations``; empty where a store from before has none)."""
    out = frame.assign(**{c: float("nan") for c in DURATION_COLUMNS})
    try:
        binned = _within(store.result(JOURNEY_PATHWAY_DURATIONS), choice, filters)
    except StoreError:
        return out
    label = _label(binned, choice)
    sums = (binned.mutate(cohort=label).filter(label.isin(list(cohorts)))
            .group_by(["cohort", "source", "target", "bin"]).aggregate(transitions=binned.transitions.sum())).to_pandas()
    for cohort, suffix in zip(cohorts, ("a", "b")):
        quantiles = duration_quantiles(sums[sums["cohort"] == cohort], {"median": 0.5, "p90": 0.9})
        minutes = quantiles.set_index(["source", "target"])[["median", "p90"]] / 60.0
        keys = pd.MultiIndex.from_frame(out[["source", "target"]])
        out[f"median_minutes_{suffix}"] = minutes["median"].reindex(keys).to_numpy()
        out[f"p90_minutes_{suffix}"] = minutes["p90"].reindex(keys).to_numpy()
    return out


def _within(rows: ibis.Table, choice: CohortChoice, filters: Filters) -> ibis.Table:
    if filters.date_from:
        rows = rows.filter(rows.day >= ibis.literal(filters.date_from))
    if filters.date_to:
        rows = rows.filter(rows.day <= ibis.literal(filters.date_to))
    if choice.kind == "segments":
        return rows.filter(rows.segment.isin([choice.a, choice.b]))
    if filters.segment:
        rows = rows.filter(rows.segment == ibis.literal(filters.segment, type="string"))
    return rows


def _label(rows: ibis.Table, choice: CohortChoice):
    if choice.kind == "segments":
        return rows.segment
    return ibis.ifelse(rows.day.cast("date") < ibis.literal(choice.at, type="date"), "before", "after")


def segments(store: Store) -> list[str]:
    """The segments the page offers (those the stored counts have)."""
    try:
        starts = store.result(JOURNEY_STARTS)
    except StoreError:
        return []
    return sorted(starts.select("segment").distinct().to_pandas()["segment"].dropna().astype(str))
