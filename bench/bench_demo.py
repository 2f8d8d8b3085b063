"""How long the demo world takes to generate, how big its files are, and its peak memory.

    python -m bench.bench_demo [CUSTOMERS ...]     (default: 2000 1000000)

Each size is generated once into a scratch folder that is deleted afterwards.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.results_file import write_section


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(customers: int) -> dict:
    from empathica.demo import generate_world

    scratch = Path(tempfile.mkdtemp(prefix="empathica-demo-bench-"))
    try:
        start = time.perf_counter()
        world = generate_world(scratch, customers=customers, seed=7)
        seconds = time.perf_counter() - start
        sizes = {path.name: path.stat().st_size for path, _ in world.files}
        rows = world.truths["realised"]["rows"]
        return {"customers": customers, "seconds": seconds, "sizes": sizes, "rows": rows, "peak_mb": _peak_mb()}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [2000, 1_000_000]
    lines = [
        "Generation of the demo world (`generate_world`, seed 7), single process, on the shared 2-core machine.",
        "Peak memory is the process's maximum resident set size so far (it includes the smaller runs before).",
        "",
        "| customers | seconds | events | feedback | turns | transactions | total file size | peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    details = []
    for n in sizes:
        m = measure(n)
        total = sum(m["sizes"].values()) / 1e6
        r = m["rows"]
        line = (f"| {n:,} | {m['seconds']:.1f} | {r['events']:,} | {r['feedback']:,} | {r['turns']:,} | "
                f"{r['transactions']:,} | {total:,.1f} MB | {m['peak_mb']:,.0f} MB |")
        print(line, flush=True)
        lines.append(line)
        details.append(f"- {n:,} customers, file sizes: " + ", ".join(f"{k} {v / 1e6:,.1f} MB" for k, v in m["sizes"].items()))
    write_section("demo", "\n".join(lines + [""] + details))


if __name__ == "__main__":
    main(sys.argv[1:])
