"""Demo accounts, regional platforms and support organisations with their staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models.accounts import UserAccount
from models.master_data import OFFICES
from models.organisations import RegionalPlatform, SupportOrganization
from models.rules.organisations import OrganizationKind
from models.rules.roles import PlatformScope, Role
from server.demo_names import (
    DEMO_PREF,
    GIVEN_NAMES,
    PLACES,
    SURNAMES,
    Place,
)
from server.demo_plan import DemoContext, OrgInfo, at

#: The one password of every demo account (development and demo databases only).
DEMO_PASSWORD = "haken-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    description: str


#: The sign-in accounts listed in the README: one per role and one per regional office.
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("specialist@example.jp", DEMO_PASSWORD, Role.SPECIALIST,
                "専門家（埼玉県在住・今年度就任承諾済、各状態の案件を多数担当）"),
    DemoAccount("company@example.jp", DEMO_PASSWORD, Role.COMPANY,
                "企業ユーザー（埼玉県の製造業、各状態の自社案件あり）"),
    DemoAccount("platform@example.jp", DEMO_PASSWORD, Role.PLATFORM,
                "支援機関職員（埼玉県よろず支援拠点、所属機関の範囲・機関管理者）"),
    DemoAccount("coordinator@example.jp", DEMO_PASSWORD, Role.PLATFORM,
                "地域PFコーディネーター（埼玉県地域プラットフォームの全案件）"),
    *(
        DemoAccount(f"secretariat-{office.code.lower()}@example.jp", DEMO_PASSWORD,
                    Role.SECRETARIAT, f"事務局職員（{office.name}）")
        for office in OFFICES
    ),
    DemoAccount("national-admin@example.jp", DEMO_PASSWORD, Role.SECRETARIAT,
                "全国本部（全事務局の案件・マスタデータ・年度設定）"),
)  # fmt: skip

_K = OrganizationKind
#: Organisations beyond よろず支援拠点 and 商工会議所, taken in turn by the platforms.
_EXTRA_KINDS: tuple[OrganizationKind, ...] = (
    _K.SHOKOKAI, _K.FINANCIAL_INSTITUTION, _K.SHOKOKAI_FEDERATION, _K.SME_CENTRAL_ASSOCIATION,
    _K.PROFESSIONAL_BODY, _K.PUBLIC_BODY, _K.SHOPPING_STREET_FEDERATION, _K.CHAMBER_FEDERATION,
    _K.OTHER,
)  # fmt: skip
_DEMO_KINDS = (
    _K.YOROZU,
    _K.CHAMBER,
    _K.SHOKOKAI,
    _K.FINANCIAL_INSTITUTION,
    _K.SME_CENTRAL_ASSOCIATION,
)


def person(ctx: DemoContext) -> tuple[str, str]:
    """A random full name and its katakana reading."""
    surname, surname_kana = ctx.rng.choice(SURNAMES)
    given, given_kana = ctx.rng.choice(GIVEN_NAMES)
    return f"{surname} {given}", f"{surname_kana} {given_kana}"


def account(
    ctx: DemoContext,
    email: str,
    role: Role,
    display_name: str,
    *,
    created_days_ago: int = 700,
    **links: object,
) -> int:
    account_id = ctx.ids.next(UserAccount)
    ctx.plan.add(
        UserAccount(
            id=account_id,
            email=email,
            password_hash=ctx.password_hash,
            display_name=display_name,
            role=role,
            created_at=at(ctx.today - timedelta(days=created_days_ago), 10),
            **links,
        )
    )
    return account_id


def _org_name(kind: OrganizationKind, place: Place, pref_name: str) -> str:
    match kind:
        case _K.YOROZU:
            return f"{pref_name}よろず支援拠点"
        case _K.CHAMBER:
            return place.chamber
        case _K.SHOKOKAI:
            return place.shokokai
        case _K.FINANCIAL_INSTITUTION:
            return place.shinkin
        case _K.SHOKOKAI_FEDERATION:
            return f"{pref_name}商工会連合会"
        case _K.SME_CENTRAL_ASSOCIATION:
            return f"{pref_name}中小企業団体中央会"
        case _K.PROFESSIONAL_BODY:
            return f"{pref_name}中小企業診断協会"
        case _K.PUBLIC_BODY:
            return f"{pref_name}産業振興センター"
        case _K.SHOPPING_STREET_FEDERATION:
            return f"{pref_name}商店街振興組合連合会"
        case _K.CHAMBER_FEDERATION:
            return f"{pref_name}商工会議所連合会"
        case _:
            return f"{place.cities[0].name}創業支援ネットワーク"


def build_secretariat(ctx: DemoContext) -> None:
    for office in OFFICES:
        office_id = ctx.masters.office_ids[office.code]
        name, _ = person(ctx)
        ctx.secretariat[office_id] = account(
            ctx,
            f"secretariat-{office.code.lower()}@example.jp",
            Role.SECRETARIAT,
            f"{name}（{office.name}）",
            office_id=office_id,
        )
    name, _ = person(ctx)
    ctx.national_admin = account(
        ctx, "national-admin@example.jp", Role.SECRETARIAT, f"{name}（全国本部）", office_id=None
    )


def build_organisations(ctx: DemoContext) -> None:
    """One regional platform per place, 3–5 member organisations each, one staff account each."""
    extra = 0
    for index, place in enumerate(PLACES):
        pref_name = ctx.masters.pref_names[place.pref]
        platform_id = ctx.ids.next(RegionalPlatform)
        platform_name = f"{pref_name}地域プラットフォーム"
        ctx.plan.add(
            RegionalPlatform(
                id=platform_id,
                name=platform_name,
                prefecture_id=place.pref,
                created_at=at(ctx.today - timedelta(days=1200), 10),
            )
        )
        if place.pref == DEMO_PREF:
            kinds: tuple[OrganizationKind, ...] = _DEMO_KINDS
        else:
            count = 2 if index % 2 == 0 else 1
            kinds = (
                _K.YOROZU,
                _K.CHAMBER,
                *tuple(_EXTRA_KINDS[(extra + k) % len(_EXTRA_KINDS)] for k in range(count)),
            )
            extra += count
        for kind in kinds:
            _organisation(ctx, place, pref_name, kind, platform_id, platform_name)
    # Fraud control (§7.4): one organisation is suspended from filing; it files nothing here.
    suspended = next(
        o for o in ctx.orgs if o.kind is _K.FINANCIAL_INSTITUTION and o.pref != DEMO_PREF
    )
    for row in ctx.plan.rows[SupportOrganization]:
        if isinstance(row, SupportOrganization) and row.id == suspended.id:
            row.suspended_from = ctx.today - timedelta(days=40)
            row.suspended_until = ctx.today + timedelta(days=140)
            row.suspension_reason = "派遣実績の不正な報告に関与したため、新規の派遣申請を停止。"
    ctx.orgs.remove(suspended)  # its staff keep their accounts


def _organisation(
    ctx: DemoContext,
    place: Place,
    pref_name: str,
    kind: OrganizationKind,
    platform_id: int,
    platform_name: str,
) -> None:
    org_id = ctx.ids.next(SupportOrganization)
    city = place.cities[0]
    ctx.plan.add(
        SupportOrganization(
            id=org_id,
            name=_org_name(kind, place, pref_name),
            kind=kind,
            prefecture_id=place.pref,
            platform_id=platform_id,
            email=f"org{org_id:03d}@example.jp",
            phone=f"{city.area_code}-{ctx.rng.randint(200, 899)}-{ctx.rng.randint(1000, 9999)}",
            address=f"{pref_name}{city.name}{city.town}{ctx.rng.randint(1, 5)}-"
            f"{ctx.rng.randint(1, 20)}-{ctx.rng.randint(1, 30)}",
            created_at=at(ctx.today - timedelta(days=1100), 10),
        )
    )
    info = OrgInfo(
        org_id, _org_name(kind, place, pref_name), kind, place.pref, platform_id, platform_name
    )
    is_demo = place.pref == DEMO_PREF and kind in (_K.YOROZU, _K.CHAMBER)
    if is_demo and kind is _K.YOROZU:
        ctx.demo_org = org_id
        name, _ = person(ctx)
        info.staff.append(
            account(
                ctx,
                "platform@example.jp",
                Role.PLATFORM,
                name,
                organization_id=org_id,
                is_org_admin=True,
            )
        )
    if is_demo and kind is _K.CHAMBER:
        ctx.coordinator_org = org_id
        name, _ = person(ctx)
        info.staff.append(
            account(
                ctx,
                "coordinator@example.jp",
                Role.PLATFORM,
                name,
                organization_id=org_id,
                platform_scope=PlatformScope.PLATFORM,
            )
        )
    name, _ = person(ctx)
    info.staff.append(
        account(
            ctx,
            f"staff{org_id:03d}@example.jp",
            Role.PLATFORM,
            name,
            organization_id=org_id,
            is_org_admin=not is_demo,
        )
    )
    ctx.orgs.append(info)
