"""Tick labels of a figure in the language it is drawn in: numbers with the locale's decimal sign (``2,5``) and
dates as the locale writes them (``Mar 2024``, ``März 2024``, ``2024年3月``); Matplotlib's own formatters know no
locale. ``report.figures.draw_figure`` applies them to every figure it draws (this module imports Matplotlib)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from matplotlib import dates
from matplotlib.ticker import Formatter, FuncFormatter, ScalarFormatter

from empathica.report.i18n import LANGUAGES, format_value

#: Tick labels that are periods as data holds them (a month, a quarter, a day as text), by the kind that writes them.
_PERIOD_TEXTS = ((re.compile(r"^\d{4}-\d{2}$"), "month"), (re.compile(r"^\d{4}-?Q[1-4]$"), "quarter"),
                 (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "date"))
_DATE_FORMATTERS = (dates.AutoDateFormatter, dates.DateFormatter, dates.ConciseDateFormatter)


def local_ticks(fig: Any, lang: str) -> None:
    """Write every axis's ticks of ``fig`` in ``lang``: plain numbers with the locale's decimal sign; a date axis
    in years, months or days (whichever its ticks' spacing shows); text ticks that are periods (``2024-03``,
    ``2024Q1``, ``2024-03-05``: months, quarters and days as data holds them) as the locale writes them."""
    locale = LANGUAGES[lang]
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if type(formatter) is ScalarFormatter:
                axis.set_major_formatter(FuncFormatter(lambda v, _pos: _number(round(v, 6), locale)))
            elif isinstance(formatter, _DATE_FORMATTERS):
                axis.set_major_formatter(DateTicks(lang))
            elif not isinstance(formatter, (DateTicks, PeriodTicks)):
                axis.set_major_formatter(PeriodTicks(formatter, lang))


def period_text(text: str, lang: str) -> str:
    """``text`` as ``lang`` writes it when it is a month, quarter or day as data holds it, else as it is."""
    kind = next((kind for pattern, kind in _PERIOD_TEXTS if pattern.match(text)), None)
    return _period(text, kind, lang) if kind else text


# Matplotlib formats the same ticks many times while it lays a figure out: each text is made once.
@lru_cache(maxsize=4096)
def _number(value: float, locale: str) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096)
def _period(text: str, kind: str, lang: str) -> str:
    return format_value(text, kind, lang=lang)


class DateTicks(Formatter):
    """Ticks of a date axis per locale: years, months or days, by the median spacing of the ticks."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, x, pos=None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values) -> list[str]:
        days = [dates.num2date(v).date() for v in values]
        gaps = sorted(abs((b - a).days) for a, b in zip(days, days[1:]))
        gap = gaps[len(gaps) // 2] if gaps else 31
        kind = "year" if gap >= 360 else "month" if gap >= 28 else "date"
        return [_period(str(d.year) if kind == "year" else d.isoformat(), kind, self.lang) for d in days]


class PeriodTicks(Formatter):
    """Another formatter's ticks, those that are periods as text (a category ``2024-03``) written per locale."""

    def __init__(self, inner: Formatter, lang: str) -> None:
        self.inner, self.lang = inner, lang

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None) -> str:
        return period_text(str(self.inner(x, pos)), self.lang)

    def format_ticks(self, values) -> list[str]:
        return [period_text(str(t), self.lang) for t in self.inner.format_ticks(values)]
