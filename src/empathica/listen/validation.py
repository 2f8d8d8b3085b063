"""Row validation as SQL over a staged batch: conversion to the canonical types and the checks.

Each batch (an Arrow table registered in DuckDB as ``_listen_batch``) goes through three statements
that :class:`BatchPlan` writes; no Python loop touches the rows:

1. ``failed_sql``: the rows that fail a check, or whose key is already stored, into ``_listen_failed``
   (with the index of the first failure and the list of all); a clean batch yields no rows here;
2. ``insert_sql``: every other row, converted, into the canonical table;
3. ``quarantine_sql``: the failed rows into ``quarantine`` with field, reason, source value and row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from empathica.listen.kinds import DERIVABLE_KEYS
from empathica.listen.redaction import column_key
from empathica.listen.mapping import TableMapping
from empathica.listen.reasons import reader_reason_sql, stored
from empathica.schema import Table

__all__ = ["AGAIN", "BATCH", "FAILED", "SEEN", "FALSE_WORDS", "TRUE_WORDS", "BatchPlan", "source_kind"]

BATCH = "_listen_batch"
FAILED = "_listen_failed"
#: Hashes of the keys stored in the target table (before and during this file's ingestion).
SEEN = "_listen_seen"
#: Hashes of the keys this reading found already stored (a second row with one of them is a duplicate in the file).
AGAIN = "_listen_again"
#: Blanks stripped around text values (a tab-only id is no id); NUL characters are removed from text.
_BLANKS = " \t\r\n\u00a0\u3000"
#: Words read as true / false in boolean columns (after lower-casing), besides the mapping's codes.
TRUE_WORDS = ("true", "t", "yes", "y", "1", "ja", "j", "wahr", "是", "对")
FALSE_WORDS = ("false", "f", "no", "n", "0", "nein", "falsch", "否", "不")
_TYPE_WORDS = {"int": "a whole number", "float": "a number", "bool": "true/false", "timestamp": "a timestamp", "json": "a JSON object"}


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def source_kind(dtype: pa.DataType) -> str:
    """How a source column arrives: string, int, float, bool, timestamp, timestamptz, date or nested."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype):
        return "string"
    if pa.types.is_integer(dtype):
        return "int"
    if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "float"
    if pa.types.is_boolean(dtype):
        return "bool"
    if pa.types.is_timestamp(dtype):
        return "timestamptz" if dtype.tz else "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_null(dtype):
        return "string"
    return "nested"


