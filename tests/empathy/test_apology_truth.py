"""The demo world's truth ``apology_leaving``: some unresolved complaint contacts of the contact centres are
answered only by a stock apology, far more often where the customer then left. It draws from a random stream of
its own, so planting it changes no other draw of the world: every file but the transcripts is byte-identical."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from empathica.demo import generate_world, phrases_de, phrases_en, phrases_zh
from empathica.demo.truths import TRUTHS

STOCK = {t for bank in (phrases_en, phrases_de, phrases_zh) for options in bank.STOCK_APOLOGY.values() for t in options}


def test_the_stock_apologies_change_no_other_draw(tmp_path, monkeypatch):
    import empathica.demo.world as world_module

    planted = generate_world(tmp_path / "planted", customers=300, seed=5)
    off = replace(TRUTHS, apology_leaving={**TRUTHS.apology_leaving, "if_left": 0.0, "if_stayed": 0.0})
    monkeypatch.setattr(world_module, "TRUTHS", off)
    without = generate_world(tmp_path / "without", customers=300, seed=5)
    for (a, kind), (b, _) in zip(planted.files, without.files):
        if kind != "turns":
            assert a.read_bytes() == b.read_bytes(), kind
    turns = {name: pd.read_json(dict((k, p) for p, k in w.files)["turns"], lines=True, dtype=False)
             for name, w in (("planted", planted), ("without", without))}
    a, b = turns["planted"], turns["without"]
    assert list(a["turn_id"]) == list(b["turn_id"]) and list(a["speaker"]) == list(b["speaker"])
    changed = a["text"] != b["text"]
    assert changed.sum() >= 3
    # only agent turns change, each into a stock apology, and whole conversations at a time
    assert (a.loc[changed, "speaker"] == "agent").all() and a.loc[changed, "text"].isin(STOCK).all()
    stock_conv = set(a.loc[changed, "conversation_id"])
    agent = a[a["speaker"].eq("agent") & a["conversation_id"].isin(stock_conv)]
    assert agent["text"].isin(STOCK).all()
    # the stock apology answers contacts that were not resolved
    conv = pd.read_json(dict((k, p) for p, k in planted.files)["conversations"], lines=True, dtype=False)
    assert not conv.loc[conv["conversation_id"].isin(stock_conv), "outcome"].eq("resolved").any()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """Demo worlds by (seed, customers), each generated once for this module."""
    made: dict[tuple[int, int], dict] = {}

    def get(seed: int, customers: int) -> dict:
        if (seed, customers) not in made:
            world = generate_world(tmp_path_factory.mktemp(f"w{seed}_{customers}"), customers=customers, seed=seed)
            paths = {kind: path for path, kind in world.files}
            made[(seed, customers)] = {
                "turns": pd.read_json(paths["turns"], lines=True, dtype=False),
                "conversations": pd.read_json(paths["conversations"], lines=True, dtype=False),
                "customers": pd.read_csv(paths["customers"]), "realised": world.truths["realised"]}
        return made[(seed, customers)]
    return get


@pytest.mark.parametrize(("seed", "customers"), [(1, 1000), (2, 1500), (4, 2000)])
def test_customers_answered_by_a_stock_apology_leave_far_more_on_many_seeds_and_sizes(worlds, seed, customers):
    """The truth in the raw files: the customers of the stock-apology contacts churned at least 20 points more
    than the other customers with a transcribed contact (seed 7 at 2,000 customers: 0.40 vs 0.74 retained)."""
    t = worlds(seed, customers)
    turns, conv = t["turns"], t["conversations"]
    stock = set(turns.loc[turns["speaker"].eq("agent") & turns["text"].isin(STOCK), "conversation_id"])
    assert len(stock) == t["realised"]["stock_apologies"]["contacts"] >= 15
    retained = t["customers"].set_index("customer_id")["churned_at"].isna()
    conv = conv[conv["conversation_id"].isin(set(turns["conversation_id"]))]
    by = conv.assign(stock=conv["conversation_id"].isin(stock), retained=conv["customer_id"].map(retained))
    rate = by.groupby("stock")["retained"].mean()
    assert rate.loc[False] - rate.loc[True] >= 0.20, rate


def test_the_scores_recover_leaving_after_an_apology_without_resolution_at_another_seed(worlds):
    """From the transcripts alone (distress from the customers' words, no sentiment model), at 1,000
    customers and another seed than the flywheel test's (seed 7): distressed customers answered by an
    apology without a way forward were retained clearly less than those who got warmth and a way forward."""
    from empathica.understand.empathy import analyze_conversations
    from empathica.understand.empathy.outcomes import wilson_interval

    t = worlds(1, 1000)
    conv = analyze_conversations(t["turns"], use_text_analyzer=False).conversations
    conv = conv[conv["distress_moments"] > 0].merge(t["conversations"][["conversation_id", "customer_id"]],
                                                     on="conversation_id", suffixes=("_scored", ""))
    conv["retained"] = conv["customer_id"].map(t["customers"].set_index("customer_id")["churned_at"].isna())
    g = conv.groupby("service_pattern")["retained"].agg(["sum", "size"])
    low, high = wilson_interval(g["sum"].to_numpy(), g["size"].to_numpy())
    interval = pd.DataFrame({"low": low, "high": high}, index=g.index)
    assert g.loc["apology without resolution", "size"] >= 40
    assert interval.loc["apology without resolution", "high"] < interval.loc["empathy and resolution", "low"], g
