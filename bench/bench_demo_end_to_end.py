"""The main job end to end: `empathica demo --customers N` (generate, ingest, every analysis, report).

    python -m bench.bench_demo_end_to_end [CUSTOMERS]      (default: 1000000)

Runs the command line in a child process in a scratch folder (deleted afterwards), reads the time of
each stage from its console (ingestion ends when the first analysis step starts) and the child's peak
resident memory, and writes the section "demo: end to end" of bench/results.md. At 1,000,000
customers this takes about an hour on the 2-core machine.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results_file import write_section

_STEP = re.compile(r"^\s+(?P<title>.+): (?P<outcome>done|skipped) in (?P<seconds>[\d,.]+) s\s*$")


def run(customers: int, *, keep: Path | None = None) -> dict:
    """The demo command's stages and totals; with ``keep``, built in that folder and kept there (its store is
    ``keep/demo.duckdb``), else in a scratch folder deleted afterwards."""
    scratch = keep or Path(tempfile.mkdtemp(prefix="empathica-e2e-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("empathica")), "demo", "--customers", str(customers),
               "--db", str(scratch / "demo.duckdb"), "--out", str(scratch / "report")]
    try:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stages, generated_at = [], None
        for line in child.stderr:  # the console: generation, then one line per analysis step
            print(line, end="", file=sys.stderr, flush=True)
            if "wrote" in line and "files to" in line and generated_at is None:
                generated_at = time.perf_counter() - start
            match = _STEP.match(line)
            if match:
                stages.append((match["title"], match["outcome"], float(match["seconds"].replace(",", ""))))
        summary = child.stdout.read()
        code = child.wait()
        total = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        return {"customers": customers, "exit": code, "total": total, "generated": generated_at,
                "analyses": sum(s for _, _, s in stages), "stages": stages, "peak_mb": peak_mb, "summary": summary}
    finally:
        if keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str]) -> None:
    customers = int(argv[0]) if argv else 1_000_000
    r = run(customers)
    if r["exit"] != 0:
        raise SystemExit(f"empathica demo --customers {customers} failed (exit {r['exit']}); nothing written.")
    ingest = r["total"] - (r["generated"] or 0) - r["analyses"]
    lines = [
        f"`empathica demo --customers {customers:,}` in one process (seed 7), exit code {r['exit']}: "
        f"**{r['total'] / 60:.1f} min** end to end, peak RSS **{r['peak_mb'] / 1024:.1f} GB**.",
        "",
        "| stage | seconds |",
        "|---|---:|",
        f"| generate the world | {r['generated'] or float('nan'):,.0f} |",
        f"| ingest (Listen) and write the report | {ingest:,.0f} |",
        *[f"| {title} ({outcome}) | {seconds:,.0f} |" for title, outcome, seconds in r["stages"]],
    ]
    print("\n".join(lines))
    write_section("demo: end to end", "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
