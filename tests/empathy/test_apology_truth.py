"""The demo world's truth ``apology_leaving``: some unresolved after-sales contacts are answered only by a
stock apology, far more often where the customer then left. It draws from a random stream of its own, so
planting it changes no other draw of the world: every file but the transcripts is byte-identical without it."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from empathica.demo import generate_world
from empathica.demo import phrases_de, phrases_en, phrases_zh
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
