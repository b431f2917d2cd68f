"""Reports (実績報告), drafts, secretariat review and expense corrections — domain.md §4.3, §5.

* :func:`save_draft` (``reportSaveDraft``): the specialist's one draft per case, overwritten by
  each save, format checks only (``check_report(for_submission=False)``). A draft is not a state
  of the case: the workflow table decides whether it may be saved (SAVE_REPORT_DRAFT), but the
  case keeps its version and no event is written.
* :func:`submit` (``reportSubmit``): every rule of the form at once, then 未報告 → 報告済 (or, for a
  returned report of a COMPLETED case, a resubmission that keeps the status) through the one
  transition engine; the report, its travel claim, attached documents, the check-in/out
  anomalies for the secretariat and the recomputed payments are written in the same transaction.
* :func:`review` (``reportAccept`` / ``reportReturn``): the secretariat's review state.
* :func:`correct_expense` (``expenseCorrect``): a secretariat correction of one transport line;
  the line keeps what the specialist entered, each correction keeps the amount before and after
  with who and why, and the claim's totals become the corrected ones.

Drafts are stored as the form's JSON (:func:`form_to_json`); ``DispatchCase.reportDraft`` reads
them back with :func:`form_from_json`, or pre-fills the form from a returned report or from the
confirmed dispatch window (:func:`prefilled_form`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth.audit import record_audit
from auth.principal import Principal
from auth.scoping import case_parties, case_scope
from models.attendance import CheckEvent
from models.cases import CaseEvent, DispatchCase
from models.documents import Document
from models.masters import IssueCategory, Qualification
from models.outbox import DomainEvent
from models.payments import Payment
from models.reports import Report, ReportDraft, TravelClaim, TravelLine, TravelLineCorrection
from models.rules import case_rules
from models.rules.case_status import CaseAction, CaseStatus
from models.rules.errors import (
    DomainError,
    ErrorCode,
    FieldError,
    NotFound,
    TransitionNotAllowed,
    ValidationErrors,
)
from models.rules.events import EventKind
from models.rules.field_checks import is_integer, prefixed
from models.rules.fiscal_year import fiscal_year_of
from models.rules.labels import LabelledEnum
from models.rules.money_kinds import DocumentKind, PaymentState, ReviewState, TransportMode
from models.rules.report import (
    MasterChoice,
    ReportCheck,
    ReportInput,
    anomalies_json,
    check_report,
    report_anomalies,
)
from models.rules.roles import Role
from models.rules.travel import TravelClaimInput, TravelLineInput, check_travel_line
from models.rules.workflow import ActionNotAllowed, CaseFacts, find_transition
from resolvers.batching import columns, distinct, int_keys, many_per_key, one_per_key
from resolvers.case_commands import (
    Change,
    LockedCase,
    TransitionResult,
    jsonable,
    refuse_forbidden,
    run_transition,
)
from resolvers.case_queries import refresh_search_text
from resolvers.case_rows import CASE_FIELDS
from resolvers.documents import claim_document
from resolvers.money_loaders import CaseMoney, FiscalSettings, fiscal_settings, store_payments

Row = dict[str, Any]
ID_FIELD = ("input", "id")
#: Documents a specialist may attach to its report (様式8 scan, receipts, boarding stubs …).
ATTACHABLE: frozenset[DocumentKind] = frozenset(
    {DocumentKind.FORM8, DocumentKind.RECEIPT, DocumentKind.BOARDING_STUB, DocumentKind.OTHER}
)
#: Audit action names of this module.
EXPENSE_CORRECT = "expense_correct"
_NAIVE = "日時はタイムゾーン（UTCからの時差）付きで指定してください。"


# ---------------------------------------------------------------- the form


class DraftSource(LabelledEnum):
    """Where ``DispatchCase.reportDraft`` comes from."""

    SAVED = ("SAVED", "一時保存した内容")
    RETURNED_REPORT = ("RETURNED_REPORT", "差し戻された報告の内容")
    SCHEDULE = ("SCHEDULE", "決定した派遣日時による事前入力")


@dataclass(frozen=True)
class ReportForm:
    """The report form as entered (every field may be missing in a draft).

    Master IDs: None when not given, 0 when given but malformed or of another type (the schema
    layer decodes global IDs); an unknown or inactive id is an INVALID choice.
    """

    dispatch_date: date | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    non_billable_minutes: int | None = None
    non_billable_remark: str | None = None
    issue_category_id: int | None = None
    issue_detail: str | None = None
    issue_note: str | None = None
    company_request: str | None = None
    main_qualification_id: int | None = None
    main_qualification_other: str | None = None
    platform_staff: str | None = None
    attendees_company: str | None = None
    attendees_organization: str | None = None
    attendees_others: str | None = None
    support_content_1: str | None = None
    support_content_2: str | None = None
    support_content_3: str | None = None
    comment_to_secretariat: str | None = None
    accompanied: bool | None = None
    further_visits_needed: bool | None = None
    further_visits_reason: str | None = None
    survey_cooperation: bool | None = None
    travel: TravelClaimInput | None = None


_TEXTS = (
    "non_billable_remark",
    "issue_detail",
    "issue_note",
    "company_request",
    "main_qualification_other",
    "platform_staff",
    "attendees_company",
    "attendees_organization",
    "attendees_others",
    "support_content_1",
    "support_content_2",
    "support_content_3",
    "comment_to_secretariat",
    "further_visits_reason",
)
_CHOICES = ("accompanied", "further_visits_needed", "survey_cooperation")
_LINE_FIELDS = ("mode", "from_place", "to_place", "round_trip", "one_way_fare", "distance_km")


def _line_json(line: TravelLineInput) -> dict[str, Any]:
    return {name: jsonable(getattr(line, name)) for name in _LINE_FIELDS}


def form_to_json(form: ReportForm) -> dict[str, Any]:
    """The draft's stored JSON (dates and instants ISO-8601, enums by value)."""
    content: dict[str, Any] = {}
    for item in fields(form):
        if item.name == "travel":
            continue
        content[item.name] = jsonable(getattr(form, item.name))
    travel = form.travel
    if travel is not None:
        content["travel"] = {
            "place": travel.place,
            "address": travel.address,
            "purpose": travel.purpose,
            "trip_start": jsonable(travel.trip_start),
            "trip_end": jsonable(travel.trip_end),
            "per_diem_days": jsonable(list(travel.per_diem_days)),
            "lodging_nights": jsonable(list(travel.lodging_nights)),
            "lines": [_line_json(line) for line in travel.lines],
        }
    return content


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if is_integer(value) else None


