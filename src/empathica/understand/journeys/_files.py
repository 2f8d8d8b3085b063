"""Read an event log file (CSV, Parquet or XES) into a journey event table, quarantining bad rows.

Rows without a case, activity or time, with a timestamp that cannot be parsed, that cannot be split
into the header's fields, or repeating an earlier row (equal in every column) are left out and listed in the quarantine with the
line and field at fault. Events out of time order within their journey are kept (the analysis
orders by time, then by file line) and single-event journeys are kept (they start and end but have
no transitions); both are listed too, marked ``kept``, so nothing happens silently.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    from ibis.expr.types import StringValue, Table, TimestampValue

    from empathica.store import Store
    from empathica.understand.journeys._analyzer import JourneyAnalyzer

QUARANTINE_COLUMNS = ["source_file", "line", "field", "reason", "value", "action"]
_counter = itertools.count()
#: Bytes read at a time by the scan for record lines.
_SCAN_BYTES = 1 << 22


class EventFile:
    """A file's events ready for analysis, with what was set aside and why.

    ``events`` are the clean events (duplicates dropped); ``quarantine``, ``notes`` and ``rows_used``
    are worked out when first read (while the store is open). :meth:`fit` runs an analyzer on the events and takes the
    duplicate and order checks from the analyzer's own sort, so that they cost no pass of their own.
    """

    def __init__(self, path: str, rows_read: int, checks: "_Checks", cohorts: "Table | None" = None,
                 feedback: "Table | None" = None, revenue: "Table | None" = None) -> None:
        self.path = path
        self.rows_read = rows_read
        self._checks = checks
        self.cohorts = cohorts
        #: ``customer, touchpoint, satisfaction, sentiment`` from a score column (``fit(feedback=)``)
        self.feedback = feedback
        #: ``customer, revenue`` from an amount column (``fit(revenue=)``)
        self.revenue = revenue
        self._quarantine: pd.DataFrame | None = None
        self._notes: list[str] | None = None

    @property
    def events(self) -> "Table":
        """The clean events as a journey event table (:func:`journey_events`)."""
        return self._checks.events(self._checks.clean())

    @property
    def quarantine(self) -> pd.DataFrame:
        """Every row set aside or worth a look: ``source_file, line, field, reason, value, action``."""
        if self._quarantine is None:
            self._quarantine = self._checks.quarantine()
        return self._quarantine

    @property
    def rows_used(self) -> int:
        """Rows read that are events (every row not used has one "dropped" line in the quarantine)."""
        q = self.quarantine
        return self._checks.read - int(((q["action"] == "dropped") & (q["field"] != "(row)")).sum())

    @property
    def notes(self) -> list[str]:
        """One line per kind of row set aside or flagged, and notes on what the events hold."""
        if self._notes is None:
            self._notes = _notes(Path(self.path), self.quarantine) + self._checks.content_notes()
        return self._notes

    def fit(self, analyzer: "JourneyAnalyzer") -> "JourneyAnalyzer":
        """``analyzer.fit`` on the events (with the file's feedback and revenue), the duplicate and
        out-of-order checks read off the analyzer's own sort of each journey.

        Duplicates can only be events of one journey at one time: when the sort meets no such tie, there
        are none and the events need no check of their own; when it does, only the tied rows are
        grouped, and the analyzer runs again on the clean events if any of them repeats another.
        A journey whose rows are not in time order in the file is one whose sorted file lines go back;
        only those journeys are walked in file order for the quarantine.
        """
        checks = self._checks
        if checks.marked is None:  # no cohort, feedback or revenue columns either: they read the clean rows
            analyzer.fit(checks.events(checks.valid), checks=True)
            steps = analyzer.steps_
            ties, checks.back = _flag_counts(steps)
            if not ties:  # no two events of a journey at one time: no copies
                checks.marked = checks.valid.mutate(_dup=ibis.literal(False))
            elif checks.mark(checks.valid.semi_join(steps.filter(steps.time_tie).select(_line=steps.event_id), "_line")):
                analyzer.fit(self.events, checks=True)
                checks.back = _flag_counts(analyzer.steps_)[1]
        else:
            analyzer.fit(self.events, feedback=self.feedback, revenue=self.revenue, checks=True)
            checks.back = _flag_counts(analyzer.steps_)[1]
        checks.steps = analyzer.steps_
        checks.touchpoints = analyzer.touchpoints_["touchpoint"].dropna().head(2).tolist()
        self._quarantine = self._notes = None
        return analyzer


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

    The file is read by DuckDB straight into one table (trimmed values, the parsed time, the line);
    everything after it (the clean events, the quarantine) is an expression over that table, so the
    events are stored once and never pass through Python.
    """
    path = Path(path)
    columns = _Columns(case, activity, time, cohort, customer, channel, revenue, score)
    classified, read, rejected = _classified(store, path, columns)
    valid = classified.filter(classified._reason.isnull())
    rows_read = read + (0 if rejected is None else len(rejected.records))
    if not int(valid.count().to_pandas()):
        raise NothingReadError(
            f"{path}: none of its {rows_read:,} rows has a case ({case!r}), an activity ({activity!r}) and a readable time "
            f"({time!r}); check the column names and that times are ISO 8601 (e.g. 2024-03-01 14:05:00)."
        )
    checks = _Checks(store, path, columns, classified, valid, read, rejected)
    if cohort is None and revenue is None and score is None:
        return EventFile(str(path), rows_read, checks)
    clean = checks.clean()
    amounts, checks.flagged = _amounts(clean, revenue, score)
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
    return EventFile(str(path), rows_read, checks, cohorts, feedback, spent)


@dataclass(frozen=True)
class _Columns:
    """The file's columns for each role (None: not given)."""

    case: str
    activity: str
    time: str
    cohort: str | None
    customer: str | None
    channel: str | None
    revenue: str | None
    score: str | None

    def given(self) -> dict[str, str]:
        return {role: name for role, name in vars(self).items() if name is not None}

    def text(self) -> list[str]:
        """The columns read as trimmed text (every given one but the time), each once."""
        return [c for c in dict.fromkeys(self.given().values()) if c != self.time]


def _classified(store: "Store", path: Path, columns: _Columns) -> "tuple[Table, int, _Rejected | None]":
    """The file's rows in one stored table: the trimmed columns, ``_line`` (the file line), ``_time``
    (the parsed time), ``_blank`` (no time given) and ``_row`` (the other columns, to tell duplicates),
    with ``_reason`` (why a row cannot be used, else null) computed on the fly; the rows read; the CSV
    records the reader rejected."""
    con = store.con
    with _opened(store, path) as opened:
        raw = opened.raw
        for role, name in columns.given().items():
            if name not in raw.columns:
                raise InputError(
                    f"{path}: no column {name!r} for --{role}; the file's columns are {', '.join(raw.columns)}. "
                    f"Pass --{role} with one of them."
                )
        stamp = raw[columns.time]
        # spaces around a value are not part of it ("1 ,buy " is journey 1 at buy); a blank value is missing
        keep = [_trimmed(raw[c].cast("string")).nullif("").name(c) for c in columns.text()] + [stamp]
        # a duplicate is a row equal to an earlier one in every column (values trimmed): two complaints of one
        # customer through one channel on one day are two events, and count as a repeat contact
        others = [c for c in raw.columns if c not in columns.text() and c != columns.time]
        if others:
            keep.append(ibis.literal("\u241f").join([
                _trimmed(raw[c].cast("string")).fill_null("\u2400") if raw[c].type().is_string() else raw[c].cast("string").fill_null("\u2400")
                for c in others
            ]).name("_row"))
        # only text can be blank: a typed time (Parquet, XES) is missing only when null, and writing every
        # such time as text to look for blanks cost more than the rest of its reading
        blank = stamp.isnull() | (_trimmed(stamp) == "") if stamp.type().is_string() else stamp.isnull()
        rows = raw.select(*keep, _time=_parsed_time(stamp, path, columns.time), _blank=blank)
        name = f"_journey_rows_{next(_counter)}"
        try:  # no row_number() here: it would run the whole scan and parse on one thread
            con.create_table(name, rows, temp=True)
        except Exception as exc:  # DuckDB's reading errors surface here, on the one scan of the file
            raise InputError(f"{path}: cannot be read ({str(exc).splitlines()[0]}); check that it is a valid file of its kind.") from None
        rejected = opened.rejected()
    # a table filled in parallel keeps the scan's order (DuckDB preserves insertion order), so its rowid
    # is the record's number among those read
    store.duckdb().execute(f"CREATE TEMP VIEW {name}_numbered AS SELECT *, rowid AS _rn FROM {name}")
    numbered = con.table(f"{name}_numbered")
    lines = opened.lines
    read = store.duckdb().execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    if rejected is not None:
        numbered = _skip_rejected(con, numbered, rejected.records)
    if isinstance(lines, int):  # one line per record: the line is the record's number plus the header
        classified = numbered.mutate(_line=numbered._rn + lines).drop("_rn")
    else:  # blank lines or quoted line breaks: the record number of each row read
        if read + (0 if rejected is None else len(rejected.records)) != len(lines):  # the reader split records differently than the pre-pass
            raise InputError(
                f"{path}: the CSV reader found a different number of records than the file has lines outside quotes; "
                "check for unbalanced quotes (\") in the file."
            )
        starts = con.create_table(f"_journey_lines_{next(_counter)}", pa.table({"_rn": np.arange(len(lines), dtype="int64"), "_line": lines}), temp=True)
        joined = numbered.inner_join(starts, "_rn").drop("_rn")
        classified = con.create_table(f"_journey_rows_{next(_counter)}", joined, temp=True)
    return _with_reason(classified, columns), read, rejected


def _with_reason(rows: "Table", columns: _Columns) -> "Table":
    """``rows`` with ``_reason``: why the row cannot be used (a missing case, activity or time, an
    unparseable time), null when it can."""
    return rows.mutate(_reason=ibis.cases(
        (rows[columns.case].isnull(), "missing case"),
        (rows[columns.activity].isnull(), "missing activity"),
        (rows._blank, "missing time"),
        (rows._time.isnull(), "unparseable timestamp"),
        else_=ibis.null("string"),
    ))


def _amounts(clean: "Table", revenue: str | None, score: str | None) -> tuple[dict, list["Table"]]:
    """Revenue and score as numbers (a value that is not one, or a score outside 1–5, is ignored) and
    the quarantine rows of the values ignored."""
    amounts, flagged = {}, []
    for role, name in (("revenue", revenue), ("score", score)):
        if name is None:
            continue
        number = clean[name].try_cast("float64")
        outside = (number < 1) | (number > 5) if role == "score" else ibis.literal(False)
        bad = (clean[name].notnull() & number.isnull()) | (number.notnull() & outside)
        amounts[role] = ibis.ifelse(bad, ibis.null("float64"), number)
        rows = clean.filter(bad)
        flagged.append(rows.select(
            line=rows._line, field=ibis.literal(name),
            reason=ibis.ifelse(rows[name].try_cast("float64").isnull(), "not a number", "score outside 1–5"),
            value=rows[name].cast("string"), action=ibis.literal("kept, value ignored"),
        ))
    return amounts, flagged


@dataclass
class _Checks:
    """What the quarantine and the clean events of a file are made from, and what is known so far: the
    rows marked as duplicates or not (``marked``) and the analyzer's sorted steps (``steps``)."""

    store: "Store"
    path: Path
    columns: _Columns
    classified: "Table"
    valid: "Table"
    read: int
    rejected: "_Rejected | None"
    flagged: list["Table"] = field(default_factory=list)
    #: ``valid`` with ``_dup`` (the row repeats an earlier one in every column); None until checked
    marked: "Table | None" = None
    #: the analyzer's steps with the checks' columns (:meth:`EventFile.fit`); None until fitted
    steps: "Table | None" = None
    duplicates: bool = False
    #: events whose file line is smaller than the previous event's in their journey (known with ``steps``)
    back: int = 0
    #: the touchpoints met, when an analyzer has listed them (:meth:`EventFile.fit`)
    touchpoints: "list[str] | None" = None

    def content_notes(self) -> list[str]:
        """Notes on what the events hold (a duplicate repeats a row in every column: they read the same
        on the valid rows as on the clean ones)."""
        c = self.columns
        return _content_notes(self.path, self.valid, c.activity, c.customer, c.case, self.touchpoints)

    def events(self, rows: "Table") -> "Table":
        c = self.columns
        return journey_events(rows, case=c.case, activity=c.activity, timestamp="_time", event_id="_line",
                              customer=c.customer, channel=c.channel, source=str(self.path))

    def clean(self) -> "Table":
        """The valid rows that repeat no earlier row (every valid row is checked, once)."""
        if self.marked is None:
            self.mark(self.valid)
        return self.marked.filter(~self.marked._dup) if self.duplicates else self.valid

    def mark(self, candidates: "Table") -> bool:
        """Mark the valid rows that repeat an earlier one in every column, looking for such groups among
        ``candidates`` (all valid rows, or the ones that can be duplicates); whether there are any.

        The groups of equal rows that occur more than once are found by one aggregate and kept (few
        rows); only when there are any are the rows matched against them."""
        same = [*self.columns.text(), "_time", *(["_row"] if "_row" in self.valid.columns else [])]
        groups = candidates.group_by(same).aggregate(_n=candidates.count(), _first=candidates._line.min())
        name = f"_journey_repeats_{next(_counter)}"
        repeated = self.store.con.create_table(name, groups.filter(groups._n > 1).drop("_n"), temp=True)
        valid = self.valid
        self.duplicates = bool(self.store.duckdb().execute(f"SELECT count(*) FROM {name}").fetchone()[0])
        if not self.duplicates:
            self.marked = valid.mutate(_dup=ibis.literal(False))
            return False
        matched = valid.left_join(repeated, [valid[c].identical_to(repeated[c]) for c in same])
        matched = matched.select(*[matched[c] for c in valid.columns], _first=repeated._first)
        self.marked = matched.mutate(_dup=matched._first.notnull() & (matched._line > matched._first)).drop("_first")
        return True

    def quarantine(self) -> pd.DataFrame:
        """Every row set aside or worth a look, with its line, field, reason and value: one query."""
        case, activity, time = self.columns.case, self.columns.activity, self.columns.time
        self.clean()  # the rows marked as duplicates or not
        marked = self.marked
        bad = self.classified.filter(self.classified._reason.notnull())
        parts = [bad.select(
            line=bad._line,
            field=ibis.cases((bad._reason == "missing case", ibis.literal(case)),
                             (bad._reason == "missing activity", ibis.literal(activity)), else_=ibis.literal(time)),
            reason=bad._reason,
            value=ibis.cases((bad._reason == "missing case", bad[case].cast("string")),
                             (bad._reason == "missing activity", bad[activity].cast("string")), else_=bad[time].cast("string")),
            action=ibis.literal("dropped"),
        )]
        if self.duplicates:
            dups = marked.filter(marked._dup)
            parts.append(dups.select(
                line=dups._line, field=ibis.literal("(every column)"), reason=ibis.literal("duplicate event"),
                value=dups[case].cast("string") + " | " + dups[activity].cast("string") + " | " + dups._time.cast("string"),
                action=ibis.literal("dropped"),
            ))
        if self.steps is None:  # no analyzer's sort to read them from: every journey walked in file order
            parts.append(_journey_flags(marked, case, time))
        else:
            steps = self.steps
            single = steps.filter(steps.n_events == 1)
            parts.append(single.select(line=single.event_id, field=ibis.literal(case), reason=ibis.literal("single-event journey"),
                                       value=single.case, action=ibis.literal("kept, no transitions")))
            if self.back:  # only the journeys whose rows are not in time order in the file
                back = steps.filter(steps.order_back).select(_case=steps.case).distinct()
                parts.append(_journey_flags(marked.semi_join(back, marked[case] == back._case), case, time))
        frames = [ibis.union(*parts, *self.flagged).to_pandas()]
        rejected = self.rejected
        if rejected is not None:
            frames.insert(0, pd.DataFrame({
                "line": rejected.lines, "field": "(row)", "reason": rejected.reasons,
                "value": [t[:200] for t in rejected.texts], "action": "dropped",
            }))
        quarantine = pd.concat(frames, ignore_index=True)
        quarantine.insert(0, "source_file", str(self.path))
        return quarantine.sort_values(["line", "reason"], kind="mergesort").reset_index(drop=True)[QUARANTINE_COLUMNS]


def _flag_counts(steps: "Table") -> tuple[int, int]:
    """Events tied in time with a neighbour, and events out of file order, in the analyzer's steps (one query)."""
    row = steps.aggregate(ties=steps.time_tie.cast("int64").sum(), back=steps.order_back.cast("int64").sum()).to_pandas().iloc[0]
    return int(row["ties"] or 0), int(row["back"] or 0)


def _journey_flags(marked: "Table", case: str, time: str) -> "Table":
    """Quarantine rows from one window pass over each journey in file order: out of order (earlier than
    the journey's previous row in the file, duplicates included, as read) and single-event journeys
    (one clean row)."""
    journey = ibis.window(group_by=marked[case], order_by=marked._line)
    whole = ibis.window(group_by=marked[case], order_by=marked._line, rows=(None, None))
    flags = marked.mutate(_back=marked._time < marked._time.lag().over(journey), _n=(~marked._dup).cast("int64").sum().over(whole))
    flags = flags.filter(~flags._dup & (flags._back.fill_null(False) | (flags._n == 1)))
    return flags.select(
        line=flags._line,
        field=ibis.ifelse(flags._n == 1, case, time),
        reason=ibis.ifelse(flags._n == 1, "single-event journey", "out of order"),
        value=ibis.ifelse(flags._n == 1, flags[case].cast("string"), flags[time].cast("string")),
        action=ibis.ifelse(flags._n == 1, "kept, no transitions", "kept, ordered by time"),
    )


def _content_notes(path: Path, clean: "Table", activity: str, customer: str | None, case: str,
                   touchpoints: list[str] | None = None) -> list[str]:
    """Notes on what the clean events hold: a single touchpoint (``touchpoints``: the touchpoints when
    already known, else looked up), journeys without a customer."""
    notes = []
    if touchpoints is None:
        touchpoints = clean.select(clean[activity]).distinct().limit(2).to_pandas().iloc[:, 0].tolist()
    if len(touchpoints) == 1:
        notes.append(
            f"{path}: the log has a single touchpoint ({touchpoints[0]!r}): the graph has only self-loops "
            "and friction cannot compare pathways; check that --activity names the touchpoint column."
        )
    if customer is not None:
        nameless = clean.filter(clean[customer].isnull())[case].nunique().to_pandas()
        if nameless:
            notes.append(
                f"{path}: {nameless:,} journey(s) have events without a {customer!r} value; such a journey counts as its own "
                "customer (customer = the case id) and is not merged with other journeys."
            )
    return notes


#: ISO 8601 forms DuckDB's cast does not take, rewritten into ones it does: a time to the minute with a
#: UTC offset (``2024-01-01 12:00+01:00``, ``…T12:00Z``) and the basic format (``20240101T120000Z``).
_ISO_REWRITES = (
    (r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2})(Z|[+-]\d{2}(?::?\d{2})?)$", r"\1:00\2"),
    (r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2}(?:[.,]\d+)?)(Z|[+-]\d{2}(?::?\d{2})?)?$", r"\1-\2-\3T\4:\5:\6\7"),
    (r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(Z|[+-]\d{2}(?::?\d{2})?)?$", r"\1-\2-\3T\4:\5:00\6"),
)


