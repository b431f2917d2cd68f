"""Report mutations (domain.md §5; api.md §3): ``reportSaveDraft``, ``reportSubmit``,
``reportAccept``, ``reportReturn`` and the secretariat's ``expenseCorrect``.

The report input is flat, so error paths read like the form: ``["input", "companyRequest"]``,
``["input", "travel", "lines", "1", "oneWayFare"]``. ``reportSubmit`` returns **every** error at
once; with ``validateOnly`` it runs every rule, writes nothing and still answers with what the
server computed (``preview``: billable minutes, honorarium, doubled round-trip fares, totals).
Files never travel through GraphQL: receipts, boarding stubs and 様式8 scans are uploaded with
``POST /uploads`` and their IDs attached here (``documentIds``) or with ``documentUpload``.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from models.rules.errors import DomainError, ErrorCode, FieldError
from models.rules.idempotency import canonical
from models.rules.money_kinds import HoldReason, IneligibleRule, PaymentState, TransportMode
from models.rules.travel import TravelClaimInput as TravelClaimForm
from models.rules.travel import TravelLineInput as TravelLineForm
from resolvers import reports
from resolvers.money_loaders import honorarium_row
from resolvers.reports import ReportForm, SubmitPreview
from schema.context import Context
from schema.errors import UserError, from_domain_error, user_errors
from schema.idempotency import idempotency_key_field, idempotent
from schema.permissions import root_mutation
from schema.relay import parse_global_id
from schema.types.case import DispatchCase
from schema.types.money import Honorarium, ReportDraft, ReportPreview, report_draft_for
from schema.types.report import Report

Info = strawberry.Info[Context, None]

_VALIDATE_ONLY = "検証のみ行い、何も保存しない (run every rule, write nothing)"
_ID = "派遣依頼のID (global ID of the DispatchCase)"
_VERSION = "閲覧時のバージョン (the case version the client saw)"

#: By-case loaders whose cached rows a mutation may have made stale.
CASE_LOADERS = (
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
    "money_by_case",
    "payment_state_by_case",
    "report_draft_by_case",
)


def global_pk(value: str | None, type_name: str) -> int | None:
    """The primary key of a global ID of ``type_name``; None when malformed or of another type."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    return parsed[1]


def id_error(*path: str) -> FieldError:
    return FieldError(ErrorCode.INVALID, "IDの形式が正しくありません。", ("input", *path))


async def reread(info: Info, case_id: int | None) -> DispatchCase | None:
    """The case through the viewer's scope as it now is (never a cached row)."""
    if case_id is None:
        return None
    loaders = info.context.loaders
    for name in CASE_LOADERS:
        with contextlib.suppress(KeyError):  # strawberry raises for a key never loaded
            getattr(loaders, name).clear(case_id)
    return await DispatchCase.load(info, case_id)


async def report_of(info: Info, case_id: int | None) -> Report | None:
    """The case's report, only when the viewer sees the case: the by-case loader trusts its
    caller, and a refused or out-of-scope ID must not reveal the report (security.md §1)."""
    if case_id is None or await DispatchCase.load(info, case_id) is None:
        return None
    row = await info.context.loaders.report_by_case.load(case_id)
    if row is None:
        return None
    with contextlib.suppress(KeyError):
        info.context.loaders.travel_by_report.clear(row["id"])
    return Report.from_row(row)


# ---------------------------------------------------------------- inputs


@strawberry.input(description="交通機関の行 (one transport line: enter the one-way fare)")
class TravelLineInput:
    mode: TransportMode | None = strawberry.field(
        default=None, description="交通機関（必須） (mode of transport, required)"
    )
    from_place: str | None = strawberry.field(
        default=None, description="出発地（必須、100文字以内） (from, required)"
    )
    to_place: str | None = strawberry.field(
        default=None, description="到着地（必須、100文字以内） (to, required)"
    )
    round_trip: bool | None = strawberry.field(
        default=None,
        description="往復か（必須。往復ならサーバが片道運賃を2倍にする） (round trip, required: "
        "the server doubles the fare)",
    )
    one_way_fare: int | None = strawberry.field(
        default=None,
        description="片道運賃（円、0以上の整数。私有車は0） (one-way fare in yen; private car 0)",
    )
    distance_km: int | None = strawberry.field(
        default=None,
        description="片道距離（km。特急・指定席は必須で100km以上） (one-way distance; required "
        "for limited express, at least 100 km)",
    )

    def to_form(self) -> TravelLineForm:
        return TravelLineForm(
            mode=self.mode,
            from_place=self.from_place,
            to_place=self.to_place,
            round_trip=self.round_trip,
            one_way_fare=self.one_way_fare,
            distance_km=self.distance_km,
        )


