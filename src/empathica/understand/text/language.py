"""Language identification for the languages in use (en, de, zh), with 'und' when it cannot be told.

Chinese is recognised by its script; English and German by ``lingua`` restricted to those two
languages (its models ship inside the package: no network). A text gets ``'und'`` (undetermined)
when it has too few letters to judge (empty, emoji, symbols, numbers, one short word) or is written
in another script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from empathica.understand.text.normalize import clean

#: The languages the shipped models score.
LANGUAGES = ("en", "de", "zh")
UNDETERMINED = "und"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿß]")
_OTHER_LETTER = re.compile(r"[^\W\d_]")
#: Latin letters needed before English and German are told apart.
MIN_LATIN_LETTERS = 4


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.GERMAN).build()


def script_language(text: str) -> str | None:
    """The language told by script alone: 'zh', 'und', or ``None`` when lingua must decide."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    letters = len(_OTHER_LETTER.findall(text))
    if letters == 0:
        return UNDETERMINED
    if len(_KANA_HANGUL.findall(text)) > 0.2 * letters:
        return UNDETERMINED  # Japanese or Korean: not a language in use
    if cjk and cjk >= 0.3 * (cjk + latin / 4):  # a Latin word is ~4 letters per Chinese character
        return "zh"
    if latin < MIN_LATIN_LETTERS:
        return UNDETERMINED
    if latin < 0.5 * letters:
        return UNDETERMINED  # Cyrillic, Arabic, Greek ... with a few Latin letters
    return None


def detect_language(texts: Sequence[object]) -> list[str]:
    """The language of each text: 'en', 'de', 'zh' or 'und'.

    >>> detect_language(["Die Lieferung kam zu spät.", "快递太慢了", "The refund never arrived", "👍", ""])
    ['de', 'zh', 'en', 'und', 'und']
    """
    return languages_of_cleaned([clean(t).text for t in texts])


def languages_of_cleaned(cleaned: Sequence[str]) -> list[str]:
    """The language of each already cleaned text: the script decides where it can, lingua the rest."""
    result: list[str | None] = [script_language(t) for t in cleaned]
    pending = [i for i, r in enumerate(result) if r is None]
    if pending:
        found = _detector().detect_languages_in_parallel_of([cleaned[i] for i in pending])
        for i, language in zip(pending, found):
            result[i] = language.iso_code_639_1.name.lower() if language is not None else UNDETERMINED
    return [r or UNDETERMINED for r in result]
