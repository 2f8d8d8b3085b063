"""Key drivers: relative weights and Shapley regression rank correctly where coefficients misrank."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.errors import AnalysisError, NotEnoughDataError
from empathica.understand.drivers import DriverAnalysis, relative_weights, shapley_r2

# delivery and packaging correlate 0.85; app is a "halo" driver (correlates with both, no effect)
CORR = np.array([[1, .85, 0, .4], [.85, 1, 0, .4], [0, 0, 1, 0], [.4, .4, 0, 1]])
BETA = np.array([.6, .25, .4, 0.0])
NAMES = ["delivery", "packaging", "price", "app"]


def correlated_case(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal(np.zeros(4), CORR, size=n)
    return pd.DataFrame(X, columns=NAMES), X @ BETA + rng.normal(0, 1.0, n)


def population_ranking() -> list[str]:
    """The true ranking: the Shapley decomposition of the population R², from the known covariance."""
    sd_y = np.sqrt(BETA @ CORR @ BETA + 1.0)
    share = shapley_r2(CORR, CORR @ BETA / sd_y)
    return [NAMES[i] for i in np.argsort(-share)]


def test_population_truth_differs_from_the_coefficient_ranking():
    assert population_ranking() == ["delivery", "packaging", "price", "app"]
    assert [NAMES[i] for i in np.argsort(-BETA)] == ["delivery", "price", "packaging", "app"]


@pytest.mark.parametrize("method", ["relative_weights", "shapley"])
def test_correlated_drivers_ranked_correctly_where_coefficients_misrank(method):
    X, y = correlated_case(2000, seed=11)
    analysis = DriverAnalysis(method=method, n_bootstrap=50, random_state=0).fit(X, y)
    assert analysis.importance_["driver"].tolist() == population_ranking()
    by_coefficient = analysis.importance_.sort_values("coefficient_rank")["driver"].tolist()
    assert by_coefficient != population_ranking()  # plain regression puts price above packaging
    assert analysis.importance_["importance"].sum() == pytest.approx(analysis.r2_)
    ols_r2 = 1 - np.var(y - np.c_[np.ones(len(y)), X] @ np.linalg.lstsq(np.c_[np.ones(len(y)), X], y, rcond=None)[0]) / np.var(y)
    assert analysis.r2_ == pytest.approx(ols_r2, rel=1e-6)


def test_relative_weights_and_shapley_agree_closely():
    X, y = correlated_case(1000, seed=2)
    full = np.column_stack([X, y])
    corr = np.corrcoef(full, rowvar=False)
    rw, lmg = relative_weights(corr[:-1, :-1], corr[:-1, -1]), shapley_r2(corr[:-1, :-1], corr[:-1, -1])
    np.testing.assert_allclose(rw, lmg, atol=0.01)
    assert rw.sum() == pytest.approx(lmg.sum())


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate():
    X, y = correlated_case(400, seed=5)
    a = DriverAnalysis(n_bootstrap=100, random_state=7).fit(X, y).importance_
    b = DriverAnalysis(n_bootstrap=100, random_state=7).fit(X, y).importance_
    pd.testing.assert_frame_equal(a, b)
    assert ((a["share_low"] <= a["share"]) & (a["share"] <= a["share_high"])).all()
    stability = a.set_index("driver")["rank_stability"]
    assert stability["app"] > 0.9 and stability["delivery"] > 0.5  # close shares swap more often


def test_constant_driver_is_dropped_and_named_and_missing_values_count_as_average():
    X, y = correlated_case(300, seed=1)
    X["store_open"] = 1.0
    X.loc[X.index[:150], "price"] = np.nan  # half the customers never rated price
    analysis = DriverAnalysis(n_bootstrap=20).fit(X, y)
    assert "store_open" in analysis.dropped_ and "constant" in analysis.dropped_["store_open"]
    assert analysis.importance_.loc[analysis.importance_["driver"] == "price", "rows"].item() == 150
    assert "price" in analysis.importance_["driver"].tolist()


def test_unusable_inputs_get_clear_messages():
    X, y = correlated_case(300, seed=1)
    with pytest.raises(NotEnoughDataError, match="is 7 in every row"):
        DriverAnalysis(n_bootstrap=0).fit(X, np.full(len(y), 7.0), outcome="nps")
    with pytest.raises(NotEnoughDataError, match="at least 30 rows"):
        DriverAnalysis(n_bootstrap=0).fit(X.head(10), y[:10])
    with pytest.raises(NotEnoughDataError, match="no driver can be used"):
        DriverAnalysis(n_bootstrap=0).fit(pd.DataFrame({"a": np.ones(100)}), y[:100])


def test_scenario_effect_uses_the_regression_effect_with_an_interval():
    X, y = correlated_case(2000, seed=3)
    analysis = DriverAnalysis(n_bootstrap=100).fit(X, y)
    effect = analysis.effect_of_change({"delivery": 0.5})
    assert effect["change"] == pytest.approx(0.5 * BETA[0], abs=0.06)
    assert effect["low"] < effect["change"] < effect["high"]


def test_driver_matrix_puts_important_underperformers_first():
    rng = np.random.default_rng(0)
    n = 500
    X = pd.DataFrame({"delivery": rng.integers(1, 6, n).astype(float), "app": rng.integers(1, 6, n).astype(float)})
    X.loc[X.index[: int(0.8 * n)], "delivery"] = 1.0  # delivery mostly poor
    X["app"] = np.where(rng.random(n) < 0.8, 5.0, X["app"])  # app mostly great
    y = 2.0 * X["delivery"] + 0.3 * X["app"] + rng.normal(0, 1, n)
    matrix = DriverAnalysis(n_bootstrap=0).fit(X, y).matrix()
    first = matrix.iloc[0]
    assert first["driver"] == "delivery" and first["quadrant"].startswith("act first")
    assert matrix.set_index("driver").loc["app", "performance"] > 50


def test_cli_drivers(tmp_path):
    from empathica.cli import main

    X, y = correlated_case(600, seed=4)
    frame = X.assign(nps=y, segment="x")
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["drivers", str(path), "--outcome", "nps", "--bootstrap", "50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1. delivery" in result.output
    table = pd.read_csv(out / "drivers.csv")
    assert table["driver"].iloc[0] == "delivery" and "segment" not in set(table["driver"])
    assert (out / "matrix.png").stat().st_size > 1000 and json.loads((out / "summary.json").read_text())["rows"] == 600
    flat = tmp_path / "flat.csv"
    frame.assign(nps=5).to_csv(flat, index=False)
    result = CliRunner().invoke(main, ["drivers", str(flat), "--outcome", "nps", "--out", str(out)])
    assert result.exit_code == 2 and "every row" in result.output


def test_pairwise_option_refuses_inconsistent_sparse_drivers():
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    # three touchpoints rated by disjoint customers: no pair of drivers overlaps
    X.loc[X.index[100:], "a"] = np.nan
    X.loc[X.index[np.r_[0:100, 200:300]], "b"] = np.nan
    X.loc[X.index[:200], "c"] = np.nan
    y = X.sum(axis=1, min_count=1).to_numpy() + rng.normal(size=n)
    mean_filled = DriverAnalysis(n_bootstrap=0).fit(X, y)
    assert 0 < mean_filled.r2_ < 1
    with pytest.raises(AnalysisError, match="inconsistent"):
        DriverAnalysis(n_bootstrap=0, missing="pairwise").fit(X, y)


# -- review follow-ups: the CLI's default driver set ---------------------------------------------------
def _survey(n: int = 400, seed: int = 2) -> pd.DataFrame:
    """The audit's drv.csv: delivery and packaging correlate, wait and price matter too."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    frame = pd.DataFrame({"customer_id": np.arange(1000, 1000 + n), "delivery": z + 0.3 * rng.normal(size=n),
                          "packaging": z + 0.3 * rng.normal(size=n), "price": rng.normal(size=n),
                          "wait": rng.normal(size=n), "const": 5.0})
    frame["nps"] = 2 * frame["delivery"] + 0.5 * frame["price"] - 0.8 * frame["wait"] + rng.normal(size=n)
    return frame


