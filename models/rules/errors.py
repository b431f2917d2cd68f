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
    # Report, travel and honorarium rules (domain.md §5, §7), see models.rules.report / travel.
    NOT_AN_INTEGER = "NOT_AN_INTEGER"
    END_NOT_AFTER_START = "END_NOT_AFTER_START"
    IN_FUTURE = "IN_FUTURE"
    NON_BILLABLE_EXCEEDS_DURATION = "NON_BILLABLE_EXCEEDS_DURATION"
    DATE_OUTSIDE_TRIP = "DATE_OUTSIDE_TRIP"
    LIMITED_EXPRESS_TOO_SHORT = "LIMITED_EXPRESS_TOO_SHORT"
    DOCUMENT_REQUIRED = "DOCUMENT_REQUIRED"
    DUPLICATE = "DUPLICATE"
    # Payments (domain.md §7.2), see resolvers.payments.
    BATCH_EMPTY = "BATCH_EMPTY"
    PAYMENT_FROZEN = "PAYMENT_FROZEN"
    # Uploads (domain.md §12), see models.rules.uploads and resolvers.documents.
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    DOCUMENT_KIND_MISMATCH = "DOCUMENT_KIND_MISMATCH"
    STALE_VERSION = "STALE_VERSION"
    TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"
    SLOT_NOT_SELECTABLE = "SLOT_NOT_SELECTABLE"
    # Scheduling rules (domain.md §3 availability, §4.1), see models.rules.scheduling.
    SLOT_END_BEFORE_START = "SLOT_END_BEFORE_START"
    SLOT_IN_PAST = "SLOT_IN_PAST"
    SLOT_SPANS_DAYS = "SLOT_SPANS_DAYS"
    SLOT_BEYOND_LAST_DISPATCH_DAY = "SLOT_BEYOND_LAST_DISPATCH_DAY"
    SLOT_DAY_OFF = "SLOT_DAY_OFF"
    SLOT_NATIONAL_HOLIDAY = "SLOT_NATIONAL_HOLIDAY"
    SLOT_HOLIDAY = "SLOT_HOLIDAY"
    SLOT_OUTSIDE_HOURS = "SLOT_OUTSIDE_HOURS"
    SLOT_OVERLAP = "SLOT_OVERLAP"
    SLOTS_COUNT = "SLOTS_COUNT"
    SLOTS_FISCAL_YEAR_MIXED = "SLOTS_FISCAL_YEAR_MIXED"
    SLOTS_OVERLAP_EACH_OTHER = "SLOTS_OVERLAP_EACH_OTHER"
    SPECIALIST_NOT_ACCEPTING = "SPECIALIST_NOT_ACCEPTING"
    DAY_FULLY_BOOKED = "DAY_FULLY_BOOKED"
    LIMIT_REACHED = "LIMIT_REACHED"
    # Filing and case actions (domain.md §4.1, §4.3), see models.rules.case_rules.
    SPECIALIST_NOT_DISPATCHABLE = "SPECIALIST_NOT_DISPATCHABLE"
    FILING_SUSPENDED = "FILING_SUSPENDED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    INVALID_TOKEN = "INVALID_TOKEN"
    RATE_LIMITED = "RATE_LIMITED"
    # Specialist registration and profile (domain.md §3), see models.rules.registration.
    TOO_SHORT = "TOO_SHORT"
    NOT_KATAKANA = "NOT_KATAKANA"
    PROFILE_INCOMPLETE = "PROFILE_INCOMPLETE"
    # Idempotency keys (security.md reliability 4), see models.rules.idempotency.
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"


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
