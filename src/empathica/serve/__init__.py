"""Serve: ``empathica serve`` — a server that owns the store, with a REST API (OpenAPI at /docs), users and roles.

See docs/serve.md.
"""

from empathica.serve.app import create_app
from empathica.serve.server import RunJob, Server

__all__ = ["RunJob", "Server", "create_app", "open_server"]


def open_server(db: str, *, settings=None, ops_url: str | None = None) -> Server:
    """A :class:`Server` over the DuckDB file ``db`` and its operational store (``ops_url`` or the setting; default
    a SQLite file beside ``db``)."""
    from empathica.settings import Settings
    from empathica.store import Store
    from empathica.store.operational import OperationalStore, default_ops_url

    settings = settings or Settings.load(db_path=db)
    store = Store.open(db, settings=settings)
    try:
        ops = OperationalStore(ops_url or settings.ops_url or default_ops_url(db))
    except Exception:
        store.close()
        raise
    return Server(store, ops, settings)
