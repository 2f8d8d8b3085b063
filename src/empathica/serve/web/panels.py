"""What each dashboard panel shows: which declared result, which columns in which kind, which chart, and the
reading of exactly those rows within the user's scope and the page's filters (the chart, the table view and
the export all come from one :func:`read_panel`).

A panel only reads stored results; nothing here computes an analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import ibis
import pandas as pd

from empathica.errors import StoreError
from empathica.schema import results as R
from empathica.schema.results import Result
from empathica.serve.query import FilterError, Filters, result_rows
from empathica.serve.web.scoped import RECOMPUTED, data_version, kept, recomputed
from empathica.store import Store
from empathica.store.operational import User


@dataclass(frozen=True)
class Panel:
    """One chart with its table view: ``columns`` are (column, kind); kinds are those of :mod:`.formats`."""

    key: str
    result: Result
    columns: tuple[tuple[str, str], ...]
    chart: str = "bar"  # bar, line, sankey, heatmap (the journey map), none
    label: str = ""  # the category column of the chart
    value: str = ""  # the value column of the chart
    where: tuple[tuple[str, str], ...] = ()  # fixed column == value conditions (e.g. dimension == touchpoint)
    order: str = ""  # a column; '-' in front: descending
    limit: int = 25
    drill: str = ""  # the dimension of text_sentiment_by a bar drills into ('' : no drill-down)
    series: str = ""  # a column whose values are separate lines (e.g. one line per team)
    table_open: bool = False  # the table view open at first (it carries what the chart cannot: owner, trend ...)
    withheld: tuple[str, ...] = ()  # columns left out for a team or region user when the result cannot be cut to
    # their scope (it has no team, agent or customer): customers' own words from outside it (see SCOPED_BY)


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(part.split(":", 1)) for part in spec.split())  # type: ignore[misc]


_SENTIMENT = "texts:int mean_score:num2 negative_share:pct positive_share:pct"
#: a comparison of two cohorts' journeys (stored by the journeys step, or chosen in the page)
_COMPARE = "source:text target:text cohort_a:text share_a:pct cohort_b:text share_b:pct share_difference:pct q_share:num2"

PANELS: dict[str, Panel] = {p.key: p for p in (
    # -- summary
    Panel("opportunities", R.DECIDE_OPPORTUNITIES,
          _cols("rank:int message_id:finding revenue:money revenue_low:interval customers:int owner:text "
                "confidence:grade previous_rank:trend"), label="message_id", value="revenue", order="rank", limit=15, table_open=True),
    # -- journeys
    Panel("pathways", R.JOURNEY_DFG, _cols("source:text target:text transitions:int customers:int dropoff_rate:pct"),
          chart="sankey", label="source", value="transitions", order="-transitions", limit=40),
    Panel("touchpoints", R.JOURNEY_TOUCHPOINTS,
          _cols("touchpoint:text events:int customers:int starts:int ends:int dropoff_rate:pct"),
          label="touchpoint", value="events", order="-events", limit=30),
    Panel("friction", R.JOURNEY_FRICTION,
          _cols("rank:int source:text target:text friction_score:num2 customers:int dropoff_rate:pct evidence:text"),
          label="source", value="friction_score", order="rank", limit=15),
    Panel("compare_nps", R.JOURNEY_COMPARE,
          _cols(_COMPARE), label="source", value="share_difference", order="q_share", limit=15),
    Panel("compare_churn", R.JOURNEY_COMPARE_CHURN,
          _cols(_COMPARE), label="source", value="share_difference", order="q_share", limit=15),
    # the journey map (stage × touchpoint) and a comparison chosen in the page, read by journey_map.py / cohorts.py
    Panel("journey_map", R.JOURNEY_TOUCHPOINTS,
          _cols("stage:text touchpoint:text events:int customers:int dwell_minutes:num dropoff_rate:pct friction_score:num2"),
          chart="heatmap", label="touchpoint", value="friction_score", limit=80),
    Panel("compare_custom", R.JOURNEY_PATHWAY_DAYS,
          _cols(_COMPARE + " median_minutes_a:num p90_minutes_a:num median_minutes_b:num p90_minutes_b:num"),
          label="source", value="share_difference", limit=15),
    # -- voice of the customer
    *[Panel(f"sentiment_{d}", R.TEXT_SENTIMENT_BY,  # months are written in the reader's language
            _cols(f"value:{'month' if d == 'month' else 'text'} {_SENTIMENT}"), label="value", value="negative_share",
            where=(("dimension", d),), order="value" if d == "month" else "-texts", limit=40, drill=d,
            chart="line" if d == "month" else "bar") for d in ("touchpoint", "channel", "lang", "month")],
    Panel("emotions", R.TEXT_EMOTION_BY, _cols("value:text emotion:text share:pct"), label="emotion", value="share",
          where=(("dimension", "touchpoint"),), order="-share", limit=30),
    *[Panel(f"emotions_{d}", R.TEXT_EMOTION_BY, _cols("value:text emotion:text share:pct"), label="emotion",
            value="share", where=(("dimension", d),), order="-share", limit=30) for d in ("channel", "lang")],
    Panel("emotions_month", R.TEXT_EMOTION_BY, _cols("value:month emotion:text share:pct"), chart="line", label="value",
          value="share", where=(("dimension", "month"),), order="value", limit=400, series="emotion"),
    Panel("pain_points", R.TEXT_PAIN_POINTS,
          _cols("aspect:text negative_mentions:int share_of_negative_units:pct languages:text quotes:quote"),
          label="aspect", value="negative_mentions", order="-negative_mentions", limit=15, withheld=("quotes",)),
    Panel("topics", R.TEXT_TOPICS, _cols("lang:text label:text size:int share:pct keywords:text quotes:quote"),
          label="label", value="size", order="-size", limit=15, withheld=("quotes",)),
    # -- empathy
    Panel("agents", R.EMPATHY_AGENTS,
          _cols("rank:int agent_id:agent team_id:text empathy:num2 gap_rate:pct jargon_rate:pct conversations:int "
                "customer_retention:pct customer_csat:num2"), label="agent_id", value="empathy", order="rank", limit=40),
    Panel("teams", R.EMPATHY_TEAMS, _cols("team_id:text month:month empathy:num2 gap_rate:pct"),
          chart="line", label="month", value="empathy", order="month", limit=400, series="team_id"),
    Panel("gaps", R.EMPATHY_GAPS, _cols("agent_id:agent language:text context:quote text:quote empathy:num2"),
          chart="none", order="agent_id", limit=20),
    Panel("coaching", R.EMPATHY_COACHING,
          _cols("agent_id:agent customer_said:quote reply:quote empathy:num2 better_agent_id:text better_reply:quote "
                "better_empathy:num2"), chart="none", order="-better_empathy", limit=15),
    Panel("agent_months", R.EMPATHY_SCORECARD, _cols("month:month empathy:num2 gap_rate:pct"),
          chart="line", label="month", value="empathy", order="month", limit=60),
    # -- value
    Panel("clv_segments", R.VALUE_CLV_SEGMENTS,
          _cols("segment:text customers:int clv_mean:money clv_total:money p_alive_mean:pct already_lost:int"),
          label="segment", value="clv_total", order="-clv_total", limit=20),
    Panel("revenue_at_risk", R.VALUE_REVENUE_AT_RISK,
          _cols("customer_id:customer segment:text clv:money p_churn:pct revenue_at_risk:money reasons:churn_reasons"),
          label="customer_id", value="revenue_at_risk", order="-revenue_at_risk", limit=20),
    Panel("scenarios", R.DECIDE_SCENARIOS,
          _cols("scenario:int message_id:finding revenue:money revenue_low:interval customers:int"),
          label="message_id", value="revenue", order="-revenue", limit=20),
    # -- act and learn
    Panel("cases", R.ACT_CASES,
          _cols("case_id:int title:text team_id:text assignee:text priority:text status:text customer_id:customer "
                "touchpoint:text opened_at:date resolution_due:date escalation_level:int"),
          chart="none", order="-opened_at", limit=50),
    Panel("rules", R.ACT_RULES, _cols("rule_id:text name:text matched:int opened_now:int cases_total:int cases_active:int"),
          label="name", value="cases_active", order="-cases_active", limit=30),
    Panel("effects", R.LEARN_EFFECTS,
          _cols("action_id:text metric:text estimate:num2 ci_low:num2 ci_high:num2 p_value:num2 customers:int design:text"),
          chart="none", order="action_id", limit=50),
    Panel("benchmark", R.LEARN_BENCHMARK_COMPARISON,
          _cols("lang:text own_brand:text area:text metric:text competitor:text own:num2 theirs:num2 difference:num2 p_holm:num2 "
                "verdict:text"), chart="none", order="area", limit=60),
    # learn: the stored experiments (docs/learn.md, "Experiments in the flywheel")
    Panel("experiments", R.LEARN_EXPERIMENTS,
          _cols("experiment_id:text metric:text arm:text n_control:int n_arm:int difference:num2 ci_low:num2 ci_high:num2 "
                "p_holm:num2 mde:num2 srm_p:num2"), chart="none", order="experiment_id", limit=60),
)}


#: Columns a cell of a kind reads besides its own (a finding's values, an interval's upper end ...); they are not
#: shown, so they are not exported either.
_SUPPORT = {"finding": ("values",), "interval": ("revenue_high", "money_shown"), "money": ("money_shown",),
            "trend": ("rank",)}


def shown(p: Panel, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``frame`` the panel shows, in its order (what its export holds)."""
    return frame[[c for c, _ in p.columns if c in frame.columns]]


