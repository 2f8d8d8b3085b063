"""Where a card request's time goes: the card load of ``bench_act`` (open loop) against a server that times each
request's parts and every garbage collection (``bench.act_timed_server``), with the heap frozen at start (the
product) and, with ``--compare``, unfrozen (as before): p99 per phase, the longest pause of each part, and the
full collections (generation 2) during the load.

    python -m bench.bench_act_card_timing --customers 200000 --rate 50 --seconds 20 --compare
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.bench_act import CACHE, _pct, card_load, machine_load_note, scaled_store, serve
from bench.results_file import write_section


def timed_server(db: Path, out: Path, *, freeze: bool) -> tuple[subprocess.Popen, str, str]:
    """``empathica serve`` on ``db`` through ``bench.act_timed_server`` (timings to ``out``); process, URL, token."""
    return serve(db, command=[sys.executable, "-m", "bench.act_timed_server"],
                 env={"ACT_TIMING_OUT": str(out), **({} if freeze else {"ACT_TIMING_NO_FREEZE": "1"})})


def one_server(db: Path, ids: list[str], args, *, freeze: bool) -> list[str]:
    """Two card loads back to back against one timed server; the result table's rows."""
    out = CACHE / f"timing-{'frozen' if freeze else 'unfrozen'}.json"
    proc, url, token = timed_server(db, out, freeze=freeze)
    loads, phases = [os.getloadavg()[0]], []
    try:
        for _ in range(2):
            started = time.time()
            latencies, errors = card_load(url, token, ids, rate=args.rate, seconds=args.seconds)
            phases.append((started, time.time(), latencies, errors))
            loads.append(os.getloadavg()[0])
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    records = json.loads(out.read_text(encoding="utf-8"))
    rows = []
    for n, (start, end, latencies, errors) in enumerate(phases, 1):
        parts = defaultdict(list)
        for wall, what, seconds, _ in records:
            if start <= wall <= end:
                parts[what].append(seconds)
        longest = ", ".join(f"{what} {max(parts[what]) * 1000:.0f}" for what in ("card", "cases", "render")
                            if parts[what])
        full = parts.get("gc2", [])
        rows.append(f"| heap {'frozen' if freeze else 'not frozen'} | {n} | {_pct(latencies, 0.5) * 1000:.1f} ms | "
                    f"{_pct(latencies, 0.99) * 1000:.1f} ms | {errors} | {longest} | {len(full)}"
                    f"{f' (longest {max(full) * 1000:.0f} ms)' if full else ''} | {loads[n - 1]:.1f} / {loads[n]:.1f} |")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=200.0, help="Card requests per second.")
    parser.add_argument("--seconds", type=float, default=20.0, help="Seconds of each card load.")
    parser.add_argument("--compare", action="store_true", help="Also measure a server whose heap is not frozen.")
    args = parser.parse_args(argv)
    db = scaled_store(args.customers)
    from empathica.store import Store

    with Store.open(db, read_only=True) as store:
        size = store.count("customers")
        ids = store.table("customers").customer_id.to_pandas().sample(2000, random_state=1, replace=True).tolist()
    rows = one_server(db, ids, args, freeze=True) + (one_server(db, ids, args, freeze=False) if args.compare else [])
    loads = [float(cell) for row in rows for cell in row.rsplit("|", 2)[1].split("/")]
    text = (f"Store: {size:,} customers (bench_act's scaled world); card load {args.rate:.0f} requests/s for "
            f"{args.seconds:.0f} s, twice per server start (open loop), against `empathica serve` timing each card "
            "request's parts and every garbage collection (`bench/act_timed_server.py`).\n\n"
            "| server | card load | p50 | p99 | errors | longest part, ms | full collections during the load | "
            "load average before / after |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) +
            f"\n\n{machine_load_note(loads)}")
    print(text)
    write_section("act card: where the time goes", text)


if __name__ == "__main__":
    main()
