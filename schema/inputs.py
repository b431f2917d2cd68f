"""List filters and orderings (domain.md §9, api.md §9): one ``filter:`` input per list.

Each input converts itself into the resolvers' plain filter dataclass; IDs inside a filter must
name the expected Node type (a foreign or malformed ID is ``BAD_USER_INPUT``, api.md §1).
"""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from models.rules.case_status import CaseStatus
from models.rules.money_kinds import PaymentState
from models.rules.organisations import OrganizationKind
from models.rules.registration_status import RegistrationStatus
from resolvers import queries
from resolvers.queries import CaseOrderField, SortDirection
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.relay import RowNode, expect_id
from schema.types.masters import Industry, IssueCategory, Qualification
from schema.types.organisation import Prefecture, RegionalPlatform
from schema.types.people import Company, Specialist


def _register(cls: type[Enum], description: str, values: dict[str, str]) -> None:
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]


_register(
    CaseOrderField,
    "案件一覧の並び順の項目 (sort key of the case list)",
    {
        "RECEIVED_AT": "受付日時 (receipt time)",
        "DISPATCH_DATE": "派遣日（未定は最後） (dispatch date, undecided last)",
        "STATUS": "ステータス（業務の流れの順） (status, in workflow order)",
    },
)
_register(
    SortDirection,
    "並び順の向き (sort direction)",
    {"ASC": "昇順 (ascending)", "DESC": "降順 (descending)"},
)


def _pk(value: str | None, node_type: type[RowNode], *field: str) -> int | None:
    return None if value is None else expect_id(value, node_type, ("filter", *field))


@strawberry.input(description="派遣依頼の検索条件 (case search, domain.md §9)")
class CaseFilter:
    reservation_number: str | None = strawberry.field(
        default=None, description="派遣依頼予約番号 (reservation number, exact)"
    )
    received_from: date | None = strawberry.field(
        default=None, description="依頼日（から） (received on or after)"
    )
    received_to: date | None = strawberry.field(
        default=None, description="依頼日（まで） (received on or before)"
    )
    dispatch_from: date | None = strawberry.field(
        default=None, description="派遣日（から） (dispatch on or after)"
    )
    dispatch_to: date | None = strawberry.field(
        default=None, description="派遣日（まで） (dispatch on or before)"
    )
    company_user_name: str | None = strawberry.field(
        default=None, description="企業ユーザー名 (company user name, partial)"
    )
    company_name: str | None = strawberry.field(
        default=None, description="企業名 (company name or kana, partial)"
    )
    statuses: list[CaseStatus] | None = strawberry.field(
        default=None, description="ステータス（複数可、導出後） (derived statuses, any of)"
    )
    evaluated: bool | None = strawberry.field(
        default=None, description="評価済か（完了状態） (completion state: evaluated or not)"
    )
    payment_states: list[PaymentState] | None = strawberry.field(
        default=None, description="支払状態（複数可） (payment states, any of)"
    )
    keyword: str | None = strawberry.field(
        default=None, description="キーワード（件名・相談内容・報告） (keyword in text)"
    )
    platform_name: str | None = strawberry.field(
        default=None, description="地域PF名 (platform name, partial)"
    )
    organization_name: str | None = strawberry.field(
        default=None, description="支援機関名 (filing organisation name, partial)"
    )
    specialist_name: str | None = strawberry.field(
        default=None, description="専門家名 (specialist name or kana, partial)"
    )
    fiscal_year: int | None = strawberry.field(
        default=None, description="年度（未指定は全年度） (fiscal year; null = all years)"
    )
    specialist_id: strawberry.ID | None = strawberry.field(
        default=None, description="専門家のID (a Specialist ID)"
    )
    company_id: strawberry.ID | None = strawberry.field(
        default=None, description="企業のID (a Company ID)"
    )

    def to_query(self) -> queries.CaseFilter:
        return queries.CaseFilter(
            reservation_number=self.reservation_number,
            received_from=self.received_from,
            received_to=self.received_to,
            dispatch_from=self.dispatch_from,
            dispatch_to=self.dispatch_to,
            company_user_name=self.company_user_name,
            company_name=self.company_name,
            statuses=list(self.statuses or []),
            evaluated=self.evaluated,
            payment_states=list(self.payment_states or []),
            keyword=self.keyword,
            platform_name=self.platform_name,
            organization_name=self.organization_name,
            specialist_name=self.specialist_name,
            fiscal_year=self.fiscal_year,
            specialist_id=_pk(self.specialist_id, Specialist, "specialistId"),
            company_id=_pk(self.company_id, Company, "companyId"),
        )


