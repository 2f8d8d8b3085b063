"""Detractor propensity: labels from the next NPS answer, and the time-validated model on the demo world."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from empathica.understand.churn import next_nps_labels


def test_the_label_is_the_first_nps_answer_inside_the_window():
    at = pd.Timestamp("2024-01-01", tz="UTC")
    day = pd.Timedelta(days=1)
    feedback = ibis.memtable(pd.DataFrame({
        "response_id": ["a1", "a2", "b0", "b1", "c2", "c1", "d1", "e1", "f1"],
        "customer_id": ["A", "A", "B", "B", "C", "C", "D", "E", None],
        "timestamp": [at + 10 * day, at + 20 * day, at - 5 * day, at + 30 * day, at + 3 * day, at + 3 * day,
                      at + 200 * day, at + 5 * day, at + 5 * day],
        "nps": [5, 9, 2, 10, 9, 3, 1, None, 0],
    }))
    labels = next_nps_labels(feedback, at=at, horizon_days=90)
    assert dict(zip(labels.customer_id, labels.detractor)) == {"A": 1, "B": 0, "C": 1}  # C: tie broken by response id


def test_value_step_scores_detractor_propensity_for_every_active_customer(tmp_path):
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    world = generate_world(tmp_path / "world", customers=800, seed=5)
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(tmp_path / "d.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        section = {s.key: s for s in run_flywheel(store, only=["drivers", "value"])}["value"]
        scores = store.read_result("value_detractor_scores")
        churn = store.read_result("value_churn_scores")
        reliability = store.read_result("value_detractor_reliability")
        risk = store.read_result("value_revenue_at_risk")
    assert set(scores.customer_id) == set(churn.customer_id)
    assert scores["p_detractor"].between(0, 1).all() and scores["p_detractor"].std() > 0.01
    assert reliability["rows"].sum() >= 30
    np.testing.assert_allclose(risk["revenue_with_likely_detractors"],
                               risk["p_detractor"].fillna(0) * risk["clv"].clip(lower=0))
    from empathica.report import Finding

    gate = next((s for s in section.summary if isinstance(s, Finding) and s.message_id == "value.gate.detractor"), None)
    line = next((s for s in section.summary if isinstance(s, Finding) and s.message_id == "value.detractor_model"), None)
    auc = (gate if gate is not None else line).values["auc"]
    assert auc > 0.55  # better than chance on a later period the model never saw
