"""The domain error tree. Every expected failure has a stable code and a Japanese message.

    DomainError                       code                     where it surfaces
    ├── NotFound                      NOT_FOUND                userErrors / node() → null
    ├── Forbidden                     FORBIDDEN                top-level error (role may never do it)
    ├── Unauthenticated               UNAUTHENTICATED          top-level error, HTTP 401
    ├── ValidationError               REQUIRED / INVALID / …   userErrors with a field path
    ├── StaleVersion                  STALE_VERSION            userErrors
    └── TransitionNotAllowed          TRANSITION_NOT_ALLOWED   userErrors (names allowed actions)

A use case may collect several :class:`FieldError`s and raise them together as
:class:`ValidationErrors` so a client sees every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    DUPLICATE = "DUPLICATE"
    STALE_VERSION = "STALE_VERSION"
    TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"
    SLOT_NOT_SELECTABLE = "SLOT_NOT_SELECTABLE"
    LIMIT_REACHED = "LIMIT_REACHED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    INVALID_TOKEN = "INVALID_TOKEN"
    RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field. ``field`` is the input path, e.g. ``("input", "id")``."""

    code: ErrorCode
    message: str
    field: tuple[str, ...] = ()


class DomainError(Exception):
    code: ErrorCode = ErrorCode.INVALID
    default_message: str = "入力内容に誤りがあります。"

    def __init__(self, message: str | None = None, field: Sequence[str] = ()) -> None:
        self.message = message or self.default_message
        self.field = tuple(field)
        super().__init__(self.message)

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return (FieldError(self.code, self.message, self.field),)


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    default_message = "指定された対象が見つかりません。"


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
    default_message = "この操作を行う権限がありません。"


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED
    default_message = "ログインが必要です。"


class StaleVersion(DomainError):
    code = ErrorCode.STALE_VERSION
    default_message = "他の操作によって内容が更新されています。最新の内容を確認してください。"


class TransitionNotAllowed(DomainError):
    code = ErrorCode.TRANSITION_NOT_ALLOWED
    default_message = "現在の状態ではこの操作はできません。"


class ValidationErrors(DomainError):
    """Several field errors reported together."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("ValidationErrors needs at least one error")
        self._errors = tuple(errors)
        first = self._errors[0]
        self.code = first.code
        super().__init__(first.message, first.field)

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return self._errors
