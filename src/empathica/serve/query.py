"""Reading a declared result for the API: the user's scope, the request's filters, a page, an export format.

Everything is an Ibis expression over the store; filter values are bound as literals, so a value that looks
like SQL is compared as data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import ibis
import pandas as pd

from empathica.errors import InputError
from empathica.schema.results import RUN_COLUMN, Result
from empathica.store import Store
from empathica.store.operational import User

#: Export formats and their media types.
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Most rows one export returns (a page of JSON is at most ``MAX_PAGE``).
MAX_EXPORT_ROWS = 1_000_000
MAX_PAGE = 1000
#: Columns that date a result's row, in order of preference.
_TIME_COLUMNS = ("timestamp", "started_at", "month")
#: Canonical tables that scopes and filters read: an ingest into one of them changes what a result page shows.
SCOPE_TABLES = frozenset({"teams", "employees", "customers", "turns", "conversations"})
_LANGUAGE_COLUMNS = ("language", "lang")


class FilterError(InputError):
    """A filter that does not apply to the result asked for; ``field`` names the query parameter."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    """The filters of one request (None: not filtered)."""

    date_from: date | None = None
    date_to: date | None = None
    language: str | None = None
    channel: str | None = None
    team: str | None = None
    segment: str | None = None


def reads_scope_tables(user: User, filters: Filters) -> bool:
    """Whether a page for ``user`` with ``filters`` may read ``SCOPE_TABLES`` (a scope, or a team, language or
    segment filter, which may go through the customers, agents or teams): only such pages change with an ingest."""
    return bool(user.team_id or user.region or filters.team or filters.language or filters.segment)


_TOTAL = "__total_rows"


def result_rows(store: Store, declared: Result, user: User, filters: Filters) -> ibis.Table:
    """The rows of ``declared`` this user may see, filtered as asked."""
    rows = store.result(declared)
    rows = _scoped(store, rows, user)
    return _filtered(store, rows, declared, filters)


def read_page(store: Store, declared: Result, user: User, filters: Filters, *, number: int, size: int,
              version: object = 0) -> tuple[int, pd.DataFrame]:
    """(total rows, rows of page ``number`` counting from 1, in a stable order) of what ``user`` may see.

    The Ibis expression is compiled to SQL once per request shape and results version (``version``: bump it when
    result tables change shape, i.e. after a run); the values in it are SQL literals, so they are data."""
    key = (declared.name, user.team_id, user.region, filters, number, size, version)
    sql = _COMPILED.get(key)
    if sql is None:
        rows = result_rows(store, declared, user, filters)
        ordered = rows.order_by(declared.column_names[0])  # results lead with their grain's key
        sql = ibis.to_sql(ordered.mutate(**{_TOTAL: ibis._.count().over()}).limit(size, offset=(number - 1) * size),
                          dialect="duckdb")
        if len(_COMPILED) > 2048:
            _COMPILED.clear()
        _COMPILED[key] = sql
    frame = store.query(sql)
    if len(frame):
        return int(frame.pop(_TOTAL).iloc[0]), frame
    total = 0 if number == 1 else int(result_rows(store, declared, user, filters).count().execute())
    return total, frame.drop(columns=_TOTAL)


_COMPILED: dict[tuple, str] = {}


def export(frame: pd.DataFrame, fmt: str, *, name: str) -> bytes:
    """``frame`` as CSV, Parquet or XLSX bytes; text cells that a spreadsheet would run as a formula are quoted."""
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_no_formula)
        elif str(safe[column].dtype).startswith("datetime64") and getattr(safe[column].dt, "tz", None) is not None:
            safe[column] = safe[column].dt.tz_convert("UTC").dt.tz_localize(None)  # spreadsheets hold no time zones
    if fmt == "csv":
        return safe.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=name[:31])
    return buffer.getvalue()


def _no_formula(value):
    """A text starting with = + - @ (a spreadsheet formula) prefixed with ' so it stays text; a list of texts (reasons
    said in a language) as one cell, its items separated by '; '."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# -- scope -----------------------------------------------------------------------------------------
def scoped_rows(store: Store, rows: ibis.Table, user: User) -> ibis.Table:
    """Rows of any table (a result or a join over canonical tables) within the user's team and region."""
    return _scoped(store, rows, user)


