"""Journeys at scale: discovery on 10M synthetic events, DFG vs pm4py on 1M, 100M without running out of memory.

    python -m bench.bench_journeys                      # 10M discovery + 1M vs pm4py
    python -m bench.bench_journeys --events 100000000   # the scale run (writes a DuckDB file under bench/.scratch)
    python -m bench.bench_journeys --events 2000000 --no-pm4py   # quick look
    python -m bench.bench_journeys --files 1000000,10000000 --file-repeats 3   # command, library, pm4py on CSV and Parquet files

The comparison also times the SQL Ibis compiles run straight on DuckDB, and the bare window alone
("Where the time goes"): the engine's own floor under any Ibis expression.

pm4py (AGPL) is never a dependency: it is measured only when a scratch virtualenv exists at
bench/.scratch/pm4py-venv (``python -m venv bench/.scratch/pm4py-venv && bench/.scratch/pm4py-venv/bin/pip
install pm4py pyarrow``); otherwise the script says "pm4py not measured".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import ibis

from bench.results_file import write_section

SCRATCH = Path(__file__).resolve().parent / ".scratch"
PM4PY_PYTHON = SCRATCH / "pm4py-venv" / "bin" / "python"
TOUCHPOINTS = 20
#: Timed runs per side in the comparison with pm4py (the best is reported for both).
REPEATS = 3

_PM4PY_SCRIPT = """
import sys, time, json, resource
import pandas as pd
import pm4py
frame = pd.read_parquet(sys.argv[1])
def peak_mb():  # VmHWM: this process's own peak RSS (ru_maxrss would include the parent's size at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
frame["time:timestamp"] = pd.to_datetime(frame["time:timestamp"], utc=True)
loaded_mb = peak_mb()
keys = dict(case_id_key="case:concept:name", activity_key="concept:name", timestamp_key="time:timestamp")
best = None
for _ in range(int(sys.argv[2])):  # the best of n runs, as for Empathica
    t0, c0 = time.perf_counter(), time.process_time()
    dfg, start, end = pm4py.discover_dfg(frame, **keys)
    t1, c1 = time.perf_counter(), time.process_time()
    perf, _, _ = pm4py.discover_performance_dfg(frame, **keys)
    t2, c2 = time.perf_counter(), time.process_time()
    run = {"dfg_s": t1 - t0, "performance_s": t2 - t1, "cpu_s": c2 - c0}
    if best is None or run["dfg_s"] + run["performance_s"] < best["dfg_s"] + best["performance_s"]:
        best = run
means = {f"{a}|{b}": v["mean"] for (a, b), v in perf.items()}
medians = {f"{a}|{b}": v["median"] for (a, b), v in perf.items()}
print(json.dumps({**best, "pathways": len(dfg), "transitions": int(sum(dfg.values())),
                  "version": pm4py.__version__, "means": means, "medians": medians,
                  "loaded_rss_mb": loaded_mb, "peak_rss_mb": peak_mb()}))
"""

#: Our side of the memory comparison, in a fresh process like pm4py's: read the same Parquet file
#: into pandas, then run the like-for-like graph ``repeats`` times; peak RSS (VmHWM) after loading and at the end.
_OURS_MEMORY_SCRIPT = """
import sys, json, resource
import ibis
import pandas as pd
from empathica.understand.journeys import journey_events, pathway_graph
def peak_mb():  # VmHWM: this process's own peak RSS (ru_maxrss would include the parent's size at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
frame = pd.read_parquet(sys.argv[1])
loaded_mb = peak_mb()
con = ibis.duckdb.connect(threads=2, preserve_insertion_order=False)
for _ in range(int(sys.argv[2])):
    events = journey_events(ibis.memtable(frame), case="case:concept:name", activity="concept:name",
                            timestamp="time:timestamp", event_id="event_id")
    con.to_pandas(pathway_graph(events, customers=False, statistics=True))
