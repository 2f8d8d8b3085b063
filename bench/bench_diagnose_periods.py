"""Diagnose: what the scorecard's trend per data period (with its interval), the competitor index per own brand and
the alignment with what customers value cost beside the rest of the scorecard, in CPU and wall time.

Usage: ``python -m bench.bench_diagnose_periods [CUSTOMERS]`` — a demo world (seed 1, 2,000 customers by default) is
generated and ingested (canonical tables only: no empathy or friction results, so the evidence queries are the
canonical ones), then the evidence, the scorecard and the two period scorecards are timed. The machine is shared
(2 cores, other jobs running): CPU seconds are the steadier figure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.results_file import write_section


def _timed(rows: list, label: str, work, note: str = ""):
    wall, cpu = time.perf_counter(), time.process_time()
    out = work()
    rows.append((label, time.process_time() - cpu, time.perf_counter() - wall, note))
    return out


def main(argv: list[str]) -> None:
    from empathica.demo import generate_world
    from empathica.diagnose.evidence import company_measures, customer_evidence
    from empathica.diagnose.rules import load_rules
    from empathica.diagnose.scorecard import Scorecard
    from empathica.flywheel.steps.diagnose import _ecosystem, _period_scores
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    customers = int(argv[0]) if argv else 2000
    folder = Path(tempfile.mkdtemp())
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    world = generate_world(folder / "world", customers=customers, seed=1)
    rows: list = []
    with Store.open(folder / "d.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        rules = load_rules()
        evidence = _timed(rows, "customer evidence, all data", lambda: customer_evidence(store), f"{customers:,} customers")
        company = company_measures(store)
        card = _timed(rows, "scorecard, 200 resamples per group", lambda: Scorecard(rules=rules).fit(evidence, company))
        _timed(rows, "trend per period: 2 windowed evidences + 2 scorecards (200 resamples each, for the interval)",
               lambda: _period_scores(store, settings, rules),
               f"{settings.diagnose_period_days}-day periods; {len(card.scores_):,} scorecard rows")
        store.runs.begin(steps=["diagnose"])  # _ecosystem stores its results
        _timed(rows, "competitor index per own brand + values alignment (200 resamples each)",
               lambda: _ecosystem(store, settings), f"{store.count('reviews'):,} reviews, {store.count('values_answers'):,} values answers")
        store.runs.publish()
    shutil.rmtree(folder, ignore_errors=True)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    table = "\n".join(f"| {name} | {cpu:,.2f} | {wall:,.2f} | {note} |" for name, cpu, wall, note in rows)
    markdown = (f"Demo world of {customers:,} customers (seed 1), canonical tables only; measured on a loaded, shared "
                f"2-core machine (load average {load} at the end), so wall seconds are indicative only.\n\n"
                f"| part | CPU s | wall s | note |\n|---|---:|---:|---|\n{table}\n")
    print(markdown)
    write_section("diagnose: trend per period", markdown)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
