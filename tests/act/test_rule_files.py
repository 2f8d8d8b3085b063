"""Rule files: what a good file gives, and every mistake refused with its line and field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from empathica.act.engine import load_rule_file
from empathica.act.rules import RuleError, parse_duration, parse_rules
from empathica.act.service import demo_rules_path
from empathica.act.signals import signal_fields

from tests.act.conftest import RULES


def parse(text: str):
    return parse_rules(text, source="rules.toml", known_fields=signal_fields)


def test_a_rule_file_gives_rules_with_conditions_actions_slas_and_teams():
    ruleset = parse(RULES)
    first, second = ruleset.rules
    assert [c.describe() for c in first.conditions] == ["distress >= 0.6", "empathy_gap == True"]
    assert first.actions == ("case", "tag") and first.tag == "call back" and first.priority == "high"
    assert first.first_response == timedelta(hours=4) and first.resolution == timedelta(days=2)
    assert first.escalate_to == "team_leads"
    assert second.window == timedelta(days=60) and second.team == "team_care" and second.actions == ("case",)
    assert {t.team_id: t.language for t in ruleset.teams} == {"team_care": "de", "team_leads": "en"}


def test_the_shipped_demo_rules_load():
    ruleset = load_rule_file(demo_rules_path())
    assert {r.rule_id for r in ruleset.rules} >= {"distress_without_empathy", "friction_pathway"}


_BROKEN = [  # (text replaced, its replacement, words of the message); the line is where the replacement sits
    ('field = "distress"', 'field = "distres"', "'distres' is not a field of conversation"),
    ('op = ">="', 'op = "=>"', "field op"),
    ('value = 0.6', 'value = "high"', "compares numbers"),
    ('priority = "high"', 'priority = "critical"', "field priority"),
    ('first_response = "4h"', 'first_response = "4 hours"', "field first_response"),
    ('resolution = "2d"', 'resolution = "2h"', "longer than resolution"),
    ('actions = ["case", "tag"]', 'actions = ["case", "page"]', "field actions"),
    ('on = "feedback"', 'on = "tweets"', "field on"),
    ('id = "detractor"', 'id = "distress_without_empathy"', "defined twice"),
    ('window = "60d"', 'windw = "60d"', "field windw"),
]


@pytest.mark.parametrize("old, new, words", _BROKEN)
def test_a_mistake_is_refused_with_its_line_and_field(old, new, words):
    broken = RULES.replace(old, new, 1)
    at = "first_response" if "longer than" in words else new.split(" =")[0].strip()
    lines = [n for n, text in enumerate(broken.splitlines(), 1)
             if text.strip().startswith(at) and (at not in ("id", "field", "op", "value", "on") or text.strip() == new)]
    line = lines[-1]  # a duplicate id is reported where it is repeated
    with pytest.raises(RuleError) as caught:
        parse(broken)
    message = str(caught.value)
    assert re.match(rf"rules.toml, line {line}\b", message), message
    assert words in message


def test_a_team_mistake_names_the_team_and_its_line():
    with pytest.raises(RuleError, match=r"rules.toml, line 2: teams.team_care: field language: 'fr'"):
        parse(RULES.replace('language = "de"', 'language = "fr"'))


def test_broken_toml_names_the_line():
    with pytest.raises(RuleError, match=r"rules.toml: not valid TOML: .*line 3"):
        parse('[[rule]]\nid = "a"\non = \n')


def test_a_rule_needs_a_condition():
    with pytest.raises(RuleError, match="at least one"):
        parse('[[rule]]\nid = "a"\non = "feedback"\n')


def test_durations():
    assert parse_duration("90m", where="x") == timedelta(minutes=90)
    assert parse_duration("2w", where="x") == timedelta(weeks=2)
    with pytest.raises(RuleError, match="x: 'soon' is not a duration"):
        parse_duration("soon", where="x")
