"""Case search, counts and status counts (domain.md §9), all scoped by ``case_scope``."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from auth.principal import Principal
from auth.scoping import case_scope, nothing, payment_scope
from models.cases import DispatchCase
from models.companies import Company
from models.organisations import RegionalPlatform, SupportOrganization
from models.payments import Payment
from models.reports import Report
from models.rules.case_status import CaseStatus
from models.rules.errors import ErrorCode, FieldError, ValidationErrors
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import PaymentState
from models.rules.search import bigrams, keyword_tokens
from models.specialists import Specialist
from resolvers.case_rows import (
    CASE_FIELDS,
    DERIVED_FROM,
    STATUS_ORDER,
    derived_move_q,
    derived_status_q,
    mask_case_row,
)
from resolvers.pagination import Page, PageArgs, SortKey, paginate, validate_page_args
from resolvers.search_sql import Unindexed, contains_q, tokens_q

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
    """Every word of ``keyword`` occurs in the title, description or report text: all its tokens
    (:func:`models.rules.search.keyword_tokens`) are tokens of ``search_text`` — on PostgreSQL
    one containment test the GIN index ``ix_search_case_text`` serves, for one-character words
    too (see :func:`resolvers.search_sql.tokens_q`)."""
    tokens = keyword_tokens(keyword)
    return tokens_q("search_text", tokens) if tokens else Q()


def _names_q(value: str, *columns: str) -> Q:
    """Any of ``columns`` contains ``value`` (case-insensitive; ILIKE on PostgreSQL)."""
    condition = Q()
    for column in columns:
        condition |= contains_q(column, value)
    return condition


def _pk_in(column: str, query: QuerySet[Any]) -> Q:
    criteria: dict[str, Any] = {f"{column}__in": Subquery(query.values("id"))}
    return Q(**criteria)


def _given(value: str | None) -> str:
    """``value`` stripped, or "" when absent or blank (a blank name filter means "any")."""
    return (value or "").strip()


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
    if f.reservation_number and f.reservation_number.strip():
        q &= Q(reservation_number=unicodedata.normalize("NFKC", f.reservation_number).strip())
    if f.received_from is not None:
        q &= Q(received_at__gte=_tokyo_midnight(f.received_from))
    if f.received_to is not None:
        q &= Q(received_at__lt=_tokyo_midnight(f.received_to + timedelta(days=1)))
    if f.dispatch_from is not None:
        q &= Q(dispatch_date__gte=f.dispatch_from)
    if f.dispatch_to is not None:
        q &= Q(dispatch_date__lte=f.dispatch_to)
    if user_name := _given(f.company_user_name):
        q &= _pk_in("company_id", Company.filter(_names_q(user_name, "user_name")))
    if company_name := _given(f.company_name):
        companies = Company.filter(_names_q(company_name, "name", "name_kana"))
        q &= _pk_in("company_id", companies)
    if f.statuses:
        statuses = Q()
        for status in dict.fromkeys(f.statuses):
            statuses |= derived_status_q(status, now)
        q &= statuses
    if f.evaluated is not None:
        q &= Q(evaluated=f.evaluated)
    if f.keyword and f.keyword.strip():
        q &= keyword_q(f.keyword)
    if platform_name := _given(f.platform_name):
        platforms = RegionalPlatform.filter(_names_q(platform_name, "name"))
        q &= _pk_in("platform_id", platforms)
    if organization_name := _given(f.organization_name):
        organizations = SupportOrganization.filter(_names_q(organization_name, "name"))
        q &= _pk_in("filing_organization_id", organizations)
    if specialist_name := _given(f.specialist_name):
        specialists = Specialist.filter(_names_q(specialist_name, "name", "name_kana"))
        q &= _pk_in("specialist_id", specialists)
    if f.fiscal_year is not None:
        # A range, not "=": PostgreSQL drops an ORDER BY column equated to a constant, and the
        # sort key names fiscal_year first to pick the (fiscal_year, …) indexes (_sort_key).
        q &= Q(fiscal_year__gte=f.fiscal_year) & Q(fiscal_year__lte=f.fiscal_year)
    if f.specialist_id is not None:
        q &= Q(specialist_id=f.specialist_id)
    if f.company_id is not None:
        q &= Q(company_id=f.company_id)
    if f.payment_states:
        if payment_scope(principal) == nothing():
            q &= nothing()  # payment states are hidden from this viewer
        else:
            # The payments of cases in the viewer's scope: the case scope above already limits
            # the cases, so the subquery needs no second copy of it.
            payments = Payment.filter(state__in=list(f.payment_states))
            q &= Q(id__in=Subquery(payments.values("case_id")))
    return q


#: Annotation ordering by receipt time without walking the received_at index (PostgreSQL).
RECEIVED_UNINDEXED = "received_at_unindexed"


def _sort_key(
    order: CaseOrderField, direction: SortDirection, case_filter: CaseFilter, now: datetime
) -> SortKey:
    """The keyset of ``order``; STATUS is the workflow position of the derived status, read one
    derived status after the other (:attr:`SortKey.partitions`).

    Planner hints (PostgreSQL's LIMIT costing assumes matching rows are spread evenly along an
    index, but fiscal year, receipt and dispatch dates all grow together): with a fiscal year the
    ORDER BY starts with ``fiscal_year`` (held constant by a range filter, see :func:`filter_q`)
    so ``ix_search_case_fy_received`` / ``ix_search_case_fy_dispatch_date`` serve it; with a
    dispatch date range and no year, receipt order is sorted after the date index found the rows.
    """
    descending = direction is SortDirection.DESC
    prefix = ("fiscal_year",) if case_filter.fiscal_year is not None else ()
    if order is CaseOrderField.DISPATCH_DATE:
        return SortKey("dispatch_date", "date", descending, nullable=True, prefix=prefix)
    if order is CaseOrderField.STATUS:
        partitions = tuple(derived_status_q(status, now) for status in STATUS_ORDER)
        return SortKey("status_rank", "int", descending, partitions=partitions)
    dispatch_range = case_filter.dispatch_from is not None or case_filter.dispatch_to is not None
    unindexed = RECEIVED_UNINDEXED if dispatch_range and not prefix else None
    return SortKey("received_at", "datetime", descending, prefix=prefix, order_field=unindexed)


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
    key = _sort_key(order, direction, filter, now)
    validate_page_args(page, key)
    qs = _queryset(principal, filter, now)
    if key.order_field == RECEIVED_UNINDEXED:
        qs = qs.annotate(**{RECEIVED_UNINDEXED: Unindexed("received_at")})
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
    """Cases per derived status, every status present (zeros included), in ONE statement: the
    cases per stored status and, of those, the ones whose time has passed (GROUP BY status with
    one conditional count), moved to their derived status here."""
    rows = (
        await _queryset(principal, filter, now)
        .annotate(n=Count("id"), moved=Count("id", _filter=derived_move_q(now)))
        .group_by("status")
        .values("status", "n", "moved")
    )
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for row in rows:
        stored = CaseStatus(row["status"])
        moved = int(row["moved"] or 0)
        counts[stored] += int(row["n"] or 0) - moved
        if moved:
            counts[DERIVED_FROM[stored]] += moved
    return list(counts.items())


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
