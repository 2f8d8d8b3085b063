"""Logging in and out, the Data page (ingestions, quarantine, runs, upload), user-defined scenarios, and the
admin pages (users, settings). Uploads go through the API's ingest code; scenarios through a decide run."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from empathica.decide.scenarios import parse_scenarios
from empathica.errors import EmpathicaError, SettingsError
from empathica.serve.errors import ApiError
from empathica.serve.reasons import quarantine_reason
from empathica.serve.web.pages import words_for
from empathica.serve.web.render import Page, respond
from empathica.serve.web.session import COOKIE, NotAllowed, current_user, require_role
from empathica.settings import changed, describe, write_setting
from empathica.store import INGESTIONS, QUARANTINE, RUNS
from empathica.store.operational import ROLES

router = APIRouter(prefix="/ui", include_in_schema=False)
DATA_ROWS = 50
#: The Data page's tables: key → (store table, newest first by, columns shown).
DATA_TABLES = {
    "ingestions": (INGESTIONS, "ingested_at", "source_file table_name rows_read rows_stored rows_quarantined ingested_at"),
    "runs": (RUNS, "started_at", "run_id status started_at finished_at data_watermark steps"),
    "quarantine": (QUARANTINE, "ingested_at", "source_file line table_name field reason value"),
}
#: Columns a Data table reads besides those it shows: the quarantine reason's finding, said in the page's language.
READ_BESIDE = {"quarantine": "reason_id reason_values"}


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, failed: str = "") -> Response:
    return respond(request, "login.html", Page("login", None, words_for(request, None), extra={"failed": bool(failed)}))


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=120), password: str = Form(..., max_length=1024)) -> Response:
    """Check the password (the API's limit on failed attempts applies), set the session cookie, go home."""
    server = request.app.state.server
    keys = (f"user:{username.lower()}", f"addr:{request.client.host if request.client else '-'}")
    user = None if server.limiter.retry_after(*keys) else server.ops.check_password(username, password)
    if user is None:
        server.limiter.failed(*keys)
        server.ops.audit(username, "login_failed", "dashboard", status=401)
        return RedirectResponse("/ui/login?failed=1", status_code=303)
    server.limiter.succeeded(*keys)
    server.ops.audit(user.username, "login", "dashboard")
    response = RedirectResponse("/ui/", status_code=303)
    response.set_cookie(COOKIE, server.ops.create_session(user), httponly=True, samesite="strict", max_age=8 * 3600,
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE, "")
    if token:
        request.app.state.server.ops.end_session(token)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# -- data ------------------------------------------------------------------------------------------
@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, uploaded: str = "") -> Response:
    """Ingestions and runs for everyone; quarantined rows (raw input of every team) for unscoped analysts."""
    user = current_user(request)
    words = words_for(request, user)
    server = request.app.state.server
    with server.reading() as store:
        raw = user.allowed("analyst") and not (user.team_id or user.region)  # quarantined rows: every team's input
        tables = {k: _latest(store, table, order, f"{shown} {READ_BESIDE.get(k, '')}")
                  for k, (table, order, shown) in DATA_TABLES.items() if k != "quarantine" or raw}
    if "quarantine" in tables:  # each reason said in the page's language (the API's reason_shown)
        tables["quarantine"] = _quarantine_shown(tables["quarantine"], words.lang)
    views = [{"key": k, "title": words.t(f"dashboard.panel.{k}"), "headers": [words.column(c) for c in frame.columns],
              "rows": [[_cell(words, v) for v in row] for row in frame.itertuples(index=False)]} for k, frame in tables.items()]
    job = server.current_job()
    extra = {"tables": views, "uploaded": uploaded, "can_upload": user.allowed("analyst"),
             "job": job.as_dict() if job else None}
    return respond(request, "data.html", Page("data", user, words, None, [], extra))


def _quarantine_shown(frame, lang: str):
    """The quarantine rows with the stored reason replaced by ``reason_shown`` in ``lang``, in the column ``reason``."""
    stored = frame[["reason", "reason_id", "reason_values"]].astype(object)
    rows = stored.where(stored.notna(), None).to_dict("records")  # a missing finding (older rows): None, not NaN
    shown = [quarantine_reason(row, lang)["reason_shown"] for row in rows]
    return frame.drop(columns=["reason_id", "reason_values"]).assign(reason=shown)


def _latest(store, table: str, order: str, columns: str):
    rows = store.table(table)
    return rows.order_by(rows[order].desc()).select(*columns.split()).limit(DATA_ROWS).to_pandas()


def _cell(words, value) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, pd.Timestamp):
        return words.number(value.date().isoformat(), "date") + f" {value:%H:%M}"
    if isinstance(value, (int,)) or (hasattr(value, "dtype") and "int" in str(value.dtype)):
        return words.number(value, "int")
    return str(value)


