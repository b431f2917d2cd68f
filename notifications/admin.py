"""Secretariat use cases on the outbox: list delivery states, requeue dead letters.

Both are secretariat-only (``auth.scoping.outbox_scope``: an office sees the mails of its cases,
specialists and staff, the national secretariat all). Another role is refused with
``FORBIDDEN`` after one ``authz_fail`` audit row, and nothing else is written (security.md §2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth.audit import FAILURE, record_audit
from auth.principal import Principal
from auth.scoping import outbox_scope
from models.outbox import OutboxMessage, OutboxStatus
from models.rules.errors import ErrorCode, FieldError, Forbidden, StaleVersion, ValidationErrors
from models.rules.roles import Role

AUTHZ_FAIL = "authz_fail"
OUTBOX_REQUEUE = "outbox_requeue"
OUTBOX_TARGET = "outbox_message"
REQUEUEABLE = (OutboxStatus.DEAD, OutboxStatus.PENDING)
MAX_REQUEUE = 100

#: Columns of an outbox row as the API lists it.
OUTBOX_FIELDS: tuple[str, ...] = (
    "id",
    "event_id",
    "channel",
    "template",
    "recipient_id",
    "to_address",
    "context",
    "status",
    "attempts",
    "next_attempt_at",
    "lease_until",
    "sent_at",
    "last_error",
    "message_id",
    "created_at",
    "event__kind",
    "event__case_id",
)


async def require_secretariat(principal: Principal, action: str, request_id: str = "") -> None:
    if principal.role is Role.SECRETARIAT:
        return
    await record_audit(
        AUTHZ_FAIL,
        actor=principal,
        outcome=FAILURE,
        target_type=OUTBOX_TARGET,
        request_id=request_id,
        detail={"action": action},
    )
    raise Forbidden()


def outbox_queryset(
    principal: Principal, statuses: Sequence[OutboxStatus] | None = None
) -> QuerySet[OutboxMessage]:
    """Outbox rows in the principal's scope, optionally of some statuses (newest first is the
    caller's ordering)."""
    query = OutboxMessage.filter(outbox_scope(principal))
    if statuses:
        query = query.filter(status__in=list(statuses))
    return query


async def list_rows(principal: Principal, ids: Sequence[int]) -> list[dict[str, Any]]:
    rows = await outbox_queryset(principal).filter(id__in=list(ids)).values(*OUTBOX_FIELDS)
    by_id = {row["id"]: dict(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def requeue(
    principal: Principal, ids: Sequence[int], now: datetime, *, request_id: str = ""
) -> list[dict[str, Any]]:
    """Put DEAD (or waiting PENDING) rows back to PENDING, due now, with a fresh attempt count.

    All or nothing: an ID out of scope (``NOT_FOUND``) or a row already SENT or being sent
    (``TRANSITION_NOT_ALLOWED``) is reported with its input path and nothing is changed. The
    Message-ID is kept, so a requeued mail stays traceable as the same message.
    """
    await require_secretariat(principal, "outboxRequeue", request_id)
    if not ids:
        raise ValidationErrors(
            [FieldError(ErrorCode.REQUIRED, "再送するメールを指定してください。", ("input", "ids"))]
        )
    if len(ids) > MAX_REQUEUE:
        message = f"一度に再送できるのは{MAX_REQUEUE}件までです。"
        raise ValidationErrors([FieldError(ErrorCode.OUT_OF_RANGE, message, ("input", "ids"))])
    wanted = list(dict.fromkeys(ids))
    async with in_transaction():
        # Scope first (its joins cannot be locked), then lock the rows themselves.
        in_scope: list[Any] = (
            await outbox_queryset(principal).filter(id__in=wanted).values_list("id", flat=True)
        )
        locked = await OutboxMessage.filter(id__in=in_scope).select_for_update()
        found = {row.id: row for row in locked}
        errors: list[FieldError] = []
        for position, pk in enumerate(ids):
            path = ("input", "ids", str(position))
            row = found.get(pk)
            if row is None:
                errors.append(
                    FieldError(ErrorCode.NOT_FOUND, "指定されたメールが見つかりません。", path)
                )
            elif row.status not in REQUEUEABLE:
                errors.append(
                    FieldError(
                        ErrorCode.TRANSITION_NOT_ALLOWED,
                        "送信済み・送信中のメールは再送できません。",
                        path,
                    )
                )
        if errors:
            raise ValidationErrors(errors)
        updated = await OutboxMessage.filter(id__in=wanted, status__in=list(REQUEUEABLE)).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, lease_until=None
        )
        if updated != len(wanted):
            raise StaleVersion(field=("input", "ids"))
        await record_audit(
            OUTBOX_REQUEUE,
            actor=principal,
            target_type=OUTBOX_TARGET,
            target_id=",".join(str(i) for i in wanted)[:64],
            request_id=request_id,
            detail={"count": len(wanted)},
        )
    return await list_rows(principal, wanted)
