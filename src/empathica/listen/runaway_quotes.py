"""CSV rows whose opening quote never closes: found, cut out and quarantined, so that no row is lost.

DuckDB reads such a quote as the start of a field running on to the next quote or the end of the
file; the rows it swallows would vanish into one rejected row. :func:`drop_runaway_quotes` finds the
lines (a strict parse with Python's csv module when DuckDB's records do not match the file's lines),
reads the file from a copy without them, and returns them for the quarantine; a file DuckDB's parser
gives up on is read by :func:`python_csv_batches`.
"""

from __future__ import annotations

import csv
import gzip
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from empathica.errors import InputError
from empathica.listen.readers import _SAMPLE_BYTES, SourceFile, _null_errors, _open_binary, _with_line, csv_relation

__all__ = ["MAX_RUNAWAY_QUOTES", "drop_runaway_quotes", "original_line", "python_csv_batches"]

#: At most this many lines whose quote never closes are cut out of one CSV file.
MAX_RUNAWAY_QUOTES = 200


def original_line(line: int, removed: list[tuple[int, str]]) -> int:
    """The physical line in the source of ``line`` of a copy that lacks the (sorted) ``removed`` lines."""
    for r, _ in removed:
        if r <= line:
            line += 1
    return line


def drop_runaway_quotes(source: SourceFile, duck) -> list[tuple[int, str]]:
    """Cut out every line whose opening quote never closes, returning ``(row line, its text)``.

    DuckDB reads such a quote as the start of a field that runs on to the next quote, or to the end of
    the file, and rejects what it read as one row (or stops with "invalid state"): every row it
    swallowed would be lost, and its reject records do not say reliably where the quote was. So when
    DuckDB's scan rejects anything, the file is parsed once more with Python's csv module: a record
    spanning several lines that does not parse strictly (text after a closing quote, or the end of
    the file inside quotes) or has the wrong number of fields starts with a runaway quote. (So a
    record with a line break in a quoted field and a field too many is quarantined line by line.) That line is cut out of a temporary copy (which ``source`` is then read from) and
    parsing resumes on the next line; the cut lines are quarantined. Line numbers count records as
    DuckDB's do (header and blank lines before it included).
    """
    duck.execute("DROP TABLE IF EXISTS _listen_runaway_errors")
    duck.execute("DROP TABLE IF EXISTS _listen_runaway_scans")
    try:  # fetchall: the reject tables appear when the scan ends
        rows = duck.execute(f"SELECT count(*) FROM {csv_relation(source, '_listen_runaway')}").fetchall()[0][0]
        rows += duck.execute("SELECT count(DISTINCT line) FROM _listen_runaway_errors").fetchone()[0]
        # A runaway quote may even close into a valid record; either way the records no longer match
        # the lines (as a quoted field with a line break does: only then is the file parsed again).
        suspect = rows != _physical_lines(source) - 1 - source.skip_lines
    except Exception as exc:  # duckdb.Error subclasses
        if "invalid state" not in str(exc):
            raise
        suspect = True
    if not suspect:
        return []
    removed = _cut_runaway_lines(source)
    try:
        duck.execute(f"SELECT count(*) FROM {csv_relation(source, '_listen_runaway')}").fetchall()
    except Exception as exc:  # duckdb.Error subclasses
        if "invalid state" not in str(exc):
            raise
        source.python_csv = True
    return removed