@dataclass
class BatchPlan:
    """The SQL that converts and checks every batch of one file for one canonical table."""

    table: Table
    columns: dict[str, str]  # canonical column → source column
    kinds: dict[str, str]  # source column → source_kind
    mapping: TableMapping
    extra_columns: Sequence[str] = ()  # source columns kept in `attributes`
    redact: bool = False
    check_references: Sequence[str] = ()  # canonical columns whose references are checked
    raw_column: str | None = None  # a column holding the whole source row as JSON (JSON Lines)
    touchpoint_channels: bool = False  # fill a missing events.channel from the touchpoints table
    trim: bool = True  # strip blanks around text values (text formats; Parquet strings are kept as they are)
    pii_columns: frozenset[str] = frozenset()  # extra columns whose every value is replaced by [REDACTED] (with redact)

    # -- conversion ----------------------------------------------------------------------------
    def _text(self, col: str) -> tuple[str, str]:
        """(expression, kind) of the source value for canonical ``col`` before type conversion."""
        if col in self.mapping.constants:
            expr, kind = lit(self.mapping.constants[col]), "string"
        elif col in self.columns:
            src = self.columns[col]
            kind = self.kinds[src]
            if kind == "string":
                clean = f"replace({ident(src)}, chr(0), '')"
                expr = f"NULLIF(trim({clean}, {lit(_BLANKS)}), '')" if self.trim else f"NULLIF({clean}, '')"
            else:
                expr = ident(src)
        else:
            return "NULL", "string"
        codes = self.mapping.values.get(col)
        if codes:
            if kind != "string":
                expr, kind = f"CAST({expr} AS VARCHAR)", "string"
            whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in codes.items())
            expr = f"(CASE {expr} {whens} ELSE {expr} END)"
        return expr, kind

    def _typed(self, col: str) -> tuple[str, str | None]:
        """(typed expression, expression true when a present value failed to convert)."""
        target = self.table.column(col).type
        s, kind = self._text(col)
        if s == "NULL":
            return "NULL", None
        if target == "string":
            return (s if kind == "string" else f"CAST({s} AS VARCHAR)"), None
        if target in ("int", "float"):
            if kind in ("int", "float"):
                num = f"CAST({s} AS DOUBLE)"
            elif kind == "bool":
                num = f"CAST(CAST({s} AS INTEGER) AS DOUBLE)"
            elif kind == "string":
                if target == "float":  # a decimal comma, as German and other exports write it
                    s2 = f"(CASE WHEN regexp_full_match({s}, '-?[0-9]+,[0-9]+') THEN replace({s}, ',', '.') ELSE {s} END)"
                else:
                    s2 = s
                num = f"TRY_CAST({s2} AS DOUBLE)"
            else:
                return "NULL", f"({s}) IS NOT NULL"
            if target == "int":
                ok = f"({num} = floor({num}) AND abs({num}) < 9e18)"
                return f"(CASE WHEN {ok} THEN CAST({num} AS BIGINT) END)", f"(({s}) IS NOT NULL AND NOT coalesce({ok}, false))"
            ok = f"isfinite({num})"
            return f"(CASE WHEN {ok} THEN {num} END)", f"(({s}) IS NOT NULL AND NOT coalesce({ok}, false))"
        if target == "bool":
            if kind == "bool":
                return s, None
            if kind in ("int", "float"):
                return f"({s} <> 0)", None
            low = f"lower({s})" if kind == "string" else f"lower(CAST({s} AS VARCHAR))"
            expr = (f"(CASE WHEN {low} IN ({', '.join(map(lit, TRUE_WORDS))}) THEN true "
                    f"WHEN {low} IN ({', '.join(map(lit, FALSE_WORDS))}) THEN false END)")
            return expr, f"(({s}) IS NOT NULL AND {expr} IS NULL)"
        if target == "timestamp":
            tz = self.mapping.timezone
            fmt = self.mapping.timestamp_format
            if kind == "timestamptz":
                return s, None
            if kind in ("timestamp", "date"):
                naive = f"CAST({s} AS TIMESTAMP)"
                return (f"timezone({lit(tz)}, {naive})" if tz else f"CAST({naive} AS TIMESTAMPTZ)"), None
            if kind != "string":
                return "NULL", f"({s}) IS NOT NULL"
            if fmt:
                parsed = f"try_strptime({s}, {lit(fmt)})"
                if "%z" in fmt or "%Z" in fmt:
                    expr = f"CAST({parsed} AS TIMESTAMPTZ)"
                else:
                    expr = f"timezone({lit(tz)}, {parsed})" if tz else f"CAST({parsed} AS TIMESTAMPTZ)"
            elif tz:
                has_offset = f"regexp_matches({s}, '([zZ]|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')"
                expr = (f"(CASE WHEN {has_offset} THEN TRY_CAST({s} AS TIMESTAMPTZ) "
                        f"ELSE timezone({lit(tz)}, TRY_CAST({s} AS TIMESTAMP)) END)")
            else:  # naive timestamps are read in the session zone, which the store sets to UTC
                expr = f"TRY_CAST({s} AS TIMESTAMPTZ)"
            expr = f"(CASE WHEN year({expr}) BETWEEN 1 AND 9999 THEN {expr} END)"  # no year 99999
            return expr, f"(({s}) IS NOT NULL AND {expr} IS NULL)"
        # json
        if kind == "nested":
            return f"CAST(to_json({s}) AS VARCHAR)", None
        text = s if kind == "string" else f"CAST({s} AS VARCHAR)"
        expr = f"(CASE WHEN json_valid({text}) AND json_type({text}) = 'OBJECT' THEN {text} END)"
        return expr, f"(({text}) IS NOT NULL AND {expr} IS NULL)"

    def _value_text(self, col: str) -> str:
        s, kind = self._text(col)
        return s if kind == "string" else f"CAST({s} AS VARCHAR)"

    def _attributes(self, typed: str) -> str:
        if not self.extra_columns:
            return typed
        if self.raw_column:  # JSON Lines: keep nested values as JSON, not as quoted JSON text
            pairs = ", ".join(
                f"{lit(c)}, {self._extra_value(f'CASE WHEN _error IS NULL THEN json_extract({ident(self.raw_column)}, {lit(_json_path(c))}) END', c)}"
                for c in self.extra_columns
            )
        else:
            pairs = ", ".join(f"{lit(c)}, {self._extra_value(ident(c), c)}" for c in self.extra_columns)
        extra = f"CAST(json_object({pairs}) AS VARCHAR)"
        if typed == "NULL":
            return extra
        return f"(CASE WHEN {typed} IS NULL THEN {extra} ELSE CAST(json_merge_patch({typed}, {extra}) AS VARCHAR) END)"

    def _extra_value(self, expr: str, column: str) -> str:
        """An extra column's value as kept in ``attributes``: a column named as personal data (setting
        ``pii_columns``) is replaced whole; other text is redacted with the attributes as a whole."""
        if self.redact and column_key(column) in self.pii_columns:
            return f"(CASE WHEN {expr} IS NOT NULL THEN '[REDACTED]' END)"
        return expr

    # -- the statements ------------------------------------------------------------------------
    def _typed_final(self, col) -> str:
        """The value stored for ``col``: converted, attributes merged, key derived, text redacted."""
        t = self.table
        if col.name == t.key and self.derived_key:
            return self._derived_key()
        typed, _ = self._typed(col.name)
        if col.name == "attributes":
            typed = self._attributes(typed)
        if t.name == "events" and col.name == "channel" and typed == "NULL" and self.touchpoint_channels:
            tp, _ = self._typed("touchpoint_id")  # an event's channel defaults to its touchpoint's
            # The touchpoints' columns are renamed so that the batch's own `touchpoint_id` in {tp} is not
            # captured by the subquery (it would compare the touchpoints table with itself).
            typed = (f"(SELECT _tp._channel FROM (SELECT touchpoint_id AS _tp_id, channel AS _channel FROM touchpoints) _tp "
                     f"WHERE _tp._tp_id = {tp} LIMIT 1)")
        if col.text and self.redact and typed != "NULL":
            typed = f"empathica_redact({typed})"
        elif col.name == "attributes" and self.redact and typed != "NULL":  # extra columns: every string value
            typed = f"empathica_redact_json({typed})"
        return typed

    @property
    def derived_key(self) -> bool:
        key = self.table.key
        return key not in self.columns and key not in self.mapping.constants and key in DERIVABLE_KEYS

    def checks(self) -> list[tuple[str, str, str, str]]:
        """(condition over the converted row, reason, field, source value expression) in the order tried."""
        t = self.table
        present = lambda name: name in self.columns or name in self.mapping.constants  # noqa: E731
        checks: list[tuple[str, str, str, str]] = []
        for i, col in enumerate(t.columns):
            _, bad = self._typed(col.name)
            if bad:
                checks.append((f"_bad_{i}", f"{col.name} not {_TYPE_WORDS[col.type]}", col.name, self._value_text(col.name)))
        key = t.key
        for col in t.columns:
            c = ident(col.name)
            value = self._value_text(col.name) if present(col.name) else "NULL"
            if col.required and not (self.derived_key and col.name == key):
                checks.append((f"{c} IS NULL", f"missing {col.name}", col.name, value))
            if not present(col.name):
                continue
            if col.minimum is not None or col.maximum is not None:
                lo = f"{c} < {col.minimum}" if col.minimum is not None else "false"
                hi = f"{c} > {col.maximum}" if col.maximum is not None else "false"
                checks.append((f"({lo} OR {hi})", f"{col.name} out of range {_span(col.minimum, col.maximum)}", col.name, value))
            if col.allowed:
                checks.append((f"{c} NOT IN ({', '.join(map(lit, col.allowed))})",
                               f"{col.name} not one of {', '.join(col.allowed)}", col.name, value))
            if col.name in self.check_references and col.references:
                ref_table, ref_col = col.references.split(".")
                checks.append((f"({c} IS NOT NULL AND NOT coalesce({c} IN (SELECT {ident(ref_col)} FROM {ident(ref_table)}), false))",
                               f"unknown {col.name}", col.name, value))
        key_value = self._value_text(key) if present(key) else "NULL"
        checks.append(("_dup_first IS NOT NULL AND _line > _dup_first", f"duplicate {key} in file", key, key_value))
        checks.append(("(_stored_rowid > {start_rowid} OR _again)", f"duplicate {key} in file", key, key_value))
        return checks

    def key_sql(self) -> str:
        """Expression over ``_listen_batch`` of the row's converted (or derived) key."""
        t = self.table
        return self._derived_key() if self.derived_key else self._typed(t.key)[0]

    def precheck_sql(self, *, stored_rows: bool) -> str:
        """One row ``(repeats, overlap)`` over ``_listen_batch`` holding a whole file.

        ``repeats`` > 0 when two rows may share a key (64-bit hashes are compared, so a collision
        only ever says "maybe"); ``overlap`` > 0 when a key of the file is already stored. When both
        are 0 no row can be a duplicate, and the batches skip the duplicate and stored-key lookups.
        """
        t = self.table
        k = ident(t.key)
        overlap = (f"(SELECT count(*) FROM {ident(t.name)} s SEMI JOIN keys ON keys.k = s.{k})"
                   if stored_rows else "0")
        return (f"WITH keys AS (SELECT {self.key_sql()} AS k FROM {BATCH}) "
                f"SELECT (SELECT count(*) FROM (SELECT hash(k) FROM keys WHERE k IS NOT NULL GROUP BY 1 HAVING count(*) > 1)), "
                f"{overlap}")

    def failed_sql(self, *, start_rowid: int, unique_keys: bool = False) -> str:
        """SQL creating ``_listen_failed``: the batch's rows that fail a check or whose key is stored already.

        Columns: ``_line``, ``_first`` (index into :meth:`checks` of the first failure; -1 for a row
        the reader could not parse; NULL for a valid row already stored), ``_failures`` (every
        failure) and ``_stored_rowid``. Valid new rows, nearly all of a typical file, produce no output.
        """
        t = self.table
        checks = self.checks()
        needed = {t.key}
        for col in t.columns:
            if col.required or col.minimum is not None or col.maximum is not None or col.allowed or col.name in self.check_references:
                needed.add(col.name)
        conv = ["_line", "_error"]
        for i, col in enumerate(t.columns):
            _, bad = self._typed(col.name)
            if col.name in needed:
                expr = self._derived_key() if col.name == t.key and self.derived_key else self._typed(col.name)[0]
                conv.append(f"{expr} AS {ident(col.name)}")
            if bad:
                conv.append(f"{bad} AS _bad_{i}")
        k = ident(t.key)
        flags = ", ".join(f"coalesce({cond.replace('{start_rowid}', str(start_rowid))}, false) AS _c{i}" for i, (cond, _, _, _) in enumerate(checks))
        first = " ".join(f"WHEN _c{i} THEN {i}" for i in range(len(checks)))
        any_fail = " OR ".join(f"_c{i}" for i in range(len(checks)))
        failures = ", ".join(f"CASE WHEN _c{i} THEN {lit(r)} END" for i, (_, r, _, _) in enumerate(checks))
        # Keys already stored are looked up in two steps: the batch's key hashes against the hashes
        # of the stored keys (`_listen_seen`, 8 bytes a row), then only the rare hits against the
        # table itself, so a batch never scans the whole growing table.
        stored = (
            f"LEFT JOIN (SELECT {k} AS _skey, max(rowid) AS _stored_rowid FROM {ident(t.name)} "
            f"WHERE {k} IN (SELECT c.{k} FROM conv c SEMI JOIN {SEEN} ON hash(c.{k}) = {SEEN}.h) GROUP BY ALL) s "
            f"ON s._skey = conv.{k}"
        )
        if unique_keys:  # the file's keys are known to be unique and not stored yet (precheck_sql)
            joined = ("joined AS (SELECT conv.*, CAST(NULL AS BIGINT) AS _dup_first, "
                      "CAST(NULL AS BIGINT) AS _stored_rowid, false AS _again FROM conv), ")
        else:
            # _again: the key was found already stored in an earlier batch of this reading, so this row
            # repeats a row of the file (a forced re-read must quarantine it as on the first reading).
            joined = (f"dups AS (SELECT {k} AS _dkey, min(_line) AS _dup_first FROM conv GROUP BY 1 HAVING count(*) > 1), "
                      f"joined AS (SELECT conv.*, d._dup_first, s._stored_rowid, "
                      f"hash(conv.{k}) IN (SELECT h FROM {AGAIN}) AS _again FROM conv "
                      f"LEFT JOIN dups d ON d._dkey = conv.{k} {stored}), ")
        return (
            f"CREATE OR REPLACE TEMP TABLE {FAILED} AS "
            f"WITH conv AS (SELECT {', '.join(conv)} FROM {BATCH}), "
            f"{joined}"
            f"flagged AS (SELECT _line, _error, _stored_rowid, {flags} FROM joined) "
            f"SELECT _line, _stored_rowid, CASE WHEN _error IS NOT NULL THEN -1 {first} END AS _first, "
            f"CASE WHEN _error IS NOT NULL THEN [_error] ELSE list_filter([{failures}], x -> x IS NOT NULL) END AS _failures "
            f"FROM flagged WHERE _error IS NOT NULL OR _stored_rowid IS NOT NULL OR {any_fail}"
        )

    def seen_sql(self, *, any_failed: bool = True) -> str:
        """Add the hashes of the keys of the batch's rows just stored to ``_listen_seen``."""
        key = self._typed_final(self.table.column(self.table.key))
        where = f" WHERE _line NOT IN (SELECT _line FROM {FAILED})" if any_failed else ""
        return f"INSERT INTO {SEEN} SELECT hash({key}) FROM {BATCH}{where}"

    def again_sql(self) -> str:
        """Add the key hashes of the batch's valid rows found already stored to ``_listen_again``."""
        return (f"INSERT INTO {AGAIN} SELECT hash({self.key_sql()}) FROM {BATCH} "
                f"WHERE _line IN (SELECT _line FROM {FAILED} WHERE _first IS NULL)")

    def insert_sql(self, *, any_failed: bool = True) -> str:
        """INSERT of the batch's rows that are not in ``_listen_failed`` (all of them when none failed)."""
        t = self.table
        cols = ", ".join(ident(c) for c in t.column_names)
        exprs = ", ".join(f"{self._typed_final(col)} AS {ident(col.name)}" for col in t.columns)
        where = f" WHERE _line NOT IN (SELECT _line FROM {FAILED})" if any_failed else ""
        return f"INSERT INTO {ident(t.name)} ({cols}) SELECT {exprs} FROM {BATCH}{where}"

    def quarantine_sql(self, *, source_file: str) -> str:
        """INSERT into ``quarantine`` of the failed rows (one parameter: the ingestion time)."""
        checks = self.checks()
        reason = " ".join(f"WHEN {i} THEN {lit(r)}" for i, (_, r, _, _) in enumerate(checks))
        fld = " ".join(f"WHEN {i} THEN {lit(f)}" for i, (_, _, f, _) in enumerate(checks))
        val = " ".join(f"WHEN {i} THEN {v}" for i, (_, _, _, v) in enumerate(checks))
        raw = self.raw_sql()
        value = f"CASE f._first WHEN -1 THEN NULL {val} END"
        reason_id, reason_values = _reason_columns(checks)
        row = (f"CASE WHEN len(f._failures) > 1 AND f._first >= 0 THEN CAST(json_merge_patch({raw}, "
               f"json_object('_other_failures', f._failures[2:])) AS VARCHAR) ELSE {raw} END")
        if self.redact:  # what is kept of a bad row is redacted like stored text (every value: its columns are unsure)
            value, row = f"empathica_redact({value})", f"empathica_redact_json({row})"
        return (
            f"INSERT INTO quarantine SELECT {lit(source_file)}, f._line, {lit(self.table.name)}, "
            f"CASE f._first WHEN -1 THEN '(row)' {fld} END, "
            f"CASE f._first WHEN -1 THEN f._failures[1] {reason} END, "
            f"{value}, {row}, "
            f"CAST(? AS TIMESTAMPTZ), {reason_id}, {reason_values} "
            f"FROM {FAILED} f JOIN {BATCH} b ON b._line = f._line WHERE f._first IS NOT NULL"
        )

    def _derived_key(self) -> str:
        t = self.table
        if t.name == "turns":
            cid, _ = self._typed("conversation_id")
            idx, _ = self._typed("turn_index")
            return f"({cid} || '#' || CAST({idx} AS VARCHAR))"
        if t.name == "experiments":  # one assignment per customer and experiment: a second one is a duplicate
            exp, _ = self._typed("experiment_id")
            cust, _ = self._typed("customer_id")
            return f"({exp} || '#' || {cust})"
        # The row's identity: the source text of the required columns, before codes, time zones and
        # formats apply, so that changing the mapping, adding constants or extra columns to a file
        # derives the same ids again (and a re-read adds nothing).
        parts = []
        for col in t.columns:
            if col.name == t.key or not col.required:
                continue
            if col.name in self.mapping.constants:
                parts.append(lit(self.mapping.constants[col.name]))
            elif col.name in self.columns:
                src = self.columns[col.name]
                text = ident(src) if self.kinds[src] == "string" else f"CAST({ident(src)} AS VARCHAR)"
                parts.append(f"coalesce(trim(replace({text}, chr(0), ''), {lit(_BLANKS)}), '')")
        return f"substr(md5(concat_ws(chr(31), {', '.join(parts)})), 1, 24)"

    def raw_sql(self) -> str:
        """Expression over ``_listen_batch`` of the source row as JSON text."""
        if self.raw_column:
            return ident(self.raw_column)
        cols = [c for c in self.kinds if c not in ("_line", "_error", "_raw")]
        if not cols:
            return "NULL"
        return f"CAST(json_object({', '.join(f'{lit(c)}, b.{ident(c)}' for c in cols)}) AS VARCHAR)"


def _reason_columns(checks: list[tuple[str, str, str, str]]) -> tuple[str, str]:
    """SQL of a quarantined row's ``reason_id`` and ``reason_values`` (the reason as a finding, see ``listen.reasons``)."""
    reader_id, reader_values = reader_reason_sql("f._failures[1]")
    found = [stored(r) for _, r, _, _ in checks]
    ids = " ".join(f"WHEN {i} THEN {lit(rid)}" for i, (rid, _) in enumerate(found))
    values = " ".join(f"WHEN {i} THEN {lit(v)}" for i, (_, v) in enumerate(found))
    return (f"CASE f._first WHEN -1 THEN {reader_id} {ids} END",
            f"CASE f._first WHEN -1 THEN {reader_values} {values} END")


def _json_path(key: str) -> str:
    return '$."' + key.replace('"', '\\"') + '"'


def _span(lo: float | None, hi: float | None) -> str:
    def fmt(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else str(x)

    if lo is not None and hi is not None:
        return f"{fmt(lo)}–{fmt(hi)}"
    return f"≥ {fmt(lo)}" if lo is not None else f"≤ {fmt(hi)}"
