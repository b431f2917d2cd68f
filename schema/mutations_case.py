"""Case mutations (domain.md §4; api.md §3): filing, every workflow action, check-in/out and the
secretariat's limit exception.

Each takes one ``input:`` and returns ``{ case, userErrors }``. Expected failures — bad input,
wrong role (``FORBIDDEN``), out of scope (``NOT_FOUND``, same as nonexistent), an action not
allowed now (``TRANSITION_NOT_ALLOWED`` naming the allowed ones), a stale ``version`` — are
``userErrors`` with a field path and a stable code, and nothing is written. The ``case`` is always
re-read through the viewer's scoped loaders after the mutation (also when it failed), so the
client sees the status, ``version`` and ``availableActions`` as they now are. Every input has
``validateOnly``: every rule runs, nothing is written (seed 000 次へ → 確認 → 送信).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any

import strawberry

from models.rules.errors import DomainError, ErrorCode, FieldError
from resolvers import case_actions as actions
from resolvers.case_actions import Command, Position
from resolvers.case_filing import CaseRequest, create_case, grant_limit_exception
from schema.context import Context
from schema.errors import UserError, from_domain_error, user_errors
from schema.idempotency import idempotency_key_field, idempotent
from schema.permissions import root_mutation
from schema.relay import parse_global_id, parse_pk
from schema.types.case import DispatchCase
from schema.types.people import Company

Info = strawberry.Info[Context, None]

_VALIDATE_ONLY = "検証のみ行い、何も保存しない (run every rule, write nothing)"
_ID = "派遣依頼のID (global ID of the DispatchCase)"
_VERSION = "閲覧時のバージョン (the case version the client saw)"


def _id_error(*path: str) -> FieldError:
    return FieldError(ErrorCode.INVALID, "IDの形式が正しくありません。", ("input", *path))


def _global_pk(value: str | None, type_name: str) -> int | None:
    """The primary key of a global ID of ``type_name``, or None (malformed or another type)."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    return parsed[1]


def _master_pk(value: str | None) -> int | None:
    """A master-list id (decline reasons, cancel categories expose their plain id)."""
    return None if value is None else parse_pk(value.strip())


# ---------------------------------------------------------------- inputs


@strawberry.input(description="日時枠の入力 (a date-time slot)")
class CaseSlotInput:
    start: datetime = strawberry.field(description="開始日時（時差付き） (start, with offset)")
    end: datetime = strawberry.field(description="終了日時（時差付き） (end, with offset)")


@strawberry.input(description="派遣場所の入力 (dispatch location)")
class CaseLocationInput:
    name: str = strawberry.field(description="名称、200文字以内 (name of the place, ≤ 200)")
    address: str = strawberry.field(description="住所、255文字以内 (address, ≤ 255)")
    lat: float | None = strawberry.field(default=None, description="緯度 (latitude, optional)")
    lng: float | None = strawberry.field(default=None, description="経度 (longitude, optional)")


