"""`empathica listen` and `empathica status` through click's in-process runner; the lock message."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from empathica.cli import main


def test_listen_prints_a_line_per_file_and_total(tmp_path, fixtures):
    db = tmp_path / "cli.duckdb"
    files = [str(fixtures / n) for n in ("events.tsv", "customers.csv", "touchpoints.csv")]
    result = CliRunner().invoke(main, ["listen", *files, "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("events.tsv" in line and "read          7" in line and "quarantined        5" in line for line in lines)
    assert any(line.strip().startswith("total") and "read         13" in line for line in lines)
    again = CliRunner().invoke(main, ["listen", files[1], "--db", str(db)])
    assert again.exit_code == 0 and "identical file already ingested" in again.output

    status = CliRunner().invoke(main, ["status", "--db", str(db), "--json"])
    assert status.exit_code == 0, status.output
    info = json.loads(status.output)
    counts = {t["table"]: t["rows"] for t in info["tables"]}
    assert (counts["customers"], counts["touchpoints"], counts["events"]) == (3, 3, 2)
    reasons = {(q["table"], q["reason"]): q["rows"] for q in info["quarantine"]}
    assert reasons[("events", "unknown customer_id")] == 1 and sum(reasons.values()) == 5


def test_listen_with_kind_and_mapping(tmp_path, fixtures):
    db = tmp_path / "m.duckdb"
    conv = tmp_path / "c.csv"
    conv.write_text("conversation_id\nk1\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["listen", str(conv), "--db", str(db), "--kind", "conversations"]).exit_code == 0
    result = runner.invoke(main, ["listen", str(fixtures / "turns_mapped.csv"), "--db", str(db),
                                  "--kind", "messages", "--mapping", str(fixtures / "mapping.toml")])
    assert result.exit_code == 0, result.output
    assert "turns" in result.output and "stored          2" in result.output


def test_nothing_read_exits_non_zero_with_a_message(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["listen", str(empty), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code != 0
    assert "empty.csv" in result.output and "Traceback" not in result.output


def test_bad_mapping_is_one_clear_line(tmp_path, fixtures):
    bad = tmp_path / "m.toml"
    bad.write_text('[turns.columns]\nA = "nope"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["listen", str(fixtures / "customers.csv"), "--db", str(tmp_path / "x.duckdb"),
                                       "--mapping", str(bad)])
    assert result.exit_code == 2 and "turns.columns.A" in result.output


def test_second_process_gets_the_lock_message(store, fixtures):
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from empathica.cli import main\n"
        f"r = CliRunner().invoke(main, ['listen', {str(fixtures / 'customers.csv')!r}, '--db', {store.location!r}])\n"
        "print(r.output); sys.exit(r.exit_code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "in use by another Empathica process" in proc.stdout + proc.stderr
