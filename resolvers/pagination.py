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

    ``nullable`` keys sort NULLs last in both directions. A ``partitions`` key has no column: its
    value is the position of the one condition of ``partitions`` a row satisfies (the conditions
    must split the rows), and each partition is read by ``id`` on its own — a plain indexable
    query per partition instead of sorting every row by a computed rank.
    """

    field: str
    kind: ValueKind
    descending: bool = False
    nullable: bool = False
    partitions: tuple[Q, ...] = ()
    #: Planner hints that never change the order: columns the filter holds constant, named first
    #: in ORDER BY so the index that starts with them serves it, and the column or annotation
    #: ORDER BY names instead of ``field`` (keyset predicates always compare ``field``).
    prefix: tuple[str, ...] = ()
    order_field: str | None = None


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


def _fits(key: SortKey, value: Any) -> bool:
    """A decoded cursor value can be a value of ``key`` (NULL only if nullable, a partition
    position only within the partitions)."""
    if value is None:
        return key.nullable
    if key.partitions:
        return isinstance(value, int) and 0 <= value < len(key.partitions)
    return True


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
                value, _ = decode_cursor(cursor, key.kind, name)
            except ValidationErrors as exc:
                errors.extend(exc.errors)
                continue
            if not _fits(key, value):
                errors.extend(_bad_cursor(name).errors)
    if errors:
        raise ValidationErrors(errors)


def _q(lookup: str, value: Any) -> Q:
    criteria: dict[str, Any] = {lookup: value}
    return Q(**criteria)


@dataclass(frozen=True)
class Segment:
    condition: Q
    ordering: list[str]
    rank: int | None = None  # the key value of every row of a partition


def _partition_segments(
    key: SortKey, cursor: tuple[Any, int] | None, descending: bool
) -> list[Segment]:
    op = "lt" if descending else "gt"
    ranks = range(len(key.partitions))
    segments: list[Segment] = []
    for rank in reversed(ranks) if descending else ranks:
        condition = key.partitions[rank]
        if cursor is not None:
            cursor_rank, row_id = cursor
            if rank == cursor_rank:
                condition = condition & _q(f"id__{op}", row_id)
            elif (rank < cursor_rank) != descending:
                continue
        segments.append(Segment(condition, [f"{'-' if descending else ''}id"], rank))
    return segments


def _segments(key: SortKey, cursor: tuple[Any, int] | None, backward: bool) -> list[Segment]:
    """The parts of the list to read in scan order, each a filter and an ORDER BY.

    The scan runs in the key's direction (reversed for a backward page) and starts strictly past
    the cursor. A nullable key is read in two parts, so each is a plain ``ORDER BY key, id`` an
    index can serve (no NULLS LAST expression): the rows with a value, then the NULL rows by id
    (NULLs last in both directions, hence first when scanning backwards).
    """
    descending = key.descending != backward
    if key.partitions:
        return _partition_segments(key, cursor, descending)
    sign = "-" if descending else ""
    op = "lt" if descending else "gt"
    by_id = [f"{sign}id"]
    if key.field == "id":
        return [Segment(Q() if cursor is None else _q(f"id__{op}", cursor[1]), by_id)]
    by_key = [*(f"{sign}{name}" for name in key.prefix), f"{sign}{key.order_field or key.field}"]
    by_key.append(f"{sign}id")

    def past(value: Any, row_id: int) -> Q:
        return _q(f"{key.field}__{op}", value) | (_q(key.field, value) & _q(f"id__{op}", row_id))

    if not key.nullable:
        return [Segment(Q() if cursor is None else past(*cursor), by_key)]
    valued = _q(f"{key.field}__isnull", False)
    nulls = _q(f"{key.field}__isnull", True)
    if cursor is None:
        parts = [Segment(valued, by_key), Segment(nulls, by_id)]
        return parts[::-1] if backward else parts
    value, row_id = cursor
    if value is None:
        null_part = Segment(nulls & _q(f"id__{op}", row_id), by_id)
        return [null_part, Segment(valued, by_key)] if backward else [null_part]
    valued_part = Segment(valued & past(value, row_id), by_key)
    return [valued_part] if backward else [valued_part, Segment(nulls, by_id)]


async def paginate(
    queryset: QuerySet[Any], key: SortKey, args: PageArgs, fields: Sequence[str]
) -> Page:
    """One page of ``queryset`` as plain rows (``fields`` plus the sort key) with its cursors.

    One statement per part of the list the page touches (:func:`_segments`): one, two for a
    nullable key when the page reaches its NULL rows, one per partition read for a partitioned
    key (until the page is full).
    """
    validate_page_args(args, key)
    backward = args.last is not None
    size = args.last if backward and args.last is not None else (args.first or DEFAULT_PAGE_SIZE)
    raw = args.before if backward else args.after
    cursor = (
        None if raw is None else decode_cursor(raw, key.kind, "before" if backward else "after")
    )
    names = list(dict.fromkeys([*fields, "id", *(() if key.partitions else (key.field,))]))
    rows: list[dict[str, Any]] = []
    for segment in _segments(key, cursor, backward):
        wanted = size + 1 - len(rows)
        if wanted <= 0:
            break
        part = queryset.filter(segment.condition) if segment.condition else queryset
        found = await part.order_by(*segment.ordering).limit(wanted).values(*names)
        if segment.rank is not None:
            for row in found:
                row[key.field] = segment.rank
        rows += found
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    cursors = [encode_cursor(row[key.field], row["id"]) for row in rows]
    return Page(
        rows=rows,
        has_next=(raw is not None) if backward else more,
        has_previous=more if backward else (raw is not None),
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
        cursors=cursors,
    )