@strawberry.input(
    description="旅費（費用が発生した場合のみ） (travel claim, only when costs arose)"
)
class TravelClaimInput:
    place: str | None = strawberry.field(default=None, description="用務先（必須） (place)")
    address: str | None = strawberry.field(default=None, description="用務先住所（必須） (address)")
    purpose: str | None = strawberry.field(default=None, description="用務内容（必須） (purpose)")
    trip_start: date | None = strawberry.field(
        default=None, description="出張開始日（宿泊を伴う場合のみ） (trip start, overnight only)"
    )
    trip_end: date | None = strawberry.field(
        default=None, description="出張終了日（宿泊を伴う場合のみ） (trip end, overnight only)"
    )
    per_diem_days: list[date] = strawberry.field(
        default_factory=list, description="用務日（日当の対象日） (per-diem days)"
    )
    lodging_nights: list[date] = strawberry.field(
        default_factory=list, description="宿泊日 (lodging nights)"
    )
    lines: list[TravelLineInput] = strawberry.field(
        default_factory=list, description="交通機関 (transport lines)"
    )

    def to_form(self) -> TravelClaimForm:
        return TravelClaimForm(
            place=self.place,
            address=self.address,
            purpose=self.purpose,
            trip_start=self.trip_start,
            trip_end=self.trip_end,
            per_diem_days=tuple(self.per_diem_days),
            lodging_nights=tuple(self.lodging_nights),
            lines=tuple(line.to_form() for line in self.lines),
        )


def _text(description: str) -> Any:
    return strawberry.field(default=None, description=description)


@strawberry.input(description="実績報告の項目 (the report form; every field may be missing)")
class ReportFieldsInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    dispatch_date: date | None = _text("派遣日（必須） (dispatch date)")
    start_at: datetime | None = _text("派遣時間（開始、時差付き、必須） (start, with offset)")
    end_at: datetime | None = _text("派遣時間（終了、開始より後、必須） (end, after the start)")
    non_billable_minutes: int | None = _text(
        "実績対象外時間（分、0以上で派遣時間未満の整数、必須。なければ0） (non-billable minutes)"
    )
    non_billable_remark: str | None = _text(
        "備考（実績対象外時間がある場合は必須） (remark, required with non-billable minutes)"
    )
    issue_category_id: strawberry.ID | None = _text("支援課題のID（必須） (IssueCategory ID)")
    issue_detail: str | None = _text(
        "支援課題の詳細（その他の経営課題の場合は必須） (detail, required for その他)"
    )
    issue_note: str | None = _text("支援課題備考 (issue note)")
    company_request: str | None = _text("課題（企業からの要望等、必須） (company's request)")
    main_qualification_id: strawberry.ID | None = _text(
        "主な資格のID（必須、一つ） (Qualification ID, one)"
    )
    main_qualification_other: str | None = _text(
        "その他資格等名称（その他の場合は必須） (name, required for その他)"
    )
    platform_staff: str | None = _text("支援機関担当職員氏名 (platform staff in charge)")
    attendees_company: str | None = _text(
        "出席者氏名（支援企業、必須。いなければ「該当なし」） (company attendees)"
    )
    attendees_organization: str | None = _text(
        "出席者氏名（支援機関、必須。いなければ「該当なし」） (organisation attendees)"
    )
    attendees_others: str | None = _text(
        "出席者氏名その他（必須。いなければ「該当なし」） (other attendees)"
    )
    support_content_1: str | None = _text("支援内容（1）（必須） (support content 1)")
    support_content_2: str | None = _text("支援内容（2） (support content 2)")
    support_content_3: str | None = _text("支援内容（3） (support content 3)")
    comment_to_secretariat: str | None = _text("事務局へのコメント (comment to the secretariat)")
    accompanied: bool | None = _text("同行の有無（必須） (accompanied by platform staff)")
    further_visits_needed: bool | None = _text(
        "2回目・3回目の支援の必要性（必須） (further visits needed)"
    )
    further_visits_reason: str | None = _text(
        "その理由（必要ありの場合は必須） (reason, required when needed)"
    )
    survey_cooperation: bool | None = _text(
        "満足度調査等への協力可否（必須） (satisfaction-survey cooperation)"
    )
    travel: TravelClaimInput | None = _text("旅費（費用が発生した場合のみ） (travel claim)")

    def to_form(self) -> ReportForm:
        def master(value: str | None, type_name: str) -> int | None:
            if value is None:
                return None
            return global_pk(value, type_name) or 0  # 0: given but unusable → INVALID

        return ReportForm(
            dispatch_date=self.dispatch_date,
            start_at=self.start_at,
            end_at=self.end_at,
            non_billable_minutes=self.non_billable_minutes,
            non_billable_remark=self.non_billable_remark,
            issue_category_id=master(self.issue_category_id, "IssueCategory"),
            issue_detail=self.issue_detail,
            issue_note=self.issue_note,
            company_request=self.company_request,
            main_qualification_id=master(self.main_qualification_id, "Qualification"),
            main_qualification_other=self.main_qualification_other,
            platform_staff=self.platform_staff,
            attendees_company=self.attendees_company,
            attendees_organization=self.attendees_organization,
            attendees_others=self.attendees_others,
            support_content_1=self.support_content_1,
            support_content_2=self.support_content_2,
            support_content_3=self.support_content_3,
            comment_to_secretariat=self.comment_to_secretariat,
            accompanied=self.accompanied,
            further_visits_needed=self.further_visits_needed,
            further_visits_reason=self.further_visits_reason,
            survey_cooperation=self.survey_cooperation,
            travel=None if self.travel is None else self.travel.to_form(),
        )


