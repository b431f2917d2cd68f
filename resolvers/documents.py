"""Documents (domain.md §5, §11, §12): uploads stored by content hash, scoped downloads, attaching
an upload to a case, and paper documents the secretariat received by post.

Storage: the bytes live outside the database in ``upload_dir/<sha256[:2]>/<sha256>``. A file is
written to a temporary name in ``upload_dir/.incoming`` and renamed into place (atomic on one
file system); identical content is stored once however often it is uploaded. A Document row is
written only after its file is in place, so no row ever names a missing file. Everything a client
could get wrong (size, type, kind, case) is checked before a byte reaches ``upload_dir``.

Reading: a document may be downloaded by whoever sees it as a ``Document`` node (the case's
parties; signature images only the specialist and the secretariat; a specialist's own papers its
owner, platform staff and the secretariat; a company a photo the specialist chose to show) and by
the account that uploaded it. Receipts and boarding stubs show travel amounts, so only those who
see a case's money download them (domain.md §11). Anything else is "not found".
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from tortoise.transactions import in_transaction

from auth.audit import FAILURE, record_audit
from auth.principal import Principal
from auth.scoping import READ_PAYMENTS, case_scope
from models.cases import DispatchCase
from models.documents import Document
from models.fiscal import FiscalYearConfig
from models.outbox import DomainEvent
from models.rules.errors import DomainError, ErrorCode, Forbidden, NotFound, Unauthenticated
from models.rules.events import EventKind
from models.rules.fiscal_year import current_fiscal_year
from models.rules.money_kinds import DocumentKind
from models.rules.roles import Role
from models.rules.uploads import (
    CASE_KINDS,
    MONEY_EVIDENCE_KINDS,
    POSTAL_KINDS,
    SNIFF_BYTES,
    UPLOAD_KINDS,
    may_upload,
    sanitize_filename,
    sniff_content_type,
    too_large_message,
    type_fits_kind,
    unsupported_type_message,
)
from resolvers.batching import Row, columns
from resolvers.case_loaders import load_documents
from resolvers.money_loaders import store_payments

#: Path of the download route; a document's URL is this prefix and its global ID.
DOWNLOAD_PREFIX = "/documents/"
#: Audit actions of this module.
DOCUMENT_MARK_RECEIVED = "document_mark_received"
AUTHZ_FAIL = "authz_fail"

_CHUNK_BYTES = 64 * 1024
_INCOMING = ".incoming"
_MAX_PK = 2_147_483_647
_DOCUMENT_NOT_FOUND = "指定された書類が見つかりません。"
_CASE_NOT_FOUND = "指定された派遣依頼が見つかりません。"


class UnsupportedFileType(DomainError):
    code = ErrorCode.UNSUPPORTED_FILE_TYPE
    default_message = "PDF・JPEG・PNG のいずれかのファイルを選択してください。"


class FileTooLarge(DomainError):
    code = ErrorCode.FILE_TOO_LARGE
    default_message = "ファイルが大きすぎます。"


class DocumentKindMismatch(DomainError):
    code = ErrorCode.DOCUMENT_KIND_MISMATCH
    default_message = "この種類の書類は指定できません。"


def _kinds_text(kinds: Collection[DocumentKind]) -> str:
    return "・".join(kind.ja for kind in DocumentKind if kind in kinds)


def kind_mismatch(kinds: Collection[DocumentKind], field: Sequence[str]) -> DocumentKindMismatch:
    """The error for a document of another kind than ``kinds``."""
    if not kinds:
        return DocumentKindMismatch(field=field)
    return DocumentKindMismatch(f"{_kinds_text(kinds)}の書類を指定してください。", field)


# ---------------------------------------------------------------- storage (blocking, in threads)


def content_path(upload_dir: Path, sha256: str) -> Path:
    """Where the file with content hash ``sha256`` lives."""
    return upload_dir / sha256[:2] / sha256


def _inspect(source: BinaryIO) -> tuple[int, bytes]:
    """The size and the first bytes of a seekable file, without consuming it."""
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    head = source.read(SNIFF_BYTES)
    source.seek(0)
    return size, head


def _store(source: BinaryIO, upload_dir: Path) -> tuple[str, int]:
    """Copy ``source`` into ``upload_dir`` under its SHA-256; returns ``(sha256, size)``."""
    incoming = upload_dir / _INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, temp_name = tempfile.mkstemp(dir=incoming, prefix="upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            source.seek(0)
            while chunk := source.read(_CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha256 = digest.hexdigest()
        target = content_path(upload_dir, sha256)
        if target.is_file():
            os.unlink(temp_name)  # the same bytes are stored already
        else:
            target.parent.mkdir(exist_ok=True)
            os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return sha256, size


# ---------------------------------------------------------------- upload


async def upload_limit(max_bytes: int, now: datetime) -> int:
    """The effective size limit: the server's ``MAX_UPLOAD_BYTES`` or, when lower, the upload
    limit of the current fiscal year's configuration (domain.md §7.2)."""
    config = await FiscalYearConfig.get_or_none(fiscal_year=current_fiscal_year(now))
    return max_bytes if config is None else min(max_bytes, config.upload_limit_bytes)


