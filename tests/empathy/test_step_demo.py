"""The flywheel step on the demo world: the planted empathic agents rank on top and the
empathy–retention relationship comes out positive with an interval excluding zero."""

from __future__ import annotations

import pytest

from empathica.demo import generate_world
from empathica.demo.truths import TRUTHS
from empathica.flywheel import run_flywheel
from empathica.listen import ingest_files
from empathica.store import Store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    world = generate_world(folder, customers=600, seed=7)
    store = Store.open(str(folder / "db.duckdb"))
    ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
    sections = run_flywheel(store, only=["empathy"])
    yield store, sections[0]
    store.close()


def test_step_writes_its_results(demo_store):
    store, section = demo_store
    assert not section.skipped, section.skipped
    for name in ("empathy_turns", "empathy_conversations", "empathy_agents", "empathy_customer", "empathy_gaps",
                 "empathy_outcomes", "empathy_scorecard", "empathy_coaching"):
        assert store.has_result(name), name
    customers = store.read_result("empathy_customer")
    assert {"customer_id", "empathy_received"} <= set(customers.columns)
    assert customers["customer_id"].is_unique


def test_planted_agents_rank_on_top_and_bottom(demo_store):
    store, _ = demo_store
    agents = store.read_result("empathy_agents").sort_values("rank")
    assert set(agents["agent_id"].head(3)) == set(TRUTHS.empathic_agents)
    assert set(agents["agent_id"].tail(2)) == set(TRUTHS.unempathic_agents)


def test_empathy_retention_relationship_positive_with_ci_excluding_zero(demo_store):
    store, _ = demo_store
    rel = store.read_result("empathy_outcomes").set_index("outcome").loc["retained"]
    assert rel["correlation"] > 0 and rel["correlation_low"] > 0
    assert rel["slope_low"] > 0


def test_step_on_a_store_without_turns_says_what_is_missing():
    with Store.open(":memory:") as store:
        section = run_flywheel(store, only=["empathy"])[0]
    assert "no conversation turns" in section.skipped