def _trimmed(text: "StringValue") -> "StringValue":
    """``text.strip()``, done only where a value starts or ends with a space or a control character:
    most values do not, and stripping copies every string."""
    edge = (text.ascii_str() <= 32) | (text.right(1).ascii_str() <= 32)
    return ibis.ifelse(edge, text.strip(), text)


@ibis.udf.scalar.builtin(name="epoch_us")
def _epoch_us(value) -> int:  # type: ignore[empty-body]
    """Microseconds since 1970-01-01 of a timestamp (a built-in function of DuckDB)."""


@ibis.udf.scalar.builtin(name="make_timestamptz")
def _utc_from_micros(value: int) -> dt.Timestamp(timezone="UTC"):  # type: ignore[empty-body]
    """The UTC moment ``value`` microseconds after 1970-01-01 (a built-in function of DuckDB)."""


def _parsed_time(stamp, path: Path, name: str) -> "TimestampValue":
    """The time column as UTC moments: a time without a UTC offset is taken as UTC (the store's session
    zone), a date as its midnight UTC, text as ISO 8601 (:func:`_parsed_iso_time`). A time without a
    zone becomes UTC through its epoch microseconds: a cast to a zoned type goes through ICU per row."""
    kind = stamp.type()
    if kind.is_timestamp():
        return stamp.cast(dt.Timestamp(timezone="UTC")) if kind.timezone else _utc_from_micros(_epoch_us(stamp))
    if kind.is_date():
        return _utc_from_micros(_epoch_us(stamp.cast(dt.Timestamp())))
    if kind.is_string():
        return _parsed_iso_time(_trimmed(stamp))
    raise InputError(f"{path}: column {name!r} holds {kind}, not times; give --time a column of ISO 8601 timestamps.")


