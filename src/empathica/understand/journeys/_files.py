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
import numpy as np
import pandas as pd
import pyarrow as pa

from empathica.errors import InputError, NothingReadError
from empathica.understand.journeys._events import journey_events

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from empathica.store import Store

QUARANTINE_COLUMNS = ["source_file", "line", "field", "reason", "value", "action"]
_counter = itertools.count()
#: Bytes read at a time by the scan for record lines.
_SCAN_BYTES = 1 << 22


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
    #: ``customer, touchpoint, satisfaction, sentiment`` from a score column (``fit(feedback=)``)
    feedback: "Table | None" = None
    #: ``customer, revenue`` from an amount column (``fit(revenue=)``)
    revenue: "Table | None" = None


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
    revenue: str | None = None,
    score: str | None = None,
) -> EventFile:
    """Load ``path`` into ``store`` (usually an in-memory one) as a clean journey event table.

    ``revenue`` names a column of amounts on event rows (summed per customer: ``EventFile.revenue``);
    ``score`` a column of satisfaction scores on a 1–5 scale, each about the touchpoint of its row
    (``EventFile.feedback``). Values that are not numbers (or scores outside 1–5) are listed in the
    quarantine and ignored; the event itself is kept.
    """
    path = Path(path)
    con = store.con
    raw, lines = _read_raw(store, path)
    wanted = {"case": case, "activity": activity, "time": time, "cohort": cohort, "customer": customer, "channel": channel,
              "revenue": revenue, "score": score}
    for role, name in wanted.items():
        if name is not None and name not in raw.columns:
            raise InputError(
                f"{path}: no column {name!r} for --{role}; the file's columns are {', '.join(raw.columns)}. "
                f"Pass --{role} with one of them."
            )
    stamp = raw[time]
    if stamp.type().is_timestamp():  # a time without a UTC offset is taken as UTC (the store's session zone)
        parsed = stamp.cast(dt.Timestamp(timezone="UTC"))
    elif stamp.type().is_date():  # a day: its midnight, UTC
        parsed = stamp.cast(dt.Timestamp()).cast(dt.Timestamp(timezone="UTC"))
    elif stamp.type().is_string():
        parsed = stamp.strip().try_cast(dt.Timestamp(timezone="UTC"))
    else:
        raise InputError(f"{path}: column {time!r} holds {stamp.type()}, not times; give --time a column of ISO 8601 timestamps.")
    # spaces around a value are not part of it ("1 ,buy " is journey 1 at buy); a blank value is missing
    text = {name: raw[name].cast("string").strip().nullif("") for name in (case, activity, cohort, customer, channel, revenue, score)
            if name is not None and name != time}
    reason = (
        ibis.cases(
            (text[case].isnull(), "missing case"),
            (text[activity].isnull(), "missing activity"),
            (stamp.isnull() | (stamp.cast("string").strip() == ""), "missing time"),
            (parsed.isnull(), "unparseable timestamp"),
            else_=ibis.null("string"),
        )
    )
    keep = [text[c].name(c) if c in text else raw[c] for c in dict.fromkeys([case, activity, time, cohort, customer, channel, revenue, score]) if c is not None]
    if isinstance(lines, int):  # one line per record: the line is the record's number plus the header
        rows = raw.select(*keep, _line=ibis.row_number() + lines, _time=parsed, _reason=reason)
        classified = con.create_table(f"_journey_rows_{next(_counter)}", rows, temp=True)
    else:  # blank lines or quoted line breaks: the pre-pass's starting line of each record
        numbered = con.create_table(f"_journey_rows_{next(_counter)}", raw.select(*keep, _rn=ibis.row_number(), _time=parsed, _reason=reason), temp=True)
        starts = con.create_table(f"_journey_lines_{next(_counter)}", pa.table({"_rn": np.arange(len(lines), dtype="int64"), "_line": lines}), temp=True)
        if int(numbered.count().to_pandas()) != len(lines):  # the reader split records differently than the pre-pass
            raise InputError(
                f"{path}: the CSV reader found a different number of records than the file has lines outside quotes; "
                "check for unbalanced quotes (\") in the file."
            )
        joined = numbered.inner_join(starts, "_rn")
        classified = con.create_table(f"_journey_rows_{next(_counter)}", joined.select(*[c.get_name() for c in keep], "_line", "_time", "_reason"), temp=True)
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
    amounts = {}  # revenue / score as numbers; a value that is not one is quarantined and ignored
    for role, name in (("revenue", revenue), ("score", score)):
        if name is None:
            continue
        number = clean[name].try_cast("float64")
        outside = (number < 1) | (number > 5) if role == "score" else ibis.literal(False)
        bad = (clean[name].notnull() & number.isnull()) | (number.notnull() & outside)
        amounts[role] = ibis.ifelse(bad, ibis.null("float64"), number)
        flagged = clean.filter(bad)
        parts.append(flagged.select(
            line=flagged._line, field=ibis.literal(name),
            reason=ibis.ifelse(flagged[name].try_cast("float64").isnull(), "not a number", "score outside 1–5"),
            value=flagged[name].cast("string"), action=ibis.literal("kept, value ignored"),
        ))
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
    if customer is not None:
        nameless = clean.filter(clean[customer].isnull())[case].nunique().to_pandas()
        if nameless:
            notes.append(
                f"{path}: {nameless:,} journey(s) have events without a {customer!r} value; such a journey counts as its own "
                "customer (customer = the case id) and is not merged with other journeys."
            )
    events = journey_events(
        clean, case=case, activity=activity, timestamp="_time", event_id="_line", customer=customer, channel=channel, source=str(path),
    )
    cohorts = None
    if cohort is not None:
        # every distinct label of every journey: a journey whose rows disagree is resolved by journey_cohorts
        labelled = clean.filter(clean[cohort].notnull())
        cohorts = labelled.select(case=labelled[case].cast("string"), cohort=labelled[cohort].cast("string")).distinct()
    who = ibis.coalesce(clean[customer], clean[case]).cast("string") if customer else clean[case].cast("string")
    feedback = spent = None
    if score is not None:
        rated = clean.mutate(_score=amounts["score"], _who=who)
        rated = rated.filter(rated._score.notnull())
        feedback = rated.select(customer=rated._who, touchpoint=rated[activity].cast("string"), satisfaction=rated._score,
                                sentiment=ibis.null("float64"))
    if revenue is not None:
        paid = clean.mutate(_amount=amounts["revenue"], _who=who)
        paid = paid.filter(paid._amount.notnull())
        spent = paid.select(customer=paid._who, revenue=paid._amount)
    return EventFile(str(path), events, rows_read, rows_used, quarantine, notes, cohorts, feedback, spent)


