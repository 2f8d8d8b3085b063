"""The agent's page of a customer (Act's context card): what it shows equals the card, the opener is marked used,
edited or rejected, scoped users open only their customers, and hostile text stays text. Stored reasons are said in
the reader's language as the API says them: the card's, the Data page's quarantine reasons, and result rows'."""

from __future__ import annotations

import html as html_text
import io
import re

import pandas as pd
import pytest

from empathica.report.i18n import Finding, catalogue, format_value, render
from empathica.schema import results as R
from empathica.serve.reasons import card_reasons
from empathica.serve.web.card import card_view
from empathica.serve.web.formats import Words
from empathica.serve.web.manage import DATA_TABLES
from empathica.serve.web.render import ENV, Page
from empathica.store.operational import User
from empathica.understand.churn import reason_findings
from tests.dashboard.conftest import PASSWORDS, log_in
from tests.dashboard.tables import page_tables


@pytest.fixture(scope="module")
def a_card(dashboard):
    """A customer whose card has an opener, churn risk, CLV and a journey."""
    _, server = dashboard
    snapshot = server.act.snapshot
    for customer_id in snapshot.index:
        card = snapshot.card(customer_id)
        if card["opener"] and card["churn"] and card["clv"] and card["journey"] and card["pain_points"]:
            return customer_id, card
    pytest.fail("no customer of the demo store has a full card")


def _field(html: str, name: str) -> str:
    return re.search(rf'data-field="{name}">(.*?)</', html, re.S).group(1).strip()


def test_the_card_page_shows_the_card_in_the_readers_language(dashboard, a_card):
    client, server = dashboard
    customer_id, card = a_card
    log_in(client, "root")
    html = client.get(f"/ui/customers/{customer_id}?lang=de").text
    currency = server.settings.currency
    assert _field(html, "p_churn") == format_value(card["churn"]["p_churn"], "pct", lang="de")
    assert _field(html, "clv") == format_value(card["clv"]["clv"], "money", lang="de", currency=currency)
    german = catalogue("de")  # the codes Act stores (emotion, aspects, model inputs) in the reader's language
    assert _field(html, "emotion") == german[f"column.{card['sentiment']['last_emotion']}"]
    assert re.findall(r"<li>(.*?)</li>", html.split('data-field="pain_points"', 1)[1].split("</ul>", 1)[0]) == \
        [german.get(f"aspect.{p}", p) for p in card["pain_points"]]
    reasons = re.findall(r"<li>(.*?)</li>", html.split('data-field="churn_reasons"', 1)[1].split("</ul>", 1)[0])
    assert len(reasons) == len(card["churn"]["reasons"])  # said from their findings: tests/dashboard/test_card_page.py
    for shown, stored in zip(reasons, card["churn"]["reasons"]):
        name = german["churn.feature." + stored.split("=", 1)[0]]
        assert shown.startswith(f"{name}: ") and "=" not in shown, (shown, stored)
    journey = page_tables(html).tables["card_journey"]
    assert [r[1] for r in journey] == [e["touchpoint"] for e in card["journey"]]
    assert "Warum: die empathischste echte Antwort" in html and card["opener"]["opener_id"] in html
    assert 'id="chart-card-sentiment"' in html


def test_the_act_page_links_each_case_to_its_customers_card(dashboard):
    client, _ = dashboard
    log_in(client, "vic")
    links = page_tables(client.get("/ui/act?lang=en").text).links["live_cases"]
    assert links and all(link.startswith("/ui/customers/") for link in links)
    assert client.get(links[0]).status_code == 200
    found = client.get("/ui/customers?customer_id=" + links[0].rsplit("/", 1)[1], follow_redirects=False)
    assert found.headers["location"] == links[0]


def test_the_opener_is_marked_used_edited_or_rejected(dashboard, a_card):
    client, server = dashboard
    customer_id, card = a_card
    opener_id = card["opener"]["opener_id"]
    log_in(client, "ana")
    url = f"/ui/customers/{customer_id}/opener"
    used = client.post(url, data={"opener_id": opener_id, "verdict": "used"}, follow_redirects=False)
    assert used.headers["location"].endswith("?opener=used")
    bad = client.post(url, data={"opener_id": opener_id, "verdict": "edited"}, follow_redirects=False)
    assert bad.headers["location"].endswith("?opener=failed")  # an edited opener needs the text said instead
    client.post(url, data={"opener_id": opener_id, "verdict": "edited", "edited_text": "Sorry about that!"})
    mine = [f for f in server.act.cases.opener_feedback() if f["customer_id"] == customer_id and f["username"] == "ana"]
    assert [(f["verdict"], f["edited_text"]) for f in mine] == [("used", None), ("edited", "Sorry about that!")]
    assert "Vermerkt: Einstieg verwendet." in client.get(f"/ui/customers/{customer_id}?lang=de&opener=used").text


