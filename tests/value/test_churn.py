"""Churn propensity: calibrated, evaluated on held-out rows, with additive reasons per customer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.errors import AnalysisError, NotEnoughDataError
from empathica.understand.churn import ChurnModel, churn_features, evaluate_churn, fit_churn_table


@pytest.fixture(scope="module")
def telco():
    from tests.conftest import SHARED_DATA

    path = SHARED_DATA / "clv" / "Telco-Customer-Churn.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return pd.read_csv(path)


def test_telco_held_out_auc_and_brier_meet_the_targets(telco):
    result = fit_churn_table(telco, target="Churn", id_column="customerID", refit=False, random_state=0)
    assert result.evaluation.rows == 1761
    assert result.evaluation.auc >= 0.84
    assert result.evaluation.brier <= 0.14
    assert result.features.coerced_numeric == {"TotalCharges": 11}  # blanks imputed, column kept numeric
    assert "customerID" not in result.features.numeric + result.features.categorical
    curve = result.evaluation.reliability
    assert np.abs(curve["mean_predicted"] - curve["observed_rate"]).max() < 0.1  # calibrated
    top = result.scores.iloc[0]
    assert top["p_churn"] > 0.7 and "tenure" in top["reasons"]


def test_reasons_decompose_the_log_odds_exactly(telco):
    X, y, _ = churn_features(telco.sample(1500, random_state=1), target="Churn", id_column="customerID")
    model = ChurnModel(cv=3).fit(X, y)
    contrib = model.contributions(X)
    logit = model.explainer_.decision_function(X)
    np.testing.assert_allclose(contrib.sum(axis=1), logit - logit.mean(), atol=1e-8)
    assert list(contrib.columns) == list(X.columns)


def test_bad_targets_get_clear_messages():
    frame = pd.DataFrame({"x": np.arange(100.0), "plan": ["a", "b"] * 50, "left": ["No"] * 100})
    with pytest.raises(NotEnoughDataError, match="single value 'No'"):
        churn_features(frame, target="left")
    with pytest.raises(AnalysisError, match="has 3 values"):
        churn_features(frame.assign(left=["a", "b", "c", "a"] * 25), target="left")
    with pytest.raises(AnalysisError, match="no column 'churn'"):
        churn_features(frame, target="churn")
    X, y, _ = churn_features(frame.assign(left=["Yes"] * 5 + ["No"] * 95), target="left")
    with pytest.raises(NotEnoughDataError, match="rarer class"):
        ChurnModel().fit(X, y)
    X, y, _ = churn_features(frame.head(20).assign(left=["Yes", "No"] * 10), target="left")
    with pytest.raises(NotEnoughDataError, match="at least 30"):
        ChurnModel().fit(X, y)


def test_identifier_and_constant_columns_are_dropped_and_reported():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [f"u{i}" for i in range(200)], "tenure": rng.integers(1, 60, 200),
                          "same": "x", "churn": rng.choice(["yes", "no"], 200)})
    X, y, info = churn_features(frame, target="churn")
    assert "id" in info.dropped and "identifier" in info.dropped["id"] and info.dropped["same"] == "constant"
    assert list(X.columns) == ["tenure"] and info.positive_label == "yes"


def test_evaluation_rejects_single_class():
    with pytest.raises(NotEnoughDataError):
        evaluate_churn(np.zeros(10), np.linspace(0, 1, 10))


def test_cli_churn_fit(tmp_path, telco):
    from empathica.cli import main

    path = tmp_path / "telco.csv"
    telco.sample(800, random_state=0).to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["churn", "fit", str(path), "--target", "Churn", "--id", "customerID", "--out", str(out)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["roc_auc"] > 0.75 and metrics["positive_label"] == "Yes"
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 800 and scores["p_churn"].is_monotonic_decreasing
    assert (out / "reliability.png").exists()


# -- review follow-ups: rows without a target, counts over the whole file, empty inputs ---------------
def test_cli_scores_rows_without_a_target_and_learns_only_from_the_others(tmp_path, telco):
    from empathica.cli import main

    frame = telco.sample(800, random_state=0).reset_index(drop=True)
    frame.loc[::10, "Churn"] = ""  # 80 current customers: no outcome yet
    path = tmp_path / "telco.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["churn", "fit", str(path), "--target", "Churn", "--id", "customerID", "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 800 and set(scores["customerID"]) == set(frame["customerID"])
    current = set(frame.loc[frame["Churn"] == "", "customerID"])
    assert set(scores.loc[scores["actual"].isna(), "customerID"]) == current
    assert scores["p_churn"].between(0, 1).all()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["labelled_rows"] == 720 and metrics["unlabelled_rows_scored"] == 80
    assert "80 rows without a 'Churn' value are scored" in result.output


def test_rare_class_is_counted_over_the_whole_file_and_no_input_columns_are_named(telco):
    frame = telco.sample(400, random_state=0).reset_index(drop=True).assign(Churn="No")
    frame.loc[:11, "Churn"] = "Yes"  # 12 churners: 9 would be left to train on after a 25% hold-out
    with pytest.raises(NotEnoughDataError, match=r"only 12 of the 400 labelled rows of t\.csv belong to the rarer class \(Churn = Yes\)"):
        fit_churn_table(frame, target="Churn", id_column="customerID", source="t.csv")
    bare = frame[["customerID", "Churn"]]
    with pytest.raises(NotEnoughDataError, match="no input column to learn churn from besides 'Churn' and the id column 'customerID'") as exc:
        fit_churn_table(bare, target="Churn", id_column="customerID", source="t.csv")
    assert "{}" not in str(exc.value)
    with pytest.raises(NotEnoughDataError, match="customerID: .* looks like an identifier"):
        fit_churn_table(bare, target="Churn", source="t.csv")
