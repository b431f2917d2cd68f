"""``idempotencyKey`` of the money and filing mutations (security.md reliability 4).

``caseCreate``, ``reportSubmit``, ``evaluationSubmit``, ``paymentBatchCreate``,
``paymentBatchMarkPaid`` and ``expenseCorrect`` take an optional key (per signed-in principal): a
retry with the same key and the same input answers like the first success without running again,
the same key with another input is refused with ``IDEMPOTENCY_KEY_REUSED``, a retry while the
first request still runs with ``IDEMPOTENCY_KEY_IN_USE`` (PostgreSQL). Each mutation answers from
the JSON response :func:`idempotent` returns, fresh or replayed, so both read alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from models.rules.idempotency import request_fingerprint
from resolvers.idempotency import Response, run_idempotent
from schema.context import Context

Info = strawberry.Info[Context, None]

IDEMPOTENCY_KEY_DESCRIPTION = (
    "冪等キー（任意、英数字と . _ ~ : + / = - で100文字以内、例: UUID）。同じキー・同じ内容の再送は"
    "最初の結果を返し、再実行しない。別の内容には使えない（既定で24時間有効） (idempotency key, "
    "optional, ≤ 100 characters: a retry with the same key and input replays the first result; "
    "another input with the same key is refused; kept 24 h by default)"
)


def idempotency_key_field() -> Any:
    return strawberry.field(default=None, description=IDEMPOTENCY_KEY_DESCRIPTION)


async def idempotent(
    info: Info, input: Any, operation: str, execute: Callable[[], Awaitable[Response]]
) -> Response:
    """Run ``execute`` (the mutation, answering its JSON response) under ``input``'s key."""
    context = info.context
    key: str | None = input.idempotency_key
    return await run_idempotent(
        context.principal,
        key,
        operation,
        "" if key is None else request_fingerprint(operation, input),
        context.loaders.now,
        execute,
        validate_only=bool(input.validate_only),
    )


__all__ = ["IDEMPOTENCY_KEY_DESCRIPTION", "idempotency_key_field", "idempotent"]
