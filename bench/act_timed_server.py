"""`empathica serve` with per-request timing, for ``bench.bench_act_card_timing``: each card request's total (ASGI),
the snapshot lookup, the open cases, the rendering, and every garbage collection (its generation and pause), written
as JSON to ``$ACT_TIMING_OUT`` when the server stops. ``ACT_TIMING_NO_FREEZE=1`` keeps the heap unfrozen (the
server as it was before ``settle_heap``), for a comparison.

    ACT_TIMING_OUT=timing.json python -m bench.act_timed_server serve --db DB --port PORT
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
import threading
import time
import types

RECORDS: list[tuple[float, str, float, str]] = []  # (wall start, what, seconds, thread)
_started: dict[int, float] = {}


def _gc_callback(phase: str, info: dict) -> None:
    if phase == "start":
        _started[threading.get_ident()] = time.perf_counter()
        return
    began = _started.pop(threading.get_ident(), None)
    if began is not None:
        RECORDS.append((time.time(), f"gc{info['generation']}", time.perf_counter() - began,
                        threading.current_thread().name))


def _timed(owner, name: str, label: str) -> None:
    inner = getattr(owner, name)

    def timed(*args, **kwargs):
        wall, began = time.time(), time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            RECORDS.append((wall, label, time.perf_counter() - began, threading.current_thread().name))

    setattr(owner, name, timed)


def _instrument() -> None:
    import empathica.act.service as service
    import empathica.serve as serve
    from empathica.serve import routes_act
    from empathica.store.cases import CaseStore
    from empathica.store.operational import OperationalStore

    if os.environ.get("ACT_TIMING_NO_FREEZE"):
        service.gc = types.SimpleNamespace(collect=lambda: None, freeze=lambda: None, unfreeze=gc.unfreeze)
    for owner, name, label in ((service.ActService, "card", "card"), (service.ActService, "overlay", "overlay"),
                               (service.ActService, "work", "work"), (CaseStore, "active_cases_of", "cases"),
                               (OperationalStore, "user_for_token", "auth"), (routes_act, "render", "render")):
        _timed(owner, name, label)
    create_app = serve.create_app

    def timed_app(server):
        app = create_app(server)

        async def timing(scope, receive, send):
            if scope["type"] != "http" or not scope.get("path", "").endswith("/card"):
                return await app(scope, receive, send)
            wall, began = time.time(), time.perf_counter()
            await app(scope, receive, send)
            RECORDS.append((wall, "total", time.perf_counter() - began, "loop"))
        return timing

    serve.create_app = timed_app


def main() -> None:
    gc.callbacks.append(_gc_callback)
    _instrument()
    out = os.environ["ACT_TIMING_OUT"]
    atexit.register(lambda: open(out, "w", encoding="utf-8").write(json.dumps(RECORDS)))
    from empathica.cli import main as cli

    sys.argv = ["empathica", *sys.argv[1:]]
    sys.exit(cli())


if __name__ == "__main__":
    main()
