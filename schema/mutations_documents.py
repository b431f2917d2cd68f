"""Document mutations (domain.md §5, §12): ``documentUpload`` and ``documentMarkReceived``.

Files themselves arrive through ``POST /uploads`` (multipart; ``/graphql`` accepts JSON only),
which answers with the Document's global ID. ``documentUpload`` attaches such an upload of the
caller's own account to a case in its scope; other mutations (reports, registration) take the
same IDs and claim them with ``resolvers.documents.claim_document``.
``documentMarkReceived`` is the secretariat recording a paper 様式8, receipt or boarding stub
that arrived by post.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

import strawberry

from models.rules.errors import DomainError, Forbidden, Unauthenticated
from models.rules.money_kinds import DocumentKind
from resolvers import documents
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.context import Context
from schema.errors import UserError, from_domain_error
from schema.permissions import root_mutation
from schema.relay import expect_id
from schema.types.case import DispatchCase
from schema.types.report import Document


@strawberry.input(
    description="アップロード済みファイルを案件の書類にする入力 (documentUpload input)"
)
class DocumentUploadInput:
    document_id: strawberry.ID = strawberry.field(
        description="POST /uploads が返した書類のID（自分がアップロードしたもの） (ID returned by "
        "POST /uploads, uploaded by the caller)"
    )
    case_id: strawberry.ID = strawberry.field(description="派遣依頼のID (dispatch case ID)")


@strawberry.type(description="documentUpload の結果 (result of documentUpload)")
class DocumentUploadPayload:
    document: Document | None = strawberry.field(
        default=None, description="案件に登録された書類 (the document, now part of the case)"
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="利用者エラー (expected failures)"
    )


@strawberry.input(description="郵送書類の受領登録の入力 (documentMarkReceived input)")
class DocumentMarkReceivedInput:
    case_id: strawberry.ID = strawberry.field(description="派遣依頼のID (dispatch case ID)")
    kind: DocumentKind = strawberry.field(
        description="書類の種類：FORM8・RECEIPT・BOARDING_STUB (kind: FORM8, RECEIPT or "
        "BOARDING_STUB)"
    )
    received: bool = strawberry.field(
        default=True,
        description="受領した。false で受領の記録を取り消す (received; false withdraws the record)",
    )


@strawberry.type(description="documentMarkReceived の結果 (result of documentMarkReceived)")
class DocumentMarkReceivedPayload:
    document: Document | None = strawberry.field(
        default=None,
        description="郵送で受領した書類（取り消した場合は null） (the postal document; null after "
        "a withdrawal)",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="利用者エラー (expected failures)"
    )


async def _document(info: strawberry.Info[Context, None], document_id: int) -> Document | None:
    with contextlib.suppress(KeyError):  # a read earlier in the request may have cached it
        info.context.loaders.documents.clear(document_id)
    return await Document.load(info, document_id)


@strawberry.type(description="書類のミューテーション (document mutations)")
class DocumentMutation:
    @root_mutation(
        "アップロード済みファイルを案件の書類にする (attach a file uploaded via POST /uploads to "
        "a case)"
    )
    async def document_upload(
        self,
        info: strawberry.Info[Context, None],
        input: Annotated[
            DocumentUploadInput,
            strawberry.argument(description="documentUpload の入力 (documentUpload input)"),
        ],
    ) -> DocumentUploadPayload:
        document_pk = expect_id(input.document_id, Document, ("input", "documentId"))
        case_pk = expect_id(input.case_id, DispatchCase, ("input", "caseId"))
        try:
            attached = await documents.attach_to_case(
                info.context.principal, document_pk, case_pk, request_id=info.context.request_id
            )
        except (Forbidden, Unauthenticated):
            raise
        except DomainError as error:
            return DocumentUploadPayload(user_errors=from_domain_error(error))
        return DocumentUploadPayload(document=await _document(info, attached))

    @root_mutation(
        "郵送書類の受領を登録する（事務局） (secretariat: record a 様式8, receipt or boarding "
        "stub received by post)"
    )
    async def document_mark_received(
        self,
        info: strawberry.Info[Context, None],
        input: Annotated[
            DocumentMarkReceivedInput,
            strawberry.argument(
                description="documentMarkReceived の入力 (documentMarkReceived input)"
            ),
        ],
    ) -> DocumentMarkReceivedPayload:
        case_pk = expect_id(input.case_id, DispatchCase, ("input", "caseId"))
        try:
            document_pk = await documents.mark_received(
                info.context.principal,
                case_pk,
                input.kind,
                input.received,
                request_id=info.context.request_id,
            )
        except (Forbidden, Unauthenticated):
            raise
        except DomainError as error:
            return DocumentMarkReceivedPayload(user_errors=from_domain_error(error))
        if document_pk is None:
            return DocumentMarkReceivedPayload()
        return DocumentMarkReceivedPayload(document=await _document(info, document_pk))
