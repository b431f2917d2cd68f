"""Collecting field errors so a client sees **all** problems at once (domain.md §5, api.md §3).

Rules build paths relative to the object they validate (e.g. ``("lines", "1", "oneWayFare")``
inside a travel claim); the mutation prefixes them with its own position in the input
(``prefixed(errors, "input", "travel")``). List indices are 0-based strings, as in GraphQL
response paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from models.rules.errors import ErrorCode, FieldError, ValidationErrors

PathPart = str | int


def path_of(*parts: PathPart) -> tuple[str, ...]:
    """A field path with list indices rendered as strings."""
    return tuple(str(part) for part in parts)


def prefixed(errors: Iterable[FieldError], *prefix: PathPart) -> tuple[FieldError, ...]:
    """The same errors with ``prefix`` put in front of each path."""
    head = path_of(*prefix)
    return tuple(FieldError(e.code, e.message, head + e.field) for e in errors)


def is_integer(value: object) -> bool:
    """An ``int`` that is not a ``bool`` (JSON drafts may carry ``1.5`` or ``true``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_blank(value: str | None) -> bool:
    """Empty, missing or only white space (全角スペース included)."""
    return value is None or not value.strip()


@dataclass
class FieldErrors:
    """An ordered collection of field errors; ``required`` checks may be switched off (drafts)."""

    check_required: bool = True
    errors: list[FieldError] = field(default_factory=list)

    def add(self, code: ErrorCode, message: str, *path: PathPart) -> None:
        self.errors.append(FieldError(code, message, path_of(*path)))

    def extend(self, errors: Iterable[FieldError], *prefix: PathPart) -> None:
        self.errors.extend(prefixed(errors, *prefix))

    def required(self, message: str, *path: PathPart) -> None:
        """Record a missing required value, unless required checks are off."""
        if self.check_required:
            self.add(ErrorCode.REQUIRED, message, *path)

    def text(
        self,
        value: str | None,
        label: str,
        max_length: int,
        *path: PathPart,
        required: bool = False,
    ) -> None:
        """A free-text field: required when asked, at most ``max_length`` characters."""
        if is_blank(value):
            if required:
                self.required(f"{label}を入力してください。", *path)
            return
        assert value is not None
        if len(value) > max_length:
            self.add(
                ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", *path
            )

    def choice(self, value: bool | None, label: str, *path: PathPart) -> None:
        """A required yes/no answer."""
        if value is None:
            self.required(f"{label}を選択してください。", *path)

    def integer(
        self,
        value: object,
        label: str,
        *path: PathPart,
        minimum: int = 0,
        maximum: int | None = None,
        required: bool = True,
    ) -> bool:
        """An integer within ``minimum``–``maximum``; True when the value is usable."""
        if value is None:
            if required:
                self.required(f"{label}を入力してください。", *path)
            return False
        if not is_integer(value):
            self.add(ErrorCode.NOT_AN_INTEGER, f"{label}は整数で入力してください。", *path)
            return False
        assert isinstance(value, int)
        if value < minimum:
            self.add(ErrorCode.OUT_OF_RANGE, f"{label}は{minimum}以上で入力してください。", *path)
            return False
        if maximum is not None and value > maximum:
            self.add(ErrorCode.OUT_OF_RANGE, f"{label}は{maximum}以下で入力してください。", *path)
            return False
        return True

    def __bool__(self) -> bool:
        return bool(self.errors)

    def as_tuple(self) -> tuple[FieldError, ...]:
        return tuple(self.errors)

    def raise_if_any(self) -> None:
        """Raise :class:`ValidationErrors` carrying every collected error."""
        if self.errors:
            raise ValidationErrors(self.errors)
