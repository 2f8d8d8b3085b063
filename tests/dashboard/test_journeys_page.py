"""The journeys page: the journey map (stages × touchpoints) and a cohort comparison chosen in the page — any two
segments, or journeys started before / after a date — equal to the same comparison computed from the events."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from empathica.flywheel.steps.journeys import store_events
from empathica.report.i18n import format_value
from empathica.schema import results as R
from empathica.understand.journeys import before_after_cohorts, compare_cohorts, journey_steps
from tests.dashboard.conftest import log_in
from tests.dashboard.tables import page_tables


@pytest.fixture(scope="module")
def steps(dashboard):
    """The store's journey steps, read from the events again (not from the counts the page uses)."""
    _, server = dashboard
    with server.reading() as store:
        yield store, journey_steps(store_events(store), goal=None)


def _shares(frame: pd.DataFrame, lang: str = "en") -> dict[tuple[str, str], tuple[str, str]]:
    return {(r.source, r.target): (format_value(r.share_a, "pct", lang=lang), format_value(r.share_b, "pct", lang=lang))
            for r in frame.itertuples()}


def _on_page(rows: list[list[str]]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r[0], r[1]): (r[3], r[5]) for r in rows}


def test_any_two_segments_compared_in_the_page_equal_the_comparison_from_the_events(dashboard, steps):
    client, _ = dashboard
    store, journey = steps
    customers = store.table("customers")
    counts = customers.group_by("segment").aggregate(n=customers.count()).order_by(customers.count().desc()).to_pandas()
    a, b = counts["segment"].iloc[0], counts["segment"].iloc[1]
    cases = journey.select("case", "customer").distinct()
    labels = cases.join(customers, cases.customer == customers.customer_id).select("case", cohort="segment")
    expected = compare_cohorts(journey, labels, cohort_a=a, cohort_b=b)
    log_in(client, "ana")
    html = client.get(f"/ui/journeys?lang=en&cohort=segments&a={a}&b={b}").text
    shown = page_tables(html).tables["compare_custom"]
    assert shown and {(r[2], r[4]) for r in shown} == {(a, b)}
    page = _on_page(shown)
    assert all(page[k] == v for k, v in _shares(expected).items() if k in page)
    assert len(shown) == min(15, len(expected))
    export = pd.read_csv(io.BytesIO(client.get(f"/ui/export/compare_custom.csv?cohort=segments&a={a}&b={b}").content))
    assert list(export.columns) == ["source", "target", "cohort_a", "share_a", "cohort_b", "share_b", "share_difference",
                                    "q_share", "median_minutes_a", "p90_minutes_a", "median_minutes_b", "p90_minutes_b"]
    merged = export.merge(expected, on=["source", "target"], suffixes=("", "_events"))
    assert len(merged) == len(export) and (merged.share_a - merged.share_a_events).abs().max() < 1e-12
    # durations: each cohort's median and p90 wait per pathway, from the stored bins, against every traversal's wait
    waits = journey.filter(journey.target.notnull()).select("case", "activity", "target", "seconds").to_pandas()
    waits = waits.merge(labels.to_pandas(), on="case")
    checked = 0
    for row in export.itertuples():
        for cohort, suffix in ((a, "a"), (b, "b")):
            seconds = waits[(waits.activity == row.source) & (waits.target == row.target) & (waits.cohort == cohort)].seconds
            for q, column in ((0.5, "median"), (0.9, "p90")):
                shown_seconds = getattr(row, f"{column}_minutes_{suffix}") * 60.0
                if seconds.empty:
                    assert pd.isna(shown_seconds)
                    continue
                exact = float(np.quantile(seconds.to_numpy(float), q, method="inverted_cdf"))
                checked += 1
                if exact < 1.0:
                    assert shown_seconds == 0.0
                else:  # in the exact value's duration bin: within a factor 2^(1/8)
                    assert abs(np.log2(shown_seconds / exact)) <= 1 / 8 + 1e-9, (row.source, row.target, cohort, q)
    assert checked >= 20
    assert "Median Minuten (A)" in client.get(f"/ui/journeys?lang=de&cohort=segments&a={a}&b={b}").text


def test_before_and_after_a_chosen_date_equal_the_comparison_from_the_events(dashboard, steps):
    client, _ = dashboard
    store, journey = steps
    days = store.result(R.JOURNEY_STARTS).to_pandas()["day"]
    at = pd.Timestamp(days.sort_values().iloc[len(days) // 2]).date()
    labels = before_after_cohorts(journey, datetime(at.year, at.month, at.day, tzinfo=UTC))
    expected = compare_cohorts(journey, labels, cohort_a="before", cohort_b="after")
    log_in(client, "vic")
    html = client.get(f"/ui/journeys?lang=de&cohort=date&at={at.isoformat()}").text
    shown = page_tables(html).tables["compare_custom"]
    assert shown and {(r[2], r[4]) for r in shown} == {("vorher", "nachher")}
    page = _on_page(shown)
    assert all(page[k] == v for k, v in _shares(expected, "de").items() if k in page)
    assert f'value="{at.isoformat()}"' in html  # the chosen date stays in the form


def test_a_comparison_that_cannot_be_made_says_why(dashboard):
    client, _ = dashboard
    log_in(client, "vic")
    html = client.get("/ui/journeys?lang=en&cohort=segments&a=x&b=x").text
    assert "Choose two different segments." in html
    assert "Choose a date" in client.get("/ui/journeys?lang=en&cohort=date&at=not-a-date").text


def test_the_journey_map_places_each_touchpoint_in_its_stage_with_its_friction(dashboard):
    client, server = dashboard
    with server.reading() as store:
        points = store.read_result(R.JOURNEY_TOUCHPOINTS)
        friction = store.read_result(R.JOURNEY_FRICTION)
        catalogue = store.to_pandas("touchpoints")
    log_in(client, "root")
    rows = page_tables(client.get("/ui/journeys?lang=de").text).tables["journey_map"]
    assert sorted(r[1] for r in rows) == sorted(points["touchpoint"].astype(str))
    stage = dict(zip(catalogue.touchpoint_id, catalogue.journey_stage))
    german = {"awareness": "Aufmerksamkeit", "consideration": "Abwägung", "purchase": "Kauf", "delivery": "Lieferung",
              "service": "Service", "loyalty": "Treue"}
    worst = friction.groupby("source")["friction_score"].max()
    order = list(german.values()) + ["Ohne Phase"]
    for r in rows:
        assert r[0] == german.get(stage.get(r[1]), "Ohne Phase")
        assert r[6] == (format_value(worst[r[1]], "num2", lang="de") if r[1] in worst.index else "–")
    assert [order.index(r[0]) for r in rows] == sorted(order.index(r[0]) for r in rows)  # in stage order