@strawberry.input(description="派遣依頼の申請 (file a dispatch request)")
class CaseCreateInput:
    company_id: strawberry.ID = strawberry.field(description="依頼企業のID (Company ID)")
    specialist_id: strawberry.ID = strawberry.field(description="専門家のID (Specialist ID)")
    title: str = strawberry.field(description="派遣依頼タイトル、200文字以内 (title, ≤ 200)")
    description: str = strawberry.field(
        description="課題・企業からの要望、4000文字以内 (issue and request, ≤ 4000)"
    )
    issue_category_ids: list[strawberry.ID] = strawberry.field(
        description="支援課題のID（1件以上） (IssueCategory IDs, at least one)"
    )
    location: CaseLocationInput = strawberry.field(description="派遣場所 (location)")
    slots: list[CaseSlotInput] = strawberry.field(
        description="派遣希望日時（1〜3件） (1–3 candidate slots)"
    )
    comment: str = strawberry.field(
        default="", description="連絡事項、2000文字以内 (note to the specialist, ≤ 2000)"
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="候補日時で受諾 (accept one candidate slot)")
class CaseAcceptInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    position: int = strawberry.field(description="選ぶ候補日時の順位 1–3 (position of the slot)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="別日程の提案 (propose other dates)")
class CaseProposeDatesInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    slots: list[CaseSlotInput] = strawberry.field(description="提案日時（1〜3件） (1–3 slots)")
    comment: str = strawberry.field(
        default="", description="依頼者へのコメント、2000文字以内 (comment to the requester)"
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="提案日程の承諾 (accept one proposed slot)")
class CaseAcceptProposalInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    position: int = strawberry.field(description="選ぶ提案日時の順位 1–3 (position of the slot)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="提案日程を断る（要調整へ） (reject the proposals)")
class CaseRejectProposalsInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    comment: str = strawberry.field(
        default="", description="コメント、2000文字以内 (comment, ≤ 2000)"
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="事務局による日程確定 (the secretariat fixes the date)")
class CaseScheduleInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    start: datetime = strawberry.field(description="派遣開始日時 (start)")
    end: datetime = strawberry.field(description="派遣終了日時 (end)")
    override_availability: bool = strawberry.field(
        default=False,
        description="専門家の空き状況を上書きする（理由必須） (override availability, reason needed)",
    )
    override_reason: str | None = strawberry.field(
        default=None, description="上書きの理由 (reason for the override)"
    )
    comment: str = strawberry.field(default="", description="コメント (comment, ≤ 2000)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="辞退 (decline the request)")
class CaseDeclineInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    decline_reason_id: strawberry.ID | None = strawberry.field(
        default=None, description="辞退理由の区分（必須） (DeclineReason id, required)"
    )
    reason_text: str = strawberry.field(
        default="",
        description="理由の詳細（事務局のみ閲覧） (free-text reason, secretariat only, ≤ 2000)",
    )
    comment: str = strawberry.field(
        default="", description="派遣依頼者へのコメント (comment to the requester, ≤ 2000)"
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="決定前の申請の取下げ (withdraw a request before confirmation)")
class CaseWithdrawInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    reason: str = strawberry.field(description="取下げの理由（必須） (reason, required, ≤ 2000)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="キャンセル (cancel a confirmed dispatch)")
class CaseCancelInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    cancel_category_id: strawberry.ID | None = strawberry.field(
        default=None, description="キャンセル区分（必須） (CancelCategory id, required)"
    )
    reason: str = strawberry.field(description="キャンセル理由（必須） (reason, required)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="申請上限の例外承認 (raise a company's yearly case limit)")
class CaseGrantLimitExceptionInput:
    company_id: strawberry.ID = strawberry.field(description="企業のID (Company ID)")
    fiscal_year: int = strawberry.field(description="年度 (fiscal year)")
    extra: int = strawberry.field(description="追加する件数 1–50 (cases added to the limit)")
    reason: str = strawberry.field(description="理由（必須） (reason, required)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="チェックイン (check in on the dispatch day)")
class CaseCheckInInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    device_time: datetime = strawberry.field(description="端末の時刻（時差付き） (device time)")
    lat: float = strawberry.field(description="緯度 -90〜90 (latitude)")
    lng: float = strawberry.field(description="経度 -180〜180 (longitude)")
    accuracy_m: float = strawberry.field(description="測位精度（m） (GPS accuracy, metres)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="チェックアウト（企業の署名付き） (check out, with the signature)")
class CaseCheckOutInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    device_time: datetime = strawberry.field(description="端末の時刻（時差付き） (device time)")
    lat: float = strawberry.field(description="緯度 -90〜90 (latitude)")
    lng: float = strawberry.field(description="経度 -180〜180 (longitude)")
    accuracy_m: float = strawberry.field(description="測位精度（m） (GPS accuracy, metres)")
    signer_name: str = strawberry.field(description="署名者の氏名 (signer's name, ≤ 64)")
    signature_document_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="署名画像（アップロードした書類のID、必須） (uploaded SIGNATURE Document ID)",
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


# ---------------------------------------------------------------- payloads


@strawberry.type(description="案件ミューテーションの結果 (result of a case mutation)")
class CasePayload:
    case: DispatchCase | None = strawberry.field(
        description="現在の案件（閲覧できる場合） (the case as it now is, when visible)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


@strawberry.type(description="派遣依頼の申請の結果 (result of caseCreate)")
class CaseCreatePayload(CasePayload):
    pass


@strawberry.type(description="受諾の結果 (result of caseAccept)")
class CaseAcceptPayload(CasePayload):
    pass


@strawberry.type(description="日程提案の結果 (result of caseProposeDates)")
class CaseProposeDatesPayload(CasePayload):
    pass


@strawberry.type(description="提案承諾の結果 (result of caseAcceptProposal)")
class CaseAcceptProposalPayload(CasePayload):
    pass


@strawberry.type(description="提案を断った結果 (result of caseRejectProposals)")
class CaseRejectProposalsPayload(CasePayload):
    pass


@strawberry.type(description="日程確定の結果 (result of caseSchedule)")
class CaseSchedulePayload(CasePayload):
    pass


@strawberry.type(description="辞退の結果 (result of caseDecline)")
class CaseDeclinePayload(CasePayload):
    pass


@strawberry.type(description="取下げの結果 (result of caseWithdraw)")
class CaseWithdrawPayload(CasePayload):
    pass


@strawberry.type(description="キャンセルの結果 (result of caseCancel)")
class CaseCancelPayload(CasePayload):
    pass


@strawberry.type(description="チェックインの結果 (result of caseCheckIn)")
class CaseCheckInPayload(CasePayload):
    pass


@strawberry.type(description="チェックアウトの結果 (result of caseCheckOut)")
class CaseCheckOutPayload(CasePayload):
    pass


@strawberry.type(description="申請上限の例外 (an exception to a company's yearly limit)")
class CompanyLimitException:
    fiscal_year: int = strawberry.field(description="年度 (fiscal year)")
    extra: int = strawberry.field(description="今回追加した件数 (cases added by this grant)")
    total_extra: int = strawberry.field(
        description="その年度の追加件数の合計 (all cases added for that year)"
    )
    reason: str = strawberry.field(description="理由 (reason)")
    granted_at: datetime = strawberry.field(description="承認日時 (granted at)")


@strawberry.type(description="申請上限の例外承認の結果 (result of caseGrantLimitException)")
class CaseGrantLimitExceptionPayload:
    company: Company | None = strawberry.field(description="企業 (the company)")
    limit_exception: CompanyLimitException | None = strawberry.field(
        description="承認した例外（検証のみの場合も内容を返す） (the grant)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


# ---------------------------------------------------------------- plumbing

#: By-case loaders whose cached rows a mutation may have made stale.
_CASE_LOADERS = (
    "cases",
    "slots_by_case",
    "case_events_by_case",
    "check_events_by_case",
    "documents_by_case",
    "signature_by_case",
    "report_by_case",
    "latest_report_by_case",
    "evaluations_by_case",
    "payment_by_case",
    "issue_categories_by_case",
)


async def _reread(info: Info, case_id: int | None) -> DispatchCase | None:
    """The case through the viewer's scope, as it now is (never a cached row)."""
    if case_id is None:
        return None
    loaders = info.context.loaders
    for name in _CASE_LOADERS:
        with contextlib.suppress(KeyError):  # strawberry raises for a key never loaded
            getattr(loaders, name).clear(case_id)
    return await DispatchCase.load(info, case_id)


def _command(info: Info, case_id: int, version: int, validate_only: bool) -> Command:
    context = info.context
    return Command(
        principal=context.principal,
        case_id=case_id,
        version=version,
        now=context.loaders.now,
        validate_only=validate_only,
        request_id=context.request_id,
    )


async def _act(
    info: Info,
    payload: type[CasePayload],
    raw_id: str,
    version: int,
    validate_only: bool,
    run: Any,
) -> Any:
    """Decode the case ID, run the action, and answer with the re-read case and the errors."""
    case_id = _global_pk(raw_id, "DispatchCase")
    if case_id is None:
        return payload(case=None, user_errors=user_errors([_id_error("id")]))
    errors: list[UserError] = []
    try:
        await run(_command(info, case_id, version, validate_only))
    except DomainError as error:
        errors = from_domain_error(error)
    return payload(case=await _reread(info, case_id), user_errors=errors)


def _slots(slots: list[CaseSlotInput]) -> list[tuple[datetime, datetime]]:
    return [(slot.start, slot.end) for slot in slots]


def _position(input: CaseCheckInInput | CaseCheckOutInput) -> Position:
    return Position(input.device_time, input.lat, input.lng, input.accuracy_m)


# ---------------------------------------------------------------- the mutations


@strawberry.type(description="派遣依頼のミューテーション (dispatch case mutations)")
class CaseMutation:
    @root_mutation("派遣依頼を申請する (file a dispatch request, — → 未処理)")
    async def case_create(
        self,
        info: Info,
        input: Annotated[CaseCreateInput, strawberry.argument(description="申請の内容 (request)")],
    ) -> CaseCreatePayload:
        request = CaseRequest(
            company_id=_global_pk(input.company_id, "Company"),
            specialist_id=_global_pk(input.specialist_id, "Specialist"),
            title=input.title,
            description=input.description,
            issue_category_ids=[_global_pk(v, "IssueCategory") for v in input.issue_category_ids],
            location_name=input.location.name,
            location_address=input.location.address,
            location_lat=input.location.lat,
            location_lng=input.location.lng,
            slots=_slots(input.slots),
            comment=input.comment,
        )
        bad_ids = [
            _id_error(name)
            for name, value in (
                ("companyId", request.company_id),
                ("specialistId", request.specialist_id),
            )
            if value is None
        ]
        if bad_ids:
            return CaseCreatePayload(case=None, user_errors=user_errors(bad_ids))
        context = info.context

        async def execute() -> dict[str, Any]:
            result = await create_case(
                context.principal,
                request,
                context.loaders.now,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
            return {"caseId": result.case_id}

        try:
            response = await idempotent(info, input, "caseCreate", execute)
        except DomainError as error:
            return CaseCreatePayload(case=None, user_errors=from_domain_error(error))
        return CaseCreatePayload(case=await _reread(info, response["caseId"]), user_errors=[])

    @root_mutation("候補日時の一つで受諾する (specialist accepts a candidate, 未処理 → 決定)")
    async def case_accept(
        self,
        info: Info,
        input: Annotated[CaseAcceptInput, strawberry.argument(description="受諾の内容 (input)")],
    ) -> CaseAcceptPayload:
        async def run(command: Command) -> Any:
            return await actions.accept(command, input.position)

        return await _act(  # type: ignore[no-any-return]
            info, CaseAcceptPayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("別日程を提案する (specialist proposes 1–3 dates, 未処理 → 調整中)")
    async def case_propose_dates(
        self,
        info: Info,
        input: Annotated[
            CaseProposeDatesInput, strawberry.argument(description="提案の内容 (input)")
        ],
    ) -> CaseProposeDatesPayload:
        async def run(command: Command) -> Any:
            return await actions.propose_dates(command, _slots(input.slots), input.comment)

        return await _act(  # type: ignore[no-any-return]
            info, CaseProposeDatesPayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("提案日程の一つを承諾する (requester accepts a proposal, 調整中 → 決定)")
    async def case_accept_proposal(
        self,
        info: Info,
        input: Annotated[
            CaseAcceptProposalInput, strawberry.argument(description="承諾の内容 (input)")
        ],
    ) -> CaseAcceptProposalPayload:
        async def run(command: Command) -> Any:
            return await actions.accept_proposal(command, input.position)

        return await _act(  # type: ignore[no-any-return]
            info, CaseAcceptProposalPayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("提案日程を断る (requester rejects the proposals, 調整中 → 要調整)")
    async def case_reject_proposals(
        self,
        info: Info,
        input: Annotated[CaseRejectProposalsInput, strawberry.argument(description="内容 (input)")],
    ) -> CaseRejectProposalsPayload:
        async def run(command: Command) -> Any:
            return await actions.reject_proposals(command, input.comment)

        return await _act(  # type: ignore[no-any-return]
            info, CaseRejectProposalsPayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("事務局が日程を確定する (secretariat fixes the date, 要調整 → 決定)")
    async def case_schedule(
        self,
        info: Info,
        input: Annotated[CaseScheduleInput, strawberry.argument(description="内容 (input)")],
    ) -> CaseSchedulePayload:
        async def run(command: Command) -> Any:
            return await actions.schedule(
                command,
                input.start,
                input.end,
                override_availability=input.override_availability,
                override_reason=input.override_reason,
                comment=input.comment,
            )

        return await _act(  # type: ignore[no-any-return]
            info, CaseSchedulePayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("辞退する (specialist declines, 未処理 → 辞退)")
    async def case_decline(
        self,
        info: Info,
        input: Annotated[CaseDeclineInput, strawberry.argument(description="辞退の内容 (input)")],
    ) -> CaseDeclinePayload:
        async def run(command: Command) -> Any:
            reason_id = _master_pk(input.decline_reason_id)
            given = bool((input.decline_reason_id or "").strip())
            return await actions.decline(
                command, reason_id, given, input.reason_text, input.comment
            )

        return await _act(  # type: ignore[no-any-return]
            info, CaseDeclinePayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("決定前の申請を取り下げる (withdraw before confirmation → キャンセル)")
    async def case_withdraw(
        self,
        info: Info,
        input: Annotated[CaseWithdrawInput, strawberry.argument(description="内容 (input)")],
    ) -> CaseWithdrawPayload:
        async def run(command: Command) -> Any:
            return await actions.withdraw(command, input.reason)

        return await _act(  # type: ignore[no-any-return]
            info, CaseWithdrawPayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("キャンセルする (cancel before the start, 決定 → キャンセル)")
    async def case_cancel(
        self,
        info: Info,
        input: Annotated[CaseCancelInput, strawberry.argument(description="内容 (input)")],
    ) -> CaseCancelPayload:
        async def run(command: Command) -> Any:
            category_id = _master_pk(input.cancel_category_id)
            given = bool((input.cancel_category_id or "").strip())
            return await actions.cancel(command, category_id, given, input.reason)

        return await _act(  # type: ignore[no-any-return]
            info, CaseCancelPayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("申請上限の例外を承認する (secretariat raises a company's yearly limit)")
    async def case_grant_limit_exception(
        self,
        info: Info,
        input: Annotated[
            CaseGrantLimitExceptionInput, strawberry.argument(description="内容 (input)")
        ],
    ) -> CaseGrantLimitExceptionPayload:
        context = info.context
        company_id = _global_pk(input.company_id, "Company")
        if company_id is None:
            return CaseGrantLimitExceptionPayload(
                company=None,
                limit_exception=None,
                user_errors=user_errors([_id_error("companyId")]),
            )
        try:
            grant = await grant_limit_exception(
                context.principal,
                company_id,
                input.fiscal_year,
                input.extra,
                input.reason,
                context.loaders.now,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
        except DomainError as error:
            company = await Company.load(info, company_id)
            return CaseGrantLimitExceptionPayload(
                company=company, limit_exception=None, user_errors=from_domain_error(error)
            )
        return CaseGrantLimitExceptionPayload(
            company=await Company.load(info, company_id),
            limit_exception=CompanyLimitException(
                fiscal_year=grant.fiscal_year,
                extra=grant.extra,
                total_extra=grant.total_extra,
                reason=grant.reason,
                granted_at=grant.granted_at,
            ),
            user_errors=[],
        )

    @root_mutation("チェックインする (specialist checks in with GPS)")
    async def case_check_in(
        self,
        info: Info,
        input: Annotated[CaseCheckInInput, strawberry.argument(description="内容 (input)")],
    ) -> CaseCheckInPayload:
        async def run(command: Command) -> Any:
            return await actions.check_in(command, _position(input))

        return await _act(  # type: ignore[no-any-return]
            info, CaseCheckInPayload, input.id, input.version, input.validate_only, run
        )

    @root_mutation("チェックアウトする (specialist checks out with the company's signature)")
    async def case_check_out(
        self,
        info: Info,
        input: Annotated[CaseCheckOutInput, strawberry.argument(description="内容 (input)")],
    ) -> CaseCheckOutPayload:
        async def run(command: Command) -> Any:
            given = bool((input.signature_document_id or "").strip())
            document_id = _global_pk(input.signature_document_id, "Document")
            return await actions.check_out(
                command, _position(input), input.signer_name, document_id, given
            )

        return await _act(  # type: ignore[no-any-return]
            info, CaseCheckOutPayload, input.id, input.version, input.validate_only, run
        )
