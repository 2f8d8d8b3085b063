"""Findings rendered in the reader's language: message catalogues (gettext .po) and locale formatting.

A step stores a finding as a message id plus values (``Finding``); the report turns it into a sentence
of English, German or Chinese through ``locales/<lang>.po``. A message is a ``str.format`` template whose
fields name their kind, so numbers are never pasted into words in code:

    msgid "decide.opportunity.pathway"
    msgstr "Friction on the pathway {source} → {target} ({customers:int} customers)"

Kinds: ``int`` (grouped integer), ``num`` (one decimal), ``num2`` (two decimals), ``num3`` (three), ``pct`` (a share as
a percentage), ``signed_pct`` (a change, with its sign), ``money`` (an amount in the report currency, no decimals), ``date`` (an ISO date), ``month``, ``quarter``
and ``year`` (a period: ``2024-03``, ``2024Q1``, ``2024``);
``text`` (a message of the code, such as why a step could not run); no kind: the value as text (a name from
the client's data, marked ``translate="no"`` in HTML). Babel formats each per locale (``1.234 €`` in German,
``€1,234`` in English, ``€1,234`` in Chinese).
"""

from __future__ import annotations

import json
import math
import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from babel import Locale
from markupsafe import Markup, escape
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

from empathica.errors import SettingsError

#: The report languages, each with its Babel locale.
LANGUAGES = {"en": "en_GB", "de": "de_DE", "zh": "zh_Hans_CN"}


@dataclass(frozen=True)
class Finding:
    """One finding: a message id and the values its sentence needs (JSON-serialisable).

    A headline over a table names that table's stored result (``source``) and the row it speaks of
    (``row``: key column → value); every value whose name is a column of that row must equal it, which
    a test checks over the whole report, so a headline cannot drift from the table under it.
    """

    message_id: str
    values: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    row: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return json.loads(json.dumps({"id": self.message_id, "values": self.values, "source": self.source,
                                      "row": self.row}, ensure_ascii=False, default=_plain))

    @classmethod
    def from_dict(cls, payload: dict) -> "Finding":
        return cls(payload["id"], payload.get("values") or {}, payload.get("source", ""), payload.get("row") or {})


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def check_language(lang: str) -> str:
    """``lang`` when it is a report language; otherwise a one-line error saying which ones exist."""
    if lang not in LANGUAGES:
        raise SettingsError(f"report language {lang!r} is not one of {', '.join(LANGUAGES)} "
                            "(setting report_language or option --lang).")
    return lang


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """The message templates of ``lang``: message id → template (from ``locales/<lang>.po``)."""
    check_language(lang)
    source = resources.files("empathica.report").joinpath("locales", f"{lang}.po")
    with source.open("rb") as handle:
        po = read_po(handle, locale=LANGUAGES[lang])
    return {m.id: m.string for m in po if m.id and m.string}


class _LocaleFormatter(string.Formatter):
    def __init__(self, lang: str, currency: str) -> None:
        self.locale = Locale.parse(LANGUAGES[lang])
        self.currency = currency

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "" or value is None:
            return "–" if value is None else str(value)
        if isinstance(value, float) and math.isnan(value):
            return "–"
        if format_spec == "text":  # text that is no name: a message of the code (why a step could not run)
            return str(value)
        if format_spec == "int":
            return format_decimal(round(float(value)), format="#,##0", locale=self.locale)
        if format_spec in ("num", "num2", "num3", "signed"):
            pattern = {"num": "#,##0.0", "num2": "#,##0.00", "num3": "#,##0.000", "signed": "+#,##0.00;-#,##0.00"}[format_spec]
            return format_decimal(float(value), format=pattern, locale=self.locale)
        if format_spec in ("pct", "signed_pct"):
            pattern = self.locale.percent_formats[None].pattern  # the locale's own: "#,##0 %" in German
            if abs(float(value)) < 0.1:
                pattern = pattern.replace("#,##0", "#,##0.0")
            if format_spec == "signed_pct":
                pattern = f"+{pattern};-{pattern}"
            return format_percent(float(value), format=pattern, locale=self.locale)
        if format_spec == "money":
            return format_currency(round(float(value)), self.currency, format="¤#,##0" if self.locale.language != "de"
                                   else "#,##0 ¤", locale=self.locale, currency_digits=False)
        if format_spec == "date":
            return format_date(date.fromisoformat(str(value)[:10]), format="medium", locale=self.locale)
        if format_spec in _PERIODS:  # 'YYYY-MM' → 'Mar 2024', 'März 2024', '2024年3月'; other text as it is
            first_day = period_start(value, format_spec)
            if first_day is None:
                return str(value)
            return format_date(first_day, format=self.locale.datetime_skeletons[_PERIODS[format_spec]].pattern,
                               locale=self.locale)
        raise KeyError(f"unknown value kind {format_spec!r}")