def test_a_team_lead_opens_only_their_customers_cards(dashboard):
    client, server = dashboard
    lead = server.ops.user("lead")
    with server.reading() as store:
        turns, conversations, employees = store.to_pandas("turns"), store.to_pandas("conversations"), store.to_pandas("employees")
    agents = set(employees[employees.team_id == lead.team_id].employee_id)
    served = set(conversations[conversations.conversation_id.isin(turns[turns.agent_id.isin(agents)].conversation_id)].customer_id)
    outside = next(c for c in server.act.snapshot.index if c not in served)
    inside = next(c for c in server.act.snapshot.index if c in served)
    log_in(client, "lead")
    assert client.get(f"/ui/customers/{inside}").status_code == 200
    assert client.get(f"/ui/customers/{outside}").status_code == 403
    assert client.post(f"/ui/customers/{outside}/opener", data={"opener_id": "x", "verdict": "used"}).status_code == 403
    unknown = client.get("/ui/customers/no-such-customer?lang=de")  # a customer id no one has: not found, for anyone
    assert unknown.status_code == 404 and "Kein Kunde hat diese ID" in unknown.text
    log_in(client, "vic")
    assert client.get("/ui/customers/no-such-customer").status_code == 404


def test_reasons_are_written_from_their_codes_and_unknown_ones_fall_back():
    from empathica.serve.web.card import reason_text

    zh, de = Words("zh", "EUR"), Words("de", "EUR")
    assert reason_text("csat_min=1 (+0.40)", de) == "Niedrigster CSAT: 1 (+0,40)"
    assert reason_text("days_since_purchase=123.456 (+0.12)", de) == "Tage seit dem letzten Kauf: 123,46 (+0,12)"
    assert reason_text("segment=loyal (+0.30)", zh).startswith(catalogue("zh")["dashboard.column.segment"] + "：loyal")
    assert reason_text("already lost (churned_at set)", de) == catalogue("de")["dashboard.reason.already_lost"]
    assert reason_text({"code": "refunds", "value": 3, "weight": 0.2}, de) == "Erstattungen: 3 (+0,20)"
    assert reason_text("a_new_input=x (+0.10)", de) == "a_new_input: x (+0,10)"  # no label yet: the code, not an error
    assert reason_text("free text from elsewhere", de) == "free text from elsewhere"
    assert reason_text("status=active", de) == "Status: aktiv"  # a CLV reason's value that is a code
    assert reason_text({"message_id": "no.such.message", "values": {"x": 1}}, de) == "no.such.message"


HOSTILE = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'


def test_hostile_text_on_the_card_is_escaped():
    words = Words("zh", "EUR")
    card = {"customer_id": HOSTILE, "language": HOSTILE, "segment": "s", "region": "r",
            "journey": [{"timestamp": "2024-01-02T00:00:00", "touchpoint": HOSTILE, "channel": "web"}],
            "open_cases": [{"case_id": 1, "title": HOSTILE, "priority": "high", "status": "open", "resolution_due": None}],
            "sentiment": {"points": [{"timestamp": "2024-01-02", "sentiment": -0.5, "emotion": HOSTILE}], "trend": None,
                          "last": -0.5, "last_emotion": HOSTILE},
            "pain_points": [HOSTILE], "values": [{"timestamp": None, "question": HOSTILE, "answer": HOSTILE}],
            "churn": {"p_churn": 0.5, "reasons": [HOSTILE]}, "clv": {"clv": 10.0, "p_alive": 0.5, "reasons": [HOSTILE]},
            "opener": {"opener_id": HOSTILE, "text": HOSTILE, "reason_values": {"empathy": 0.9, "agent_id": HOSTILE,
                                                                                "language": "zh", "same_pain_point": HOSTILE}}}
    page = Page("card", User(1, "u", "viewer"), words)
    html = ENV.get_template("card.html").render(page=page, t=words.t, label=words.label, lang="zh", nav=[], here="/ui/x",
                                               languages=[], fields=(), user=page.user, card=card_view(card, words),
                                               customer_id=HOSTILE, opener_done="")
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;img src=x" in html


# -- reasons said in the reader's language (issue 19): the Data page's quarantine table, the card, result rows ------
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


def _listed(page: str, field: str) -> list[str]:
    part = page.split(f'data-field="{field}"', 1)[1].split("</ul>", 1)[0]
    return [html_text.unescape(item) for item in re.findall(r"<li>(.*?)</li>", part)]


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


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_the_value_pages_revenue_at_risk_says_its_reasons_in_the_pages_language(dashboard, lang):
    client, server = dashboard
    with server.reading() as store:
        risk = store.read_result(R.VALUE_REVENUE_AT_RISK)
    stored = risk.set_index("customer_id")["reasons"]
    log_in(client, "ana")
    rows = page_tables(client.get(f"/ui/value?lang={lang}").text).tables["revenue_at_risk"]
    assert rows, "the demo world has revenue at risk"
    for row in rows:
        customer_id, shown = row[0], row[-1]
        expected = [render(Finding(f["id"], f["values"]), lang=lang) for f in reason_findings(stored[customer_id])]
        assert expected and shown == "; ".join(expected), row
        assert not ENGLISH.search(shown) and "=" not in shown, row
    if lang == "zh":
        assert all(CJK.search(row[-1]) for row in rows)