@dataclass
class PanelRows:
    """The rows a panel shows and the filters that did not apply to its result."""

    frame: pd.DataFrame
    ignored: list[str]
    missing: bool = False  # the result is not stored yet
    company_wide: bool = False  # a team or region user sees figures over every customer (the result has no scope)
    withheld: tuple[str, ...] = ()  # columns left out for that user
    recomputed: bool = False  # an aggregate recomputed on the user's team or region (scoped.py)


#: Columns by which a result is cut to a user's team or region (serve.query's scope); a result with none of them
#: is an aggregate over every customer. Decided per result (scoped.py; docs/dashboard.md, "Roles and team scope"):
#: recomputed on the user's customers where its rows allow, else shown as company-wide figures, marked so, without
#: the columns a panel withholds (quotes: other teams' customers' own words).
SCOPED_BY = ("team_id", "agent_id", "customer_id")


def company_wide(user: User, columns) -> bool:
    """Whether ``user`` has a scope that a result with ``columns`` cannot be cut to."""
    return bool(user.team_id or user.region) and not any(c in columns for c in SCOPED_BY)


def read_panel(store: Store, p: Panel, user: User, filters: Filters, *, touchpoint: str | None = None,
               where: tuple[tuple[str, str], ...] = ()) -> PanelRows:
    """The rows ``p`` shows to ``user``: scoped, filtered (filters its result cannot take are listed, not applied).
    An aggregate with no scope column is recomputed on a scoped user's customers where scoped.py says so, and kept
    for their next visit until the data change (the filters it cannot take do not change it)."""
    ignored: list[str] = []
    while True:
        try:
            rows = result_rows(store, p.result, user, filters)
            break
        except FilterError as exc:
            field = {"from": "date", "to": "date"}.get(exc.field, exc.field)
            ignored.append(field)
            filters = _without(filters, field)
        except StoreError:
            return PanelRows(pd.DataFrame(columns=[c for c, _ in p.columns]), ignored, missing=True)
    if not (company_wide(user, rows.columns) and p.result.name in RECOMPUTED):
        return _shown(p, rows, user, ignored, touchpoint=touchpoint, where=where)
    conditions = tuple(sorted(dict(p.where + where).items()))
    # kept unfiltered, per result and fixed conditions: every filter and panel of it reads the same rows
    key = (data_version(store), user.team_id, user.region, p.result.name, conditions)
    mine = kept(key, lambda: _frame(recomputed(store, p.result.name, user, dict(conditions))))
    if mine is None:  # this store cannot cut it to the scope: the whole result, marked company-wide
        return _shown(p, rows, user, ignored, touchpoint=touchpoint, where=where)
    return _shown(p, _recomputed(ibis.memtable(mine), filters), user, ignored, touchpoint=touchpoint, where=where,
                  recompute=True)


