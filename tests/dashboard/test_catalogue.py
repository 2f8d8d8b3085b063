"""Every label and message the dashboard uses exists in the English, German and Chinese catalogues."""

from __future__ import annotations

import re
from importlib import resources

from empathica.report.i18n import LANGUAGES, catalogue, template_fields
from empathica.serve.web.render import message_ids

WEB = resources.files("empathica.serve.web")


def _literal_ids() -> set[str]:
    """Message ids written out in the templates (t('...')) and in the modules ("dashboard....")."""
    ids = set()
    for entry in WEB.joinpath("templates").iterdir():
        ids |= set(re.findall(r"t\('(dashboard\.[a-z_.]+[a-z_])'", entry.read_text(encoding="utf-8")))
    for entry in WEB.iterdir():
        if entry.name.endswith(".py"):
            ids |= set(re.findall(r'"(dashboard\.[a-z_]+\.[a-z_.]*[a-z_])"', entry.read_text(encoding="utf-8")))
    return ids


def test_every_message_the_dashboard_uses_is_in_all_three_catalogues():
    used = _literal_ids() | message_ids()
    assert len(used) > 150
    for lang in LANGUAGES:
        missing = sorted(m for m in used if m not in catalogue(lang))
        assert not missing, f"{lang}.po lacks {missing}"


def test_composed_ids_in_templates_have_their_names_listed():
    """A template that builds an id from a group and a name (label('nav', key)) is covered by message_ids()."""
    prefixes = set()
    for entry in WEB.joinpath("templates").iterdir():
        prefixes |= {f"dashboard.{g}." for g in re.findall(r"label\('([a-z_]+)', ", entry.read_text(encoding="utf-8"))}
    listed = message_ids() | _literal_ids()
    assert prefixes and all(any(m.startswith(p) for m in listed) for p in prefixes)


def test_translations_use_the_same_values_as_english():
    english = catalogue("en")
    for lang in ("de", "zh"):
        for message_id, template in catalogue(lang).items():
            if message_id.startswith("dashboard."):
                assert template_fields(template) == template_fields(english[message_id]), (lang, message_id)
