"""Read an event log file (CSV, Parquet or XES) into a journey event table, quarantining bad rows.

Rows without a case, activity or time, with a timestamp that cannot be parsed, or duplicating an
earlier event (same case, activity and time) are left out and listed in the quarantine with the
line and field at fault. Events out of time order within their journey are kept (the analysis
orders by time, then by file line) and single-event journeys are kept (they start and end but have
no transitions); both are listed too, marked ``kept``, so nothing happens silently.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from empathica.errors import InputError, NothingReadError
from empathica.understand.journeys._events import journey_events

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from empathica.store import Store

QUARANTINE_COLUMNS = ["source_file", "line", "field", "reason", "value", "action"]
_counter = itertools.count()


@dataclass
class EventFile:
    """A file's events ready for analysis, with what was set aside and why."""

    path: str
    events: "Table"
    rows_read: int
    rows_used: int
    quarantine: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    cohorts: "Table | None" = None


def read_event_file(
    store: "Store",
    path: str | Path,
    *,
    case: str,
    activity: str,
    time: str,
    cohort: str | None = None,
    customer: str | None = None,
    channel: str | None = None,
) -> EventFile:
    """Load ``path`` into ``store`` (usually an in-memory one) as a clean journey event table."""
    path = Path(path)
    con = store.con
    raw, first_line = _read_raw(store, path)
    wanted = {"case": case, "activity": activity, "time": time, "cohort": cohort, "customer": customer, "channel": channel}
    for role, name in wanted.items():
        if name is not None and name not in raw.columns:
            raise InputError(
                f"{path}: no column {name!r} for --{role}; the file's columns are {', '.join(raw.columns)}. "
                f"Pass --{role} with one of them."
            )
    stamp = raw[time]
    if stamp.type().is_timestamp():
        parsed = stamp.cast(dt.Timestamp(timezone="UTC"))
    elif stamp.type().is_string():
        parsed = stamp.strip().try_cast(dt.Timestamp(timezone="UTC"))
    else:
        raise InputError(f"{path}: column {time!r} holds {stamp.type()}, not times; give --time a column of ISO 8601 timestamps.")
    text = {name: raw[name].cast("string").strip() for name in (case, activity)}
    reason = (
        ibis.cases(
            (text[case].isnull() | (text[case] == ""), "missing case"),
            (text[activity].isnull() | (text[activity] == ""), "missing activity"),
            (stamp.isnull() | (stamp.cast("string").strip() == ""), "missing time"),
            (parsed.isnull(), "unparseable timestamp"),
            else_=ibis.null("string"),
        )
    )
    keep = [c for c in dict.fromkeys([case, activity, time, cohort, customer, channel]) if c is not None]
    rows = raw.select(*keep, _line=ibis.row_number() + first_line, _time=parsed, _reason=reason)
    classified = con.create_table(f"_journey_rows_{next(_counter)}", rows, temp=True)
    valid = classified.filter(classified._reason.isnull())
    dup_window = ibis.window(group_by=[valid[case], valid[activity], valid._time], order_by=valid._line)
    valid = valid.mutate(_dup=ibis.row_number().over(dup_window) > 0)
    order_window = ibis.window(group_by=valid[case], order_by=valid._line)
    valid = valid.mutate(_back=valid._time < valid._time.lag().over(order_window))
    valid = con.create_table(f"_journey_valid_{next(_counter)}", valid, temp=True)
    clean = valid.filter(~valid._dup)

    parts = [
        classified.filter(classified._reason.notnull()).select(
            line=classified._line,
            field=ibis.cases(
                (classified._reason == "missing case", ibis.literal(case)),
                (classified._reason == "missing activity", ibis.literal(activity)),
                else_=ibis.literal(time),
            ),
            reason=classified._reason,
            value=ibis.cases(
                (classified._reason == "missing case", classified[case].cast("string")),
                (classified._reason == "missing activity", classified[activity].cast("string")),
                else_=classified[time].cast("string"),
            ),
            action=ibis.literal("dropped"),
        ),
        valid.filter(valid._dup).select(
            line=valid._line, field=ibis.literal(f"{case}, {activity}, {time}"), reason=ibis.literal("duplicate event"),
            value=valid[case].cast("string") + " | " + valid[activity].cast("string") + " | " + valid._time.cast("string"),
            action=ibis.literal("dropped"),
        ),
        clean.filter(clean._back).select(
            line=clean._line, field=ibis.literal(time), reason=ibis.literal("out of order"),
            value=clean[time].cast("string"), action=ibis.literal("kept, ordered by time"),
        ),
    ]
    sizes = clean.group_by(case).aggregate(_n=clean.count())
    single = clean.inner_join(sizes.filter(sizes._n == 1), case)
    parts.append(single.select(
        line=single._line, field=ibis.literal(case), reason=ibis.literal("single-event journey"),
        value=single[case].cast("string"), action=ibis.literal("kept, no transitions"),
    ))
    quarantine = pd.concat([p.to_pandas() for p in parts], ignore_index=True)
    quarantine.insert(0, "source_file", str(path))
    quarantine = quarantine.sort_values(["line", "reason"], kind="mergesort").reset_index(drop=True)[QUARANTINE_COLUMNS]

    rows_read = int(classified.count().to_pandas())
    rows_used = int(clean.count().to_pandas())
    if rows_used == 0:
        raise NothingReadError(
            f"{path}: none of its {rows_read:,} rows has a case ({case!r}), an activity ({activity!r}) and a readable time "
            f"({time!r}); check the column names and that times are ISO 8601 (e.g. 2024-03-01 14:05:00)."
        )
    notes = _notes(path, quarantine)
    touchpoints = clean.select(clean[activity]).distinct().limit(2).to_pandas()
    if len(touchpoints) == 1:
        notes.append(
            f"{path}: the log has a single touchpoint ({touchpoints.iloc[0, 0]!r}): the graph has only self-loops "
            "and friction cannot compare pathways; check that --activity names the touchpoint column."
        )
    events = journey_events(
        clean, case=case, activity=activity, timestamp="_time", event_id="_line", customer=customer, channel=channel, source=str(path),
    )
    cohorts = None
    if cohort is not None:
        labelled = clean.filter(clean[cohort].notnull())
        cohorts = labelled.group_by(case=labelled[case].cast("string")).aggregate(cohort=labelled[cohort].cast("string").min())
    return EventFile(str(path), events, rows_read, rows_used, quarantine, notes, cohorts)


