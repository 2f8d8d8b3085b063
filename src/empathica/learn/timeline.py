"""The flywheel over time: KPIs per stage and per CX dimension, one value per run, from the run history.

Each published run keeps its results in ``history_<result>`` tables (``store/runs.py``; the last ``runs_kept``
runs). Every KPI of ``timeline_kpis.toml`` (a data file: stage, CX dimension, result, column, aggregate) is
computed per run from the rows that run stored, so the line shows how the flywheel's measures moved from run
to run; the run going on now contributes the results it has written so far. A result no run stored yet gives
no point (a step that was not run is not a zero).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import ibis
import pandas as pd

from empathica.errors import SchemaError, StoreError
from empathica.schema.results import RUN_COLUMN, result as declared_result
from empathica.store import RUNS

COLUMNS = ["month", "run_started_at", "source_run", "stage", "dimension", "kpi", "value", "n"]
AGGREGATES = ("mean", "sum", "count", "max", "weighted_mean", "ratio")
#: The CX dimensions a KPI may belong to ("all": a stage KPI).
DIMENSIONS = ("all", "touchpoints", "pathways", "delivery", "ecosystem", "empathy")


@dataclass(frozen=True)
class KpiSpec:
    """One KPI of the timeline: which result, which column, how aggregated over the run's rows."""

    stage: str
    dimension: str
    kpi: str
    result: str
    aggregate: str
    column: str | None = None
    weight: str | None = None
    denominator: str | None = None
    where: dict = field(default_factory=dict)

    @property
    def needed(self) -> list[str]:
        return [c for c in (self.column, self.weight, self.denominator, *self.where) if c]


def load_kpis(path: str | Path | None = None) -> list[KpiSpec]:
    """The KPI specifications of ``path`` (default: the packaged ``timeline_kpis.toml``), checked."""
    source = Path(path) if path else resources.files("empathica.learn").joinpath("timeline_kpis.toml")
    name = str(path) if path else "learn/timeline_kpis.toml"
    specs = []
    for k, entry in enumerate(tomllib.loads(source.read_text(encoding="utf-8")).get("kpi", []), start=1):
        where = f"{name}: kpi {k} ({entry.get('kpi', '?')})"
        try:
            spec = KpiSpec(**entry)
        except TypeError as exc:
            raise SchemaError(f"{where}: {exc}; the fields are stage, dimension, kpi, result, aggregate, column, "
                              "weight, denominator, where.") from None
        try:
            declared = declared_result(spec.result)
        except SchemaError as exc:
            raise SchemaError(f"{where}: {exc}") from None
        if spec.aggregate not in AGGREGATES:
            raise SchemaError(f"{where}: aggregate {spec.aggregate!r} is not one of {', '.join(AGGREGATES)}.")
        if spec.dimension not in DIMENSIONS:
            raise SchemaError(f"{where}: dimension {spec.dimension!r} is not one of {', '.join(DIMENSIONS)}.")
        unknown = [c for c in spec.needed if c not in declared.column_names]
        if unknown or (spec.aggregate != "count" and not spec.column):
            raise SchemaError(f"{where}: column {', '.join(unknown) or '(none)'} is not a column of result "
                              f"{declared.name} ({', '.join(declared.column_names)}).")
        specs.append(spec)
    return specs


def _rows_per_run(store, spec: KpiSpec) -> ibis.Table | None:
    """The rows of ``spec.result`` of every kept run and of the run going on, with their run id."""
    declared = declared_result(spec.result)
    columns = [RUN_COLUMN, *dict.fromkeys(spec.needed)]
    current = store.result(declared).select(*columns) if store.has_result(declared) else None
    if declared.incremental:  # its rows accumulate in the result itself, each with the run that computed it
        parts = [current]
    else:
        try:
            history = store.runs.history(declared).select(*columns)
        except StoreError:
            history = None
        if history is not None and current is not None:
            # the current rows are this run's (not archived yet) or the last published run's (already in history)
            history = history.filter(~history[RUN_COLUMN].isin(current.select(RUN_COLUMN).distinct()[RUN_COLUMN]))
        parts = [history, current]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    rows = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    for column, value in spec.where.items():
        rows = rows.filter(rows[column] == ibis.literal(value))
    return rows


def _aggregate(rows: ibis.Table, spec: KpiSpec) -> ibis.Table:
    # A column that held no value in a run (a tiny world) is stored untyped: read every KPI column as a number.
    column = rows[spec.column].cast("float64") if spec.column else None
    if spec.aggregate == "count":
        value = rows.count().cast("float64")
    elif spec.aggregate == "weighted_mean":
        weight = rows[spec.weight].cast("float64")
        value = (column * weight).sum() / weight.sum()
    elif spec.aggregate == "ratio":
        value = column.sum() / rows[spec.denominator].cast("float64").sum()
    else:
        value = getattr(column, spec.aggregate)()
    return rows.group_by(RUN_COLUMN).aggregate(value=value.cast("float64"), n=rows.count())


def kpi_timeline(store, specs: list[KpiSpec] | None = None) -> pd.DataFrame:
    """Rows (month, run_started_at, source_run, stage, dimension, kpi, value, n): one per run and KPI, for the run
    going on and the latest published runs, ``runs_kept`` in all (the history once it publishes); month is the run's."""
    specs = load_kpis() if specs is None else specs
    kept = ([store.run_id] if store.run_id else []) + store.runs.published()
    kept = kept[:max(1, store.settings.runs_kept)]  # what the history holds once this run is published
    runs = store.table(RUNS)
    live = runs.filter(runs.run_id.isin(kept)).select(source_run=runs.run_id, run_started_at=runs.started_at)
    parts = []
    for spec in specs:
        rows = _rows_per_run(store, spec)
        if rows is None:
            continue
        per_run = _aggregate(rows, spec).rename(source_run=RUN_COLUMN)
        per_run = per_run.join(live, "source_run")
        parts.append(per_run.mutate(stage=ibis.literal(spec.stage), dimension=ibis.literal(spec.dimension),
                                    kpi=ibis.literal(spec.kpi), month=per_run.run_started_at.strftime("%Y-%m")))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(COLUMNS, ["object", "datetime64[us, UTC]", "object",
                                                                             "object", "object", "object", "float64", "int64"])})
    frame = ibis.union(*[p.select(*COLUMNS) for p in parts]).order_by(["stage", "dimension", "kpi", "run_started_at"]).to_pandas()
    return frame.assign(value=frame["value"].round(4))
