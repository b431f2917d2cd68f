"""Root lists of specialists, companies and organisations, and of reference data — all scoped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from auth.principal import Principal
from auth.scoping import (
    company_scope,
    organization_scope,
    platform_scope,
    reference_scope,
    specialist_scope,
)
from models.accounts import UserAccount
from models.companies import Company
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture, RegionalOffice
from models.masters import CancelCategory, DeclineReason, Industry, IssueCategory, Qualification
from models.organisations import RegionalPlatform, SupportOrganization
from models.rules.errors import FieldError, ValidationErrors
from models.rules.fiscal_year import current_fiscal_year
from models.rules.organisations import OrganizationKind
from models.rules.registration import DisplayItem, free_range_errors, min_evaluation_errors
from models.rules.registration_status import RegistrationStatus
from models.specialists import Specialist, SpecialistQualification
from resolvers import specialist_search as search
from resolvers.batching import columns
from resolvers.pagination import ID_ASC, Page, PageArgs, paginate, validate_page_args
from resolvers.people_rows import (
    COMPANY_FIELDS,
    ORGANIZATION_FIELDS,
    SPECIALIST_FIELDS,
    mask_organization_row,
    mask_specialist_row,
)

MasterKind = Literal[
    "issue_categories", "qualifications", "industries", "decline_reasons", "cancel_categories"
]

_MASTERS: dict[str, Any] = {
    "issue_categories": IssueCategory,
    "qualifications": Qualification,
    "industries": Industry,
    "decline_reasons": DeclineReason,
    "cancel_categories": CancelCategory,
}


@dataclass
class SpecialistFilter:
    """Specialist search (domain.md §9), see :mod:`resolvers.specialist_search`.

    ``dispatchable_only``: can be requested in ``fiscal_year`` (default: the current one) —
    REGISTERED, accepting requests, the FY's commission terms accepted; ``registration_status``
    is the state in that fiscal year; ``free_from``/``free_to``: a selectable day in that range;
    ``min_evaluation``: overall average evaluation at least that."""

    name: str | None = None  # kanji or kana
    issue_category_id: int | None = None
    industry_id: int | None = None
    prefecture_id: int | None = None  # area covered
    qualification_id: int | None = None
    dispatchable_only: bool = False
    registration_status: RegistrationStatus | None = None
    fiscal_year: int | None = None
    free_from: date | None = None
    free_to: date | None = None
    min_evaluation: float | None = None

    def errors(self) -> list[FieldError]:
        return [
            *free_range_errors(self.free_from, self.free_to, ("filter",)),
            *min_evaluation_errors(self.min_evaluation, ("filter", "minEvaluation")),
        ]

    def company_items(self) -> set[str]:
        """Display items this filter looks at (a company may not find a specialist by an item
        it hides)."""
        items = {
            DisplayItem.INDUSTRIES: self.industry_id is not None,
            DisplayItem.AREAS: self.prefecture_id is not None,
            DisplayItem.QUALIFICATIONS: self.qualification_id is not None,
            DisplayItem.EVALUATIONS: self.min_evaluation is not None,
        }
        return {item.value for item, used in items.items() if used}


@dataclass
class CompanyFilter:
    name: str | None = None  # name or kana
    prefecture_id: int | None = None


@dataclass
class OrganizationFilter:
    name: str | None = None
    platform_id: int | None = None
    kind: OrganizationKind | None = None


def _check(f: SpecialistFilter) -> None:
    errors = f.errors()
    if errors:
        raise ValidationErrors(errors)


async def _specialists(
    principal: Principal, f: SpecialistFilter, now: datetime | None
) -> QuerySet[Specialist]:
    now = now or datetime.now(UTC)
    q = specialist_scope(principal)
    if f.name and f.name.strip():
        q &= Q(name__icontains=f.name.strip()) | Q(name_kana__icontains=f.name.strip())
    if f.issue_category_id is not None:
        covering = Specialist.filter(expertise__id=f.issue_category_id).values("id")
        q &= Q(id__in=Subquery(covering))
    if f.industry_id is not None:
        q &= Q(id__in=Subquery(Specialist.filter(industries__id=f.industry_id).values("id")))
    if f.prefecture_id is not None:
        q &= Q(id__in=Subquery(Specialist.filter(areas__id=f.prefecture_id).values("id")))
    if f.qualification_id is not None:
        holders = SpecialistQualification.filter(qualification_id=f.qualification_id)
        q &= Q(id__in=Subquery(holders.values("specialist_id")))
    fiscal_year = f.fiscal_year or current_fiscal_year(now)
    if f.registration_status is not None:
        q &= search.status_q(RegistrationStatus(f.registration_status), fiscal_year)
    if f.dispatchable_only:
        q &= search.dispatchable_q(fiscal_year)
    if f.min_evaluation is not None:
        q &= search.min_evaluation_q(f.min_evaluation)
    q &= await search.hidden_from_company_q(principal, Specialist.filter(q), f.company_items())
    if f.free_from is not None and f.free_to is not None:
        q &= await search.free_q(Specialist.filter(q), f.free_from, f.free_to, now)
    return Specialist.filter(q)


async def list_specialists(
    principal: Principal,
    filter: SpecialistFilter,
    page: PageArgs,
    now: datetime | None = None,
) -> Page:
    validate_page_args(page)
    _check(filter)
    result = await paginate(
        await _specialists(principal, filter, now), ID_ASC, page, SPECIALIST_FIELDS
    )
    for row in result.rows:
        mask_specialist_row(principal, row)
    return result


async def count_specialists(
    principal: Principal, filter: SpecialistFilter, now: datetime | None = None
) -> int:
    _check(filter)
    return await (await _specialists(principal, filter, now)).count()


def _companies(principal: Principal, f: CompanyFilter) -> QuerySet[Company]:
    q = company_scope(principal)
    if f.name and f.name.strip():
        q &= Q(name__icontains=f.name.strip()) | Q(name_kana__icontains=f.name.strip())
    if f.prefecture_id is not None:
        q &= Q(prefecture_id=f.prefecture_id)
    return Company.filter(q)


async def list_companies(principal: Principal, filter: CompanyFilter, page: PageArgs) -> Page:
    validate_page_args(page)
    return await paginate(_companies(principal, filter), ID_ASC, page, COMPANY_FIELDS)


async def count_companies(principal: Principal, filter: CompanyFilter) -> int:
    return await _companies(principal, filter).count()


def _organizations(principal: Principal, f: OrganizationFilter) -> QuerySet[SupportOrganization]:
    q = organization_scope(principal)
    if f.name and f.name.strip():
        q &= Q(name__icontains=f.name.strip())
    if f.platform_id is not None:
        q &= Q(platform_id=f.platform_id)
    if f.kind is not None:
        q &= Q(kind=f.kind)
    return SupportOrganization.filter(q)


async def list_organizations(
    principal: Principal,
    filter: OrganizationFilter,
    page: PageArgs,
) -> Page:
    validate_page_args(page)
    qs = _organizations(principal, filter)
    result = await paginate(qs, ID_ASC, page, ORGANIZATION_FIELDS)
    for row in result.rows:
        mask_organization_row(principal, row)
    return result


async def count_organizations(principal: Principal, filter: OrganizationFilter) -> int:
    return await _organizations(principal, filter).count()


async def list_platforms(principal: Principal) -> list[dict[str, Any]]:
    """Every regional platform, by name (reference data)."""
    qs = RegionalPlatform.filter(platform_scope(principal)).order_by("name", "id")
    return list(await qs.values(*columns(RegionalPlatform)))


async def list_offices() -> list[dict[str, Any]]:
    """The regional offices in their fixed order (public contact data)."""
    qs = RegionalOffice.all().order_by("sort_order", "id")
    return list(await qs.values(*columns(RegionalOffice)))


async def list_prefectures() -> list[dict[str, Any]]:
    return list(await Prefecture.all().order_by("id").values(*columns(Prefecture)))


async def list_masters(kind: MasterKind) -> list[dict[str, Any]]:
    """One master list in display order, inactive rows included (they carry ``active``)."""
    model = _MASTERS[kind]
    rows = await model.all().order_by("sort_order", "id").values(*columns(model))
    return list(rows)


async def list_fiscal_configs(principal: Principal) -> list[dict[str, Any]]:
    qs = FiscalYearConfig.filter(reference_scope(principal)).order_by("fiscal_year")
    return list(await qs.values(*columns(FiscalYearConfig)))


#: The viewer's own account data (``viewer``); never the password hash or lockout counters.
VIEWER_FIELDS = (
    "id",
    "email",
    "display_name",
    "role",
    "specialist_id",
    "company_id",
    "organization_id",
    "office_id",
    "platform_scope",
    "is_org_admin",
    "last_login_at",
)


async def viewer_row(principal: Principal) -> dict[str, Any] | None:
    """The signed-in account's display data plus ``platform_id``; None when anonymous or the
    account is gone or deactivated."""
    if not principal.authenticated or principal.account_id is None:
        return None
    rows = await UserAccount.filter(id=principal.account_id, is_active=True).values(*VIEWER_FIELDS)
    if not rows:
        return None
    return {**rows[0], "platform_id": principal.platform_id}
