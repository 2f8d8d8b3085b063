"""The flywheel step on the demo world: the planted friction pathway comes out on top."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.demo import TRUTHS, generate_world
from empathica.flywheel import run_flywheel
from empathica.listen import ingest_files
from empathica.report import Figure, Paragraph, TableBlock
from empathica.report.i18n import render


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from empathica.settings import Settings
    from empathica.store import Store

    tmp = tmp_path_factory.mktemp("journeys_demo")
    world = generate_world(tmp / "world", customers=300, seed=7)
    settings = Settings.load(config_file=tmp / "none.toml", progress=False)
    with Store.open(tmp / "demo.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        yield store


def test_planted_friction_pathway_is_on_top(demo_store):
    (section,) = run_flywheel(demo_store, only=["journeys"])
    assert not section.skipped, section.skipped
    friction = demo_store.read_result("journey_friction")
    top = friction.iloc[0]
    assert (top["source"], top["target"]) == TRUTHS.friction_pathway
    assert top["channel_switch_rate"] == 1.0 and top["revenue"] > 0
    assert section.data["top_friction_pathways"][0] == list(TRUTHS.friction_pathway)
    assert section.data["goal"] == TRUTHS.goal_touchpoint
    # every number shown is stored, every table names its source, the map is drawn
    for name in ["journey_dfg", "journey_touchpoints", "journey_variants", "journey_funnel", "journey_compare", "journey_friction_ablation",
                 "journey_compare_churn", "journey_customer_friction", "journey_channel_switches"]:
        assert demo_store.has_result(name), name
    assert any(isinstance(b, Figure) for b in section.blocks)
    assert all(b.source for b in section.blocks if isinstance(b, TableBlock))
    # the explanation says what the code measures: delay against the source's own next steps,
    # drop-off as journeys that never reach the goal; the goal line gives counts
    text = " ".join(render(b.text) for b in section.blocks if isinstance(b, Paragraph))
    assert "other ways out of the same source touchpoint" in text and "never reach the goal at all" in text
    assert f"of {section.data['summary']['journeys']:,} journeys (" in render(section.summary[0])
    exposure = demo_store.read_result("journey_customer_friction")
    assert {"customer_id", "top_pathway_traversals", "max_friction", "mean_friction"} <= set(exposure.columns)
    funnel = demo_store.read_result("journey_funnel")
    assert funnel["touchpoint"].iloc[-1] == TRUTHS.goal_touchpoint
    assert funnel["journeys"].is_monotonic_decreasing
    # every stored event is in the graph: transitions = events − journeys
    dfg = demo_store.read_result("journey_dfg")
    events = demo_store.table("events").to_pandas()
    cases = events["journey_id"].fillna(events["customer_id"])
    assert int(dfg["transitions"].sum()) == len(events) - cases.nunique()


def test_churned_customers_took_the_planted_friction_pathway(demo_store):
    """Customers with a payment issue both call after a failed web checkout and churn more (demo/population.py):
    the churned-vs-retained comparison must put that pathway first, over-represented among the churned."""
    (section,) = run_flywheel(demo_store, only=["journeys"])
    compare = demo_store.read_result("journey_compare_churn")
    customers = demo_store.table("customers").to_pandas()
    events = demo_store.table("events").to_pandas()
    churned = set(customers.loc[customers["churned_at"].notna(), "customer_id"])
    journeys = events.assign(case=events["journey_id"].fillna(events["customer_id"])).groupby("case")["customer_id"].first()
    n_churned = int(journeys.isin(churned).sum())
    first = compare.iloc[0]
    assert (first["source"], first["target"]) == TRUTHS.friction_pathway
    assert first["significant_share"] and first["share_a"] > 2 * first["share_b"]
    assert first["journeys_a"] + first["journeys_b"] > 0 and first["share_a"] == pytest.approx(first["journeys_a"] / n_churned)
    from empathica.report import Finding

    line = next(s for s in section.summary if isinstance(s, Finding) and s.values.get("title") == {"id": "journeys.title.journey_compare_churn"})
    assert (line.row["source"], line.row["target"]) == TRUTHS.friction_pathway  # the table's first row, as the headline says
    tables = [b for b in section.blocks if isinstance(b, TableBlock) and b.source == "result journey_compare_churn"]
    assert tables and {"share_churned", "share_retained", "median_churned"} <= set(tables[0].frame.columns)


def test_text_scores_feed_sentiment_when_present(demo_store):
    feedback = demo_store.table("feedback").select("response_id", "csat").to_pandas()
    scores = pd.DataFrame({
        "source_table": "feedback", "source_id": feedback["response_id"],
        "sentiment_score": feedback["csat"].fillna(3).astype(float).sub(3).div(2),
    })
    scores = scores.assign(lang="en", sentiment="neutral", confidence=1.0, emotion="neutral", emotion_confidence=1.0,
                           aspects="[]", note="", scored_at=pd.Timestamp.now(tz="UTC"))  # the declared columns
    demo_store.write_result("text_scores", scores, step="text")
    try:
        run_flywheel(demo_store, only=["journeys"])
        touchpoints = demo_store.read_result("journey_touchpoints").set_index("touchpoint")
        assert touchpoints.loc["call_centre", "sentiment"] < touchpoints.loc["store_checkout", "sentiment"]
    finally:
        demo_store.con.drop_table("result_text_scores")
