"""The Query root (api.md §1, §2, §7–§9): viewer, node/nodes, scoped lists and reference data.

Every entry point reads through resolvers (lists, counts) or the request's scoped loaders
(node/nodes), so a row out of scope is absent everywhere in the same way.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry import relay

from models.rules.case_status import CaseStatus
from resolvers import queries
from resolvers.pagination import PageArgs
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.inputs import CaseFilter, CaseOrder, CompanyFilter, OrganizationFilter, SpecialistFilter
from schema.permissions import root_field
from schema.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    RowNode,
    bad_user_input,
    connection,
    parse_global_id,
    user_input,
)
from schema.types.case import DispatchCase
from schema.types.masters import (
    CancelCategory,
    DeclineReason,
    FiscalYearConfig,
    Industry,
    IssueCategory,
    Qualification,
)
from schema.types.money import PaymentBatch
from schema.types.organisation import (
    Prefecture,
    RegionalOffice,
    RegionalPlatform,
    SupportOrganization,
)
from schema.types.people import Company, Specialist
from schema.types.report import Document, Evaluation, Report
from schema.types.viewer import Viewer, viewer_from

#: The ONLY types ``node``/``nodes`` resolve, by GraphQL name; each loads through its scoped
#: loader. A type name outside this table is "not found", never a lookup in the schema (S4).
NODE_TYPES: dict[str, type[RowNode]] = {
    t.__name__: t
    for t in (
        DispatchCase,
        Specialist,
        Company,
        SupportOrganization,
        RegionalPlatform,
        RegionalOffice,
        Prefecture,
        Report,
        Evaluation,
        Document,
        IssueCategory,
        Qualification,
        Industry,
        FiscalYearConfig,
        PaymentBatch,
    )
}
MAX_NODES = 100


async def _node(info: strawberry.Info, global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    node_type = NODE_TYPES.get(parsed[0])
    if node_type is None:
        return None
    return await node_type.load(info, parsed[1])


@strawberry.type(description="ステータスごとの件数 (number of cases in one status)")
class CaseStatusCount:
    status: CaseStatus = strawberry.field(description="ステータス（導出後） (derived status)")
    count: int = strawberry.field(description="件数 (number of cases)")


@strawberry.type(description="読み取りの入口 (read entry points)")
class Query:
    @root_field("ログイン中の利用者（未ログインは null） (the signed-in viewer)", public=True)
    async def viewer(self, info: strawberry.Info) -> Viewer | None:
        principal = info.context.principal
        if not principal.authenticated:
            return None
        return viewer_from(principal, await queries.viewer_row(principal))

    @root_field(
        "IDで任意のオブジェクトを取得（存在しない・範囲外は null） (fetch any object "
        "by global ID; null when missing or out of scope)"
    )
    async def node(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="グローバルID (global ID)")],
    ) -> relay.Node | None:
        return await _node(info, id)  # type: ignore[no-any-return]

    @root_field(
        "複数IDで取得（100件まで、各要素は node と同じ規則） (fetch up to 100 objects "
        "by global ID, each as node())"
    )
    async def nodes(
        self,
        info: strawberry.Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="グローバルID (global IDs)")
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise bad_user_input(f"IDは{MAX_NODES}件までです。 (at most {MAX_NODES} IDs)", ("ids",))
        return list(await asyncio.gather(*(_node(info, i) for i in ids)))

    @root_field("派遣依頼の一覧（検索） (dispatch cases, searched and paginated)")
    async def cases(
        self,
        info: strawberry.Info,
        filter: Annotated[
            CaseFilter | None, strawberry.argument(description="検索条件 (search filter)")
        ] = None,
        order_by: Annotated[
            CaseOrder | None, strawberry.argument(description="並び順 (ordering)")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[DispatchCase]:
        principal = info.context.principal
        loaders = info.context.loaders
        now = loaders.now
        query_filter = (filter or CaseFilter()).to_query()
        order = order_by or CaseOrder()
        args = PageArgs(first=first, after=after, last=last, before=before)
        page = await user_input(
            queries.search_cases(principal, query_filter, order.field, order.direction, args, now)
        )
        loaders.cases.prime_many({row["id"]: row for row in page.rows})
        return connection(
            DispatchCase, page, lambda: queries.count_cases(principal, query_filter, now)
        )

    @root_field(
        "ステータスごとの件数（全ステータス、0件を含む） (case count per status, zeros included)"
    )
    async def case_status_counts(
        self,
        info: strawberry.Info,
        filter: Annotated[
            CaseFilter | None, strawberry.argument(description="検索条件 (search filter)")
        ] = None,
    ) -> list[CaseStatusCount]:
        principal = info.context.principal
        query_filter = (filter or CaseFilter()).to_query()
        counts = await user_input(
            queries.case_status_counts(principal, query_filter, info.context.loaders.now)
        )
        return [CaseStatusCount(status=status, count=n) for status, n in counts]

    @root_field("専門家の一覧（検索） (specialists, searched and paginated)")
    async def specialists(
        self,
        info: strawberry.Info,
        filter: Annotated[
            SpecialistFilter | None, strawberry.argument(description="検索条件 (search filter)")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Specialist]:
        principal = info.context.principal
        now = info.context.loaders.now
        query_filter = (filter or SpecialistFilter()).to_query()
        args = PageArgs(first=first, after=after, last=last, before=before)
        page = await user_input(queries.list_specialists(principal, query_filter, args, now))
        info.context.loaders.specialists.prime_many({row["id"]: row for row in page.rows})
        return connection(
            Specialist, page, lambda: queries.count_specialists(principal, query_filter, now)
        )

    @root_field("企業の一覧（検索） (companies, searched and paginated)")
    async def companies(
        self,
        info: strawberry.Info,
        filter: Annotated[
            CompanyFilter | None, strawberry.argument(description="検索条件 (search filter)")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Company]:
        principal = info.context.principal
        query_filter = (filter or CompanyFilter()).to_query()
        args = PageArgs(first=first, after=after, last=last, before=before)
        page = await user_input(queries.list_companies(principal, query_filter, args))
        info.context.loaders.companies.prime_many({row["id"]: row for row in page.rows})
        return connection(Company, page, lambda: queries.count_companies(principal, query_filter))

    @root_field("支援機関の一覧 (support organisations, paginated)")
    async def support_organizations(
        self,
        info: strawberry.Info,
        filter: Annotated[
            OrganizationFilter | None,
            strawberry.argument(description="検索条件 (search filter)"),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[SupportOrganization]:
        principal = info.context.principal
        query_filter = (filter or OrganizationFilter()).to_query()
        args = PageArgs(first=first, after=after, last=last, before=before)
        page = await user_input(queries.list_organizations(principal, query_filter, args))
        return connection(
            SupportOrganization,
            page,
            lambda: queries.count_organizations(principal, query_filter),
        )

    @root_field(
        "地域PFの一覧（参照データ、件数は有界） (regional platforms, bounded reference data)"
    )
    async def regional_platforms(self, info: strawberry.Info) -> list[RegionalPlatform]:
        return RegionalPlatform.from_rows(await queries.list_platforms(info.context.principal))

    @root_field("地域事務局（8か所） (the regional secretariat offices)")
    async def regional_offices(self, info: strawberry.Info) -> list[RegionalOffice]:
        if not info.context.principal.authenticated:
            return []
        return RegionalOffice.from_rows(await queries.list_offices())

    @root_field("都道府県（47） (prefectures)")
    async def prefectures(self, info: strawberry.Info) -> list[Prefecture]:
        if not info.context.principal.authenticated:
            return []
        return Prefecture.from_rows(await queries.list_prefectures())

    @root_field("支援課題マスタ (issue categories)")
    async def issue_categories(self, info: strawberry.Info) -> list[IssueCategory]:
        return IssueCategory.from_rows(await _masters(info, "issue_categories"))

    @root_field("資格マスタ (qualifications)")
    async def qualifications(self, info: strawberry.Info) -> list[Qualification]:
        return Qualification.from_rows(await _masters(info, "qualifications"))

    @root_field("業種マスタ (industries)")
    async def industries(self, info: strawberry.Info) -> list[Industry]:
        return Industry.from_rows(await _masters(info, "industries"))

    @root_field("辞退理由マスタ (decline reasons)")
    async def decline_reasons(self, info: strawberry.Info) -> list[DeclineReason]:
        return DeclineReason.from_rows(await _masters(info, "decline_reasons"))

    @root_field("キャンセル区分マスタ (cancel categories)")
    async def cancel_categories(self, info: strawberry.Info) -> list[CancelCategory]:
        return CancelCategory.from_rows(await _masters(info, "cancel_categories"))

    @root_field("年度別設定 (fiscal-year configurations)")
    async def fiscal_year_configs(self, info: strawberry.Info) -> list[FiscalYearConfig]:
        rows = await queries.list_fiscal_configs(info.context.principal)
        return FiscalYearConfig.from_rows(rows)


async def _masters(info: strawberry.Info, kind: queries.MasterKind) -> list[dict[str, Any]]:
    """A master list for signed-in viewers (reference data is not public)."""
    if not info.context.principal.authenticated:
        return []
    return await info.context.loaders.masters.load(kind)  # type: ignore[no-any-return]
