"""Partner API tokens (api.md §14): only a hash and the last four characters are stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.geo import RegionalOffice
    from models.organisations import RegionalPlatform, SupportOrganization


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    token_hash = fields.CharField(max_length=64, unique=True)
    last4 = fields.CharField(max_length=4)
    scopes: list[Any] = fields.JSONField(default=[])
    organization: fields.ForeignKeyNullableRelation[SupportOrganization] = fields.ForeignKeyField(
        "models.SupportOrganization", related_name="api_tokens", null=True, on_delete=fields.CASCADE
    )
    platform: fields.ForeignKeyNullableRelation[RegionalPlatform] = fields.ForeignKeyField(
        "models.RegionalPlatform", related_name="api_tokens", null=True, on_delete=fields.CASCADE
    )
    office: fields.ForeignKeyNullableRelation[RegionalOffice] = fields.ForeignKeyField(
        "models.RegionalOffice", related_name="api_tokens", null=True, on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="created_tokens", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
