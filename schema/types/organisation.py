"""Regional offices, prefectures, regional platforms and support organisations (domain.md §2)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from models.rules.organisations import OrganizationKind
from models.rules.roles import Role
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.relay import RowNode, resolved


@strawberry.type(description="地域事務局 (one of the eight regional secretariat offices)")
class RegionalOffice(RowNode, relay.Node):
    LOADER = "offices"
    id: relay.NodeID[int]
    code: str = strawberry.field(description="コード (stable code)")
    name: str = strawberry.field(description="名称 (name)")
    email: str = strawberry.field(description="連絡先メールアドレス (contact e-mail)")
    phone: str = strawberry.field(description="電話番号 (phone)")
    postal_code: str = strawberry.field(description="郵便番号 (postal code)")
    address: str = strawberry.field(description="所在地 (address)")
    sort_order: int = strawberry.field(description="表示順 (display order)")

    @resolved(description="管轄の都道府県 (prefectures this office covers)")
    async def prefectures(self, info: strawberry.Info) -> list[Prefecture]:
        return Prefecture.from_rows(await info.context.loaders.prefectures_by_office.load(self.id))


@strawberry.type(description="都道府県 (prefecture, JIS code)")
class Prefecture(RowNode, relay.Node):
    LOADER = "prefectures"
    MAX_ROW_ID = 32_767  # JIS code in a smallint column
    id: relay.NodeID[int]
    name: str = strawberry.field(description="名称 (name)")
    office_id: strawberry.Private[int]

    @resolved(description="JISコード (JIS prefecture code 1–47)")
    def code(self) -> int:
        return self.id

    @resolved(description="管轄の地域事務局 (regional office in charge)")
    async def office(self, info: strawberry.Info) -> RegionalOffice | None:
        return await RegionalOffice.load(info, self.office_id)


@strawberry.type(description="地域プラットフォーム（地域PF） (regional platform)")
class RegionalPlatform(RowNode, relay.Node):
    LOADER = "platforms"
    id: relay.NodeID[int]
    name: str = strawberry.field(description="名称 (name)")
    prefecture_id: strawberry.Private[int]

    @resolved(description="都道府県 (prefecture)")
    async def prefecture(self, info: strawberry.Info) -> Prefecture | None:
        return await Prefecture.load(info, self.prefecture_id)


@strawberry.type(description="支援機関 (support organisation)")
class SupportOrganization(RowNode, relay.Node):
    LOADER = "organizations"
    id: relay.NodeID[int]
    name: str = strawberry.field(description="名称 (name)")
    kind: OrganizationKind = strawberry.field(description="種別 (kind)")
    email: str = strawberry.field(description="メールアドレス (e-mail)")
    phone: str = strawberry.field(description="電話番号 (phone)")
    address: str = strawberry.field(description="所在地 (address)")
    suspended_from: date | None = strawberry.field(
        description="申請停止の開始日 (suspended from, fraud control)"
    )
    suspended_until: date | None = strawberry.field(
        description="申請停止の終了日 (suspended until)"
    )
    prefecture_id: strawberry.Private[int]
    platform_id: strawberry.Private[int | None]

    @resolved(description="都道府県 (prefecture)")
    async def prefecture(self, info: strawberry.Info) -> Prefecture | None:
        return await Prefecture.load(info, self.prefecture_id)

    @resolved(description="所属する地域PF (regional platform it belongs to)")
    async def platform(self, info: strawberry.Info) -> RegionalPlatform | None:
        return await RegionalPlatform.load(info, self.platform_id)

    @resolved(description="申請停止の理由（事務局のみ） (suspension reason, secretariat only)")
    def suspension_reason(self, info: strawberry.Info) -> str | None:
        if info.context.principal.role is not Role.SECRETARIAT:
            return None
        return str(self.__dict__["suspension_reason"])
