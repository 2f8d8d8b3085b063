"""Whether each headline says what the stored row under it holds (used by the decide tests)."""

from __future__ import annotations

import json
import math
from typing import Callable

import pandas as pd

from empathica.report import Finding


def disagreements(sections, read: Callable[[str], pd.DataFrame]) -> list[str]:
    """Every finding with a source whose values differ from its row of that stored result (empty: all agree)."""
    problems = []
    for section in sections:
        problems += finding_disagreements(section.summary, read, where=section.key)
    return problems


def finding_disagreements(lines, read: Callable[[str], pd.DataFrame], *, where: str = "summary") -> list[str]:
    """``disagreements`` for a plain list of lines (the executive summary's items and notes)."""
    return [problem for line in lines if isinstance(line, Finding) and line.source
            for problem in _check(line, read(line.source), where=where)]


def _check(finding: Finding, table: pd.DataFrame, *, where: str) -> list[str]:
    rows = table
    for column, value in finding.row.items():
        rows = rows[rows[column].map(lambda v: _same(v, value))]
    if len(rows) != 1:
        return [f"{where}: {finding.message_id} names row {finding.row} of {finding.source}, found {len(rows)} rows"]
    row = rows.iloc[0]
    out = []
    for key, value in finding.values.items():
        if isinstance(value, dict) and "id" in value and key == "what":  # an opportunity: its message and values
            if value["id"] != row.get("message_id") or value.get("values") != json.loads(row.get("values") or "{}"):
                out.append(f"{where}: {finding.message_id} says {value} but the row holds {row.get('message_id')} {row.get('values')}")
        elif key in row.index and not isinstance(value, dict) and not _same(row[key], value):
            out.append(f"{where}: {finding.message_id} says {key}={value!r}, {finding.source} holds {row[key]!r}")
    return out


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b
