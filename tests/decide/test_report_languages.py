"""The report in German and Chinese, built from the store alone, shows no English sentence, no catalogue id left
untranslated and no internal (snake_case) name in its visible text (issue 19, "Findings, not sentences")."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.report.i18n import catalogue

#: Words of English sentences that are no names: one of them in German or Chinese text is English left over.
ENGLISH = re.compile(r"\b(the|of|and|with|per|are|is|not|each|which|from|their|this|were|scored|customers)\b")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


class _Visible(HTMLParser):
    """Text a reader sees, outside table cells (cells hold data: names and ids as the client gave them) and outside
    names marked ``translate="no"`` (a team, touchpoint or action named in a sentence, as the client wrote it)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.names: list[str] = []  # names in sentences: no English check, but an id (snake_case) is no name
        self._skip = 0
        self._spans: list[bool] = []  # per open span: is it a name (translate="no")

    def handle_starttag(self, tag, attrs):
        if tag == "span":
            self._spans.append(("translate", "no") in attrs)
        if tag in ("td", "style", "script", "code") or (tag == "span" and self._spans[-1]):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("td", "style", "script", "code") or (tag == "span" and self._spans and self._spans.pop()):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())
        elif self._skip == sum(self._spans) and self._spans and data.strip():
            self.names.append(data.strip())


def leftovers(html: str, lang: str) -> dict[str, list[str]]:
    """English fragments, untranslated catalogue ids and snake_case names in the visible text of ``html``."""
    parser = _Visible()
    parser.feed(html)
    ids = set(catalogue("en"))
    found: dict[str, list[str]] = {"english": [], "message_id": [], "snake_case": []}
    for text in parser.parts:
        if ENGLISH.search(text):
            found["english"].append(text[:120])
        found["message_id"] += [t for t in re.findall(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b", text) if t in ids]
        found["snake_case"] += SNAKE.findall(text)
    found["snake_case"] += [name for text in parser.names for name in SNAKE.findall(text)]
    return {k: sorted(set(v)) for k, v in found.items() if v}


def test_the_check_finds_english_ids_and_internal_names():
    html = ("<html><body><p>Die Kunden sind zufrieden.</p><p>Rows per table.</p><h2>value.clv_total</h2>"
            "<table><tr><th>team_id</th></tr><tr><td>team_contact_a</td></tr></table></body></html>")
    found = leftovers(html, "de")
    assert found["english"] == ["Rows per table."]
    assert "value.clv_total" in found["message_id"] and "team_id" in found["snake_case"]
    assert "team_contact_a" not in found["snake_case"]  # a cell: data
    assert leftovers("<p>Die Kunden sind zufrieden.</p>", "de") == {}
    # a name from the client's data is marked as such; the sentence around it is still read
    assert leftovers('<p>Team <span translate="no">Returns and refunds desk</span> ist gut.</p>', "de") == {}
    assert leftovers('<p><span>Returns</span> and <span translate="no">desk</span></p>', "de")["english"] == ["and"]
    assert leftovers('<p>Reibung von <span translate="no">web_checkout</span></p>', "de")["snake_case"] == ["web_checkout"]


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_the_report_in_german_and_chinese_has_no_english_and_no_internal_names(demo_store, tmp_path, lang):
    path, _ = demo_store
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    result = CliRunner().invoke(main, ["report", "--db", str(copy), "--out", str(tmp_path / lang), "--lang", lang])
    assert result.exit_code == 0, result.output
    assert leftovers((tmp_path / lang / "index.html").read_text(encoding="utf-8"), lang) == {}


def test_why_a_section_did_not_run_is_said_in_the_report_language():
    """A step that could not run says why through a message id (act without rules); a reason the code gave only in
    English is quoted as the program's message, inside ``<code>``, after a sentence in the reader's language."""
    from empathica.report import Finding, Section, render_report
    from empathica.report.archive import _line, _skipped

    stored = json.dumps(_line(Finding("act.not_run.no_rules")))  # as report_sections keeps it
    sections = [Section(key="act", title="Act", skipped=_skipped(stored)),
                Section(key="value", title="Value", skipped="too few customers: 3 (at least 50 needed).")]
    html = render_report(sections, title="t", lang="de")
    assert "Es sind noch keine Regeln geladen" in html
    assert "<code>too few customers: 3 (at least 50 needed).</code>" in html
    assert leftovers(html, "de") == {}