@router.post("/data/upload")
async def upload(request: Request, file: UploadFile = File(...), table: str = Form("")) -> Response:
    """A file ingested as through ``POST /ingest`` (same validation, quarantine and size limit)."""
    from empathica.serve.routes_data import _ingest, _table

    user = current_user(request)
    require_role(user, "analyst")
    name = Path(file.filename or "upload.csv").name
    data = await file.read(request.app.state.server.settings.serve_max_upload_mb * 1_000_000 + 1)
    if len(data) > request.app.state.server.settings.serve_max_upload_mb * 1_000_000:
        return RedirectResponse("/ui/data?uploaded=too_large", status_code=303)
    with tempfile.TemporaryDirectory(prefix="empathica-ui-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            await run_in_threadpool(_ingest, request, user, path, _table(table), label=name)
        except ApiError as exc:
            request.app.state.server.ops.audit(user.username, "ingest", name, detail=exc.message[:500], status=400)
            return RedirectResponse("/ui/data?uploaded=failed", status_code=303)
    return RedirectResponse("/ui/data?uploaded=ok", status_code=303)


# -- user-defined scenarios --------------------------------------------------------------------------
@router.post("/value/scenario")
def run_scenario(request: Request, scenario: str = Form(..., max_length=500)) -> Response:
    """Value a scenario (KIND:TARGET:CHANGE) with the decide step's model: a background decide run."""
    user = current_user(request)
    require_role(user, "analyst")
    server = request.app.state.server
    try:
        specs = parse_scenarios(scenario, origin="scenario")
    except EmpathicaError:
        return RedirectResponse("/ui/value?scenario=bad", status_code=303)
    for spec in specs:  # kept per user, so the Value page lists them again after a restart
        server.ops.add_scenario(user.username, spec.text)
    # the run values every user's kept scenarios together (Server.start_run), as a run started elsewhere does
    job = server.start_run(requested_by=user.username, only=["decide"])
    server.ops.audit(user.username, "run", "dashboard:scenario", detail=scenario)
    return RedirectResponse(f"/ui/value?scenario={'started' if job else 'busy'}", status_code=303)


# -- admin -----------------------------------------------------------------------------------------
@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, done: str = "") -> Response:
    user = current_user(request)
    require_role(user, "admin")
    words = words_for(request, user)
    extra = {"users": request.app.state.server.ops.users(), "roles": ROLES, "done": done}
    return respond(request, "users.html", Page("users", user, words, None, [], extra))


@router.post("/admin/users")
def users_change(request: Request, action: str = Form(...), username: str = Form(..., max_length=120),
                 password: str = Form("", max_length=1024), role: str = Form("viewer"),
                 team: str = Form("", max_length=120)) -> Response:
    """Add a user, change a user's role and team, or disable / enable one."""
    user = current_user(request)
    require_role(user, "admin")
    ops = request.app.state.server.ops
    try:
        if action == "add":
            ops.add_user(username, password, role=role, team_id=team or None)
        elif action == "role":
            ops.set_role(username, role=role, team_id=team or None)
        elif action in ("disable", "enable"):
            if username == user.username:
                raise NotAllowed("dashboard.forbidden.self")
            ops.set_disabled(username, action == "disable")
        else:
            raise NotAllowed("dashboard.forbidden.action")
    except EmpathicaError:
        return RedirectResponse("/ui/admin/users?done=failed", status_code=303)
    ops.audit(user.username, f"user_{action}", username, detail=f"role={role} team={team}")
    return RedirectResponse("/ui/admin/users?done=ok", status_code=303)


#: Settings never shown nor changed on the page: secrets and connection URLs, and where the store itself lives.
HIDDEN_SETTINGS = ("password", "url", "secret")
FIXED_SETTINGS = ("backend", "db_path")


def _editable(name: str) -> bool:
    return name not in FIXED_SETTINGS and not any(part in name for part in HIDDEN_SETTINGS)


@router.get("/admin/settings", response_class=HTMLResponse)
def settings_page(request: Request, done: str = "", error: str = "", status: int = 200) -> Response:
    """The server's settings, each with its value and meaning; admins change them through the form."""
    user = current_user(request)
    require_role(user, "admin")
    server = request.app.state.server
    rows = [{"name": name, "value": getattr(server.settings, name), "help": help, "editable": _editable(name)}
            for name, _default, help in describe() if not any(part in name for part in HIDDEN_SETTINGS)]
    extra = {"settings": rows, "done": done, "error": error, "config_file": str(server.config_file)}
    response = respond(request, "settings.html", Page("settings", user, words_for(request, user), None, [], extra))
    response.status_code = status
    return response


@router.post("/admin/settings")
def settings_change(request: Request, name: str = Form(..., max_length=120), value: str = Form("", max_length=4000)) -> Response:
    """Change one setting: checked as the settings file is, written to that file atomically, audited."""
    user = current_user(request)
    require_role(user, "admin")
    server = request.app.state.server
    old = getattr(server.settings, name, None)
    try:
        if not _editable(name):
            raise SettingsError(f"setting {name}: not changed from the dashboard; set it in {server.config_file} or the environment.")
        new = changed(server.settings, name, value)
        write_setting(server.config_file, name, getattr(new, name))
    except (SettingsError, OSError) as exc:
        server.ops.audit(user.username, "setting_change", name, detail=str(exc)[:500], status=400)
        return settings_page(request, error=str(exc), status=400)
    server.settings = new
    server.pages.clear()  # answers cached under the old value (currency, language) are not served again
    server.ops.audit(user.username, "setting_change", name, detail=f"{old!r} -> {getattr(new, name)!r}")
    return RedirectResponse("/ui/admin/settings?done=ok", status_code=303)
