"""What an ingest costs the server's interpreter beside the reads: Act's evaluation of the new rows and the card
patch (overlay) of the customers they reach, in CPU seconds (not wall time, so a loaded machine changes little).

    python -m bench.bench_serve_ingest_cost                 # 3 ingests of the 2,000-customer demo's events
    python -m bench.bench_serve_ingest_cost --ingests 5

The store is bench_serve's demo store (built once), copied. The server's Act is started as `empathica serve` starts
it; each round ingests a fresh copy of the demo's events (new ids) as `POST /ingest` does, then runs the worker's
evaluation turns until nothing is pending and builds the overlay once for every customer they queued. Then card
patches of 1 to 2,000 customers are timed alone. Figures go to bench/results.md ("serve ingest cost").
"""

from __future__ import annotations

import argparse
import io
import shutil
import time

from bench.bench_serve import SCRATCH, _store


def _ingest_rounds(server, act, events, rounds: int) -> list[dict]:
    """Per round: rows, evaluation turns, evaluation CPU s, overlay CPU s, customers patched."""
    import pandas as pd
    from rich.console import Console

    from empathica.listen import ingest_files

    frame, out = pd.read_parquet(events), []
    for r in range(rounds + 1):  # round 0 sets the watermarks (a start-up evaluation): not reported
        path = SCRATCH / f"cost_events_{r}.parquet"
        frame.assign(event_id=f"cost{r}-" + frame["event_id"].astype(str)).to_parquet(path, index=False)
        with server.ingesting() as writer:
            ingest_files(writer, [path], kind="events", console=Console(file=io.StringIO()))
        path.unlink()
        act.cases.add_pending("ingest", path.name)
        started, turns = time.process_time(), 0
        while act.cases.pending():
            act.work()
            turns += 1
        evaluated = time.process_time()
        patched = len(act._overlay_due)
        act.overlay()
        if r:
            out.append({"rows": len(frame), "turns": turns, "evaluation": evaluated - started,
                        "overlay": time.process_time() - evaluated, "customers": patched})
    return out


def _patch_costs(server, act, sizes: list[int]) -> list[tuple[int, float]]:
    from empathica.act.card import CardSnapshot

    with server.reading() as store:
        ids = sorted(store.table("customers").customer_id.to_pandas().tolist())
        costs = []
        for n in sizes:
            started = time.process_time()
            CardSnapshot.build(store, only=ids[:n], openers=act.snapshot.openers)
            costs.append((n, time.process_time() - started))
    return costs


def main(argv: list[str] | None = None) -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--ingests", type=int, default=3)
    args = parser.parse_args(argv)
    source, data = _store(None, args.customers, "")
    work = SCRATCH / "cost.duckdb"
    for stale in SCRATCH.glob("cost.duckdb*"):
        stale.unlink()
    shutil.copy(source, work)
    from empathica.act.service import ActService
    from empathica.serve import open_server

    server = open_server(str(work))
    act = ActService(server)
    act.start()
    act.stop()  # its threads: this bench turns the worker and the overlay itself, one after the other
    load = os.getloadavg()[0]
    try:
        rounds = _ingest_rounds(server, act, data / "events.parquet", args.ingests)
        patches = _patch_costs(server, act, [1, 100, 500, 2000])
    finally:
        server.store.close()
        server.ops.close()
    _report(rounds, patches, customers=args.customers, load=(load, os.getloadavg()[0]))


def _report(rounds: list[dict], patches: list[tuple[int, float]], *, customers: int, load: tuple[float, float]) -> None:
    from bench.results_file import write_section

    rows = "\n".join(f"| {r['rows']:,} | {r['turns']} | {r['evaluation']:.2f} s | {r['customers']:,} | {r['overlay']:.2f} s |"
                     for r in rounds)
    sizes = "\n".join(f"| {n:,} | {cpu:.2f} s |" for n, cpu in patches)
    markdown = f"""
`python -m bench.bench_serve_ingest_cost`: the {customers:,}-customer demo store; each ingest a fresh copy of its
events through Listen, then Act's worker turns until nothing is pending, then one card patch (overlay) of the
customers they reached — the work `empathica serve` does in its interpreter beside the reads after each `POST /ingest`
(bench_serve's load). CPU seconds of this process; load average {load[0]:.1f} before, {load[1]:.1f} after (2 cores).

| events ingested | evaluation turns | evaluation CPU | customers patched | overlay CPU |
|---:|---:|---:|---:|---:|
{rows}

A card patch alone, by customers patched:

| customers | CPU |
|---:|---:|
{sizes}
"""
    print(markdown)
    print(f"written to {write_section('serve ingest cost', markdown)}")


if __name__ == "__main__":
    main()
