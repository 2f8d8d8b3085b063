"""Cells and labels in the reader's language: every word through the catalogues, every number through
:func:`empathica.report.i18n.format_value` (the same formats as the report)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from empathica.listen.redaction import redact
from empathica.report.html import Speaker
from empathica.report.i18n import catalogue, format_value
from empathica.serve.reasons import READINGS, said_line

#: Kinds a panel column can have and how a cell of it is written.
NUMBER_KINDS = ("int", "num", "num2", "signed", "pct", "money", "date", "month")
QUOTE_CHARS = 240


class Words:
    """Labels, cells and numbers in one language and currency."""

    def __init__(self, lang: str, currency: str) -> None:
        self.lang, self.currency = lang, currency
        self._speaker = Speaker(lang, currency)

    def t(self, message_id: str, **values: Any) -> str:
        """The dashboard label or message ``message_id`` (a KeyError when no catalogue has it: a test checks all)."""
        return self._speaker.t(message_id, **values)

    def label(self, group: str, name: str) -> str:
        """The label ``dashboard.<group>.<name>`` (templates compose ids this way, e.g. label('nav', page.key))."""
        return self.t(f"dashboard.{group}.{name}")

    def column(self, name: str) -> str:
        return self.label("column", name)

    def code(self, value: Any, *message_ids: str) -> str:
        """A data code (an emotion, an aspect, a model input) by the first of ``message_ids`` the catalogues have,
        else the code as stored: codes come from data and lexicons, so an unknown one is shown, not an error."""
        for message_id in message_ids:
            if message_id in catalogue("en"):
                return self.t(message_id)
        return "–" if value is None or value == "" else str(value)

    def number(self, value: Any, kind: str) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return "–"
        return format_value(value, kind, lang=self.lang, currency=self.currency)

    def cell(self, row: pd.Series, column: str, kind: str) -> str:
        """The text of one table cell."""
        value = row.get(column)
        if kind in ("finding", "interval", "grade", "trend"):
            return self._speaker.cell(row, column, kind)
        if kind == "money" and "money_shown" in row and row.get("money_shown") is not None and not bool(row["money_shown"]):
            return self.t("value.withheld")
        if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
            return "–"
        if kind in NUMBER_KINDS:
            return self.number(value, kind)
        if kind == "quote":
            return quote_text(value)
        if kind in READINGS:  # a stored reason line (e.g. churn reasons) said in the reader's language
            return "; ".join(said_line(kind, str(value), self.lang))
        return str(value)


def quote_text(value: Any) -> str:
    """Quotes as stored (a JSON list or text), personal data redacted, shortened for a table cell."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = " · ".join(str(v) for v in json.loads(value))
        except json.JSONDecodeError:
            pass
    text = redact(str(value)) or ""
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS - 1] + "…"

