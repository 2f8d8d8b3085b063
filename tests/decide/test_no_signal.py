"""Quality gates on a world where the signal is absent: the demo world with who left shuffled among the customers.

Shuffling ``customers.churned_at`` keeps every finding (friction, complaints, empathy, teams) and the churn
rate but cuts every link between them and who leaves. Valuing any fix in money would then be reading noise:
the models validate near chance, no opportunity and no total shows money, no headline names one, and the
report says what is missing and why.
"""

from __future__ import annotations

import shutil

import pytest

from empathica.report import Finding
from empathica.report.archive import load_sections
from empathica.report.html import render_report
from empathica.report.summary import executive_summary
from empathica.schema.results import DECIDE_MODEL, DECIDE_OPPORTUNITIES, DECIDE_PROTECT, DECIDE_SCENARIOS, VALUE_TOTALS

SHUFFLE = """
CREATE OR REPLACE TEMP TABLE shuffled AS
SELECT a.customer_id, b.churned_at
FROM (SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS n FROM customers) a
JOIN (SELECT churned_at, row_number() OVER (ORDER BY hash(customer_id || 'no signal')) AS n FROM customers) b USING (n);
UPDATE customers SET churned_at = shuffled.churned_at FROM shuffled WHERE customers.customer_id = shuffled.customer_id;
"""


@pytest.fixture(scope="module")
def no_signal(demo_store, tmp_path_factory):
    """A copy of the demo store with churn shuffled, its value and decide steps run again."""
    from empathica.flywheel import run_flywheel
    from empathica.settings import Settings
    from empathica.store import Store

    path, _ = demo_store
    copy = tmp_path_factory.mktemp("nosignal") / "shuffled.duckdb"
    shutil.copy(path, copy)
    settings = Settings.load(config_file=copy.parent / "none.toml", progress=False)
    with Store.open(copy, settings=settings) as store:
        before = store.query("SELECT count(churned_at) AS n FROM customers")["n"].iloc[0]
        store.raw_sql(SHUFFLE)
        assert store.query("SELECT count(churned_at) AS n FROM customers")["n"].iloc[0] == before  # same churn rate
        run_flywheel(store, settings=settings, only=["value", "decide"])
    with Store.open(copy, settings=settings, read_only=True) as store:
        yield store


def test_a_churn_model_near_chance_values_nothing_in_money(no_signal):
    model = no_signal.read_result(DECIDE_MODEL).iloc[0]
    assert model["roc_auc"] < 0.6 and not model["usable"]
    ranking = no_signal.read_result(DECIDE_OPPORTUNITIES)
    assert len(ranking) and not ranking["money_shown"].any() and (ranking["confidence"] == "low").all()
    assert not no_signal.read_result(DECIDE_SCENARIOS)["money_shown"].any()


def test_no_headline_names_money_and_the_report_says_why(no_signal):
    sections = {s.key: s for s in load_sections(no_signal)}
    decide = [line for line in sections["decide"].summary if isinstance(line, Finding)]
    assert [f.message_id for f in decide] == ["decide.gate.model"]
    summary = executive_summary(no_signal)
    assert summary.items == [] and summary.notes[0].message_id == "decide.gate.model"
    html = render_report(list(sections.values()), title="T", summary=summary, lang="en")
    start = html.index('id="summary"')
    shown = html[start:html.index("</section>", start)]
    assert "too close to chance" in shown and "€" not in shown


def test_totals_from_a_churn_model_near_chance_are_withheld_with_the_reason(no_signal):
    totals = no_signal.read_result(VALUE_TOTALS).set_index("total")
    assert totals.loc["clv", "shown"] and totals.loc["clv", "revenue_low"] < totals.loc["clv", "revenue"] < totals.loc["clv", "revenue_high"]
    risk = totals.loc["revenue_at_risk"]
    value = {s.key: s for s in load_sections(no_signal)}["value"]
    ids = [f.message_id for f in value.summary if isinstance(f, Finding)]
    if risk["model_auc"] < 0.6:  # the value step's time-validated churn model on shuffled churn
        assert not risk["shown"] and "value.gate.churn" in ids and "value.revenue_at_risk" not in ids
        at_risk = no_signal.read_result(DECIDE_PROTECT)
        assert not at_risk["money_shown"].any()
    else:
        assert risk["shown"] and "value.revenue_at_risk" in ids
