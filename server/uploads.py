"""File routes (domain.md §12, api.md §10): ``POST /uploads`` and ``GET /documents/{id}``.

``/graphql`` accepts JSON only; files travel through these two routes. Both authenticate exactly
like ``/graphql`` (bearer token, or session cookie plus the ``X-Haken-CSRF: 1`` header, since a
multipart form is a "simple" request a foreign page could send). Errors are JSON in the shape of
GraphQL's top-level errors: ``{"errors": [{"message", "extensions": {"code", "errorCode",
"field"}}]}`` — ``code`` from the closed top-level set, ``errorCode`` the finer user-error code
(``UNSUPPORTED_FILE_TYPE``, ``FILE_TOO_LARGE``, ``DOCUMENT_KIND_MISMATCH`` …), ``field`` the form
field.

``POST /uploads`` (multipart: ``file``, ``kind``, optional ``caseId``) answers 201 with
``{"id", "sha256", "size", "contentType", "filename", "kind"}``; the ``id`` is the Document's
global ID that GraphQL inputs take. The body may be ``MAX_UPLOAD_BYTES`` plus the multipart
overhead; larger bodies get 413 from the body-limit middleware before anything is read.

``GET /documents/{id}`` streams the file as an attachment (RFC 6266/5987 file name, ``nosniff``,
a sandboxing CSP, no caching by shared caches). A document that does not exist, is out of the
viewer's scope or has no file gets the same 404.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from auth.authenticate import AuthenticationFailed, authenticate
from auth.principal import Principal
from models.rules.errors import DomainError, ErrorCode, Unauthenticated
from models.rules.money_kinds import DocumentKind
from models.rules.uploads import content_disposition
from models.settings import Settings
from resolvers import documents
from schema.relay import parse_global_id, to_global_id

logger = logging.getLogger("haken.uploads")

UPLOAD_PATH = "/uploads"
#: Room for the multipart boundaries, part headers and the small fields around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
_MAX_FIELD_BYTES = 1024

_TOP_LEVEL: dict[ErrorCode, tuple[str, int]] = {
    ErrorCode.UNAUTHENTICATED: ("UNAUTHENTICATED", 401),
    ErrorCode.FORBIDDEN: ("FORBIDDEN", 403),
    ErrorCode.NOT_FOUND: ("NOT_FOUND", 404),
    ErrorCode.FILE_TOO_LARGE: ("BAD_USER_INPUT", 413),
    ErrorCode.UNSUPPORTED_FILE_TYPE: ("BAD_USER_INPUT", 415),
}
_NOT_FOUND_MESSAGE = "指定された書類が見つかりません。"
_NOT_MULTIPART = "multipart/form-data 形式で送信してください。"
_BAD_FORM = "送信内容を読み取れませんでした。ファイルを1つだけ添付してください。"
_FILE_REQUIRED = "ファイルを添付してください。"
_KIND_REQUIRED = "書類の種類（kind）を指定してください。"
_KIND_INVALID = "書類の種類（kind）が正しくありません。"
_CASE_ID_INVALID = "派遣依頼のIDの形式が正しくありません。"
_DOWNLOAD_HEADERS = {
    "x-content-type-options": "nosniff",
    "cache-control": "private, no-store",
    "content-security-policy": "default-src 'none'; sandbox",
}


def upload_body_limit(settings: Settings) -> int:
    """The request-body limit of ``POST /uploads``."""
    return settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES


def download_url(document_id: int) -> str:
    """The download path of a document (relative to the API's origin)."""
    return documents.DOWNLOAD_PREFIX + to_global_id("Document", document_id)


def error_response(
    message: str,
    code: ErrorCode,
    *,
    field: tuple[str, ...] = (),
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    top_level, default_status = _TOP_LEVEL.get(code, ("BAD_USER_INPUT", 400))
    extensions: dict[str, Any] = {"code": top_level, "errorCode": code.value}
    if field:
        extensions["field"] = list(field)
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status or default_status,
        headers=headers,
    )


def _domain_error(error: DomainError) -> JSONResponse:
    return error_response(error.message, error.code, field=error.field)


def _not_found() -> JSONResponse:
    return error_response(_NOT_FOUND_MESSAGE, ErrorCode.NOT_FOUND)


async def _principal(request: Request) -> Principal | JSONResponse:
    """The signed-in principal, or the refusal to send (401 anonymous / bad token, 403 CSRF)."""
    try:
        principal = await authenticate(
            request.headers, request.cookies, method=request.method, now=datetime.now(UTC)
        )
    except AuthenticationFailed as failure:
        logger.info("authentication refused: %s", failure.reason or failure.code)
        body = {"errors": [{"message": failure.message, "extensions": {"code": failure.code}}]}
        headers = {"www-authenticate": failure.www_authenticate} if failure.www_authenticate else {}
        return JSONResponse(body, status_code=failure.status, headers=headers)
    if not principal.authenticated:
        return error_response(
            Unauthenticated.default_message,
            ErrorCode.UNAUTHENTICATED,
            headers={"www-authenticate": 'Bearer realm="haken"'},
        )
    return principal


def _kind(value: object) -> DocumentKind | JSONResponse:
    if not isinstance(value, str) or not value:
        return error_response(_KIND_REQUIRED, ErrorCode.REQUIRED, field=("kind",))
    try:
        return DocumentKind(value)
    except ValueError:
        return error_response(_KIND_INVALID, ErrorCode.INVALID, field=("kind",))


def _case_id(value: object) -> int | JSONResponse | None:
    if value is None or value == "":
        return None
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != "DispatchCase":
        return error_response(_CASE_ID_INVALID, ErrorCode.INVALID, field=("caseId",))
    return parsed[1]


def upload_routes(settings: Settings) -> list[Route]:
    """The file routes, bound to ``settings`` (upload directory and limits)."""

    async def upload(request: Request) -> Response:
        principal = await _principal(request)
        if isinstance(principal, JSONResponse):
            return principal
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "multipart/form-data":
            return error_response(_NOT_MULTIPART, ErrorCode.INVALID)
        try:
            form = await request.form(max_files=1, max_fields=2, max_part_size=_MAX_FIELD_BYTES)
        except HTTPException:
            return error_response(_BAD_FORM, ErrorCode.INVALID)
        try:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                return error_response(_FILE_REQUIRED, ErrorCode.REQUIRED, field=("file",))
            kind = _kind(form.get("kind"))
            if isinstance(kind, JSONResponse):
                return kind
            case_id = _case_id(form.get("caseId"))
            if isinstance(case_id, JSONResponse):
                return case_id
            try:
                document = await documents.store_upload(
                    principal,
                    file.file,
                    filename=file.filename or "",
                    kind=kind,
                    case_id=case_id,
                    upload_dir=settings.upload_dir,
                    max_bytes=settings.max_upload_bytes,
                    now=datetime.now(UTC),
                )
            except DomainError as error:
                return _domain_error(error)
        finally:
            await form.close()
        url = download_url(document.id)
        body = {
            "id": to_global_id("Document", document.id),
            "sha256": document.sha256,
            "size": document.size_bytes,
            "contentType": document.content_type,
            "filename": document.filename,
            "kind": document.kind.value,
        }
        return JSONResponse(body, status_code=201, headers={"location": url})

    async def download(request: Request) -> Response:
        principal = await _principal(request)
        if isinstance(principal, JSONResponse):
            return principal
        parsed = parse_global_id(request.path_params["id"])
        if parsed is None or parsed[0] != "Document":
            return _not_found()
        row = await documents.document_for_download(principal, parsed[1])
        if row is None:
            return _not_found()
        path = documents.content_path(settings.upload_dir, row["sha256"])
        if not await asyncio.to_thread(path.is_file):
            logger.error("document %s: stored file is missing", row["id"])
            return _not_found()
        headers = dict(_DOWNLOAD_HEADERS)
        headers["content-disposition"] = content_disposition(row["filename"])
        return FileResponse(path, media_type=row["content_type"], headers=headers)

    return [
        Route(UPLOAD_PATH, upload, methods=["POST"]),
        Route(documents.DOWNLOAD_PREFIX + "{id}", download, methods=["GET"]),
    ]
