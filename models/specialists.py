"""Specialists (専門家): profile, requirements, availability, affiliations, commission, bank account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.registration_status import Basis, RegistrationStatus

if TYPE_CHECKING:
    from models.documents import Document
    from models.geo import Prefecture
    from models.masters import Industry, IssueCategory, Qualification
    from models.organisations import SupportOrganization


class Specialist(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, db_index=True)
    name_kana = fields.CharField(max_length=64, default="", db_index=True)
    email = fields.CharField(max_length=128, default="")
    phone = fields.CharField(max_length=32, default="")
    prefecture: fields.ForeignKeyRelation[Prefecture] = fields.ForeignKeyField(
        "models.Prefecture", related_name="resident_specialists", on_delete=fields.RESTRICT
    )
    postal_code = fields.CharField(max_length=8, default="")
    address = fields.CharField(max_length=255, default="")
    career = fields.TextField(default="")
    # The photo is the newest Document of kind PHOTO with this specialist (no FK back: no cycle).
    # Registration up to REGISTERED (and the exits REJECTED / REVOKED / WITHDRAWN); the per-FY
    # states TERMS_ACCEPTED and ACTIVE are derived from the Commission rows (domain.md §3).
    registration_status = fields.CharEnumField(
        RegistrationStatus, max_length=32, default=RegistrationStatus.DRAFT, db_index=True
    )
    recommending_org: fields.ForeignKeyNullableRelation[SupportOrganization] = (
        fields.ForeignKeyField(
            "models.SupportOrganization",
            related_name="recommended_specialists",
            null=True,
            on_delete=fields.SET_NULL,
        )
    )
    terms_consented_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    registered_at = fields.DatetimeField(null=True)
    status_reason = fields.TextField(default="")
    # Availability settings (seed 000 プロフィール変更).
    accepting_requests = fields.BooleanField(default=True)
    display_items: list[Any] = fields.JSONField(
        default=["PHOTO", "CAREER", "INDUSTRIES", "AREAS", "QUALIFICATIONS", "EVALUATIONS"]
    )
    available_from_min = fields.SmallIntField(default=9 * 60)
    available_to_min = fields.SmallIntField(default=17 * 60)
    days_off: list[Any] = fields.JSONField(default=[5, 6])  # weekday numbers, Monday = 0
    off_on_national_holidays = fields.BooleanField(default=True)
    # Honorarium eligibility rule 1 (seed 002).
    receives_public_subsidy = fields.BooleanField(default=False)
    # Bank account (secret): AES-GCM ciphertext of the JSON document; last 3 digits for masking.
    bank_account_ciphertext = fields.BinaryField(null=True)
    bank_account_last3 = fields.CharField(max_length=3, default="")
    bank_account_updated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    expertise: fields.ManyToManyRelation[IssueCategory] = fields.ManyToManyField(
        "models.IssueCategory", related_name="specialists", through="specialist_expertise"
    )
    industries: fields.ManyToManyRelation[Industry] = fields.ManyToManyField(
        "models.Industry", related_name="specialists", through="specialist_industry"
    )
    areas: fields.ManyToManyRelation[Prefecture] = fields.ManyToManyField(
        "models.Prefecture", related_name="covering_specialists", through="specialist_area"
    )

    class Meta:
        table = "specialist"
        constraints = (
            CheckConstraint(
                check="available_from_min >= 0 AND available_to_min <= 1440 "
                "AND available_from_min < available_to_min",
                name="ck_specialist_hours",
            ),
        )


class SpecialistQualification(Model):
    id = fields.IntField(primary_key=True)
    specialist: fields.ForeignKeyRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="qualifications", on_delete=fields.CASCADE
    )
    qualification: fields.ForeignKeyRelation[Qualification] = fields.ForeignKeyField(
        "models.Qualification", related_name="holders", on_delete=fields.RESTRICT
    )
    other_name = fields.CharField(max_length=64, default="")
    certificate: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="certificate_of", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "specialist_qualification"
        unique_together = (("specialist", "qualification", "other_name"),)


class SpecialistBasis(Model):
    """One registration basis ア–エ with its evidence text."""

    id = fields.IntField(primary_key=True)
    specialist: fields.ForeignKeyRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="bases", on_delete=fields.CASCADE
    )
    basis = fields.CharEnumField(Basis, max_length=1)
    description = fields.TextField()

    class Meta:
        table = "specialist_basis"
        unique_together = (("specialist", "basis"),)


class SpecialistHoliday(Model):
    """休日登録: a single date the specialist cannot be requested for."""

    id = fields.IntField(primary_key=True)
    specialist: fields.ForeignKeyRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="holidays", on_delete=fields.CASCADE
    )
    date = fields.DateField()

    class Meta:
        table = "specialist_holiday"
        unique_together = (("specialist", "date"),)


class SpecialistAffiliation(Model):
    """Affiliation with a support organisation, used by ineligibility rules 2 and 3 (seed 002)."""

    id = fields.IntField(primary_key=True)
    specialist: fields.ForeignKeyRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="affiliations", on_delete=fields.CASCADE
    )
    organization: fields.ForeignKeyRelation[SupportOrganization] = fields.ForeignKeyField(
        "models.SupportOrganization",
        related_name="affiliated_specialists",
        on_delete=fields.CASCADE,
    )
    pays_salary = fields.BooleanField(default=False)
    is_member = fields.BooleanField(default=False)

    class Meta:
        table = "specialist_affiliation"
        unique_together = (("specialist", "organization"),)


class Commission(Model):
    """委嘱 of one fiscal year: terms accepted → letter issued → 就任承諾書 received (= ACTIVE)."""

    id = fields.IntField(primary_key=True)
    specialist: fields.ForeignKeyRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="commissions", on_delete=fields.CASCADE
    )
    fiscal_year = fields.SmallIntField()
    terms_accepted_at = fields.DatetimeField(null=True)
    letter_issued_at = fields.DatetimeField(null=True)
    acceptance_received_at = fields.DatetimeField(null=True)
    acceptance_document: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="acceptance_of", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "commission"
        unique_together = (("specialist", "fiscal_year"),)
