"""Aggregates recomputed on a team lead's or region user's own scope.

A result with no team, agent or customer column (an aggregate over every customer) cannot be cut to a scope.
Where the rows behind it can (each scored text has its customer, each CLV its customer, each event its customer),
the dashboard recomputes it on the user's customers with the step's own code: ``text.breakdown``,
``text.pain_points`` and ``value.clv_by_segment`` add up stored per-row results; ``journeys.fit_journeys`` maps the
scope's journeys (pathways, touchpoints, friction: Ibis over the stored events, feedback and transactions of their
customers, and its two cohort comparisons on them) and ``text.topics_of`` clusters their negative texts, as the
steps do for everyone; the decide step's money is cut, not refitted: the scope's customers' parts of each
opportunity and scenario added up (``decide.shares``). What cannot be recomputed so is shown company-wide and
marked, or hidden. The declaration below is the contract; a test checks
that every panel's unscoped result is in it once (docs/dashboard.md, "Roles and team scope").
"""

from __future__ import annotations

import threading

import ibis
import pandas as pd

from empathica.errors import EmpathicaError
from empathica.schema import results as R
from empathica.serve.query import scoped_rows
from empathica.store import RUNS, Store
from empathica.store.operational import User

#: Recomputed on the user's customers (their texts, their CLVs): the figures are the scope's own.
RECOMPUTED = frozenset({R.TEXT_SENTIMENT_BY.name, R.TEXT_EMOTION_BY.name, R.TEXT_PAIN_POINTS.name,
                        R.VALUE_CLV_SEGMENTS.name, R.TEXT_TOPICS.name,
                        R.JOURNEY_DFG.name, R.JOURNEY_TOUCHPOINTS.name, R.JOURNEY_FRICTION.name,
                        R.JOURNEY_COMPARE.name, R.JOURNEY_COMPARE_CHURN.name, R.JOURNEY_PATHWAY_DAYS.name,
                        R.DECIDE_OPPORTUNITIES.name, R.DECIDE_SCENARIOS.name})
#: Results whose scope's share is the sum of their customers' parts (``decide_customer_values``, decide/shares.py).
DECIDED = (R.DECIDE_OPPORTUNITIES.name, R.DECIDE_SCENARIOS.name)
#: Shown whole, marked "company-wide figures": rules and experiments — the context a team works in (and
#: opportunities and scenarios of a store from before decide_customer_values). The cohorts chosen in the page
#: (``journey_pathway_days``) are compared on the scope's own journeys (``chosen_in_scope``).
COMPANY_WIDE = frozenset({R.ACT_RULES.name, R.LEARN_EFFECTS.name, R.LEARN_EXPERIMENTS.name,
                          R.LEARN_BENCHMARK_COMPARISON.name})
#: Results the journeys step stores that the scope's own journeys replace (``journeys_in_scope``).
JOURNEY_RESULTS = (R.JOURNEY_DFG.name, R.JOURNEY_TOUCHPOINTS.name, R.JOURNEY_FRICTION.name)
#: The step's cohort comparisons, made again on the scope's journeys (promoters/detractors, churned/retained).
JOURNEY_COMPARISONS = (R.JOURNEY_COMPARE.name, R.JOURNEY_COMPARE_CHURN.name)
#: Not shown to a scoped user at all (raw input of every team): the Data page's quarantined rows.
HIDDEN = frozenset({"quarantine"})


def texts_in_scope(store: Store, user: User, *, with_text: bool = True) -> ibis.Table:
    """The scored customer texts behind the Voice page's breakdowns, of the user's customers only when the user
    has a team or region (scored texts carry no customer; their context does: it is cut to the scope before the
    join). ``with_text=False``: without the texts themselves (counts and shares need none)."""
    from empathica.flywheel.steps.text import customer_texts, scored_texts, text_context

    context = scoped_rows(store, text_context(store), user) if user.team_id or user.region else None
    return customer_texts(scored_texts(store, store.result(R.TEXT_SCORES), context=context, with_text=with_text))


