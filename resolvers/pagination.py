"""Keyset pagination (api.md §8): opaque cursors of (sort value, id), stable under inserts.

A cursor is base64url of the JSON ``[sort_value, id]``. Pages are fetched with a strict keyset
predicate relative to the cursor and ``limit + 1`` rows to learn whether more exist, so an insert
between two requests never shifts or repeats rows. ``has_previous`` on a forward page (and
``has_next`` on a backward page) is ``True`` exactly when a cursor was given, as Relay allows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.rules.errors import ErrorCode, FieldError, ValidationErrors

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

ValueKind = Literal["datetime", "date", "int", "str"]


@dataclass
class Page:
    rows: list[dict[str, Any]]
    has_next: bool
    has_previous: bool
    start_cursor: str | None
    end_cursor: str | None
    cursors: list[str] = field(default_factory=list)


@dataclass
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True)
class SortKey:
    """What a list is ordered by: a column or annotation, its direction, then ``id`` alike.

    ``nullable`` keys sort NULLs last in both directions.
    """

    field: str
    kind: ValueKind
    descending: bool = False
    nullable: bool = False


ID_ASC = SortKey("id", "int")


def encode_cursor(value: Any, row_id: int) -> str:
    if isinstance(value, datetime | date):
        value = value.isoformat()
    elif hasattr(value, "value"):  # enums
        value = value.value
    raw = json.dumps([value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor(name: str) -> ValidationErrors:
    return ValidationErrors([FieldError(ErrorCode.INVALID, "カーソルが不正です。", (name,))])


def decode_cursor(cursor: str, kind: ValueKind, name: str = "after") -> tuple[Any, int]:
    """The (sort value, id) of ``cursor``; ValidationErrors INVALID on ``name`` if malformed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise _bad_cursor(name) from exc
    if not isinstance(data, list) or len(data) != 2:
        raise _bad_cursor(name)
    value, row_id = data
    if not isinstance(row_id, int) or isinstance(row_id, bool) or row_id < 1:
        raise _bad_cursor(name)
    if value is None:
        return None, row_id
    try:
        if kind == "datetime" and isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive cursor instant")
            return parsed, row_id
        if kind == "date" and isinstance(value, str):
            return date.fromisoformat(value), row_id
    except ValueError as exc:
        raise _bad_cursor(name) from exc
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value, row_id
    if kind == "str" and isinstance(value, str):
        return value, row_id
    raise _bad_cursor(name)


def validate_page_args(args: PageArgs, key: SortKey = ID_ASC) -> None:
    """Reject out-of-range sizes (OUT_OF_RANGE) and malformed or mixed cursors (INVALID)."""
    errors: list[FieldError] = []
    for name in ("first", "last"):
        size = getattr(args, name)
        if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
            message = f"{name} は1〜{MAX_PAGE_SIZE}の範囲で指定してください。"
            errors.append(FieldError(ErrorCode.OUT_OF_RANGE, message, (name,)))
    if args.first is not None and args.last is not None:
        errors.append(
            FieldError(ErrorCode.INVALID, "first と last は同時に指定できません。", ("last",))
        )
    if args.after is not None and args.before is not None:
        errors.append(
            FieldError(ErrorCode.INVALID, "after と before は同時に指定できません。", ("before",))
        )
    if args.last is not None and args.after is not None:
        errors.append(
            FieldError(ErrorCode.INVALID, "last は before と組み合わせてください。", ("after",))
        )
    if args.first is not None and args.before is not None:
        errors.append(
            FieldError(ErrorCode.INVALID, "first は after と組み合わせてください。", ("before",))
        )
    for name in ("after", "before"):
        cursor = getattr(args, name)
        if cursor is not None:
            try:
                decode_cursor(cursor, key.kind, name)
            except ValidationErrors as exc:
                errors.extend(exc.errors)
    if errors:
        raise ValidationErrors(errors)


def _q(lookup: str, value: Any) -> Q:
    criteria: dict[str, Any] = {lookup: value}
    return Q(**criteria)


def _beyond(key: SortKey, value: Any, row_id: int) -> Q:
    """Rows strictly after (value, row_id) in the key's order (NULLs last)."""
    op = "lt" if key.descending else "gt"
    if value is None:
        return _q(f"{key.field}__isnull", True) & _q(f"id__{op}", row_id)
    after = _q(f"{key.field}__{op}", value) | (_q(key.field, value) & _q(f"id__{op}", row_id))
    if key.nullable:
        after |= _q(f"{key.field}__isnull", True)
    return after


def _ahead(key: SortKey, value: Any, row_id: int) -> Q:
    """Rows strictly before (value, row_id) in the key's order (NULLs last)."""
    op = "gt" if key.descending else "lt"
    if value is None:
        return _q(f"{key.field}__isnull", False) | _q(f"id__{op}", row_id)
    return _q(f"{key.field}__{op}", value) | (_q(key.field, value) & _q(f"id__{op}", row_id))


def _ordering(key: SortKey, reverse: bool) -> list[str]:
    descending = key.descending != reverse
    sign = "-" if descending else ""
    order = [f"{sign}{key.field}", f"{sign}id"] if key.field != "id" else [f"{sign}id"]
    if key.nullable:
        order.insert(0, "-_nulls_last" if reverse else "_nulls_last")
    return order


async def paginate(
    queryset: QuerySet[Any], key: SortKey, args: PageArgs, fields: Sequence[str]
) -> Page:
    """One page of ``queryset`` as plain rows (``fields`` plus the sort key) with its cursors.

    A nullable key needs the queryset annotated with ``_nulls_last`` (1 when NULL, else 0).
    """
    validate_page_args(args, key)
    backward = args.last is not None
    size = args.last if backward and args.last is not None else (args.first or DEFAULT_PAGE_SIZE)
    cursor = args.before if backward else args.after
    qs = queryset
    if cursor is not None:
        value, row_id = decode_cursor(cursor, key.kind, "before" if backward else "after")
        qs = qs.filter(_ahead(key, value, row_id) if backward else _beyond(key, value, row_id))
    names = list(dict.fromkeys([*fields, "id", key.field]))
    rows: list[dict[str, Any]] = (
        await qs.order_by(*_ordering(key, backward)).limit(size + 1).values(*names)
    )
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    cursors = [encode_cursor(row[key.field], row["id"]) for row in rows]
    return Page(
        rows=rows,
        has_next=(cursor is not None) if backward else more,
        has_previous=more if backward else (cursor is not None),
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
        cursors=cursors,
    )
