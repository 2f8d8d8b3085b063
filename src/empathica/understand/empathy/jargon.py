"""Jargon and unexplained abbreviations in an agent's reply (English, German, Chinese).

Two kinds of term are flagged:

* informal abbreviations and internal shorthand from a lexicon per language ("pls", "asap", "w/",
  "lt. AGB", "工单") — flagged wherever they occur;
* acronyms (2–5 capitals or digits with at least two capitals, e.g. "RMA", "OID", "SLA", "3DS") that the
  customer is not expected to know — flagged unless *explained nearby*: written next to its expansion in
  brackets ("service level agreement (SLA)", "SLA (service level agreement)"), or preceded within the
  sentence by words whose initials spell it. Everyday acronyms (OK, TV, USB, PIN ...) are allowed.
"""

from __future__ import annotations

import re

_ALLOWED = {
    "OK", "TV", "USB", "PDF", "PIN", "SMS", "FAQ", "UK", "US", "USA", "EU", "ID", "PC", "DVD", "CD", "GPS", "HD",
    "AM", "PM", "VAT", "IBAN", "BIC", "PS", "MWST", "AG", "GMBH", "DHL", "UPS", "OMG", "LOL", "CEO", "APP", "IT",
    "HR", "QR", "NFC", "LED", "AI", "WLAN", "WIFI", "SIM", "DM", "PM", "EUR", "USD", "CNY", "RMB", "KG", "CM", "MM",
    "GB", "MB", "TB", "IOS", "I", "A",
}

#: Informal abbreviations and internal shorthand, per language (matched case-insensitively).
LEXICON: dict[str, tuple[str, ...]] = {
    "en": ("pls", "plz", "asap", "atm", "thx", "w/", "w/o", "fwd", "rcvd", "lvl", "ver", "acct", "cust", "msg", "fyi",
           "tbd", "eta", "ref", "txn", "approx", "info", "ttyl", "np", "t&c", "t&cs", "b/c", "qty", "pkg", "dept", "req"),
    "de": ("lt.", "gem.", "ggf.", "bzgl.", "i.d.r.", "z.zt.", "urspr.", "u.", "bestnr.", "kd.-nr.", "wt", "asap", "pls",
           "bzw.", "evtl.", "inkl.", "zzgl.", "vorg.", "bearb."),
    "zh": ("工单", "时效", "二线", "原路退回", "预授权", "发卡行", "质检", "走流程", "按规定", "以页面为准", "支付通道", "核实中"),
}

_ACRONYM = re.compile(r"(?<![A-Za-z0-9&/])(?=[A-Z0-9&/-]*[A-Z][A-Z0-9&/-]*[A-Z])[A-Z0-9][A-Z0-9&/-]{1,6}(?:s)?(?![A-Za-z0-9&])")
_WORDS = re.compile(r"[A-Za-zÄÖÜäöüß]+")


def _lexicon_pattern(language: str) -> re.Pattern:
    terms = sorted(LEXICON.get(language, ()) + (LEXICON["en"] if language != "en" else ()), key=len, reverse=True)
    if language == "zh":
        return re.compile("|".join(re.escape(t) for t in terms), re.I)
    return re.compile("|".join(rf"(?<![\w.]){re.escape(t)}(?![\w&/])" for t in terms), re.I)


_PATTERNS = {lang: _lexicon_pattern(lang) for lang in LEXICON}


def _explained(text: str, start: int, end: int, acronym: str) -> bool:
    letters = [c for c in acronym.upper() if c.isalpha()]
    after = text[end:end + 80]
    m = re.match(r"\s*[(（]([^)）]{3,80})[)）]", after)
    if m and len(_WORDS.findall(m.group(1))) >= 2:
        return True  # "SLA (service level agreement)"
    before = text[max(0, start - 100):start]
    if re.search(r"[(（]\s*$", before):
        return True  # "service level agreement (SLA)"
    words = _WORDS.findall(before)
    initials = "".join(w[0].upper() for w in words[-len(letters) - 3:] if w[0].isupper() or len(w) > 3)
    return len(letters) >= 2 and "".join(letters) in initials


def find_jargon(text: str, language: str = "en") -> list[str]:
    """The jargon terms and unexplained abbreviations in ``text``, in order of appearance, each once."""
    if not isinstance(text, str) or not text:
        return []
    found: list[tuple[int, str]] = []
    for m in _PATTERNS.get(language, _PATTERNS["en"]).finditer(text):
        found.append((m.start(), m.group()))
    for m in _ACRONYM.finditer(text):
        term = m.group()
        core = term.rstrip("s") if term.endswith("s") and term[:-1].isupper() else term
        if core.upper() in _ALLOWED or core.replace("-", "").isdigit():
            continue
        if not _explained(text, m.start(), m.end(), core):
            found.append((m.start(), term))
    seen: set[str] = set()
    out = []
    for _, term in sorted(found):
        key = term.lower()
        if key not in seen and not any(key in s for s in seen):
            seen.add(key)
            out.append(term)
    return out
