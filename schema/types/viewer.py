"""``Viewer``: the signed-in principal and its organisation link (api.md §2)."""

from __future__ import annotations

import strawberry

from auth.principal import Principal
from models.rules.roles import PlatformScope, Role
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.relay import resolved
from schema.types.organisation import RegionalOffice, RegionalPlatform, SupportOrganization
from schema.types.people import Company, Specialist


@strawberry.type(description="ログイン中の利用者 (the signed-in viewer)")
class Viewer:
    name: str = strawberry.field(description="表示名 (display name)")
    email: str | None = strawberry.field(description="メールアドレス (e-mail, if an account)")
    role: Role = strawberry.field(description="ロール (role)")
    platform_scope: PlatformScope | None = strawberry.field(
        description="支援機関職員の閲覧範囲 (scope level of platform staff)"
    )
    scopes: list[str] = strawberry.field(
        description="APIトークンのスコープ (scopes of a partner token)"
    )
    principal: strawberry.Private[Principal]

    @resolved(description="全国事務局か (national secretariat)")
    def is_national_secretariat(self) -> bool:
        return self.principal.is_national_secretariat

    @resolved(description="専門家としての登録情報 (own specialist record)")
    async def specialist(self, info: strawberry.Info) -> Specialist | None:
        return await Specialist.load(info, self.principal.specialist_id)

    @resolved(description="所属企業 (own company)")
    async def company(self, info: strawberry.Info) -> Company | None:
        return await Company.load(info, self.principal.company_id)

    @resolved(description="所属支援機関 (own support organisation)")
    async def organization(self, info: strawberry.Info) -> SupportOrganization | None:
        return await SupportOrganization.load(info, self.principal.organization_id)

    @resolved(description="所属地域PF (own regional platform)")
    async def platform(self, info: strawberry.Info) -> RegionalPlatform | None:
        return await RegionalPlatform.load(info, self.principal.platform_id)

    @resolved(description="所属地域事務局（全国事務局は null） (own regional office)")
    async def office(self, info: strawberry.Info) -> RegionalOffice | None:
        return await RegionalOffice.load(info, self.principal.office_id)


def viewer_from(principal: Principal, row: dict[str, object] | None) -> Viewer | None:
    """The viewer of an authenticated principal (``None`` for anonymous requests)."""
    if principal.role is None:
        return None
    row = row or {}
    return Viewer(
        name=str(row.get("display_name") or principal.display_name),
        email=str(row["email"]) if row.get("email") else None,
        role=principal.role,
        platform_scope=principal.platform_scope if principal.role is Role.PLATFORM else None,
        scopes=sorted(principal.scopes),
        principal=principal,
    )
