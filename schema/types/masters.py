"""Master data types (domain.md §2) and the per-fiscal-year configuration."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from schema.relay import RowNode, resolved


@strawberry.type(description="支援課題 (support issue category)")
class IssueCategory(RowNode, relay.Node):
    LOADER = "issue_categories"
    id: relay.NodeID[int]
    code: str = strawberry.field(description="コード (stable code)")
    name: str = strawberry.field(description="名称 (name)")
    is_it: bool = strawberry.field(
        description="IT・デジタル化の課題か（上限件数が増える） (IT issue: raises the company limit)"
    )
    requires_detail: bool = strawberry.field(
        description="詳細の記入が必要か（その他） (a detail text is required)"
    )
    sort_order: int = strawberry.field(description="表示順 (display order)")
    active: bool = strawberry.field(description="選択可能か (selectable)")


@strawberry.type(description="資格 (qualification)")
class Qualification(RowNode, relay.Node):
    LOADER = "qualifications"
    id: relay.NodeID[int]
    code: str = strawberry.field(description="コード (stable code)")
    name: str = strawberry.field(description="名称 (name)")
    requires_name: bool = strawberry.field(
        description="資格名の記入が必要か（その他） (the qualification's name is required)"
    )
    is_public: bool = strawberry.field(description="公的資格か (public qualification)")
    sort_order: int = strawberry.field(description="表示順 (display order)")
    active: bool = strawberry.field(description="選択可能か (selectable)")


@strawberry.type(description="業種（日本標準産業分類 大分類） (industry)")
class Industry(RowNode, relay.Node):
    LOADER = "industries"
    id: relay.NodeID[int]
    code: str = strawberry.field(description="コード (stable code)")
    name: str = strawberry.field(description="名称 (name)")
    sort_order: int = strawberry.field(description="表示順 (display order)")


@strawberry.type(description="辞退理由 (decline reason category)")
class DeclineReason(RowNode):
    id: strawberry.ID = strawberry.field(description="マスタID (master id)")
    code: str = strawberry.field(description="コード (stable code)")
    name: str = strawberry.field(description="名称 (name)")
    sort_order: int = strawberry.field(description="表示順 (display order)")
    active: bool = strawberry.field(description="選択可能か (selectable)")


@strawberry.type(description="キャンセル区分 (cancel category)")
class CancelCategory(RowNode):
    id: strawberry.ID = strawberry.field(description="マスタID (master id)")
    code: str = strawberry.field(description="コード (stable code)")
    name: str = strawberry.field(description="名称 (name)")
    sort_order: int = strawberry.field(description="表示順 (display order)")
    active: bool = strawberry.field(description="選択可能か (selectable)")


@strawberry.type(description="年度別設定 (configuration of one fiscal year, April–March)")
class FiscalYearConfig(RowNode, relay.Node):
    LOADER = "fiscal_configs"
    fiscal_year: relay.NodeID[int]
    price_per_30min: int = strawberry.field(
        description="謝金単価（30分あたり、円） (honorarium per 30-minute unit, yen)"
    )
    daily_cap: int = strawberry.field(description="1日あたりの謝金上限（円） (daily cap, yen)")
    company_limit: int = strawberry.field(
        description="企業あたりの年度上限件数 (cases per company and year)"
    )
    company_limit_it: int = strawberry.field(
        description="IT課題を含む場合の上限件数 (limit when an IT issue is included)"
    )
    last_dispatch_day: date = strawberry.field(description="最終派遣日 (last dispatch day)")
    report_due_business_days: int = strawberry.field(
        description="報告期限（派遣日後の営業日数） (report due, business days after dispatch)"
    )
    withholding_rate_bp: int = strawberry.field(
        description="源泉徴収率（1/100 %単位、1021 = 10.21 %） (withholding rate, basis points)"
    )
    per_diem: int = strawberry.field(description="日当（円） (per diem, yen)")
    lodging: int = strawberry.field(description="宿泊料（円） (lodging, yen)")
    limited_express_min_km: int = strawberry.field(
        description="特急料金を認める最短距離（km） (minimum distance for limited express, km)"
    )
    checkin_distance_m: int = strawberry.field(
        description="チェックイン許容距離（m） (check-in distance tolerance, m)"
    )
    upload_limit_bytes: int = strawberry.field(
        description="アップロード上限（バイト） (upload size limit, bytes)"
    )

    @resolved(description="年度 (fiscal year)")
    def year(self) -> int:
        return self.fiscal_year
