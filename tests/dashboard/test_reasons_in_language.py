"""Stored reasons are said in the reader's language wherever they are shown: the Data page's quarantine table and the
customer card (dashboard, in the page's language) and the rows of results with reasons (``GET /results/{name}?lang=``)
say them as the API does, from their findings, never as the stored English line (issue 19, "Findings, not sentences")."""

from __future__ import annotations

import html
import io
import re

import pandas as pd
import pytest

from empathica.report.i18n import Finding, render
from empathica.serve.reasons import card_reasons
from empathica.serve.web.manage import DATA_TABLES
from empathica.understand.churn import reason_findings
from tests.dashboard.conftest import PASSWORDS, log_in
from tests.dashboard.tables import page_tables

#: Words of the stored English lines (quarantine reasons, churn reasons): one in German or Chinese is left over.
ENGLISH = re.compile(r"\b(missing|unknown|duplicate|out of range|not one of|not a|whole number|weight|since|days|"
                     r"purchase|already lost)\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _token(client, name: str) -> dict:
    answer = client.post("/auth/login", json={"username": name, "password": PASSWORDS[name]})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_the_data_page_says_each_quarantine_reason_in_the_pages_language(dashboard, lang):
    client, _ = dashboard
    api = client.get("/quarantine", params={"lang": lang, "page_size": 1000}, headers=_token(client, "ana")).json()
    said = {(r["source_file"], str(r["line"])): r["reason_shown"] for r in api["rows"]}
    log_in(client, "ana")
    tables = page_tables(client.get(f"/ui/data?lang={lang}").text)
    rows = tables.tables["quarantine"]
    assert rows, "the demo world plants bad rows"
    columns = DATA_TABLES["quarantine"][2].split()
    file, line, reason = (columns.index(c) for c in ("source_file", "line", "reason"))
    for row in rows:
        assert row[reason] == said[(row[file], re.sub(r"\D", "", row[line]))], row
        assert not ENGLISH.search(row[reason]), row
    if lang == "zh":
        assert all(CJK.search(row[reason]) for row in rows)


@pytest.fixture(scope="module")
def a_card(dashboard):
    """A customer whose card has churn risk and CLV, each with reasons."""
    _, server = dashboard
    snapshot = server.act.snapshot
    for customer_id in snapshot.index:
        card = snapshot.card(customer_id)
        if card["churn"] and card["clv"] and card["churn"]["reasons"]:
            return customer_id, card
    pytest.fail("no customer of the demo store has churn reasons on the card")


def _listed(page: str, field: str) -> list[str]:
    part = page.split(f'data-field="{field}"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", part)]


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_the_card_page_says_the_churn_and_clv_reasons_in_the_pages_language(dashboard, a_card, lang):
    client, _ = dashboard
    customer_id, card = a_card
    log_in(client, "root")
    page = client.get(f"/ui/customers/{customer_id}?lang={lang}").text
    said = card_reasons({k: dict(v) if isinstance(v, dict) else v for k, v in card.items()}, lang)
    assert _listed(page, "churn_reasons") == said["churn"]["reasons_shown"]
    assert len(said["churn"]["reasons_shown"]) == len(card["churn"]["reasons"])
    assert _listed(page, "clv_reasons") == said["clv"]["reasons_shown"]
    for shown in said["churn"]["reasons_shown"] + said["clv"]["reasons_shown"]:
        assert not ENGLISH.search(shown) and "=" not in shown, shown
    if lang == "zh":
        assert CJK.search(" ".join(said["churn"]["reasons_shown"]))


def test_result_rows_say_their_stored_reasons_in_the_language_asked(dashboard):
    client, server = dashboard
    headers = _token(client, "ana")
    pages = {lang: client.get("/results/value_churn_scores", params={"lang": lang, "page_size": 50}, headers=headers).json()
             for lang in ("en", "de", "zh")}
    rows = pages["de"]["rows"]
    assert len(rows) == 50 and pages["de"]["language"] == "de"
    for lang, page in pages.items():  # a page asked in another language is not the cached one of the first
        assert [r["reasons"] for r in page["rows"]] == [r["reasons"] for r in rows]  # the stored line, unchanged
        for row in page["rows"]:
            expected = [render(Finding(f["id"], f["values"]), lang=lang) for f in reason_findings(row["reasons"])]
            assert row["reasons_shown"] == expected
    german = [s for r in rows for s in r["reasons_shown"]]
    assert german and not [s for s in german if ENGLISH.search(s)]
    assert CJK.search(" ".join(s for r in pages["zh"]["rows"] for s in r["reasons_shown"]))
    default = client.get("/results/value_churn_scores", params={"page_size": 5}, headers=headers).json()
    assert default["language"] == server.settings.report_language
    refused = client.get("/results/value_churn_scores", params={"lang": "fr"}, headers=headers)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "lang"
    exported = client.get("/results/value_churn_scores", params={"lang": "de", "format": "csv"}, headers=headers)
    frame = pd.read_csv(io.StringIO(exported.text), keep_default_na=False).set_index("customer_id")
    first = rows[0]
    assert frame.loc[first["customer_id"], "reasons_shown"] == "; ".join(first["reasons_shown"])
    plain = client.get("/results/value_churn_reliability", params={"lang": "de"}, headers=headers).json()
    assert plain["rows"] and not any(k.endswith("_shown") for k in plain["rows"][0])  # no reasons: nothing added
