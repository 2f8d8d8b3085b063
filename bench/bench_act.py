"""Act's latencies through a real `empathica serve` on loopback: an API-ingested row → its case (p50/p95), and the
context card under a bounded open-loop load (200 requests/s; p50/p99, errors), with the snapshot idle and while it is rebuilt.

The store: a 300-customer demo world analysed once (cached under /tmp), then scaled by copying its customers
with new ids (``--customers``), so the card snapshot and the rule evaluation work at that size.

    python -m bench.bench_act --customers 100000 --rows 30 --seconds 20
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.results_file import write_section

CACHE = Path("/tmp/empathica-bench-act")
EMPATHICA = str(Path(sys.executable).with_name("empathica"))
PASSWORD = "bench-password-1"
#: Listen's default (the evaluation of an ingest reads its new rows only, so the default is enough).
INGEST_MEMORY_LIMIT = "512MB"
#: Tables copied to scale the world: (table, columns that get the copy's suffix).
_SCALED = [("customers", ["customer_id"]), ("events", ["event_id", "customer_id"]),
           ("feedback", ["response_id", "customer_id"]), ("conversations", ["conversation_id", "customer_id"]),
           ("turns", ["turn_id", "conversation_id"]), ("values_answers", ["answer_id", "customer_id"]),
           ("result_value_churn_scores", ["customer_id"]), ("result_value_clv", ["customer_id"]),
           ("result_empathy_customer", ["customer_id"]), ("result_empathy_conversations", ["conversation_id"]),
           ("result_empathy_turns", ["conversation_id"]), ("result_text_scores", ["source_id"])]
RULE = """
[[rule]]
id = "bench_zero"
name = "NPS zero"
on = "feedback"
team = "team_contact_a"
  [[rule.condition]]
  field = "nps"
  op = "=="
  value = 0
