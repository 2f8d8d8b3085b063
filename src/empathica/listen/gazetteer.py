"""The personal-data word lists and patterns (``pii_gazetteer.toml``), read once from the package."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

__all__ = ["gazetteer"]


@cache
def gazetteer() -> dict:
    """The parsed ``pii_gazetteer.toml``: names, streets and e-mail spellings per language."""
    text = resources.files("empathica.listen").joinpath("pii_gazetteer.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
