"""Search predicates whose SQL differs by dialect, so PostgreSQL can use its search indexes.

Tortoise's ``icontains`` compiles to ``UPPER(CAST(col AS VARCHAR)) LIKE UPPER(…)`` on every
dialect, which no PostgreSQL index serves. The predicates here are :class:`SqlQ` nodes: ordinary
``Q`` objects (they combine with ``&``, ``|`` and ``~``) whose criterion is built when the query is
resolved, once the dialect of the model's connection is known:

* :func:`contains_q` — partial, case-insensitive match of user input (LIKE wildcards ``%``, ``_``
  and ``\\`` are literal): ``col ILIKE $1`` on PostgreSQL (backslash is its default LIKE escape),
  which the ``pg_trgm`` GIN indexes ``ix_search_*`` serve; Tortoise's ``LIKE … ESCAPE '\\'``
  elsewhere.
* :func:`tokens_q` — every given token is a token of the space-padded ``search_text``:
  ``string_to_array(search_text, ' ') @> $1::text[]`` on PostgreSQL, the exact expression of the
  GIN index ``ix_search_case_text`` (models/migrations/0003_search_indexes.py); one escaped
  ``LIKE '% token %'`` per token elsewhere.
* :class:`Unindexed` — a column as an ORDER BY expression no index matches on PostgreSQL, so
  the planner filters first and sorts the few rows found, instead of walking the column's
  index in order and betting that matching rows are spread evenly along it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from pypika_tortoise.context import SqlContext
from pypika_tortoise.functions import Cast
from pypika_tortoise.terms import BasicCriterion, Criterion, Function, Term, ValueWrapper
from tortoise.expressions import Expression, Q, ResolveContext, ResolveResult
from tortoise.filters import contains, escape_like, insensitive_contains
from tortoise.query_utils import QueryModifier

Builder = Callable[[Any, str], Criterion]  # (pypika table, dialect) -> criterion


class _Op(Enum):
    ILIKE = " ILIKE "
    ARRAY_CONTAINS = " @> "


class SqlQ(Q):
    """A ``Q`` leaf whose criterion ``build(table, dialect)`` makes at resolve time."""

    __slots__ = ("_build",)

    def __init__(self, build: Builder) -> None:
        super().__init__()
        self._build = build

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __invert__(self) -> Q:
        negated = Q(self)
        negated.negate()
        return negated

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        dialect = str(resolve_context.model._meta.db.capabilities.dialect)
        criterion = self._build(resolve_context.table, dialect)
        modifier = QueryModifier(where_criterion=criterion)
        return ~modifier if self._is_negated else modifier


def is_postgres(dialect: str) -> bool:
    return dialect == "postgres"


def contains_q(column: str, value: str) -> SqlQ:
    """``column`` contains ``value`` (case-insensitive, wildcards literal)."""

    def build(table: Any, dialect: str) -> Criterion:
        term: Term = table[column]
        if is_postgres(dialect):
            pattern = ValueWrapper(f"%{escape_like(value)}%")
            return BasicCriterion(_Op.ILIKE, term, pattern)
        return insensitive_contains(term, value)

    return SqlQ(build)


def tokens_q(column: str, wanted: Sequence[str]) -> SqlQ:
    """Every one of ``wanted`` is a whole token of the space-padded token text ``column``."""
    tokens = list(dict.fromkeys(wanted))
    if not tokens:
        raise ValueError("tokens_q needs at least one token")

    def build(table: Any, dialect: str) -> Criterion:
        text: Term = table[column]
        if is_postgres(dialect):
            space = ValueWrapper(" ", allow_parametrize=False)
            array = Function("string_to_array", text, space)
            return BasicCriterion(_Op.ARRAY_CONTAINS, array, Cast(ValueWrapper(tokens), "text[]"))
        criterion: Criterion = contains(text, f" {tokens[0]} ")
        for token in tokens[1:]:
            criterion &= contains(text, f" {token} ")
        return criterion

    return SqlQ(build)


class _PlusZeroSeconds(Term):
    def __init__(self, column: Term) -> None:
        super().__init__()
        self.column = column

    def get_sql(self, ctx: SqlContext) -> str:
        return f"({self.column.get_sql(ctx)} + INTERVAL '0 seconds')"


class Unindexed(Expression):
    """The timestamp ``column`` as an annotation to order by: ``column + INTERVAL '0 seconds'``
    on PostgreSQL (same order, no index), the bare column elsewhere."""

    def __init__(self, column: str) -> None:
        self.column = column

    def resolve(self, resolve_context: ResolveContext) -> ResolveResult:
        term: Term = resolve_context.table[self.column]
        if is_postgres(str(resolve_context.model._meta.db.capabilities.dialect)):
            term = _PlusZeroSeconds(term)
        return ResolveResult(term=term)
