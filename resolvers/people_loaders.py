"""Batch functions for specialists and companies: one SQL statement per batch, scoped, masked.

By-specialist loaders are called for a specialist already in scope. What a specialist hides from
companies (表示項目選択) is applied from ``display_items`` joined into the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.functions import Count, Sum

from auth.principal import Principal
from auth.scoping import (
    can_see_bank_account,
    can_see_masked_bank_account,
    company_scope,
    specialist_scope,
    visible_profile_fields,
)
from models.bank import decrypt_bank_account
from models.companies import Company
from models.evaluations import Evaluation
from models.geo import Prefecture
from models.masters import Industry, IssueCategory
from models.rules.evaluation import average
from models.rules.roles import Role
from models.specialists import (
    Commission,
    Specialist,
    SpecialistBasis,
    SpecialistHoliday,
    SpecialistQualification,
)
from resolvers.batching import Row, columns, distinct, int_keys, many_per_key, one_per_key
from resolvers.people_rows import COMPANY_FIELDS, SPECIALIST_FIELDS, mask_specialist_row

SCORES = ("satisfaction", "expertise", "clarity", "responsiveness")
BANK_FIELDS = (
    "bank_code",
    "bank_name",
    "branch_code",
    "branch_name",
    "account_type",
    "account_number",
    "holder_kana",
)


def _private_items_hidden(principal: Principal) -> bool:
    """Registration evidence and commissions are not part of a company's or partner's view."""
    return principal.role in (Role.COMPANY, Role.PARTNER)


def _shown(principal: Principal, rows: list[Row], item: str) -> list[Row]:
    """Drop rows of specialists hiding ``item`` from this viewer; pops the joined display items."""
    shown = []
    for row in rows:
        display = row.pop("_display_items")
        if item in visible_profile_fields(principal, {"display_items": display}):
            shown.append(row)
    return shown


async def load_specialists(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    ids = int_keys(keys)
    rows = await Specialist.filter(specialist_scope(principal), id__in=distinct(ids)).values(
        *SPECIALIST_FIELDS
    )
    return one_per_key((mask_specialist_row(principal, row) for row in rows), ids)


async def load_companies(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    ids = int_keys(keys)
    rows = await Company.filter(company_scope(principal), id__in=distinct(ids)).values(
        *COMPANY_FIELDS
    )
    return one_per_key(rows, ids)


async def load_qualifications_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[list[Row]]:
    """Qualifications held (with the master row's name); certificates only for the full profile."""
    ids = int_keys(keys)
    rows = (
        await SpecialistQualification.filter(specialist_id__in=distinct(ids))
        .order_by("qualification__sort_order", "id")
        .values(
            *columns(SpecialistQualification),
            qualification_name="qualification__name",
            qualification_code="qualification__code",
            _display_items="specialist__display_items",
        )
    )
    rows = _shown(principal, rows, "QUALIFICATIONS")
    if _private_items_hidden(principal):
        for row in rows:
            row["certificate_id"] = None
    return many_per_key(rows, ids, "specialist_id")


async def load_bases_by_specialist(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    ids = int_keys(keys)
    if _private_items_hidden(principal):
        return [[] for _ in ids]
    rows = (
        await SpecialistBasis.filter(specialist_id__in=distinct(ids))
        .order_by("basis")
        .values(*columns(SpecialistBasis))
    )
    return many_per_key(rows, ids, "specialist_id")


async def load_expertise_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[list[Row]]:
    """Issue categories the specialist covers (専門分野; always shown, search depends on it)."""
    ids = int_keys(keys)
    rows = await IssueCategory.filter(specialists__id__in=distinct(ids)).values(
        *columns(IssueCategory), specialist_id="specialists__id"
    )
    return many_per_key(rows, ids, "specialist_id")


async def load_industries_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[list[Row]]:
    ids = int_keys(keys)
    rows = await Industry.filter(specialists__id__in=distinct(ids)).values(
        *columns(Industry),
        specialist_id="specialists__id",
        _display_items="specialists__display_items",
    )
    return many_per_key(_shown(principal, rows, "INDUSTRIES"), ids, "specialist_id")


async def load_areas_by_specialist(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """Prefectures the specialist covers (対応可能地域)."""
    ids = int_keys(keys)
    rows = await Prefecture.filter(covering_specialists__id__in=distinct(ids)).values(
        *columns(Prefecture),
        specialist_id="covering_specialists__id",
        _display_items="covering_specialists__display_items",
    )
    return many_per_key(_shown(principal, rows, "AREAS"), ids, "specialist_id")


async def load_holidays_by_specialist(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    ids = int_keys(keys)
    rows = (
        await SpecialistHoliday.filter(specialist_id__in=distinct(ids))
        .order_by("date")
        .values(*columns(SpecialistHoliday))
    )
    return many_per_key(rows, ids, "specialist_id")


async def load_commissions_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[list[Row]]:
    ids = int_keys(keys)
    if _private_items_hidden(principal):
        return [[] for _ in ids]
    rows = (
        await Commission.filter(specialist_id__in=distinct(ids))
        .order_by("fiscal_year")
        .values(*columns(Commission))
    )
    return many_per_key(rows, ids, "specialist_id")


async def load_evaluation_summary_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[Row | None]:
    """Count and averages of every evaluation of the specialist, rounded half up to one decimal
    from integer sums (models.rules.evaluation.average); ``overall`` is the average of all four
    scores. None for a company when the specialist hides EVALUATIONS. One GROUP BY statement
    (a company's view adds one statement for the display items)."""
    ids = int_keys(keys)
    wanted = distinct(ids)
    rows = (
        await Evaluation.filter(specialist_id__in=wanted)
        .group_by("specialist_id")
        .annotate(count=Count("id"), **{f"sum_{s}": Sum(s) for s in SCORES})
        .values("specialist_id", "count", *(f"sum_{s}" for s in SCORES))
    )
    found = {row["specialist_id"]: row for row in rows}
    hidden: set[int] = set()
    if principal.role is Role.COMPANY:
        displays = await Specialist.filter(id__in=wanted).values("id", "display_items")
        hidden = {
            d["id"] for d in displays if "EVALUATIONS" not in visible_profile_fields(principal, d)
        }
    result: list[Row | None] = []
    for key in ids:
        if key in hidden:
            result.append(None)
            continue
        row = found.get(key)
        count = int(row["count"]) if row else 0
        sums = {s: int(row[f"sum_{s}"] or 0) if row else 0 for s in SCORES}
        averages = {s: average(sums[s], count) for s in SCORES}
        overall = average(sum(sums.values()), count * len(SCORES))
        result.append({"count": count, **averages, "overall": overall})
    return result


async def load_bank_account_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[Row | None]:
    """The bank account: decrypted only for the specialist itself and the secretariat; platform
    staff get every field blank except ``account_number`` "****123" (``masked`` True); companies
    and partner tokens get None, as does a specialist without an account."""
    ids = int_keys(keys)
    full = principal.role in (Role.SPECIALIST, Role.SECRETARIAT)
    if not full and not can_see_masked_bank_account(principal):
        return [None for _ in ids]
    wanted = [key for key in distinct(ids) if not full or can_see_bank_account(principal, key)]
    if not wanted:
        return [None for _ in ids]
    columns = ["id", "bank_account_last3"]
    if full:
        columns.append("bank_account_ciphertext")
    rows = await Specialist.filter(
        specialist_scope(principal),
        id__in=wanted,
        bank_account_ciphertext__isnull=False,
    ).values(*columns)
    accounts: list[Row] = []
    for row in rows:
        if full:
            plain = decrypt_bank_account(bytes(row["bank_account_ciphertext"]))
            account = {name: getattr(plain, name) for name in BANK_FIELDS}
            accounts.append({"id": row["id"], **account, "masked": False})
        else:
            blank = dict.fromkeys(BANK_FIELDS, "")
            number = f"****{row['bank_account_last3']}"
            accounts.append({"id": row["id"], **blank, "account_number": number, "masked": True})
    return one_per_key(accounts, ids)