#: Kinds of a period's value, with the CLDR skeleton each is written in: 'month' ('YYYY-MM', or a date), 'quarter'
#: ('2024Q1', as pandas writes a quarter: 'Q1 2024', '2024年第1季度'), 'year' ('2024': '2024', '2024年').
_PERIODS = {"month": "yMMM", "quarter": "yQQQ", "year": "y"}
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")


def period_start(value: Any, kind: str) -> date | None:
    """The first day of the month, quarter or year ``value`` names (``kind``), or None when it names none."""
    text = str(value).strip()
    try:
        if kind == "quarter":
            match = _QUARTER.match(text)
            return date(int(match[1]), 3 * int(match[2]) - 2, 1) if match else None
        if kind == "year":
            return date(int(text), 1, 1) if re.fullmatch(r"\d{4}", text) else None
        return date.fromisoformat(text[:7] + "-01")
    except ValueError:
        return None


def render(finding: Finding, *, lang: str = "en", currency: str = "EUR", html: bool = False) -> str:
    """The sentence of ``finding`` in ``lang`` (English when the catalogue lacks it: a test forbids that).

    ``html``: escaped HTML (``Markup``) in which each value without a kind — a name from the client's data, such as
    a team, a touchpoint or an action, shown as the client wrote it — is marked ``<span translate="no">``."""
    template = catalogue(lang).get(finding.message_id) or catalogue("en").get(finding.message_id)
    if template is None:
        raise KeyError(f"no message {finding.message_id!r} in the report catalogues (report/locales/*.po)")
    values = {k: _nested(v, lang, currency, html) for k, v in finding.values.items()}
    formatter = (_HtmlFormatter if html else _LocaleFormatter)(lang, currency)
    text = formatter.vformat(template, (), _Values(values))
    return Markup(text) if html else text


def _nested(value: Any, lang: str, currency: str, html: bool) -> Any:
    """A value of a finding: a nested finding (``{"id", "values"}``) rendered; a display name
    (``{"id", "name"}``, see ``store.names.display_name``) rendered when a catalogue has its id, else its name."""
    if not isinstance(value, dict) or "id" not in value:
        return value
    if "name" in value and value["id"] not in catalogue("en"):
        return value["name"]
    return render(Finding(value["id"], value.get("values") or {}), lang=lang, currency=currency, html=html)


class _HtmlFormatter(_LocaleFormatter):
    """Escapes the template's words and every value; marks names (values without a kind) as not to be translated."""

    def parse(self, format_string: str):
        for literal, name, spec, conversion in super().parse(format_string):
            yield str(escape(literal)), name, spec, conversion

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Markup):  # a nested finding, rendered already
            return str(value)
        text = escape(super().format_field(value, format_spec))
        return f'<span translate="no">{text}</span>' if format_spec == "" and value is not None else str(text)


def money(amount: float, *, lang: str = "en", currency: str = "EUR") -> str:
    """An amount of money in ``lang``'s format, e.g. ``€12,300`` or ``12.300 €``."""
    return _LocaleFormatter(lang, currency).format_field(amount, "money")


class OpportunityText:
    """Act's notifications in a team's language (``act.notify.NotificationWords``): alert and escalation subjects
    (``act.alert.*``), digests (``act.digest.*``) and their opportunities."""

    languages = tuple(LANGUAGES)

    def text(self, message_id: str, values: dict, lang: str) -> str:
        return render(Finding(message_id, values), lang=lang)

    def money(self, amount: float, currency: str, lang: str) -> str:
        return money(amount, lang=lang, currency=currency)


def format_value(value: Any, kind: str, *, lang: str = "en", currency: str = "EUR") -> str:
    """One value of kind int, num, num2, num3, signed, pct, money, date, month, quarter or year in ``lang``'s format
    (the dashboard's cells, the figures' date ticks)."""
    return _LocaleFormatter(check_language(lang), currency).format_field(value, kind)


class _Values(dict):
    """Values of a finding; a field the template names but the finding lacks renders as a dash."""

    def __missing__(self, key: str) -> Any:
        return None


def template_fields(template: str) -> set[str]:
    """The value names a template uses (for the catalogue test)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
