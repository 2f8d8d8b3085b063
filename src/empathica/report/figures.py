"""Figures drawn once per report language: every word inside a picture comes from the message catalogues.

A step hands ``draw_figure`` a function ``draw(say)`` that builds a Matplotlib figure; it is called once for each of
English, German and Chinese with a ``FigureWords`` for that language, and the ``Figure`` block keeps one PNG per
language, so ``empathica report --lang zh`` shows Chinese axes without running a step. Inside ``draw``:

- ``say("figure.text.negative")`` is a catalogue message in the figure's language (plain text, numbers per locale);
- ``say.name("aspect", key)`` a thing with an id by its display name (the catalogue's, else its readable name);
- ``say.data(value)`` a name from the client's data (an agent, a touchpoint), drawn as stored and recorded as such.

Chinese (the words of the Chinese figures, and names from the client's data in any figure) is drawn with a CJK font
found among the machine's fonts (Debian's ``fonts-noto-cjk``, which ``.ci/run`` installs), as a fallback behind DejaVu
Sans so Latin letters and digits keep their usual shape; without one the Chinese picture is drawn with the English
words and a warning names the package to install (never boxes of tofu in the words).
"""

from __future__ import annotations

import io
import logging
import re
from functools import lru_cache
from typing import Any, Callable, Sequence

from empathica.report.blocks import Figure
from empathica.report.i18n import LANGUAGES, Finding, catalogue, render

log = logging.getLogger(__name__)

#: CJK fonts tried in order (the first the machine has is used for Chinese figures).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Droid Sans Fallback")
_LATIN = "DejaVu Sans"  # Matplotlib's own font: every figure's Latin letters and digits


class FigureWords:
    """The words of one figure in one language; remembers the data names drawn (they are no words to translate)."""

    def __init__(self, lang: str, currency: str = "EUR") -> None:
        self.lang, self.currency = lang, currency
        self.names: set[str] = set()

    def __call__(self, message_id: str, **values: Any) -> str:
        self._names_in(values)
        return render(Finding(message_id, values), lang=self.lang, currency=self.currency)

    def _names_in(self, values: dict) -> None:
        """Remember the data names a message's values carry (plain text, or a display name no catalogue knows)."""
        for value in values.values():
            if isinstance(value, str):
                self.names.add(value)
            elif isinstance(value, dict) and "id" in value:
                if value["id"] not in catalogue("en") and "name" in value:
                    self.names.add(str(value["name"]))
                self._names_in(value.get("values") or {})

    def name(self, kind: str, key: Any) -> str:
        """A thing with an id (``aspect``, ``metric``, ``language`` …): the catalogue's ``<kind>.<key>``, else readable."""
        message_id = f"{kind}.{key}"
        return self(message_id) if message_id in catalogue("en") else self.data(str(key).replace("_", " "))

    def value(self, value: Any) -> str:
        """A value of a finding: a display name or nested finding (``{"id", ...}``) in this language, else a data name."""
        if isinstance(value, dict) and "id" in value:
            if value["id"] in catalogue("en"):
                return self(value["id"], **(value.get("values") or {}))
            return self.data(value.get("name", value["id"]))
        return self.data(value)

    def data(self, value: Any) -> str:
        """A name from the client's data, drawn as stored."""
        text = str(value)
        self.names.add(text)
        return text


@lru_cache(maxsize=None)
def cjk_font() -> str | None:
    """The family name of a CJK font on this machine, or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        present = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in present), None)

    if known() is None:  # Matplotlib's font list is cached: a font installed after it was made is not in it yet
        for path in font_manager.findSystemFonts():
            if re.search(r"cjk|wqy|wenquanyi|sourcehan|droidsansfallback", path.replace(" ", "").lower()):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable font file: try the next one
                    continue
    return known()


def font_families() -> list[str]:
    """Matplotlib's ``font.family``: DejaVu Sans, with a CJK fallback (Chinese words, and the client's names in Chinese
    script in every language's figures)."""
    cjk = cjk_font()
    return [_LATIN, cjk] if cjk else [_LATIN]


def drawn_texts(fig: Any) -> list[str]:
    """Every non-empty text a Matplotlib figure draws (titles, labels, ticks, legends, annotations)."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def draw_figure(draw: Callable[[FigureWords], Any], caption: Any, *, languages: Sequence[str], dpi: int = 110,
                currency: str = "EUR") -> Figure:
    """A ``Figure`` block with one PNG per report language: ``draw(say)`` builds the Matplotlib figure of one language.

    ``languages``: the languages drawn (a step passes ``ctx.settings.figure_languages``, the setting
    ``report_figure_languages``); English is always drawn, and a language left out shows the English drawing."""
    import matplotlib

    from empathica.report.ticks import local_ticks

    pngs: dict[str, bytes] = {}
    words: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    for lang in [lang for lang in LANGUAGES if lang == "en" or lang in languages]:
        drawn_in = lang if lang != "zh" or cjk_font() else "en"
        if drawn_in != lang:
            log.warning("no CJK font found (install Debian's fonts-noto-cjk): the Chinese figures keep English words")
        say = FigureWords(drawn_in, currency)
        with matplotlib.rc_context({"font.family": font_families(), "axes.unicode_minus": False}):
            fig = draw(say)
            local_ticks(fig, drawn_in)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        words[lang] = [t for t in drawn_texts(fig) if t not in say.names]
        names[lang] = sorted(say.names)
        _close(fig)
        pngs[lang] = buffer.getvalue()
    for lang in LANGUAGES:  # a language not drawn shows the English drawing
        pngs.setdefault(lang, pngs["en"])
        words.setdefault(lang, words["en"])
        names.setdefault(lang, names["en"])
    return Figure(png=pngs["en"], caption=caption, localized=pngs, words=words, names=names)


def _close(fig: Any) -> None:
    """Free a figure made with pyplot (one made with the object API needs nothing)."""
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)


#: A text of a figure that holds no word: numbers, dates, signs, percentages.
_NO_WORD = re.compile(r"^[\s\d.,:;+\-−–—%€$£¥·/()\[\]×=<>≤≥'\"R²]*$")


def is_word(text: str) -> bool:
    """Whether ``text`` has letters (a number, a date or a tick such as ``0.25`` or ``2024-03`` has none)."""
    return not _NO_WORD.match(text)
