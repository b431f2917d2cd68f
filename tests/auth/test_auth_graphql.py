"""The sign-in mutations over HTTP, through a small schema around ``AuthMutation``.

The session token must travel only in ``Set-Cookie`` (HttpOnly, SameSite=Lax, Path=/, Max-Age,
Secure in production) and never in the JSON; expected failures are userErrors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import strawberry
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from auth.authenticate import SESSION_COOKIE, authenticate
from auth.passwords import hash_password_sync
from models.accounts import Session
from models.audit import AuditEvent
from models.rules.roles import Role
from models.settings import Settings, current_settings
from schema.auth import AuthMutation
from schema.context import Context
from tests.factories import make_account

PASSWORD = "correct horse battery staple"
_HASH = hash_password_sync(PASSWORD)
JSON = {"content-type": "application/json"}

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    viewerRole accessToken accessTokenExpiresAt refreshToken
    userErrors { field code message }
  }
}
"""
LOGOUT = """
mutation Logout($input: LogoutInput) { logout(input: $input) { loggedOut userErrors { code } } }
"""
REFRESH = """
mutation Refresh($input: RefreshTokenInput!) {
  refreshToken(input: $input) {
    accessToken accessTokenExpiresAt refreshToken userErrors { field code message }
  }
}
"""
WHOAMI = "{ whoami }"


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: strawberry.Info[Context, None]) -> str | None:
        principal = info.context.principal
        return f"{principal.role}:{principal.auth_method}" if principal.role else None


class _App(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(strawberry.Schema(query=Query, mutation=AuthMutation), graphql_ide=None)
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request) and isinstance(response, Response)
        principal = await authenticate(
            request.headers, request.cookies, method=request.method, now=datetime.now(UTC)
        )
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            principal=principal,
            request_id="req-graphql",
        )


