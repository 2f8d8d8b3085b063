"""Diagnose: time of the diagnose step's parts and of the consultant report (HTML + PDF) on a demo store.

Usage: ``python -m bench.bench_diagnose [STORE.duckdb]`` — a store the whole flywheel has run on (default: a
2,000-customer, seed-1 demo world is generated, ingested and run first, which takes minutes). The store is copied;
the copy is diagnosed. The machine is shared (2 cores, other jobs running), so wall-clock figures depend on its load.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.results_file import write_section


def _store(argv: list[str], folder: Path) -> Path:
    if argv:
        shutil.copy(argv[0], folder / "d.duckdb")
        return folder / "d.duckdb"
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    world = generate_world(folder / "world", customers=2000, seed=1)
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    with Store.open(folder / "d.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        run_flywheel(store, settings=settings)
    return folder / "d.duckdb"


def main(argv: list[str]) -> None:
    from empathica.diagnose.alignment import alignment_table, load_themes, theme_mentions
    from empathica.diagnose.evidence import alignment_measures, company_measures, customer_evidence, employee_experience
    from empathica.diagnose.exlink import ExCxLink
    from empathica.diagnose.rules import load_rules
    from empathica.diagnose.scorecard import Scorecard
    from empathica.flywheel.steps.diagnose import _values_answers, _values_segments
    from empathica.report.consultant import write_consultant_report
    from empathica.settings import Settings
    from empathica.store import Store

    class _Ctx:
        progress = False

    folder = Path(tempfile.mkdtemp())
    path = _store(argv, folder)
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    rows = []
    with Store.open(path, settings=settings) as store:
        store.runs.begin(steps=["diagnose"])
        t = time.perf_counter()
        customers = customer_evidence(store)
        company = company_measures(store)
        rows.append(("customer evidence (store queries)", time.perf_counter() - t, f"{len(customers):,} customers"))
        t = time.perf_counter()
        Scorecard(rules=load_rules()).fit(customers, company)
        rows.append(("scorecard, 200 bootstrap resamples per group", time.perf_counter() - t, ""))
        t = time.perf_counter()
        links = ExCxLink().fit(customers.drop(columns=["team_id"]).assign(retained=1 - customers["churned"]),
                               employee_experience(store)).links_
        rows.append((f"EX ↔ CX: {len(links)} mixed models (employee and site level)", time.perf_counter() - t, ""))
        t = time.perf_counter()
        themes, top = load_themes()
        groups = store.table("customers").select("customer_id", "brand", "region").to_pandas()
        table = alignment_table(theme_mentions(_values_answers(store), themes), alignment_measures(store), groups,
                                themes=themes, top=top)
        rows.append(("values alignment: 3 outcomes × company, brands, regions, 200 resamples", time.perf_counter() - t,
                     f"{len(table)} rows"))
        answers = store.count("values_answers")
        for label in ("values segments, cold embedding cache", "values segments, warm (same process)"):
            t = time.perf_counter()
            _values_segments(store, settings, customers, _Ctx())
            rows.append((label, time.perf_counter() - t, f"{answers:,} answers"))
        store.runs.fail("bench")
    from empathica.flywheel import run_flywheel

    with Store.open(path, settings=settings) as store:
        t = time.perf_counter()
        run_flywheel(store, settings=settings, only=["diagnose"])
        rows.append(("whole diagnose step (warm embedder)", time.perf_counter() - t, ""))
    with Store.open(path, settings=settings, read_only=True) as store:
        for lang in ("en", "de", "zh"):
            t = time.perf_counter()
            _, pdf = write_consultant_report(store, folder / "out", title="Lumen", lang=lang, currency="EUR")
            rows.append((f"consultant report {lang}: HTML + PDF", time.perf_counter() - t, f"{pdf.stat().st_size / 1e3:,.0f} kB PDF"))
    shutil.rmtree(folder, ignore_errors=True)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    table = "\n".join(f"| {name} | {seconds:,.1f} | {note} |" for name, seconds, note in rows)
    markdown = (f"Demo store of 2,000 customers (seed 1) after a full flywheel run; measured on a loaded, shared 2-core "
                f"machine (load average {load}), so the seconds are indicative only.\n\n| part | wall s | note |\n|---|---:|---|\n{table}\n")
    print(markdown)
    write_section("diagnose", markdown)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
