"""The dashboard: server-rendered pages (Jinja2, plain forms, ECharts vendored in ``static/``) over the stored
results, in English, German and Chinese, within each user's role and team. See docs/dashboard.md.

It is a presentation layer: it reads the store's results and canonical tables, never runs an analysis itself
(a user-defined scenario starts a decide run like ``POST /runs`` does).
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from empathica.serve.web.session import LoginNeeded, NotAllowed

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Add the dashboard's pages (``/ui/...``), its static files (``/ui/static``) and ``/`` → ``/ui/`` to ``app``."""
    from empathica.serve.web import card, cases, diagnosis, manage, pages
    from empathica.serve.web.pages import words_for
    from empathica.serve.web.render import Page, respond

    app.include_router(pages.router)
    app.include_router(manage.router)
    app.include_router(diagnosis.router)
    app.include_router(card.router)
    app.include_router(cases.router)
    static = resources.files("empathica.serve.web").joinpath("static")
    app.mount("/ui/static", StaticFiles(directory=str(static)), name="dashboard-static")
    app.add_api_route("/", lambda: RedirectResponse("/ui/", status_code=303), include_in_schema=False)

    @app.exception_handler(LoginNeeded)
    async def _login(request: Request, exc: LoginNeeded) -> RedirectResponse:
        return RedirectResponse("/ui/login", status_code=303)

    @app.exception_handler(NotAllowed)
    async def _refused(request: Request, exc: NotAllowed) -> HTMLResponse:
        user = getattr(request.state, "user", None)
        page = Page("forbidden", user, words_for(request, user), extra={"reason": exc.reason_id, "title": exc.title_id})
        return respond(request, "forbidden.html", page, status=exc.status)
