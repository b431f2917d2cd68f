"""Relay plumbing: global IDs, row-backed Node types and keyset connections (api.md §1, §8).

Node types are strawberry types whose instances *are* the loader's plain row: ``from_row`` copies
the dict into the instance ``__dict__``, so every scalar field is a plain attribute read (no
resolver, no wrapper) and only relations and masked fields have resolvers.

Global IDs are strawberry's ``base64("TypeName:id")``. Decoding is strict and never raises past
this module: ``node()`` turns anything unusable into ``None`` (S30), inputs that expect one type
turn a foreign or malformed ID into a ``BAD_USER_INPUT`` error (S4).

strawberry's ``relay.ListConnection`` paginates by offset; ``Connection[T]`` here is keyset
(cursors come from resolvers.pagination) and computes ``totalCount`` only when selected.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Generic, Self, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from models.rules.errors import FieldError, ValidationErrors
from resolvers.pagination import Page

#: Primary keys are 32-bit integers; anything larger cannot exist (and must not reach the driver:
#: PostgreSQL rejects an out-of-range int4 parameter with an error instead of "no row").
MAX_PK = 2_147_483_647
_PK = re.compile(r"[1-9][0-9]{0,9}")
_BAD_USER_INPUT = "BAD_USER_INPUT"
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def bad_user_input(message: str, field: Sequence[str] = ()) -> GraphQLError:
    """A top-level error with ``extensions.code = BAD_USER_INPUT`` (api.md §10)."""
    extensions: dict[str, Any] = {"code": _BAD_USER_INPUT}
    if field:
        extensions["field"] = list(field)
    return GraphQLError(message, extensions=extensions)


def bad_user_input_from(error: ValidationErrors) -> GraphQLError:
    """The first problem of a domain validation error as a ``BAD_USER_INPUT`` error."""
    first: FieldError = error.errors[0]
    return GraphQLError(
        first.message,
        extensions={"code": _BAD_USER_INPUT, "field": list(first.field), "reason": str(first.code)},
    )


def resolved(description: str) -> Callable[[F], F]:
    """``@strawberry.field(description=…)`` for resolver methods, typed for mypy (strawberry
    types the decorator form as ``Any``)."""
    return strawberry.field(description=description)  # type: ignore[no-any-return]


def parse_pk(value: str) -> int | None:
    """A decimal primary key within range, or ``None`` ("-1", "007", "1e3", 20 digits …)."""
    if not _PK.fullmatch(value):
        return None
    pk = int(value)
    return pk if pk <= MAX_PK else None


def parse_global_id(value: object) -> tuple[str, int] | None:
    """``(type_name, pk)`` of a well-formed global ID, else ``None`` — never an exception."""
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    type_name, sep, raw_pk = decoded.partition(":")
    if not sep or not type_name:
        return None
    pk = parse_pk(raw_pk)
    return None if pk is None else (type_name, pk)


def to_global_id(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name=type_name, node_id=str(pk)))


class RowNode:
    """Mixin of every Node type: rows in, typed objects out, loads through the scoped loader.

    ``LOADER`` names the by-id DataLoader of :class:`schema.dataloaders.Loaders` that is the
    ONLY way in: it applies the aggregate's scope, so ``node()`` and strawberry's own
    ``GlobalID.resolve_node`` see exactly the rows the lists show.
    """

    LOADER = ""
    #: The largest primary key the table's column can hold; a larger one names no row and must
    #: not reach the driver (PostgreSQL refuses an out-of-range parameter with an error).
    MAX_ROW_ID = MAX_PK

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> Self | None:
        if row is None:
            return None
        obj = cls.__new__(cls)
        obj.__dict__.update(row)
        return obj

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> list[Self]:
        new = cls.__new__
        out = []
        for row in rows:
            obj = new(cls)
            obj.__dict__.update(row)
            out.append(obj)
        return out

    @classmethod
    async def load(cls, info: strawberry.Info, pk: int | None) -> Self | None:
        if pk is None or pk > cls.MAX_ROW_ID:
            return None
        return cls.from_row(await getattr(info.context.loaders, cls.LOADER).load(pk))

    @classmethod
    async def load_many(cls, info: strawberry.Info, pks: Sequence[int]) -> list[Self | None]:
        rows = await getattr(info.context.loaders, cls.LOADER).load_many(pks)
        return [cls.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> Any:
        """strawberry's hook, scoped: a missing and an out-of-scope node are both ``None``."""
        pks = [parse_pk(str(node_id)) for node_id in node_ids]
        pks = [None if pk is None or pk > cls.MAX_ROW_ID else pk for pk in pks]
        wanted = [pk for pk in pks if pk is not None]
        found = dict(zip(wanted, await cls.load_many(info, wanted), strict=True))
        nodes = [None if pk is None else found[pk] for pk in pks]
        if required and any(node is None for node in nodes):
            raise bad_user_input("指定されたIDの対象が見つかりません。 (node not found)")
        return nodes


