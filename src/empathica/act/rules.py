"""Rules: declarative conditions on signals (feedback, conversations) or on any declared result, and what to do
when they hold — open a case, notify a team, tag the signal.

A rule file is TOML: ``[[rule]]`` tables (id, name, on, actions, priority, team, window, first_response,
resolution, escalate_to, tag, key, enabled) each with any number of ``[[rule.condition]]`` (field, op, value),
and optional ``[teams.<id>]`` tables (language, email, webhook). docs/act.md describes every field; the demo's
file is ``act/data/demo_rules.toml``. Every mistake is refused with the file, the line and the field, and what
would fix it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from empathica.errors import RuleError

ACTIONS = ("case", "notify", "tag")
PRIORITIES = ("low", "normal", "high", "urgent")
OPERATORS = ("==", "!=", ">", ">=", "<", "<=", "in", "not in", "contains")
SIGNAL_KINDS = ("conversation", "feedback")
LANGUAGES = ("en", "de", "zh")
#: A rule id, and a duration such as "90m", "4h", "30d", "2w".
_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Condition(NamedTuple):
    """One test on one field of a signal: ``field op value``."""

    field: str
    op: str
    value: Any

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value!r}"

    @classmethod
    def parse(cls, raw: Any, *, n: int, on: str, fields: set[str] | None, at) -> "Condition":
        """Condition ``n`` of a rule on ``on`` from its table; ``fields``: the names it may test (None: any);
        ``at(key)`` says where a key stands (file and line) for the error."""
        if not isinstance(raw, dict) or not {"field", "op", "value"} <= set(raw):
            raise RuleError(f"{at('field')}: condition {n + 1}: needs field, op and value.")
        name, op, value = raw["field"], raw["op"], raw["value"]
        if fields is not None and name not in fields:
            raise RuleError(f"{at('field')}: field {name!r} is not a field of {on} signals; they are {', '.join(sorted(fields))}.")
        if op not in OPERATORS:
            raise RuleError(f"{at('op')}: field op: {op!r} is not an operator; use one of {', '.join(OPERATORS)}.")
        if op in ("in", "not in") and not isinstance(value, list):
            raise RuleError(f"{at('value')}: field value: '{op}' needs a list, e.g. [\"de\", \"zh\"].")
        if op in (">", ">=", "<", "<=") and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise RuleError(f"{at('value')}: field value: '{op}' compares numbers; {value!r} is not a number.")
        return cls(field=name, op=op, value=value)


@dataclass(frozen=True)
class Rule:
    """A rule: on which signals, under which conditions, what to do."""

    rule_id: str
    name: str
    on: str
    conditions: tuple[Condition, ...]
    actions: tuple[str, ...] = ("case",)
    priority: str = "normal"
    team: str | None = None
    window: timedelta | None = None
    first_response: timedelta = timedelta(hours=8)
    resolution: timedelta = timedelta(days=3)
    escalate_to: str | None = None
    tag: str | None = None
    key: tuple[str, ...] = ()
    enabled: bool = True

    def as_dict(self) -> dict:
        """The rule as plain data (stored in the operational store, returned by the API)."""
        out = {"id": self.rule_id, "name": self.name, "on": self.on, "actions": list(self.actions),
                "priority": self.priority, "team": self.team, "window": _fmt(self.window),
                "first_response": _fmt(self.first_response), "resolution": _fmt(self.resolution),
                "escalate_to": self.escalate_to, "tag": self.tag, "key": list(self.key), "enabled": self.enabled,
                "condition": [{"field": c.field, "op": c.op, "value": c.value} for c in self.conditions]}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class Team:
    """A team's contact and language, from a rule file's ``[teams.<id>]``."""

    team_id: str
    language: str = "en"
    email: str | None = None
    webhook: str | None = None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    teams: tuple[Team, ...] = field(default=())


def parse_duration(text: Any, *, where: str) -> timedelta:
    """``"30d"``, ``"4h"``, ``"2w"``, ``"90m"`` as a timedelta; anything else is refused naming ``where``."""
    match = _DURATION.match(str(text)) if isinstance(text, str) else None
    if not match:
        raise RuleError(f"{where}: {text!r} is not a duration; write a number and a unit, e.g. \"90m\", \"4h\", \"30d\", \"2w\".")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def load_rules(path: str | Path, *, known_fields=None) -> RuleSet:
    """Read and check a TOML rule file; ``known_fields(on) -> set | None`` checks condition fields when given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the rule file ({exc.strerror}).") from None
    return parse_rules(text, source=str(path), known_fields=known_fields)