def _parsed_iso_time(text: "StringValue") -> "TimestampValue":
    """A text time as a UTC timestamp (no offset: taken as UTC), null when it is not one. A text with
    nothing after its date but digits, ``T``, spaces, colons and dots has no zone and is read as a
    plain time (cheap); the others are cast with their offset, and the rewrites of
    :data:`_ISO_REWRITES` are tried only on the texts the plain casts refuse."""
    utc = dt.Timestamp(timezone="UTC")
    zoneless = ~text.substr(10).re_search(r"[^0-9T :.]")
    tries = [ibis.ifelse(zoneless, _utc_from_micros(_epoch_us(text.try_cast(dt.Timestamp()))), ibis.null(utc)), text.try_cast(utc)]
    for pattern, replacement in _ISO_REWRITES:
        tries.append(text.re_replace(pattern, replacement).try_cast(utc))
    return ibis.coalesce(*tries)


def _skip_rejected(con, numbered: "Table", records: np.ndarray) -> "Table":
    """Renumber the rows read (``_rn``, from 0) as records of the file: the records the reader rejected
    are missing from the stream, so row ``p`` is record ``p + #{j : k_j − j ≤ p}`` for the rejected
    records ``k_0 < k_1 < …`` (an as-of join on the sorted thresholds ``k_j − j``)."""
    records = np.sort(records)
    thresholds = records - np.arange(len(records))
    skips = pd.DataFrame({"_t": thresholds, "_skipped": np.arange(1, len(records) + 1)}).groupby("_t", as_index=False).max()
    steps = con.create_table(f"_journey_skips_{next(_counter)}", skips, temp=True)
    joined = numbered.asof_join(steps, numbered._rn >= steps._t)
    return con.create_table(
        f"_journey_rows_{next(_counter)}",
        joined.mutate(_rn=joined._rn + joined._skipped.fill_null(0)).drop("_t", "_skipped"),
        temp=True,
    )