def python_csv_batches(source: SourceFile, batch_rows: int, rejects: list | None) -> Iterator[pa.Table]:
    """The file read by Python's csv module (for files DuckDB's parser gives up on): every record with the
    header's number of fields is a row, every other one a reject ``(row, raw text, reason)``."""
    path, compressed = source.readable
    opener = gzip.open if compressed else open
    names = source.columns
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        for _ in range(source.skip_lines):
            fh.readline()
        reader = csv.reader(fh, delimiter=source.delimiter or ",")
        next(reader, None)  # the header
        columns: list[list[str]] = [[] for _ in names]
        start, record = 1, 0
        for fields in reader:
            record += 1
            if len(fields) != len(names):
                if rejects is not None:
                    rejects.append((record, (source.delimiter or ",").join(fields),
                                    "missing columns" if len(fields) < len(names) else "too many columns"))
                continue
            for values, value in zip(columns, fields):
                values.append(value)
            if len(columns[0]) >= batch_rows:
                yield _null_errors(_with_line(pa.table(dict(zip(names, columns))), start))
                start += len(columns[0])
                columns = [[] for _ in names]
        if columns[0]:
            yield _null_errors(_with_line(pa.table(dict(zip(names, columns))), start))


def _physical_lines(source: SourceFile) -> int:
    """Lines of ``source``'s readable file (a last line without a line end counts)."""
    path, compressed = source.readable
    count, last = 0, b"\n"
    with _open_binary(path, compressed) as fh:
        while chunk := fh.read(_SAMPLE_BYTES * 8):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _looks_like_a_row(lines: list[str], source: SourceFile) -> bool:
    """Whether one of a multi-line record's later lines would, alone, be a row of the file: it starts with an
    unquoted field and splits into the header's number of fields (less the quoted one it ends in)."""
    delimiter = source.delimiter or ","
    n = len(source.columns)
    for line in lines:
        text = line.rstrip("\r\n")
        if text and text[0] != '"' and n > 1 and text.count(delimiter) >= n - 1:
            fields = next(csv.reader([text], delimiter=delimiter), [])
            if len(fields) in (n - 1, n) and fields[0].strip():
                return True
    return False


def _cut_runaway_lines(source: SourceFile) -> list[tuple[int, str]]:
    path, compressed = source.readable
    opener = gzip.open if compressed else open
    fd, tmp = tempfile.mkstemp(prefix="empathica-cut-", suffix=".csv")
    removed: list[tuple[int, str]] = []
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as src, \
            os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
        pending: list[str] = []  # lines to parse again (after a cut), in reverse order
        taken: list[str] = []  # the lines the current record consumed

        def lines():
            while True:
                line = pending.pop() if pending else src.readline()
                if not line:
                    return
                taken.append(line)
                yield line

        record_no = 0
        for _ in range(source.skip_lines):
            dst.write(src.readline())
        reader = csv.reader(lines(), delimiter=source.delimiter or ",", strict=True)
        while True:
            taken.clear()
            try:  # a record spanning lines with the wrong number of fields swallowed rows (a runaway quote
                fields = next(reader, None)  # closed by another line's quote): its lines are read one by one
                bad = fields is not None and record_no > 0 and len(taken) > 1 and len(fields) != len(source.columns)
            except csv.Error:
                fields, bad = [], len(taken) > 1
                reader = csv.reader(lines(), delimiter=source.delimiter or ",", strict=True)
            if fields is None and not taken:
                break
            record_no += 1
            if bad:
                removed.append((record_no + source.skip_lines, taken[0].rstrip("\r\n")))
                pending.extend(reversed(taken[1:]))
                reader = csv.reader(lines(), delimiter=source.delimiter or ",", strict=True)
            else:
                dst.writelines(taken)
                if record_no > 1 and len(taken) > 1 and _looks_like_a_row(taken[1:], source):
                    source.suspect_rows.append(record_no - 1)
            if len(removed) > MAX_RUNAWAY_QUOTES:
                break
    if not removed:
        Path(tmp).unlink()
        return []
    if len(removed) > MAX_RUNAWAY_QUOTES:
        Path(tmp).unlink()
        raise InputError(f"{source.path}: more than {MAX_RUNAWAY_QUOTES} rows open a quote (\") that never closes; "
                         "check the export's quoting (a field holding \" must write it as \"\").")
    source._cleanup.append(Path(tmp))
    return removed
