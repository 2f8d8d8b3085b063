"""Append-only writers for the demo files: CSV, Parquet and JSON Lines, one chunk at a time.

Frames handed to a writer carry the canonical columns of their table; timestamp columns hold
``datetime64`` values (written as ISO-8601 UTC, ``2024-03-05T14:22:31Z``, or as Parquet UTC
timestamps) or, for deliberately bad rows, strings that are written as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from empathica.schema import table as schema_table

_ARROW = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "json": pa.string()}


def iso(values: np.ndarray) -> np.ndarray:
    """ISO-8601 UTC strings (None for NaT) of datetime64 values."""
    values = np.asarray(values, dtype="datetime64[s]")
    out = np.char.add(np.datetime_as_string(values, unit="s"), "Z").astype(object)
    out[np.isnat(values)] = None
    return out


class TableWriter:
    """Appends chunks of one canonical table to one file in the format its suffix names."""

    def __init__(self, path: Path, table_name: str) -> None:
        self.path = Path(path)
        self.table = schema_table(table_name)
        self.format = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}[self.path.suffix]
        self.rows = 0
        self._writer = None
        self.path.unlink(missing_ok=True)
        if self.format == "jsonl":
            self.path.touch()

    def _schema(self) -> pa.Schema:
        fields = []
        for col in self.table.columns:
            if col.type == "timestamp":
                kind = pa.timestamp("us", tz="UTC") if self.format == "parquet" else pa.string()
            else:
                kind = _ARROW[col.type]
            fields.append(pa.field(col.name, kind))
        return pa.schema(fields)

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[self.table.column_names].copy()
        for col in self.table.columns:
            values = frame[col.name]
            if col.type == "timestamp" and self.format != "parquet" and pd.api.types.is_datetime64_any_dtype(values):
                frame[col.name] = iso(values.to_numpy())
            elif col.type == "int":
                frame[col.name] = values.astype("Int64")
        return frame

    def write(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        frame = self._prepare(frame)
        self.rows += len(frame)
        if self.format == "jsonl":
            with self.path.open("a", encoding="utf-8") as fh:
                text = frame.to_json(orient="records", lines=True, force_ascii=False)
                fh.write(text if text.endswith("\n") else text + "\n")
            return
        data = pa.Table.from_pandas(frame, schema=self._schema(), preserve_index=False)
        if self._writer is None:
            if self.format == "csv":
                self._writer = pacsv.CSVWriter(str(self.path), data.schema)
            else:
                self._writer = pq.ParquetWriter(str(self.path), data.schema, compression="zstd")
        self._writer.write_table(data)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        elif self.format != "jsonl" and not self.path.exists():
            # an empty table still gets a file with its header / schema
            empty = pa.Table.from_pylist([], schema=self._schema())
            if self.format == "csv":
                pacsv.write_csv(empty, str(self.path))
            else:
                pq.write_table(empty, str(self.path))
