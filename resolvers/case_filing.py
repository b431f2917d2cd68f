"""Filing a dispatch request (domain.md §4.1, "— → UNPROCESSED") and the secretariat's exception
to the company limit.

``create_case`` collects every problem of the request before writing (field errors under
``input``), then in one transaction: locks the company row (PostgreSQL) so concurrent filings
for one company count each other against the limit, draws the next reservation number from
``reservation_counter`` with one atomic upsert (unique under any concurrency), and writes the
case, its candidate slots and categories, one history row, one ``CASE_FILED`` domain event and
one audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth.audit import record_audit
from auth.principal import Principal
from auth.scoping import company_scope, specialist_scope
from models.cases import CaseSlot, DispatchCase
from models.companies import Company, CompanyLimitException
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture
from models.masters import IssueCategory
from models.organisations import SupportOrganization
from models.outbox import DomainEvent
from models.rules import case_rules as rules
from models.rules.case_status import UNCOUNTED_STATUSES, CaseStatus, SlotKind
from models.rules.dispatchability import CommissionFacts, is_dispatchable
from models.rules.errors import DomainError, ErrorCode, FieldError, ValidationErrors
from models.rules.events import EventKind
from models.rules.fiscal_year import (
    current_fiscal_year,
    fiscal_year_of_instant,
    reservation_number,
    tokyo_date,
)
from models.rules.limits import check_company_limit
from models.rules.registration_status import RegistrationStatus
from models.rules.roles import Role
from models.rules.search import bigrams
from models.rules.workflow import FILE_STATUS, Party
from models.specialists import Commission, Specialist
from resolvers.availability import slot_field_errors
from resolvers.case_commands import Change, record_transition, refuse_forbidden

FILE_ACTION = "FILE"
LIMIT_EXCEPTION_ACTION = "case_limit_exception_grant"
MAX_EXCEPTION_EXTRA = 50

Slots = Sequence[tuple[datetime, datetime]]


@dataclass(frozen=True)
class CaseRequest:
    """The request as the client sent it (ids already decoded, ``None`` for a malformed one)."""

    company_id: int | None
    specialist_id: int | None
    title: str
    description: str
    issue_category_ids: Sequence[int | None]
    location_name: str
    location_address: str
    location_lat: float | None
    location_lng: float | None
    slots: Slots
    comment: str = ""


@dataclass(frozen=True)
class FilingResult:
    case_id: int | None  # None after a validate-only run
    reservation_number: str


class _RollBack(Exception):
    def __init__(self, result: FilingResult) -> None:
        self.result = result
        super().__init__("validate only")


def _error(code: ErrorCode, message: str, *path: str) -> FieldError:
    return FieldError(code, message, ("input", *path))


def _text_errors(request: CaseRequest) -> list[FieldError]:
    errors = [
        *rules.text_errors(
            request.title, ("input", "title"), max_length=rules.MAX_TITLE, required=True
        ),
        *rules.text_errors(
            request.description,
            ("input", "description"),
            max_length=rules.MAX_DESCRIPTION,
            required=True,
        ),
        *rules.text_errors(request.comment, ("input", "comment"), max_length=rules.MAX_COMMENT),
        *rules.text_errors(
            request.location_name,
            ("input", "location", "name"),
            max_length=rules.MAX_LOCATION_NAME,
            required=True,
        ),
        *rules.text_errors(
            request.location_address,
            ("input", "location", "address"),
            max_length=rules.MAX_LOCATION_ADDRESS,
            required=True,
        ),
    ]
    lat, lng = request.location_lat, request.location_lng
    if (lat is None) != (lng is None):
        missing = "lat" if lat is None else "lng"
        message = "緯度と経度は両方指定するか、両方とも省略してください。"
        errors.append(_error(ErrorCode.REQUIRED, message, "location", missing))
    elif lat is not None and lng is not None:
        for problem in rules.position_errors(lat, lng, 0.0):
            errors.append(replace_path(problem, ("input", "location", problem.field[-1])))
    return errors


def replace_path(error: FieldError, path: tuple[str, ...]) -> FieldError:
    return FieldError(error.code, error.message, path)


async def _issue_categories(ids: Sequence[int | None]) -> tuple[list[int], bool, list[FieldError]]:
    """The chosen categories (deduplicated), whether one is IT, and their problems."""
    if not ids:
        message = "支援課題を1つ以上選択してください。"
        return [], False, [_error(ErrorCode.REQUIRED, message, "issueCategoryIds")]
    wanted = [pk for pk in ids if pk is not None]
    rows = await IssueCategory.filter(id__in=wanted, active=True).values("id", "is_it")
    known = {int(r["id"]): bool(r["is_it"]) for r in rows}
    errors = [
        _error(ErrorCode.INVALID, "選択できない支援課題です。", "issueCategoryIds", str(index))
        for index, pk in enumerate(ids)
        if pk is None or pk not in known
    ]
    chosen = list(dict.fromkeys(pk for pk in wanted if pk in known))
    return chosen, any(known[pk] for pk in chosen), errors


async def dispatchable_in(specialist: dict[str, Any], fiscal_year: int) -> bool:
    """ "Dispatchable for a case ⇔ TERMS_ACCEPTED or ACTIVE for the case's fiscal year"."""
    commission = await Commission.filter(
        specialist_id=specialist["id"], fiscal_year=fiscal_year
    ).first()
    facts = None
    if commission is not None:
        facts = CommissionFacts(
            terms_accepted=commission.terms_accepted_at is not None,
            letter_issued=commission.letter_issued_at is not None,
            acceptance_received=commission.acceptance_received_at is not None,
        )
    return is_dispatchable(specialist["registration_status"], facts)


def not_dispatchable(fiscal_year: int, *path: str) -> FieldError:
    message = f"この専門家は{fiscal_year}年度の派遣を受けられません（委嘱が完了していません）。"
    return _error(ErrorCode.SPECIALIST_NOT_DISPATCHABLE, message, *path)


def _config_value(config: FiscalYearConfig | None, name: str) -> int:
    if config is not None:
        return int(getattr(config, name))
    return int(FiscalYearConfig._meta.fields_map[name].default)


async def _limit_errors(company_id: int, fiscal_year: int, is_it: bool) -> list[FieldError]:
    """The company limit of §4.1 for the FY of the new case, exceptions included."""
    config = await FiscalYearConfig.filter(fiscal_year=fiscal_year).first()
    counted = (
        await DispatchCase.filter(company_id=company_id, fiscal_year=fiscal_year)
        .exclude(status__in=list(UNCOUNTED_STATUSES))
        .count()
    )
    grants = await CompanyLimitException.filter(
        company_id=company_id, fiscal_year=fiscal_year
    ).values("extra")
    try:
        check_company_limit(
            counted,
            is_it,
            _config_value(config, "company_limit"),
            _config_value(config, "company_limit_it"),
            sum(int(g["extra"]) for g in grants),
        )
    except DomainError as refused:
        return list(refused.errors)
    return []


async def _filing_suspended(principal: Principal, now: datetime) -> bool:
    if principal.role is not Role.PLATFORM or principal.organization_id is None:
        return False
    org = await SupportOrganization.filter(id=principal.organization_id).first()
    if org is None:
        return False
    return rules.filing_suspended(org.suspended_from, org.suspended_until, tokyo_date(now))


async def next_reservation_number(conn: BaseDBAsyncClient, fiscal_year: int) -> str:
    """The next number of ``fiscal_year``: one atomic upsert that also locks the counter row
    until the transaction ends, so concurrent filings never draw the same number."""
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        "INSERT INTO reservation_counter (fiscal_year, last_sequence) "
        f"VALUES ({placeholder}, 1) ON CONFLICT (fiscal_year) DO UPDATE "
        "SET last_sequence = reservation_counter.last_sequence + 1 RETURNING last_sequence",
        [fiscal_year],
    )
    return reservation_number(fiscal_year, int(rows[0]["last_sequence"]))


async def create_case(
    principal: Principal,
    request: CaseRequest,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> FilingResult:
    """File ``request`` as ``principal`` (platform staff on behalf of a company in its scope, a
    company member for its own company, the secretariat for a company of its office)."""
    party = rules.filing_party(principal.role)
    if party is None or principal.account_id is None:
        await refuse_forbidden(principal, FILE_ACTION, request_id=request_id)
    errors = _text_errors(request)
    if await _filing_suspended(principal, now):
        message = "所属の支援機関は事務局により申請を停止されています。"
        errors.insert(0, FieldError(ErrorCode.FILING_SUSPENDED, message, ("input",)))
    categories, is_it, category_errors = await _issue_categories(request.issue_category_ids)
    errors += category_errors
    try:
        async with in_transaction() as conn:
            result = await _file(
                conn, principal, party, request, now, errors, categories, is_it, request_id
            )
            if validate_only:
                raise _RollBack(FilingResult(None, result.reservation_number))
    except _RollBack as undone:
        return undone.result
    return result


async def _file(
    conn: BaseDBAsyncClient,
    principal: Principal,
    party: Party | None,
    request: CaseRequest,
    now: datetime,
    errors: list[FieldError],
    categories: list[int],
    is_it: bool,
    request_id: str,
) -> FilingResult:
    company = None
    if request.company_id is not None:
        company = (
            await Company.filter(company_scope(principal), id=request.company_id)
            .select_for_update()
            .first()
        )
    if company is None:
        errors.append(_error(ErrorCode.NOT_FOUND, "指定された企業が見つかりません。", "companyId"))
    specialist = None
    if request.specialist_id is not None:
        requestable = specialist_scope(principal) | Q(
            registration_status=RegistrationStatus.REGISTERED
        )
        rows = await Specialist.filter(requestable, id=request.specialist_id).values(
            "id", "registration_status", "accepting_requests"
        )
        specialist = rows[0] if rows else None
    if specialist is None:
        errors.append(
            _error(ErrorCode.NOT_FOUND, "指定された専門家が見つかりません。", "specialistId")
        )
        slot_errors: list[FieldError] = []
    else:
        slot_errors = await slot_field_errors(specialist["id"], request.slots, now=now)
        if not specialist["accepting_requests"]:
            message = "この専門家は現在、派遣依頼を受け付けていません。"
            errors.append(_error(ErrorCode.SPECIALIST_NOT_ACCEPTING, message, "specialistId"))
    errors += slot_errors
    fiscal_year = (
        fiscal_year_of_instant(request.slots[0][0])
        if request.slots and not slot_errors
        else current_fiscal_year(now)
    )
    if specialist is not None and not slot_errors:
        if not await dispatchable_in(specialist, fiscal_year):
            errors.append(not_dispatchable(fiscal_year, "specialistId"))
    if company is not None and not slot_errors:
        errors += await _limit_errors(company.id, fiscal_year, is_it)
    if errors:
        raise ValidationErrors(errors)
    assert company is not None and specialist is not None and principal.account_id is not None
    number = await next_reservation_number(conn, fiscal_year)
    prefecture = await Prefecture.get(id=company.prefecture_id)  # type: ignore[attr-defined]
    on_behalf = party is Party.PLATFORM
    title, description = request.title.strip(), request.description.strip()
    case = await DispatchCase.create(
        reservation_number=number,
        fiscal_year=fiscal_year,
        received_at=now,
        company_id=company.id,
        specialist_id=specialist["id"],
        filed_by_id=principal.account_id,
        filing_organization_id=principal.organization_id if on_behalf else None,
        platform_id=principal.platform_id if on_behalf else None,
        office_id=prefecture.office_id,  # type: ignore[attr-defined]
        title=title,
        description=description,
        location_name=request.location_name.strip(),
        location_address=request.location_address.strip(),
        location_lat=request.location_lat,
        location_lng=request.location_lng,
        comment=request.comment.strip(),
        status=FILE_STATUS,
        version=1,
        search_text=bigrams(f"{title} {description}"),
        created_at=now,
        updated_at=now,
    )
    if categories:
        await case.issue_categories.add(*await IssueCategory.filter(id__in=categories))
    await CaseSlot.bulk_create(
        [
            CaseSlot(
                case_id=case.id,
                kind=SlotKind.CANDIDATE,
                position=position,
                start=start,
                end=end,
                round=1,
                created_at=now,
            )
            for position, (start, end) in enumerate(request.slots, start=1)
        ]
    )
    slots = [{"position": p, "start": s, "end": e} for p, (s, e) in enumerate(request.slots, 1)]
    await record_transition(
        row={"id": case.id, "reservation_number": number},
        action=FILE_ACTION,
        kind=rules.FILE_EVENT,
        from_status=None,
        to_status=CaseStatus(FILE_STATUS),
        version=1,
        now=now,
        principal=principal,
        change=Change(
            payload={"slots": slots, "issueCategoryIds": categories},
            comment=request.comment.strip(),
        ),
        request_id=request_id,
    )
    return FilingResult(case.id, number)


# ---------------------------------------------------------------- the limit exception


@dataclass(frozen=True)
class LimitGrant:
    company_id: int
    fiscal_year: int
    extra: int
    reason: str
    granted_at: datetime
    total_extra: int


async def grant_limit_exception(
    principal: Principal,
    company_id: int | None,
    fiscal_year: int,
    extra: int,
    reason: str,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> LimitGrant:
    """The secretariat "may grant an exception per company and FY (raises that company's limit
    by N, with a reason, audited)"."""
    if principal.role is not Role.SECRETARIAT:
        await refuse_forbidden(
            principal,
            LIMIT_EXCEPTION_ACTION,
            target_type="Company",
            target_id=company_id or "",
            request_id=request_id,
        )
    errors = rules.text_errors(
        reason, ("input", "reason"), max_length=rules.MAX_REASON, required=True
    )
    current = current_fiscal_year(now)
    if not current - 1 <= fiscal_year <= current + 1:
        message = f"年度は{current - 1}〜{current + 1}の範囲で指定してください。"
        errors.append(_error(ErrorCode.OUT_OF_RANGE, message, "fiscalYear"))
    if not 1 <= extra <= MAX_EXCEPTION_EXTRA:
        message = f"追加件数は1〜{MAX_EXCEPTION_EXTRA}件で指定してください。"
        errors.append(_error(ErrorCode.OUT_OF_RANGE, message, "extra"))
    company = None
    if company_id is not None:
        company = await Company.filter(company_scope(principal), id=company_id).first()
    if company is None:
        errors.insert(
            0, _error(ErrorCode.NOT_FOUND, "指定された企業が見つかりません。", "companyId")
        )
    if errors:
        raise ValidationErrors(errors)
    assert company is not None
    try:
        async with in_transaction():
            grant = await CompanyLimitException.create(
                company_id=company.id,
                fiscal_year=fiscal_year,
                extra=extra,
                reason=reason.strip(),
                granted_by_id=principal.account_id,
                granted_at=now,
            )
            grants = await CompanyLimitException.filter(
                company_id=company.id, fiscal_year=fiscal_year
            ).values("extra")
            total = sum(int(g["extra"]) for g in grants)
            detail = {"companyId": company.id, "fiscalYear": fiscal_year, "extra": extra}
            await DomainEvent.create(
                kind=EventKind.CASE_LIMIT_EXCEPTION.value,
                payload={**detail, "totalExtra": total},
                created_at=now,
            )
            await record_audit(
                LIMIT_EXCEPTION_ACTION,
                actor=principal,
                target_type="Company",
                target_id=company.id,
                request_id=request_id,
                detail={**detail, "grantId": grant.id},
            )
            result = LimitGrant(company.id, fiscal_year, extra, grant.reason, now, total)
            if validate_only:
                raise _RollBackGrant(result)
    except _RollBackGrant as undone:
        return undone.result
    return result


class _RollBackGrant(Exception):
    def __init__(self, result: LimitGrant) -> None:
        self.result = result
        super().__init__("validate only")


__all__ = [
    "CaseRequest",
    "FilingResult",
    "LimitGrant",
    "create_case",
    "dispatchable_in",
    "grant_limit_exception",
    "next_reservation_number",
    "not_dispatchable",
]
