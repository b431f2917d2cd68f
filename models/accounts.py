"""User accounts, browser sessions and refresh tokens.

An account has exactly one role and one organisation link (domain.md §1); scoping is derived from
that link, never from what a client sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.roles import PlatformScope, Role

if TYPE_CHECKING:
    from models.companies import Company
    from models.geo import RegionalOffice
    from models.organisations import SupportOrganization
    from models.specialists import Specialist


class UserAccount(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255, default="")
    display_name = fields.CharField(max_length=64)
    role = fields.CharEnumField(Role, max_length=16, db_index=True)
    specialist: fields.ForeignKeyNullableRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    company: fields.ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "models.Company", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    organization: fields.ForeignKeyNullableRelation[SupportOrganization] = fields.ForeignKeyField(
        "models.SupportOrganization", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    # Secretariat staff: their regional office; NULL with role SECRETARIAT = national admin.
    office: fields.ForeignKeyNullableRelation[RegionalOffice] = fields.ForeignKeyField(
        "models.RegionalOffice", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    platform_scope = fields.CharEnumField(
        PlatformScope, max_length=16, default=PlatformScope.ORGANIZATION
    )
    is_org_admin = fields.BooleanField(default=False)
    is_active = fields.BooleanField(default=True)
    failed_logins = fields.SmallIntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    last_login_at = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_account"
        constraints = (
            CheckConstraint(
                check=(
                    "(role = 'SPECIALIST' AND specialist_id IS NOT NULL AND company_id IS NULL"
                    " AND organization_id IS NULL AND office_id IS NULL)"
                    " OR (role = 'COMPANY' AND company_id IS NOT NULL AND specialist_id IS NULL"
                    " AND organization_id IS NULL AND office_id IS NULL)"
                    " OR (role IN ('PLATFORM', 'PARTNER') AND organization_id IS NOT NULL"
                    " AND specialist_id IS NULL AND company_id IS NULL AND office_id IS NULL)"
                    " OR (role = 'SECRETARIAT' AND specialist_id IS NULL AND company_id IS NULL"
                    " AND organization_id IS NULL)"
                ),
                name="ck_account_one_link",
            ),
        )


class Session(Model):
    """A browser session (HttpOnly cookie). Only the SHA-256 of the cookie value is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    user_agent = fields.CharField(max_length=255, default="")

    class Meta:
        table = "session"


class RefreshToken(Model):
    """Rotating refresh token of a mobile client, reuse of a rotated token revokes its family."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    family = fields.CharField(max_length=32, db_index=True)
    account: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_token"
