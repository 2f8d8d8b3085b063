"""Share: what saying the stored churn reasons of a result page in a language costs (``GET /results/{name}?lang=``).

Usage: ``python -m bench.bench_result_reasons [CUSTOMERS]`` — a churn model is fitted on synthetic customers with the
store's feature names (as tests/value/test_churn_reasons_languages.py does), its reasons are stored lines as in
``value_churn_scores``, and ``serve.reasons.result_reasons`` says 100-row pages of them in English, German and
Chinese: first cold (no part said before in this process), then the same pages again (each part said once per
process and language). A page is computed once per results version and kept in the server's page cache after.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from bench.results_file import write_section


def _reasons(n: int) -> pd.Series:
    from empathica.understand.churn import ChurnModel

    rng = np.random.default_rng(7)
    X = pd.DataFrame({"tenure_days": rng.uniform(10, 900, n), "days_since_purchase": rng.uniform(0, 300, n),
                      "csat_min": rng.integers(1, 6, n).astype(float), "nps_last": rng.integers(0, 11, n).astype(float),
                      "segment": rng.choice(["app_first", "store_first"], n), "language": rng.choice(["de", "en", "zh"], n)})
    X.loc[X.index[: n // 10], "nps_last"] = np.nan
    logit = -2 + 0.01 * X["days_since_purchase"] - 0.004 * X["tenure_days"] + 0.8 * (X["segment"] == "app_first")
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(logit + 1.5 * X["nps_last"].isna())))).astype(int)
    return ChurnModel(cv=3).fit(X, y).reasons(X)


def main(argv: list[str]) -> None:
    from empathica.schema.results import VALUE_CHURN_SCORES
    from empathica.serve.reasons import result_reasons

    n = int(argv[0]) if argv else 2000
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "p_churn": 0.3, "reasons": _reasons(n).to_numpy()})
    pages = [frame.iloc[i:i + 100] for i in range(0, n, 100)]
    rows = []
    for lang in ("en", "de", "zh"):
        for label in ("cold", "again"):
            cpu = time.process_time()
            for page in pages:
                result_reasons(page, VALUE_CHURN_SCORES, lang)
            rows.append((lang, label, (time.process_time() - cpu) / len(pages) * 1000))
    load = open("/proc/loadavg").read().split()[:3]
    lines = [f"{n:,} customers' churn reasons (3 per customer), {len(pages)} pages of 100 rows; load average "
             f"{' '.join(load)} on 2 shared cores (CPU ms of this process are the figure to read).", "",
             "| language | pages | CPU ms per 100-row page |", "|---|---|---|"]
    lines += [f"| {lang} | {label} | {ms:.1f} |" for lang, label, ms in rows]
    print("\n".join(lines))
    write_section("share: reasons said per result page", "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