def recomputed(store: Store, result_name: str, user: User, where: dict[str, str]) -> ibis.Table | None:
    """``result_name``'s rows added up over ``user``'s scope only (the columns of the stored result); ``where``:
    the panel's fixed conditions, so only the breakdown it shows is computed. None: this store cannot (a decide
    result without its customers' parts, from an older release)."""
    if result_name in DECIDED:
        return decided_in_scope(store, result_name, user)
    if result_name == R.VALUE_CLV_SEGMENTS.name:
        from empathica.flywheel.steps.value import clv_by_segment

        clv = scoped_rows(store, store.result(R.VALUE_CLV), user).select("segment", "clv", "p_alive", "status")
        return ibis.memtable(clv_by_segment(clv.to_pandas()))
    if result_name in JOURNEY_RESULTS + JOURNEY_COMPARISONS:
        return ibis.memtable(journeys_in_scope(store, user)[result_name])
    from empathica.flywheel.steps.text import DIMENSIONS, breakdown, pain_points, topics_of

    if result_name == R.TEXT_PAIN_POINTS.name:  # quotes of the user's own customers: shown
        texts = texts_in_scope(store, user)
        pains = pain_points(texts.filter(texts.source_table != "values_answers"))
        return ibis.memtable(pains.assign(quotes=pains["quotes"].map(_as_json)))
    if result_name == R.TEXT_TOPICS.name:  # the scope's negative texts clustered as the text step clusters everyone's
        topics = topics_of(texts_in_scope(store, user), seed=store.settings.seed)
        if topics is None:
            return ibis.memtable(pd.DataFrame({c: pd.Series(dtype="object") for c in R.TEXT_TOPICS.column_names}))
        return ibis.memtable(topics.assign(quotes=topics["quotes"].map(_as_json)))
    texts = texts_in_scope(store, user, with_text=False)
    emotions = result_name == R.TEXT_EMOTION_BY.name
    dimensions = [where["dimension"]] if where.get("dimension") in DIMENSIONS else list(DIMENSIONS)
    return ibis.union(*[breakdown(texts, d)[1 if emotions else 0] for d in dimensions]) if len(dimensions) > 1 \
        else breakdown(texts, dimensions[0])[1 if emotions else 0]


def decided_in_scope(store: Store, result_name: str, user: User) -> ibis.Table | None:
    """The opportunities or scenarios as the user's scope's share: their customers' parts of each one's revenue
    added up (``decide.shares.scope_share``); None when the store keeps no parts."""
    from empathica.decide.shares import scope_share

    if not store.has_result(R.DECIDE_CUSTOMER_VALUES):
        return None
    parts = store.result(R.DECIDE_CUSTOMER_VALUES)
    parts = parts.filter(parts.result == ibis.literal(result_name, type="string"))
    moved = parts.group_by("key").aggregate(moved=parts.revenue.abs().sum()).to_pandas().set_index("key")["moved"]
    mine = parts.filter(parts.customer_id.isin(customers_in_scope(store, user).customer_id))
    rows = store.read_result(R.result(result_name))
    return ibis.memtable(scope_share(rows, mine.select("key", "customer_id", "revenue").to_pandas(), moved,
                                     ranking=result_name == R.DECIDE_OPPORTUNITIES.name))


def customers_in_scope(store: Store, user: User) -> ibis.Table:
    """``customer_id`` of the customers in the user's team or region (the scope of customer rows, serve.query's)."""
    return scoped_rows(store, store.table("customers").select("customer_id"), user)


def journeys_in_scope(store: Store, user: User) -> dict[str, pd.DataFrame]:
    """The pathways, touchpoints and friction of the journeys of the user's customers, and the step's two cohort
    comparisons made on them (result name → rows with the stored result's columns), by the journeys step's own
    code; kept until the data change. A scope whose events cannot be mapped (none, or the goal never reached), or
    a comparison with too few customers in a cohort, has no rows."""
    from empathica.flywheel.steps.journeys import cohort_comparisons, fit_journeys

    def fit() -> dict[str, pd.DataFrame]:
        before = _temporary_tables(store)
        frames: dict[str, pd.DataFrame | None] = {}
        try:
            analyzer = fit_journeys(store, customers_in_scope(store, user))
            frames = {**dict(zip(JOURNEY_RESULTS, (analyzer.dfg_, analyzer.touchpoints_, analyzer.friction_))),
                      **cohort_comparisons(store, analyzer)}
        except EmpathicaError:  # no journeys to map: every result empty, below
            pass
        finally:  # the fit's materialized steps live on this request's cursor: dropped, they are in the frames now
            for name in _temporary_tables(store) - before:
                store.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
        # a scope whose journeys or cohorts cannot be compared: no rows, with the result's declared columns
        return {r: frames[r] if frames.get(r) is not None else pd.DataFrame(columns=R.result(r).column_names)
                for r in JOURNEY_RESULTS + JOURNEY_COMPARISONS}

    return kept(("journeys", data_version(store), user.team_id, user.region), fit)


