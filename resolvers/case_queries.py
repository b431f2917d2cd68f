"""Case search, counts and status counts (domain.md §9), all scoped by ``case_scope``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Case, Q, RawSQL, Subquery, When
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from auth.principal import Principal
from auth.scoping import case_scope, payment_scope
from models.cases import DispatchCase
from models.payments import Payment
from models.reports import Report
from models.rules.case_status import CaseStatus
from models.rules.errors import ErrorCode, FieldError, ValidationErrors
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import PaymentState
from models.rules.search import bigrams, term_bigrams, words
from resolvers.case_rows import CASE_FIELDS, STATUS_ORDER, derived_status_q, mask_case_row
from resolvers.pagination import Page, PageArgs, SortKey, paginate, validate_page_args

MAX_KEYWORD_LENGTH = 100

#: Report columns that feed the keyword search text.
REPORT_TEXT_FIELDS: tuple[str, ...] = (
    "issue_detail",
    "issue_note",
    "company_request",
    "support_content_1",
    "support_content_2",
    "support_content_3",
)


class CaseOrderField(StrEnum):
    RECEIVED_AT = "RECEIVED_AT"
    DISPATCH_DATE = "DISPATCH_DATE"
    STATUS = "STATUS"


class SortDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass
class CaseFilter:
    """The case search of domain.md §9; ``None`` / empty means "any"."""

    reservation_number: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    dispatch_from: date | None = None
    dispatch_to: date | None = None
    company_user_name: str | None = None
    company_name: str | None = None
    statuses: list[CaseStatus] = field(default_factory=list)
    evaluated: bool | None = None  # completion state
    keyword: str | None = None
    platform_name: str | None = None
    organization_name: str | None = None
    specialist_name: str | None = None
    fiscal_year: int | None = None  # None = all years
    specialist_id: int | None = None
    company_id: int | None = None
    payment_states: list[PaymentState] = field(default_factory=list)


def _tokyo_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TOKYO)


def keyword_q(keyword: str) -> Q:
    """Every word of ``keyword`` must occur: words of two or more characters through the bigram
    search text (title, description, report text), one-character words by a LIKE on the title
    and description."""
    condition = Q()
    for word in words(keyword):
        grams = term_bigrams(word)
        if not grams:
            condition &= Q(title__icontains=word) | Q(description__icontains=word)
            continue
        for gram in grams:
            condition &= Q(search_text__contains=f" {gram} ")
    return condition


def _names_q(value: str, *columns: str) -> Q:
    condition = Q()
    for column in columns:
        condition |= Q(**{f"{column}__icontains": value.strip()})
    return condition


def _validate(case_filter: CaseFilter) -> None:
    errors: list[FieldError] = []
    if case_filter.keyword is not None and len(case_filter.keyword) > MAX_KEYWORD_LENGTH:
        message = f"キーワードは{MAX_KEYWORD_LENGTH}文字以内で入力してください。"
        errors.append(FieldError(ErrorCode.TOO_LONG, message, ("filter", "keyword")))
    pairs = (("received_from", "received_to"), ("dispatch_from", "dispatch_to"))
    for start, end in pairs:
        low, high = getattr(case_filter, start), getattr(case_filter, end)
        if low is not None and high is not None and low > high:
            message = "期間の開始日が終了日より後になっています。"
            errors.append(FieldError(ErrorCode.INVALID, message, ("filter", end)))
    if errors:
        raise ValidationErrors(errors)


def filter_q(principal: Principal, case_filter: CaseFilter, now: datetime) -> Q:
    """The scope of ``principal`` AND every filter given."""
    f = case_filter
    q = case_scope(principal)
    if f.reservation_number:
        q &= Q(reservation_number=f.reservation_number.strip())
    if f.received_from is not None:
        q &= Q(received_at__gte=_tokyo_midnight(f.received_from))
    if f.received_to is not None:
        q &= Q(received_at__lt=_tokyo_midnight(f.received_to + timedelta(days=1)))
    if f.dispatch_from is not None:
        q &= Q(dispatch_date__gte=f.dispatch_from)
    if f.dispatch_to is not None:
        q &= Q(dispatch_date__lte=f.dispatch_to)
    if f.company_user_name:
        q &= _names_q(f.company_user_name, "company__user_name")
    if f.company_name:
        q &= _names_q(f.company_name, "company__name", "company__name_kana")
    if f.statuses:
        statuses = Q()
        for status in dict.fromkeys(f.statuses):
            statuses |= derived_status_q(status, now)
        q &= statuses
    if f.evaluated is not None:
        q &= Q(evaluated=f.evaluated)
    if f.keyword and f.keyword.strip():
        q &= keyword_q(f.keyword)
    if f.platform_name:
        q &= _names_q(f.platform_name, "platform__name")
    if f.organization_name:
        q &= _names_q(f.organization_name, "filing_organization__name")
    if f.specialist_name:
        q &= _names_q(f.specialist_name, "specialist__name", "specialist__name_kana")
    if f.fiscal_year is not None:
        q &= Q(fiscal_year=f.fiscal_year)
    if f.specialist_id is not None:
        q &= Q(specialist_id=f.specialist_id)
    if f.company_id is not None:
        q &= Q(company_id=f.company_id)
    if f.payment_states:
        payments = Payment.filter(payment_scope(principal), state__in=list(f.payment_states))
        q &= Q(id__in=Subquery(payments.values("case_id")))
    return q


def status_rank(now: datetime) -> Case:
    """The workflow position of each case's derived status (the STATUS sort key)."""
    whens = [
        When(derived_status_q(status, now), then=_literal(rank))
        for rank, status in enumerate(STATUS_ORDER)
    ]
    return Case(*whens, default=_literal(len(STATUS_ORDER)))


