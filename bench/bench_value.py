"""Value benchmarks: CDNOW BG/NBD + Gamma-Gamma against the reference fit, holdout purchases, Telco
churn AUC and Brier, correlated drivers (relative weights vs regression coefficients), CLV speed.

    /work/main/.venv/bin/python -m bench.bench_value [--quick]
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import ibis  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.results_file import write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "clv"
# Fader, Hardie & Lee (2005), CDNOW 2,357-customer sample, 39-week calibration; the same values are
# asserted by the lifetimes package's tests on this sample (BG/NBD to 3 decimals, Gamma-Gamma to 2).
BGNBD_REFERENCE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA_REFERENCE = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def cdnow() -> tuple[str, bool]:
    from empathica.understand.clv import BetaGeoModel, GammaGammaModel, holdout_comparison, rfm_summary

    frame = pd.read_csv(DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                        names=["master_id", "customer", "date", "cds", "dollars"], dtype={"date": str})
    frame["timestamp"] = pd.to_datetime(frame["date"], format="%Y%m%d", utc=True)
    start = time.perf_counter()
    summary, _ = rfm_summary(ibis.memtable(frame), customer="customer", timestamp="timestamp", amount="dollars",
                             calibration_end="1997-09-30", observation_end="1998-06-30", zero_amount_is_purchase=True)
    bg = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    gg = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    seconds = time.perf_counter() - start
    rows, ok = [], True
    for name, ref in {**BGNBD_REFERENCE, **GAMMA_GAMMA_REFERENCE}.items():
        ours = {**bg.params_, **gg.params_}[name]
        diff = (ours - ref) / ref
        ok &= abs(diff) <= 0.01
        rows.append(f"| {name} | {ours:.4f} | {ref} | {diff:+.2%} | {'yes' if abs(diff) <= 0.01 else 'NO'} |")
    by_bin, totals = holdout_comparison(bg, summary, 39.0)
    bins = "\n".join(f"| {r.frequency_bin} | {r.customers} | {r.actual:.3f} | {r.predicted:.3f} |" for r in by_bin.itertuples())
    text = f"""### CDNOW (2,357-customer sample, weeks; calibration to 1997-09-30, holdout 39 weeks to 1998-06-30)

Summary from the transactions with Ibis (same-day purchases collapsed; the 8 zero-dollar purchases counted
as purchases, as in the published data set): 2,357 customers, 1,411 without repeat purchase, 2,457 repeat
purchases. Fit time (summary + both models): {seconds:.2f} s. Log-likelihood {bg.log_likelihood_:.2f}
(published −9,582.4).

| parameter | ours | reference | difference | within 1 % |
|---|---|---|---|---|
{chr(10).join(rows)}

Holdout (weeks 40–78): actual {totals['actual_total']:,.0f} repeat purchases, predicted {totals['predicted_total']:,.1f}
({totals['relative_error_total']:+.1%}); mean absolute error per customer {totals['mean_absolute_error']:.3f}.

| calibration repeat purchases | customers | actual holdout (mean) | predicted (mean) |
|---|---|---|---|
{bins}
"""
    print(text)
    return text, ok


def telco(seeds: list[int]) -> tuple[str, bool]:
    from empathica.understand.churn import fit_churn_table

    frame = pd.read_csv(DATA / "Telco-Customer-Churn.csv")
    rows, ok = [], True
    for seed in seeds:
        start = time.perf_counter()
        result = fit_churn_table(frame, target="Churn", id_column="customerID", random_state=seed)
        ev = result.evaluation
        ok &= ev.auc >= 0.84 and ev.brier <= 0.14
        rows.append((seed, ev.auc, ev.brier, ev.rows, time.perf_counter() - start))
    table = "\n".join(f"| {s} | {a:.4f} | {b:.4f} | {n:,} | {t:.1f} s |" for s, a, b, n, t in rows)
    aucs, briers = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    text = f"""### IBM Telco churn (7,043 customers; stratified 25 % held out per seed)

Calibrated logistic regression (one-hot categoricals, cubic splines on numerics, sigmoid calibration, 5 folds).
Targets: ROC AUC ≥ 0.84, Brier ≤ 0.14. Mean over {len(seeds)} split(s): AUC {aucs.mean():.4f} (min {aucs.min():.4f}),
Brier {briers.mean():.4f} (max {briers.max():.4f}) — {'met' if ok else 'NOT met'} on every split.

