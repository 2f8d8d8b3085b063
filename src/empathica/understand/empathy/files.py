"""Reading and writing the empathy commands' files, with the real line of every row.

Text files are read in the encoding Listen detects (UTF-8, GB18030, Windows-1252 or Latin-1) with the
delimiter Listen sniffs (, ; tab |), the same helpers ``empathica.understand.text.files`` uses. Every
row carries its line (column ``LINE``): for a CSV file the physical line on which its record starts (a
quoted text that spans lines moves the later rows down; blank lines are skipped), for JSON Lines its
line number, for Parquet its row number + 1. A CSV record with more non-empty fields than the header is kept with
``MALFORMED`` set (the raw record) so that the caller can quarantine it with its line.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from empathica.errors import InputError
from empathica.understand.text.files import csv_records, detected_delimiter, detected_encoding, json_line_records, write_table

#: Names of the columns ``read_rows`` adds (chosen not to clash with a file's own columns).
LINE, MALFORMED = "_source_line", "_malformed_record"


def read_rows(path: str | Path) -> pd.DataFrame:
    """The rows of a CSV, JSON Lines or Parquet file as strings (CSV) or as given, plus ``LINE`` (and ``MALFORMED``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
            frame[LINE] = np.arange(len(frame)) + 1
            return frame
        encoding = detected_encoding(path)
        if suffix in (".jsonl", ".ndjson", ".json"):
            return _read_jsonl(path, encoding)
        return _read_csv(path, encoding)
    except InputError:
        raise
    except (ValueError, OSError, csv.Error) as exc:
        raise InputError(f"{path}: cannot be read ({exc}); give a CSV, JSON Lines or Parquet file.") from None


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    delimiter = detected_delimiter(path, encoding)
    records, lines, malformed = [], [], []
    rows = csv_records(path, encoding, delimiter)
    first = next(rows, None)
    if first is None:
        return pd.DataFrame({LINE: pd.Series(dtype="int64")})
    header = [h.strip() for h in first[1]]
    width = len(header)
    for start, record in rows:
        if not record:
            continue  # a blank line is no record
        bad = len(record) > width and any(v.strip() for v in record[width:])
        malformed.append(delimiter.join(record) if bad else None)
        record = (record + [""] * width)[:width]
        records.append([v if v != "" else None for v in record])
        lines.append(start)
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame[LINE] = np.asarray(lines, dtype="int64")
    if any(m is not None for m in malformed):
        frame[MALFORMED] = malformed
    return frame


def _read_jsonl(path: Path, encoding: str) -> pd.DataFrame:
    records, lines = json_line_records(path, encoding)
    frame = pd.DataFrame.from_records(records)
    frame[LINE] = np.asarray(lines, dtype="int64")
    return frame


def write_rows(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV, JSON Lines or Parquet by the suffix of ``path``, creating its folder."""
    path = Path(path)
    try:
        return write_table(frame, path)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc}); choose a writable path with --out.") from None
