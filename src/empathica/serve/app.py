"""The FastAPI application: health, login, and the routers of results, runs, ingest and administration."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

from empathica.serve import errors
from empathica.serve.auth import require
from empathica.serve.errors import ApiError
from empathica.serve.server import Server
from empathica.store.operational import User

API_VERSION = "1"


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1024)


class NewKey(BaseModel):
    label: str = Field(default="", max_length=200)


def create_app(server: Server) -> FastAPI:
    """The API over ``server``'s stores (the caller owns opening and closing them)."""
    from empathica.act.service import ActService
    from empathica.report.i18n import LANGUAGES, Finding, OpportunityText, render
    from empathica.serve import routes_act, routes_admin, routes_data, routes_docs, routes_results
    from empathica.serve.web.scoped import ScopePreparer

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for lang in LANGUAGES:  # catalogues and locale data loaded now, not by the first card in each language
            render(Finding("act.opener.reason.language", {"empathy": 0.5, "agent_id": "-", "language": lang}), lang=lang)
        server.act = ActService(server)  # evaluates rules on ingests and runs, keeps the card snapshot, notifies
        server.act.digest_words = OpportunityText()  # digests in the team's language, from the report's catalogues
        server.act.start()
        server.scopes = ScopePreparer(server)  # a scoped user's recomputed panels, prepared before their first visit
        if server.settings.serve_prepare_scopes:
            server.scopes.start()
        try:
            yield
        finally:
            server.scopes.stop()
            server.act.stop()

    # share: the API description is not public (docs_url/openapi_url off; routes_docs serves both behind auth)
    app = FastAPI(title="Empathica API", version=API_VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="Results, runs, ingest and users of one Empathica store. Every endpoint but /health "
                              "needs a bearer token: a session from POST /auth/login or an API key.")
    app.state.server = server
    errors.install(app)
    _install_limits(app, server)
    app.add_api_route("/health", health, methods=["GET"], tags=["health"])
    app.add_api_route("/auth/login", login, methods=["POST"], tags=["auth"])
    app.add_api_route("/auth/logout", logout, methods=["POST"], tags=["auth"])
    app.add_api_route("/auth/me", me, methods=["GET"], tags=["auth"])
    app.add_api_route("/auth/keys", new_key, methods=["POST"], tags=["auth"], status_code=201)
    for router in (routes_results.router, routes_data.router, routes_admin.router, routes_act.router):
        app.include_router(router)
    app.include_router(routes_docs.router)  # share: /openapi.json and /docs, authenticated
    # -- learn: actions, effects, experiments, benchmark, timeline (serve/routes_learn.py) --
    from empathica.serve import routes_learn

    app.include_router(routes_learn.router)
    # -- diagnose (area: diagnose) --
    from empathica.serve import routes_diagnose

    app.include_router(routes_diagnose.router)
    # -- dashboard (serve/web): the pages under /ui, their static files, and / → /ui/ --
    from empathica.serve import web

    web.install(app)
    return app


def _install_limits(app: FastAPI, server: Server) -> None:
    limit = server.settings.serve_max_upload_mb * 1_000_000

    @app.middleware("http")
    async def refuse_oversized(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit + 1_000_000:
            from fastapi.responses import JSONResponse

            return JSONResponse(errors.body("too_large", f"the request is {int(length):,} bytes; the limit is "
                                            f"{limit:,} (setting serve_max_upload_mb)."), status_code=413)
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        # the dashboard's pages set a policy of their own (their vendored scripts and styles)
        response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        return response


def health(request: Request) -> dict:
    """Whether the server can read its stores (no authentication)."""
    server: Server = request.app.state.server
    with server.reading() as store:
        store.count("customers")
    job = server.current_job()
    return {"status": "ok", "store": "ok", "run": job.as_dict() if job else None}


def login(request: Request, credentials: Login) -> dict:
    """A session token for a user name and password (at most 5 failed attempts per name and address in 5 minutes)."""
    server: Server = request.app.state.server
    keys = (f"user:{credentials.username.lower()}", f"addr:{request.client.host if request.client else '-'}")
    wait = server.limiter.retry_after(*keys)
    if wait:
        server.ops.audit(credentials.username, "login_limited", status=429)
        raise ApiError(429, "too_many_attempts", f"too many failed logins; try again in {wait} s.",
                       headers={"Retry-After": str(wait)})
    user = server.ops.check_password(credentials.username, credentials.password)
    if user is None:
        server.limiter.failed(*keys)
        server.ops.audit(credentials.username, "login_failed", status=401)
        raise ApiError(401, "bad_credentials", "unknown user name or wrong password, or the user is disabled.",
                       field="password")
    server.limiter.succeeded(*keys)
    server.ops.audit(user.username, "login")
    return {"token": server.ops.create_session(user), "token_type": "bearer", "role": user.role}


def logout(request: Request, user: User = Depends(require("viewer"))) -> dict:
    """End the session whose token this request carries."""
    token = request.headers.get("authorization", "").split(" ", 1)[-1]
    request.app.state.server.ops.end_session(token)
    return {"status": "logged out"}


def me(user: User = Depends(require("viewer"))) -> dict:
    """The authenticated user: name, role and scope."""
    return {"username": user.username, "role": user.role, "team_id": user.team_id, "region": user.region}


def new_key(request: Request, body: NewKey, user: User = Depends(require("viewer"))) -> dict:
    """A new API key for the authenticated user (shown once; it carries the user's role and scope)."""
    server: Server = request.app.state.server
    key = server.ops.create_api_key(user.username, label=body.label)
    server.ops.audit(user.username, "api_key_created", body.label)
    return {"key": key}