@strawberry.input(description="実績報告の一時保存 (save the report draft, overwriting the last)")
class ReportSaveDraftInput(ReportFieldsInput):
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="実績報告の提出 (submit the report, 未報告 → 報告済)")
class ReportSubmitInput(ReportFieldsInput):
    version: int = strawberry.field(description=_VERSION)
    document_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="添付する書類（POST /uploads のID：領収書・搭乗券半券・様式8） (uploads to "
        "attach: receipts, boarding stubs, 様式8)",
    )
    documents_by_post: bool = strawberry.field(
        default=False,
        description="航空券の半券・領収書は郵送する（受領まで支払は保留） (air documents come by "
        "post; the payment is held until received)",
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="実績報告の受理（事務局） (accept the report, secretariat)")
class ReportAcceptInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    comment: str = strawberry.field(default="", description="コメント（任意） (comment)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="実績報告の差戻し（事務局） (return the report, secretariat)")
class ReportReturnInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    version: int = strawberry.field(description=_VERSION)
    comment: str = strawberry.field(
        description="差戻しの理由（必須、専門家に通知） (why, required; mailed to the specialist)"
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)


@strawberry.input(description="旅費の修正（事務局） (correct a transport line, secretariat)")
class ExpenseCorrectInput:
    id: strawberry.ID = strawberry.field(description=_ID)
    position: int = strawberry.field(description="修正する行の番号（1から） (line number)")
    line: TravelLineInput = strawberry.field(
        description="修正後の行（全項目） (the corrected line, every field)"
    )
    reason: str = strawberry.field(description="修正理由（必須） (reason, required)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)
    idempotency_key: str | None = idempotency_key_field()


# ---------------------------------------------------------------- payloads


@strawberry.type(description="reportSaveDraft の結果 (result of reportSaveDraft)")
class ReportSaveDraftPayload:
    case: DispatchCase | None = strawberry.field(description="案件 (the case as it now is)")
    report_draft: ReportDraft | None = strawberry.field(
        description="保存した下書き (the saved draft)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


@strawberry.type(description="reportSubmit の結果 (result of reportSubmit)")
class ReportSubmitPayload:
    case: DispatchCase | None = strawberry.field(description="案件 (the case as it now is)")
    report: Report | None = strawberry.field(description="提出した報告 (the submitted report)")
    preview: ReportPreview | None = strawberry.field(
        description="サーバが計算した値（検証のみでも） (computed values, also for validateOnly)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


@strawberry.type(description="reportAccept の結果 (result of reportAccept)")
class ReportAcceptPayload:
    case: DispatchCase | None = strawberry.field(description="案件 (the case as it now is)")
    report: Report | None = strawberry.field(description="報告 (the report)")
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


@strawberry.type(description="reportReturn の結果 (result of reportReturn)")
class ReportReturnPayload:
    case: DispatchCase | None = strawberry.field(description="案件 (the case as it now is)")
    report: Report | None = strawberry.field(description="報告 (the report)")
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


@strawberry.type(description="expenseCorrect の結果 (result of expenseCorrect)")
class ExpenseCorrectPayload:
    case: DispatchCase | None = strawberry.field(description="案件 (the case as it now is)")
    report: Report | None = strawberry.field(
        description="報告（旅費と修正履歴を含む） (the report with its travel and corrections)"
    )
    original_amount: int | None = strawberry.field(
        description="修正前の金額（円） (amount before the correction)"
    )
    corrected_amount: int | None = strawberry.field(
        description="修正後の金額（円） (amount after the correction)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


def _preview(preview: SubmitPreview | None) -> ReportPreview | None:
    if preview is None:
        return None
    check = preview.check
    totals = check.travel.totals if check.travel is not None else None
    honorarium = honorarium_row(preview.money)
    payment = preview.payment or {}
    return ReportPreview(
        billable_minutes=check.billable_minutes,
        honorarium=None if honorarium is None else Honorarium(**honorarium),
        line_amounts=list(totals.line_amounts) if totals else [],
        transport_amount=totals.transport if totals else 0,
        per_diem_amount=totals.per_diem if totals else 0,
        lodging_amount=totals.lodging if totals else 0,
        travel_total=totals.total if totals else 0,
        payment_state=payment.get("state"),
        hold_reasons=list(payment.get("hold_reasons") or []),
        withholding=payment.get("withholding"),
        travel_payable=payment.get("travel"),
        total=payment.get("total"),
    )


def preview_json(preview: ReportPreview | None) -> dict[str, Any] | None:
    """The preview as stored with an idempotency key (enums by value)."""
    return None if preview is None else canonical(preview)


def preview_from_json(stored: dict[str, Any] | None) -> ReportPreview | None:
    if stored is None:
        return None
    honorarium = stored["honorarium"]
    if honorarium is not None:
        reason = honorarium["ineligible_reason"]
        honorarium = Honorarium(
            **{
                **honorarium,
                "ineligible_reason": None if reason is None else IneligibleRule(reason),
            }
        )
    state = stored["payment_state"]
    return ReportPreview(
        **{
            **stored,
            "honorarium": honorarium,
            "payment_state": None if state is None else PaymentState(state),
            "hold_reasons": [HoldReason(r) for r in stored["hold_reasons"]],
        }
    )


# ---------------------------------------------------------------- the mutations


@strawberry.type(description="実績報告のミューテーション (report mutations)")
class ReportMutation:
    @root_mutation("実績報告を一時保存する（上書き） (save the report draft, overwriting the last)")
    async def report_save_draft(
        self,
        info: Info,
        input: Annotated[ReportSaveDraftInput, strawberry.argument(description="下書き (draft)")],
    ) -> ReportSaveDraftPayload:
        case_id = global_pk(input.id, "DispatchCase")
        if case_id is None:
            errors = user_errors([id_error("id")])
            return ReportSaveDraftPayload(case=None, report_draft=None, user_errors=errors)
        context = info.context
        try:
            await reports.save_draft(
                context.principal,
                case_id,
                input.to_form(),
                context.loaders.now,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
        except DomainError as error:
            case = await reread(info, case_id)
            return ReportSaveDraftPayload(
                case=case, report_draft=None, user_errors=from_domain_error(error)
            )
        case = await reread(info, case_id)
        draft = await report_draft_for(info, case.__dict__) if case is not None else None
        if input.validate_only:
            draft = ReportDraft.of(input.to_form(), reports.DraftSource.SAVED, None)
        return ReportSaveDraftPayload(case=case, report_draft=draft, user_errors=[])

    @root_mutation("実績報告を提出する (submit the report: 未報告 → 報告済)")
    async def report_submit(
        self,
        info: Info,
        input: Annotated[ReportSubmitInput, strawberry.argument(description="報告 (report)")],
    ) -> ReportSubmitPayload:
        case_id = global_pk(input.id, "DispatchCase")
        if case_id is None:
            errors = user_errors([id_error("id")])
            return ReportSubmitPayload(case=None, report=None, preview=None, user_errors=errors)
        context = info.context
        documents = [global_pk(value, "Document") for value in input.document_ids]

        async def execute() -> dict[str, Any]:
            _, preview = await reports.submit(
                context.principal,
                case_id,
                input.version,
                input.to_form(),
                context.loaders.now,
                document_ids=documents,
                documents_by_post=input.documents_by_post,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
            return {"caseId": case_id, "preview": preview_json(_preview(preview))}

        try:
            response = await idempotent(info, input, "reportSubmit", execute)
        except DomainError as error:
            return ReportSubmitPayload(
                case=await reread(info, case_id),
                report=None,
                preview=None,
                user_errors=from_domain_error(error),
            )
        case = await reread(info, case_id)
        return ReportSubmitPayload(
            case=case,
            report=None if input.validate_only else await report_of(info, case_id),
            preview=preview_from_json(response["preview"]),
            user_errors=[],
        )

    @root_mutation("実績報告を受理する（事務局） (secretariat accepts the report)")
    async def report_accept(
        self,
        info: Info,
        input: Annotated[ReportAcceptInput, strawberry.argument(description="受理 (input)")],
    ) -> ReportAcceptPayload:
        case_id, errors = await _review(info, input.id, input.version, True, input.comment, input)
        case = await reread(info, case_id)
        return ReportAcceptPayload(
            case=case, report=await report_of(info, case_id), user_errors=errors
        )

    @root_mutation(
        "実績報告を差し戻す（事務局、報告済 → 未報告。完了のままの場合あり） (secretariat returns "
        "the report for correction)"
    )
    async def report_return(
        self,
        info: Info,
        input: Annotated[ReportReturnInput, strawberry.argument(description="差戻し (input)")],
    ) -> ReportReturnPayload:
        case_id, errors = await _review(info, input.id, input.version, False, input.comment, input)
        case = await reread(info, case_id)
        return ReportReturnPayload(
            case=case, report=await report_of(info, case_id), user_errors=errors
        )

    @root_mutation(
        "旅費の明細を修正する（事務局、修正前後と理由を保持） (secretariat corrects a transport "
        "line, keeping the original, the correction, who and why)"
    )
    async def expense_correct(
        self,
        info: Info,
        input: Annotated[ExpenseCorrectInput, strawberry.argument(description="修正 (input)")],
    ) -> ExpenseCorrectPayload:
        case_id = global_pk(input.id, "DispatchCase")
        if case_id is None:
            return ExpenseCorrectPayload(
                case=None,
                report=None,
                original_amount=None,
                corrected_amount=None,
                user_errors=user_errors([id_error("id")]),
            )
        context = info.context

        async def execute() -> dict[str, Any]:
            result = await reports.correct_expense(
                context.principal,
                case_id,
                input.position,
                input.line.to_form(),
                input.reason,
                context.loaders.now,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
            return {
                "caseId": case_id,
                "originalAmount": result.original_amount,
                "correctedAmount": result.corrected_amount,
            }

        try:
            response = await idempotent(info, input, "expenseCorrect", execute)
        except DomainError as error:
            return ExpenseCorrectPayload(
                case=await reread(info, case_id),
                report=await report_of(info, case_id),
                original_amount=None,
                corrected_amount=None,
                user_errors=from_domain_error(error),
            )
        case = await reread(info, case_id)
        return ExpenseCorrectPayload(
            case=case,
            report=await report_of(info, case_id),
            original_amount=response["originalAmount"],
            corrected_amount=response["correctedAmount"],
            user_errors=[],
        )


async def _review(
    info: Info, raw_id: str, version: int, accept: bool, comment: str, input: Any
) -> tuple[int | None, list[UserError]]:
    case_id = global_pk(raw_id, "DispatchCase")
    if case_id is None:
        return None, user_errors([id_error("id")])
    context = info.context
    try:
        await reports.review(
            context.principal,
            case_id,
            version,
            accept,
            comment,
            context.loaders.now,
            validate_only=input.validate_only,
            request_id=context.request_id,
        )
    except DomainError as error:
        return case_id, from_domain_error(error)
    return case_id, []