def expect_id(value: str, node_type: type[RowNode], field: Sequence[str]) -> int:
    """The primary key of an ID that must name a ``node_type`` (api.md §1, S4).

    A malformed ID or an ID of another type is a client error (``BAD_USER_INPUT``); whether the
    object exists or is in scope is for the caller's scoped query to decide.
    """
    parsed = parse_global_id(value)
    if parsed is None:
        raise bad_user_input("IDの形式が正しくありません。 (malformed ID)", field)
    type_name, pk = parsed
    if type_name != node_type.__name__:
        raise bad_user_input(
            f"{node_type.__name__} のIDを指定してください。 (ID of another type)", field
        )
    if pk > node_type.MAX_ROW_ID:
        raise bad_user_input("IDの形式が正しくありません。 (malformed ID)", field)
    return pk


async def user_input(pending: Awaitable[T]) -> T:
    """Await a read use case, reporting its input validation (page sizes 1–100, cursors,
    filters — checked before any SQL) as ``BAD_USER_INPUT`` instead of an unexpected error."""
    try:
        return await pending
    except ValidationErrors as error:
        raise bad_user_input_from(error) from None


NodeT = TypeVar("NodeT")


@strawberry.type(description="ページ情報 (information to aid in pagination)")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="次のページがあるか (more items after this page)"
    )
    has_previous_page: bool = strawberry.field(
        description="前のページがあるか (more items before this page)"
    )
    start_cursor: str | None = strawberry.field(
        description="先頭要素のカーソル (cursor of the first item, for `before`)"
    )
    end_cursor: str | None = strawberry.field(
        description="末尾要素のカーソル (cursor of the last item, for `after`)"
    )


@strawberry.type(description="一覧の要素とそのカーソル (an item with its keyset cursor)")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="この要素の位置を示すカーソル (opaque keyset cursor)"
    )
    node: NodeT = strawberry.field(description="要素 (the item)")


@strawberry.type(description="キーセット方式のページ付き一覧 (keyset-paginated list)")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="要素とカーソル (items with cursors)")
    nodes: list[NodeT] = strawberry.field(description="要素のみ (the items without cursors)")
    page_info: PageInfo = strawberry.field(description="ページ情報 (pagination information)")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @resolved(
        description="条件に合う総件数（選択時のみ計算） (total matching items, counted only when "
        "selected)"
    )
    async def total_count(self) -> int:
        return await self.count()


def connection(node_type: Any, page: Page, count: Callable[[], Awaitable[int]]) -> Connection[Any]:
    """Wrap a keyset ``Page`` of rows as a ``Connection`` of ``node_type`` objects."""
    nodes = node_type.from_rows(page.rows)
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        ),
        count=count,
    )


#: The four keyset pagination arguments every connection field takes (api.md §8).
First = Annotated[
    int | None, strawberry.argument(description="先頭から取得する件数 1–100 (page size forward)")
]
After = Annotated[
    str | None, strawberry.argument(description="このカーソルの後から (cursor to start after)")
]
Last = Annotated[
    int | None, strawberry.argument(description="末尾から取得する件数 1–100 (page size backward)")
]
Before = Annotated[
    str | None, strawberry.argument(description="このカーソルの前まで (cursor to end before)")
]
