"""Plain rows of specialists, companies and organisations, and their per-viewer masks."""

from __future__ import annotations

from typing import Any

from auth.principal import Principal
from auth.scoping import can_see_private_profile, can_see_suspension_reason, visible_profile_fields

#: Specialist columns (the bank-account ciphertext is never part of a row).
SPECIALIST_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "name_kana",
    "email",
    "phone",
    "prefecture_id",
    "postal_code",
    "address",
    "career",
    "registration_status",
    "recommending_org_id",
    "terms_consented_at",
    "submitted_at",
    "registered_at",
    "status_reason",
    "accepting_requests",
    "display_items",
    "available_from_min",
    "available_to_min",
    "days_off",
    "off_on_national_holidays",
    "receives_public_subsidy",
    "created_at",
    "updated_at",
)

#: Blanked for viewers without the full profile (companies, partner tokens).
PRIVATE_SPECIALIST_FIELDS: dict[str, Any] = {
    "email": "",
    "phone": "",
    "postal_code": "",
    "address": "",
    "status_reason": "",
    "terms_consented_at": None,
    "submitted_at": None,
    "recommending_org_id": None,
    "receives_public_subsidy": None,
}

COMPANY_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "name_kana",
    "user_name",
    "corporate_number",
    "prefecture_id",
    "postal_code",
    "address",
    "representative",
    "industry_id",
    "employee_count",
    "capital_yen",
    "phone",
    "registered_by_id",
    "created_at",
    "updated_at",
)

ORGANIZATION_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "prefecture_id",
    "platform_id",
    "email",
    "phone",
    "address",
    "suspended_from",
    "suspended_until",
    "suspension_reason",
    "created_at",
)


def mask_specialist_row(principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """Contact data and registration internals only for the full profile (§11); a company sees
    the career text only if the specialist shows it (表示項目選択)."""
    if not can_see_private_profile(principal, row["id"]):
        row.update(PRIVATE_SPECIALIST_FIELDS)
    if "CAREER" not in visible_profile_fields(principal, row):
        row["career"] = ""
    return row


def mask_organization_row(principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """The suspension reason is for the secretariat only."""
    if not can_see_suspension_reason(principal):
        row["suspension_reason"] = ""
    return row
