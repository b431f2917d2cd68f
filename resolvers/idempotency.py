"""Idempotency keys of the money and filing mutations (security.md reliability 4; the rules are in
:mod:`models.rules.idempotency`).

:func:`run_idempotent` wraps one mutation. With a key it opens the transaction the mutation's own
``in_transaction()`` then joins (Tortoise nests it as a savepoint on the same connection), so the
mutation's rows, its events and the stored key commit together or not at all:

1. PostgreSQL: ``pg_try_advisory_xact_lock`` on the (principal, key) pair. A second request with
   the same key while the first is in flight gets ``IDEMPOTENCY_KEY_IN_USE`` at once; the lock
   ends with the transaction. SQLite runs one write transaction at a time, so a concurrent
   duplicate there waits and then replays.
2. The stored key of the principal is read: same operation and fingerprint → the stored response
   is returned and nothing runs (no row, no event, no mail); another request's key →
   ``IDEMPOTENCY_KEY_REUSED``; none or expired → the mutation runs.
3. The mutation's response (the ids needed to re-read its payload) is stored with the key.

A refused mutation (``DomainError``) stores nothing, so a corrected retry may reuse the key; what
the mutation itself wrote outside its own transaction (the ``authz_fail`` audit row of a
FORBIDDEN) is kept exactly as without a key. Any other failure rolls everything back.
Expired keys are overwritten when reused and purged by :func:`purge_expired_keys`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from auth.principal import Principal
from models.idempotency import IdempotencyKey
from models.rules.errors import DomainError, ValidationErrors
from models.rules.idempotency import (
    KEY_FIELD,
    IdempotencyKeyInUse,
    StoredKey,
    expiry,
    key_errors,
    lock_id,
    must_execute,
)
from models.settings import current_settings

Response = dict[str, Any]
PURGE_BATCH = 1000


def principal_identity(principal: Principal) -> str | None:
    """Who owns a key: the signed-in account (partner API tokens act through their account)."""
    if principal.account_id is None:
        return None
    return f"account:{principal.account_id}"


async def _hold(conn: BaseDBAsyncClient, identity: str, key: str) -> None:
    """Take the (principal, key) lock for the transaction, or refuse while another holds it."""
    if conn.capabilities.dialect != "postgres":
        return  # SQLite: the transaction already excludes every other writer
    rows = await conn.execute_query_dict(
        "SELECT pg_try_advisory_xact_lock($1) AS held", [lock_id(identity, key)]
    )
    if not rows[0]["held"]:
        raise IdempotencyKeyInUse(field=KEY_FIELD)


async def run_idempotent(
    principal: Principal,
    key: str | None,
    operation: str,
    fingerprint: str,
    now: datetime,
    execute: Callable[[], Awaitable[Response]],
    *,
    validate_only: bool = False,
    ttl_seconds: int | None = None,
) -> Response:
    """Run ``execute`` once per (principal, ``key``); see the module docstring.

    ``operation`` is the mutation's name, ``fingerprint`` that of its input
    (``models.rules.idempotency.request_fingerprint``), ``execute`` runs the mutation and returns
    its JSON response. Without a key, and for ``validate_only`` runs (which write nothing), it
    just runs ``execute``. Raises ``ValidationErrors`` for a malformed key.
    """
    if key is not None:
        errors = key_errors(key)
        if errors:
            raise ValidationErrors(errors)
    identity = principal_identity(principal)
    if key is None or validate_only or identity is None:
        return await execute()
    moment = now.astimezone(UTC)
    ttl = current_settings().idempotency_ttl_seconds if ttl_seconds is None else ttl_seconds
    refused: DomainError | None = None
    async with in_transaction() as conn:
        await _hold(conn, identity, key)
        row = await IdempotencyKey.filter(principal=identity, key=key).first()
        stored = None if row is None else StoredKey(row.operation, row.fingerprint, row.expires_at)
        if not must_execute(stored, operation, fingerprint, moment):
            assert row is not None
            return dict(row.response)
        if row is not None:  # expired: the key is free again
            await IdempotencyKey.filter(id=row.id).delete()
        try:
            response = await execute()
        except DomainError as error:
            refused = error  # its own transaction is rolled back already; store no key
        else:
            await IdempotencyKey.create(
                principal=identity,
                key=key,
                operation=operation,
                fingerprint=fingerprint,
                response=response,
                created_at=moment,
                expires_at=expiry(moment, ttl),
            )
    if refused is not None:
        raise refused
    return response


async def purge_expired_keys(now: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete up to ``batch`` expired keys; returns how many were deleted."""
    moment = now.astimezone(UTC)
    ids = (
        await IdempotencyKey.filter(expires_at__lte=moment)
        .order_by("id")
        .limit(batch)
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    return await IdempotencyKey.filter(id__in=list(ids), expires_at__lte=moment).delete()


__all__ = ["PURGE_BATCH", "principal_identity", "purge_expired_keys", "run_idempotent"]
