"""Why a row was quarantined, as a finding: a stable reason code (a message id of the report catalogues) and its values.

Validation writes each refused row's ``reason`` as a short English code line (``customer_id not a whole number``,
``missing customer_id``, ``nps out of range 0–10``, ``channel not one of web, app``, ``unknown customer_id``,
``duplicate response_id in file``, ``malformed CSV row``, or a reader's own message). ``reason_finding`` reads such a
line as ``{"id": "quarantine.reason.<code>", "values": {...}}``; the quarantine table stores both (``reason_id``,
``reason_values``), so the report, the API and the dashboard render the reason in the reader's language. Field names
and allowed values stay as the schema and the file have them (they are what a person fixing the file looks for).
"""

from __future__ import annotations

import json
import re

#: The type a value should have had, by the words of validation's reason line (``_TYPE_WORDS``) → its code.
TYPES = {"a whole number": "int", "a number": "float", "true/false": "bool", "a timestamp": "timestamp",
         "a JSON object": "json"}
#: Reasons without a field, by their line.
FIXED = {"malformed CSV row": "quarantine.reason.malformed_csv", "not a JSON object": "quarantine.reason.not_object"}

_PATTERNS = (
    (re.compile(r"^missing (?P<field>\S+)$"), "quarantine.reason.missing"),
    (re.compile(r"^unknown (?P<field>\S+)$"), "quarantine.reason.unknown"),
    (re.compile(r"^duplicate (?P<field>\S+) in file$"), "quarantine.reason.duplicate"),
    (re.compile(r"^(?P<field>\S+) out of range (?P<range>.+)$"), "quarantine.reason.range"),
    (re.compile(r"^(?P<field>\S+) not one of (?P<allowed>.+)$"), "quarantine.reason.allowed"),
    (re.compile(r"^(?P<field>\S+) not (?P<type>" + "|".join(re.escape(w) for w in TYPES) + r")$"), "quarantine.reason.type"),
)


def reason_finding(reason: str | None) -> dict:
    """The finding of a quarantine ``reason`` line: ``{"id": message id, "values": {...}}`` (a reader's own message,
    which no code covers, is ``quarantine.reason.unreadable`` quoting it as the program's text)."""
    text = (reason or "").strip()
    if text in FIXED:
        return {"id": FIXED[text], "values": {}}
    for pattern, message_id in _PATTERNS:
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            if "type" in values:
                values["type"] = {"id": f"quarantine.type.{TYPES[values['type']]}"}
            return {"id": message_id, "values": values}
    return {"id": "quarantine.reason.unreadable", "values": {"detail": text}}


def reader_reason_sql(expr: str) -> tuple[str, str]:
    """SQL expressions (reason id, values as JSON text) of a reader's message held in SQL expression ``expr``."""
    known = " ".join(f"WHEN {_lit(line)} THEN {_lit(message_id)}" for line, message_id in FIXED.items())
    fixed = ", ".join(_lit(line) for line in FIXED)
    return (f"CASE {expr} {known} ELSE 'quarantine.reason.unreadable' END",
            f"CASE WHEN {expr} IN ({fixed}) THEN '{{}}' ELSE CAST(json_object('detail', {expr}) AS VARCHAR) END")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def stored(reason: str) -> tuple[str, str]:
    """``(reason_id, reason_values)`` as the quarantine table stores them for ``reason``."""
    finding = reason_finding(reason)
    return finding["id"], json.dumps(finding["values"], ensure_ascii=False)
