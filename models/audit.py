"""Append-only security audit trail (security.md §7).

The database refuses UPDATE and DELETE on this table (a trigger added by a migration), so the
trail holds even against a superuser connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import UserAccount


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="audit_events", null=True, on_delete=fields.RESTRICT
    )
    actor_role = fields.CharField(max_length=16, default="")
    action = fields.CharField(max_length=64, db_index=True)
    outcome = fields.CharField(max_length=16, default="success")
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    request_id = fields.CharField(max_length=64, default="")
    detail: dict[str, Any] = fields.JSONField(default={})

    class Meta:
        table = "audit_event"