@strawberry.input(description="派遣依頼一覧の並び順 (ordering of the case list)")
class CaseOrder:
    field: CaseOrderField = strawberry.field(
        default=CaseOrderField.RECEIVED_AT, description="並び順の項目 (sort key)"
    )
    direction: SortDirection = strawberry.field(
        default=SortDirection.DESC, description="向き (direction)"
    )


@strawberry.input(description="専門家の検索条件 (specialist search)")
class SpecialistFilter:
    name: str | None = strawberry.field(
        default=None, description="氏名または氏名カナ (name in kanji or kana, partial)"
    )
    issue_category_id: strawberry.ID | None = strawberry.field(
        default=None, description="専門分野（支援課題のID） (expertise: an IssueCategory ID)"
    )
    industry_id: strawberry.ID | None = strawberry.field(
        default=None, description="得意業種（業種のID） (an Industry ID)"
    )
    prefecture_id: strawberry.ID | None = strawberry.field(
        default=None, description="対応地域（都道府県のID） (area: a Prefecture ID)"
    )
    qualification_id: strawberry.ID | None = strawberry.field(
        default=None, description="保有資格（資格のID） (a Qualification ID)"
    )
    dispatchable_only: bool = strawberry.field(
        default=False,
        description="派遣依頼できる専門家のみ（登録済・受付中・その年度の委嘱条件同意済） (only "
        "specialists who can be requested in the fiscal year)",
    )
    registration_status: RegistrationStatus | None = strawberry.field(
        default=None,
        description="登録状態（fiscalYear の年度、省略時は今年度） (registration state in the "
        "fiscal year)",
    )
    fiscal_year: int | None = strawberry.field(
        default=None,
        description="dispatchableOnly・registrationStatus の年度（省略時は今年度） (fiscal "
        "year of dispatchableOnly and registrationStatus; default the current one)",
    )
    free_from: date | None = strawberry.field(
        default=None,
        description="空き日の検索：開始日（freeTo と組で、92日以内） (free on some day from)",
    )
    free_to: date | None = strawberry.field(
        default=None,
        description="空き日の検索：終了日（依頼可能な日が1日以上ある） (free on some day until)",
    )
    min_evaluation: float | None = strawberry.field(
        default=None,
        description="評価の総合平均の下限（1〜5） (minimum overall average evaluation, 1–5)",
    )

    def to_query(self) -> queries.SpecialistFilter:
        return queries.SpecialistFilter(
            name=self.name,
            issue_category_id=_pk(self.issue_category_id, IssueCategory, "issueCategoryId"),
            industry_id=_pk(self.industry_id, Industry, "industryId"),
            prefecture_id=_pk(self.prefecture_id, Prefecture, "prefectureId"),
            qualification_id=_pk(self.qualification_id, Qualification, "qualificationId"),
            dispatchable_only=self.dispatchable_only,
            registration_status=self.registration_status,
            fiscal_year=self.fiscal_year,
            free_from=self.free_from,
            free_to=self.free_to,
            min_evaluation=self.min_evaluation,
        )


@strawberry.input(description="企業の検索条件 (company search)")
class CompanyFilter:
    name: str | None = strawberry.field(
        default=None, description="企業名または企業名カナ (name or kana, partial)"
    )
    prefecture_id: strawberry.ID | None = strawberry.field(
        default=None, description="都道府県のID (a Prefecture ID)"
    )

    def to_query(self) -> queries.CompanyFilter:
        return queries.CompanyFilter(
            name=self.name, prefecture_id=_pk(self.prefecture_id, Prefecture, "prefectureId")
        )


@strawberry.input(description="支援機関の検索条件 (support organisation search)")
class OrganizationFilter:
    name: str | None = strawberry.field(default=None, description="名称 (name, partial)")
    platform_id: strawberry.ID | None = strawberry.field(
        default=None, description="地域PFのID (a RegionalPlatform ID)"
    )
    kind: OrganizationKind | None = strawberry.field(default=None, description="種別 (kind)")

    def to_query(self) -> queries.OrganizationFilter:
        return queries.OrganizationFilter(
            name=self.name,
            platform_id=_pk(self.platform_id, RegionalPlatform, "platformId"),
            kind=self.kind,
        )
