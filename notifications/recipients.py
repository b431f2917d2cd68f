"""Who receives a mail: the audiences of domain.md §8 resolved to addresses.

Audiences come from :mod:`models.rules.notifications`; the accounts behind them are read from the
case (specialist, filer, company members, platform coordinators of the case's platform, staff
of the case's regional office) or from the registration (the specialist, the recommending
organisation's staff, the office of the specialist's prefecture). Only active accounts receive
mail. Every account-based recipient of a case mail must see the case under the scoping rules
(:func:`auth.scoping.case_in_scope`), the same test the API applies, so a mail never tells
anyone about a case the API would hide from them.

Where a party has no account the contact address on its record is used (a specialist's e-mail,
the filing organisation's e-mail). One address receives one mail per event; the first audience
that names it decides the wording.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from auth.principal import Principal
from auth.scoping import case_in_scope
from models.accounts import UserAccount
from models.organisations import SupportOrganization
from models.rules.notifications import Audience
from models.rules.roles import PlatformScope, Role

logger = logging.getLogger("haken.notifications")

Row = Mapping[str, Any]

ACCOUNT_FIELDS: dict[str, str] = {
    "account_id": "id",
    "email": "email",
    "display_name": "display_name",
    "role": "role",
    "specialist_id": "specialist_id",
    "company_id": "company_id",
    "organization_id": "organization_id",
    "office_id": "office_id",
    "platform_scope": "platform_scope",
    "org_platform_id": "organization__platform_id",
    "org_name": "organization__name",
}


@dataclass(frozen=True)
class Recipient:
    """One address to mail: ``addressee`` is written before 様."""

    audience: Audience
    address: str
    addressee: str
    account_id: int | None = None


def principal_of(account: Row) -> Principal:
    """The principal an account signs in as (no credential): for the scope test."""
    return Principal(
        account_id=int(account["account_id"]),
        role=Role(account["role"]),
        display_name=str(account["display_name"]),
        specialist_id=account.get("specialist_id"),
        company_id=account.get("company_id"),
        organization_id=account.get("organization_id"),
        platform_id=account.get("org_platform_id"),
        office_id=account.get("office_id"),
        platform_scope=PlatformScope(account.get("platform_scope") or PlatformScope.ORGANIZATION),
    )


async def _accounts(where: Q) -> list[dict[str, Any]]:
    rows = await UserAccount.filter(where, is_active=True).order_by("id").values(**ACCOUNT_FIELDS)
    return [dict(row) for row in rows]


def _organizations_of_platform(platform_id: int) -> Subquery:
    return Subquery(SupportOrganization.filter(platform_id=platform_id).values("id"))


def with_affiliation(affiliation: str, name: str) -> str:
    """``"<organisation> <name>"`` unless the display name already names the organisation."""
    affiliation = affiliation.strip()
    if not affiliation or affiliation in name:
        return name
    return f"{affiliation} {name}"


def _addressee(account: Row, case: Row | None = None) -> str:
    role = Role(account["role"])
    name = str(account["display_name"])
    if role is Role.SPECIALIST:
        return str((case or {}).get("specialist_name") or name)
    if role is Role.COMPANY and case is not None:
        return with_affiliation(str(case.get("company_name") or ""), name)
    if role in (Role.PLATFORM, Role.PARTNER):
        return with_affiliation(str(account.get("org_name") or ""), name)
    if role is Role.SECRETARIAT and case is not None:
        return with_affiliation(str(case.get("office_name") or ""), name)
    return name


class _Collector:
    """Recipients in audience order, one per address (case-insensitive)."""

    def __init__(self, exclude_account: int | None) -> None:
        self.exclude_account = exclude_account
        self.found: list[Recipient] = []
        self.seen: set[str] = set()

    def add(self, audience: Audience, address: str, addressee: str, account: int | None) -> None:
        key = address.strip().lower()
        if not key or key in self.seen:
            return
        if account is not None and account == self.exclude_account:
            return
        self.seen.add(key)
        self.found.append(Recipient(audience, address.strip(), addressee, account))


async def case_recipients(
    case: Row, audiences: Sequence[Audience], *, exclude_account: int | None = None
) -> list[Recipient]:
    """The recipients of a case event for ``audiences`` (in that order).

    ``case`` is the row of :func:`notifications.fanout.load_case` (case columns, company,
    organisation, office and specialist names). ``exclude_account``: the actor of a cancellation.
    """
    if not audiences:
        return []
    where = (
        Q(specialist_id=case["specialist_id"], role=Role.SPECIALIST)
        | Q(company_id=case["company_id"], role=Role.COMPANY)
        | Q(id=case["filed_by_id"])
        | Q(office_id=case["office_id"], role=Role.SECRETARIAT)
    )
    if case.get("platform_id") is not None:
        where |= Q(
            role=Role.PLATFORM,
            platform_scope=PlatformScope.PLATFORM,
            organization_id__in=_organizations_of_platform(int(case["platform_id"])),
        )
    accounts = [a for a in await _accounts(where) if _sees(a, case)]
    by_audience = _case_accounts(case, accounts)
    collect = _Collector(exclude_account)
    for audience in audiences:
        for account in by_audience.get(audience, []):
            collect.add(
                audience, account["email"], _addressee(account, case), account["account_id"]
            )
        if audience is Audience.SPECIALIST and not by_audience.get(audience):
            collect.add(
                audience,
                str(case.get("specialist_email") or ""),
                str(case.get("specialist_name") or ""),
                None,
            )
        if audience is Audience.PLATFORM and case.get("filing_org_email"):
            org = str(case.get("filing_org_name") or "")
            collect.add(audience, str(case["filing_org_email"]), f"{org} ご担当者", None)
    return collect.found


def _sees(account: Row, case: Row) -> bool:
    if case_in_scope(principal_of(account), case):
        return True
    logger.warning(
        "notification skipped: account %s cannot see case %s", account["account_id"], case["id"]
    )
    return False


def _case_accounts(
    case: Row, accounts: Iterable[dict[str, Any]]
) -> dict[Audience, list[dict[str, Any]]]:
    grouped: dict[Audience, list[dict[str, Any]]] = {}

    def put(audience: Audience, account: dict[str, Any]) -> None:
        grouped.setdefault(audience, []).append(account)

    for account in accounts:
        role = Role(account["role"])
        if account["account_id"] == case["filed_by_id"]:
            put(Audience.FILER, account)
        if role is Role.SPECIALIST and account["specialist_id"] == case["specialist_id"]:
            put(Audience.SPECIALIST, account)
        if role is Role.COMPANY and account["company_id"] == case["company_id"]:
            put(Audience.COMPANY, account)
        if (
            role is Role.PLATFORM
            and account["platform_scope"] == PlatformScope.PLATFORM
            and case.get("platform_id") is not None
            and account.get("org_platform_id") == case["platform_id"]
        ):
            put(Audience.PLATFORM, account)
        if role is Role.SECRETARIAT and account["office_id"] == case["office_id"]:
            put(Audience.SECRETARIAT, account)
    return grouped


async def registration_recipients(
    specialist: Row, audiences: Sequence[Audience], organization_id: int | None
) -> list[Recipient]:
    """The recipients of a registration step: the specialist, the staff of the organisation that
    recommends (and approves) it, and the staff of the office of the specialist's prefecture."""
    where = Q(specialist_id=specialist["id"], role=Role.SPECIALIST) | Q(
        office_id=specialist["office_id"], role=Role.SECRETARIAT
    )
    if organization_id is not None:
        where |= Q(organization_id=organization_id, role=Role.PLATFORM)
    accounts = await _accounts(where)
    collect = _Collector(None)
    for audience in audiences:
        if audience is Audience.SPECIALIST:
            mine = [a for a in accounts if a["specialist_id"] == specialist["id"]]
            for account in mine:
                collect.add(
                    audience, account["email"], str(specialist["name"]), account["account_id"]
                )
            if not mine:
                collect.add(
                    audience, str(specialist.get("email") or ""), str(specialist["name"]), None
                )
        elif audience is Audience.ORGANIZATION and organization_id is not None:
            for account in accounts:
                if (
                    account["role"] == Role.PLATFORM
                    and account["organization_id"] == organization_id
                ):
                    collect.add(
                        audience, account["email"], _addressee(account), account["account_id"]
                    )
            if specialist.get("org_email") and specialist.get("org_id") == organization_id:
                org = str(specialist.get("org_name") or "")
                collect.add(audience, str(specialist["org_email"]), f"{org} ご担当者", None)
        elif audience is Audience.SECRETARIAT:
            for account in accounts:
                if (
                    account["role"] == Role.SECRETARIAT
                    and account["office_id"] == specialist["office_id"]
                ):
                    addressee = with_affiliation(
                        str(specialist.get("office_name") or ""), str(account["display_name"])
                    )
                    collect.add(audience, account["email"], addressee, account["account_id"])
    return collect.found


async def secretariat_recipients(office_id: int | None, office_name: str) -> list[Recipient]:
    """Staff of ``office_id`` (the national secretariat when ``None`` or when the office has no
    active staff): the addressees of operational alerts."""
    accounts: list[dict[str, Any]] = []
    if office_id is not None:
        accounts = await _accounts(Q(role=Role.SECRETARIAT, office_id=office_id))
    prefix = office_name
    if not accounts:
        accounts = await _accounts(Q(role=Role.SECRETARIAT, office_id__isnull=True))
        prefix = ""
    collect = _Collector(None)
    for account in accounts:
        name = with_affiliation(prefix, str(account["display_name"]))
        collect.add(Audience.SECRETARIAT, account["email"], name, account["account_id"])
    return collect.found
