"""Idempotency keys of the money and filing mutations (security.md reliability 4,
security-tests.md R7, after draft-ietf-httpapi-idempotency-key-header).

A client may send ``idempotencyKey`` with ``caseCreate``, ``reportSubmit``, ``evaluationSubmit``,
``paymentBatchCreate``, ``paymentBatchMarkPaid`` and ``expenseCorrect``. Keys are scoped per
principal. For a live key of the same principal:

* same operation and same input (fingerprint) → the stored result is replayed, nothing runs;
* anything else → ``IDEMPOTENCY_KEY_REUSED`` (the key belongs to another request);
* a request with the same key still in flight → ``IDEMPOTENCY_KEY_IN_USE`` (retry later).

An expired key counts as unused. Only successful mutations store their key, so a corrected retry
of a refused request may use the same key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from models.rules.errors import DomainError, ErrorCode, FieldError

MAX_KEY_LENGTH = 100
#: Letters, digits and the URL-safe punctuation of UUIDs, ULIDs and base64 tokens.
KEY_CHARSET = re.compile(r"[A-Za-z0-9._~:+/=-]+")
KEY_FIELD = ("input", "idempotencyKey")
#: The GraphQL input field that carries the key (never part of the fingerprint).
KEY_ATTRIBUTE = "idempotency_key"
DEFAULT_TTL_SECONDS = 24 * 3600


class IdempotencyKeyReused(DomainError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    default_message = (
        "この冪等キーは別の内容のリクエストで使用済みです。新しいキーを指定してください。"
    )


class IdempotencyKeyInUse(DomainError):
    code = ErrorCode.IDEMPOTENCY_KEY_IN_USE
    default_message = (
        "同じ冪等キーのリクエストを処理中です。しばらくしてから同じ内容で再送してください。"
    )


def key_errors(key: str) -> list[FieldError]:
    """Problems of a client's key: 1–100 characters of ``KEY_CHARSET``."""
    if not key:
        return [FieldError(ErrorCode.INVALID, "冪等キーが空です。", KEY_FIELD)]
    if len(key) > MAX_KEY_LENGTH:
        message = f"冪等キーは{MAX_KEY_LENGTH}文字以内で指定してください。"
        return [FieldError(ErrorCode.TOO_LONG, message, KEY_FIELD)]
    if KEY_CHARSET.fullmatch(key) is None:
        message = "冪等キーに使える文字は英数字と . _ ~ : + / = - です。"
        return [FieldError(ErrorCode.INVALID, message, KEY_FIELD)]
    return []


def canonical(value: Any, exclude: Collection[str] = ()) -> Any:
    """``value`` as plain JSON data: dataclasses (GraphQL inputs) and mappings by field name,
    enums by value, instants in UTC ISO-8601, dates in ISO-8601. ``exclude`` drops top-level
    fields."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in exclude
        }
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items() if str(k) not in exclude}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"no canonical JSON for {type(value).__name__}")


def request_fingerprint(operation: str, request: Any) -> str:
    """sha256 (hex) of the canonical JSON of the operation and its input without the key."""
    document = {"operation": operation, "input": canonical(request, exclude={KEY_ATTRIBUTE})}
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def lock_id(principal: str, key: str) -> int:
    """A signed 64-bit number for the (principal, key) pair (a PostgreSQL advisory lock)."""
    digest = hashlib.sha256(f"idempotency\x00{principal}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def expiry(now: datetime, ttl_seconds: int) -> datetime:
    return now + timedelta(seconds=ttl_seconds)


@dataclass(frozen=True)
class StoredKey:
    """What is stored for a key: the request it guarded and until when it counts."""

    operation: str
    fingerprint: str
    expires_at: datetime


def must_execute(stored: StoredKey | None, operation: str, fingerprint: str, now: datetime) -> bool:
    """True when the request runs (new or expired key), False when the stored result is
    replayed; raises :class:`IdempotencyKeyReused` for a live key of another request."""
    if stored is None or stored.expires_at <= now:
        return True
    if stored.operation != operation or stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused(field=KEY_FIELD)
    return False


__all__ = [
    "DEFAULT_TTL_SECONDS",
    "KEY_FIELD",
    "MAX_KEY_LENGTH",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "StoredKey",
    "canonical",
    "expiry",
    "key_errors",
    "lock_id",
    "must_execute",
    "request_fingerprint",
]
