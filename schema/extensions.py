"""GraphQL hardening: resource limits, caches, error codes and masking (api.md §10, §16).

Every top-level error leaves the server with an ``extensions.code`` from :class:`TopLevelCode`;
unexpected errors are masked as "Unexpected error." (INTERNAL) and logged once at ERROR with the
request id, expected ones are logged at INFO without a traceback (security.md §5).

Extensions are registered as classes or factories, never instances (strawberry issue #4369).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DirectiveNode,
    GraphQLError,
    GraphQLSyntaxError,
    ValidationContext,
    Visitor,
    visit,
)
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from models.rules.errors import DomainError, ErrorCode
from models.settings import Settings

logger = logging.getLogger("haken.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_DIRECTIVES = 10
CACHE_SIZE = 256

UNEXPECTED_MESSAGE = "Unexpected error."
UNAVAILABLE_MESSAGE = "サービスが一時的に利用できません。しばらくしてから再度お試しください。"
TIMEOUT_MESSAGE = "処理に時間がかかりすぎたため中断しました。条件を絞って再度お試しください。"


class TopLevelCode(StrEnum):
    """The closed set of top-level ``extensions.code`` values (api.md §10)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    INTERNAL = "INTERNAL"


_DOMAIN_CODES = {
    ErrorCode.UNAUTHENTICATED: TopLevelCode.UNAUTHENTICATED,
    ErrorCode.FORBIDDEN: TopLevelCode.FORBIDDEN,
    ErrorCode.NOT_FOUND: TopLevelCode.NOT_FOUND,
    ErrorCode.RATE_LIMITED: TopLevelCode.RATE_LIMITED,
}
_MASKED_MESSAGES = {
    TopLevelCode.INTERNAL: UNEXPECTED_MESSAGE,
    TopLevelCode.SERVICE_UNAVAILABLE: UNAVAILABLE_MESSAGE,
    TopLevelCode.TIMEOUT: TIMEOUT_MESSAGE,
}
_TOKEN_LIMIT_TEXT = "Document contains more than"
#: Where graphql-core starts echoing the client's value ("…, found: {'password': …}",
#: "String cannot represent a non string value: …", "Value 'x' does not exist …"): expected
#: errors are logged up to there, so no input value (a password, an account number) reaches a
#: log line (security.md §5, security-tests.md S29).
_ECHO_STARTS = re.compile(
    r""",?\s*\b(?:found|but encountered error)\b|\bValue\s+(?=['"\d{\[-])""", re.IGNORECASE
)
_ECHO_AFTER = re.compile(r"cannot represent[^:]*:", re.IGNORECASE)
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _is_timeout(error: BaseException) -> bool:
    if isinstance(error, TimeoutError):
        return True
    sqlstate = getattr(error, "sqlstate", None)  # asyncpg QueryCanceledError (statement_timeout)
    return sqlstate == "57014"


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, OSError):  # ConnectionError, tortoise DBConnectionError, refused sockets
        return True
    module = type(error).__module__
    if module.startswith("asyncpg"):
        sqlstate = str(getattr(error, "sqlstate", "") or "")
        return sqlstate.startswith(("08", "57P")) or type(error).__name__ in {
            "InterfaceError",
            "ConnectionDoesNotExistError",
            "TooManyConnectionsError",
        }
    return False


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(error: GraphQLError) -> TopLevelCode:
    """The stable code of one top-level error."""
    existing = (error.extensions or {}).get("code")
    if isinstance(existing, str) and existing in TopLevelCode.__members__:
        return TopLevelCode(existing)
    if isinstance(existing, str) and existing in ErrorCode.__members__:
        return _DOMAIN_CODES.get(ErrorCode(existing), TopLevelCode.BAD_USER_INPUT)
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
        if _TOKEN_LIMIT_TEXT in error.message:
            return TopLevelCode.QUERY_TOO_COMPLEX
        return TopLevelCode.BAD_USER_INPUT
    if isinstance(original, DomainError):
        return _DOMAIN_CODES.get(original.code, TopLevelCode.BAD_USER_INPUT)
    if original is not None and not isinstance(original, GraphQLError):
        for cause in _causes(original):
            if _is_timeout(cause):
                return TopLevelCode.TIMEOUT
            if _is_unavailable(cause):
                return TopLevelCode.SERVICE_UNAVAILABLE
        if error.path is None and isinstance(original, ValueError):
            return TopLevelCode.BAD_USER_INPUT  # a scalar refused a variable or literal
        return TopLevelCode.INTERNAL
    # No Python exception behind it: a request error (syntax, validation, variable coercion)
    # unless it arose during execution (a non-null violation), which is our bug.
    return TopLevelCode.BAD_USER_INPUT if error.path is None else TopLevelCode.INTERNAL


def loggable_message(message: str) -> str:
    """``message`` without the client's values that graphql-core echoes into it."""
    cut = len(message)
    echo = _ECHO_STARTS.search(message)
    if echo:
        cut = echo.start()
    after = _ECHO_AFTER.search(message)
    if after:
        cut = min(cut, after.end())
    return message if cut == len(message) else message[:cut].rstrip() + " …"


def with_code(error: GraphQLError, code: TopLevelCode) -> GraphQLError:
    """``error`` carrying ``code``; INTERNAL/SERVICE_UNAVAILABLE/TIMEOUT lose their text.

    A domain error also keeps its own finer code as ``extensions.errorCode`` (e.g. STALE_VERSION
    under BAD_USER_INPUT), the same value a ``UserError.code`` would carry.
    """
    if code in _MASKED_MESSAGES:
        return GraphQLError(
            _MASKED_MESSAGES[code],
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": code.value},
        )
    extensions = {**(error.extensions or {}), "code": code.value}
    if isinstance(error.original_error, DomainError):
        extensions["errorCode"] = error.original_error.code.value
    error.extensions = extensions
    return error


