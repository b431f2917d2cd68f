"""Batch functions of the registration side of a specialist: photo, commission facts per fiscal
year, affiliations. One statement per batch; called for specialists already in scope.

* The photo is the newest PHOTO document linked to the specialist (not to a case); a company
  sees it only when the specialist shows PHOTO (表示項目選択).
* Commission facts (terms accepted, letter issued, acceptance received — booleans per fiscal
  year) are what ``registrationStatus(fiscalYear:)`` and ``dispatchable`` derive from; every
  viewer of the specialist may know whether it can be requested, so they are not masked (the
  commission's dates stay in ``commissions``, hidden from companies and partner tokens).
* Affiliations (salary, membership: ineligibility rules 2 and 3) belong to the full profile:
  the specialist, platform staff and the secretariat.
"""

from __future__ import annotations

from collections.abc import Sequence

from auth.principal import Principal
from auth.scoping import can_see_private_profile, visible_profile_fields
from models.documents import Document
from models.rules.money_kinds import DocumentKind
from models.specialists import Commission, SpecialistAffiliation
from resolvers.batching import Row, columns, distinct, int_keys, many_per_key, one_per_key


async def load_photo_by_specialist(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    ids = int_keys(keys)
    wanted = distinct(ids)
    if not wanted:
        return [None for _ in ids]
    rows = (
        await Document.filter(
            specialist_id__in=wanted, kind=DocumentKind.PHOTO, case_id__isnull=True
        )
        .exclude(sha256="")
        .order_by("-id")
        .values(*columns(Document), _display_items="specialist__display_items")
    )
    newest: dict[int, Row] = {}
    for row in rows:
        display = row.pop("_display_items")
        owner = int(row["specialist_id"])
        if owner in newest:
            continue
        if "PHOTO" in visible_profile_fields(principal, {"display_items": display}):
            newest[owner] = row
    return one_per_key(newest.values(), ids, "specialist_id")


async def load_commission_facts_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[list[Row]]:
    ids = int_keys(keys)
    wanted = distinct(ids)
    if not wanted:
        return [[] for _ in ids]
    rows = await Commission.filter(specialist_id__in=wanted).values(
        "specialist_id",
        "fiscal_year",
        "terms_accepted_at",
        "letter_issued_at",
        "acceptance_received_at",
    )
    facts = [
        {
            "specialist_id": row["specialist_id"],
            "fiscal_year": int(row["fiscal_year"]),
            "terms_accepted": row["terms_accepted_at"] is not None,
            "letter_issued": row["letter_issued_at"] is not None,
            "acceptance_received": row["acceptance_received_at"] is not None,
        }
        for row in rows
    ]
    return many_per_key(facts, ids, "specialist_id")


async def load_affiliations_by_specialist(
    principal: Principal, keys: Sequence[int]
) -> list[list[Row]]:
    ids = int_keys(keys)
    visible = [key for key in distinct(ids) if can_see_private_profile(principal, key)]
    if not visible:
        return [[] for _ in ids]
    rows = (
        await SpecialistAffiliation.filter(specialist_id__in=visible)
        .order_by("id")
        .values(*columns(SpecialistAffiliation))
    )
    return many_per_key(rows, ids, "specialist_id")
