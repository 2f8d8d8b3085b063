"""Load on `empathica serve` over loopback: result reads at a fixed rate while files are being ingested.

    python -m bench.bench_serve                      # 100 requests/s for 30 s on the 2,000-customer demo store
    python -m bench.bench_serve --db demo.duckdb --rate 100 --seconds 60

The demo store is built once (``empathica demo --customers 2000``) under the scratch folder and copied for each
run. A real server process is started on 127.0.0.1; an open-loop asyncio/httpx generator sends GETs of result
pages (every declared result the store holds, with and without filters) at the rate asked, bounded in count
and time, while a thread keeps uploading fresh event files (POST /ingest) so that an ingest runs throughout.
The figures (latency percentiles, errors, ingests) go to bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

SCRATCH = Path(__file__).with_name(".scratch") / "serve"
EMPATHICA = str(Path(sys.executable).with_name("empathica"))
PASSWORD = "bench-password-1"
#: Seconds between one ingest's end and the next upload.
GAP = 1.0


def _store(db: str | None, customers: int, data: str) -> tuple[Path, Path]:
    """(the demo store to copy, its data folder)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    if db:
        return Path(db), Path(data)
    path, data = SCRATCH / f"demo{customers}.duckdb", SCRATCH / f"data{customers}"
    if not path.exists():
        subprocess.run([EMPATHICA, "demo", "--db", str(path), "--customers", str(customers), "--data", str(data),
                        "--out", str(SCRATCH / "report"), "--replace"], check=True)
    return path, data


