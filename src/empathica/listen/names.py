"""Person names and street addresses in free text (zh/de/en), found offline from gazetteers and patterns.

The word lists are data (``pii_gazetteer.toml``): titles (Herr, Mrs, 先生), common first names and
surnames per language, the 100 most common Chinese surnames, cue phrases ("my name is", 联系人：) and
street words (…straße, Road, 路 + number + 号). A name is redacted when it follows a title or a cue,
when a known first name stands before a capitalised word (a surname), or when a known first name
stands alone (words that are first names but mostly something else — Will, May, Frank — excepted).
A Chinese name needs a title after it (王先生, 李娜经理) or a cue before it (我叫张伟). An address is a
street name with its house number, with the postcode and city or the apartment when they follow.

>>> redact_names_and_addresses("Frau Schröder wohnt in der Hauptstraße 12, 10115 Berlin.")
'Frau [NAME] wohnt in der [ADDRESS].'
"""

from __future__ import annotations

import re
from functools import cache

from empathica.listen.gazetteer import gazetteer
from empathica.listen.name_cues import redact_names_by_context
from empathica.listen.name_tagger import tag_names

__all__ = ["redact_names_and_addresses"]

#: A capitalised word: an upper-case letter, then lower-case letters of any script (Schröder, Yılmaz, Domínguez).
_CAP = r"[A-ZÄÖÜ](?:[a-z]|[^\W\d_A-Z])+(?:-[A-ZÄÖÜ](?:[a-z]|[^\W\d_A-Z])+)?"
_SURNAME_WORD = rf"(?:O'|Mc|Mac)?{_CAP}"
_HAN = r"\u4e00-\u9fff"
#: Characters that end a Chinese given name taken after a cue (我叫李娜想… → 李娜).
_ZH_STOP = "想要是的了在和说打来去请我你他她也就都很把被给向对跟与耐，。！？、"


def _words(items: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(items), key=len, reverse=True))


@cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    data = gazetteer()
    names, streets = data["names"], data["streets"]
    latin = [names["de"], names["en"]]
    titles = _words([t for n in latin for t in n["titles"]])
    cues = _words([c for n in latin for c in n["cues"]])
    ambiguous = {w for n in latin for w in n["ambiguous"]}
    first = _words([f for n in latin for f in n["first"] if f not in ambiguous])
    last = _words([s for n in latin for s in n["last"]])
    # a first name that is mostly another word alone ("Frank", "Jack", "Paul") is a name before a known surname
    any_first = _words([f for n in latin for f in n["first"]])
    zh = names["zh"]
    surname, zh_titles, zh_cues = _words(zh["surnames"]), _words(zh["titles"]), _words(zh["cues"])
    # a surname character that ends a word is no surname there: 感谢客服 ("thanks to the service desk")
    not_word_end = "".join(rf"(?!(?<={re.escape(w[:-1])}){re.escape(w[-1])})" for w in zh["not_names_in"])
    thanks = _words(zh["not_names_in"])  # 谢谢老师 is "thank you, teacher", no 谢谢 the teacher
    plain = _words([n for n in zh["surnames"] if n not in set(zh["ambiguous"])])
    de_street, en_street = _words(streets["de"]), _words(streets["en"])
    de_street_short = _words(streets["de_short"])
    # after a hyphen a street word is capitalised and unambiguous: Friedrich-Ebert-Straße, Hans-Böckler-Ring
    hyphenated = _words([w[:1].upper() + w[1:] for w in streets["de"] + streets["de_short"]])
    # a street named after a titled person: Dr.-Wilhelm-Külz-Straße, St.-Martin-Weg
    honorific = r"(?:(?:Dr|Prof|St)\.-)?"
    preps = _words(streets["de_prepositions"])
    not_streets = _words(streets["de_not_streets"])
    road, unit, region = _words(streets["zh"]), _words(streets["zh_units"]), _words(streets["zh_regions"])
    house = r"\d{1,4}(?:\s?[a-zA-Z](?![\w]))?(?:\s?[-/]\s?\d{1,4}[a-zA-Z]?)?(?![\d.,:]?\d)"
    city = r"(?:,?\s*\d{5}\s+[A-ZÄÖÜ][\wäöüß-]+(?:\s(?:am|an der|im)\s[A-ZÄÖÜ][\wäöüß]+)?)?"
    # (the city after a comma is no sign-off: "… Evergreen Gardens, Best, Marisol")
    signoffs = _words(names["en"]["signoffs"])
    us_tail = (rf"(?:,?\s*(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\w+)?(?:,\s*(?!(?:{signoffs})\b)[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?"
               r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?|,?\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})?")
    zh_num = r"[\d一二三四五六七八九十百零]+"
    # Each pattern's group `keep` (a title, a cue, leading words) stays in front of the placeholder.
    return [
        # addresses first: "Laura Street" is a street, not a name
        (re.compile(rf"(?<![\w-]){honorific}[A-ZÄÖÜ][\wäöüß-]*?(?:{de_street}|-(?:{hyphenated}))\s*{house}{city}"), "[ADDRESS]"),
        # street words that also end ordinary nouns (Kaiserring but Frühling, Mühlenstieg): short house numbers only
        (re.compile(rf"(?<![\w-])[A-ZÄÖÜ][\wäöüß-]*?[a-zäöüß]{{2}}(?<![aeiouäöü])(?:{de_street_short})\s\d{{1,3}}(?:\s?[a-zA-Z](?![\w]))?(?![\d.,:/%]?\d|\s?%){city}"), "[ADDRESS]"),
        # a separate street word after an adjective of place: Berliner Straße, Bretonischer Ring (not "Nur Platz 21")
        (re.compile(rf"(?<![\w-])[A-ZÄÖÜ][\wäöüß-]+(?:er|es)\s(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Chaussee)\s*{house}{city}"), "[ADDRESS]"),
        # "Am Sonnenhang 7", not "Am Montag 12" or "Auf der Rechnung 2024/0457": no time or document words, short numbers
        (re.compile(rf"(?<!\w)(?:{preps})\s(?![A-ZÄÖÜ][\wäöüß-]*?(?i:{not_streets})\s)[A-ZÄÖÜ][\wäöüß-]+\s\d{{1,3}}(?:\s?[a-zA-Z](?!\w))?(?![\d/%]|[.,:]\d|\s?%){city}"), "[ADDRESS]"),
        (re.compile(rf"(?:(?:Flat|Apt|Apartment|Unit|Suite)\.?\s*\w+,\s*)?(?<![\w-])\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][\w'-]*\s+){{1,3}}(?:{en_street})(?![\w]){us_tail}"), "[ADDRESS]"),
        # a road's section may come between road and number (人民南路四段12号, 春熙路东段8号)
        (re.compile(rf"(?P<keep>(?:[{_HAN}]*[在住到于是址送寄][:：]?)?)(?:[{_HAN}]{{2,8}}?(?:{region}))*[{_HAN}]{{1,8}}?(?:{road})"
                    rf"(?:[东南西北中一二三四五六七八九十]段)?{zh_num}(?:{unit})(?:{zh_num}(?:{unit}))*"), "[ADDRESS]"),
        # names
        (re.compile(rf"(?P<keep>(?<!\w)(?:{titles})\s(?:(?:{titles})\s)?)(?:{_SURNAME_WORD}\s)?{_SURNAME_WORD}"), "[NAME]"),
        (re.compile(rf"(?P<keep>(?i:{cues})[:：]?\s*(?:(?:{titles})\s+){{0,2}})(?!(?:{titles})(?!\w))(?:{_SURNAME_WORD})(?:\s{_SURNAME_WORD})?"), "[NAME]"),
        (re.compile(rf"(?<!\w)(?:{any_first}|{last})\s(?:[A-Z]\.\s)?(?:{last})(?!\w)"), "[NAME]"),
        (re.compile(rf"(?<!\w)(?:{first})\s(?:[A-Z]\.\s)?{_SURNAME_WORD}(?!\w)"), "[NAME]"),
        (re.compile(rf"(?<![\w-])(?:{first})(?![\w-])"), "[NAME]"),
        (re.compile(rf"{not_word_end}(?!{thanks})(?:(?:{plain})[{_HAN}]{{0,2}}?|(?:{surname}))(?={zh_titles})"), "[NAME]"),
        (re.compile(rf"(?P<keep>(?:{zh_cues})\s*)(?:{surname})[{_HAN}]{{1,2}}"), "[NAME_ZH]"),
        (re.compile(rf"(?P<keep>我姓|免贵姓)(?:{surname})"), "[NAME]"),
    ]


