"""Act on a bulk ingest: throughput of the batched evaluation of new rows (texts scored, rules evaluated) and the
time until the first batch's cases are open.

The store: the analysed 300-customer demo world of ``bench_act`` (copied, never changed), with the demo's rules and
one on the comments' sentiment. The bulk: ``--rows`` feedback rows whose comments are real customer texts (English
airline tweets, German Deutsche Bahn feedback, Chinese hotel reviews, in turn) and ``--conversations``
conversations of two turns (a real tweet from the customer, a fixed agent reply), ingested through Listen, then
evaluated as the server's worker does (``evaluate_pending`` after an ingest).

A small ingest (one feedback row, NPS 0) comes after the bulk's first batch, as on a server that keeps taking
rows: it is evaluated ahead of the bulk's remaining batches (``act/live.py``, ``Lanes``), and the bench times it
to its case. ``--small-only`` stops there (the bulk's first batch and the small ingest: minutes, not the whole bulk).

    python -m bench.bench_act_bulk --rows 20000 --conversations 2000
    python -m bench.bench_act_bulk --rows 20000 --conversations 2000 --small-only
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from bench.bench_act import RULE, base_store, machine_load_note
from bench.results_file import write_section
from empathica.act.engine import LIVE_ROWS
from empathica.act.live import Lanes

WORK = Path("/tmp/empathica-bench-act-bulk")
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SENTIMENT_RULE = """
[[rule]]
id = "bench_negative_comment"
name = "Negative comment"
on = "feedback"
  [[rule.condition]]
  field = "sentiment"
  op = "<="
  value = -0.5