"""


def base_store() -> Path:
    """The analysed 300-customer world (built once, then reused from /tmp)."""
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    db = CACHE / "base.duckdb"
    if db.exists():
        return db
    CACHE.mkdir(parents=True, exist_ok=True)
    world = generate_world(CACHE / "data", customers=300, seed=7)
    settings = Settings.load(progress=False, db_path=str(db))
    with Store.open(db, settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        run_flywheel(store, settings=settings, only=["text", "empathy", "journeys", "value"])
    return db


def scaled_store(customers: int) -> Path:
    """A copy of the base world with its customers copied (new ids) up to ``customers``."""
    from empathica.settings import Settings
    from empathica.store import Store

    db = CACHE / f"scaled-{customers}.duckdb"
    if db.exists():
        return db
    shutil.copy(base_store(), db)
    with Store.open(db, settings=Settings.load(progress=False, db_path=str(db))) as store:
        copy_customers(store, max(1, customers // store.count("customers")), _SCALED)
    return db


def copy_customers(store, copies: int, tables: list[tuple[str, list[str]]]) -> None:
    """Each table's rows ``copies`` times in all (the copy ``k`` with ``~k`` after the id ``columns``)."""
    for table, columns in tables:
        if not store.has_table(table):
            continue
        replaced = ", ".join(f"{c} || '~' || CAST(k AS VARCHAR) AS {c}" for c in columns)
        store.raw_sql(f"CREATE TEMP TABLE base_{table} AS SELECT * FROM {table}")
        store.raw_sql(f"INSERT INTO {table} SELECT * EXCLUDE (k) REPLACE ({replaced}) "
                      f"FROM base_{table}, (SELECT range AS k FROM range(1, {copies}))")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: Path, *, command: list[str] | None = None, env: dict[str, str] | None = None
          ) -> tuple[subprocess.Popen, str, str]:
    """``empathica serve`` on ``db`` (or ``command … serve``) with a fresh operational store, a user and the bench's
    rule; process, URL and token."""
    folder = db.parent
    for path in folder.glob(db.name + ".ops.sqlite*"):
        path.unlink()
    subprocess.run([EMPATHICA, "users", "add", "bench", "--role", "admin", "--password-stdin", "--db", str(db)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    rules = folder / "bench_rules.toml"
    rules.write_text(RULE, encoding="utf-8")
    subprocess.run([EMPATHICA, "act", "load", str(rules), "--db", str(db)], check=True, capture_output=True)
    port = _free_port()
    # DuckDB's memory limit is the whole database's: Listen's ingest limit (512MB by default) also caps the reads
    # Act makes meanwhile (rules, the card snapshot), and at a million customers an ingest then runs out of memory.
    env = {**os.environ, "EMPATHICA_INGEST_MEMORY_LIMIT": INGEST_MEMORY_LIMIT, **(env or {})}
    proc = subprocess.Popen([*(command or [EMPATHICA]), "serve", "--db", str(db), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise SystemExit(proc.stderr.read())
    token = httpx.post(f"{url}/auth/login", json={"username": "bench", "password": PASSWORD}).json()["token"]
    return proc, url, token


def row_to_case(client: httpx.Client, rows: int) -> tuple[list[float], float]:
    """Seconds from posting one feedback row (NPS 0) until its case is listed, per row; and when the last was posted."""
    latencies = []
    customers = client.get("/cases", params={"page_size": 1}).json()  # warm the connection
    del customers
    for i in range(rows):
        response_id = f"bench-{time.time_ns()}-{i}"
        row = {"response_id": response_id, "customer_id": "cust_0000001", "timestamp": "2024-12-30T10:00:00Z", "nps": 0}
        started, posted = time.perf_counter(), time.time()
        posted_row = client.post("/ingest/feedback/rows", json={"rows": [row]})
        if posted_row.status_code != 200:
            raise SystemExit(f"ingest refused: {posted_row.status_code} {posted_row.text[:500]}")
        while True:
            found = client.get("/cases", params={"rule_id": "bench_zero", "page_size": 1000}).json()["cases"]
            if any(c["signal_id"] == f"feedback:{response_id}" for c in found):
                break
            if time.perf_counter() - started > 120:
                raise SystemExit(f"no case for {response_id} within 120 s")
            time.sleep(0.02)
        latencies.append(time.perf_counter() - started)
    return latencies, posted


def row_to_card(client: httpx.Client, customer_ids: list[str], rows: int) -> list[float]:
    """Seconds from posting one event (API) until the customer's card shows that event (the overlay, before any
    rebuild). Each event has a time of its own, later than any earlier run's (the cached store keeps the events of
    earlier runs: an event with a time seen before would be "shown" at once, before the overlay did anything)."""
    latencies = []
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3650)  # the newest event of every card
    for i in range(rows):
        customer = customer_ids[i % len(customer_ids)]
        stamp = base + timedelta(seconds=i)
        event = {"event_id": f"bench-ev-{time.time_ns()}", "customer_id": customer, "timestamp": stamp.isoformat(),
                 "touchpoint_id": "web_checkout", "channel": "web"}
        before = client.get(f"/customers/{customer}/card").json()["journey"]
        if any(_moment(e["timestamp"]) == stamp for e in before):
            raise SystemExit(f"{customer}'s card shows an event at {stamp} before it was posted")
        started = time.perf_counter()
        if client.post("/ingest/events/rows", json={"rows": [event]}).status_code != 200:
            raise SystemExit("event ingest refused")
        while not any(_moment(e["timestamp"]) == stamp
                      for e in client.get(f"/customers/{customer}/card").json()["journey"]):
            if time.perf_counter() - started > 120:
                raise SystemExit(f"the event never reached {customer}'s card within 120 s")
            time.sleep(0.02)
        latencies.append(time.perf_counter() - started)
    return latencies


def _moment(text: str | None) -> datetime | None:
    """A card's event time as an aware datetime (the card writes ISO text)."""
    return datetime.fromisoformat(text) if text else None


def wait_for_cards(client: httpx.Client, *, refreshing: bool, timeout: float = 900) -> float:
    """Seconds until the server's card snapshot is (or is no longer) being rebuilt."""
    started = time.time()
    while time.time() - started < timeout:
        if client.get("/act/cards").json().get("refreshing") == refreshing:
            return time.time() - started
        time.sleep(0.2)
    raise SystemExit(f"the card snapshot did not {'start' if refreshing else 'finish'} a rebuild within {timeout:.0f} s")


def load_phase(url: str, token: str, ids: list[str], args) -> dict:
    """One bounded card load with the machine's load average around it."""
    before = os.getloadavg()[0]
    latencies, errors = card_load(url, token, ids, rate=args.rate, seconds=args.seconds)
    return {"latencies": latencies, "errors": errors, "load": (before, os.getloadavg()[0])}


def _row(label: str, phase: dict) -> str:
    cards = phase["latencies"]
    return (f"| `GET /customers/{{id}}/card`, {label} | {len(cards)} | {statistics.median(cards) * 1000:.1f} ms | "
            f"{_pct(cards, 0.95) * 1000:.1f} ms | {_pct(cards, 0.99) * 1000:.1f} ms | {phase['errors']} | "
            f"{phase['load'][0]:.1f} / {phase['load'][1]:.1f} |\n")


def card_load(url: str, token: str, customer_ids: list[str], *, rate: float, seconds: float) -> tuple[list[float], int]:
    """Open-loop load: requests start on a fixed schedule (``rate``/s) whatever the answers; a latency counts from
    the scheduled start, so a slow server is not hidden by a waiting client. Returns latencies and errors."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    local = threading.local()
    start = time.perf_counter() + 0.5

    host, port = url.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}"}

    def one(i: int) -> None:
        nonlocal errors
        connection = getattr(local, "connection", None)
        if connection is None:  # http.client, not httpx: the client's own CPU must not slow the server it measures
            connection = local.connection = http.client.HTTPConnection(host, int(port), timeout=10)
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        try:
            connection.request("GET", f"/customers/{customer_ids[i % len(customer_ids)]}/card", headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            local.connection = None
        with lock:
            latencies.append(time.perf_counter() - due)
            errors += not ok

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(one, range(total)))
    return latencies, errors


#: A machine whose 1-minute load average stays at or below this per core counts as quiet.
QUIET_LOAD_PER_CORE = 1.5


def machine_load_note(loads: list[float], cores: int | None = None) -> str:
    """The closing sentence of a bench section, following the load averages measured during it (the 1-minute
    figure): quiet at most QUIET_LOAD_PER_CORE per core, else loaded (latencies then include waiting for a core)."""
    cores = cores or os.cpu_count() or 1
    peak = max(loads)
    where = f"load average {min(loads):.1f}–{peak:.1f} on {cores} cores"
    if peak <= QUIET_LOAD_PER_CORE * cores:
        return f"Measured on a quiet machine ({where})."
    return f"Measured on a shared, loaded machine ({where}): latencies include waiting for a core."


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=30, help="API-ingested rows timed to their case.")
    parser.add_argument("--rate", type=float, default=200.0, help="Card requests per second.")
    parser.add_argument("--seconds", type=float, default=20.0, help="Seconds of card load.")
    parser.add_argument("--section", default="act", help="Section of bench/results.md written (default: act).")
    args = parser.parse_args(argv)
    db = scaled_store(args.customers)
    from empathica.store import Store

    with Store.open(db, read_only=True) as store:
        size = store.count("customers")
        ids = store.table("customers").customer_id.to_pandas().sample(2000, random_state=1, replace=True).tolist()
    started_load = os.getloadavg()[0]
    proc, url, token = serve(db)
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            ingest, _ = row_to_case(client, args.rows)
            to_card = row_to_card(client, ids, max(5, args.rows // 3))
            wait_for_cards(client, refreshing=False)
            idle = load_phase(url, token, ids, args)  # the snapshot as it is: no rebuild going on
            client.post("/act/cards/refresh")
            wait_for_cards(client, refreshing=True)
            rebuilding = load_phase(url, token, ids, args)  # while a full rebuild runs beside the requests
            snapshot = client.get("/act/cards").json()  # the start-up build's figures (the rebuild may go on)
            rss = _rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    text = (f"Store: {size:,} customers (a 300-customer demo world copied with new ids), served by `empathica serve` "
            f"on loopback; 2 shared cores; setting ingest_memory_limit={INGEST_MEMORY_LIMIT}. Card load: "
            f"{args.rate:.0f} requests/s for {args.seconds:.0f} s each, open loop (a latency counts from the scheduled "
            "start).\n\n"
            "| measure | requests | p50 | p95 | p99 | errors | load average before / after |\n|---|---|---|---|---|---|---|\n"
            f"| API-ingested row → its case listed | {len(ingest)} | {statistics.median(ingest):.2f} s | "
            f"{_pct(ingest, 0.95):.2f} s | {_pct(ingest, 0.99):.2f} s | 0 | |\n"
            f"| API-ingested event → on the customer's card (overlay; the event's own time, new to the store) | {len(to_card)} | {statistics.median(to_card):.2f} s | "
            f"{_pct(to_card, 0.95):.2f} s | {_pct(to_card, 0.99):.2f} s | 0 | |\n"
            + _row("snapshot idle", idle) + _row("during a full snapshot rebuild", rebuilding) +
            f"\nCard snapshot: {snapshot['customers']:,} customers in {snapshot['bytes'] / 2**20:,.0f} MB (Arrow tables, "
            f"offsets and the ids, memory-mapped from IPC files a child process wrote), a full rebuild took "
            f"{snapshot['build_seconds']:.0f} s at start (every core; a rebuild while serving: DuckDB on one low-priority "
            "thread, the child at nice 19, slower); the server's resident "
            f"memory afterwards {rss:,.0f} MB. Load average: 1-minute figure of the shared machine (other engineers' "
            "jobs ran meanwhile).\n\n"
            "Goals (issue 21): row → case p95 < 5 s; card p99 < 50 ms at 200 requests/s with 0 errors, for 1,000,000 "
            f"customers. {machine_load_note([started_load, *idle['load'], *rebuilding['load'], os.getloadavg()[0]])}")
    print(text)
    write_section(args.section, text)


if __name__ == "__main__":
    main()
