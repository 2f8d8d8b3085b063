"""Per-locale cue files: TOML tables of kind → language → regular expressions (distress, resolution).

A cue file is data, so a client's vocabulary or a new locale is a file, not a code change. Patterns are
matched case-insensitively; in en/de a pattern that begins with a letter starts at a word start ("late"
is not found in "translate"). A kind may carry ``weight = <number>`` (default 1): how much one hit of that
kind counts (``kind_weights``); a negative weight counts against (distress's ``praise``).
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from empathica.errors import InputError

LANGUAGES = ("en", "de", "zh")


@lru_cache(maxsize=16)
def load_cue_file(path: Path) -> dict[str, dict[str, re.Pattern]]:
    """Kind → language → one compiled pattern; an unreadable file or pattern is an :class:`InputError`."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the cue file ({exc}); fix the TOML or point to another file.") from exc
    cues: dict[str, dict[str, re.Pattern]] = {}
    for kind, per_language in raw.items():
        _weight(path, kind, per_language)
        cues[kind] = {}
        for lang in LANGUAGES:
            patterns = per_language.get(lang, [])
            if not patterns:
                continue

            def start(p: str, lang: str = lang) -> str:
                return r"(?<!\w)" if lang != "zh" and re.match(r"\w", p) else ""
            try:
                cues[kind][lang] = re.compile("|".join(f"{start(p)}(?:{p})" for p in patterns), re.I)
            except re.error as exc:
                raise InputError(f"{path}: [{kind}] {lang}: a pattern is not a valid regular expression ({exc}).") from exc
    return cues


def kinds_in(text: str, language: str, cues: dict[str, dict[str, re.Pattern]]) -> list[str]:
    """The kinds of cue ``text`` holds, in the file's order (each kind once)."""
    lang = language if language in LANGUAGES else "en"
    return [kind for kind, per_language in cues.items() if lang in per_language and per_language[lang].search(text)]


def _weight(path: Path, kind: str, per_language: dict) -> float:
    weight = per_language.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise InputError(f"{path}: [{kind}] weight = {weight!r} is not a number; write e.g. weight = 0.5.")
    return float(weight)


@lru_cache(maxsize=16)
def kind_weights(path: Path) -> dict[str, float]:
    """Kind → how much one hit of it counts (the kind's ``weight``, default 1), in the file's order."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {kind: _weight(path, kind, per_language) for kind, per_language in raw.items()}