@dataclass
class _Opened:
    """An event file as an Ibis table not yet read (CSV: a view over DuckDB's reader), where its records
    are (see :func:`record_lines`), and, once the table has been scanned, the records the reader rejected."""

    raw: "Table"
    lines: "int | np.ndarray"
    rejected: "Callable[[], _Rejected | None]" = lambda: None


@contextmanager
def _opened(store: "Store", path: Path) -> "Iterator[_Opened]":
    """The file at ``path`` opened for one scan by the engine (a CSV's decoded copy lives until the end)."""
    if not path.exists():
        raise InputError(f"{path}: no such file; give the path of a CSV, Parquet or XES event log.")
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        with _opened_csv(store, path) as opened:
            yield opened
        return
    con = store.con
    try:
        if name.endswith((".parquet", ".pq")):
            raw = con.read_parquet(path, table_name=f"_journey_file_{next(_counter)}")
        elif name.endswith((".xes", ".xes.gz")):
            raw = _with_xes_attributes(store, con.create_table(f"_journey_file_{next(_counter)}", _read_xes(path), temp=True))
        else:
            raise InputError(f"{path}: unknown file type; give a .csv, .parquet or .xes(.gz) event log.")
    except InputError:
        raise
    except Exception as exc:  # the reader's own error type varies by format
        raise InputError(f"{path}: cannot be read ({str(exc).splitlines()[0]}); check that it is a valid file of its kind.") from None
    yield _Opened(raw, 1)