def _read_raw(store: "Store", path: Path) -> tuple["Table", int]:
    """The file as an Ibis table and the line number of its first data row."""
    if not path.exists():
        raise InputError(f"{path}: no such file; give the path of a CSV, Parquet or XES event log.")
    name = path.name.lower()
    con = store.con
    try:
        if name.endswith((".parquet", ".pq")):
            return con.read_parquet(path, table_name=f"_journey_file_{next(_counter)}"), 1
        if name.endswith((".xes", ".xes.gz")):
            return con.create_table(f"_journey_file_{next(_counter)}", _read_xes(path), temp=True), 1
        if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
            from empathica.listen import detect_encoding  # Listen knows the encodings users' exports come in

            encoding = detect_encoding(path, compressed=name.endswith(".gz"))
            if encoding in ("utf-8", "latin-1"):
                options = {} if encoding == "utf-8" else {"encoding": encoding}
                return con.read_csv(path, table_name=f"_journey_file_{next(_counter)}", all_varchar=True, header=True, **options), 2
            # encodings DuckDB's reader lacks (gb18030): decode in Python
            frame = pd.read_csv(path, sep=None, engine="python", encoding=encoding, dtype=str, keep_default_na=False)
            return con.create_table(f"_journey_file_{next(_counter)}", frame.replace("", None), temp=True), 2
    except InputError:
        raise
    except Exception as exc:  # the reader's own error type varies by format
        raise InputError(f"{path}: cannot be read ({str(exc).splitlines()[0]}); check that it is a valid file of its kind.") from None
    raise InputError(f"{path}: unknown file type; give a .csv, .parquet or .xes(.gz) event log.")


def _read_xes(path: Path) -> "pa.Table":
    """An XES log as one row per event, via Listen's streaming reader.

    The columns are Listen's (``journey_id, customer_id, touchpoint_id, timestamp, attributes``)
    plus the names pm4py users know (``case:concept:name``, ``concept:name``, ``time:timestamp``).
    """
    import pyarrow as pa

    from empathica.listen.xes import XES_COLUMNS, xes_batches  # Listen owns the XES format

    batches = list(xes_batches(path, batch_rows=200_000))
    table = pa.concat_tables(batches) if batches else pa.table({c: pa.array([], pa.string()) for c in XES_COLUMNS})
    table = table.select(list(XES_COLUMNS))
    for alias, column in (("case:concept:name", "journey_id"), ("concept:name", "touchpoint_id"), ("time:timestamp", "timestamp")):
        table = table.append_column(alias, table[column])
    return table


def _notes(path: Path, quarantine: pd.DataFrame) -> list[str]:
    """One line per reason: how many rows, what happened to them, the first lines."""
    notes = []
    for (reason, action), group in quarantine.groupby(["reason", "action"], sort=False):
        lines = ", ".join(str(v) for v in group["line"].head(5))
        more = " …" if len(group) > 5 else ""
        notes.append(f"{path}: {len(group):,} row(s) {reason} ({action}): line(s) {lines}{more}")
    return notes
