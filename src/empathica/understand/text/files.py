"""Score or cluster the texts of a CSV, JSON Lines or Parquet file, writing the same format back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from empathica.errors import InputError, NothingReadError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown file type {suffix!r}; use .csv, .jsonl or .parquet.")
    return FORMATS[suffix]


def read_table(path: str | Path, *, text_column: str, id_column: str | None = None) -> pd.DataFrame:
    """The rows of ``path``; checks that the named columns exist."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found.")
    kind = file_format(path)
    try:
        if kind == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="replace")
        elif kind == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            frame = pd.read_parquet(path)
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        raise InputError(f"{path}: cannot be read as {kind} ({exc}); check the file's format.") from None
    if frame.empty:
        raise NothingReadError(f"{path}: no rows to score.")
    for column, option in ((text_column, "--text-column"), (id_column, "--id-column")):
        if column is not None and column not in frame.columns:
            raise InputError(
                f"{path}: no column {column!r} (named by {option}); its columns are {', '.join(map(str, frame.columns))}."
            )
    return frame


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` in the format named by the suffix of ``path`` (lists as JSON in CSV)."""
    path = Path(path)
    kind = file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        out = frame.copy()
        for col in out.columns:
            if out[col].map(lambda v: isinstance(v, (list, dict))).any():
                out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
        out.to_csv(path, index=False)
    elif kind == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
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
