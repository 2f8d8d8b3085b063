"""Person names outside the word lists, found by their context (zh/de/en), offline.

Where ``names.py`` needs a name it knows (or a title), these rules read the place a name stands in:

- a **greeting or thanks** before a name of the wide lists (``person_names.toml``: Faker's de/en first names):
  "Hi Siobhan", "thanks Harper!", "Danke an Detlef";
- a **sign-off** before one or two capitalised words that end the text or the line: "Best, Yusuf",
  "Viele Grüße, Wiebke Thormählen", "- Fergus";
- a **role or relation** right before a capitalised word: "the driver, Tomasz,", "my wife Gwen", "a rep named
  Dwayne", "der Fahrer Mehmet", "mein Sohn Leander" ("this is", "I'm" only before a listed first name);
- a capitalised word (a listed first name at a sentence's start) right before a **workplace**: "Marisol at the
  counter", "Bartholomew Finch from billing";
- a Chinese **role** before a surname of either list and one or two given-name characters: 快递员刘建国,
  前台的王芳, 我老公黄志明.

A capitalised word is never taken when it is in the language's ``not_names`` (brands, places, days) or, in
German, ends like a noun (-ung, -heit, -keit …), so "der Fahrer Bus", "Thanks, Delta" and "Danke Deutsche
Bahn" stay. After the weaker cues (greetings, "this is", German roles, a sentence's first word before a
workplace, "Best, X,", "[NAME] and X") an unlisted word must also be no common word of the tuning corpora
(``common_words.toml``): "ask Thibault", "this is Ngozi", but not "this is Ridiculous", "Tochter Handy".
Lists and cues are data (``pii_gazetteer.toml``, ``common_words.toml``).

>>> redact_names_by_context("The driver, Tomasz, left it outside. Best, Yusuf")
'The driver, [NAME], left it outside. Best, [NAME]'
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from empathica.listen.gazetteer import gazetteer

__all__ = ["redact_names_by_context"]

#: A capitalised word: an upper-case letter, then letters (any script; O'Brien, McAllister, Yılmaz, Domínguez).
_WORD = r"(?:O'|D'|Mc|Mac)?[A-ZÄÖÜÉÁÓÚÍÑŁŚŻ][^\W\d_]*[^\W\d_A-Z](?:-[A-ZÄÖÜ][^\W\d_]+)?"
_HAN = r"\u4e00-\u9fff"
#: Characters that end a Chinese given name (说, 很, 的 …): they are words, not part of the name.
_ZH_STOP = set("想要是的了在和说打来去请我你他她也就都很把被给向对跟与，。！？、还又才却没不太挺真非态服")


def _alt(items) -> str:
    return "|".join(re.escape(w) for w in sorted(set(items), key=len, reverse=True))


@cache
def _lists() -> dict:
    """Word sets: wide and curated first names per language, not-names, noun endings, Chinese surnames."""
    wide = tomllib.loads(resources.files("empathica.listen").joinpath("person_names.toml").read_text(encoding="utf-8"))
    names = gazetteer()["names"]
    # first names that are mostly other words alone (Will, Frank, Jack) are names after a greeting or a role
    first = {w for lang in ("de", "en") for w in wide[lang]["first"] + names[lang]["first"] + names[lang]["ambiguous"]}
    last = {w for lang in ("de", "en") for w in wide[lang]["last"] + names[lang]["last"]}
    not_names = {w for lang in ("de", "en") for w in names[lang]["not_names"]}
    roles = {w.lower() for lang in ("de", "en") for w in names[lang]["roles"]}
    zh = names["zh"]
    surnames = (set(zh["surnames"]) | set(wide["zh"]["surnames"])) - set(zh["ambiguous"])
    common = tomllib.loads(resources.files("empathica.listen").joinpath("common_words.toml").read_text(encoding="utf-8"))
    return {"first": first, "last": last, "not_names": not_names | {w.title() for w in roles},
            "noun_endings": tuple(names["de"]["noun_endings"]), "zh_surnames": surnames,
            "zh_ambiguous": set(zh["ambiguous"]), "zh_words": set(common["zh"]["words"]), "zh_titles": tuple(zh["titles"]),
            "de_roles": {w.lower() for w in names["de"]["roles"]},
            "de_greetings": {g.lower() for g in names["de"]["greetings"]} - {g.lower() for g in names["en"]["greetings"]},
            "also_words": {w.lower() for w in names["de"]["greetings_also_words"] + names["en"]["roles_also_words"]
                           + names["de"]["roles_listed_only"] + names["en"]["roles_listed_only"]},
            "common": {w for lang in ("en", "de") for w in common[lang]["words"]}}


def _is_name_word(word: str, *, listed: bool = False, unknown: bool = False, german: bool = True) -> bool:
    """Whether a capitalised word can be a name here: ``listed``, it must be a listed first name; ``unknown``,
    a listed first name or a word that is no common word of the tuning corpora (``common_words.toml``:
    "this is Ngozi", not "this is Ridiculous"); else any word but a German noun (when ``german``)."""
    lists = _lists()
    if word in lists["not_names"] or word.rstrip("'s") in lists["not_names"]:
        return False
    if listed or unknown:
        return word in lists["first"] or (unknown and _is_unknown_word(word, german=german))
    return (word in lists["first"] or word in lists["last"]
            or not (german and word.lower().endswith(lists["noun_endings"])))


def _is_unknown_word(word: str, *, german: bool) -> bool:
    """A listed surname, or a capitalised word that is no common word (nor its plural or possessive), no
    abbreviation in capitals and (``german``) no German noun."""
    lists = _lists()
    if word in lists["last"]:
        return True
    if "-" in word:  # "Bahn-Team", "Capri-Sonne": a common part makes no name ("Paul-Richard" is one)
        return all(_is_unknown_word(part, german=german) or part in lists["first"] for part in word.split("-"))
    lower = word.lower()
    stem = lower.removesuffix("'s").removesuffix("s")
    noun = german and lower.endswith(lists["noun_endings"])
    return not word.isupper() and lower not in lists["common"] and stem not in lists["common"] and not noun


def _is_listed_last(word: str) -> bool:
    return word in _lists()["last"] and word not in _lists()["not_names"]


@cache
def _patterns() -> dict[str, re.Pattern]:
    names = gazetteer()["names"]
    de, en = names["de"], names["en"]
    w = _WORD
    return {
        "greeting": re.compile(rf"(?P<keep>(?<!\w)(?i:{_alt(de['greetings'] + en['greetings'])}),?\s+)"
                               rf"(?P<first>{w})(?P<second>\s{w})?(?!\w)"),
        "signoff": re.compile(rf"(?P<keep>(?:^|(?<=[\s.!,;]))(?i:{_alt(de['signoffs'] + en['signoffs'])})[,:!]?\s+)"
                              rf"(?P<first>{w})(?P<second>\s{w})?(?=\s*(?:[.!]|$|\n))", re.M),
        # any sign-off with a comma, before a name and a comma: "Best, Anika, barcode …" (a listed or unknown word)
        "signoff_comma": re.compile(rf"(?P<keep>(?:^|(?<=[\s.!,;]))(?i:{_alt(de['signoffs'] + en['signoffs'])}),\s+)"
                                    rf"(?P<first>{w})(?P<second>\s{w})?(?=\s*[,;])"),
        # a dash signs only at the end of the text or line, and only a listed name ("- Welt" is a newspaper)
        "strong_signoff": re.compile(rf"(?P<keep>(?:^|(?<=[\s.!,;]))(?i:{_alt(de['strong_signoffs'] + en['strong_signoffs'])})"
                                     rf"[,:!]?\s+)(?P<first>{w})(?P<second>\s{w})?(?=\s*(?:[.!,;]|$|\n))", re.M),
        "dash": re.compile(rf"(?P<keep>(?:^|(?<=\s))(?:{_alt(en['dashes'])})\s*)"
                           rf"(?P<first>{w})(?P<second>\s{w})?(?=\s*[.!]?\s*(?:$|\n))", re.M),
        # a German compound ends in a role noun: Paketbotin, Lieferfahrer
        "role": re.compile(rf"(?P<keep>(?<!\w)(?P<role>{_alt(de['roles'] + en['roles'])}|[A-ZÄÖÜ][a-zäöüß]+(?:{_alt(_compound_roles())})),?\s+)"
                           rf"(?P<first>{w})(?P<second>\s{w})?(?![\w'])"),
        "workplace": re.compile(rf"(?P<keep>(?P<start>^|[.!?]\s+|)(?<![\w'-]))(?P<first>{w})(?P<second>\s{w})?"
                                rf"(?=,?\s(?:{_alt(en['workplaces'])})(?!\w))"),
        # German capitalises every noun: before a German workplace only a listed name counts
        "workplace_de": re.compile(rf"(?<![\w'-])(?P<keep>)(?P<first>{w})(?P<second>\s{w})?"
                                   rf"(?=,?\s(?:{_alt(de['workplaces'])})(?!\w))"),
        # a listed first name before a listed surname ("Sophia Evans", "Paul Brückner"), wherever it stands
        "pair": re.compile(rf"(?<![\w'-])(?P<keep>)(?P<first>{w})(?P<second>\s{w})(?![\w'-])"),
        # a capitalised word joined to a name found: "Thanks to [NAME] and Kofi", "Mehmet und [NAME]"
        "coordinated": re.compile(rf"(?P<keep>\[NAME\],?\s(?P<conj>and|und|&)\s)(?P<first>{w})(?P<second>\s{w})?(?![\w'])"),
        "coordinated_before": re.compile(rf"(?<![\w'-])(?P<keep>)(?P<first>{w})(?P<second>)(?=\s(?P<conj>and|und|&)\s\[NAME\])"),
        # roles may come in a row (销售经理, 客服小姐姐): the name follows the last
        "zh_role": re.compile(rf"(?P<keep>(?:{_alt(names['zh']['roles'] + names['zh']['strong_cues'])})+[:：]?)(?P<name>[{_HAN}]{{2,4}})"),
        "zh_surname": re.compile(rf"(?P<keep>(?:{_alt(names['zh']['surname_cues'])}))(?P<name>[{_HAN}]{{1,2}})"),
        # a name before a title, asked for or thanked (请柏振华经理, 让X老师, 谢谢X师傅), with a surname of the wide
        # list too (names.py takes only the most common ones, after any character)
        "zh_titled": re.compile(rf"(?P<keep>(?:^|(?<![{_HAN}])|(?<=[请让找叫问])|(?<=联系|感谢|谢谢|多谢))(?:\s*))"
                                rf"(?P<name>[{_HAN}]{{2,3}}?)(?=(?:{_alt(names['zh']['titles'])}))"),
    }


@cache
def _compound_roles() -> list[str]:
    """German role nouns of five or more letters, lower-cased, as the end of a compound (Paket|botin)."""
    return [r.lower() for r in gazetteer()["names"]["de"]["roles"] if r[:1].isupper() and " " not in r and len(r) >= 5]


def _is_de_role(role: str) -> bool:
    return role.lower() in _lists()["de_roles"] or role.lower().endswith(tuple(_compound_roles()))


def _ok(m: re.Match, kind: str) -> bool:
    """Whether the capitalised word a cue of ``kind`` points at is a name."""
    first, second = m.group("first"), m.group("second")
    if kind in ("greeting", "signoff_comma"):  # "Shout out to Marisol", "ask Thibault": not "Thanks Delta", "Hi Everyone"
        cue = m.group("keep").strip(" ,").lower()
        if cue in _lists()["also_words"]:  # "ich trink lieber Capri-Sonne", "mit viel Liebe, Sorgfalt"
            return _is_name_word(first, listed=True)
        return _is_name_word(first, unknown=True, german=_is_german(m.group("keep")))
    if kind == "role":  # "Verkäufer, Entscheider": after a capitalised (German) role and a comma, only a listed name
        role = m.group("role")
        german = _is_de_role(role)
        if (role[0].isupper() and german and "," in m.group("keep")) or role.lower() in _lists()["also_words"]:
            return _is_name_word(first, listed=True)  # "Im Sommer": "Im" ("I'm") is German for "in the"
        # "Tochter Handy", "this is Ridiculous": a listed name or no common word
        return _is_name_word(first, unknown=True, german=german)
    if kind == "workplace":  # a sentence's first word is capitalised anyway: a listed or an unknown word there
        at_start = m.start() == 0 or bool(m.group("start"))
        return (_is_name_word(first, unknown=at_start, german=False)
                or (at_start and bool(second) and _is_listed_last(second.strip())))
    if kind == "pair":
        return _is_name_word(first, listed=True) and _is_listed_last(second.strip())
    if kind == "workplace_de":  # German capitalises nouns: "die Rechnung aus der Buchhaltung" stays
        return _is_name_word(first, unknown=True, german=True)
    if kind == "dash":
        return _is_name_word(first, listed=True) or _is_listed_last(first)
    if kind == "coordinated":  # "Thanks to [NAME] and Kofi"; German nouns are capitalised: "seiner Gattin und [NAME]"
        if m.group("conj") == "und":
            return _is_name_word(first, listed=True) or _is_listed_last(first)
        return _is_name_word(first, unknown=True, german=False)
    return _is_name_word(first)


def _is_german(cue: str) -> bool:
    """Whether a greeting is German only ("Danke an", not "Hi"): German capitalises nouns, so noun endings count."""
    return cue.strip(" ,").lower() in _lists()["de_greetings"]


def _latin(m: re.Match, kind: str) -> str:
    if not _ok(m, kind):
        second = m.group("second")
        # "Fragen Sie Jasper aus der Buchhaltung": the word before a workplace may be the name alone
        if kind == "workplace_de" and second and _is_name_word(second.strip(), unknown=True, german=True):
            return m.group("keep") + m.group("first") + second[0] + "[NAME]"
        return m.group(0)
    second = m.group("second")
    second_is_name = bool(second) and _is_name_word(second.strip())
    return m.group("keep") + "[NAME]" + (second if second and not second_is_name else "")


def _zh(m: re.Match) -> str:
    name = m.group("name")
    lists = _lists()
    # surnames that are also words (马, 高, 白) after a role too, unless they start a word of the tuning corpus
    # (服务员马上就来, 服务员白眼; common_words.toml)
    surnames = lists["zh_surnames"] | (set() if name[:2] in lists["zh_words"] else lists["zh_ambiguous"])
    surname = name[:2] if name[:2] in surnames else name[:1]
    if surname not in surnames or len(name) == len(surname) or name[len(surname)] in _ZH_STOP:
        return m.group(0)
    end = len(surname) + 1
    # one or two given-name characters, not the start of a title (接待员万鹏先生)
    if end < len(name) and name[end] not in _ZH_STOP and not name[end:].startswith(lists["zh_titles"]):
        end += 1
    return m.group("keep") + "[NAME]" + name[end:]


def _zh_titled(m: re.Match) -> str:
    name = m.group("name")
    lists = _lists()
    surname = name[:2] if name[:2] in lists["zh_surnames"] else name[:1]
    rest = name[len(surname):]
    # 请大堂经理, 请销售经理: a role before the title is no name; 谢谢柏老师: 谢谢 is no name
    roles = gazetteer()["names"]["zh"]["roles"]
    zh = gazetteer()["names"]["zh"]
    if (surname not in lists["zh_surnames"] or not rest or any(ch in _ZH_STOP for ch in rest)
            or name.startswith(tuple(zh["not_names_in"])) or any(ch in "请让找叫问" for ch in name)
            or any(name.startswith(r) or r.startswith(name) for r in roles)):
        return m.group(0)
    return m.group("keep") + "[NAME]"


def _zh_surname(m: re.Match) -> str:
    """我姓阮: the surname (either list, ambiguous ones included) after 我姓 is the name."""
    name, lists = m.group("name"), _lists()
    surnames = lists["zh_surnames"] | lists["zh_ambiguous"]
    for surname in (name[:2], name[:1]):
        if surname in surnames:
            return m.group("keep") + "[NAME]" + name[len(surname):]
    return m.group(0)


def redact_names_by_context(text: str) -> str:
    """``text`` with the names that greetings, sign-offs, roles and workplaces point at replaced by ``[NAME]``."""
    pats = _patterns()
    for kind in ("strong_signoff", "signoff", "signoff_comma", "dash", "greeting", "role", "workplace", "workplace_de", "pair"):
        text = pats[kind].sub(lambda m, k=kind: _latin(m, k), text)
    if "[NAME]" in text:
        for kind in ("coordinated", "coordinated_before"):
            text = pats[kind].sub(lambda m: _latin(m, "coordinated"), text)
    if re.search(f"[{_HAN}]", text):
        text = pats["zh_role"].sub(_zh, text)
        text = pats["zh_titled"].sub(_zh_titled, text)
        text = pats["zh_surname"].sub(_zh_surname, text)
    return text