def _literal(number: int) -> Any:
    """An integer literal inlined in SQL (a bound CASE parameter is typed text by PostgreSQL)."""
    return RawSQL(str(int(number)))


def _sort_key(order: CaseOrderField, direction: SortDirection) -> SortKey:
    descending = direction is SortDirection.DESC
    if order is CaseOrderField.DISPATCH_DATE:
        return SortKey("dispatch_date", "date", descending, nullable=True)
    if order is CaseOrderField.STATUS:
        return SortKey("status_rank", "int", descending)
    return SortKey("received_at", "datetime", descending)


def _queryset(
    principal: Principal, case_filter: CaseFilter, now: datetime
) -> QuerySet[DispatchCase]:
    _validate(case_filter)
    return DispatchCase.filter(filter_q(principal, case_filter, now))


async def search_cases(
    principal: Principal,
    filter: CaseFilter,
    order: CaseOrderField,
    direction: SortDirection,
    page: PageArgs,
    now: datetime,
) -> Page:
    """One page of the viewer's cases matching ``filter``, keyset-paginated (NULL dispatch dates
    last in both directions)."""
    key = _sort_key(order, direction)
    validate_page_args(page, key)
    qs = _queryset(principal, filter, now)
    if order is CaseOrderField.STATUS:
        qs = qs.annotate(status_rank=status_rank(now))
    if key.nullable:
        nulls_last = Case(When(dispatch_date__isnull=True, then=_literal(1)), default=_literal(0))
        qs = qs.annotate(_nulls_last=nulls_last)
    result = await paginate(qs, key, page, CASE_FIELDS)
    for row in result.rows:
        mask_case_row(principal, row)
    return result


async def count_cases(
    principal: Principal,
    filter: CaseFilter,
    now: datetime,
) -> int:
    """totalCount of :func:`search_cases` (one COUNT statement)."""
    return await _queryset(principal, filter, now).count()


async def case_status_counts(
    principal: Principal,
    filter: CaseFilter,
    now: datetime,
) -> list[tuple[CaseStatus, int]]:
    """Cases per derived status, every status present (zeros included), in ONE statement of
    conditional aggregates (COUNT(CASE WHEN …))."""
    aggregates = {
        f"n_{rank}": Count("id", _filter=derived_status_q(status, now))
        for rank, status in enumerate(STATUS_ORDER)
    }
    rows = await _queryset(principal, filter, now).annotate(**aggregates).values(*aggregates)
    counts: dict[str, Any] = rows[0] if rows else {}
    return [(status, int(counts.get(f"n_{rank}") or 0)) for rank, status in enumerate(STATUS_ORDER)]


async def refresh_search_text(case_ids: Iterable[int]) -> None:
    """Recompute ``search_text`` of the given cases from title, description and report text."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return
    cases = await DispatchCase.filter(id__in=ids).values("id", "title", "description")
    reports = await Report.filter(case_id__in=ids).values("case_id", *REPORT_TEXT_FIELDS)
    report_text = {
        r["case_id"]: " ".join(str(r[name] or "") for name in REPORT_TEXT_FIELDS) for r in reports
    }
    for case in cases:
        text = " ".join((case["title"], case["description"], report_text.get(case["id"], "")))
        await DispatchCase.filter(id=case["id"]).update(search_text=bigrams(text))
