"""Idempotency keys of the money and filing mutations (security.md reliability 4).

One row per (principal, key) whose mutation succeeded: a retry with the same key and the same
input replays ``response`` instead of running again. Rows of refused attempts are never stored.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class IdempotencyKey(Model):
    """Idempotency key of one principal with the stored result of the mutation it guarded.

    principal is the signed-in party (account:ID, or token:ID for an API token), fingerprint the
    sha256 of the canonical JSON of the input without the key, response the ids needed to re-read
    the payload. Expired rows count as absent and are purged by a background loop.
    """

    id = fields.BigIntField(primary_key=True)
    principal = fields.CharField(max_length=40)
    key = fields.CharField(max_length=100)
    operation = fields.CharField(max_length=64)
    fingerprint = fields.CharField(max_length=64)
    response: dict[str, Any] = fields.JSONField(default={})
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_key"
        unique_together = (("principal", "key"),)
