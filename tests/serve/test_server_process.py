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