def chosen_in_scope(store: Store, user: User, choice, filters) -> pd.DataFrame | None:
    """The cohorts chosen on the journeys page (two segments, before / on-after a date) compared on the journeys of
    the user's customers, by ``compare_cohorts`` as the step's own comparisons are (``journeys_in_scope``): each
    journey labelled by its customer's segment or by when it started; the date range keeps journeys started in it,
    the segment filter one segment (before / after only). None: the cohorts cannot be compared (too few journeys)."""
    from datetime import datetime, timezone

    from empathica.flywheel.steps.journeys import fit_journeys
    from empathica.understand.journeys import before_after_cohorts, compare_cohorts

    def compare() -> pd.DataFrame | None:
        before = _temporary_tables(store)
        try:
            steps = fit_journeys(store, customers_in_scope(store, user)).steps_
            starts = steps.group_by("case").aggregate(start=steps.timestamp.min())
            cases = steps.select("case", "customer").distinct().inner_join(starts, "case")
            segments = store.table("customers").select("customer_id", "segment")
            cases = cases.inner_join(segments, cases.customer == segments.customer_id)
            day = cases.start.cast("date")
            if filters.date_from:
                cases = cases.filter(day >= ibis.literal(filters.date_from, type="date"))
            if filters.date_to:
                cases = cases.filter(day <= ibis.literal(filters.date_to, type="date"))
            if choice.kind == "segments":
                labels, names = cases.select("case", cohort=cases.segment.cast("string")), (choice.a, choice.b)
            else:
                if filters.segment:
                    cases = cases.filter(cases.segment == ibis.literal(filters.segment, type="string"))
                moment = datetime(choice.at.year, choice.at.month, choice.at.day, tzinfo=timezone.utc)
                labels = before_after_cohorts(steps.filter(steps.case.isin(cases.case)), moment)
                names = ("before", "after")
            return compare_cohorts(steps, labels, cohort_a=names[0], cohort_b=names[1])
        except EmpathicaError:  # no journeys, or a cohort without any: no rows
            return None
        finally:
            for name in _temporary_tables(store) - before:
                store.raw_sql(f'DROP TABLE IF EXISTS "{name}"')

    key = ("chosen", data_version(store), user.team_id, user.region, tuple(sorted(choice.query.items())),
           filters.date_from, filters.date_to, filters.segment)
    return kept(key, compare)


def _temporary_tables(store: Store) -> set[str]:
    return set(store.query("SELECT table_name FROM duckdb_tables() WHERE temporary")["table_name"])


def _as_json(quotes) -> str:
    import json

    return json.dumps(list(quotes), ensure_ascii=False)


#: Recomputed panels kept per (store, data version, scope, panel view): a scoped user's next visit reads them
#: instead of adding up their customers' rows again. Bounded; the data version changes with every run and ingest.
_KEPT: dict[tuple, object] = {}
_KEPT_MAX = 256
_KEPT_LOCK = threading.Lock()


def data_version(store: Store) -> tuple:
    """What a recomputed aggregate depends on: the last published run and the rows of the tables that decide a
    scope and hold the texts and journeys (any ingest that could change a scope, a text or a journey changes one
    of these counts). Not the file's place: a copy of a store holds the same figures."""
    runs = store.table(RUNS)
    last = runs.filter(runs.status == "published").order_by(ibis.desc("finished_at")).limit(1).to_pandas()
    return (*(str(v) for v in last[["run_id", "finished_at"]].itertuples(index=False, name=None)),
            *(store.count(t) for t in ("customers", "conversations", "turns", "feedback", "events", "transactions")))


def kept(key: tuple, compute):
    """The value kept under ``key``, or ``compute()`` kept (the oldest entry forgotten when full)."""
    with _KEPT_LOCK:
        if key in _KEPT:
            return _KEPT[key]
    value = compute()  # outside the lock: two first visits at once both compute, neither waits
    with _KEPT_LOCK:
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.pop(next(iter(_KEPT)))
        _KEPT[key] = value
    return value


class ScopePreparer:
    """Recomputes, in a background thread, every panel a scoped user's first visit would recompute, for the scope
    (team or region) of every user who has one: when the server opens and after each run or ingest (the data
    version changes), so that a team lead's first visit reads kept figures instead of computing them."""

    def __init__(self, server) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._again = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.seconds: float | None = None  # how long the last preparation took (None: going on or never ran)

    def start(self) -> None:
        """Prepare in the background; while a preparation goes on, another follows it (the data changed)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return
            self.seconds = None
            self._thread = threading.Thread(target=self._run, name="empathica-scopes", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Until the preparation going on (and any that follows it) is done."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def stop(self) -> None:
        self._stop.set()
        self.wait()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._prepare()
            with self._lock:
                if not self._again:
                    return
                self._again = False

    def _prepare(self) -> None:
        import time

        from empathica.serve.query import Filters
        from empathica.serve.web.panels import PANELS, read_panel

        start = time.perf_counter()
        scopes = {(u.team_id, u.region): u for u in self.server.ops.users() if (u.team_id or u.region) and not u.disabled}
        try:
            store = self.server.store.reader()
        except EmpathicaError:
            return
        try:
            for user in scopes.values():
                if store.has_result(R.JOURNEY_TOUCHPOINTS):
                    journeys_in_scope(store, user)  # the journey map's (its panels' rows are kept apart)
                for panel in PANELS.values():
                    if self._stop.is_set():
                        return
                    if panel.result.name in RECOMPUTED - {R.JOURNEY_PATHWAY_DAYS.name} and store.has_result(panel.result):
                        read_panel(store, panel, user, Filters())
        except Exception:  # noqa: BLE001 -- the store closing or changing under it: the next visit computes its own
            return
        finally:
            store.close()
        self.seconds = time.perf_counter() - start