| split seed | ROC AUC | Brier | held-out rows | fit time (two fits) |
|---|---|---|---|---|
{table}
"""
    print(text)
    return text, ok


def correlated_drivers(n_sims: int) -> tuple[str, bool]:
    from empathica.understand.drivers import DriverAnalysis, shapley_r2

    names = ["delivery", "packaging", "price", "app"]
    corr = np.array([[1, .85, 0, .4], [.85, 1, 0, .4], [0, 0, 1, 0], [.4, .4, 0, 1]])
    beta = np.array([.6, .25, .4, 0.0])
    share = shapley_r2(corr, corr @ beta / np.sqrt(beta @ corr @ beta + 1.0))
    truth = [names[i] for i in np.argsort(-share)]
    results = {}
    for n in (500, 2000):
        hits = {"relative weights": 0, "Shapley (LMG)": 0, "regression coefficients": 0}
        for seed in range(n_sims):
            rng = np.random.default_rng(seed)
            X = pd.DataFrame(rng.multivariate_normal(np.zeros(4), corr, size=n), columns=names)
            y = X.to_numpy() @ beta + rng.normal(0, 1.0, n)
            rw = DriverAnalysis(n_bootstrap=0).fit(X, y).importance_
            lmg = DriverAnalysis(method="shapley", n_bootstrap=0).fit(X, y).importance_
            hits["relative weights"] += rw["driver"].tolist() == truth
            hits["Shapley (LMG)"] += lmg["driver"].tolist() == truth
            hits["regression coefficients"] += rw.sort_values("coefficient_rank")["driver"].tolist() == truth
        results[n] = {k: v / n_sims for k, v in hits.items()}
    ok = results[2000]["relative weights"] >= 0.95 and results[2000]["regression coefficients"] <= 0.05
    table = "\n".join(f"| {m} | {results[500][m]:.0%} | {results[2000][m]:.0%} |" for m in results[500])
    text = f"""### Correlated drivers (simulation, {n_sims} samples per size)

Drivers: delivery and packaging correlate 0.85, app correlates 0.4 with both and has no effect, price is
independent; outcome = 0.6·delivery + 0.25·packaging + 0.4·price + noise. True importance = Shapley
decomposition of the population R² (from the known covariance): {' > '.join(truth)} (R² parts
{', '.join(f'{s:.3f}' for s in sorted(share, reverse=True))}). Regression coefficients rank price above
packaging: they measure "move one driver, hold the correlated one fixed", not importance.

| method | full ranking correct, n = 500 | n = 2,000 |
|---|---|---|
{table}
"""
    print(text)
    return text, ok


def simulate_summary(n: int, *, seed: int = 0, weeks: float = 104.0, chunk: int = 250_000) -> pd.DataFrame:
    """RFM summaries of ``n`` customers from a true BG/NBD process (vectorised), with Gamma-Gamma spend."""
    rng = np.random.default_rng(seed)
    parts = []
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        lam = rng.gamma(0.9, 1 / 6.0, m)
        p = rng.beta(0.8, 2.5, m)
        T = rng.uniform(1.0, weeks, m)
        k = 40
        times = np.cumsum(rng.exponential(1.0, (m, k)) / lam[:, None], axis=1)
        drops = rng.geometric(p)  # dies after this many repeat purchases
        made = np.minimum((times <= T[:, None]).sum(axis=1), drops)
        recency = np.where(made > 0, times[np.arange(m), np.maximum(made - 1, 0)], 0.0)
        nu = rng.gamma(4.0, 1 / 60.0, m)
        mean_spend = rng.gamma(6.0 * np.maximum(made, 1), 1.0 / (nu * np.maximum(made, 1)))
        parts.append(pd.DataFrame({
            "customer_id": np.arange(start, start + m).astype(str), "frequency": made,
            "recency": np.round(recency, 2), "T": np.round(T, 2),
            "monetary_value": np.where(made > 0, mean_spend, np.nan),
        }))
    return pd.concat(parts, ignore_index=True)


def clv_speed(n: int) -> tuple[str, bool]:
    from empathica.understand.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value

    summary = simulate_summary(n)
    start = time.perf_counter()
    bg = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    fit_bg = time.perf_counter() - start
    gg = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    fit_gg = time.perf_counter() - start - fit_bg
    clv = customer_lifetime_value(bg, gg, summary, horizon=52.0)
    total = time.perf_counter() - start
    ok = total <= 30.0
    params = ", ".join(f"{k} = {v:.3f}" for k, v in {**bg.params_, **gg.params_}.items())
    text = f"""### CLV speed ({n:,} simulated customers, one process, OMP_NUM_THREADS=1)

From RFM summaries (true BG/NBD r = 0.9, α = 6, a = 0.8, b = 2.5 weekly; Gamma-Gamma p = 6, q = 4, γ = 60):
BG/NBD fit {fit_bg:.1f} s, Gamma-Gamma fit {fit_gg:.1f} s, CLV of every customer (12 monthly steps, 52 weeks,
discounted) {total - fit_bg - fit_gg:.1f} s; **total {total:.1f} s** (target ≤ 30 s: {'met' if ok else 'NOT met'}).
Recovered: {params}. Total CLV {clv['clv'].sum():,.0f}.
"""
    print(text)
    return text, ok


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    parts = []
    for name, run in (
        ("cdnow", cdnow),
        ("telco", lambda: telco([0] if quick else [0, 1, 2])),
        ("drivers", lambda: correlated_drivers(20 if quick else 100)),
        ("speed", lambda: clv_speed(100_000 if quick else 1_000_000)),
    ):
        text, ok = run()
        parts.append(text)
        print(f"[{name}] {'ok' if ok else 'TARGET MISSED'}", flush=True)
    write_section("value", "\n".join(parts))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