def _date(value: Any) -> date | None:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value)
    return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo is not None else None
    return None


def _mode(value: Any) -> TransportMode | None:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return TransportMode(value)
    return None


def _dates(value: Any) -> tuple[date, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(d for d in map(_date, value) if d is not None)


def _line_from_json(value: Mapping[str, Any]) -> TravelLineInput:
    return TravelLineInput(
        mode=_mode(value.get("mode")),
        from_place=_text(value.get("from_place")),
        to_place=_text(value.get("to_place")),
        round_trip=_bool(value.get("round_trip")),
        one_way_fare=_int(value.get("one_way_fare")),
        distance_km=_int(value.get("distance_km")),
    )


def form_from_json(content: Mapping[str, Any] | None) -> ReportForm:
    """A stored draft back as a form; anything unreadable is treated as missing."""
    data = dict(content or {})
    values: dict[str, Any] = {name: _text(data.get(name)) for name in _TEXTS}
    values.update({name: _bool(data.get(name)) for name in _CHOICES})
    travel = data.get("travel")
    claim = None
    if isinstance(travel, dict):
        lines = travel.get("lines") if isinstance(travel.get("lines"), list) else []
        claim = TravelClaimInput(
            place=_text(travel.get("place")),
            address=_text(travel.get("address")),
            purpose=_text(travel.get("purpose")),
            trip_start=_date(travel.get("trip_start")),
            trip_end=_date(travel.get("trip_end")),
            per_diem_days=_dates(travel.get("per_diem_days")),
            lodging_nights=_dates(travel.get("lodging_nights")),
            lines=tuple(_line_from_json(x) for x in lines or () if isinstance(x, dict)),
        )
    return ReportForm(
        dispatch_date=_date(data.get("dispatch_date")),
        start_at=_instant(data.get("start_at")),
        end_at=_instant(data.get("end_at")),
        non_billable_minutes=_int(data.get("non_billable_minutes")),
        issue_category_id=_int(data.get("issue_category_id")),
        main_qualification_id=_int(data.get("main_qualification_id")),
        travel=claim,
        **values,
    )


def form_from_report(
    report: Mapping[str, Any],
    travel: Mapping[str, Any] | None,
    lines: Iterable[Mapping[str, Any]],
) -> ReportForm:
    """A submitted (returned) report as the form to correct and resubmit."""
    values: dict[str, Any] = {name: report[name] for name in (*_TEXTS, *_CHOICES)}
    claim = None
    if travel is not None:
        claim = TravelClaimInput(
            place=travel["place"],
            address=travel["address"],
            purpose=travel["purpose"],
            trip_start=travel["trip_start"],
            trip_end=travel["trip_end"],
            per_diem_days=_dates(travel["per_diem_days"]),
            lodging_nights=_dates(travel["lodging_nights"]),
            lines=tuple(
                TravelLineInput(
                    mode=TransportMode(line["mode"]),
                    from_place=line["from_place"],
                    to_place=line["to_place"],
                    round_trip=line["round_trip"],
                    one_way_fare=line["one_way_fare"],
                    distance_km=line["distance_km"],
                )
                for line in lines
            ),
        )
    return ReportForm(
        dispatch_date=report["dispatch_date"],
        start_at=report["start_at"],
        end_at=report["end_at"],
        non_billable_minutes=report["non_billable_minutes"],
        issue_category_id=report["issue_category_id"],
        main_qualification_id=report["main_qualification_id"],
        travel=claim,
        **values,
    )


def prefilled_form(case: Mapping[str, Any]) -> ReportForm:
    """Seed 000 「派遣日」及び「派遣時間」は、予定日時が自動的に表示されます: the confirmed window;
    non-billable minutes 0 ("発生していない場合は「0」")."""
    return ReportForm(
        dispatch_date=case.get("dispatch_date"),
        start_at=case.get("dispatch_start"),
        end_at=case.get("dispatch_end"),
        non_billable_minutes=0 if case.get("dispatch_start") is not None else None,
    )


# ---------------------------------------------------------------- checking the form


async def _master(
    model: Any, pk: int | None, flag: str, label: str, path: str, errors: list[FieldError]
) -> MasterChoice | None:
    """The chosen master row as the rules see it; an unknown id is INVALID (and no REQUIRED)."""
    if pk is None:
        return None
    row = None
    if pk > 0:
        row = await model.filter(id=pk, active=True).values("id", flag)
    if not row:
        errors.append(FieldError(ErrorCode.INVALID, f"選択できない{label}です。", ("input", path)))
        return MasterChoice()
    return MasterChoice(requires_text=bool(row[0][flag]))


def _aware(value: datetime | None, path: str, errors: list[FieldError]) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        errors.append(FieldError(ErrorCode.INVALID, _NAIVE, ("input", path)))
        return None
    return value


async def check_form(
    form: ReportForm,
    *,
    now: datetime,
    settings: FiscalSettings,
    for_submission: bool,
    attached: Collection[DocumentKind] | None = None,
) -> tuple[list[FieldError], ReportCheck]:
    """Every error of the form with its input path, and the rules' verdict (computed amounts)."""
    errors: list[FieldError] = []
    start = _aware(form.start_at, "startAt", errors)
    end = _aware(form.end_at, "endAt", errors)
    issue = await _master(
        IssueCategory,
        form.issue_category_id,
        "requires_detail",
        "支援課題",
        "issueCategoryId",
        errors,
    )
    qualification = await _master(
        Qualification,
        form.main_qualification_id,
        "requires_name",
        "資格",
        "mainQualificationId",
        errors,
    )
    values = {name: getattr(form, name) for name in (*_TEXTS, *_CHOICES)}
    report = ReportInput(
        dispatch_date=form.dispatch_date,
        start_at=start,
        end_at=end,
        non_billable_minutes=form.non_billable_minutes,
        issue_category=issue,
        main_qualification=qualification,
        travel=form.travel,
        **values,
    )
    check = check_report(
        report,
        now=now,
        rates=settings.travel,
        text_max_length=settings.text_max_length,
        attached=attached,
        for_submission=for_submission,
    )
    naive = {e.field for e in errors if e.message == _NAIVE}
    rule_errors = [e for e in prefixed(check.errors, "input") if e.field not in naive]
    return [*rule_errors, *errors], check


async def _settings_for(fiscal_year: int) -> FiscalSettings:
    return (await fiscal_settings([fiscal_year]))[fiscal_year]


# ---------------------------------------------------------------- draft


async def save_draft(
    principal: Principal,
    case_id: int,
    form: ReportForm,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> None:
    """``reportSaveDraft``: store ``form`` as the case's one draft (overwriting the last one).

    Refusals: FORBIDDEN for roles that never write reports (with an ``authz_fail`` audit row),
    NOT_FOUND out of scope, TRANSITION_NOT_ALLOWED when the workflow table does not allow
    SAVE_REPORT_DRAFT now (before the dispatch started, after submission), format errors.
    """
    action = CaseAction.SAVE_REPORT_DRAFT
    if not case_rules.role_may_ever(principal.role, action, principal.scopes):
        await refuse_forbidden(principal, action.value, target_id=case_id, request_id=request_id)
    async with in_transaction():
        case = await DispatchCase.filter(case_scope(principal), id=case_id).select_for_update()
        if not case:
            raise NotFound(field=ID_FIELD)
        row = {name: getattr(case[0], name) for name in CASE_FIELDS}
        review = await Report.filter(case_id=case_id).values("review_state")
        facts = CaseFacts(
            CaseStatus(row["status"]),
            row["dispatch_start"],
            row["dispatch_end"],
            review_state=review[0]["review_state"] if review else None,
        )
        try:
            find_transition(action, facts, case_parties(principal, row), now)
        except ActionNotAllowed as refused:
            refused.field = ID_FIELD
            raise
        settings = await _settings_for(int(row["fiscal_year"]))
        errors, _ = await check_form(form, now=now, settings=settings, for_submission=False)
        if errors:
            raise ValidationErrors(errors)
        if validate_only:
            return
        content = form_to_json(form)
        updated = await ReportDraft.filter(case_id=case_id).update(content=content, saved_at=now)
        if not updated:
            await ReportDraft.create(case_id=case_id, content=content, saved_at=now)


# ---------------------------------------------------------------- submission


@dataclass
class SubmitPreview:
    """What the server computed for the submission (also for ``validateOnly``)."""

    check: ReportCheck
    money: CaseMoney | None = None
    payment: dict[str, Any] | None = None


async def _anomalies(
    case_id: int, start: datetime, end: datetime, tolerance_min: int
) -> list[dict[str, Any]]:
    """Check-in/out flags for the secretariat: missing check-in/out, reported times away from
    the checked times (> tolerance), and each check event's own flags (distance, schedule)."""
    checks = (
        await CheckEvent.filter(case_id=case_id)
        .order_by("id")
        .values("kind", "server_time", "flags")
    )
    times = {str(c["kind"]): c["server_time"] for c in checks}
    result = anomalies_json(
        report_anomalies(start, end, times.get("CHECK_IN"), times.get("CHECK_OUT"), tolerance_min)
    )
    for check in checks:
        for flag in check["flags"] or ():
            result.append({"kind": str(flag), "minutesOff": None, "check": str(check["kind"])})
    return result


def _clean(value: str | None) -> str:
    return (value or "").strip()


async def _write_report(
    case: LockedCase,
    form: ReportForm,
    check: ReportCheck,
    anomalies: list[dict[str, Any]],
    claimed: Sequence[int],
) -> None:
    assert form.dispatch_date is not None and form.start_at is not None
    assert form.end_at is not None and form.non_billable_minutes is not None
    assert form.issue_category_id is not None and form.main_qualification_id is not None
    values: dict[str, Any] = {name: _clean(getattr(form, name)) for name in _TEXTS}
    values.update({name: bool(getattr(form, name)) for name in _CHOICES})
    values.update(
        dispatch_date=form.dispatch_date,
        start_at=form.start_at,
        end_at=form.end_at,
        non_billable_minutes=form.non_billable_minutes,
        issue_category_id=form.issue_category_id,
        main_qualification_id=form.main_qualification_id,
        anomalies=anomalies,
        review_state=ReviewState.SUBMITTED,
        reviewed_at=None,
        reviewed_by_id=None,
    )
    existing = await Report.filter(case_id=case.id).values("id")
    if existing:
        # A resubmission keeps the first submission time (the deadline is judged on it).
        report_id = int(existing[0]["id"])
        await Report.filter(id=report_id).update(**values)
        await TravelClaim.filter(report_id=report_id).delete()
    else:
        report_id = (await Report.create(case_id=case.id, submitted_at=case.now, **values)).id
    travel, totals = form.travel, check.travel
    if travel is not None and totals is not None:
        amounts = totals.totals
        claim = await TravelClaim.create(
            report_id=report_id,
            place=_clean(travel.place),
            address=_clean(travel.address),
            purpose=_clean(travel.purpose),
            trip_start=travel.trip_start,
            trip_end=travel.trip_end,
            per_diem_days=sorted(d.isoformat() for d in travel.per_diem_days),
            lodging_nights=sorted(d.isoformat() for d in travel.lodging_nights),
            per_diem_amount=amounts.per_diem,
            lodging_amount=amounts.lodging,
            transport_amount=amounts.transport,
            total_amount=amounts.total,
        )
        await TravelLine.bulk_create(
            [
                TravelLine(
                    claim_id=claim.id,
                    position=position,
                    mode=TransportMode(str(line.mode)),
                    from_place=_clean(line.from_place),
                    to_place=_clean(line.to_place),
                    round_trip=bool(line.round_trip),
                    one_way_fare=line.one_way_fare or 0,
                    distance_km=line.distance_km,
                    amount=amounts.line_amounts[position - 1],
                )
                for position, line in enumerate(travel.lines, start=1)
            ]
        )
    if claimed:
        await Document.filter(id__in=list(claimed), case_id__isnull=True).update(case_id=case.id)
    await ReportDraft.filter(case_id=case.id).delete()
    await refresh_search_text([case.id])


async def submit(
    principal: Principal,
    case_id: int,
    version: int,
    form: ReportForm,
    now: datetime,
    *,
    document_ids: Sequence[int | None] = (),
    documents_by_post: bool = False,
    validate_only: bool = False,
    request_id: str = "",
) -> tuple[TransitionResult, SubmitPreview | None]:
    """``reportSubmit``: validate every rule (all errors at once) and submit.

    ``document_ids`` are uploads of the caller (receipts, boarding stubs, 様式8 scans) attached to
    the case with the report. Air travel needs a boarding stub and a receipt among the case's
    documents, unless ``documents_by_post`` says they come by post (the payment is then held
    until the secretariat records them). Returns the engine's result and what was computed.
    """
    box: dict[str, SubmitPreview] = {}

    async def apply(case: LockedCase) -> Change:
        settings = await _settings_for(int(case.row["fiscal_year"]))
        document_errors: list[FieldError] = []
        claimed: list[int] = []
        kinds = {
            DocumentKind(d["kind"]) for d in await Document.filter(case_id=case.id).values("kind")
        }
        for i, document_id in enumerate(document_ids):
            path = ("input", "documentIds", str(i))
            if document_id is None:
                message = "書類のIDの形式が正しくありません。"
                document_errors.append(FieldError(ErrorCode.INVALID, message, path))
                continue
            try:
                document = await claim_document(
                    principal, document_id, ATTACHABLE, field=path, case_id=case.id
                )
            except DomainError as error:
                document_errors.extend(error.errors)
                continue
            claimed.append(document.id)
            kinds.add(DocumentKind(document.kind))
        errors, check = await check_form(
            form,
            now=case.now,
            settings=settings,
            for_submission=True,
            attached=None if documents_by_post else kinds,
        )
        errors.extend(document_errors)
        if errors:
            raise ValidationErrors(errors)
        assert form.start_at is not None and form.end_at is not None
        anomalies = await _anomalies(
            case.id, form.start_at, form.end_at, settings.report_time_tolerance_min
        )
        preview = SubmitPreview(check)
        box["preview"] = preview

        async def write() -> None:
            await _write_report(case, form, check, anomalies, claimed)
            money, rows = await store_payments([case.id])
            preview.money = money.get(case.id)
            preview.payment = rows.get(case.id)

        resubmitted = case.facts.review_state is ReviewState.RETURNED
        return Change(
            payload={"billableMinutes": check.billable_minutes, "resubmission": resubmitted},
            secret_payload={"anomalies": [a["kind"] for a in anomalies]} if anomalies else {},
            write=write,
        )

    result = await run_transition(
        principal,
        case_id,
        version,
        CaseAction.SUBMIT_REPORT,
        now,
        apply,
        validate_only=validate_only,
        request_id=request_id,
    )
    return result, box.get("preview")


# ---------------------------------------------------------------- review


async def review(
    principal: Principal,
    case_id: int,
    version: int,
    accept: bool,
    comment: str,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> TransitionResult:
    """``reportAccept`` (SUBMITTED → ACCEPTED) or ``reportReturn`` (SUBMITTED → RETURNED, with a
    required comment; 報告済 → 未報告, or in 完了 the status stays)."""
    action = CaseAction.ACCEPT_REPORT if accept else CaseAction.RETURN_REPORT
    state = ReviewState.ACCEPTED if accept else ReviewState.RETURNED

    async def apply(case: LockedCase) -> Change:
        errors = case_rules.text_errors(
            comment, ("input", "comment"), max_length=case_rules.MAX_COMMENT, required=not accept
        )
        if errors:
            raise ValidationErrors(errors)
        text = comment.strip()

        async def write() -> None:
            await Report.filter(case_id=case.id).update(
                review_state=state,
                reviewed_at=case.now,
                reviewed_by_id=principal.account_id,
                review_comment=text,
            )
            await store_payments([case.id])

        return Change(payload={"reviewState": state.value}, comment=text, write=write)

    return await run_transition(
        principal,
        case_id,
        version,
        action,
        now,
        apply,
        validate_only=validate_only,
        request_id=request_id,
    )


# ---------------------------------------------------------------- expense correction


class _RollBack(Exception):
    """Raised inside the transaction to undo a validate-only correction."""


class PaymentFrozen(DomainError):
    code = ErrorCode.PAYMENT_FROZEN
    default_message = "支払バッチに含まれた案件の旅費は修正できません。"


_CORRECTION_SOURCE = ("mode", "from_place", "to_place", "round_trip", "one_way_fare", "distance_km")


def effective_line(line: Mapping[str, Any], corrections: Sequence[Mapping[str, Any]]) -> Row:
    """The line as it counts now: its latest correction (by id) over what was entered."""
    current: Row = {name: line[name] for name in _CORRECTION_SOURCE}
    current["amount"] = int(line["amount"])
    if corrections:
        latest = max(corrections, key=lambda c: int(c["id"]))
        fields_ = latest["corrected_fields"] or {}
        for name in _CORRECTION_SOURCE:
            if name in fields_:
                current[name] = fields_[name]
        current["mode"] = TransportMode(current["mode"])
        current["amount"] = int(latest["corrected_amount"])
    return current


@dataclass(frozen=True)
class CorrectionResult:
    line_id: int
    original_amount: int
    corrected_amount: int
    claim_total: int
    committed: bool = True


async def correct_expense(
    principal: Principal,
    case_id: int,
    position: int,
    line: TravelLineInput,
    reason: str,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> CorrectionResult:
    """``expenseCorrect`` (secretariat): replace transport line ``position`` (1-based) of the
    case's travel claim by ``line``, with a required reason. The line row keeps what the
    specialist entered; the correction row keeps the amount before and after, the corrected
    values, who and why; the claim's totals and the payments are recomputed. Refused once the
    payment is in a batch (``PAYMENT_FROZEN``)."""
    if principal.role is not Role.SECRETARIAT:
        await refuse_forbidden(
            principal, "EXPENSE_CORRECT", target_id=case_id, request_id=request_id
        )
    outcome: dict[str, CorrectionResult] = {}
    try:
        async with in_transaction():
            outcome["result"] = await _correct(
                principal, case_id, position, line, reason, now, request_id
            )
            if validate_only:
                raise _RollBack()
    except _RollBack:
        return replace(outcome["result"], committed=False)
    return outcome["result"]


async def _correct(
    principal: Principal,
    case_id: int,
    position: int,
    line: TravelLineInput,
    reason: str,
    now: datetime,
    request_id: str,
) -> CorrectionResult:
    cases = await DispatchCase.filter(case_scope(principal), id=case_id).select_for_update()
    if not cases:
        raise NotFound(field=ID_FIELD)
    case = cases[0]
    reports = await Report.filter(case_id=case_id).values("id", "dispatch_date")
    if not reports:
        raise TransitionNotAllowed("実績報告が提出されていないため旅費を修正できません。", ID_FIELD)
    frozen = Q(batch_id__isnull=False) | Q(state=PaymentState.PAID)
    if await Payment.filter(frozen, case_id=case_id).exists():
        raise PaymentFrozen(field=ID_FIELD)
    claims = await TravelClaim.filter(report_id=reports[0]["id"]).values(
        "id", "per_diem_amount", "lodging_amount"
    )
    rows = (
        await TravelLine.filter(claim_id=claims[0]["id"]).order_by("position").values()
        if claims
        else []
    )
    target = next((r for r in rows if int(r["position"]) == position), None)
    if target is None:
        raise NotFound("指定された行の交通機関の明細がありません。", ("input", "position"))
    settings = await _settings_for(fiscal_year_of(reports[0]["dispatch_date"]))
    line_errors, amount = check_travel_line(line, rates=settings.travel)
    errors = list(prefixed(line_errors, "input", "line"))
    errors += case_rules.text_errors(
        reason, ("input", "reason"), max_length=case_rules.MAX_REASON, required=True
    )
    corrections = await TravelLineCorrection.filter(line_id__in=[r["id"] for r in rows]).values(
        "id", "line_id", "corrected_amount", "corrected_fields"
    )
    by_line: dict[int, list[Row]] = {}
    for correction in corrections:
        by_line.setdefault(int(correction["line_id"]), []).append(correction)
    current = effective_line(target, by_line.get(int(target["id"]), []))
    corrected: Row = {
        "mode": str(line.mode) if line.mode is not None else None,
        "from_place": (line.from_place or "").strip(),
        "to_place": (line.to_place or "").strip(),
        "round_trip": bool(line.round_trip),
        "one_way_fare": line.one_way_fare,
        "distance_km": line.distance_km,
    }
    unchanged = (
        all(jsonable(current[name]) == corrected[name] for name in _CORRECTION_SOURCE)
        and amount == current["amount"]
    )
    if not errors and unchanged:
        message = "修正内容が現在の内容と同じです。"
        errors.append(FieldError(ErrorCode.INVALID, message, ("input", "line")))
    if errors:
        raise ValidationErrors(errors)
    await TravelLineCorrection.create(
        line_id=target["id"],
        original_amount=current["amount"],
        corrected_amount=amount,
        corrected_fields=corrected,
        reason=reason.strip(),
        corrected_by_id=principal.account_id,
        corrected_at=now,
    )
    transport = 0
    for row in rows:
        if row["id"] == target["id"]:
            transport += amount
        else:
            transport += effective_line(row, by_line.get(int(row["id"]), []))["amount"]
    claim = claims[0]
    total = transport + int(claim["per_diem_amount"]) + int(claim["lodging_amount"])
    await TravelClaim.filter(id=claim["id"]).update(transport_amount=transport, total_amount=total)
    amounts = {
        "position": position,
        "originalAmount": current["amount"],
        "correctedAmount": amount,
        "claimTotal": total,
    }
    status = CaseStatus(case.status)
    # Amounts and the reason are money (never for companies): secretariat-only history; the
    # specialist reads them on the line's corrections. The event names the line only.
    await CaseEvent.create(
        case_id=case_id,
        at=now,
        actor_id=principal.account_id,
        actor_role=Role.SECRETARIAT.value,
        action="EXPENSE_CORRECT",
        from_status=status,
        to_status=status,
        version=case.version,
        payload={"position": position},
        secret_payload={**amounts, "reason": reason.strip()},
    )
    await DomainEvent.create(
        kind=EventKind.EXPENSE_CORRECTED.value,
        case_id=case_id,
        version=case.version,
        payload={"reservationNumber": case.reservation_number, "position": position},
        created_at=now,
    )
    await record_audit(
        EXPENSE_CORRECT,
        actor=principal,
        target_type="DispatchCase",
        target_id=case_id,
        request_id=request_id,
        detail=amounts,
    )
    await store_payments([case_id])
    return CorrectionResult(int(target["id"]), current["amount"], amount, total)


# ---------------------------------------------------------------- read-path batch functions


async def load_report_draft_by_case(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """The saved draft of cases: only for the case's own specialist (None for everyone else)."""
    ids = int_keys(keys)
    if principal.role is not Role.SPECIALIST or principal.specialist_id is None:
        return [None for _ in ids]
    rows = await ReportDraft.filter(
        case_id__in=distinct(ids), case__specialist_id=principal.specialist_id
    ).values("case_id", "content", "saved_at")
    return one_per_key(rows, ids, "case_id")


async def load_corrections_by_line(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """Corrections of transport lines, oldest first. Lines reach a viewer only through the
    money-masked travel loaders, so whoever asks here already sees the line's amounts."""
    ids = int_keys(keys)
    rows = (
        await TravelLineCorrection.filter(line_id__in=distinct(ids))
        .order_by("id")
        .values(*columns(TravelLineCorrection))
    )
    return many_per_key(rows, ids, "line_id")


__all__ = [
    "ATTACHABLE",
    "CorrectionResult",
    "DraftSource",
    "ReportForm",
    "SubmitPreview",
    "check_form",
    "correct_expense",
    "effective_line",
    "form_from_json",
    "form_from_report",
    "form_to_json",
    "load_corrections_by_line",
    "load_report_draft_by_case",
    "prefilled_form",
    "review",
    "save_draft",
    "submit",
]