@dataclass
class _Rejected:
    """CSV records the reader could not split into the header's fields: their index among the data
    records, physical line, text and DuckDB's reason."""

    records: np.ndarray
    lines: np.ndarray
    texts: list[str]
    reasons: list[str]


#: DuckDB's reject kinds, as a user reads them.
_REJECT_REASONS = {"missing columns": "fewer fields than the header", "too many columns": "more fields than the header"}


@contextmanager
def _opened_csv(store: "Store", path: Path) -> "Iterator[_Opened]":
    """A CSV file as Listen reads it (its encoding, delimiter and header checks; every column text), as a
    view over DuckDB's reader: the records it cannot split into the header's fields are set aside rather
    than failing the file, and known once the view has been scanned."""
    from empathica.listen import inspect_file
    from empathica.listen.readers import csv_rejects, csv_relation

    source = inspect_file(path)
    try:
        readable, compressed = source.readable
        starts, reader_lines, unclosed = _scan_records(readable, compressed=compressed)
        if unclosed is not None:  # DuckDB would read the rest of the file as one (rejected) value
            first, last = unclosed
            raise InputError(f"{path}: line {first}: a quote (\") opened in this row is never closed, so lines {first}–{last} "
                             "would read as one value. Close the quote, or write a quote inside a value as \"\".")
        name = f"_journey_file_{next(_counter)}"
        duck = store.duckdb()
        try:
            duck.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {csv_relation(source, '_journey_reject')}")
        except Exception as exc:  # duckdb.Error subclasses
            raise InputError(f"{path}: cannot be read ({str(exc).splitlines()[0]}); check that it is a valid file of its kind.") from None
        yield _Opened(store.con.table(name), starts,
                      lambda: _rejected_records(path, csv_rejects(duck, "_journey_reject"), starts, reader_lines))
    finally:
        source.close()