print(json.dumps({"loaded_rss_mb": loaded_mb, "peak_rss_mb": peak_mb()}))
"""


#: Where the file-to-output run writes its event files once (reused by later runs) and its outputs.
FILES = Path("/tmp/empathica-journey-files")

#: pm4py's side of the file comparison: read the file as pm4py's users do (pandas), then the DFG and the
#: performance DFG; wall-clock from start to finish, CPU of the process, peak RSS (VmHWM).
_PM4PY_FILE_SCRIPT = """
import sys, time, json, resource
t0 = time.perf_counter()
import pandas as pd
import pm4py
path = sys.argv[1]
frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
frame = pm4py.format_dataframe(frame, case_id="case", activity_key="activity", timestamp_key="timestamp")
read = time.perf_counter() - t0
dfg, start, end = pm4py.discover_dfg(frame)
perf, _, _ = pm4py.discover_performance_dfg(frame)
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(json.dumps({"wall_s": time.perf_counter() - t0, "read_s": read, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mb": peak, "pathways": len(dfg), "transitions": int(sum(dfg.values())), "version": pm4py.__version__}))
"""

#: Our side: the user's command, ``empathica journeys discover FILE … --out DIR``, in a fresh process.
_OURS_FILE_SCRIPT = """
import sys, time, json, resource
t0 = time.perf_counter()
from empathica.cli import main
main(["journeys", "discover", sys.argv[1], "--case", "case", "--activity", "activity", "--time", "timestamp",
      "--out", sys.argv[2]], standalone_mode=False)
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": peak}))
"""

#: The library call beside it, in a fresh process: ``read_event_file`` (read, validate, quarantine) and
#: ``JourneyAnalyzer().fit`` on the events it stored, nothing written; the fit alone is the engine on a table in memory.
_LIBRARY_FILE_SCRIPT = """
import sys, time, json, resource
t0 = time.perf_counter()
from empathica.store import Store
from empathica.understand.journeys import JourneyAnalyzer, read_event_file
try:
    store = Store.open(":memory:", schema=False)
except TypeError:  # a tree from before scratch stores (--before-src)
    store = Store.open(":memory:")
t1, c1 = time.perf_counter(), time.process_time()
loaded = read_event_file(store, sys.argv[1], case="case", activity="activity", time="timestamp")
t2, c2 = time.perf_counter(), time.process_time()
if hasattr(loaded, "fit"):  # the file's duplicate and order checks read off the analyzer's sort
    loaded.fit(JourneyAnalyzer())
else:  # a tree from before EventFile.fit (--before-src)
    JourneyAnalyzer().fit(loaded.events)
t3, c3 = time.perf_counter(), time.process_time()
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(json.dumps({"wall_s": t3 - t0, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": peak,
                  "read_s": t2 - t1, "read_cpu_s": c2 - c1, "fit_s": t3 - t2, "fit_cpu_s": c3 - c2}))
"""


def event_files(n_events: int) -> dict[str, Path]:
    """A CSV and a Parquet file of ``n_events`` synthetic events (case, activity, timestamp), written once by DuckDB."""
    FILES.mkdir(parents=True, exist_ok=True)
    paths = {"CSV": FILES / f"events_{n_events}.csv", "Parquet": FILES / f"events_{n_events}.parquet"}
    if all(p.exists() for p in paths.values()):
        return paths
    con = ibis.duckdb.connect(threads=2)
    events = _synthetic_select(n_events, 10)
    for kind, stamp, options in (("CSV", "strftime(ts, '%Y-%m-%d %H:%M:%S')", "FORMAT csv, HEADER"),
                                 ("Parquet", "ts", "FORMAT parquet")):
        select = f'SELECT case_id AS "case", activity, {stamp} AS "timestamp" FROM ({events}) ORDER BY event_id'
        con.raw_sql(f"COPY ({select}) TO '{paths[kind]}' ({options})")
    con.disconnect()
    return paths


def _run_json(python: Path | str, script: str, *args: str) -> dict:
    try:
        proc = subprocess.run(["nice", str(python), "-c", script, *map(str, args)], capture_output=True, text=True, timeout=2400)
    except subprocess.TimeoutExpired:
        return {"error": "did not finish in 40 min"}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else str(proc.returncode)
        return {"error": tail}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def files_versus_pm4py(sizes: list[int], kinds: list[str], repeats: int = 1) -> list[dict]:
    """The whole command, the library call and pm4py on the same CSV and Parquet files, one after the
    other in fresh processes, ``repeats`` rounds interleaved (each side's fastest round is kept, so a
    burst of load on the shared machine hits all three alike).

    Rows are kept in FILES/rows.json (a later run of one size or format replaces only its rows), so the
    section shows every size and format measured, each with its own load average."""
    store = FILES / "rows.json"
    kept = {(r["events"], r["file"]): r for r in (json.loads(store.read_text()) if store.exists() else [])}
    for n in sizes:
        for kind, path in event_files(n).items():
            if kind not in kinds:
                continue
            out = FILES / f"out_{kind.lower()}_{n}"
            previous = out.with_name(out.name + "_previous")
            if out.exists():  # the last run's outputs, to check this run's against
                shutil.rmtree(previous, ignore_errors=True)
                out.rename(previous)
            sides: dict[str, dict] = {}
            loads = []
            for _ in range(repeats):
                loads.append(os.getloadavg()[0])
                runs = {"ours": _run_json(sys.executable, _OURS_FILE_SCRIPT, path, out),
                        "lib": _run_json(sys.executable, _LIBRARY_FILE_SCRIPT, path),
                        "pm4py": _run_json(PM4PY_PYTHON, _PM4PY_FILE_SCRIPT, path) if PM4PY_PYTHON.exists() else {"error": "no pm4py venv"}}
                for side, run in runs.items():
                    if "error" in run or side not in sides or run["wall_s"] < sides[side].get("wall_s", float("inf")):
                        sides[side] = run
            loads.append(os.getloadavg()[0])
            row = {"events": n, "file": kind, "size_mb": path.stat().st_size / 1e6, "load": max(loads), "load_min": min(loads),
                   "repeats": repeats, "outputs_vs_previous": same_outputs(previous, out) if previous.exists() else "no earlier run", **{f"{side}_{k}": v for side, run in sides.items() for k, v in run.items()}}
            kept[(n, kind)] = row
            store.write_text(json.dumps(list(kept.values())))
            print(json.dumps(row), flush=True)
    return sorted(kept.values(), key=lambda r: (r["events"], r["file"]))


def same_outputs(before: Path, after: Path) -> str:
    """Whether two runs' output folders hold the same results: the same files, every value equal, floats
    to 1e-12 relative (DuckDB's parallel sums of floats may differ in the last digit from run to run);
    says which files are byte-identical and which differ."""
    import pandas as pd

    names = sorted(p.name for p in before.iterdir())
    if names != sorted(p.name for p in after.iterdir()):
        return f"DIFFERENT files: {names} vs {sorted(p.name for p in after.iterdir())}"
    identical, close = [], []
    for name in names:
        a, b = before / name, after / name
        if a.read_bytes() == b.read_bytes():
            identical.append(name)
            continue
        read = pd.read_parquet if name.endswith(".parquet") else pd.read_csv
        try:
            pd.testing.assert_frame_equal(read(a), read(b), check_exact=False, rtol=1e-12, atol=1e-12)
        except AssertionError as exc:
            return f"DIFFERENT {name}: {str(exc).splitlines()[0]}"
        close.append(name)
    return (f"equal: {len(identical)} of {len(names)} files byte-identical"
            + (f", {', '.join(close)} equal to 1e-12 (last digit of float means)" if close else ""))


def files_report(rows: list[dict]) -> str:
    """The section: one headline per format and size, and the table they are read from."""
    lines = []
    head = ["events", "file", "MB", "command wall s", "CPU s", "peak MB", "library wall s (read + fit)", "CPU s", "peak MB",
            "pm4py wall s (read)", "CPU s", "peak MB", "command speed (wall)", "command speed (CPU)", "library speed (wall)",
            "memory vs pm4py", "load"]
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        errors = [r.get(f"{side}_error") for side in ("ours", "lib", "pm4py") if r.get(f"{side}_error")]
        if errors or "lib_wall_s" not in r:
            table.append(f"| {r['events']:,} | {r['file']} | {r['size_mb']:.0f} | {'; '.join(errors) or 'measured before the library column'} |")
            continue
        wall, cpu, lib = r["pm4py_wall_s"] / r["ours_wall_s"], r["pm4py_cpu_s"] / r["ours_cpu_s"], r["pm4py_wall_s"] / r["lib_wall_s"]
        memory = r["ours_peak_rss_mb"] / r["pm4py_peak_rss_mb"]
        lines.append(f"- {r['events']:,}-event {r['file']}: `empathica journeys discover` **{wall:.1f}×** pm4py's speed wall-clock "
                     f"({cpu:.1f}× by CPU time), the library call (`read_event_file` + `fit`) {lib:.1f}×; peak memory "
                     f"{r['ours_peak_rss_mb']:,.0f} MB vs {r['pm4py_peak_rss_mb']:,.0f} MB ({memory:.2f}×); load {r['load']:.0f}.")
        table.append(
            f"| {r['events']:,} | {r['file']} | {r['size_mb']:.0f} | {r['ours_wall_s']:.1f} | {r['ours_cpu_s']:.1f} | "
            f"{r['ours_peak_rss_mb']:,.0f} | {r['lib_wall_s']:.1f} ({r['lib_read_s']:.1f} + {r['lib_fit_s']:.1f}) | {r['lib_cpu_s']:.1f} | "
            f"{r['lib_peak_rss_mb']:,.0f} | {r['pm4py_wall_s']:.1f} ({r['pm4py_read_s']:.1f}) | {r['pm4py_cpu_s']:.1f} | "
            f"{r['pm4py_peak_rss_mb']:,.0f} | {wall:.1f} | {cpu:.1f} | {lib:.1f} | {memory:.2f} | {r.get('load_min', r['load']):.0f}–{r['load']:.0f} |")
    checks = sorted({f"{r['events']:,} {r['file']}: {r['outputs_vs_previous']}" for r in rows if "outputs_vs_previous" in r})
    note = ("Outputs against the previous run's (same files): " + "; ".join(checks) + ".\n\n" if checks else "") + (
            "Each side in a fresh process, one after the other, nice'd, interleaved over the rounds (each side's fastest "
            "round kept): the command runs whole (read, validate, quarantine, discovery with friction, funnel and variants, "
            "write 8 files by DuckDB's COPY); the library call is `read_event_file` + `EventFile.fit(JourneyAnalyzer())` (nothing "
            "written; the duplicate and order checks come from the analyzer's sort); pm4py reads the file with pandas, "
            "`format_dataframe`, `discover_dfg` + `discover_performance_dfg` (nothing written). Speed = pm4py's time ÷ ours "
            "(above 1: we are faster); memory = our peak RSS ÷ pm4py's. Targets: CSV ≥ 5× (goal 10×), Parquet ≥ 10× at "
            "10M events, memory ≤ 1. `load` is the 1-minute load average on the 2 cores during the rounds: above ~2 the "
            "wall-clock ratios are unreliable (the CPU ratio less so). Re-run on an idle machine: "
            "`python -m bench.bench_journeys --files 1000000,10000000 --file-repeats 3`.")
    return "\n".join(lines + [""] + table + ["", note])


def library_before_after(sizes: list[int], before_src: str, repeats: int = 2) -> str:
    """The library call (``read_event_file`` + ``fit``) on the same files from another source tree (an
    earlier commit: ``git archive REV src | tar -x -C DIR``) and from this one, interleaved, in fresh
    processes: CPU time and peak RSS side by side (CPU is far less sensitive to other jobs than wall-clock)."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    best: dict[tuple, dict] = {}
    loads = []
    for _ in range(repeats):
        for n in sizes:
            for kind, path in event_files(n).items():
                for version, src in (("before", before_src), ("after", here)):
                    loads.append(os.getloadavg()[0])
                    env_path = os.environ.get("PYTHONPATH", "")
                    os.environ["PYTHONPATH"] = src
                    try:
                        run = _run_json(sys.executable, _LIBRARY_FILE_SCRIPT, path)
                    finally:
                        os.environ["PYTHONPATH"] = env_path
                    key = (n, kind, version)
                    if "error" not in run and (key not in best or run["cpu_s"] < best[key]["cpu_s"]):
                        best[key] = run
    head = "| events | file | before: CPU s (read + fit) | peak MB | after: CPU s (read + fit) | peak MB | less CPU |"
    table = [head, "|---|---|---|---|---|---|---|"]
    for n in sizes:
        for kind in ("CSV", "Parquet"):
            b, a = best.get((n, kind, "before")), best.get((n, kind, "after"))
            if not (a and b):
                continue
            table.append(f"| {n:,} | {kind} | {b['cpu_s']:.1f} ({b['read_cpu_s']:.1f} + {b['fit_cpu_s']:.1f}) | {b['peak_rss_mb']:,.0f} | "
                         f"{a['cpu_s']:.1f} ({a['read_cpu_s']:.1f} + {a['fit_cpu_s']:.1f}) | {a['peak_rss_mb']:,.0f} | {b['cpu_s'] / a['cpu_s']:.2f}× |")
    note = (f"The library call on the bench files from `{before_src}` (before) and this tree (after), interleaved, "
            f"each side's lowest-CPU round of {repeats} kept; CPU = the whole process (start-up included), read = "
            f"`read_event_file`, fit = `JourneyAnalyzer().fit`. Load average {min(loads):.0f}–{max(loads):.0f} on 2 cores.")
    return "\n".join(table + ["", note])


def synthetic_events(con, n_events: int, *, events_per_journey: int = 10, name: str = "bench_events",
                     parquet: Path | None = None):
    """A reproducible event table made inside DuckDB: ~n/10 journeys over 20 touchpoints with ties.

    With ``parquet``, DuckDB writes the events straight to that file and the table is a view on it
    (the 100M run: nothing of the input is held in memory)."""
    k = events_per_journey
    select = _synthetic_select(n_events, k)
    if parquet is not None:
        con.raw_sql(f"COPY ({select}) TO '{parquet}' (FORMAT parquet)")
        return con.read_parquet(parquet, table_name=name)
    con.raw_sql(f"CREATE OR REPLACE TABLE {name} AS {select}")
    return con.table(name)


def _synthetic_select(n_events: int, k: int) -> str:
    return f"""
        SELECT
            'c' || (i // {k})::VARCHAR AS case_id,
            'tp_' || ((((i // {k}) % 50) * 3 + (i % {k}) + (hash(i) % 4 = 0)::INT) % {TOUCHPOINTS})::VARCHAR AS activity,
            TIMESTAMP '2024-01-01' + to_seconds(((i // {k}) * 37 + (i % {k}) * 600 + hash(i) % 300)::BIGINT) AS ts,
            i AS event_id,
            'u' || ((i // {k}) % {max(n_events // (k * 3), 1)})::VARCHAR AS customer,
            ['web', 'app', 'phone', 'store'][1 + (i % 4)] AS channel
        FROM range({n_events}) t(i)
    """


def _events(table):
    from empathica.understand.journeys import journey_events

    return journey_events(table, case="case_id", activity="activity", timestamp="ts", event_id="event_id",
                          customer="customer", channel="channel")


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def discovery(con, n_events: int, *, parquet: Path | None = None) -> dict:
    from empathica.understand.journeys import JourneyAnalyzer

    t0 = time.perf_counter()
    table = synthetic_events(con, n_events, parquet=parquet)
    made = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    analyzer = JourneyAnalyzer(goal="tp_19", min_transitions=10).fit(_events(table))
    fit, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "events": n_events, "generate_s": made, "discovery_s": fit, "discovery_cpu_s": cpu, "peak_rss_gb": peak_rss_gb(),
        "journeys": analyzer.summary_["journeys"], "pathways": analyzer.summary_["pathways"],
        "variants": analyzer.summary_["variants"],
        "top_pathway": f"{analyzer.friction_.iloc[0]['source']} → {analyzer.friction_.iloc[0]['target']}",
    }


def versus_pm4py(con, n_events: int) -> dict:
    from empathica.understand.journeys import pathway_graph

    table = synthetic_events(con, n_events, name="bench_events_small")
    SCRATCH.mkdir(exist_ok=True)
    parquet = SCRATCH / f"journeys_{n_events}.parquet"
    frame = table.select(**{"case:concept:name": table.case_id, "concept:name": table.activity,
                            "time:timestamp": table.ts, "event_id": table.event_id}).to_pandas()
    frame.to_parquet(parquet)
    # like for like: pm4py's two calls give counts and (mean, median, min, max, sum, stdev) of the
    # durations per pathway; ``pathway_graph(customers=False, statistics=True)`` computes the same
    # plus p90. Both start from the same in-memory pandas frame (Ibis registers it with DuckDB).
    # The full dfg.csv graph (with distinct customers, more work than pm4py does) is timed too.
    def like_for_like(table):
        return pathway_graph(_pm4py_events(table), customers=False, statistics=True)

    def full(table):
        return pathway_graph(_pm4py_events(table))

    loaded = con.create_table("bench_frame", frame, overwrite=True)
    times: dict[str, list[float]] = {"ours": [], "ours_query": [], "ours_full": []}
    cpu: list[float] = []
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        dfg = con.to_pandas(like_for_like(ibis.memtable(frame)))
        times["ours"].append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        t0 = time.perf_counter()
        like_for_like(loaded).to_pandas()
        times["ours_query"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        con.to_pandas(full(ibis.memtable(frame)))
        times["ours_full"].append(time.perf_counter() - t0)
    floor = _engine_floor(con, like_for_like(loaded), "bench_frame")
    best = min(range(REPEATS), key=times["ours"].__getitem__)
    result = {"events": n_events, "ours_s": times["ours"][best], "ours_cpu_s": cpu[best], "ours_query_s": min(times["ours_query"]),
              "ours_full_s": min(times["ours_full"]), "ours_pathways": len(dfg), "ours_transitions": int(dfg["transitions"].sum()),
              **floor}
    # peak memory: our graph in a fresh process doing what pm4py's process does (read the file, run)
    root = Path(__file__).resolve().parents[1]
    mem = subprocess.run([sys.executable, "-c", _OURS_MEMORY_SCRIPT, str(parquet), str(REPEATS)], capture_output=True,
                         text=True, check=False, cwd=root)
    if mem.returncode == 0:
        ours_mem = json.loads(mem.stdout.strip().splitlines()[-1])
        result.update(ours_peak_rss_mb=ours_mem["peak_rss_mb"], ours_loaded_rss_mb=ours_mem["loaded_rss_mb"])
    if not PM4PY_PYTHON.exists():
        result["pm4py"] = "pm4py not measured (no scratch venv at bench/.scratch/pm4py-venv)"
        return result
    proc = subprocess.run([str(PM4PY_PYTHON), "-c", _PM4PY_SCRIPT, str(parquet), str(REPEATS)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        result["pm4py"] = f"pm4py not measured (it failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode})"
        return result
    pm = json.loads(proc.stdout.strip().splitlines()[-1])
    ours_mean = {f"{a}|{b}": m for a, b, m in zip(dfg["source"], dfg["target"], dfg["mean_seconds"])}
    ours_median = {f"{a}|{b}": m for a, b, m in zip(dfg["source"], dfg["target"], dfg["median_seconds"])}
    result.update(pm4py_dfg_s=pm["dfg_s"], pm4py_performance_s=pm["performance_s"], pm4py_cpu_s=pm["cpu_s"],
                  pm4py_pathways=pm["pathways"],
                  pm4py_transitions=pm["transitions"], pm4py_version=pm["version"],
                  pm4py_peak_rss_mb=pm["peak_rss_mb"], pm4py_loaded_rss_mb=pm["loaded_rss_mb"],
                  max_mean_difference_s=max(abs(ours_mean[k] - v) for k, v in pm["means"].items()),
                  max_median_difference_s=max(abs(ours_median[k] - v) for k, v in pm["medians"].items()))
    pm_total = pm["dfg_s"] + pm["performance_s"]
    result["speedup"] = pm_total / result["ours_s"]
    result["speedup_cpu"] = pm["cpu_s"] / result["ours_cpu_s"]
    result["speedup_query"] = pm_total / result["ours_query_s"]
    result["speedup_full"] = pm_total / result["ours_full_s"]
    return result


def _engine_floor(con, expr, name: str, runs: int = 7) -> dict:
    """What DuckDB itself needs, without Ibis: the SQL Ibis compiles for ``expr`` (over the table ``name``)
    run straight on the connection, and the bare partitioned window alone (both ``lead``s, nothing
    aggregated), best of ``runs``."""
    import duckdb

    raw = con.con
    window = (f'SELECT count(*) FROM (SELECT lead("concept:name") OVER w AS b, lead("time:timestamp") OVER w AS t FROM {name} '
              f'WINDOW w AS (PARTITION BY "case:concept:name" ORDER BY "time:timestamp", event_id)) WHERE b IS NOT NULL')

    def best(sql: str) -> float:
        spent = []
        for _ in range(runs):
            t0 = time.perf_counter()
            raw.sql(sql).fetchall()
            spent.append(time.perf_counter() - t0)
        return min(spent)

    return {"duckdb_version": duckdb.__version__, "sql_only_s": best(str(ibis.to_sql(expr, dialect="duckdb"))),
            "window_only_s": best(window)}


def _memory_sentence(v: dict) -> str:
    """Peak RSS of both sides, each measured in its own fresh process (VmHWM, not ru_maxrss: a child inherits its parent's ru_maxrss at fork)."""
    if "ours_peak_rss_mb" not in v or "pm4py_peak_rss_mb" not in v:
        return "Peak memory not measured. "
    return (
        f"Peak RSS (VmHWM of a fresh process per side that reads the Parquet file into pandas and runs the graph "
        f"{REPEATS} times): pm4py **{v['pm4py_peak_rss_mb']:,.0f} MB** ({v['pm4py_loaded_rss_mb']:,.0f} MB after loading "
        f"the frame, so +{v['pm4py_peak_rss_mb'] - v['pm4py_loaded_rss_mb']:,.0f} MB for the graph), Empathica "
        f"**{v['ours_peak_rss_mb']:,.0f} MB** ({v['ours_loaded_rss_mb']:,.0f} MB after loading, "
        f"+{v['ours_peak_rss_mb'] - v['ours_loaded_rss_mb']:,.0f} MB). "
    )


def _pm4py_events(table):
    from empathica.understand.journeys import journey_events

    return journey_events(table, case="case:concept:name", activity="concept:name", timestamp="time:timestamp",
                          event_id="event_id")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_journeys", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="events for the discovery run")
    parser.add_argument("--pm4py-events", type=int, default=1_000_000, help="events for the comparison with pm4py")
    parser.add_argument("--no-pm4py", action="store_true", help="skip the comparison with pm4py")
    parser.add_argument("--no-discovery", action="store_true", help="only the comparison with pm4py")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory limit (spills to disk beyond it)")
    parser.add_argument("--files", default=None, metavar="N,N",
                        help="only the command on CSV and Parquet files of these sizes against pm4py on the same files")
    parser.add_argument("--file-kinds", default="CSV,Parquet", help="with --files: which formats (CSV, Parquet)")
    parser.add_argument("--file-repeats", type=int, default=1, help="with --files: rounds per file (the fastest of each side kept)")
    parser.add_argument("--before-src", default=None, metavar="DIR",
                        help="with --files: only the library call from DIR (an earlier commit's src) vs this tree, CPU and memory")
    args = parser.parse_args(argv)
    if args.files and args.before_src:
        text = library_before_after([int(n) for n in args.files.split(",")], args.before_src, max(args.file_repeats, 1))
        write_section("journeys: file read before and after", text)
        print(text)
        return
    if args.files:
        sizes = [int(n) for n in args.files.split(",")]
        text = files_report(files_versus_pm4py(sizes, args.file_kinds.split(","), args.file_repeats))
        write_section("journeys: file to output vs pm4py", text)
        print(text)
        return

    big = args.events > 20_000_000
    SCRATCH.mkdir(exist_ok=True)
    db = SCRATCH / "journeys_scale.duckdb" if big else ":memory:"
    parquet = SCRATCH / f"journeys_events_{args.events}.parquet" if big else None
    tmp = SCRATCH / "journeys_duckdb_tmp"
    if big and Path(db).exists():
        Path(db).unlink()
    con = ibis.duckdb.connect(str(db), threads=2, memory_limit=args.memory_limit, temp_directory=str(tmp),
                              preserve_insertion_order=False)
    if not args.no_discovery:
        load_before = os.getloadavg()[0]
        d = discovery(con, args.events, parquet=parquet)
        print(json.dumps(d))
        target = " (target ≤ 10 s)" if args.events == 10_000_000 else ""
        source = "written by DuckDB to Parquet and read from there, file-backed DuckDB store" if big else "a DuckDB table in memory"
        line = (
            f"- Discovery (graph, touchpoints, variants, channel switches, friction, funnel) on **{d['events']:,} synthetic "
            f"events** ({d['journeys']:,} journeys, {d['pathways']} pathways, {d['variants']:,} variants; events {source}), "
            f"DuckDB, 2 threads: **{d['discovery_s']:.1f} s** wall{target}, {d['discovery_cpu_s']:.1f} s CPU (both threads; "
            f"less sensitive to other jobs); generating the events took {d['generate_s']:.1f} s; "
            f"peak RSS of the process **{d['peak_rss_gb']:.1f} GB** (DuckDB memory limit {args.memory_limit}); "
            f"`uptime` load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores."
        )
        write_section("journeys: scale run" if big else "journeys: discovery", line)
        print(line)
        con.raw_sql("DROP VIEW IF EXISTS bench_events" if big else "DROP TABLE IF EXISTS bench_events")
    if not args.no_pm4py and not big:
        v = versus_pm4py(con, args.pm4py_events)
        print(json.dumps(v))
        if "speedup" in v:
            pm_total = v["pm4py_dfg_s"] + v["pm4py_performance_s"]
            line = (
                f"- Like for like on the same **{v['events']:,}-event pandas frame** (load excluded on both sides): pm4py "
                f"{v['pm4py_version']} `discover_dfg` {v['pm4py_dfg_s']:.2f} s + `discover_performance_dfg` "
                f"{v['pm4py_performance_s']:.2f} s (counts; mean, median, min, max, sum, stdev of durations) = "
                f"**{pm_total:.2f} s** ({v['pm4py_cpu_s']:.2f} s CPU); Empathica `pathway_graph(customers=False, statistics=True)` "
                f"(the same measures plus p90; Ibis → DuckDB, 2 threads) **{v['ours_s']:.2f} s** from the frame "
                f"({v['ours_cpu_s']:.2f} s CPU) → **{v['speedup']:.1f}× faster** wall-clock "
                f"{'(target ≥ 10× on 1M events)' if v['events'] == 1_000_000 else '(the target is set on 1M events)'}, "
                f"{v['speedup_cpu']:.1f}× less CPU time; best of {REPEATS} runs each; {v['ours_query_s']:.2f} s ({v['speedup_query']:.1f}×) when the frame is already a DuckDB "
                f"table. The full `dfg.csv` graph (also distinct customers per pathway, which pm4py does not compute): "
                f"{v['ours_full_s']:.2f} s ({v['speedup_full']:.1f}×). Same result: {v['ours_pathways']} / {v['pm4py_pathways']} "
                f"pathways, {v['ours_transitions']:,} / {v['pm4py_transitions']:,} transitions, largest difference of a "
                f"pathway's mean duration {v['max_mean_difference_s']:.2g} s and of its median {v['max_median_difference_s']:.2g} s. "
                f"{_memory_sentence(v)}Where the time goes: the SQL Ibis compiles, run straight on DuckDB {v['duckdb_version']} "
                f"over the same table, {v['sql_only_s']:.3f} s ({pm_total / v['sql_only_s']:.1f}×), of which the bare "
                f"partitioned window (both `lead`s, nothing aggregated) {v['window_only_s']:.3f} s; 10× needs ≤ "
                f"{pm_total / 10:.3f} s in all (best of 7 each). `uptime` load average {os.getloadavg()[0]:.1f}."
            )
        else:
            line = f"- {v['events']:,}-event DFG: Empathica {v['ours_s']:.2f} s; {v['pm4py']}."
        # the yardstick is the 1M-event frame; other sizes get their own section beside it
        size = "" if v["events"] == 1_000_000 else f" at {v['events']:,} events"
        write_section(f"journeys: vs pm4py{size}", line)
        print(line)
    con.disconnect()
    if big:  # the scale run's inputs and store are scratch: remove them
        import shutil

        for path in (parquet, Path(db), Path(f"{db}.wal")):
            if path is not None and path.exists():
                path.unlink()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
