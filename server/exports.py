"""Download route of payment-batch CSVs (domain.md §7.2): ``GET /exports/payment-batches/{id}.csv``.

Authenticated exactly like ``POST /uploads`` (bearer token, or session cookie plus the
``X-Haken-CSRF: 1`` header), with the same JSON error shape. The body is the batch's CSV in UTF-8
with a BOM (Excel), CRLF line endings, one line per case the viewer may see; the bank columns
exist only for the secretariat. A batch that does not exist or is out of the viewer's scope gets
the same 404. ``{id}`` is the PaymentBatch's global ID (a ``path`` segment, since a base64 ID may
contain ``/``; clients percent-encode it).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.rules.errors import ErrorCode
from models.rules.uploads import content_disposition
from resolvers.payments import batch_csv
from schema.relay import parse_global_id
from schema.types.money import BATCH_EXPORT_PREFIX
from server.logging import request_id_var
from server.uploads import _principal as authenticated_principal
from server.uploads import error_response

CSV_SUFFIX = ".csv"
_NOT_FOUND = "指定された支払バッチが見つかりません。"
_HEADERS = {
    "x-content-type-options": "nosniff",
    "cache-control": "private, no-store",
}


def _not_found() -> JSONResponse:
    return error_response(_NOT_FOUND, ErrorCode.NOT_FOUND)


async def payment_batch_csv(request: Request) -> Response:
    principal = await authenticated_principal(request)
    if isinstance(principal, JSONResponse):
        return principal
    name = str(request.path_params["name"])
    if not name.endswith(CSV_SUFFIX):
        return _not_found()
    parsed = parse_global_id(name[: -len(CSV_SUFFIX)])
    if parsed is None or parsed[0] != "PaymentBatch":
        return _not_found()
    export = await batch_csv(principal, parsed[1], request_id=request_id_var.get())
    if export is None:
        return _not_found()
    headers = dict(_HEADERS)
    headers["content-disposition"] = content_disposition(export.filename)
    return Response(export.body, media_type="text/csv; charset=utf-8", headers=headers)


def export_routes() -> list[Route]:
    return [Route(BATCH_EXPORT_PREFIX + "{name:path}", payment_batch_csv, methods=["GET"])]
