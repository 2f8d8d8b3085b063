"""Score or cluster the texts of a CSV, JSON Lines or Parquet file, writing the same format back.

Text files are read in the encoding Listen detects (UTF-8, UTF-16, GB18030, Big5, Windows-1252 or Latin-1) and always written
as UTF-8; a CSV file's delimiter (, ; tab |) is sniffed as Listen does, and the output keeps commas. Every input row gives one output row: a blank line of a CSV file is a row with empty
fields; a CSV row with more fields than the header is an error naming its line.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from empathica.errors import InputError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown file type {suffix!r}; use .csv, .jsonl or .parquet.")
    return FORMATS[suffix]


def detected_encoding(path: Path) -> str:
    from empathica.listen.readers import detect_encoding

    found = detect_encoding(path)
    return "utf-8-sig" if found == "utf-8" else found  # a UTF-8 byte-order mark is not part of the header


def detected_delimiter(path: Path, encoding: str) -> str:
    """The CSV delimiter (, ; tab |), sniffed from the file's first lines as Listen does."""
    from empathica.listen.readers import sniff_delimiter

    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        return sniff_delimiter(fh.read(65536))


def csv_records(path: Path, encoding: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Every record of a CSV file (the header first) with the physical line it starts on: a quoted field
    that spans lines moves the later records down; a blank line is an empty record."""
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        start = 1
        for record in reader:
            yield start, record
            start = reader.line_num + 1


def _first_long_row(path: Path, encoding: str, delimiter: str = ",") -> tuple[int, int, int] | None:
    """(line, fields, header fields) of the first CSV record with a non-empty field past the header's."""
    records = csv_records(path, encoding, delimiter)
    _, header = next(records, (1, []))
    for line, record in records:
        if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
            return line, len(record), len(header)
    return None


def _ragged_error(path: Path, encoding: str, delimiter: str = ",") -> InputError | None:
    found = _first_long_row(path, encoding, delimiter)
    if found is None:
        return None
    line, fields, expected = found
    return InputError(
        f"{path}: line {line} has {fields} fields, the header has {expected}; "
        "quote fields that contain the delimiter (\"like, this\") or remove the extra field."
    )


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    delimiter = detected_delimiter(path, encoding)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, encoding=encoding,
                                index_col=False, skip_blank_lines=False)
        except pd.errors.ParserError as exc:
            raise (_ragged_error(path, encoding, delimiter) or InputError(
                f"{path}: cannot be read as csv ({str(exc).strip()}); check the file's format.")) from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        # pandas drops fields past the header's (index_col=False) and only warns: refuse instead.
        error = _ragged_error(path, encoding, delimiter)
        if error is not None:
            raise error
    return frame


_JSON_KINDS = {list: "a JSON array", str: "a JSON string", int: "a number", float: "a number", bool: "true/false",
               type(None): "null"}


def json_line_records(path: Path, encoding: str) -> tuple[list[dict], list[int]]:
    """The JSON objects of a JSON Lines file and the line each came from (blank lines skipped); a line that
    is not a JSON object is an :class:`InputError` naming it."""
    records, lines = [], []
    with open(path, encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}: line {number} is not valid JSON ({exc.msg} at column {exc.colno}); "
                    "write one JSON object per line, or remove the line."
                ) from None
            if not isinstance(value, dict):
                raise InputError(
                    f"{path}: line {number} is {_JSON_KINDS.get(type(value), 'a JSON value')}, not a JSON object; "
                    "write one JSON object per line, e.g. {\"id\": 1, \"comment\": \"...\"}."
                )
            records.append(value)
            lines.append(number)
    return records, lines


def _read_jsonl(path: Path, encoding: str) -> pd.DataFrame:
    records, lines = json_line_records(path, encoding)
    frame = pd.DataFrame.from_records(records)
    frame.attrs["rows"] = lines
    return frame


def read_table(path: str | Path, *, text_column: str, id_column: str | None = None,
               label_column: str | None = None) -> pd.DataFrame:
    """The rows of ``path`` (one per input row); checks that the named columns exist.

    ``frame.attrs["encoding"]`` names the encoding a text file was read in (``None`` for Parquet);
    ``frame.attrs["rows"]`` the row number of each row as errors name it (see :func:`row_numbers`).
    A file without data rows (a CSV file with only its header, an empty JSON Lines file, an empty Parquet
    table) gives an empty frame with the named columns.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found.")
    kind = file_format(path)
    encoding = None
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            encoding = detected_encoding(path)
            frame = _read_csv(path, encoding) if kind == "csv" else _read_jsonl(path, encoding)
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        raise InputError(f"{path}: cannot be read as {kind} ({exc}); check the file's format.") from None
    rows = frame.attrs.get("rows")
    if kind == "jsonl" and not len(frame):
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in (id_column, text_column, label_column) if c})
    for column, option in ((text_column, "--text-column"), (id_column, "--id-column"), (label_column, "--label-column")):
        if column is not None and column not in frame.columns:
            raise InputError(
                f"{path}: no column {column!r} (named by {option}); its columns are {', '.join(map(str, frame.columns))}."
            )
    frame.attrs["encoding"] = None if encoding is None else encoding.removesuffix("-sig")
    frame.attrs["rows"] = rows if rows is not None else row_numbers(kind, len(frame))
    return frame


def row_numbers(kind: str, n: int) -> list[int]:
    """How errors number the ``n`` rows of a file: CSV counts its header as row 1 (the first data row is
    row 2, as a spreadsheet shows it); Parquet's first row is row 1 (as Listen numbers Parquet rows);
    JSON Lines rows carry their line number (set by the reader, blank lines skipped)."""
    return list(range(2, n + 2)) if kind == "csv" else list(range(1, n + 1))


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` in the format named by the suffix of ``path`` (lists as JSON in CSV); text in UTF-8."""
    path = Path(path)
    kind = file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        out = frame.copy()
        for col in out.columns:
            if out[col].map(lambda v: isinstance(v, (list, dict))).any():
                out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
        out.to_csv(path, index=False, encoding="utf-8")
    elif kind == "jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            if len(frame):  # pandas writes a lone line break for no rows: an empty file is the empty JSON Lines file
                frame.to_json(fh, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def redactor():
    """Listen's PII redaction (``redact(text) -> str``), or ``None`` when it is not installed."""
    try:
        from empathica.listen.redaction import redact
    except ImportError:
        return None
    return redact
