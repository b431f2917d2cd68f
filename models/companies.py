"""Companies (企業): the SMEs specialists are dispatched to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.geo import Prefecture
    from models.masters import Industry
    from models.organisations import SupportOrganization


class Company(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, db_index=True)
    name_kana = fields.CharField(max_length=128, default="")
    # Mirasapo-era member user name (ミラサポ会員登録時のユーザー名), distinct from the company name.
    user_name = fields.CharField(max_length=64, default="", db_index=True)
    corporate_number = fields.CharField(max_length=13, null=True, unique=True)
    prefecture: fields.ForeignKeyRelation[Prefecture] = fields.ForeignKeyField(
        "models.Prefecture", related_name="companies", on_delete=fields.RESTRICT
    )
    postal_code = fields.CharField(max_length=8, default="")
    address = fields.CharField(max_length=255, default="")
    representative = fields.CharField(max_length=64, default="")
    industry: fields.ForeignKeyNullableRelation[Industry] = fields.ForeignKeyField(
        "models.Industry", related_name="companies", null=True, on_delete=fields.SET_NULL
    )
    employee_count = fields.IntField(null=True)
    capital_yen = fields.BigIntField(null=True)
    phone = fields.CharField(max_length=32, default="")
    # Registered by a support organisation (119 era) or self-registered (null).
    registered_by: fields.ForeignKeyNullableRelation[SupportOrganization] = fields.ForeignKeyField(
        "models.SupportOrganization",
        related_name="registered_companies",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "company"
        constraints = (
            CheckConstraint(
                check="employee_count IS NULL OR employee_count >= 0", name="ck_company_employees"
            ),
            CheckConstraint(
                check="capital_yen IS NULL OR capital_yen >= 0", name="ck_company_capital"
            ),
        )


class CompanyLimitException(Model):
    """Secretariat grant raising one company's yearly case limit by extra (domain.md §4.1)."""

    id = fields.IntField(primary_key=True)
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "models.Company", related_name="limit_exceptions", on_delete=fields.CASCADE
    )
    fiscal_year = fields.SmallIntField()
    extra = fields.SmallIntField()
    reason = fields.TextField()
    granted_by: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="granted_exceptions", on_delete=fields.RESTRICT
    )
    granted_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "company_limit_exception"
        indexes = (("company_id", "fiscal_year"),)
        constraints = (CheckConstraint(check="extra > 0", name="ck_limit_exception_extra"),)