"""


def real_texts(n: int) -> list[str]:
    """``n`` real customer texts, English, German and Chinese in turn (each corpus cycled when too short)."""
    en = pd.read_csv(DATA / "en" / "airline_tweets.csv")["text"].astype(str).tolist()
    with open(DATA / "de" / "germeval2017_dev.tsv", encoding="utf-8") as handle:
        de = [row[1] for row in csv.reader(handle, delimiter="\t") if len(row) > 1 and row[1].strip()]
    zh = pd.read_csv(DATA / "zh" / "ChnSentiCorp_htl_all.csv")["review"].dropna().astype(str).tolist()
    corpora = [en, de, zh]
    return [corpora[i % 3][(i // 3) % len(corpora[i % 3])] for i in range(n)]


def bulk_files(store, folder: Path, rows: int, conversations: int) -> list[tuple[Path, str]]:
    """The bulk as CSV files: feedback rows with real comments, conversations and their turns."""
    customers = store.table("customers").customer_id.to_pandas().tolist()
    touchpoints = store.table("touchpoints").touchpoint_id.to_pandas().tolist()
    texts = real_texts(rows + conversations)
    stamp = "2024-12-30T10:00:00Z"
    feedback = pd.DataFrame({"response_id": [f"bulk-f{i}" for i in range(rows)],
                             "customer_id": [customers[i % len(customers)] for i in range(rows)],
                             "touchpoint_id": [touchpoints[i % len(touchpoints)] for i in range(rows)],
                             "timestamp": stamp, "nps": [i % 11 for i in range(rows)], "comment": texts[:rows]})
    conv = pd.DataFrame({"conversation_id": [f"bulk-k{i}" for i in range(conversations)],
                         "customer_id": [customers[i % len(customers)] for i in range(conversations)],
                         "channel": "chat", "started_at": stamp})
    turns = pd.DataFrame([{"turn_id": f"bulk-k{i}-{j}", "conversation_id": f"bulk-k{i}", "turn_index": j,
                           "speaker": ("customer", "agent")[j], "agent_id": (None, "agent_bulk")[j],
                           "text": (texts[rows + i], "Thank you for telling us, I am sorry. Let me fix this now.")[j],
                           "timestamp": stamp} for i in range(conversations) for j in (0, 1)])
    files = []
    for name, frame in (("feedback", feedback), ("conversations", conv), ("turns", turns)):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        files.append((path, name))
    return files


def small_ingest(store, cases, analyzer, report, *, on_batch) -> dict:
    """Ingest one feedback row (NPS 0) now, then evaluate one batch per call until its case is open: seconds (wall,
    CPU) and the bulk's batches still left when it was."""
    from empathica.act.engine import evaluate_pending
    from empathica.listen import ingest_files

    customer = store.table("customers").customer_id.to_pandas().iloc[0]
    touchpoint = store.table("touchpoints").touchpoint_id.to_pandas().iloc[0]
    path = WORK / "small.csv"
    pd.DataFrame({"response_id": ["small-1"], "customer_id": [customer], "touchpoint_id": [touchpoint],
                  "timestamp": ["2024-12-30T11:00:00Z"], "nps": [0]}).to_csv(path, index=False)
    wall, cpu = time.perf_counter(), time.process_time()
    ingest_files(store, [path], kind="feedback")
    cases.add_pending("ingest", "small")
    while not any(c["signal_id"] == "feedback:small-1" for c in cases.cases(customer_id=customer, limit=1000)[1]):
        batch = evaluate_pending(cases=cases, store=store, analyzer=lambda: analyzer, on_batch=on_batch, max_batches=1)
        report.add(batch)
    left = Lanes.read(cases.marks())
    remaining = max([-(-(left.ends[t] - left.marks.get(t, left.ends[t])) // LIVE_ROWS) for t in left.ends], default=0)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "left": remaining}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="Feedback rows with real comments.")
    parser.add_argument("--conversations", type=int, default=2_000, help="Conversations of two turns.")
    parser.add_argument("--small-only", action="store_true",
                        help="Stop once the small ingest's case is open (not the whole bulk).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from empathica.act.engine import evaluate_pending, install_rules, load_rule_file
    from empathica.act.rules import parse_rules
    from empathica.act.service import demo_rules_path
    from empathica.act.signals import signal_fields
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store
    from empathica.store.operational import OperationalStore
    from empathica.understand.text import TextAnalyzer

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    db = WORK / "bulk.duckdb"
    shutil.copy(base_store(), db)
    settings = Settings.load(progress=False, db_path=str(db))
    ops = OperationalStore(f"sqlite:///{WORK / 'ops.sqlite'}")
    install_rules(ops.cases, load_rule_file(demo_rules_path()), source="bench")
    install_rules(ops.cases, parse_rules(SENTIMENT_RULE + RULE, known_fields=signal_fields), source="bench")
    analyzer = TextAnalyzer.from_settings(settings)
    analyzer.analyze(["warm up"])
    loads = [os.getloadavg()[0]]
    with Store.open(db, settings=settings) as store:
        evaluate_pending(store, ops.cases, reason="start")  # every table gets its watermark
        files = bulk_files(store, WORK, args.rows, args.conversations)
        ingest_files(store, [p for p, _ in files], kinds=[k for _, k in files])
        batches: list[tuple[float, float, int]] = []
        wall, cpu = time.perf_counter(), time.process_time()

        def timed(batch) -> None:
            batches.append((time.perf_counter() - wall, time.process_time() - cpu, batch.cases_opened))
            loads.append(os.getloadavg()[0])

        report = evaluate_pending(store, ops.cases, reason="ingest", analyzer=lambda: analyzer, on_batch=timed,
                                  max_batches=1)  # one batch per call, as the server's worker
        small = small_ingest(store, ops.cases, analyzer, report, on_batch=timed)
        while ops.cases.pending() and not args.small_only:
            report.add(evaluate_pending(store, ops.cases, analyzer=lambda: analyzer, on_batch=timed, max_batches=1))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ops.close()
    small_line = (f"| a small ingest (1 row) during the bulk → its case | {small['wall']:.1f} s wall "
                  f"({small['cpu']:.1f} s CPU), the next batch evaluated: ahead of the bulk's {small['left']} "
                  "remaining batches |\n")
    if args.small_only:
        text = (f"A small ingest during a bulk of {args.rows:,} feedback rows with real comments and "
                f"{args.conversations:,} conversations (`--small-only`: the bulk's first batch, then the small one).\n\n"
                "| measure | value |\n|---|---|\n"
                f"| bulk's first batch's cases open after | {batches[0][0]:.1f} s wall ({batches[0][1]:.1f} s CPU) |\n"
                + small_line + "\nBefore small ingests were taken ahead (rows in row order only), it waited for all those "
                "remaining batches (about 7 s of CPU per 1,000 texts: section \"act bulk ingest\"). "
                f"{machine_load_note(loads)} The CPU figures are the process's own.")
        print(text)
        write_section("act bulk ingest: a small ingest meanwhile", text)
        return
    texts = len(report.fresh.texts)
    rows = args.rows + args.conversations * 3
    text = (f"Bulk ingest evaluated in batches of at most {LIVE_ROWS:,} rows per table (`act/engine.py`): "
            f"{args.rows:,} feedback rows with real comments (English, German, Chinese in turn) and "
            f"{args.conversations:,} conversations of two turns, ingested through Listen into the analysed 300-customer "
            "demo world with the demo's rules and one on the comments' sentiment; evaluated by `evaluate_pending` "
            "in one process (the server's worker does the same).\n\n"
            "| measure | value |\n|---|---|\n"
            f"| batches | {len(batches)} |\n"
            f"| first batch's cases open after | {batches[0][0]:.1f} s wall ({batches[0][1]:.1f} s CPU), "
            f"{batches[0][2]} cases |\n"
            f"| whole bulk | {wall:.1f} s wall, {cpu:.1f} s CPU; {report.cases_opened:,} cases opened |\n"
            f"| texts scored (comments and customers' turns) | {texts:,}: {texts / wall:,.0f} texts/s wall, "
            f"{texts / cpu:,.0f} texts/s CPU |\n"
            f"| rows evaluated (feedback, conversations, turns) | {rows:,}: {rows / wall:,.0f} rows/s wall, "
            f"{rows / cpu:,.0f} rows/s CPU |\n" + small_line + "\n"
            f"{machine_load_note(loads)} The CPU figures are the process's own.")
    print(text)
    write_section("act bulk ingest", text)


if __name__ == "__main__":
    main()
