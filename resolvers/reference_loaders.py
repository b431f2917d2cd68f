"""Batch functions for reference data: readable by every authenticated principal, one statement.

An anonymous principal gets nothing and causes no SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auth.principal import Principal
from models.accounts import UserAccount
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture, RegionalOffice
from models.masters import Industry, IssueCategory, Qualification
from models.organisations import RegionalPlatform, SupportOrganization
from resolvers.batching import Row, columns, distinct, int_keys, many_per_key, one_per_key
from resolvers.people_rows import ORGANIZATION_FIELDS, mask_organization_row

#: What any signed-in viewer may know of another account (case history, evaluators).
ACCOUNT_FIELDS = ("id", "display_name", "role")


async def _by_id(
    principal: Principal, model: Any, keys: Sequence[int], column: str = "id"
) -> list[Row | None]:
    ids = int_keys(keys)
    if not principal.authenticated:
        return [None for _ in ids]
    criteria = {f"{column}__in": distinct(ids)}
    rows = await model.filter(**criteria).values(*columns(model))
    return one_per_key(rows, ids, column)


async def load_organizations(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Support organisations; the suspension reason is blank except for the secretariat."""
    ids = int_keys(keys)
    if not principal.authenticated:
        return [None for _ in ids]
    rows = await SupportOrganization.filter(id__in=distinct(ids)).values(*ORGANIZATION_FIELDS)
    return one_per_key((mask_organization_row(principal, row) for row in rows), ids)


async def load_platforms(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    return await _by_id(principal, RegionalPlatform, keys)


async def load_offices(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    return await _by_id(principal, RegionalOffice, keys)


async def load_prefectures(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    return await _by_id(principal, Prefecture, keys)


async def load_fiscal_configs(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Fiscal-year settings keyed by the fiscal year (e.g. 2025)."""
    return await _by_id(principal, FiscalYearConfig, keys, "fiscal_year")


async def load_issue_categories(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    return await _by_id(principal, IssueCategory, keys)


async def load_qualifications(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    return await _by_id(principal, Qualification, keys)


async def load_industries(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    return await _by_id(principal, Industry, keys)


async def load_accounts(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Display name and role only (never e-mail, links or login data)."""
    ids = int_keys(keys)
    if not principal.authenticated:
        return [None for _ in ids]
    rows = await UserAccount.filter(id__in=distinct(ids)).values(*ACCOUNT_FIELDS)
    return one_per_key(rows, ids)


async def load_prefectures_by_office(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    ids = int_keys(keys)
    if not principal.authenticated:
        return [[] for _ in ids]
    rows = await Prefecture.filter(office_id__in=distinct(ids)).values(*columns(Prefecture))
    return many_per_key(rows, ids, "office_id")
