import matplotlib.pyplot as plt
import pandas as pd

from empathica.report import Metric, Paragraph, Section, TableBlock, figure_from_matplotlib, render_report, write_report


def test_report_is_self_contained_and_shows_every_block(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    section = Section(key="journeys", title="Journeys", summary=["web_checkout → call_centre has the most friction"])
    section.add(
        Metric("journeys", "1,234", "events table"),
        Paragraph("Friction <combines> drop-off & delay."),
        TableBlock(pd.DataFrame({"pathway": ["a → b"], "friction": [1.23456]}), "Top pathways", source="result_journey_friction"),
        figure_from_matplotlib(fig, "Journey map"),
    )
    skipped = Section(key="value", title="Value", skipped="no transactions in the store")
    path = write_report(tmp_path / "out", [section, skipped], title="Test report", meta={"store": "x.duckdb"})
    html = path.read_text(encoding="utf-8")
    assert path.name == "index.html"
    assert "data:image/png;base64," in html
    assert "<script src=" not in html and "<link" not in html  # nothing fetched from elsewhere
    assert "Friction &lt;combines&gt; drop-off &amp; delay." in html  # user text is escaped
    assert "1.235" in html and 'title="result_journey_friction"' in html  # traceable on hover, not in the text
    assert "Not run on this data; the program&#39;s message (in English): <code>no transactions in the store</code>" in html
    assert html.index('id="journeys"') < html.index('id="value"')


def test_long_tables_say_they_are_cut():
    frame = pd.DataFrame({"n": range(40)})
    html = render_report([Section(key="s", title="S", blocks=[TableBlock(frame, "many", source="t", max_rows=10)])], title="T")
    assert "First 10 of 40 rows" in html
    assert "<td>39</td>" not in html


def test_missing_values_show_as_blank_cells_not_nan():
    frame = pd.DataFrame({"touchpoint": ["web", "app"], "satisfaction": [3.5, float("nan")]})
    html = render_report([Section(key="s", title="S", blocks=[TableBlock(frame, "t")])], title="T")
    assert "NaN" not in html and "nan" not in html.lower().replace("nanum", "")
    assert "3.500" in html
