"""`empathica serve` (the server that owns a store) and `empathica users add|list|disable|key`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from empathica.cli.options import db_option
from empathica.settings import Settings

_ops_option = click.option("--ops", "ops_url", default=None,
                           help="SQLAlchemy URL of the operational store (default: setting ops_url, else DB.ops.sqlite).")


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@_ops_option
def serve(db: str, host: str, port: int, ops_url: str | None) -> None:
    """Serve DB over a REST API (OpenAPI docs at /docs): the server owns the store while it runs.

    Other commands pointed at DB meanwhile stop with one line naming the server; use its API instead
    (POST /ingest, POST /runs). Create a first user with `empathica users add NAME --role admin --db DB`.
    """
    import uvicorn

    from empathica.serve import create_app, open_server

    if not Path(db).exists():
        raise click.ClickException(f"{db} does not exist; create it with `empathica demo --db {db}` or `empathica listen`.")
    server = open_server(db, settings=Settings.load(db_path=db), ops_url=ops_url)
    url = f"http://{host}:{port}"
    server.store.hold(url)
    try:
        if not server.ops.users():
            click.echo(f"No users yet: add one with `empathica users add NAME --role admin --db {db}`.", err=True)
        click.echo(f"Serving {db} at {url} (API docs: {url}/docs); Ctrl-C stops.", err=True)
        uvicorn.run(create_app(server), host=host, port=port, log_level="warning")
    finally:
        server.store.release()
        server.store.close()
        server.ops.close()


@click.group()
def users() -> None:
    """Users of `empathica serve`: add, list, disable, and API keys."""


def _ops(db: str, ops_url: str | None):
    from empathica.store.operational import OperationalStore, default_ops_url

    settings = Settings.load(db_path=db)
    return OperationalStore(ops_url or settings.ops_url or default_ops_url(db))


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "analyst", "admin"]), required=True, help="What the user may do.")
@click.option("--team", "team_id", default=None, help="Scope: the user sees only this team's agents and customers.")
@click.option("--region", default=None, help="Scope: the user sees only this region's teams and customers.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@db_option
@_ops_option
def users_add(username: str, role: str, team_id: str | None, region: str | None, password_stdin: bool, db: str,
              ops_url: str | None) -> None:
    """Add user USERNAME (asks for the password twice, or reads it from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    ops = _ops(db, ops_url)
    user = ops.add_user(username, password, role=role, team_id=team_id, region=region)
    ops.audit(None, "user_add", user.username, detail=f"{user.role} (command line)")
    click.echo(f"added {user.username} ({user.role}{_scope(user)})")


@users.command("list")
@db_option
@_ops_option
def users_list(db: str, ops_url: str | None) -> None:
    """List the users with role, scope and status."""
    for user in _ops(db, ops_url).users():
        click.echo(f"{user.username:<24} {user.role:<8} {'disabled' if user.disabled else 'active':<9}{_scope(user)}")


@users.command("disable")
@click.argument("username")
@db_option
@_ops_option
def users_disable(username: str, db: str, ops_url: str | None) -> None:
    """Disable USERNAME: their sessions and API keys stop working at once."""
    ops = _ops(db, ops_url)
    ops.set_disabled(username, True)
    ops.audit(None, "user_disable", username, detail="command line")
    click.echo(f"disabled {username}")


@users.command("key")
@click.argument("username")
@click.option("--label", default="", help="What the key is for.")
@db_option
@_ops_option
def users_key(username: str, label: str, db: str, ops_url: str | None) -> None:
    """Print a new API key for USERNAME (shown once; send it as `Authorization: Bearer KEY`)."""
    ops = _ops(db, ops_url)
    key = ops.create_api_key(username, label=label)
    ops.audit(None, "api_key_created", username, detail="command line")
    click.echo(key)


def _scope(user) -> str:
    parts = [f"team {user.team_id}" if user.team_id else "", f"region {user.region}" if user.region else ""]
    scope = ", ".join(p for p in parts if p)
    return f"; {scope}" if scope else ""


COMMANDS = [serve, users]
