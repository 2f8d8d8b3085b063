"""Every message the report can show exists in English, German and Chinese, with the same values."""

from __future__ import annotations

import re

import pytest

from empathica.report.i18n import LANGUAGES, Finding, catalogue, money, render, template_fields
from tests.conftest import REPO

SOURCES = [*(REPO / "src" / "empathica").rglob("*.py"), *(REPO / "src" / "empathica").rglob("*.html")]
#: Message ids in code: Finding("id", …), message_id="id", t("id", …), "id" literals of the decide package.
USED = re.compile(r"""(?:Finding\(|message_id=|\bt\(|caption_id=|FindingsTable\([^)]*?, |["']id["']:)\s*["']([a-z_]+\.[a-z_.]+)["']""")


FILE_TYPES = {"html", "csv", "json", "jsonl", "md", "po", "toml", "py", "txt", "png", "parquet", "duckdb", "gz", "xes"}
LITERAL = re.compile(r"""["']([a-z]+\.[a-z_]+(?:\.[a-z_]+)*)["']""")


def used_message_ids() -> set[str]:
    """Ids passed as messages, and every string literal shaped like a message id of a catalogue family."""
    families = {message_id.split(".")[0] for message_id in catalogue("en")}
    ids = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        ids |= set(USED.findall(text))
        ids |= {i for i in LITERAL.findall(text) if i.split(".")[0] in families and i.rsplit(".", 1)[1] not in FILE_TYPES}
    return ids


def test_every_used_message_has_a_translation_in_every_language():
    used = used_message_ids()
    assert {"decide.headline.top", "summary.item", "value.gate.detractor", "decide.opportunity.pathway"} <= used
    for lang in LANGUAGES:
        missing = sorted(used - set(catalogue(lang)))
        assert not missing, f"{lang}.po lacks {missing}"


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_catalogues_hold_the_same_messages_with_the_same_values(lang):
    english, other = catalogue("en"), catalogue(lang)
    assert set(english) == set(other), set(english) ^ set(other)
    for message_id, template in english.items():
        assert template_fields(template) == template_fields(other[message_id]), message_id
        if len(template) > 20:  # a sentence, not a bare value: it is translated, not copied
            assert template != other[message_id], f"{lang}: {message_id} is the English text"


def test_numbers_money_dates_and_percentages_follow_the_locale():
    f = Finding("summary.item", {"what": {"id": "decide.opportunity.team_engagement", "values": {"team": "Returns"}},
                                 "revenue": 12345.6, "revenue_low": 1000, "revenue_high": 23456.4, "customers": 1234,
                                 "owner": "Returns", "confidence": {"id": "grade.high"}})
    assert "€12,346" in render(f, lang="en") and "1,234 customers" in render(f, lang="en")
    assert "12.346 €" in render(f, lang="de") and "1.234 Kunden" in render(f, lang="de") and "hoch" in render(f, lang="de")
    assert "€12,346" in render(f, lang="zh") and "可信度高" in render(f, lang="zh")
    assert money(1500, lang="de", currency="CNY") == "1.500 CN¥"
    assert render(Finding("summary.freshness", {"latest": "2026-11-30"}), lang="de") == "Daten bis 30.11.2026."
    assert render(Finding("value.pct", {"v": 0.225}), lang="de") == "22\u00a0%"


def test_a_message_missing_everywhere_is_an_error_not_a_blank():
    with pytest.raises(KeyError, match="no message 'nope.missing'"):
        render(Finding("nope.missing"), lang="de")


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_no_message_id_is_written_twice_in_a_catalogue(lang):
    """A second msgid would silently replace the first when the catalogue is read."""
    text = (REPO / "src" / "empathica" / "report" / "locales" / f"{lang}.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid "(.+)"$', text, flags=re.MULTILINE)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
