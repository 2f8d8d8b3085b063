"""Untrusted text (quotes, names, values) never becomes markup or script in a dashboard page."""

from __future__ import annotations

import json

import pandas as pd

from empathica.serve.query import Filters
from empathica.serve.web.charts import as_json
from empathica.serve.web.formats import Words
from empathica.serve.web.panels import PANELS, PanelRows
from empathica.serve.web.render import ENV, Page, panel_view
from empathica.serve.web.session import PageFilters
from empathica.store.operational import User

HOSTILE = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'


def test_hostile_text_in_cells_and_chart_labels_is_escaped():
    words = Words("en", "EUR")
    frame = pd.DataFrame({"aspect": [HOSTILE], "negative_mentions": [3], "share_of_negative_units": [0.5],
                          "languages": ["en"], "quotes": [json.dumps([HOSTILE])]})
    filters = PageFilters({}, Filters(), None)
    view = panel_view(PANELS["pain_points"], PanelRows(frame, []), words, filters)
    html = ENV.get_template("panel.html").render(panel=view, t=words.t)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;img src=x" in html
    payload = html.split('type="application/json" id="chart-pain_points">', 1)[1].split("</script>", 1)[0]
    assert "<" not in payload and json.loads(payload)["yAxis"]["data"][0].startswith("<img")


def test_chart_json_cannot_close_its_script_element():
    text = as_json({"label": "</script><script>alert(1)</script> & more"})
    assert "</script" not in text and "<" not in text and "&" not in text
    assert json.loads(text)["label"].startswith("</script>")


def test_a_hostile_user_name_is_escaped_in_the_header():
    words = Words("de", "EUR")
    page = Page("forbidden", User(1, "<b>x</b>", "viewer"), words, extra={"reason": "dashboard.forbidden.role"})
    html = ENV.get_template("forbidden.html").render(page=page, t=words.t, label=words.label, lang="de", nav=[], here="/ui/x",
                                                      languages=[], fields=(), user=page.user, reason="dashboard.forbidden.role")
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