def _start(db: Path, port: int) -> subprocess.Popen:
    subprocess.run([EMPATHICA, "users", "add", "bench", "--role", "analyst", "--password-stdin", "--db", str(db)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    proc = subprocess.Popen([EMPATHICA, "serve", "--db", str(db), "--port", str(port)], stderr=subprocess.PIPE, text=True)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


def _targets(client, headers) -> list[str]:
    """Result pages to read: every stored result, plain, a later page, and filtered where the filter applies."""
    stored = [r for r in client.get("/results", headers=headers).json()["results"] if r["rows"]]
    urls = []
    for r in stored:
        columns = {c["name"] for c in r["columns"]}
        urls += [f"/results/{r['name']}?page_size=50", f"/results/{r['name']}?page=2&page_size=20"]
        if "customer_id" in columns:
            urls.append(f"/results/{r['name']}?segment=app_first&page_size=50")
        if "team_id" in columns or "agent_id" in columns:
            urls.append(f"/results/{r['name']}?team=team_contact_a&page_size=50")
        if "language" in columns or "lang" in columns:
            urls.append(f"/results/{r['name']}?language=de&page_size=50")
    return urls


def _ingest_loop(base: str, headers: dict, events: Path, stop: threading.Event, done: list) -> None:
    """Upload fresh copies of the demo's events (new ids, so every row is stored) until ``stop``."""
    import httpx
    import pandas as pd

    frame = pd.read_parquet(events)
    round_ = 0
    with httpx.Client(base_url=base, timeout=300) as client:
        while not stop.is_set():
            round_ += 1
            fresh = frame.assign(event_id=f"bench{round_}-" + frame["event_id"].astype(str))
            buffer = io.BytesIO()
            fresh.to_parquet(buffer, index=False)
            started = time.perf_counter()
            response = client.post("/ingest", headers=headers, data={"table": "events"},
                                   files={"file": (f"events_bench_{round_}.parquet", buffer.getvalue())})
            done.append((response.status_code, time.perf_counter() - started,
                         response.json()["ingested"][0]["rows_stored"] if response.status_code == 200 else 0))
            stop.wait(GAP)


async def _load(base: str, headers: dict, urls: list[str], rate: float, seconds: float) -> list[tuple[float, int]]:
    """Open loop: request i starts at i / rate seconds, whatever the answers' pace; (latency s, status) each."""
    import httpx

    results: list[tuple[float, int]] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10, limits=limits) as client:
        async def one(url: str) -> None:
            started = time.perf_counter()
            try:
                status = (await client.get(url)).status_code
            except httpx.HTTPError:
                status = 0
            results.append((time.perf_counter() - started, status))

        start = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            # always yield: a generator that falls behind must still let the requests already started run
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(urls[i % len(urls)])))
        await asyncio.gather(*tasks)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="A demo store to copy (default: build the 2,000-customer one).")
    parser.add_argument("--data", default="demo-data", help="The demo's data folder of --db (its events are re-ingested).")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="Requests per second.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Length of the load (at most 300).")
    parser.add_argument("--warm", action="store_true", help="Read every URL once before the load (pages cached).")
    parser.add_argument("--no-ingest", action="store_true", help="Reads only (to tell the ingest's share of the cost).")
    args = parser.parse_args(argv)
    seconds = min(args.seconds, 300.0)
    source, data = _store(args.db, args.customers, args.data)
    work = SCRATCH / "served.duckdb"
    for stale in SCRATCH.glob("served.duckdb*"):
        stale.unlink()
    shutil.copy(source, work)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _start(work, port)
    base = f"http://127.0.0.1:{port}"
    try:
        figures = _measure(base, None if args.no_ingest else data / "events.parquet", args.rate, seconds,
                           pid=proc.pid, warm=args.warm)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    _report(figures, customers=args.customers, rate=args.rate, seconds=seconds)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process ``pid`` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(base: str, events: Path | None, rate: float, seconds: float, *, pid: int, warm: bool = False) -> dict:
    import httpx
    import numpy as np

    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post("/auth/login", json={"username": "bench", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        urls = _targets(client, headers)
        if warm:  # each page once, so the load measures cached pages (a run's publication empties the cache)
            for url in urls:
                client.get(url, headers=headers)
    stop, ingests = threading.Event(), []
    ingester = threading.Thread(target=_ingest_loop, args=(base, headers, events, stop, ingests), daemon=True)
    if events is not None:
        ingester.start()
        time.sleep(1.0)  # the first upload is under way
    load_before = os.getloadavg()[0]
    cpu_before, ingests_before = _cpu_seconds(pid), len(ingests)
    started = time.perf_counter()
    results = asyncio.run(_load(base, headers, urls, rate, seconds))
    wall = time.perf_counter() - started
    cpu = _cpu_seconds(pid) - cpu_before
    load_after = os.getloadavg()[0]
    stop.set()
    if events is not None:
        ingester.join(timeout=120)
    latency = np.array([r[0] for r in results]) * 1000
    errors = sum(1 for r in results if r[1] != 200)
    return {"warm": warm, "ingest": events is not None, "requests": len(results), "wall": wall, "errors": errors, "targets": len(urls),
            "p50": float(np.percentile(latency, 50)), "p95": float(np.percentile(latency, 95)),
            "p99": float(np.percentile(latency, 99)), "max": float(latency.max()),
            "load": (load_before, load_after, os.cpu_count()), "server_cpu": cpu,
            "ingests": len(ingests), "ingest_errors": sum(1 for s, _, _ in ingests if s != 200),
            "ingest_rows": sum(n for _, _, n in ingests),
            "ingest_seconds": float(np.median([d for _, d, _ in ingests])) if ingests else float("nan")}


#: Rows of the section's history table kept (newest last).
HISTORY_ROWS = 40
_HISTORY_HEAD = ("| when (UTC) | rate asked | seconds | ingest | warm | achieved | errors | p50 | p95 | p99 | server CPU per read "
                 "| load avg before / after | goal |\n|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|")


def _history_rows(section: str) -> list[str]:
    """The rows of the history table already in the section (empty when there is none yet)."""
    if "### History" not in section:
        return []
    table = section.split("### History", 1)[1]
    return [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| when")]


def _history_row(f: dict, *, rate: float, seconds: float) -> str:
    from datetime import UTC, datetime

    verdict = "met" if f["p99"] < 100 and f["errors"] == 0 and f["ingest"] else ("–" if not f["ingest"] else "missed")
    return (f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {rate:g}/s | {seconds:g} | {'yes' if f['ingest'] else 'no'} "
            f"| {'yes' if f['warm'] else 'no'} | {f['requests'] / f['wall']:.1f}/s | {f['errors']} | {f['p50']:,.1f} ms "
            f"| {f['p95']:,.1f} ms | {f['p99']:,.1f} ms | {f['server_cpu'] / max(f['requests'], 1) * 1000:.1f} ms "
            f"| {f['load'][0]:.1f} / {f['load'][1]:.1f} | {verdict} |")


def _report(f: dict, *, customers: int, rate: float, seconds: float) -> None:
    """Write the run into its section: this run's figures, and the section's history table with this run added
    (each run is a dated row, so a run on a loaded machine does not erase what an idle one measured)."""
    import re

    from bench.results_file import RESULTS, write_section

    name = "serve load (loopback)"
    old = re.search(rf"<!-- {re.escape(name)}:start -->(.*?)<!-- {re.escape(name)}:end -->", RESULTS.read_text(encoding="utf-8")
                    if RESULTS.exists() else "", re.S)
    history = (_history_rows(old.group(1)) if old else []) + [_history_row(f, rate=rate, seconds=seconds)]
    verdict = "meets" if f["p99"] < 100 and f["errors"] == 0 else "misses"
    markdown = f"""
`python -m bench.bench_serve --rate {rate:g} --seconds {seconds:g}`: `empathica serve` on the {customers:,}-customer demo
store, loopback, result pages (GET /results/<name>, {f['targets']} distinct URLs: every stored result, later pages,
segment/team/language filters) sent open-loop at {rate:g} requests/s by an asyncio/httpx client on the same machine, while
fresh event files were uploaded and ingested (POST /ingest) one after another throughout, {GAP:g} s apart.

| requests | achieved rate | errors | p50 | p95 | p99 | max | ingests during the load | rows ingested | median ingest |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| {f['requests']:,} | {f['requests'] / f['wall']:.1f}/s | {f['errors']} | {f['p50']:.1f} ms | {f['p95']:.1f} ms | {f['p99']:.1f} ms | {f['max']:.1f} ms | {f['ingests']} ({f['ingest_errors']} failed) | {f['ingest_rows']:,} | {f['ingest_seconds']:.1f} s |

Server process CPU during the load: {f['server_cpu']:.1f} s for {f['requests']:,} reads and the ingests beside them
({f['server_cpu'] / max(f['requests'], 1) * 1000:.1f} ms of CPU per read, ingest included).

Machine: {f['load'][2]} cores, load average {f['load'][0]:.1f} before and {f['load'][1]:.1f} after the load (other
processes share the machine). Goal: p99 < 100 ms at 100 requests/s with 0 errors while an ingest runs — this run
{verdict} it.

### History

Every run of this bench, newest last (the last {HISTORY_ROWS} are kept); read the load average beside each row.

{_HISTORY_HEAD}
""" + "\n".join(history[-HISTORY_ROWS:]) + "\n"
    path = write_section(name, markdown)
    print(markdown)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
