"""The operational store (users, API keys, sessions, audit log) on SQLite and on a real PostgreSQL server.

PostgreSQL: ``EMPATHICA_TEST_PG_URL`` (default a local server, role/database empathica). The PostgreSQL cases
are skipped only when no server answers locally; under CI (``CI=true``, set up by .ci/run) they must run.
"""

from __future__ import annotations

import os
import pytest
from sqlalchemy import MetaData, create_engine

from empathica.errors import InputError
from empathica.store.operational import OperationalStore

PG_URL = os.environ.get("EMPATHICA_TEST_PG_URL", "postgresql+psycopg://empathica:empathica@127.0.0.1:5432/empathica_test")


def _fresh(url: str) -> str:
    """``url`` with every table of an earlier test run dropped."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def ops(request, tmp_path):
    if request.param == "sqlite":
        store = OperationalStore(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    else:
        try:
            store = OperationalStore(_fresh(PG_URL))
        except Exception as exc:  # no server reachable
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"CI must exercise PostgreSQL, but {PG_URL} does not answer: {exc}")
            pytest.skip(f"no PostgreSQL server at {PG_URL}: {exc}")
    yield store
    store.close()


def test_users_passwords_and_roles(ops):
    ann = ops.add_user("ann", "a-long-password", role="analyst", team_id="team_a", region="DE")
    assert (ann.role, ann.team_id, ann.region) == ("analyst", "team_a", "DE")
    assert ann.allowed("viewer") and ann.allowed("analyst") and not ann.allowed("admin")
    assert ops.check_password("ann", "a-long-password") == ann
    assert ops.check_password("ann", "a-wrong-password") is None and ops.check_password("nobody", "x" * 12) is None
    with ops.engine.connect() as con:  # the password is kept only as an argon2 hash
        stored = con.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert stored.startswith("$argon2id$") and "a-long-password" not in stored
    with pytest.raises(InputError, match="exists already"):
        ops.add_user("ann", "another-password", role="viewer")
    with pytest.raises(InputError, match="role 'boss'"):
        ops.add_user("bob", "a-long-password", role="boss")
    with pytest.raises(InputError, match="at least 10"):
        ops.add_user("bob", "short", role="viewer")


def test_sessions_and_api_keys_stop_when_the_user_is_disabled(ops):
    user = ops.add_user("cai", "a-long-password", role="viewer")
    session, key = ops.create_session(user), ops.create_api_key("cai", label="ci")
    assert ops.user_for_token(session) == user and ops.user_for_token(key) == user
    assert ops.user_for_token(key + "x") is None and ops.user_for_token("emk_") is None
    with ops.engine.connect() as con:
        assert key not in str(con.exec_driver_sql("SELECT key_hash FROM api_keys").all())
    ops.set_disabled("cai")
    assert ops.user_for_token(session) is None and ops.user_for_token(key) is None
    assert ops.check_password("cai", "a-long-password") is None
    ops.set_disabled("cai", False)
    ops.end_session(session)
    assert ops.user_for_token(session) is None and ops.user_for_token(key) == ops.user("cai")


def test_the_audit_log_is_kept_and_filtered(ops):
    ops.audit("dan", "read", "journey_friction", detail='{"team": "t1"}')
    ops.audit("dan", "export", "value_clv")
    ops.audit("eve", "run", "job-1")
    total, entries = ops.audit_entries(username="dan")
    assert total == 2 and [e["action"] for e in entries] == ["export", "read"]
    assert ops.audit_entries(action="run")[1][0]["target"] == "job-1"


def test_reads_audited_soon_are_written_together_and_seen_by_every_reader_of_the_log(ops):
    import time

    from empathica.store.operational import AUDIT_DELAY

    ops.audit_soon("fay", "read", "journey_friction")
    ops.audit_soon("fay", "read", "value_clv", detail='{"page": "2"}')
    assert ops.audit_entries(username="fay")[0] == 2  # reading the log writes what is held first
    ops.audit_soon("fay", "read", "drivers_importance")
    time.sleep(AUDIT_DELAY * 4)  # the background writer, unasked
    with ops.engine.connect() as con:
        from sqlalchemy import func, select

        from empathica.store.operational import AUDIT_LOG

        assert con.execute(select(func.count()).select_from(AUDIT_LOG).where(AUDIT_LOG.c.username == "fay")).scalar_one() == 3


def test_the_users_command_manages_users(tmp_path):
    from click.testing import CliRunner

    from empathica.cli import main

    db = str(tmp_path / "x.duckdb")
    run = lambda *args, stdin=None: CliRunner().invoke(main, ["users", *args, "--db", db], input=stdin)  # noqa: E731
    added = run("add", "fay", "--role", "admin", "--team", "team_b", "--password-stdin", stdin="a-long-password\n")
    assert added.exit_code == 0, added.output
    assert "fay" in run("list").output and "team team_b" in run("list").output
    again = run("add", "fay", "--role", "viewer", "--password-stdin", stdin="a-long-password\n")
    assert again.exit_code == 2 and again.output.strip().startswith("error: user 'fay' exists already")
    assert run("disable", "fay").exit_code == 0 and "disabled" in run("list").output
    assert run("key", "fay").output.startswith("emk_")
