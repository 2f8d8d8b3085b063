"""Bring raw text into a form the models can score, and say what was wrong with it.

Every input gets a defined result: ``None``/NaN and blank strings become empty; wrongly decoded
UTF-8 (mojibake such as ``"Lieferung war schÃ¶n"``) is repaired when the repair is unambiguous;
control characters are dropped; very long texts are cut to :data:`MAX_CHARS` characters.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

#: Texts are scored on at most this many characters (a 100k-character paste is cut, and noted).
MAX_CHARS = 4000

#: Lead bytes of multi-byte UTF-8 sequences as they look when read as cp1252/Latin-1 ("Ã¶" for "ö").
_MOJIBAKE_LEAD = re.compile(r"[\u00c2-\u00f4]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanText:
    """A text ready for scoring, with a note on what was done to it ('' when nothing)."""

    text: str
    note: str = ""


def repair_mojibake(text: str) -> str | None:
    """The text re-decoded as UTF-8 when it is UTF-8 that was read as cp1252/Latin-1; else ``None``.

    Genuine accented text ("schön") does not survive the round trip (its bytes are not valid UTF-8),
    so a strict decode that succeeds is the evidence of mojibake.
    """
    if not _MOJIBAKE_LEAD.search(text):
        return None
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != text:
            return fixed
    return None


def clean(value: object) -> CleanText:
    """Normalise one raw value (any type) into a :class:`CleanText`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return CleanText("", "empty")
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")
    text = str(value)
    notes = []
    if len(text) > 4 * MAX_CHARS:  # bound the work of the regexes below on huge inputs
        text = text[: 4 * MAX_CHARS]
    fixed = repair_mojibake(text)
    if fixed is not None:
        text = fixed
        notes.append("mojibake repaired")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return CleanText("", "empty")
    if text.count("\ufffd") > 0.2 * len(text):
        return CleanText("", "undecodable")
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        notes.append(f"truncated to {MAX_CHARS} characters")
    return CleanText(text, "; ".join(notes))


def mask_names(texts: list[str], names: tuple[str, ...] | list[str]) -> list[str]:
    """``texts`` with every whole-word mention of one of ``names`` (case-insensitive, longest first) taken out,
    for the sentiment and emotion heads: a brand's name is no opinion (TextAnalyzer's ``names``)."""
    names = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not names:
        return texts
    # a name stands alone among Latin letters and digits; beside Chinese characters (no spaces) it is masked too
    edge = r"0-9A-Za-z\u00C0-\u024F"
    pattern = re.compile(rf"(?<![{edge}])(?:" + "|".join(re.escape(n) for n in names) + rf")(?![{edge}])", re.IGNORECASE)
    return [pattern.sub(" ", t) if t else t for t in texts]
