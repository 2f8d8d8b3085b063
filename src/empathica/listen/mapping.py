"""Mapping files (TOML): a user's column names, value codes, timestamp format and constants → the schema.

Example (documented in full in docs/listen.md)::

    timezone = "Europe/Berlin"          # zone of timestamps written without an offset (default UTC)

    [turns.columns]                     # your column → canonical column
    Sprecher = "speaker"
    Nachricht = "text"

    [turns.values.speaker]              # your codes → canonical values
    A = "agent"
    K = "customer"

    [transactions]
    timestamp_format = "%d.%m.%Y %H:%M" # strptime format of this table's timestamps
    [transactions.constants]
    currency = "EUR"                    # a column with the same value on every row
"""

from __future__ import annotations

import json

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from empathica.errors import MappingError, SchemaError
from empathica.schema import table as schema_table

__all__ = ["Mapping", "TableMapping", "load_mapping"]

_TABLE_KEYS = {"columns", "values", "constants", "timestamp_format", "timezone"}
_TOP_KEYS = {"timestamp_format", "timezone"}


@dataclass(frozen=True)
class TableMapping:
    """How one user's file maps onto one canonical table."""

    columns: dict[str, str] = field(default_factory=dict)  # source column → canonical column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical column → {code: value}
    constants: dict[str, Any] = field(default_factory=dict)  # canonical column → value on every row
    timestamp_format: str | None = None  # strptime format; None: ISO 8601 and DuckDB's usual forms
    timezone: str | None = None  # zone of naive timestamps; None: UTC


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file: one :class:`TableMapping` per canonical table it mentions."""

    source: str = "<mapping>"
    tables: dict[str, TableMapping] = field(default_factory=dict)
    timestamp_format: str | None = None
    timezone: str | None = None

    def for_table(self, name: str) -> TableMapping:
        """The mapping of table ``name``, with the file-wide defaults filled in."""
        t = self.tables.get(name, TableMapping())
        return TableMapping(
            columns=t.columns,
            values=t.values,
            constants=t.constants,
            timestamp_format=t.timestamp_format or self.timestamp_format,
            timezone=t.timezone or self.timezone,
        )


def load_mapping(path: str | Path) -> Mapping:
    """Parse and check a mapping file; a malformed file or an unknown table or field raises MappingError."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path} is not valid TOML: {exc}.") from None
    return parse_mapping(data, source=str(path))


def parse_mapping(data: dict[str, Any], *, source: str = "<mapping>") -> Mapping:
    """Build a :class:`Mapping` from the dictionary a TOML mapping file parses to."""

    def fail(key: str, problem: str) -> MappingError:
        return MappingError(f"mapping file {source}, key {key}: {problem}")

    top: dict[str, Any] = {}
    tables: dict[str, TableMapping] = {}
    for key, value in data.items():
        if key in _TOP_KEYS:
            top[key] = _check_setting(key, value, fail)
            continue
        try:
            t = schema_table(key)
        except SchemaError:
            raise fail(key, "not a table name nor one of the settings timestamp_format, timezone; "
                            "use one of the canonical tables (see docs/schema.md).") from None
        if not isinstance(value, dict):
            raise fail(key, f"expected a table [{key}] with columns/values/constants, got {value!r}.")
        cols, values, constants, settings = {}, {}, {}, {}
        for sub, content in value.items():
            where = f"{key}.{sub}"
            if sub not in _TABLE_KEYS:
                raise fail(where, f"unknown entry; a table section may hold {', '.join(sorted(_TABLE_KEYS))}.")
            if sub in ("timestamp_format", "timezone"):
                settings[sub] = _check_setting(where, content, fail)
                continue
            if not isinstance(content, dict):
                raise fail(where, "expected a table of entries.")
            if sub == "columns":
                for src, target in content.items():
                    if not isinstance(target, str) or target not in t.column_names:
                        raise fail(f"{where}.{src}", f"{target!r} is not a column of {t.name}; "
                                                     f"its columns are {', '.join(t.column_names)}.")
                    cols[str(src)] = target
            elif sub == "values":
                for target, codes in content.items():
                    if target not in t.column_names:
                        raise fail(f"{where}.{target}", f"not a column of {t.name}; its columns are {', '.join(t.column_names)}.")
                    if not isinstance(codes, dict):
                        raise fail(f"{where}.{target}", "expected a table of code = value entries.")
                    values[target] = {str(k): _as_text(v) for k, v in codes.items()}
            else:
                for target, v in content.items():
                    if target not in t.column_names:
                        raise fail(f"{where}.{target}", f"not a column of {t.name}; its columns are {', '.join(t.column_names)}.")
                    if isinstance(v, (list, dict)) and t.column(target).type != "json":
                        raise fail(f"{where}.{target}", f"expected one value (a string, number or true/false), got {v!r}.")
                    constants[target] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else _as_text(v)
        tables[t.name] = TableMapping(columns=cols, values=values, constants=constants, **settings)
    return Mapping(source=source, tables=tables, **top)


def _check_setting(key: str, value: Any, fail) -> str:
    if not isinstance(value, str) or not value:
        raise fail(key, f"expected a non-empty string, got {value!r}.")
    if key.endswith("timezone"):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise fail(key, f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin' or 'Asia/Shanghai'.") from None
    elif "%" not in value:
        raise fail(key, f"{value!r} is not a strptime format (e.g. '%d.%m.%Y %H:%M').")
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
