"""The scorecard's trend per data period (scored on the data's last period and the one before it), the brand read
from the customers table, and self-assessments taking no place in the runs kept."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def period_store(tmp_path_factory):
    """40 customers of two brands whose CSAT rose from 2 to 5 between two quarters, ingested from CSV files."""
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    folder = tmp_path_factory.mktemp("periods")
    ids = [f"c{i:02d}" for i in range(40)]
    pd.DataFrame({"customer_id": ids, "region": "DE", "segment": "loyal",
                  "brand": ["Lumen Express" if i % 4 == 0 else "Lumen" for i in range(40)]}).to_csv(
        folder / "customers.csv", index=False)
    answers = [(f"a{c}", c, "2024-02-20T10:00:00Z", 2) for c in ids] + [(f"b{c}", c, "2024-06-15T10:00:00Z", 5) for c in ids]
    pd.DataFrame(answers, columns=["response_id", "customer_id", "timestamp", "csat"]).to_csv(folder / "feedback.csv", index=False)
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    path = folder / "s.duckdb"
    with Store.open(path, settings=settings) as store:
        ingest_files(store, [folder / "customers.csv", folder / "feedback.csv"], kinds=["customers", "feedback"])
    return path, settings


def test_each_dimension_is_scored_on_the_last_period_and_the_one_before(period_store):
    from empathica.diagnose.rules import load_rules
    from empathica.diagnose.scorecard import Scorecard, with_period_trend
    from empathica.flywheel.steps.diagnose import _period_scores
    from empathica.store import Store

    path, settings = period_store
    with Store.open(path, settings=settings, read_only=True) as store:
        last, before, end = _period_scores(store, settings, load_rules())
    assert end == pd.Timestamp("2024-06-15T10:00:00Z")
    scores = pd.DataFrame({"scope": ["all"], "group": ["all"], "dimension": ["touchpoints"], "score": [60.0]})
    row = with_period_trend(scores, last, before, end).iloc[0]
    assert row["period_score"] == pytest.approx(100.0)  # CSAT 5 in the last 90 days
    assert row["previous_period_score"] == pytest.approx(25.0)  # CSAT 2 in the 90 days before
    assert row["period_trend"] == pytest.approx(75.0)
    assert row["period_trend_low"] == pytest.approx(75.0) and row["period_direction"] == "up"  # no spread: no doubt
    assert with_period_trend(scores, None, None, None)["period_trend"].isna().all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_period_trend_is_up_or_down_only_when_its_interval_excludes_zero(seed):
    """Two periods of noisy CSAT: the same distribution is 'flat' (the interval holds zero), a shift of one point
    (on 1–5, 25 score points) is 'up' or 'down' with the interval around the true change."""
    import numpy as np

    from empathica.diagnose.rules import load_rules
    from empathica.diagnose.scorecard import Scorecard, with_period_trend

    rng = np.random.default_rng(seed)
    rules = [r for r in load_rules() if r.metric == "csat"]

    def period(mean):
        csat = np.clip(rng.normal(mean, 0.5, 300), 1, 5)  # clipped at 3 SD: the mean stays
        return Scorecard(rules=rules, random_state=seed).fit(pd.DataFrame({"customer_id": range(300), "csat": csat}), {}).scores_

    base = pd.DataFrame({"scope": ["all"], "group": ["all"], "dimension": ["touchpoints"], "score": [50.0]})
    same = with_period_trend(base, period(3.0), period(3.0), pd.Timestamp("2024-01-01")).iloc[0]
    assert same["period_trend_low"] < 0 < same["period_trend_high"] and same["period_direction"] == "flat"
    for last, before, direction in ((3.5, 2.5, "up"), (2.5, 3.5, "down")):
        row = with_period_trend(base, period(last), period(before), pd.Timestamp("2024-01-01")).iloc[0]
        assert row["period_direction"] == direction
        assert row["period_trend_low"] < (last - before) * 25 < row["period_trend_high"]
        assert row["period_trend_high"] - row["period_trend_low"] < 10  # 300 customers a period: a narrow interval


def test_the_brand_is_read_from_the_customers_table(period_store):
    from empathica.diagnose.evidence import customer_evidence
    from empathica.store import Store

    path, settings = period_store
    with Store.open(path, settings=settings, read_only=True) as store:
        customers = customer_evidence(store)
    assert customers["brand"].value_counts().to_dict() == {"Lumen": 30, "Lumen Express": 10}


def test_self_assessments_take_no_place_in_the_runs_kept(tmp_path):
    from empathica.diagnose.maturity import load_questionnaire, record_assessment
    from empathica.schema.results import DIAGNOSE_MATURITY
    from empathica.settings import Settings
    from empathica.store import Store

    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False, runs_kept=2)
    questionnaire = load_questionnaire()
    answers = {q["id"]: 3 for q in questionnaire.questions}
    stage = pd.DataFrame([{"stage": "interaction", "stage_number": 2, "level": "immature", "maturity_index": 0.4,
                           "data_index": 0.4, "self_index": 0.5, "next_stage": "engagement", "gap_to_next": 0.1,
                           "assessment_id": None}])

    def analysis_run(store) -> str:
        store.runs.begin(steps=["diagnose"])
        store.write_result(DIAGNOSE_MATURITY, stage, step="diagnose")
        return store.runs.publish()

    with Store.open(tmp_path / "s.duckdb", settings=settings) as store:
        first = analysis_run(store)
        for _ in range(3):
            record_assessment(store, answers, questionnaire, source="file")
        kept = set(store.runs.history(DIAGNOSE_MATURITY).to_pandas()["run_id"])
        assert kept == {first}  # three assessments later, the one analysis run is still kept
        second = analysis_run(store)
        record_assessment(store, answers, questionnaire, source="file")
        assert set(store.runs.history(DIAGNOSE_MATURITY).to_pandas()["run_id"]) == {first, second}
        third = analysis_run(store)
        assert set(store.runs.history(DIAGNOSE_MATURITY).to_pandas()["run_id"]) == {second, third}


def test_a_store_from_before_brands_gets_the_column_when_opened_for_writing(tmp_path):
    from empathica.settings import Settings
    from empathica.store import Store

    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(tmp_path / "old.duckdb", settings=settings) as store:
        store.raw_sql('ALTER TABLE customers DROP COLUMN "brand"')  # as a store made before customers.brand
        assert "brand" not in store.table("customers").columns
    with Store.open(tmp_path / "old.duckdb", settings=settings) as store:
        assert "brand" in store.table("customers").columns
