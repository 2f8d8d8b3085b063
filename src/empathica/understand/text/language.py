"""Language identification for the languages in use (en, de, zh), with 'und' when it cannot be told.

Chinese is recognised by its script; English and German by ``lingua`` restricted to those two
languages (its models ship inside the package: no network). A text gets ``'und'`` (undetermined)
when it has too few letters to judge (empty, emoji, symbols, numbers, one short word), is written
in another script, or is a coin-flip between English and German: lingua less than 0.6 sure and no
function word of either language ("Support Team"). On short texts lingua's letter statistics are weak,
so below a confidence of 0.8 function words of one language ("der", "war", "kein"; "the", "were",
"not") and umlauts decide.
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


#: lingua's confidence (its two-language probability) from which its choice stands without other evidence.
SURE = 0.8
#: Below this confidence, a text without function-word evidence for either language is undetermined.
COIN_FLIP = 0.6
#: Function words (and frequent review words) of one language that are not words of the other. Short
#: German texts share most letters with English, so lingua calls "Der Service war super, danke!" English
#: at 0.54; one "der", "war" or "danke" settles it. Ambiguous words (die, was, also, an, in, will, hat,
#: so, man, super, service, team) are in neither list.
GERMAN_WORDS = frozenset("""
der das den dem des und ist sind nicht nichts nix kein keine keinen keinem keiner keines ich wir mich mir uns mit
für auf ein eine einen einem einer noch schon auch aber sehr danke bitte leider gut toll wieder immer habe haben hatte
wurde wird werden zu zum zur vom beim nur ganz gar mein meine meinen mehr kann können konnte muss seit nach bei von
oder wenn weil dass geht gibt jetzt heute alles war waren wo warum wie wann viel hier da dann doch mal ja nein
""".split())
ENGLISH_WORDS = frozenset("""
the and is are were not no thanks thank very please with my we you your it this that of to for on at have has had
but still again good great bad never why what when how can't don't didn't isn't i i'm just too get got our they their
be been would could should there from by about any
""".split())
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_GERMAN_LETTERS = re.compile(r"[äöüßÄÖÜ]")


def word_evidence(text: str) -> int:
    """German minus English evidence in a Latin-script text: its function words of each language, and
    one more for German when it has an umlaut or ß."""
    words = [w.lower() for w in _WORD.findall(text.replace("\u2019", "'"))]
    german = sum(w in GERMAN_WORDS for w in words) + bool(_GERMAN_LETTERS.search(text))
    english = sum(w in ENGLISH_WORDS for w in words)
    return german - english


def latin_language(text: str, german_confidence: float) -> str:
    """English or German for a Latin-script text, given lingua's confidence that it is German.

    lingua decides when it is sure (≥ :data:`SURE`); below, the function-word evidence decides; with
    none either way, lingua's choice stands down to :data:`COIN_FLIP`, and a closer call is 'und'.
    """
    top = max(german_confidence, 1.0 - german_confidence)
    lingua_choice = "de" if german_confidence >= 0.5 else "en"
    if top >= SURE:
        return lingua_choice
    evidence = word_evidence(text)
    if evidence:
        return "de" if evidence > 0 else "en"
    return lingua_choice if top >= COIN_FLIP else UNDETERMINED


def detect_language(texts: Sequence[object]) -> list[str]:
    """The language of each text: 'en', 'de', 'zh' or 'und'.

    >>> detect_language(["Die Lieferung kam zu spät.", "快递太慢了", "The refund never arrived", "👍", ""])
    ['de', 'zh', 'en', 'und', 'und']
    """
    return languages_of_cleaned([clean(t).text for t in texts])


def languages_of_cleaned(cleaned: Sequence[str]) -> list[str]:
    """The language of each already cleaned text: the script decides where it can, lingua the rest
    (with function words on short, unsure texts; see :func:`latin_language`)."""
    result: list[str | None] = [script_language(t) for t in cleaned]
    pending = [i for i, r in enumerate(result) if r is None]
    if pending:
        from lingua import Language

        found = _detector().compute_language_confidence_in_parallel([cleaned[i] for i in pending], Language.GERMAN)
        for i, german in zip(pending, found):
            result[i] = latin_language(cleaned[i], german)
    return [r or UNDETERMINED for r in result]
