"""One small demo store per test module, served in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from empathica.settings import Settings

#: Steps run for the served store: fast ones whose results carry team and customer columns.
STEPS = ["overview", "journeys", "drivers"]
PASSWORDS = {"root": "admin-password-1", "ana": "analyst-password-1", "vic": "viewer-password-1",
             "lead": "teamlead-password-1", "de": "region-password-1"}


@pytest.fixture(scope="session")
def demo_store_file(tmp_path_factory) -> Path:
    """A 300-customer demo world, ingested and analysed once per session (serve tests copy it)."""
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.store import Store

    folder = tmp_path_factory.mktemp("serve-demo")
    path = folder / "demo.duckdb"
    world = generate_world(folder / "data", customers=300, seed=11)
    settings = Settings.load(config_file=folder / "none.toml", progress=False, db_path=str(path))
    with Store.open(path, settings=settings) as store:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        run_flywheel(store, settings=settings, only=STEPS)
    return path


@pytest.fixture(scope="module")
def served(demo_store_file, tmp_path_factory):
    """(TestClient, Server) over a copy of the demo store, with one user per role and two scoped users."""
    from fastapi.testclient import TestClient

    from empathica.serve import create_app, open_server

    folder = tmp_path_factory.mktemp("served")
    db = folder / "demo.duckdb"
    shutil.copy(demo_store_file, db)
    # no background preparation of the scoped users' dashboard panels: no test here reads them (tests/dashboard does)
    settings = Settings.load(config_file=folder / "none.toml", progress=False, db_path=str(db), serve_max_upload_mb=1,
                             serve_max_rows=50, serve_prepare_scopes=False)
    server = open_server(str(db), settings=settings)
    ops = server.ops
    ops.add_user("root", PASSWORDS["root"], role="admin")
    ops.add_user("ana", PASSWORDS["ana"], role="analyst")
    ops.add_user("vic", PASSWORDS["vic"], role="viewer")
    with server.reading() as store:
        teams = store.to_pandas("teams")
    contact = teams[teams.team_id.str.contains("contact")].team_id.iloc[0]
    ops.add_user("lead", PASSWORDS["lead"], role="viewer", team_id=contact)
    ops.add_user("de", PASSWORDS["de"], role="viewer", region="DE")
    with TestClient(create_app(server)) as client:
        yield client, server
    server.store.close()
    server.ops.close()


def token(client, name: str) -> dict[str, str]:
    """Authorization headers of a fresh session of user ``name``."""
    response = client.post("/auth/login", json={"username": name, "password": PASSWORDS[name]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def finished_job(client, headers: dict[str, str], job_id: str, *, seconds: float = 120) -> dict:
    """The state of run job ``job_id`` once it is no longer queued or running (polled; fails after ``seconds``)."""
    import time

    deadline = time.monotonic() + seconds
    while client.get(f"/runs/jobs/{job_id}", headers=headers).json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return client.get(f"/runs/jobs/{job_id}", headers=headers).json()