def _event(case: DispatchCase, document: Document, change: str) -> DomainEvent:
    return DomainEvent(
        kind=EventKind.CASE_DOCUMENTS_CHANGED.value,
        case_id=case.id,
        version=case.version,
        payload={"document_id": document.id, "kind": document.kind.value, "change": change},
    )


async def _case_in_scope(principal: Principal, case_id: int, *, lock: bool = False) -> DispatchCase:
    if not 0 < case_id <= _MAX_PK:
        raise NotFound(_CASE_NOT_FOUND)
    query = DispatchCase.filter(case_scope(principal), id=case_id)
    case = await (query.select_for_update() if lock else query).first()
    if case is None:
        raise NotFound(_CASE_NOT_FOUND)
    return case


async def store_upload(
    principal: Principal,
    source: BinaryIO,
    *,
    filename: str,
    kind: DocumentKind,
    case_id: int | None,
    upload_dir: Path,
    max_bytes: int,
    now: datetime,
) -> Document:
    """Store one uploaded file and its Document row (``POST /uploads``).

    ``source`` is a seekable binary file. Errors carry the form field (``file``, ``kind``,
    ``caseId``): Forbidden (the role may not upload this kind), DocumentKindMismatch (the kind
    does not belong to a case), NotFound (the case is not in scope), FileTooLarge,
    UnsupportedFileType. Nothing is stored when any of them is raised.
    """
    role = principal.role
    if role is None:
        raise Unauthenticated()
    if not may_upload(role, kind):
        raise Forbidden(f"{kind.ja}をアップロードする権限がありません。", ("kind",))
    if case_id is not None and kind not in CASE_KINDS:
        raise kind_mismatch(CASE_KINDS & UPLOAD_KINDS[role], ("kind",))
    if case_id is not None:
        try:
            await _case_in_scope(principal, case_id)
        except NotFound as error:
            raise NotFound(error.message, ("caseId",)) from None
    limit = await upload_limit(max_bytes, now)
    size, head = await asyncio.to_thread(_inspect, source)
    if size > limit:
        raise FileTooLarge(too_large_message(limit), ("file",))
    content_type = sniff_content_type(head)
    if content_type is None or not type_fits_kind(content_type, kind):
        raise UnsupportedFileType(unsupported_type_message(kind), ("file",))
    sha256, written = await asyncio.to_thread(_store, source, upload_dir)
    values: dict[str, Any] = {
        "kind": kind,
        "filename": sanitize_filename(filename, content_type),
        "content_type": content_type,
        "size_bytes": written,
        "sha256": sha256,
        "uploaded_by_id": principal.account_id,
    }
    if case_id is None:
        return await Document.create(**values)
    async with in_transaction():
        case = await _case_in_scope(principal, case_id, lock=True)
        document = await Document.create(case_id=case.id, **values)
        await _event(case, document, "UPLOADED").save()
    return document


# ---------------------------------------------------------------- claiming an upload


async def claim_document(
    principal: Principal,
    document_id: int,
    kinds: Collection[DocumentKind],
    *,
    field: Sequence[str] = (),
    case_id: int | None = None,
    specialist_id: int | None = None,
) -> Document:
    """The uploaded document ``document_id`` for a mutation that attaches it to something.

    It must have been uploaded by the principal's own account (anything else, including a
    document received by post only, is NOT_FOUND), be one of ``kinds`` (else
    DOCUMENT_KIND_MISMATCH) and, when ``case_id`` / ``specialist_id`` are given, not be attached
    to another case / specialist already (NOT_FOUND). ``field`` is the input path of the ID for
    the user error, e.g. ``("input", "receiptIds", "0")``. Call it inside the mutation's
    transaction; the caller attaches the document.
    """
    document = None
    if principal.account_id is not None and 0 < document_id <= _MAX_PK:
        document = (
            await Document.filter(id=document_id, uploaded_by_id=principal.account_id)
            .exclude(sha256="")
            .first()
        )
    if document is None:
        raise NotFound(_DOCUMENT_NOT_FOUND, field)
    attached_case = document.case_id  # type: ignore[attr-defined]
    attached_specialist = document.specialist_id  # type: ignore[attr-defined]
    if (case_id is not None and attached_case not in (None, case_id)) or (
        specialist_id is not None and attached_specialist not in (None, specialist_id)
    ):
        raise NotFound(_DOCUMENT_NOT_FOUND, field)
    if document.kind not in kinds:
        raise kind_mismatch(kinds, field)
    return document


