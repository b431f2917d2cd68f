"""Regional platforms (地域PF) and support organisations (支援機関)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.rules.organisations import OrganizationKind

if TYPE_CHECKING:
    from models.geo import Prefecture


class RegionalPlatform(Model):
    """A named consortium of support organisations, typically one or a few per prefecture."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)
    prefecture: fields.ForeignKeyRelation[Prefecture] = fields.ForeignKeyField(
        "models.Prefecture", related_name="platforms", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "regional_platform"


class SupportOrganization(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, db_index=True)
    kind = fields.CharEnumField(OrganizationKind, max_length=32)
    prefecture: fields.ForeignKeyRelation[Prefecture] = fields.ForeignKeyField(
        "models.Prefecture", related_name="organizations", on_delete=fields.RESTRICT
    )
    platform: fields.ForeignKeyNullableRelation[RegionalPlatform] = fields.ForeignKeyField(
        "models.RegionalPlatform",
        related_name="organizations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    email = fields.CharField(max_length=128, default="")
    phone = fields.CharField(max_length=32, default="")
    address = fields.CharField(max_length=255, default="")
    # Fraud control (domain.md §7.4): a suspended organisation cannot file new requests.
    suspended_from = fields.DateField(null=True)
    suspended_until = fields.DateField(null=True)
    suspension_reason = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "support_organization"
