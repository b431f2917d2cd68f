"""GraphQL shape of expected errors: ``UserError { field code message }`` (api.md §3)."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry

from models.rules.errors import DomainError, FieldError
from models.rules.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(
    DomainErrorCode,
    name="ErrorCode",
    description="利用者エラーの安定コード (stable user-error code)",
)


@strawberry.type(description="入力エラー・業務エラー (an expected failure, with the input path)")
class UserError:
    field: list[str] | None = strawberry.field(
        description='入力項目のパス (path of the input field, e.g. ["input", "id"])'
    )
    code: ErrorCode = strawberry.field(description="安定したエラーコード (stable error code)")  # type: ignore[valid-type]
    message: str = strawberry.field(description="日本語のメッセージ (message in Japanese)")


def user_errors(errors: Iterable[FieldError]) -> list[UserError]:
    return [UserError(field=list(e.field) or None, code=e.code, message=e.message) for e in errors]


def from_domain_error(error: DomainError) -> list[UserError]:
    return user_errors(error.errors)
