"""``/openapi.json`` and ``/docs``: the API's description, for authenticated users only.

FastAPI's own pages are public and load Swagger UI from a CDN; here the spec needs a bearer token like every
other route but ``/health`` and ``/auth/login``, and ``/docs`` is one server-rendered page (no script, nothing
fetched from elsewhere) that lists every route with its parameters and summary.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from empathica.serve.auth import require
from empathica.store.operational import User

router = APIRouter(include_in_schema=False)
_METHODS = ("get", "post", "put", "patch", "delete")


@router.get("/openapi.json")
def openapi_spec(request: Request, user: User = Depends(require("viewer"))) -> JSONResponse:
    """The OpenAPI description of every route (needs a token, like the routes it describes)."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def api_docs(request: Request, user: User = Depends(require("viewer"))) -> HTMLResponse:
    """Every route of the API: method, path, summary, parameters (from the OpenAPI description), as plain HTML."""
    spec = request.app.openapi()
    rows = []
    for path, item in sorted(spec["paths"].items()):
        for method in (m for m in _METHODS if m in item):
            operation = item[method]
            parameters = ", ".join(p["name"] for p in operation.get("parameters", []))
            body = "request body" if "requestBody" in operation else ""
            rows.append(f"<tr><td>{method.upper()}</td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(operation.get('summary', ''))}</td>"
                        f"<td>{escape(operation.get('description', '') or '')}</td>"
                        f"<td>{escape(', '.join(x for x in (parameters, body) if x))}</td></tr>")
    info = spec.get("info", {})
    page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(info.get('title', ''))}</title>"
            f"</head><body><h1>{escape(info.get('title', ''))} {escape(str(info.get('version', '')))}</h1>"
            f"<p>{escape(info.get('description', ''))}</p><p>The machine-readable description: <code>GET /openapi.json</code>."
            "</p><table><thead><tr><th>method</th><th>path</th><th>summary</th><th>what</th><th>parameters</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></body></html>")
    return HTMLResponse(page)
