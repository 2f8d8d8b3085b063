"""One small demo store with every step run, once per session (shared with the leak test); served in-process
(TestClient) per module."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from empathica.settings import Settings

PASSWORDS = {"root": "admin-password-1", "ana": "analyst-password-1", "vic": "viewer-password-1",
             "lead": "teamlead-password-1"}


@pytest.fixture(scope="session")
def dashboard_store_file(request, tmp_path_factory) -> Path:
    """The demo world ingested and analysed by every step, once per session (tests/planted_world.py, shared with the
    personal-data leak test; tests copy it)."""
    prebuilt = os.environ.get("EMPATHICA_DASHBOARD_STORE")  # local iteration only: a store built by this fixture before
    if prebuilt:
        path = tmp_path_factory.mktemp("dashboard-demo") / "demo.duckdb"
        shutil.copy(prebuilt, path)
        return path
    return request.getfixturevalue("planted_store")[0]


def open_served(source: Path, folder: Path):
    """A Server over a copy of ``source`` with one user per role and a team lead of a contact-centre team."""
    from empathica.serve import open_server

    db = folder / "demo.duckdb"
    shutil.copy(source, db)
    ops = Path(str(source) + ".ops.sqlite")  # the operational store beside it: the cases the demo run opened
    if ops.exists():
        shutil.copy(ops, str(db) + ".ops.sqlite")
    # scoped users' panels are computed on their first visit, not in the background for every module's server
    # (test_scope.py tests the preparation itself)
    settings = Settings.load(config_file=folder / "none.toml", progress=False, db_path=str(db), serve_prepare_scopes=False)
    server = open_server(str(db), settings=settings)
    server.ops.add_user("root", PASSWORDS["root"], role="admin")
    server.ops.add_user("ana", PASSWORDS["ana"], role="analyst")
    server.ops.add_user("vic", PASSWORDS["vic"], role="viewer")
    with server.reading() as store:
        teams = store.to_pandas("teams")
    contact = sorted(teams[teams.team_id.str.contains("contact")].team_id)[0]
    server.ops.add_user("lead", PASSWORDS["lead"], role="viewer", team_id=contact)
    return server


@pytest.fixture(scope="module")
def dashboard(dashboard_store_file, tmp_path_factory):
    """(TestClient, Server) over a copy of the demo store."""
    from fastapi.testclient import TestClient

    from empathica.serve import create_app

    server = open_served(dashboard_store_file, tmp_path_factory.mktemp("dashboard"))
    with TestClient(create_app(server)) as client:
        yield client, server
    server.store.close()
    server.ops.close()


def log_in(client, name: str) -> None:
    """Log ``name`` in through the form (the client keeps the session cookie)."""
    client.cookies.clear()
    response = client.post("/ui/login", data={"username": name, "password": PASSWORDS[name]}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/", response.text
