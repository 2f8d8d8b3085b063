"""`empathica serve` as a real process: it answers on loopback, and other commands pointed at its store stop
with one line that names the server instead of a lock traceback."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

EMPATHICA = str(Path(sys.executable).with_name("empathica"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_process(demo_store_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("process")
    db = folder / "demo.duckdb"
    shutil.copy(demo_store_file, db)
    subprocess.run([EMPATHICA, "users", "add", "ops", "--role", "analyst", "--password-stdin", "--db", str(db)],
                   input="ops-password-1\n", text=True, check=True, capture_output=True, cwd=folder)
    port = _free_port()
    proc = subprocess.Popen([EMPATHICA, "serve", "--db", str(db), "--port", str(port)], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the server did not answer within 90 s"
        time.sleep(0.3)
    yield url, db, folder
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert not Path(str(db) + ".serve.json").exists()  # the hold is released on the way out


def test_other_commands_on_a_served_store_stop_with_one_line_naming_the_server(server_process):
    url, db, folder = server_process
    for command in (["status", "--db", str(db)], ["run", "--db", str(db), "--out", str(folder / "r")]):
        done = subprocess.run([EMPATHICA, *command], capture_output=True, text=True, cwd=folder, timeout=120)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr
        assert "held by `empathica serve`" in lines[0] and url in lines[0]


def test_the_api_answers_while_a_run_goes(server_process):
    url, _, _ = server_process
    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.post("/auth/login", json={"username": "ops", "password": "ops-password-1"})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        job = client.post("/runs", json={"only": ["journeys"]}, headers=headers).json()
        statuses, reads = set(), []
        deadline = time.monotonic() + 120
        while True:
            state = client.get(f"/runs/jobs/{job['job_id']}", headers=headers).json()
            statuses.add(state["status"])
            reads.append(client.get("/results/journey_friction?page_size=5", headers=headers))
            if state["status"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline
        assert state["status"] == "published", state
        assert all(r.status_code == 200 and r.json()["total"] > 0 for r in reads)
        assert client.get("/openapi.json").status_code == 401
        assert client.get("/openapi.json", headers=headers).json()["info"]["title"] == "Empathica API"


def _commands_with_db(group=None, prefix=()):
    """Every command (subcommands included) that takes --db, as its words."""
    import click

    from empathica.cli import main

    for name, command in sorted((group or main).commands.items()):
        if isinstance(command, click.Group):
            yield from _commands_with_db(command, prefix + (name,))
        elif any("--db" in p.opts for p in command.params if isinstance(p, click.Option)):
            yield prefix + (name,)


#: Arguments each command needs besides --db (a file that exists where a file is asked for).
_ARGUMENTS = {
    ("act", "load"): ["{rules}"], ("act", "replay"): ["{rules}", "--since", "2024-01-01"], ("act", "card"): ["c1"],
    ("actions", "add"): ["--title", "t", "--starts", "2024-01-01"], ("actions", "from-cases"): ["{file}"],
    ("cases", "assign"): ["1", "someone"], ("cases", "comment"): ["1", "text"], ("cases", "move"): ["1", "closed"],
    ("cases", "show"): ["1"], ("churn", "fit"): ["customers", "--target", "churned", "--out", "{out}"],
    ("clv", "fit"): ["transactions", "--customer", "customer_id", "--date", "timestamp", "--value", "amount", "--out", "{out}"],
    ("drivers",): ["feedback", "--outcome", "nps", "--out", "{out}"], ("learn", "benchmark"): ["reviews"],
    ("listen",): ["{file}"], ("report",): ["--out", "{out}"], ("run",): ["--out", "{out}"], ("demo",): ["--out", "{out}"],
    ("serve",): ["--port", "1"],
}
#: Commands that work on the operational store (users, keys), which a server shares: they go through.
_THROUGH = {("users", "add"), ("users", "disable"), ("users", "key"), ("users", "list")}


def test_every_command_on_a_served_store_stops_with_one_line_or_goes_through(server_process):
    """Every command that takes --db: on a store a server holds, exit 2 with one line naming the server (never a
    lock traceback), except the user commands, whose store the server shares."""
    from click.testing import CliRunner

    from empathica.cli import main

    url, db, folder = server_process
    (folder / "input.csv").write_text("team_id,name,region\nt1,T,DE\n", encoding="utf-8")
    commands = list(_commands_with_db())
    assert set(_ARGUMENTS) <= set(commands) and _THROUGH <= set(commands)
    rules = Path(__file__).resolve().parents[2] / "src" / "empathica" / "act" / "data" / "demo_rules.toml"
    wrong = []
    for words in commands:
        if words in _THROUGH:
            continue
        extra = [a.format(file=folder / "input.csv", out=folder / "out", rules=rules) for a in _ARGUMENTS.get(words, [])]
        done = CliRunner().invoke(main, [*words, "--db", str(db), *extra], catch_exceptions=True)
        lines = done.output.strip().splitlines()
        if done.exit_code != 2 or not lines or "held by `empathica serve`" not in lines[-1] or url not in lines[-1] \
                or "Traceback" in done.output:
            wrong.append((" ".join(words), done.exit_code, done.output[-300:], repr(done.exception)[:200]))
    assert wrong == []