async def attach_to_case(
    principal: Principal, document_id: int, case_id: int, *, request_id: str = ""
) -> int:
    """``documentUpload``: attach the caller's upload to a case in its scope; returns the
    document's id. Attaching it again to the same case changes nothing. A role that uploads no
    case document (partner tokens) is FORBIDDEN with an ``authz_fail`` audit row."""
    role = principal.role
    allowed = CASE_KINDS & UPLOAD_KINDS[role] if role is not None else frozenset()
    if not allowed:
        await record_audit(
            AUTHZ_FAIL,
            actor=principal,
            outcome=FAILURE,
            target_type="DispatchCase",
            target_id=case_id,
            request_id=request_id,
            detail={"operation": "documentUpload"},
        )
        raise Forbidden()
    async with in_transaction():
        try:
            case = await _case_in_scope(principal, case_id, lock=True)
        except NotFound as error:
            raise NotFound(error.message, ("input", "caseId")) from None
        document = await claim_document(
            principal, document_id, allowed, field=("input", "documentId"), case_id=case.id
        )
        if document.case_id is None:  # type: ignore[attr-defined]
            await Document.filter(id=document.id).update(case_id=case.id)
            await _event(case, document, "UPLOADED").save()
            await store_payments([case.id])  # attached receipts can lift a payment hold
    return document.id


# ---------------------------------------------------------------- received by post


async def mark_received(
    principal: Principal,
    case_id: int,
    kind: DocumentKind,
    received: bool,
    *,
    request_id: str = "",
) -> int | None:
    """``documentMarkReceived`` (secretariat): record that a paper document of ``kind`` arrived
    by post for a case (``received``), or withdraw that record. Returns the postal document's id
    (``None`` after a withdrawal). Marking twice keeps the first record; other roles are
    FORBIDDEN (with an ``authz_fail`` audit row and nothing else written).
    """
    if principal.role is not Role.SECRETARIAT:
        await record_audit(
            AUTHZ_FAIL,
            actor=principal,
            outcome=FAILURE,
            target_type="DispatchCase",
            target_id=case_id,
            request_id=request_id,
            detail={"operation": "documentMarkReceived"},
        )
        raise Forbidden()
    if kind not in POSTAL_KINDS:
        raise kind_mismatch(POSTAL_KINDS, ("input", "kind"))
    async with in_transaction():
        try:
            case = await _case_in_scope(principal, case_id, lock=True)
        except NotFound as error:
            raise NotFound(error.message, ("input", "caseId")) from None
        postal = await Document.filter(case_id=case.id, kind=kind, received_by_post=True).order_by(
            "id"
        )
        if received and postal:
            return postal[0].id
        if not received and not postal:
            return None
        if received:
            document = await Document.create(
                case_id=case.id,
                kind=kind,
                received_by_post=True,
                uploaded_by_id=principal.account_id,
            )
            change = "RECEIVED_BY_POST"
        else:
            document = postal[0]
            paper_only = [d.id for d in postal if not d.sha256]
            scanned = [d.id for d in postal if d.sha256]
            if paper_only:
                await Document.filter(id__in=paper_only).delete()
            if scanned:
                await Document.filter(id__in=scanned).update(received_by_post=False)
            change = "RECEIPT_WITHDRAWN"
        await _event(case, document, change).save()
        await store_payments([case.id])  # 様式8 / receipts by post decide payment holds
        await record_audit(
            DOCUMENT_MARK_RECEIVED,
            actor=principal,
            target_type="DispatchCase",
            target_id=case.id,
            request_id=request_id,
            detail={"kind": kind.value, "received": received},
        )
    return document.id if received else None


# ---------------------------------------------------------------- download


def can_download(principal: Principal, row: Mapping[str, Any]) -> bool:
    """Whether the viewer may fetch the file of a document row it already sees (or uploaded).

    Only documents with content; the uploader always; receipts and boarding stubs only for those
    who see the case's money (never a company; a partner token with ``read_payments``).
    """
    if not row.get("sha256"):
        return False
    account = principal.account_id
    if account is not None and row.get("uploaded_by_id") == account:
        return True
    if row.get("kind") in MONEY_EVIDENCE_KINDS:
        if principal.role is Role.COMPANY:
            return False
        if principal.role is Role.PARTNER:
            return READ_PAYMENTS in principal.scopes
    return True


async def document_for_download(principal: Principal, document_id: int) -> Row | None:
    """The document row the principal may download, or ``None`` (missing, out of scope, no
    content, or not for this viewer: indistinguishable)."""
    if not principal.authenticated or not 0 < document_id <= _MAX_PK:
        return None
    [row] = await load_documents(principal, [document_id])
    if row is None and principal.account_id is not None:
        own = await Document.filter(id=document_id, uploaded_by_id=principal.account_id).values(
            *columns(Document)
        )
        row = own[0] if own else None
    if row is None or not can_download(principal, row):
        return None
    return row
