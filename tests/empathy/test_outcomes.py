import numpy as np
import pandas as pd

from empathica.understand.empathy import coaching_pairs, monthly_scorecard, relationship


def test_relationship_recovers_sign_and_ci():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 800)
    y = (rng.uniform(0, 1, 800) < 0.4 + 0.4 * x).astype(float)
    r = relationship(x, y, outcome="retained")
    assert r.correlation > 0 and r.correlation_low > 0 and r.correlation_high < 1
    assert r.slope_low < 0.04 < r.slope_high  # true slope per +0.1 is 0.04
    none = relationship(x, rng.uniform(0, 1, 800), outcome="noise")
    assert none.correlation_low < 0 < none.correlation_high
    assert relationship(x[:5], y[:5], outcome="too few") is None


def test_scorecard_and_coaching_pairs():
    turns = pd.DataFrame({
        "agent_id": ["a", "a", "b", "b", "c"],
        "timestamp": pd.to_datetime(["2025-01-03", "2025-02-03", "2025-01-05", "2025-01-09", "2025-02-01"], utc=True),
        "empathy": [0.1, 0.2, 0.7, 0.8, 0.5], "emotional_reactions": [0, 0, 2, 2, 1], "interpretations": [0, 0, 1, 1, 1],
        "explorations": [0, 0, 1, 2, 0], "empathy_gap": [True, True, False, False, False],
        "jargon": [["SLA"], [], [], [], []],
        "context": ["my parcel is late again!!", "refund still missing, furious", "parcel late again, so angry!!",
                    "still no refund, I'm furious", "app crashes again, furious"],
        "context_distress": [0.8, 0.9, 0.7, 0.8, 0.6], "language": ["en"] * 5,
        "text": ["Pls provide OID.", "Ticket raised.", "I'm so sorry! How are you?", "That's awful, I understand.", "Sorry."],
    })
    card = monthly_scorecard(turns)
    assert set(card["month"]) == {"2025-01", "2025-02"}
    assert card.loc[(card.agent_id == "b"), "replies"].item() == 2
    pairs = coaching_pairs(turns, k=2)
    assert len(pairs) == 2 and list(pairs["agent_id"]) == ["a", "c"]  # one row per agent, worst first
    row = pairs.set_index("reply").loc["Pls provide OID."]
    assert row["better_reply"] == "I'm so sorry! How are you?"  # the most similar situation: a late parcel


def test_relationship_bootstrap_in_blocks_gives_the_same_kind_of_interval(monkeypatch):
    """Large inputs are resampled in blocks (bounded memory): the interval is a bootstrap interval all the
    same — it covers the point estimate and matches the interval drawn in larger blocks to Monte Carlo error."""
    from empathica.understand.empathy import outcomes

    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 3000)
    y = (rng.uniform(0, 1, 3000) < 0.3 + 0.4 * x).astype(float)
    whole = relationship(x, y, outcome="retained")
    monkeypatch.setattr(outcomes, "BOOTSTRAP_ROWS_PER_BLOCK", 3000 * 7)  # blocks of 7 resamples
    blocked = relationship(x, y, outcome="retained")
    assert blocked.correlation == whole.correlation
    assert blocked.correlation_low < blocked.correlation < blocked.correlation_high
    assert abs(blocked.correlation_low - whole.correlation_low) < 0.01
    assert abs(blocked.correlation_high - whole.correlation_high) < 0.01
    assert abs(blocked.slope_low - whole.slope_low) < 0.002


def test_relationship_by_group_recovers_each_groups_slope():
    """Two teams with planted within-team slopes (+5 and 0 retention points per +0.1 empathy) and a team
    too small to estimate: each slope is recovered inside its interval, the small team gets a note."""
    from empathica.understand.empathy import relationship_by_group

    rng = np.random.default_rng(4)
    frames = []
    for team, n, slope in (("steep", 1500, 0.5), ("flat", 1500, 0.0), ("tiny", 12, 0.5)):
        x = rng.uniform(0, 1, n)
        retained = (rng.uniform(0, 1, n) < 0.25 + slope * x).astype(float)
        csat = 3 + 2 * x + rng.normal(0, 0.5, n) if team != "flat" else np.full(n, np.nan)
        frames.append(pd.DataFrame({"team_id": team, "empathy_received": x, "retained": retained, "csat": csat}))
    out = relationship_by_group(pd.concat(frames, ignore_index=True), by="team_id", n_boot=400).set_index("team_id")
    assert list(out.index) == ["flat", "steep", "tiny"] and out["customers"].tolist() == [1500, 1500, 12]
    steep, flat, tiny = out.loc["steep"], out.loc["flat"], out.loc["tiny"]
    assert steep["retention_points_low"] < 5.0 < steep["retention_points_high"]  # true: +5 points per +0.1
    assert steep["retention_r_low"] > 0 and abs(steep["retention_points_per_0_1"] - 5.0) < 1.5
    assert flat["retention_points_low"] < 0 < flat["retention_points_high"]  # no relationship: spans 0
    assert steep["csat_per_0_1_low"] < 0.2 < steep["csat_per_0_1_high"]  # CSAT +2 per 1.0 = +0.2 per +0.1
    assert np.isnan(flat["csat_r"]) and flat["csat_customers"] == 0 and flat["note"] == ""
    assert np.isnan(tiny["retention_r"]) and np.isnan(tiny["retention_points_per_0_1"])
    assert "fewer than 30" in tiny["note"]
    for _, row in out.dropna(subset=["retention_r"]).iterrows():
        assert row["retention_r_low"] <= row["retention_r"] <= row["retention_r_high"]
