"""E-mail addresses in free text, written plainly or spelled out against harvesters.

``jane.doe@example.com``, ``anna-lena.schröder@gmx.de`` and the spelled-out forms whose words are data
(``pii_gazetteer.toml``, section ``email``, per language): ``name [at] domain [dot] com``,
``name(at)firma.de``, ``max(ät)firma(punkt)de``, ``zhangsan艾特163点com``, ``support at acme dot co dot uk``.
A bracketed "at" or a word that means nothing else ("艾特", "ät") is an "@" whatever follows; a bare
"at" (or "#") only when every part after it is address-shaped, the first is no common word ("at the",
"at home") and the last is a known top-level domain, so "looked at the dot com bubble" or "at gate 5.
Com" stay as written.

>>> redact_emails("write to support at acme dot co dot uk or info(at)bäckerei.de")
'write to [EMAIL] or [EMAIL]'
"""

from __future__ import annotations

import re
from functools import cache

from empathica.listen.gazetteer import gazetteer

__all__ = ["maybe_email", "redact_emails"]

# Latin letters with accents, digits: Chinese text right before an address is not part of it.
_L = "0-9A-Za-z\u00c0-\u024f"
_LOCAL = rf"(?<![{_L}._%+-])[{_L}][{_L}._%+-]*"
_LABEL = rf"[{_L}][{_L}-]*"


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _spoken(words: list[str]) -> str:
    """A separator word on its own: Latin words need blanks around them, CJK words may have them, a symbol
    ("#") must stand between the parts without blanks ("#aa.com" after a space is a hashtag)."""
    latin = [w for w in words if w.isalpha() and not _is_cjk(w)]
    cjk = [w for w in words if _is_cjk(w)]
    symbols = [w for w in words if w not in latin and w not in cjk]
    parts = [rf"\s+(?i:{_alt(latin)})\s+"] if latin else []
    parts += [rf"\s*(?:{_alt(cjk)})\s*"] if cjk else []
    return "|".join(parts + ([_alt(symbols)] if symbols else []))


def _is_cjk(word: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in word)


@cache
def _patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """(strong form, weak form, pre-filter), built from the gazetteer's ``email`` section."""
    data = gazetteer()["email"]
    langs = [v for v in data.values() if isinstance(v, dict)]
    at_words = [w for lang in langs for w in lang["strong_at"] + lang["weak_at"] if w.isalpha() and not _is_cjk(w)]
    dot_words = [w for lang in langs for w in lang["dot"]]

    def bracket(words: list[str]) -> str:
        return "|".join(rf"\s*{re.escape(b[0])}\s*(?i:{_alt(words)})\s*{re.escape(b[1])}\s*" for b in data["brackets"])

    sep = "|".join([r"\.", bracket([w for w in dot_words if w.isascii()]), _spoken(dot_words)])
    strong_at = "|".join(["@", bracket(at_words), _spoken([w for lang in langs for w in lang["strong_at"]])])
    weak_at = _spoken([w for lang in langs for w in lang["weak_at"]])
    tld = rf"(?:{sep})[A-Za-z]{{2,}}(?![{_L}])"
    strong = re.compile(rf"{_LOCAL}(?:{strong_at})(?:{_LABEL})(?:(?:{sep}){_LABEL})*{tld}")

    def none_of(key: str) -> str:  # not one of the listed words, as a whole token
        return rf"(?!(?i:{_alt(data[key])})(?![{_L}._%+-]))"

    known_tld = rf"(?:{sep})(?i:{_alt(data['tlds'])})(?![{_L}])"
    weak = re.compile(rf"(?<![{_L}._%+-]){none_of('not_locals')}{_LOCAL}(?:{weak_at}){none_of('not_domains')}{_LABEL}"
                      rf"(?:(?:{sep}){_LABEL})*{known_tld}")
    maybe = re.compile(rf"{strong_at}|{weak_at}")
    return strong, weak, maybe


def maybe_email(text: str) -> bool:
    """A cheap test that ``text`` may hold an address (an "@" or one of its spelled-out forms)."""
    return bool(_patterns()[2].search(text))


def redact_emails(text: str) -> str:
    """``text`` with every e-mail address, plain or spelled out, replaced by ``[EMAIL]``."""
    strong, weak, _ = _patterns()
    return weak.sub("[EMAIL]", strong.sub("[EMAIL]", text))