def _sub(m: re.Match, placeholder: str) -> str:
    keep = m.groupdict().get("keep") or ""
    if placeholder != "[NAME_ZH]":
        return keep + placeholder
    name = m.group(0)[len(keep):]  # 我叫李娜想投诉: the given name ends before 想
    cut = len(name)
    while cut > 2 and name[cut - 1] in _ZH_STOP:
        cut -= 1
    return keep + "[NAME]" + name[cut:]


_CAPITALISED = re.compile(r"[A-ZÄÖÜ][\w'.-]*")
_HOUSE_NUMBER = re.compile(r"[A-Za-zäöüß.]\s?\d{1,5}|\d{1,5}[A-Za-z]?\s+[A-Z]")


@cache
def _triggers() -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """(capitalised words, lower-case cues, Chinese words) of which a text must hold one for any pattern to match."""
    data = gazetteer()
    names, streets = data["names"], data["streets"]
    words = frozenset(w for lang in ("de", "en") for key in ("titles", "first", "last") for w in names[lang][key])
    cues = tuple(c.lower() for lang in ("de", "en") for c in names[lang]["cues"])
    han = tuple(names["zh"]["titles"] + names["zh"]["cues"] + ["我姓", "免贵姓"] + streets["zh"])
    return words, cues, han


def _maybe(text: str) -> bool:
    """A cheap test (word lookups, no large alternation) that the patterns are worth running on ``text``."""
    words, cues, han = _triggers()
    if _HOUSE_NUMBER.search(text) or any(w in text for w in han):
        return True
    capitalised = _CAPITALISED.findall(text)  # "Dr." keeps its dot; "Chloe." at a sentence's end is "Chloe"
    if not words.isdisjoint(capitalised) or not words.isdisjoint(w.rstrip(".") for w in capitalised):
        return True
    lower = text.lower()
    return any(c in lower for c in cues)


def redact_names_and_addresses(text: str, *, learned: bool = True) -> str:
    """``text`` with person names replaced by ``[NAME]`` and street addresses by ``[ADDRESS]``; ``learned``: the
    names the shipped tagger (``name_tagger.py``) finds are added to the rules'."""
    original = text
    if _maybe(text):
        for pattern, placeholder in _patterns():
            text = pattern.sub(lambda m: _sub(m, placeholder), text)
    text = redact_names_by_context(text)
    return tag_names(original, text) if learned else text