def parse_rules(text: str, *, source: str = "<rules>", known_fields=None) -> RuleSet:
    """Parse rule-file text; errors name ``source``, the line and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{source}: not valid TOML: {exc}.") from None
    unknown = sorted(set(data) - {"rule", "teams"})
    if unknown:
        raise RuleError(f"{source}, line {_line(text, unknown[0])}: unknown section {unknown[0]!r}; a rule file holds "
                        "[[rule]] tables and [teams.<id>] tables.")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise RuleError(f"{source}: 'rule' must be an array of tables: write each rule under [[rule]].")
    lines = _LineFinder(text)
    rules = [parse_rule(raw, where=_Where(source, lines, i), known_fields=known_fields) for i, raw in enumerate(raw_rules)]
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.rule_id in seen:
            raise RuleError(f"{source}, line {lines.rule_key(i, 'id')}: field id: rule {rule.rule_id!r} is defined twice; "
                            "give each rule its own id.")
        seen.add(rule.rule_id)
    teams = tuple(_team(source, text, name, raw) for name, raw in (data.get("teams") or {}).items())
    return RuleSet(rules=tuple(rules), teams=teams)


def parse_rule(raw: dict, *, where: "_Where | None" = None, known_fields=None) -> Rule:
    """One rule from its table (a rule file's ``[[rule]]`` or an API body)."""
    where = where or _Where("rule", None, 0)
    if not isinstance(raw, dict):
        raise RuleError(f"{where.at('id')}: a rule is a table of fields (id, name, on, condition ...).")
    allowed = {"id", "name", "on", "condition", "actions", "priority", "team", "window", "first_response",
               "resolution", "escalate_to", "tag", "key", "enabled"}
    extra = sorted(set(raw) - allowed)
    if extra:
        raise RuleError(f"{where.at(extra[0])}: field {extra[0]}: unknown; a rule's fields are {', '.join(sorted(allowed))}.")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleError(f"{where.at('id')}: field id: {rule_id!r} is not a rule id; use 1–80 letters, digits, '_', '-', '.'.")
    on = raw.get("on")
    if not isinstance(on, str) or not on:
        raise RuleError(f"{where.at('on')}: field on: say which signals the rule watches: {', '.join(SIGNAL_KINDS)} "
                        "or a declared result name.")
    conditions = _conditions(raw.get("condition"), on, where, known_fields)
    actions = raw.get("actions", ["case"])
    if isinstance(actions, str):
        actions = [actions]
    bad = [a for a in actions if a not in ACTIONS] if isinstance(actions, list) else [actions]
    if bad or not actions:
        raise RuleError(f"{where.at('actions')}: field actions: {bad[0] if bad else '[]'!r} is not an action; "
                        f"use one or more of {', '.join(ACTIONS)}.")
    priority = raw.get("priority", "normal")
    if priority not in PRIORITIES:
        raise RuleError(f"{where.at('priority')}: field priority: {priority!r}; use one of {', '.join(PRIORITIES)}.")
    if "tag" in actions and not isinstance(raw.get("tag"), str):
        raise RuleError(f"{where.at('actions')}: field tag: a rule whose actions include 'tag' needs tag = \"<label>\".")
    key = raw.get("key", [])
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        raise RuleError(f"{where.at('key')}: field key: a list of column names that identify one signal, e.g. [\"source\", \"target\"].")
    durations = {name: parse_duration(raw[name], where=f"{where.at(name)}: field {name}")
                 for name in ("window", "first_response", "resolution") if name in raw}
    if "first_response" in durations and "resolution" in durations and durations["first_response"] > durations["resolution"]:
        raise RuleError(f"{where.at('first_response')}: field first_response: longer than resolution; the first "
                        "response must be due before the resolution.")
    return Rule(rule_id=rule_id, name=str(raw.get("name") or rule_id), on=on, conditions=conditions,
                actions=tuple(dict.fromkeys(actions)), priority=priority, team=_opt_str(raw, "team", where),
                escalate_to=_opt_str(raw, "escalate_to", where), tag=raw.get("tag"), key=tuple(key),
                enabled=bool(raw.get("enabled", True)), **durations)


def _conditions(raw: Any, on: str, where: "_Where", known_fields) -> tuple[Condition, ...]:
    if raw is None or raw == []:
        raise RuleError(f"{where.at('id')}: field condition: a rule needs at least one [[rule.condition]] "
                        "(field, op, value).")
    if not isinstance(raw, list):
        raise RuleError(f"{where.at('condition')}: field condition: write each condition as a [[rule.condition]] table.")
    fields = known_fields(on) if known_fields else None
    if known_fields and fields is None:
        raise RuleError(f"{where.at('on')}: field on: {on!r} is neither a signal ({', '.join(SIGNAL_KINDS)}) nor a "
                        "declared result.")
    return tuple(Condition.parse(cond, n=n, on=on, fields=fields, at=where.condition(n)) for n, cond in enumerate(raw))


def _opt_str(raw: dict, name: str, where: "_Where") -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise RuleError(f"{where.at(name)}: field {name}: write a team id in quotes.")
    return value or None


def _team(source: str, text: str, name: str, raw: Any) -> Team:
    line = _line(text, f"teams.{name}")
    if not isinstance(raw, dict):
        raise RuleError(f"{source}, line {line}: teams.{name}: a table with language, email, webhook.")
    extra = sorted(set(raw) - {"language", "email", "webhook"})
    if extra:
        raise RuleError(f"{source}, line {line}: teams.{name}: field {extra[0]} is unknown; use language, email, webhook.")
    language = raw.get("language", "en")
    if language not in LANGUAGES:
        raise RuleError(f"{source}, line {line}: teams.{name}: field language: {language!r}; use one of {', '.join(LANGUAGES)}.")
    webhook = raw.get("webhook")
    if webhook is not None and not str(webhook).startswith(("http://", "https://")):
        raise RuleError(f"{source}, line {line}: teams.{name}: field webhook: {webhook!r} is not an http(s) URL.")
    return Team(team_id=name, language=language, email=raw.get("email"), webhook=webhook)


def _fmt(value: timedelta | None) -> str | None:
    if value is None:
        return None
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds / 60:g}m"


