"""The words drawn inside the report's figures are in the report's language: every figure of the demo report is stored
once per language, its German and Chinese texts hold no English fragment and no internal (snake_case) name, and every
Chinese character drawn is a glyph of the font used (no tofu boxes) (issue 19, "Findings, not sentences")."""

from __future__ import annotations

import re

import pytest

from empathica.report.archive import load_sections
from empathica.report.blocks import Figure
from empathica.report.figures import FigureWords, cjk_font, draw_figure, is_word

#: English words a figure's labels would hold (axis names, legends, titles): one in German or Chinese is left over.
ENGLISH = re.compile(r"\b(the|of|and|with|per|are|is|not|each|which|from|their|this|were|scored|customers|by|share|"
                     r"mean|rate|months|predicted|actual|negative|positive|model|others|revenue|risk|friction|"
                     r"agents?|empathy|reliability|importance|performance|keep|first|drivers?|holdout|purchases)\b", re.I)
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def leftovers(figure: Figure, lang: str) -> list[str]:
    """Texts of ``figure`` drawn in ``lang`` with an English word or a snake_case name, once the client's data names
    (touchpoints, agents, action titles, as the client wrote them) are taken out."""
    names = sorted(figure.names.get(lang, []), key=len, reverse=True)
    found = []
    for text in figure.words[lang]:
        rest = text
        for name in names:
            rest = rest.replace(name, " ")
        if is_word(rest) and (ENGLISH.search(rest) or SNAKE.search(rest)):
            found.append(text)
    return found


def _figures(opened) -> list[tuple[str, Figure]]:
    return [(s.key, b) for s in load_sections(opened) for b in s.blocks + s.appendix if isinstance(b, Figure)]


def _draw_with_a_leftover(say: FigureWords):
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(3, 2))
    ax = fig.subplots()
    ax.bar([say.data("web_checkout"), say.data("Kasse")], [1, 2])
    ax.set_title(say("figure.text.by.touchpoint"))
    ax.set_ylabel("share of customers")  # drawn without the catalogue: must be found
    return fig


def test_the_check_finds_english_left_in_a_figure():
    figure = draw_figure(_draw_with_a_leftover, "caption", languages=("en", "de", "zh"), dpi=40)
    assert set(figure.localized) == {"en", "de", "zh"}
    assert leftovers(figure, "de") == ["share of customers"]  # the data names (snake_case or not) are no leftovers
    assert "nach Kontaktpunkt" in figure.words["de"] and "web_checkout" in figure.names["de"]


def test_languages_left_out_of_the_figure_languages_show_the_english_drawing(tmp_path, monkeypatch):
    from empathica.settings import Settings

    monkeypatch.setenv("EMPATHICA_REPORT_FIGURE_LANGUAGES", "zh")  # the setting report_figure_languages
    languages = Settings.load(config_file=tmp_path / "none.toml").figure_languages
    assert languages == ("en", "zh")  # English is always drawn
    figure = draw_figure(_draw_with_a_leftover, "caption", languages=languages, dpi=40)
    assert set(figure.localized) == {"en", "de", "zh"}
    assert figure.localized["de"] == figure.localized["en"] and figure.words["de"] == figure.words["en"]
    assert figure.localized["zh"] != figure.localized["en"]
    assert not any("nach Kontaktpunkt" in w for w in figure.words["de"])


def test_every_figure_of_the_report_is_drawn_in_german_and_chinese(opened):
    figures = _figures(opened)
    assert len(figures) >= 8, [k for k, _ in figures]  # text ×2, empathy, journeys, drivers ×2, value ×3, learn
    for key, figure in figures:
        assert set(figure.localized) == {"en", "de", "zh"}, key
        assert figure.localized["de"] != figure.localized["en"] and figure.localized["zh"] != figure.localized["de"], key
        for lang in ("de", "zh"):
            assert leftovers(figure, lang) == [], (key, lang, "no CJK font?" if cjk_font() is None else "")


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font on this machine (Debian: fonts-noto-cjk, which .ci/run installs)")
def test_chinese_figures_draw_chinese_glyphs_the_font_has(opened):
    """Every Chinese character drawn (the Chinese figures' words; names in Chinese script in any language) is in the
    CJK font the figures fall back to."""
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(findfont(FontProperties(family=cjk_font()), fallback_to_default=False)).get_charmap()
    for key, figure in _figures(opened):
        assert CJK.search("".join(figure.words["zh"])), key  # every figure has Chinese words (a title, an axis, a legend)
        for lang in ("en", "de", "zh"):
            chinese = set(CJK.findall("".join(figure.words[lang] + figure.names[lang])))
            assert {c for c in chinese if ord(c) not in charmap} == set(), (key, lang)
