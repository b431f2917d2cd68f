"""Dispatch cases (派遣依頼): the request, its slots, its status with version, its audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.case_status import CaseStatus, SlotKind

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.companies import Company
    from models.geo import RegionalOffice
    from models.masters import CancelCategory, DeclineReason, IssueCategory
    from models.organisations import RegionalPlatform, SupportOrganization
    from models.specialists import Specialist


class DispatchCase(Model):
    id = fields.IntField(primary_key=True)
    # 派遣依頼予約番号, e.g. "2026-000123" (FY + sequence within the FY).
    reservation_number = fields.CharField(max_length=16, unique=True)
    fiscal_year = fields.SmallIntField(db_index=True)
    received_at = fields.DatetimeField(db_index=True)  # 受付日時
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "models.Company", related_name="cases", on_delete=fields.RESTRICT
    )
    specialist: fields.ForeignKeyRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="cases", on_delete=fields.RESTRICT
    )
    filed_by: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="filed_cases", on_delete=fields.RESTRICT
    )
    # 代理申請: the filing organisation and its regional platform (NULL when a company files itself).
    filing_organization: fields.ForeignKeyNullableRelation[SupportOrganization] = (
        fields.ForeignKeyField(
            "models.SupportOrganization",
            related_name="filed_cases",
            null=True,
            on_delete=fields.RESTRICT,
        )
    )
    platform: fields.ForeignKeyNullableRelation[RegionalPlatform] = fields.ForeignKeyField(
        "models.RegionalPlatform", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    # The office that coordinates, reviews and pays: that of the company's prefecture.
    office: fields.ForeignKeyRelation[RegionalOffice] = fields.ForeignKeyField(
        "models.RegionalOffice", related_name="cases", on_delete=fields.RESTRICT
    )
    title = fields.CharField(max_length=200)
    description = fields.TextField()
    location_name = fields.CharField(max_length=200, default="")
    location_address = fields.CharField(max_length=255, default="")
    location_lat = fields.FloatField(null=True)
    location_lng = fields.FloatField(null=True)
    comment = fields.TextField(default="")
    self_requested = fields.BooleanField(default=False)  # ineligibility rule 4
    status = fields.CharEnumField(CaseStatus, max_length=24, db_index=True)
    version = fields.IntField(default=1)
    # The fixed dispatch window (決定日時) once CONFIRMED.
    dispatch_start = fields.DatetimeField(null=True, db_index=True)
    dispatch_end = fields.DatetimeField(null=True)
    dispatch_date = fields.DateField(null=True)  # Asia/Tokyo business date of dispatch_start
    # Decline (辞退): category for all, free text for the secretariat only, comment to requester.
    decline_reason: fields.ForeignKeyNullableRelation[DeclineReason] = fields.ForeignKeyField(
        "models.DeclineReason", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    decline_reason_text = fields.TextField(default="")
    decline_comment = fields.TextField(default="")
    cancel_category: fields.ForeignKeyNullableRelation[CancelCategory] = fields.ForeignKeyField(
        "models.CancelCategory", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    cancel_reason = fields.TextField(default="")
    proposal_comment = fields.TextField(default="")
    evaluated = fields.BooleanField(default=False, db_index=True)
    # Search support: space-separated character bigrams of title, description and report text,
    # indexed with GIN on PostgreSQL (two-kanji terms are beyond pg_trgm).
    search_text = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    issue_categories: fields.ManyToManyRelation[IssueCategory] = fields.ManyToManyField(
        "models.IssueCategory", related_name="cases", through="case_issue_category"
    )

    class Meta:
        table = "dispatch_case"
        indexes = (
            ("fiscal_year", "received_at"),
            ("specialist_id", "status"),
            ("company_id", "fiscal_year"),
            ("office_id", "status"),
            ("filing_organization_id", "received_at"),
            ("platform_id", "received_at"),
        )
        constraints = (
            CheckConstraint(check="version >= 1", name="ck_case_version"),
            CheckConstraint(
                check="dispatch_end IS NULL OR dispatch_end > dispatch_start",
                name="ck_case_dispatch_window",
            ),
            CheckConstraint(
                check="location_lat IS NULL OR (location_lat BETWEEN -90 AND 90)",
                name="ck_case_lat",
            ),
            CheckConstraint(
                check="location_lng IS NULL OR (location_lng BETWEEN -180 AND 180)",
                name="ck_case_lng",
            ),
        )


class CaseSlot(Model):
    """A date-time slot: a requester's candidate, a specialist's proposal or a secretariat fix."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[DispatchCase] = fields.ForeignKeyField(
        "models.DispatchCase", related_name="slots", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(SlotKind, max_length=16)
    position = fields.SmallIntField()
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    round = fields.SmallIntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "case_slot"
        unique_together = (("case", "kind", "round", "position"),)
        constraints = (
            CheckConstraint(check='"end" > "start"', name="ck_slot_window"),
            CheckConstraint(check="position BETWEEN 1 AND 3", name="ck_slot_position"),
        )


class CaseEvent(Model):
    """Append-only audit of one case: who, when, from, to, payload, comment (domain.md §4.3)."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[DispatchCase] = fields.ForeignKeyField(
        "models.DispatchCase", related_name="events", on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField(auto_now_add=True)
    actor: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="case_events", null=True, on_delete=fields.RESTRICT
    )
    actor_role = fields.CharField(max_length=16, default="SYSTEM")
    action = fields.CharField(max_length=32)
    from_status = fields.CharEnumField(CaseStatus, max_length=24, null=True)
    to_status = fields.CharEnumField(CaseStatus, max_length=24, null=True)
    version = fields.IntField()
    payload: dict[str, Any] = fields.JSONField(default={})
    # Parts of the payload only the secretariat may read (e.g. the free-text decline reason).
    secret_payload: dict[str, Any] = fields.JSONField(default={})
    comment = fields.TextField(default="")

    class Meta:
        table = "case_event"
        indexes = (("case_id", "at"),)


class ReservationCounter(Model):
    """Per-fiscal-year sequence behind reservation numbers (incremented under a row lock)."""

    fiscal_year = fields.SmallIntField(primary_key=True)
    last_sequence = fields.IntField(default=0)

    class Meta:
        table = "reservation_counter"
