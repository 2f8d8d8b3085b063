"""All or nothing per file, even under kill -9: a killed `listen`, re-run, ends exactly like a clean run,
and `status` never shows a half-read file as read."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

CLI = [sys.executable, "-c", "from empathica.cli import main; main()"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, EMPATHICA_BATCH_ROWS="500", EMPATHICA_CONFIG=str(tmp_path / "none.toml"), EMPATHICA_PROGRESS="false")
    return env


@pytest.fixture(scope="module")
def events_file(tmp_path_factory) -> Path:
    """12,000 events without event_id in small batches, with 30 in-file duplicates and 10 bad rows."""
    folder = tmp_path_factory.mktemp("kill")
    lines = ["customer_id,touchpoint_id,timestamp,channel"]
    for i in range(12_000):
        lines.append(f"c{i % 400},tp{i % 7},2024-0{i % 9 + 1}-{i % 28 + 1:02d} {i % 24:02d}:{i % 60:02d}:00,web")
    lines += [lines[1 + 37 * k] for k in range(30)]  # duplicates in the file
    lines += [f"c{k},tp1,not a time,web" for k in range(10)]
    path = folder / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tables(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        events = con.execute("SELECT event_id, customer_id, touchpoint_id, CAST(timestamp AS VARCHAR) FROM events ORDER BY ALL").fetchall()
        quarantined = con.execute("SELECT line, field, reason, value FROM quarantine ORDER BY ALL").fetchall()
        files = con.execute("SELECT source_file, rows_read, rows_stored, rows_quarantined FROM ingestions").fetchall()
    finally:
        con.close()
    return events, quarantined, files


def _listen(db: Path, path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "listen", str(path), "--db", str(db), "--kind", "events"], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)


def test_kill_minus_nine_then_rerun_equals_a_clean_run(events_file, tmp_path):
    clean_db = tmp_path / "clean.duckdb"
    assert _listen(clean_db, events_file, tmp_path).returncode == 0
    clean = _tables(clean_db)
    assert len(clean[1]) == 40 and len(clean[0]) == 12_000  # 30 duplicates and 10 bad rows quarantined
    rng = random.Random(15)
    mid_file = 0
    for attempt in range(2):
        db = tmp_path / f"killed{attempt}.duckdb"
        proc = subprocess.Popen([*CLI, "listen", str(events_file), "--db", str(db), "--kind", "events"],
                                env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sidecar = Path(str(db) + ".listen.json")
        while not sidecar.exists() and proc.poll() is None:  # the ingestion has begun
            time.sleep(0.02)
        time.sleep(rng.uniform(0.1, 1.2))  # a random point among the file's 24 batches
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        con = duckdb.connect(str(db), read_only=True)
        mid_file += bool(con.execute("SELECT count(*) FROM ingesting").fetchone()[0])
        con.close()
        if db.exists():
            status = subprocess.run([*CLI, "status", "--db", str(db), "--json"], env=_env(tmp_path),
                                    capture_output=True, text=True, timeout=120)
            assert status.returncode == 0, status.stderr
            info = json.loads(status.stdout)
            stored = {t["table"]: t["rows"] for t in info["tables"]}["events"]
            read = [f for f in info["ingestions"] if f["file"] == str(events_file)]
            assert (stored, read) in ((0, []), (len(clean[0]), read)) and (stored == 0) == (not read)
        assert _listen(db, events_file, tmp_path).returncode == 0
        events, quarantined, files = _tables(db)
        assert events == clean[0] and quarantined == clean[1]
        assert [f[1:] for f in files] == [f[1:] for f in clean[2]]
    assert mid_file  # at least one kill hit the middle of the file