def _rejected_records(path: Path, rejects: list, starts: "int | np.ndarray", reader_lines: "np.ndarray | None") -> "_Rejected | None":
    """The reader's rejected rows (:func:`csv_rejects`) as records and physical lines of the file."""
    if not rejects:
        return None
    numbers = np.array([line for line, _, _ in rejects], dtype="int64")
    if isinstance(starts, int):  # one line per record: the reader's line is the file's
        records, lines = numbers - starts, numbers
    else:  # the reader counts a quoted multi-line record as one line, and blank lines as lines
        records = np.searchsorted(reader_lines, numbers)
        records = np.minimum(records, len(starts) - 1)
        lines = starts[records]
        continued = starts - reader_lines  # continuation lines (inside quotes) before each record
        for record, line in zip(records, lines):  # a rejected row that runs over several lines: a quote that closes far too late
            inside = int(continued[record + 1] - continued[record]) if record + 1 < len(starts) else 0
            if inside:
                raise InputError(
                    f"{path}: line {line}: a quoted value runs on to line {line + inside}, and the row it makes does not "
                    f"fit the header; check line {line} for a quote (\") that should not open a value (write a quote "
                    "inside a value as \"\").")
    texts = [(text or "").strip("\r\n") for _, text, _ in rejects]
    reasons = [", ".join(_REJECT_REASONS.get(k, k) for k in kind.split(", ")) for _, _, kind in rejects]
    return _Rejected(records.astype("int64"), lines.astype("int64"), texts, reasons)


