"""Figures drawn per language: dates on their axes as the locale writes them, and Chinese figures drawn (with English
words and a warning, never boxes of tofu) on a machine without a CJK font (issue 19, "Findings, not sentences")."""

from __future__ import annotations

import logging
import re

import pandas as pd
import pytest

from empathica.report import figures
from empathica.report.figures import FigureWords, draw_figure

CJK = re.compile(r"[\u3400-\u9fff]")
ISO_PERIOD = re.compile(r"^\d{4}-\d{2}(-\d{2})?$|^\d{4}Q[1-4]$")


def _dated(say: FigureWords):
    """Six axes with dates: monthly, yearly and daily date axes, a date axis formatted '%Y-%m' by the step, months
    and quarters as text categories (as the text and learn steps draw them)."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    monthly, formatted, categories, quarters, years, days = fig.subplots(3, 2).ravel()
    months = pd.date_range("2024-01-01", "2024-12-01", freq="MS")
    monthly.plot(months, range(len(months)))
    formatted.plot(months, range(len(months)))
    formatted.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
    categories.plot(["2024-01", "2024-02", "2024-03"], [0.1, 0.2, 0.15])
    quarters.plot(["2023Q4", "2024Q1"], [100, 102])
    quarters.set_title(say("figure.text.by.month"))
    years.plot(pd.date_range("2018-01-01", "2024-01-01", freq="YS"), range(7))
    days.plot(pd.date_range("2024-03-01", "2024-03-10", freq="D"), range(10))
    return fig


def _ticks(figure, lang: str) -> list[str]:
    return [t for t in figure.words[lang] if any(c.isdigit() for c in t)]


def test_dates_on_figure_axes_are_written_per_locale():
    figure = draw_figure(_dated, "caption", languages=("en", "de", "zh"), dpi=30)
    expected = {"en": ("Mar 2024", "Q1 2024", "2020", "5 Mar 2024"), "de": ("März 2024", "Q1 2024", "2020", "05.03.2024"),
                "zh": ("2024年3月", "2024年第1季度", "2020年", "2024年3月5日")}
    if figures.cjk_font() is None:
        expected["zh"] = expected["en"]  # drawn with English words: no CJK font here
    for lang, (march, first_quarter, year, day) in expected.items():
        ticks = _ticks(figure, lang)
        assert ticks.count(march) >= 3, (lang, ticks)  # both monthly date axes and the month categories
        assert first_quarter in ticks and year in ticks and day in ticks, (lang, ticks)
        assert not [t for t in ticks if ISO_PERIOD.match(t)], (lang, ticks)  # no date left as data holds it


@pytest.fixture
def no_cjk_font(monkeypatch):
    """A machine on which none of the CJK fonts the figures look for is installed (none known, none on disk)."""
    from matplotlib import font_manager

    monkeypatch.setattr(figures, "CJK_FONTS", ("No Such CJK Font",))
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    figures.cjk_font.cache_clear()
    yield
    figures.cjk_font.cache_clear()


def _titled(say: FigureWords):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot(["2024-02", "2024-03"], [1, 2])
    ax.set_title(say("figure.text.by.month"))
    return fig


def test_without_a_cjk_font_chinese_figures_are_drawn_with_english_words_and_a_warning(no_cjk_font, caplog):
    with caplog.at_level(logging.WARNING, logger=figures.__name__):
        figure = draw_figure(_titled, "caption", languages=("en", "zh"), dpi=30)
    assert figures.cjk_font() is None and figures.font_families() == ["DejaVu Sans"]
    assert figure.localized["zh"].startswith(b"\x89PNG") and len(figure.localized["zh"]) > 300
    assert figure.words["zh"] == figure.words["en"] and "Mar 2024" in figure.words["zh"]
    assert not CJK.search("".join(figure.words["zh"]))  # no Chinese glyph the font lacks (no tofu boxes)
    assert any("fonts-noto-cjk" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
