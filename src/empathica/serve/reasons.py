"""Stored reasons said in the reader's language, for the API and the dashboard alike.

Analyses store a reason as a line (a quarantined row's ``reason``, a customer's churn ``reasons``); each is read as
findings (a message id plus values) and rendered through the report's catalogues: ``reason_shown`` for a quarantined
row, ``reasons_shown`` for a card's churn, detractor and CLV parts and for the rows of a result that declares the
column ``said`` (``schema/results.py``). What is stored stays as it is.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Callable

import pandas as pd

from empathica.listen.reasons import reason_finding
from empathica.report.i18n import LANGUAGES, Finding, render
from empathica.schema.results import Result
from empathica.serve.errors import ApiError
from empathica.understand.churn import reason_findings
from empathica.understand.empathy.conversations import quarantine_reason_findings

#: How a declared ``said`` column's stored line is read as findings, by the reading's name.
READINGS: dict[str, Callable[[str | None], list[dict]]] = {"churn_reasons": reason_findings,
                                                         "empathy_quarantine": quarantine_reason_findings}


def say(findings: list[dict], lang: str) -> list[str]:
    """Each finding (``{"id", "values"}``) as a sentence in ``lang``."""
    return [render(Finding(f["id"], f.get("values") or {}), lang=lang) for f in findings]


def quarantine_reason(row: dict, lang: str) -> dict:
    """A quarantined row with its reason as a finding (``reason_id``, ``reason_values``) and said in ``lang``
    (``reason_shown``); rows stored before the finding was have it read from ``reason``."""
    if row.get("reason_id"):
        finding = {"id": row["reason_id"], "values": json.loads(row.get("reason_values") or "{}")}
    else:
        finding = reason_finding(row.get("reason"))
    return {**row, "reason_id": finding["id"], "reason_values": finding["values"],
            "reason_shown": say([finding], lang)[0]}


def card_reasons(card: dict, lang: str) -> dict:
    """Add to the card's churn, CLV and detractor parts their reasons said in ``lang`` (``reasons_shown``, from
    ``reason_findings``) and ``reasons_language``; ``reasons`` stays as stored."""
    for part in (card.get(key) for key in ("churn", "clv", "detractor")):
        if part and "reason_findings" in part:
            part["reasons_shown"] = say(part["reason_findings"], lang)
            part["reasons_language"] = lang
    return card


def result_reasons(frame: pd.DataFrame, declared: Result, lang: str) -> pd.DataFrame:
    """``frame`` (rows of ``declared``) with ``<column>_shown`` beside each column the result declares ``said``: the
    stored line's findings as a list of sentences in ``lang``."""
    if not declared.said:
        return frame
    frame = frame.copy()
    for column, reading in declared.said:
        if column in frame.columns:
            frame[f"{column}_shown"] = [said_line(reading, v, lang) if isinstance(v, str) else [] for v in frame[column]]
    return frame


def said_line(reading: str, line: str, lang: str) -> list[str]:
    """A stored line of reasons (parts separated by ';') said in ``lang``, each part rendered once per process."""
    return [said for part in line.split(";") if part.strip() for said in _said_part(reading, part.strip(), lang)]


@lru_cache(maxsize=100_000)
def _said_part(reading: str, part: str, lang: str) -> tuple[str, ...]:
    # parts repeat across customers (a segment, a language, a low CSAT): Babel's formatting is the page's main cost
    return tuple(say(READINGS[reading](part), lang))


def shown_language(lang: str | None, default: str) -> str:
    """The language reasons are said in: ``lang`` (the request's ``?lang=``), else ``default``; another language is
    answered 400 naming ``lang``."""
    shown = lang or default
    if shown not in LANGUAGES:
        raise ApiError(400, "bad_language", f"lang {shown[:8]!r}; use one of {', '.join(LANGUAGES)}.", field="lang")
    return shown