def record_lines(path: Path, *, compressed: bool = False) -> "int | np.ndarray":
    """The physical line (1-based) on which each data record of a CSV file starts (see :func:`_scan_records`)."""
    return _scan_records(path, compressed=compressed)[0]


def _scan_records(path: Path, *, compressed: bool = False) -> "tuple[int | np.ndarray, np.ndarray | None, tuple[int, int] | None]":
    """The physical line (1-based) on which each data record of a CSV file starts, the line number
    DuckDB's CSV reader gives the record (it counts a multi-line quoted record as one line), and, when
    the file ends inside quotes, ``(first, last)``: the line of the record whose quote never closes and
    the file's last line (else None).

    Returns ``(2, None, None)`` (the first data line; record k is on line k + 2) when every record is exactly
    one line, which a byte scan for quotes and blank lines shows cheaply. Otherwise one line number per
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
        return 2, None, None
    starts: list[np.ndarray] = []
    readers: list[np.ndarray] = []
    lines_before, quotes_before, continued_before, carry = 0, 0, 0, b""
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
            first = np.flatnonzero(~inside & ~blank)
            continued = continued_before + np.cumsum(inside) - inside  # continuation lines before each line
            starts.append(lines_before + 1 + first)
            readers.append(lines_before + 1 + first - continued[first])
            lines_before += len(ends)
            continued_before += int(inside.sum())
            quotes_before += int(quotes[-1])
            if not chunk:
                break
    if not starts:
        return np.array([], dtype="int64"), np.array([], dtype="int64"), None
    record_starts = np.concatenate(starts)
    unclosed = (int(record_starts[-1]), lines_before) if quotes_before % 2 else None
    # the first record is the header
    return record_starts[1:].astype("int64"), np.concatenate(readers)[1:].astype("int64"), unclosed


def _read_xes(path: Path) -> "pa.Table":
    """An XES log as one row per event, via Listen's streaming reader.

    The columns are Listen's (``journey_id, customer_id, touchpoint_id, timestamp, attributes``; not its
    made-up ``event_id``) plus the names pm4py users know (``case:concept:name``, ``concept:name``, ``time:timestamp``).
    """
    import pyarrow as pa

    from empathica.listen.xes import XES_COLUMNS, xes_batches  # Listen owns the XES format

    batches = list(xes_batches(path, batch_rows=200_000))
    table = pa.concat_tables(batches) if batches else pa.table({c: pa.array([], pa.string()) for c in XES_COLUMNS})
    table = table.select([c for c in XES_COLUMNS if c != "event_id"])  # its event ids are made up (<case>#<n>), not data
    for alias, column in (("case:concept:name", "journey_id"), ("concept:name", "touchpoint_id"), ("time:timestamp", "timestamp")):
        table = table.append_column(alias, table[column])
    return table


def _with_xes_attributes(store: "Store", table: "Table") -> "Table":
    """The XES events with each event or trace attribute (``org:resource``, ``service_level``,
    ``trace:segment`` …) as a text column of its own, so that --cohort, --customer, --channel, --revenue
    and --score can name it; a trace attribute is also there under pm4py's name, ``case:segment``. An
    attribute named like one of the reader's columns stays only in ``attributes``."""
    duck = store.duckdb()
    name = table.get_name()
    keys = [k for (k,) in duck.execute(
        f"SELECT DISTINCT unnest(json_keys(attributes)) AS k FROM {name} WHERE attributes IS NOT NULL ORDER BY k"
    ).fetchall()]
    taken = {c.lower() for c in table.columns}
    picks = {k: k for k in keys if k.lower() not in taken}
    # a trace attribute (Listen: trace:<name>) also under pm4py's name for it, case:<name>
    picks |= {f"case:{k[6:]}": k for k in keys if k.startswith("trace:") and f"case:{k[6:]}".lower() not in taken | {p.lower() for p in picks}}
    if not picks:
        return table
    unpacked = f"_journey_file_{next(_counter)}"
    columns = ", ".join(
        "json_extract_string(attributes, '$.\"{}\"') AS \"{}\"".format(k.replace("'", "''").replace('"', '\\"'), alias.replace('"', '""'))
        for alias, k in picks.items()
    )
    duck.execute(f"CREATE TEMP TABLE {unpacked} AS SELECT *, {columns} FROM {name}")
    return store.con.table(unpacked)


def _notes(path: Path, quarantine: pd.DataFrame) -> list[str]:
    """One line per reason: how many rows, what happened to them, the first lines."""
    notes = []
    for (reason, action), group in quarantine.groupby(["reason", "action"], sort=False):
        lines = ", ".join(str(v) for v in group["line"].head(5))
        more = " …" if len(group) > 5 else ""
        notes.append(f"{path}: {len(group):,} row(s) {reason} ({action}): line(s) {lines}{more}")
    return notes
