"""Resolve the one :class:`Principal` of a request (api.md §12–13).

Order: ``Authorization: Bearer <jwt>`` (mobile) wins over the session cookie (browser); with
neither the request is anonymous. Credentials are read from headers and cookies only — never from
the query string, which ends up in access logs and browser history.

A bearer token is verified without any SQL; only a valid signature leads to the account lookup.
A cookie is sent by the browser automatically, also on a cross-site form post, so a
cookie-authenticated HTTP request must carry a signal a simple (non-preflighted) request cannot:
a JSON content type or ``X-Haken-CSRF: 1`` (Apollo's ``csrfPrevention`` rule). WebSocket
handshakes cannot carry custom headers; there the server's Origin allow-list is the defence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from auth.jwt import InvalidToken, decode_access_token
from auth.principal import ANONYMOUS, Principal
from auth.sessions import resolve_session
from models.accounts import UserAccount
from models.organisations import SupportOrganization
from models.settings import current_settings

SESSION_COOKIE = "haken_session"
CSRF_HEADER = "x-haken-csrf"
WEBSOCKET = "WEBSOCKET"
_NON_SIMPLE_CONTENT_TYPES = frozenset({"application/json", "application/graphql-response+json"})
_INVALID_TOKEN = 'Bearer error="invalid_token"'


class AuthenticationFailed(Exception):
    """Credentials were presented but are not acceptable; the request is refused as a whole.

    ``status`` is 401 (bad credentials, ``www_authenticate`` set for bearer tokens) or 403 (a
    cookie without the CSRF signal); ``code`` is the top-level ``extensions.code``.
    """

    def __init__(
        self,
        message: str = "認証に失敗しました。",
        *,
        www_authenticate: str | None = None,
        code: str = "UNAUTHENTICATED",
        status: int = 401,
        reason: str = "",
    ) -> None:
        self.message = message
        self.www_authenticate = www_authenticate
        self.code = code
        self.status = status
        self.reason = reason
        super().__init__(message)


async def _platform_of(account: UserAccount) -> int | None:
    if account.organization_id is None:  # type: ignore[attr-defined]
        return None
    loaded = vars(account).get("_organization")  # where Tortoise keeps a select_related row
    if isinstance(loaded, SupportOrganization):  # fetched by select_related: no query
        return loaded.platform_id  # type: ignore[attr-defined]
    platform_ids = await SupportOrganization.filter(id=account.organization_id).values_list(  # type: ignore[attr-defined]
        "platform_id", flat=True
    )
    return platform_ids[0] if platform_ids else None  # type: ignore[return-value]


async def principal_for_account(
    account: UserAccount,
    *,
    auth_method: str,
    session_id: int | None = None,
    expires_at: float | None = None,
) -> Principal:
    """The principal of a signed-in account; load it with ``select_related("organization")``."""
    return Principal(
        account_id=account.id,
        role=account.role,
        display_name=account.display_name,
        specialist_id=account.specialist_id,  # type: ignore[attr-defined]
        company_id=account.company_id,  # type: ignore[attr-defined]
        organization_id=account.organization_id,  # type: ignore[attr-defined]
        platform_id=await _platform_of(account),
        office_id=account.office_id,  # type: ignore[attr-defined]
        platform_scope=account.platform_scope,
        auth_method=auth_method,
        session_id=session_id,
        expires_at=expires_at,
    )


def _bearer_token(authorization: str) -> str:
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(www_authenticate=_INVALID_TOKEN, reason="scheme")
    return token.strip()


def _has_csrf_signal(headers: Mapping[str, str]) -> bool:
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type in _NON_SIMPLE_CONTENT_TYPES or headers.get(CSRF_HEADER, "").strip() == "1"


async def _from_bearer(token: str, now: datetime) -> Principal:
    try:
        claims = decode_access_token(token, now, current_settings())
    except InvalidToken as error:
        raise AuthenticationFailed(www_authenticate=_INVALID_TOKEN, reason=error.reason) from error
    account = (
        await UserAccount.filter(id=int(claims["sub"]), is_active=True)
        .select_related("organization")
        .first()
    )
    if account is None:
        raise AuthenticationFailed(www_authenticate=_INVALID_TOKEN, reason="account")
    changed = account.password_changed_at
    if changed is not None and claims["iat"] < int(changed.timestamp()):
        # Issued before the last password change: a stolen token dies with the old password.
        raise AuthenticationFailed(www_authenticate=_INVALID_TOKEN, reason="password_changed")
    return await principal_for_account(account, auth_method="jwt", expires_at=float(claims["exp"]))


async def _from_cookie(token: str, now: datetime) -> Principal:
    session = await resolve_session(token, now)
    if session is None or not session.account.is_active:
        # A stale cookie must not block signing in again: the request is simply anonymous.
        return ANONYMOUS
    return await principal_for_account(
        session.account,
        auth_method="session",
        session_id=session.id,
        expires_at=session.expires_at.timestamp(),
    )


async def authenticate(
    headers: Mapping[str, str], cookies: Mapping[str, str], *, method: str, now: datetime
) -> Principal:
    """The principal of one HTTP request (``method`` GET/POST/…) or WebSocket (``WEBSOCKET``).

    Raises :class:`AuthenticationFailed` when credentials are present but unacceptable.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    authorization = lowered.get("authorization")
    if authorization is not None:
        return await _from_bearer(_bearer_token(authorization), now)
    session_token = cookies.get(SESSION_COOKIE)
    if not session_token:
        return ANONYMOUS
    if method.upper() != WEBSOCKET and not _has_csrf_signal(lowered):
        raise AuthenticationFailed(
            "このリクエストは受け付けられません。ページを再読み込みしてください。",
            code="FORBIDDEN",
            status=403,
            reason="csrf",
        )
    return await _from_cookie(session_token, now)
