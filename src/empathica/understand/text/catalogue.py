"""Keyword-pattern catalogues: the aspect (pain point) catalogue and the emotion cue lexicon.

Both are TOML files of regular expressions per id and language (see ``aspects.toml`` and
``emotion_lexicon.toml`` beside this module); a user file in the same format extends them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from empathica.errors import InputError

_HERE = Path(__file__).resolve().parent
ASPECTS_FILE = _HERE / "aspects.toml"
EMOTION_LEXICON_FILE = _HERE / "emotion_lexicon.toml"
_LANGS = ("en", "de", "zh", "emoji")


@dataclass
class PatternCatalogue:
    """Compiled patterns per id and language; ``match`` returns the ids a text carries, in catalogue order."""

    labels: dict[str, str] = field(default_factory=dict)
    patterns: dict[str, dict[str, re.Pattern]] = field(default_factory=dict)

    @classmethod
    def load(cls, *paths: str | Path | None) -> "PatternCatalogue":
        raw: dict[str, dict[str, list[str]]] = {}
        labels: dict[str, str] = {}
        for path in paths:
            if path is None or str(path) == "":
                continue
            path = Path(path)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise InputError(f"{path}: catalogue file not found; give an existing TOML file.") from None
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"{path}: not valid TOML ({exc}); fix the file.") from None
            for key, entry in data.items():
                if not isinstance(entry, dict):
                    raise InputError(f"{path}: [{key}] must be a table with en/de/zh pattern lists.")
                labels.setdefault(key, str(entry.get("label", key.replace("_", " ").capitalize())))
                for lang in _LANGS:
                    values = entry.get(lang, [])
                    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                        raise InputError(f"{path}: [{key}] {lang} must be a list of strings (regular expressions).")
                    raw.setdefault(key, {}).setdefault(lang, []).extend(values)
        catalogue = cls(labels=labels)
        for key, by_lang in raw.items():
            compiled = {}
            for lang, values in by_lang.items():
                if not values:
                    continue
                prefix = r"(?<!\w)" if lang in ("en", "de") else ""
                try:
                    compiled[lang] = re.compile("|".join(f"{prefix}(?:{v})" for v in values), re.IGNORECASE)
                except re.error as exc:
                    raise InputError(f"aspect/emotion [{key}] {lang}: a pattern is not a valid regular expression ({exc}).") from None
            catalogue.patterns[key] = compiled
        return catalogue

    @property
    def ids(self) -> list[str]:
        return list(self.patterns)

    def match(self, text: str, lang: str) -> list[str]:
        """Ids whose patterns match ``text`` (all languages when ``lang`` is not en/de/zh; emoji always)."""
        langs = (lang, "emoji") if lang in ("en", "de", "zh") else _LANGS
        found = []
        for key, by_lang in self.patterns.items():
            if any(l in by_lang and by_lang[l].search(text) for l in langs):
                found.append(key)
        return found

    def count(self, text: str, lang: str) -> dict[str, int]:
        """Number of pattern hits per id (used to weigh emotion cues)."""
        langs = (lang, "emoji") if lang in ("en", "de", "zh") else _LANGS
        counts = {}
        for key, by_lang in self.patterns.items():
            n = sum(len(by_lang[l].findall(text)) for l in langs if l in by_lang)
            if n:
                counts[key] = n
        return counts


def load_aspects(extra: str | Path | None = None) -> PatternCatalogue:
    """The shipped aspect catalogue, extended by ``extra`` when given."""
    return PatternCatalogue.load(ASPECTS_FILE, extra)


def load_emotion_lexicon() -> PatternCatalogue:
    return PatternCatalogue.load(EMOTION_LEXICON_FILE)
