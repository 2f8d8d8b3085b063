"""The dashboard in a real browser: Debian's Chromium driven by Playwright (never a downloaded browser), against
a real server on loopback. Logs in as each role, switches language, applies a filter, follows a drill-down,
exports, and checks the numbers on screen against the stored rows; saves a screenshot of each page in each
language under ``test-output/dashboard/`` (or $EMPATHICA_TEST_OUTPUT)."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from empathica.report.i18n import LANGUAGES, catalogue, format_value
from empathica.schema import results as R
from tests.dashboard.conftest import PASSWORDS, open_served

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
PAGES = ("summary", "journeys", "voice", "empathy", "value", "act", "learn", "data")


def _output() -> Path:
    folder = Path(os.environ.get("EMPATHICA_TEST_OUTPUT", REPO / "test-output")) / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def live(dashboard_store_file, tmp_path_factory):
    """(base URL, Server): the app served by uvicorn on a free loopback port in a thread."""
    import uvicorn

    from empathica.serve import create_app

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    server = open_served(dashboard_store_file, tmp_path_factory.mktemp("browser"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    web = uvicorn.Server(uvicorn.Config(create_app(server), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert web.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", server
    web.should_exit = True
    thread.join(timeout=10)
    server.store.close()
    server.ops.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


#: The browser's own locale per page language (date inputs show the reader's format).
LOCALES = {"en": "en-GB", "de": "de-DE", "zh": "zh-CN"}


def _log_in(browser, base: str, name: str, *, width: int = 1280, locale: str = "en-GB"):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True, locale=locale)
    page = context.new_page()
    page.goto(f"{base}/ui/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("form.login button[type=submit]")
    page.wait_for_load_state()
    return context, page


#: What the browser's Intl writes for March 2024 per page language, and the month axis formatter it is read from.
MONTHS = {"en": "Mar 2024", "de": "März 2024", "zh": "2024年3月"}
MONTH_TICK = ("() => echarts.getInstanceByDom(document.querySelector('[data-chart=chart-sentiment_month]'))"
              ".getOption().xAxis[0].axisLabel.formatter('2024-03')")


def _charts_drawn(page) -> None:
    expected = page.locator("[data-chart]").count()
    page.wait_for_function(f"document.querySelectorAll('[data-drawn]').length === {expected}", timeout=15000)


def test_each_page_in_each_language_as_admin_with_screenshots(live, browser):
    base, _ = live
    out = _output()
    for lang in LANGUAGES:
        context, page = _log_in(browser, base, "root", locale=LOCALES[lang])
        for key in PAGES:
            page.goto(f"{base}/ui/{key}?lang={lang}")
            assert page.locator("html").get_attribute("lang").startswith(lang[:2])
            _charts_drawn(page)
            if key == "voice":  # month ticks are written by the browser's Intl in the page language
                assert page.evaluate(MONTH_TICK) == MONTHS[lang]
            page.screenshot(path=str(out / f"{key}-{lang}.png"), full_page=False)
        page.goto(f"{base}/ui/admin/users?lang={lang}")
        page.screenshot(path=str(out / f"users-{lang}.png"))
        context.close()
    assert len(list(out.glob("*.png"))) >= len(PAGES) * len(LANGUAGES)


def test_the_language_switch_keeps_the_page_and_the_users_choice(live, browser):
    base, _ = live
    context, page = _log_in(browser, base, "ana")
    page.goto(f"{base}/ui/journeys?lang=en")
    page.click("a[hreflang=de]")
    assert page.locator("h1").inner_text() == "Customer Journeys" and page.locator("html").get_attribute("lang") == "de"
    page.click("nav >> text=Stimme der Kunden")
    assert page.locator("html").get_attribute("lang") == "de"  # kept without ?lang
    page.click("a[hreflang=en]")
    context.close()


def test_a_filter_the_numbers_on_screen_and_the_export_equal_the_stored_rows(live, browser):
    base, server = live
    with server.reading() as store:
        risk = store.read_result(R.VALUE_REVENUE_AT_RISK)
    segment = risk["segment"].value_counts().index[0]
    expected = risk[risk.segment == segment].sort_values("revenue_at_risk", ascending=False).head(20)
    context, page = _log_in(browser, base, "ana")
    page.goto(f"{base}/ui/value?lang=en")
    page.select_option("form.filters select[name=segment]", segment)
    page.click("form.filters button[type=submit]")
    assert f"segment={segment}" in page.url
    panel = page.locator("#panel-revenue_at_risk")
    panel.locator("summary").click()
    cells = panel.locator("tbody tr td:nth-child(5)").all_inner_texts()
    currency = server.settings.currency
    assert cells == [format_value(v, "money", lang="en", currency=currency) for v in expected["revenue_at_risk"]]
    with page.expect_download() as download:
        panel.locator("a", has_text="CSV").click()
    exported = pd.read_csv(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert exported["customer_id"].tolist() == expected["customer_id"].tolist()
    context.close()


def test_a_drill_down_opens_the_texts_behind_a_bar(live, browser):
    base, server = live
    with server.reading() as store:
        by = store.read_result(R.TEXT_SENTIMENT_BY)
    row = by[by.dimension == "channel"].sort_values("texts", ascending=False).iloc[0]
    context, page = _log_in(browser, base, "vic")
    page.goto(f"{base}/ui/voice?lang=en")
    panel = page.locator("#panel-sentiment_channel")
    panel.locator("summary").click()
    panel.get_by_role("link", name=row["value"], exact=True).click()
    page.wait_for_url("**/ui/voice/texts?**")
    assert f"of {format_value(row['texts'], 'int', lang='en')} customer texts" in page.content()
    assert set(page.locator("table[data-panel=texts] tbody td:nth-child(3)").all_inner_texts()) == {row["value"]}
    page.screenshot(path=str(_output() / "drill-en.png"))
    context.close()


def test_a_team_lead_sees_only_their_team_and_a_tablet_needs_no_sideways_page_scroll(live, browser):
    base, server = live
    lead = server.ops.user("lead")
    context, page = _log_in(browser, base, "lead", width=820)
    assert f"team={lead.team_id}" in page.url
    page.locator("#panel-agents summary").click()
    teams = set(page.locator("#panel-agents tbody td:nth-child(3)").all_inner_texts())
    assert teams == {lead.team_id}
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.locator("nav a[href^='/ui/admin']").count() == 0
    page.goto(f"{base}/ui/voice")  # the team's own sentiment and topics, recomputed and said so
    assert page.locator("#panel-sentiment_touchpoint [data-scope=recomputed]").is_visible()
    assert page.locator("#panel-topics [data-scope=recomputed]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(f"{base}/ui/summary")  # the opportunities are the team's customers' share of the money: said so
    assert page.locator("#panel-opportunities [data-scope=recomputed]").is_visible()
    page.screenshot(path=str(_output() / "empathy-lead-tablet.png"))
    page.reload()
    page.keyboard.press("Tab")  # the first stop skips the navigation
    assert page.evaluate("document.activeElement.className") == "skip"
    context.close()




def test_two_segments_chosen_in_the_journeys_page_and_a_customers_page_in_each_language(live, browser):
    base, server = live
    with server.reading() as store:
        segments = sorted(store.to_pandas("customers").segment.dropna().unique())
    snapshot = server.act.snapshot
    customer = next(c for c in snapshot.index if (snapshot.card(c) or {}).get("opener"))
    out = _output()
    context, page = _log_in(browser, base, "ana", locale=LOCALES["de"])
    page.goto(f"{base}/ui/journeys?lang=de")
    form = page.locator("form.choose")
    form.locator("select[name=cohort]").select_option("segments")
    form.locator("select[name=a]").select_option(segments[0])
    form.locator("select[name=b]").select_option(segments[1])
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert f"a={segments[0]}" in page.url and f"b={segments[1]}" in page.url
    panel = page.locator("#panel-compare_custom")
    panel.locator("summary").click()
    assert set(panel.locator("tbody td:nth-child(3)").all_inner_texts()) == {segments[0]}
    headers = panel.locator("thead th").all_inner_texts()  # each cohort's median and p90 wait, in German
    assert "Median Minuten (A)" in headers and "90. Perzentil Minuten (B)" in headers
    _charts_drawn(page)
    page.locator("#panel-journey_map").screenshot(path=str(out / "journey-map-de.png"))
    for lang in LANGUAGES:  # the journeys page in each language is in the screenshot test above
        page.goto(f"{base}/ui/customers/{customer}?lang={lang}")
        _charts_drawn(page)
        assert page.locator("html").get_attribute("lang").startswith(lang[:2])
        assert page.locator("#panel-card-opener blockquote").inner_text().strip()
        emotion = (snapshot.card(customer).get("sentiment") or {}).get("last_emotion")
        if emotion:  # Act's code, written in the page language
            assert page.locator("[data-field=emotion]").inner_text() == catalogue(lang)[f"column.{emotion}"]
        assert not any("=" in r for r in page.locator("[data-field=churn_reasons] li").all_inner_texts())
        money = page.evaluate("() => window.empathicaTicks.number('money')(1234567)")  # value ticks: Intl, the currency
        assert money == page.evaluate(f"() => new Intl.NumberFormat('{lang}', {{style: 'currency', currency: "
                                      f"'{server.settings.currency}', notation: 'compact', maximumFractionDigits: 1}})"
                                      ".format(1234567)") and any(ch.isdigit() for ch in money)
        page.screenshot(path=str(out / f"card-{lang}.png"), full_page=True)
    context.close()


def test_hostile_parameters_and_texts_on_the_new_pages_never_run(live, browser):
    base, server = live
    hostile = '"><img src=x onerror="window.__ran=1">'
    context, page = _log_in(browser, base, "ana")
    ran = []
    page.on("dialog", lambda dialog: (ran.append(dialog.message), dialog.dismiss()))
    from urllib.parse import quote

    page.goto(f"{base}/ui/journeys?cohort=segments&a={quote(hostile)}&b=x&segment={quote(hostile)}")
    assert page.locator("img[src=x]").count() == 0  # escaped: no element made of it (the CSP would also stop the handler)
    assert page.locator(f"form.filters input[name=a][value='{hostile}']").count() == 1  # kept as a value, as text
    customer = next(iter(server.act.snapshot.index))
    page.goto(f"{base}/ui/customers/{customer}")
    card = page.locator("#panel-card-opener form")
    if card.count():
        card.locator("input[name=edited_text]").fill(hostile)
        card.locator("button[value=edited]").click()
        page.wait_for_load_state()
        assert page.locator("img[src=x]").count() == 0
    missing = page.goto(f"{base}/ui/customers/{quote(hostile, safe='')}")  # an unknown id: a 404 page, the id inert
    assert missing.status == 404 and page.locator("img[src=x]").count() == 0
    assert not ran and page.evaluate("() => window.__ran === undefined")
    context.close()
