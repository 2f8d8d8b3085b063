"""``/results``: the declared results, read page by page or exported, within the user's scope."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from empathica.errors import OutdatedResultError, SchemaError, StoreError
from empathica.schema.results import RESULTS, result as declared_result
from empathica.serve.auth import require
from empathica.serve.errors import ApiError
from empathica.serve.query import (FORMATS, MAX_EXPORT_ROWS, MAX_PAGE, FilterError, Filters, export, read_page,
                                   reads_scope_tables)
from empathica.serve.reasons import result_reasons, shown_language
from empathica.store.operational import User

router = APIRouter(tags=["results"])


@router.get("/results")
def list_results(request: Request, user: User = Depends(require("viewer"))) -> dict:
    """Every declared result: its grain, columns, writer step, and rows stored (0: not computed yet)."""
    server = request.app.state.server
    with server.reading() as store:
        catalogue = store.to_pandas("results").set_index("name") if store.has_table("results") else None
        out = []
        for declared in RESULTS.values():
            stored = catalogue is not None and declared.name in catalogue.index
            out.append({
                "name": declared.name, "step": declared.step, "grain": declared.grain, "doc": declared.doc,
                "columns": [{"name": c, "type": t} for c, t in declared.columns], "open_columns": declared.open_columns,
                "rows": int(catalogue.loc[declared.name, "rows"]) if stored else 0,
                "run_id": catalogue.loc[declared.name, "run_id"] if stored else None,
            })
    return {"results": out}


@router.get("/results/{name}")
def read_result(
    request: Request,
    name: str,
    page_number: int = Query(1, alias="page", ge=1, le=1_000_000),
    page_size: int = Query(100, ge=1, le=MAX_PAGE),
    date_from: date | None = Query(None, alias="from", description="Rows on or after this date (YYYY-MM-DD)."),
    date_to: date | None = Query(None, alias="to", description="Rows on or before this date (YYYY-MM-DD)."),
    language: str | None = Query(None, max_length=64),
    channel: str | None = Query(None, max_length=200),
    team: str | None = Query(None, max_length=200),
    segment: str | None = Query(None, max_length=200),
    format: Literal["json", "csv", "parquet", "xlsx"] = Query("json", description="json: one page; csv, parquet, xlsx: every row (analyst)."),
    lang: str | None = Query(None, max_length=8, description="Language reasons are said in (`reasons_shown`): en, de or zh; default the setting report_language."),
    user: User = Depends(require("viewer")),
) -> Response:
    """The rows of result ``name`` this user may see, filtered by date, language, channel, team and segment; a
    result with stored reasons adds them said in ``lang`` (``reasons_shown``)."""
    server = request.app.state.server
    shown = shown_language(lang, server.settings.report_language)
    try:
        declared = declared_result(name)
    except SchemaError:
        raise ApiError(404, "no_such_result", f"no result {name[:80]!r}; GET /results lists them.", field="name") from None
    if format != "json" and not user.allowed("analyst"):
        raise ApiError(403, "forbidden", f"exporting needs the analyst role; {user.username} is {user.role}.", field="format")
    filters = Filters(date_from=date_from, date_to=date_to, language=language, channel=channel, team=team, segment=segment)
    audit_detail = json.dumps({k: str(v) for k, v in filters.__dict__.items() if v is not None} | {"format": format})
    if format == "json":
        # a page that reads no canonical table is keyed without the scope version: an ingest leaves it cached
        scope = server.scope_version if reads_scope_tables(user, filters) else None
        key = (server.results_version, scope, declared.name, user.team_id, user.region, filters, page_number,
               page_size, shown)
        body = server.pages.get(key)
        if body is None:
            body = _page(server, declared, user, filters, page_number, page_size, shown)
            if key[0] == server.results_version and scope in (None, server.scope_version):  # nothing changed it meanwhile
                server.pages.put(key, body)
        server.ops.audit_soon(user.username, "read", declared.name, detail=audit_detail)
        return Response(body, media_type="application/json")
    _, frame = _rows(server, declared, user, filters, 1, MAX_EXPORT_ROWS)
    frame = result_reasons(frame, declared, shown)
    server.ops.audit(user.username, "export", declared.name, detail=audit_detail)
    return Response(export(frame, format, name=declared.name), media_type=FORMATS[format],
                    headers={"Content-Disposition": f'attachment; filename="{declared.name}.{format}"'})


def _rows(server, declared, user: User, filters: Filters, number: int, size: int) -> tuple[int, "pd.DataFrame"]:
    """(total rows, the rows of page ``number``) of a result as ``user`` may see it, errors answered as JSON."""
    with server.reading() as store:
        try:
            return read_page(store, declared, user, filters, number=number, size=size,
                             version=(id(server), server.results_version))
        except FilterError as exc:
            raise ApiError(400, "bad_filter", str(exc), field=exc.field) from None
        except OutdatedResultError as exc:
            raise ApiError(409, "outdated_result", str(exc), field="name") from None
        except StoreError:
            raise ApiError(404, "not_computed", f"result {declared.name} is not stored yet; start a run (POST /runs).", field="name") from None


def _page(server, declared, user: User, filters: Filters, page_number: int, page_size: int, lang: str) -> bytes:
    """One page of a result as the JSON body of the answer (the rows' JSON as pandas writes it, not parsed again);
    stored reasons also said in ``lang``."""
    total, frame = _rows(server, declared, user, filters, page_number, page_size)
    frame = result_reasons(frame, declared, lang)
    head = json.dumps({"result": declared.name, "page": page_number, "page_size": page_size, "total": total,
                       "language": lang}, ensure_ascii=False)
    return (head[:-1] + ', "rows": ' + frame.to_json(orient="records", date_format="iso") + "}").encode("utf-8")