def _read_raw(store: "Store", path: Path) -> tuple["Table", "int | np.ndarray"]:
    """The file as an Ibis table and where its records are: the line number of the first data row
    when every record is one line, else the starting line of every data record (see :func:`record_lines`)."""
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
            from empathica.listen import detect_encoding, transcode_to_utf8  # Listen knows users' exports' encodings

            encoding = detect_encoding(path, compressed=name.endswith(".gz"))
            if encoding.startswith(("utf-16", "utf-32")):
                # two or four bytes per character: the line scan works on a UTF-8 copy (same lines)
                copy = transcode_to_utf8(path, encoding, name.endswith(".gz"))
                try:
                    lines = record_lines(copy)
                    frame = pd.read_csv(copy, sep=None, engine="python", encoding="utf-8", dtype=str, keep_default_na=False)
                finally:
                    copy.unlink(missing_ok=True)
                return con.create_table(f"_journey_file_{next(_counter)}", frame.replace("", None), temp=True), lines
            lines = record_lines(path, compressed=name.endswith(".gz"))
            if encoding in ("utf-8", "latin-1"):
                options = {} if encoding == "utf-8" else {"encoding": encoding}
                return con.read_csv(path, table_name=f"_journey_file_{next(_counter)}", all_varchar=True, header=True, **options), lines
            # encodings DuckDB's reader lacks (gb18030, Big5, Windows-1252): decode in Python
            frame = pd.read_csv(path, sep=None, engine="python", encoding=encoding, dtype=str, keep_default_na=False)
            return con.create_table(f"_journey_file_{next(_counter)}", frame.replace("", None), temp=True), lines
    except InputError:
        raise
    except Exception as exc:  # the reader's own error type varies by format
        raise InputError(f"{path}: cannot be read ({str(exc).splitlines()[0]}); check that it is a valid file of its kind.") from None
    raise InputError(f"{path}: unknown file type; give a .csv, .parquet or .xes(.gz) event log.")


def record_lines(path: Path, *, compressed: bool = False) -> "int | np.ndarray":
    """The physical line (1-based) on which each data record of a CSV file starts.

    Returns 2 (the first data line; record k is on line k + 2) when every record is exactly one
    line, which a byte scan for quotes and blank lines shows cheaply. Otherwise one line number per
    data record: empty lines are skipped, as CSV readers do, and a line break inside a quoted field
    continues the record (an odd number of ``"`` on a line toggles "inside quotes"; ``""`` escapes
    count twice, so they do not). The byte scan is the same for UTF-8, Latin-1 and GB18030, whose
    multi-byte characters never contain the bytes of ``"`` or a line break.
    """
    import gzip

    def open_binary():
        return gzip.open(path, "rb") if compressed else open(path, "rb")

    with open_binary() as fh:  # the cheap check, in chunks: any quote, or an empty line?
        tail, simple = b"\n", True
        while simple and (chunk := fh.read(_SCAN_BYTES)):
            window = tail + chunk
            simple = b'"' not in chunk and b"\n\n" not in window and b"\n\r\n" not in window
            tail = window[-2:]
    if simple:
        return 2
    starts: list[np.ndarray] = []
    lines_before, quotes_before, carry = 0, 0, b""
    with open_binary() as fh:  # vectorized, a few MB at a time, each piece cut after its last line break
        while True:
            chunk = fh.read(_SCAN_BYTES)
            buffer = carry + chunk
            cut = buffer.rfind(b"\n") if chunk else len(buffer) - 1  # at the end: the last line, with or without \n
            if cut < 0:
                if not chunk:
                    break
                carry = buffer
                continue
            work, carry = np.frombuffer(buffer[: cut + 1], dtype=np.uint8), buffer[cut + 1:]
            ends = np.flatnonzero(work == 10)
            if len(ends) == 0 or ends[-1] != len(work) - 1:
                ends = np.append(ends, len(work))  # the file's last line has no line break
            begins = np.concatenate(([0], ends[:-1] + 1))
            quotes = np.concatenate(([0], np.cumsum(work == 34)))  # quotes before each position
            inside = (quotes_before + quotes[begins]) % 2 == 1
            length = ends - begins
            blank = (length == 0) | ((length == 1) & (work[np.minimum(begins, len(work) - 1)] == 13))
            starts.append(lines_before + 1 + np.flatnonzero(~inside & ~blank))
            lines_before += len(ends)
            quotes_before += int(quotes[-1])
            if not chunk:
                break
    numbers = np.concatenate(starts) if starts else np.array([], dtype="int64")
    return numbers[1:].astype("int64")  # the first record is the header


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