def coded_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Idempotent: every error gets its code; masked ones are replaced."""
    return [with_code(error, classify(error)) for error in errors]


class ErrorCodes(MaskErrors):
    """MaskErrors that also stamps a stable ``extensions.code`` on every top-level error."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: classify(e) in _MASKED_MESSAGES)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return coded_errors(errors)


def _coded_rule(rule: type[ASTValidationRule], code: TopLevelCode) -> type[ASTValidationRule]:
    """``rule`` whose reported errors carry ``code`` (the limiters report in ``__init__``)."""

    class CodedRule(rule):  # type: ignore[valid-type, misc]
        def __init__(self, context: ValidationContext) -> None:
            report = context.on_error

            def on_error(error: GraphQLError) -> None:
                error.extensions = {**(error.extensions or {}), "code": code.value}
                report(error)

            context.on_error = on_error  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                context.on_error = report  # type: ignore[method-assign]

    CodedRule.__name__ = f"Coded{rule.__name__}"
    return CodedRule


# Built once so the validation cache (keyed on the rule tuple) hits across requests.
_COMPLEXITY_RULES: tuple[type[ASTValidationRule], ...] = (
    _coded_rule(
        query_depth_limiter.create_validator(MAX_DEPTH, None), TopLevelCode.QUERY_TOO_COMPLEX
    ),
    _coded_rule(max_aliases.create_validator(MAX_ALIASES), TopLevelCode.QUERY_TOO_COMPLEX),
)


class ComplexityLimits(AddValidationRules):
    """strawberry's QueryDepthLimiter and MaxAliasesLimiter rules, answering QUERY_TOO_COMPLEX."""

    def __init__(self) -> None:
        super().__init__(list(_COMPLEXITY_RULES))


class TokenLimit(MaxTokensLimiter):
    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


class _DirectiveCounter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.names.append(node.name.value)


class RejectDirectiveFlood(SchemaExtension):
    """Directive overloading (security-tests.md S18) answered with exactly one error.

    More than MAX_DIRECTIVES directives, or any directive the schema does not define, stops the
    request before validation (which would report every occurrence separately).
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            counter = _DirectiveCounter()
            visit(context.graphql_document, counter)
            known = {directive.name for directive in context.schema._schema.directives}
            unknown = sorted(set(counter.names) - known)
            if len(counter.names) > MAX_DIRECTIVES:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"Too many directives (max {MAX_DIRECTIVES}).",
                        extensions={"code": TopLevelCode.QUERY_TOO_COMPLEX.value},
                    )
                ]
            elif unknown:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"Unknown directive '@{unknown[0]}'.",
                        extensions={"code": TopLevelCode.BAD_USER_INPUT.value},
                    )
                ]
        yield


class BoundedParserCache(ParserCache):
    """LRU parse cache; a document that fails to parse is left to strawberry to report."""

    def __init__(self) -> None:
        super().__init__(maxsize=CACHE_SIZE)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield


class BoundedValidationCache(ValidationCache):
    """LRU validation cache that respects errors an earlier extension already set."""

    def __init__(self) -> None:
        super().__init__(maxsize=CACHE_SIZE)

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is None:
            yield from super().on_validate()
        else:
            yield


def schema_extensions(
    settings: Settings,
) -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """The extension list, in order: limits and introspection rules, caches, codes and masking."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        TokenLimit,
        ComplexityLimits,
    ]
    if settings.production:
        extensions.append(DisableIntrospection)
    extensions += [BoundedParserCache, RejectDirectiveFlood, BoundedValidationCache, ErrorCodes]
    return extensions


def schema_config(settings: Settings) -> StrawberryConfig:
    return StrawberryConfig(disable_field_suggestions=settings.production)


class HakenSchema(strawberry.Schema):
    """Logs expected errors at INFO (no traceback), unexpected ones once at ERROR; without field
    suggestions (production) no message carries a "Did you mean …?"."""

    @staticmethod
    def remove_field_suggestion(error: GraphQLError) -> None:
        # strawberry cuts only "Cannot query field …"; graphql-core also suggests arguments,
        # input fields, types and enum values, which would recover the schema just the same.
        error.message = _SUGGESTION.sub("", error.message)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = getattr(execution_context, "context", None)
        request_id = getattr(context, "request_id", "") or "-"
        operation = getattr(execution_context, "operation_name", None) or "-"
        for error in errors:
            code = classify(error)
            path = ".".join(str(p) for p in error.path or ()) or "-"
            if code is TopLevelCode.INTERNAL:
                original = error.original_error or error
                logger.error(
                    "unexpected GraphQL error request_id=%s operation=%s path=%s",
                    request_id,
                    operation,
                    path,
                    exc_info=(type(original), original, original.__traceback__),
                    extra={"request_id": request_id},
                )
            else:
                level = logging.INFO if code not in _MASKED_MESSAGES else logging.WARNING
                logger.log(
                    level,
                    "GraphQL error code=%s request_id=%s operation=%s path=%s message=%s",
                    code.value,
                    request_id,
                    operation,
                    path,
                    loggable_message(error.message),
                    extra={"request_id": request_id},
                )

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if isinstance(result, ExecutionResult) and result.errors:
            # Errors raised by an extension bypass ErrorCodes; code and mask them here too.
            result.errors = coded_errors(result.errors)
        return result


def hardened_schema(
    settings: Settings,
    *,
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
) -> HakenSchema:
    """A schema with Haken's extensions and production configuration."""
    return HakenSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        extensions=schema_extensions(settings),
        config=schema_config(settings),
    )
