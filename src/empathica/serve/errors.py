"""The API's errors: always JSON ``{"error": {"code", "message", "field", "row"}}``, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from empathica.errors import EmpathicaError, InputError, SchemaError, StoreLockedError

log = logging.getLogger("empathica.serve")


class ApiError(Exception):
    """An error answered as JSON with an HTTP status, a stable code, a message and the field/row concerned."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None, row: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.row, self.headers = status, code, message, field, row, headers


def body(code: str, message: str, *, field: str | None = None, row: int | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field, "row": row}}


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as JSON."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(body(exc.code, exc.message, field=exc.field, row=exc.row), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        row = next((int(p) for p in loc if p.isdigit()), None)
        field = ".".join(p for p in loc if not p.isdigit()) or None
        return JSONResponse(body("invalid", f"{field or 'request'}: {first.get('msg', 'invalid value')}", field=field, row=row),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        return JSONResponse(body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(EmpathicaError)
    async def _empathica(request: Request, exc: EmpathicaError) -> JSONResponse:
        status = 409 if isinstance(exc, StoreLockedError) else 400 if isinstance(exc, (InputError, SchemaError)) else 422
        return JSONResponse(body(type(exc).__name__, str(exc), field=getattr(exc, "field", None)), status_code=status)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(body("internal", "an unexpected error occurred; the server log has the details."), status_code=500)