def _scoped(store: Store, rows: ibis.Table, user: User) -> ibis.Table:
    """Rows of the user's team and region only: by team_id, agent_id or customer_id, whichever the result has (a
    region user: by the result's region column first, when it has one). A result with none of them (an aggregate
    over everyone) is shown whole."""
    teams = store.table("teams")
    if user.team_id:
        rows = _restrict(store, rows, teams=_team(teams, user.team_id))
    if user.region and "region" in rows.columns:  # a result that names each row's region (diagnose's scorecard)
        rows = rows.filter(rows.region == ibis.literal(user.region, type="string"))
    elif user.region:
        region_teams = teams.filter(teams.region == ibis.literal(user.region, type="string")).select("team_id")
        rows = _restrict(store, rows, teams=region_teams, region=user.region)
    return rows


def _team(teams: ibis.Table, team_id: str) -> ibis.Table:
    return teams.filter(teams.team_id == ibis.literal(team_id, type="string")).select("team_id")


def _restrict(store: Store, rows: ibis.Table, *, teams: ibis.Table, region: str | None = None) -> ibis.Table:
    team_ids = teams
    if "team_id" in rows.columns:
        return rows.filter(rows.team_id.isin(team_ids.team_id))
    employees = store.table("employees")
    agents = employees.filter(employees.team_id.isin(team_ids.team_id)).select("employee_id")
    if "agent_id" in rows.columns:
        return rows.filter(rows.agent_id.isin(agents.employee_id))
    if "customer_id" in rows.columns:
        if region is not None:
            customers = store.table("customers")
            mine = customers.filter(customers.region == ibis.literal(region, type="string")).select("customer_id")
        else:
            turns, conversations = store.table("turns"), store.table("conversations")
            served = turns.filter(turns.agent_id.isin(agents.employee_id)).select("conversation_id").distinct()
            mine = conversations.filter(conversations.conversation_id.isin(served.conversation_id)).select("customer_id")
        return rows.filter(rows.customer_id.isin(mine.customer_id))
    return rows


# -- filters ---------------------------------------------------------------------------------------
def _filtered(store: Store, rows: ibis.Table, declared: Result, f: Filters) -> ibis.Table:
    if f.date_from or f.date_to:
        rows = _by_date(rows, declared, f)
    for field, value, columns, customer_column in (
        ("language", f.language, _LANGUAGE_COLUMNS, "language"),
        ("channel", f.channel, ("channel",), None),
        ("segment", f.segment, ("segment",), "segment"),
    ):
        if value is None:
            continue
        rows = _by_value(store, rows, declared, field, value, columns, customer_column)
    if f.team is not None:
        if not any(c in rows.columns for c in ("team_id", "agent_id", "customer_id")):
            raise FilterError(f"result {declared.name} has no team, agent or customer to filter by team.", field="team")
        rows = _restrict(store, rows, teams=_team(store.table("teams"), f.team))
    return rows


def _by_value(store: Store, rows: ibis.Table, declared: Result, field: str, value: str, columns: tuple[str, ...],
              customer_column: str | None) -> ibis.Table:
    literal = ibis.literal(value, type="string")
    for column in columns:
        if column in rows.columns:
            return rows.filter(rows[column].cast("string") == literal)
    if customer_column and "customer_id" in rows.columns:
        customers = store.table("customers")
        chosen = customers.filter(customers[customer_column] == literal).select("customer_id")
        return rows.filter(rows.customer_id.isin(chosen.customer_id))
    raise FilterError(f"result {declared.name} has no {field} to filter by (its columns: "
                      f"{', '.join(c for c in rows.columns if c != RUN_COLUMN)}).", field=field)


def _by_date(rows: ibis.Table, declared: Result, f: Filters) -> ibis.Table:
    column = next((c for c in _TIME_COLUMNS if c in rows.columns), None)
    if column is None:
        raise FilterError(f"result {declared.name} has no date to filter by (it has no timestamp, started_at or month).",
                          field="from" if f.date_from else "to")
    if column == "month":  # 'YYYY-MM' text
        col = rows[column].cast("string")
        if f.date_from:
            rows = rows.filter(col >= ibis.literal(f"{f.date_from:%Y-%m}"))
        if f.date_to:
            rows = rows.filter(col <= ibis.literal(f"{f.date_to:%Y-%m}"))
        return rows
    col = rows[column].date()
    if f.date_from:
        rows = rows.filter(col >= ibis.literal(f.date_from))
    if f.date_to:
        rows = rows.filter(col <= ibis.literal(f.date_to))
    return rows