def _drivers_cli(tmp_path, frame: pd.DataFrame, *args: str):
    from empathica.cli import main

    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["drivers", str(path), "--outcome", "nps", "--bootstrap", "50", *args, "--out", str(out)])
    return result, out


def test_cli_a_blank_cell_leaves_a_numeric_driver_numeric(tmp_path):
    whole, _ = _drivers_cli(tmp_path, _survey())
    frame = _survey().astype(object)
    frame.loc[7, "wait"] = ""
    result, out = _drivers_cli(tmp_path, frame)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "drivers.csv")
    assert "wait" in set(table["driver"])
    assert table.set_index("driver").loc["wait", "rows"] == 399  # the blank is a missing value
    r2 = json.loads((out / "summary.json").read_text())["r2"]
    assert r2 == pytest.approx(0.849, abs=0.01)


def test_cli_identifier_columns_are_not_drivers(tmp_path):
    frame = _survey().assign(order_number=lambda f: np.arange(len(f)) * 7 + 3)
    result, out = _drivers_cli(tmp_path, frame)
    assert result.exit_code == 0, result.output
    drivers = set(pd.read_csv(out / "drivers.csv")["driver"])
    assert drivers == {"delivery", "packaging", "price", "wait"}
    assert "not used: customer_id — an identifier" in result.output
    assert "not used: order_number — an identifier" in result.output


def test_cli_a_named_text_driver_and_too_few_resamples_get_clear_messages(tmp_path):
    frame = _survey().assign(segment=lambda f: np.where(f.index % 2, "a", "b"))
    result, _ = _drivers_cli(tmp_path, frame, "--drivers", "delivery,segment")
    assert result.exit_code != 0 and "driver 'segment'" in result.output and "not numeric" in result.output
    assert "only 0 rows" not in result.output and "Traceback" not in result.output
    result, _ = _drivers_cli(tmp_path, frame)  # by default it is left out, with the reason
    assert result.exit_code == 0 and "not used: segment — not numeric" in result.output
    from empathica.cli import main

    path = tmp_path / "survey.csv"
    few = CliRunner().invoke(main, ["drivers", str(path), "--outcome", "nps", "--bootstrap", "10", "--out", str(tmp_path / "o")])
    assert few.exit_code == 2 and "at least 50" in few.output
    none = CliRunner().invoke(main, ["drivers", str(path), "--outcome", "nps", "--bootstrap", "0", "--out", str(tmp_path / "o")])
    assert none.exit_code == 0, none.output
    assert "nan" not in none.output.lower() and "no intervals" in none.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["r2_interval"] is None