def _client(settings: Settings | None = None) -> httpx.AsyncClient:
    app = _App(settings or current_settings())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def http(db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _client() as client:
        yield client


async def _post(http: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    return await http.post("/graphql", json={"query": query, "variables": variables})


def _login_input(email: str, password: str = PASSWORD, client: str = "BROWSER") -> dict[str, str]:
    return {"email": email, "password": password, "client": client}


async def test_browser_login_sets_a_hardened_cookie_and_keeps_it_out_of_the_json(
    http: httpx.AsyncClient,
) -> None:
    # given
    account = await make_account(Role.SECRETARIAT, password_hash=_HASH)
    # when
    reply = await _post(http, LOGIN, input=_login_input(account.email))
    # then
    assert reply.status_code == 200
    payload = reply.json()["data"]["login"]
    assert payload == {
        "viewerRole": "SECRETARIAT",
        "accessToken": None,
        "accessTokenExpiresAt": None,
        "refreshToken": None,
        "userErrors": [],
    }
    [cookie] = reply.headers.get_list("set-cookie")
    name, _, rest = cookie.partition("=")
    token = rest.split(";", 1)[0]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert name == SESSION_COOKIE and len(token) >= 43
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert f"max-age={current_settings().session_seconds}" in attributes
    assert "secure" not in attributes  # test settings are not production
    assert token not in reply.text
    assert await Session.filter(account_id=account.id).count() == 1


async def test_the_cookie_is_secure_in_production(db: str) -> None:
    # given
    account = await make_account(Role.SECRETARIAT, password_hash=_HASH)
    production = replace(current_settings(), env="production")
    # when
    async with _client(production) as http:
        reply = await _post(http, LOGIN, input=_login_input(account.email))
    # then
    [cookie] = reply.headers.get_list("set-cookie")
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


async def test_the_session_cookie_signs_in_later_requests_until_logout(
    http: httpx.AsyncClient,
) -> None:
    # given
    account = await make_account(Role.SECRETARIAT, password_hash=_HASH)
    await _post(http, LOGIN, input=_login_input(account.email))
    # when
    signed_in = await http.post("/graphql", json={"query": WHOAMI})
    logged_out = await _post(http, LOGOUT)
    after = await http.post("/graphql", json={"query": WHOAMI}, headers=JSON)
    # then
    assert signed_in.json()["data"]["whoami"] == "SECRETARIAT:session"
    assert logged_out.json()["data"]["logout"] == {"loggedOut": True, "userErrors": []}
    [cleared] = logged_out.headers.get_list("set-cookie")
    assert cleared.startswith(f"{SESSION_COOKIE}=") and "max-age=0" in cleared.lower()
    assert after.json()["data"]["whoami"] is None
    assert await Session.filter(revoked_at__isnull=False).count() == 1
    assert await AuditEvent.filter(action="authn_logout", actor_id=account.id).count() == 1


async def test_mobile_login_returns_tokens_that_authenticate_and_rotate(
    http: httpx.AsyncClient,
) -> None:
    # given
    account = await make_account(Role.SECRETARIAT, password_hash=_HASH)
    # when
    reply = await _post(http, LOGIN, input=_login_input(account.email, client="MOBILE"))
    payload = reply.json()["data"]["login"]
    bearer = {"authorization": f"Bearer {payload['accessToken']}"}
    whoami = await http.post("/graphql", json={"query": WHOAMI}, headers=bearer)
    rotated = await _post(http, REFRESH, input={"refreshToken": payload["refreshToken"]})
    replayed = await _post(http, REFRESH, input={"refreshToken": payload["refreshToken"]})
    # then
    assert "set-cookie" not in reply.headers
    assert payload["viewerRole"] == "SECRETARIAT" and payload["accessTokenExpiresAt"]
    assert whoami.json()["data"]["whoami"] == "SECRETARIAT:jwt"
    fresh = rotated.json()["data"]["refreshToken"]
    assert fresh["userErrors"] == [] and fresh["refreshToken"] != payload["refreshToken"]
    assert fresh["accessToken"] and fresh["accessTokenExpiresAt"]
    again = replayed.json()["data"]["refreshToken"]
    assert again["accessToken"] is None and again["refreshToken"] is None
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_TOKEN"]
    event = await AuditEvent.get(action="authn_refresh_reuse")
    assert event.request_id == "req-graphql"


async def test_unknown_user_and_wrong_password_get_identical_bodies(
    http: httpx.AsyncClient,
) -> None:
    # given
    account = await make_account(Role.SECRETARIAT, password_hash=_HASH)
    # when
    unknown = await _post(http, LOGIN, input=_login_input("nobody@example.jp", "wrong"))
    wrong = await _post(http, LOGIN, input=_login_input(account.email, "wrong"))
    # then
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.json() == wrong.json()
    errors = wrong.json()["data"]["login"]["userErrors"]
    assert errors == [
        {
            "field": None,
            "code": "INVALID_CREDENTIALS",
            "message": "メールアドレスまたはパスワードが正しくありません。",
        }
    ]
    assert "set-cookie" not in wrong.headers


async def test_a_locked_account_is_a_user_error(http: httpx.AsyncClient) -> None:
    account = await make_account(
        Role.SECRETARIAT,
        password_hash=_HASH,
        failed_logins=5,
        locked_until=datetime(2999, 1, 1, tzinfo=UTC),
    )
    reply = await _post(http, LOGIN, input=_login_input(account.email))
    assert [e["code"] for e in reply.json()["data"]["login"]["userErrors"]] == ["ACCOUNT_LOCKED"]
    assert "set-cookie" not in reply.headers


async def test_overlong_password_is_refused_as_a_user_error(http: httpx.AsyncClient) -> None:
    reply = await _post(http, LOGIN, input=_login_input("a@example.jp", "p" * 257))
    assert reply.json()["data"]["login"]["userErrors"] == [
        {
            "field": ["input", "password"],
            "code": "TOO_LONG",
            "message": "パスワードは256文字以内で入力してください。",
        }
    ]
    assert await AuditEvent.all().count() == 0


async def test_every_auth_type_field_and_argument_is_described() -> None:
    # given
    schema = strawberry.Schema(query=Query, mutation=AuthMutation)
    graphql_schema = schema._schema
    names = [
        "AuthClient",
        "LoginInput",
        "LoginPayload",
        "LogoutInput",
        "LogoutPayload",
        "RefreshTokenInput",
        "RefreshTokenPayload",
        "AuthMutation",
    ]
    # when
    missing: list[str] = []
    for name in names:
        graphql_type = graphql_schema.get_type(name)
        assert graphql_type is not None, name
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                if not value.description:
                    missing.append(f"{name}.{value_name}")
    # then
    assert missing == []