def _frame(rows: ibis.Table | None) -> pd.DataFrame | None:
    return None if rows is None else rows.to_pandas()


def _recomputed(rows: ibis.Table, filters: Filters) -> ibis.Table:
    """A result recomputed on the user's customers (scoped.py), with the filters its stored rows took."""
    for field, column in (("segment", "segment"), ("channel", "channel"), ("language", "lang")):
        value = getattr(filters, field)
        if value is not None and column in rows.columns:
            rows = rows.filter(rows[column] == ibis.literal(value, type="string"))
    return rows


def _shown(p: Panel, rows: ibis.Table, user: User, ignored: list[str], *, touchpoint: str | None,
           where: tuple[tuple[str, str], ...], recompute: bool = False) -> PanelRows:
    """The rows of ``rows`` the panel shows: touchpoint, its fixed conditions, its order, columns and limit."""
    if touchpoint:
        rows = _by_touchpoint(rows, touchpoint, ignored)
    for column, value in p.where + where:
        rows = rows.filter(rows[column].cast("string") == ibis.literal(value, type="string"))
    if p.order:
        column = p.order.lstrip("-")
        rows = rows.order_by(ibis.desc(column) if p.order.startswith("-") else column)
    whole = company_wide(user, rows.columns) and not recompute
    withheld = p.withheld if whole else ()
    keep = [c for c, _ in p.columns if c in rows.columns and c not in withheld]
    support = [c for _, kind in p.columns for c in _SUPPORT.get(kind, ()) if c in rows.columns and c not in keep]
    frame = rows.select(*keep, *dict.fromkeys(support)).limit(p.limit).to_pandas()
    return PanelRows(frame, sorted(set(ignored)), company_wide=whole, withheld=withheld, recomputed=recompute)


def _without(filters: Filters, field: str) -> Filters:
    if field == "date":
        return replace(filters, date_from=None, date_to=None)
    return replace(filters, **{field: None})


def _by_touchpoint(rows: ibis.Table, touchpoint: str, ignored: list[str]) -> ibis.Table:
    literal = ibis.literal(touchpoint, type="string")
    if "touchpoint" in rows.columns:
        return rows.filter(rows.touchpoint == literal)
    if "source" in rows.columns and "target" in rows.columns:
        return rows.filter((rows.source == literal) | (rows.target == literal))
    ignored.append("touchpoint")
    return rows
