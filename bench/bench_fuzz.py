"""The fuzz campaign: Listen's property tests' generators (tests/listen/fuzz_files.py) run far longer.

    python -m bench.bench_fuzz [--examples N]      # N generated files per format (default 400)

Every generated file (CSV in several encodings, delimiters, line ends and header oddities, with
duplicated, id-less, badly timed, too long, too short and unclosed-quote rows; JSON Lines with
non-JSON, blank and other-case-key lines) is ingested into a fresh in-memory store; a case "fails"
when a row is unaccounted for, the counts differ from the file's, or a stored value differs from
its input. Cases tried and found are written to the section "listen: fuzz campaign" of bench/results.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from bench.results_file import write_section


def _campaign(strategy, examples: int, folder: Path) -> tuple[int, list[str], float]:
    from empathica.settings import Settings
    from empathica.store import Store

    tried, found = 0, []
    store = Store.open(":memory:", settings=Settings.load(config_file=folder / "none.toml", progress=False,
                                                          redact_pii=False, batch_rows=5))

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        nonlocal tried
        from tests.listen.fuzz_files import check

        for table in ("feedback", "quarantine", "ingestions"):
            store.con.con.execute(f"DELETE FROM {table}")
        tried += 1
        problems = check(store, case, folder)
        if problems:
            found.append(f"{case.description}: {problems[0]}")

    start = time.perf_counter()
    run()
    store.close()
    return tried, found, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    import logging

    from tests.listen.fuzz_files import csv_cases, jsonl_cases

    logging.disable(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=400)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, strategy in (("CSV", csv_cases()), ("JSON Lines", jsonl_cases())):
            tried, found, seconds = _campaign(strategy, args.examples, Path(tmp))
            kinds = Counter(f.split(": ", 1)[1].split(" (")[0][:60] for f in found)
            rows.append((name, tried, len(found), seconds, kinds, found[:3]))
    lines = ["| format | files tried | files with a lost, miscounted or changed row | seconds |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {tried} | {n} | {seconds:.0f} |" for name, tried, n, seconds, _, _ in rows]
    total, bad = sum(r[1] for r in rows), sum(r[2] for r in rows)
    md = "\n".join([
        f"{total:,} generated files (the property tests' generators, `tests/listen/fuzz_files.py`, without shrinking), "
        f"{bad} with a row lost, miscounted or changed.",
        "",
        *lines,
        "",
        *[f"- {name}: {example}" for name, *_, examples in rows for example in examples],
    ])
    print(md)
    write_section("listen: fuzz campaign", md)


if __name__ == "__main__":
    main()
