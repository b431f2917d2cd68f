"""Idempotency keys of the money and filing mutations (security.md reliability 4).

``idempotency_key``: one row per (principal, key) of a mutation that succeeded, with the request
fingerprint and the stored result a retry replays; ``expires_at`` is indexed for the purge loop.
"""

# ruff: noqa: RUF012 - Tortoise declares operations and dependencies as class lists.
import functools
from json import dumps, loads

from tortoise import fields, migrations

from models.migrations import _operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0005_search_keyset_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="IdempotencyKey",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("principal", fields.CharField(max_length=40)),
                ("key", fields.CharField(max_length=100)),
                ("operation", fields.CharField(max_length=64)),
                ("fingerprint", fields.CharField(max_length=64)),
                (
                    "response",
                    fields.JSONField(
                        default={},
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "idempotency_key",
                "app": "models",
                "unique_together": (("principal", "key"),),
                "pk_attr": "id",
                "table_description": (
                    "Idempotency key of one principal with the stored result of the mutation"
                    " it guarded."
                ),
            },
            bases=["Model"],
        ),
    ]