def _line(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


class _LineFinder:
    """Where each ``[[rule]]`` and ``[[rule.condition]]`` starts, and the line of a key inside them."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.rules: list[int] = []  # index of the [[rule]] header line
        self.conditions: list[list[int]] = []
        for i, line in enumerate(self.lines):
            stripped = line.strip().replace(" ", "")
            if stripped.startswith("[[rule]]"):
                self.rules.append(i)
                self.conditions.append([])
            elif stripped.startswith("[[rule.condition]]") and self.conditions:
                self.conditions[-1].append(i)

    def _key(self, start: int, key: str) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start + 1, len(self.lines)):
            if self.lines[i].lstrip().startswith("["):
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return start + 1

    def rule_key(self, rule: int, key: str) -> int:
        if rule >= len(self.rules):
            return 1
        return self._key(self.rules[rule], key)

    def condition_key(self, rule: int, condition: int, key: str) -> int:
        if rule >= len(self.conditions) or condition >= len(self.conditions[rule]):
            return self.rule_key(rule, "condition")
        return self._key(self.conditions[rule][condition], key)


class _Where:
    """Formats 'file, line N, rule ID' for one rule of a file (or 'rule' for an API body)."""

    def __init__(self, source: str, lines: _LineFinder | None, index: int) -> None:
        self.source, self.lines, self.index = source, lines, index

    def at(self, key: str) -> str:
        if self.lines is None:
            return self.source
        return f"{self.source}, line {self.lines.rule_key(self.index, key)} (rule {self.index + 1})"

    def condition(self, n: int):
        def at(key: str) -> str:
            if self.lines is None:
                return f"{self.source}, condition {n + 1}"
            return f"{self.source}, line {self.lines.condition_key(self.index, n, key)} (rule {self.index + 1})"
        return at
