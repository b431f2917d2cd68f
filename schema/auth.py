"""Sign-in mutations: ``login``, ``logout``, ``refreshToken`` (api.md §13).

A browser's session token travels only in the ``Set-Cookie`` header (HttpOnly, SameSite=Lax,
Secure in production) and never in the JSON, so page scripts cannot read it; a mobile app gets a
short-lived access token and a rotating refresh token in the payload instead. Wrong credentials,
a locked account or a spent refresh token are ``userErrors``, never exceptions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar

import strawberry
from starlette.requests import Request

import schema.enums  # noqa: F401  (registers Role)
from auth.authenticate import SESSION_COOKIE
from models.rules.errors import DomainError, ErrorCode, FieldError
from models.rules.roles import Role
from resolvers import auth as use_cases
from schema.context import Context
from schema.errors import UserError, from_domain_error, user_errors
from schema.permissions import root_mutation

F = TypeVar("F", bound=Callable[..., Any])


@strawberry.enum(description="ログインするクライアントの種類 (kind of client signing in)")
class AuthClient(Enum):
    BROWSER = strawberry.enum_value(
        "BROWSER", description="ブラウザ：HttpOnly クッキーのセッション (browser, session cookie)"
    )
    MOBILE = strawberry.enum_value(
        "MOBILE",
        description="モバイルアプリ：アクセストークンとリフレッシュトークン (mobile app, token pair)",
    )


@strawberry.input(description="ログインの入力 (login input)")
class LoginInput:
    email: str = strawberry.field(description="メールアドレス、254文字以内 (e-mail, ≤ 254 chars)")
    password: str = strawberry.field(description="パスワード、256文字以内 (password, ≤ 256 chars)")
    client: AuthClient = strawberry.field(
        default=AuthClient.BROWSER, description="クライアントの種類 (kind of client)"
    )


@strawberry.type(description="ログインの結果 (result of a login)")
class LoginPayload:
    viewer_role: Role | None = strawberry.field(
        default=None, description="ログインした利用者のロール (role of the signed-in account)"
    )
    access_token: str | None = strawberry.field(
        default=None, description="アクセストークン、MOBILE のみ (access token, MOBILE only)"
    )
    access_token_expires_at: datetime | None = strawberry.field(
        default=None, description="アクセストークンの有効期限 (expiry of the access token)"
    )
    refresh_token: str | None = strawberry.field(
        default=None,
        description="リフレッシュトークン、MOBILE のみ・一回限り (refresh token, MOBILE only, single use)",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="利用者エラー (expected failures)"
    )


@strawberry.input(description="ログアウトの入力 (logout input)")
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None,
        description="失効させるリフレッシュトークン、MOBILE のみ (refresh token to revoke, MOBILE)",
    )


@strawberry.type(description="ログアウトの結果 (result of a logout)")
class LogoutPayload:
    logged_out: bool = strawberry.field(description="ログアウトしたか (whether it succeeded)")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="利用者エラー (expected failures)"
    )


@strawberry.input(description="トークン更新の入力 (token refresh input)")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(
        description="前回受け取ったリフレッシュトークン (the refresh token received last)"
    )


@strawberry.type(description="トークン更新の結果 (result of a token refresh)")
class RefreshTokenPayload:
    access_token: str | None = strawberry.field(
        default=None, description="新しいアクセストークン (new access token)"
    )
    access_token_expires_at: datetime | None = strawberry.field(
        default=None, description="アクセストークンの有効期限 (expiry of the access token)"
    )
    refresh_token: str | None = strawberry.field(
        default=None,
        description="次のリフレッシュトークン、前のものは無効 (next refresh token; the old one is spent)",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="利用者エラー (expected failures)"
    )


def _user_agent(context: Context) -> str:
    return context.request.headers.get("user-agent", "") if context.request is not None else ""


def _session_cookie(context: Context) -> str | None:
    request = context.request
    return request.cookies.get(SESSION_COOKIE) if isinstance(request, Request) else None


_NEEDS_HTTP = FieldError(
    ErrorCode.INVALID,
    "ブラウザのログインは HTTP リクエストで行ってください。",
    ("input", "client"),
)


@strawberry.type(description="認証のミューテーション (authentication mutations)")
class AuthMutation:
    @root_mutation("ログイン (sign in with e-mail and password)", public=True)
    async def login(
        self,
        info: strawberry.Info[Context, None],
        input: Annotated[
            LoginInput, strawberry.argument(description="ログインの入力 (login input)")
        ],
    ) -> LoginPayload:
        context = info.context
        response = context.response
        if input.client is AuthClient.BROWSER and response is None:
            return LoginPayload(user_errors=user_errors([_NEEDS_HTTP]))
        client: Literal["BROWSER", "MOBILE"] = (
            "MOBILE" if input.client is AuthClient.MOBILE else "BROWSER"
        )
        try:
            result = await use_cases.login(
                input.email,
                input.password,
                client=client,
                now=datetime.now(UTC),
                user_agent=_user_agent(context),
                request_id=context.request_id,
            )
        except DomainError as error:
            return LoginPayload(user_errors=from_domain_error(error))
        if result.session_token is not None and response is not None:
            response.set_cookie(
                SESSION_COOKIE,
                result.session_token,
                max_age=context.settings.session_seconds,
                path="/",
                secure=context.settings.production,
                httponly=True,
                samesite="lax",
            )
        return LoginPayload(
            viewer_role=result.account.role,
            access_token=result.access_token,
            access_token_expires_at=result.access_expires_at,
            refresh_token=result.refresh_token,
        )

    @root_mutation("ログアウト (sign out: end the session or token family)", public=True)
    async def logout(
        self,
        info: strawberry.Info[Context, None],
        input: Annotated[
            LogoutInput | None, strawberry.argument(description="ログアウトの入力 (logout input)")
        ] = None,
    ) -> LogoutPayload:
        context = info.context
        await use_cases.logout(
            context.principal,
            _session_cookie(context),
            input.refresh_token if input is not None else None,
            datetime.now(UTC),
            request_id=context.request_id,
        )
        if context.response is not None:
            context.response.delete_cookie(
                SESSION_COOKIE,
                path="/",
                secure=context.settings.production,
                httponly=True,
                samesite="lax",
            )
        return LogoutPayload(logged_out=True)

    @root_mutation("トークン更新 (rotate the refresh token, new access token)", public=True)
    async def refresh_token(
        self,
        info: strawberry.Info[Context, None],
        input: Annotated[
            RefreshTokenInput,
            strawberry.argument(description="トークン更新の入力 (token refresh input)"),
        ],
    ) -> RefreshTokenPayload:
        try:
            result = await use_cases.refresh(
                input.refresh_token, datetime.now(UTC), request_id=info.context.request_id
            )
        except DomainError as error:
            return RefreshTokenPayload(user_errors=from_domain_error(error))
        return RefreshTokenPayload(
            access_token=result.access_token,
            access_token_expires_at=result.access_expires_at,
            refresh_token=result.refresh_token,
        )
