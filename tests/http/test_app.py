"""The composition root over HTTP: request ids, health, body limit, auth refusals, error codes."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from strawberry.types import Info
from tortoise import Tortoise
from tortoise.exceptions import DBConnectionError, OperationalError

from auth.jwt import issue_access_token
from models.db import tortoise_config
from models.rules.errors import Forbidden, NotFound, StaleVersion
from models.rules.roles import Role
from models.settings import Settings, current_settings
from schema.context import Context
from schema.extensions import TopLevelCode, classify, hardened_schema
from server.app import BACKGROUND_LOOPS, BackgroundLoop, create_app, prefers_graphql_response
from server.logging import AccessPathFilter, JsonLineFormatter, RedactFilter, RequestIdFilter
from tests.factories import make_account

SETTINGS = Settings(
    env="test",
    secret_key="test-secret-key-with-more-than-32-characters",
    cors_origins=("https://app.example.jp",),
    max_body_bytes=1_000_000,
)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "こんにちは"

    @strawberry.field
    def viewer(self, info: Info[Context, None]) -> str:
        return info.context.principal.auth_method

    @strawberry.field
    def request_id(self, info: Info[Context, None]) -> str:
        return info.context.request_id

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError('relation "secret_table" does not exist; password=hunter2')

    @strawberry.field
    def missing(self) -> str | None:
        raise NotFound()

    @strawberry.field
    def forbidden(self) -> str | None:
        raise Forbidden()

    @strawberry.field
    def stale(self) -> str | None:
        raise StaleVersion()

    @strawberry.field
    def database_down(self) -> str | None:
        raise ConnectionRefusedError("connect call failed ('10.0.0.5', 5432)")


def make_app(settings: Settings = SETTINGS) -> Starlette:
    return create_app(settings, hardened_schema(settings, query=Query), init_db=False)


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def post(
    query: str, headers: dict[str, str] | None = None, app: Starlette | None = None, url: str = ""
) -> httpx.Response:
    async with client(app or make_app()) as http:
        return await http.post(url or "/graphql", json={"query": query}, headers=headers or {})


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_request_id_is_echoed_and_reaches_the_context() -> None:
    # given a client-chosen request id
    headers = {"x-request-id": "trace-42.abc"}
    # when
    response = await post("{ requestId }", headers)
    # then
    assert response.headers["x-request-id"] == "trace-42.abc"
    assert response.json() == {"data": {"requestId": "trace-42.abc"}}


async def test_a_malformed_request_id_is_replaced_by_a_generated_one() -> None:
    response = await post("{ requestId }", {"x-request-id": "bad id\r\nX-Injected: 1"})
    generated = response.headers["x-request-id"]
    assert generated != "bad id\r\nX-Injected: 1"
    assert len(generated) == 32
    assert response.json()["data"]["requestId"] == generated


async def test_health_reports_the_database(db: str) -> None:
    async with client(make_app()) as http:
        response = await http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_answers_503_when_the_database_is_unreachable(tmp_path: Any) -> None:
    # given a database file in a folder that does not exist
    url = f"sqlite://{tmp_path}/missing/folder/haken.sqlite3"
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        async with client(make_app()) as http:
            response = await http.get("/health")
    finally:
        await Tortoise.close_connections()
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}


async def test_a_two_megabyte_body_is_refused_with_413() -> None:
    # given a body twice the limit (huge variables)
    payload = {"query": "{ hello }", "variables": {"blob": "x" * 2_000_000}}
    async with client(make_app()) as http:
        response = await http.post("/graphql", json=payload)
    assert response.status_code == 413
    assert codes(response.json()) == ["BAD_USER_INPUT"]


async def test_a_small_body_passes_the_limit() -> None:
    response = await post("{ hello }")
    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "こんにちは"}}


async def test_an_unexpected_error_is_masked_and_logged_once_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    caplog.set_level(logging.INFO)
    # when a resolver fails unexpectedly
    response = await post("{ broken }", {"x-request-id": "req-unexpected-1"})
    # then the client learns nothing about the cause
    body = response.json()
    assert response.status_code == 200
    assert body["errors"][0]["message"] == "Unexpected error."
    assert codes(body) == ["INTERNAL"]
    assert body["errors"][0]["path"] == ["broken"]
    text = response.text
    for leak in ("Traceback", "secret_table", "relation", "RuntimeError", "exception", "hunter2"):
        assert leak not in text
    # and the server logs it exactly once, at ERROR, with the request id
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].request_id == "req-unexpected-1"  # type: ignore[attr-defined]
    assert "req-unexpected-1" in errors[0].getMessage()


@pytest.mark.parametrize(
    ("field", "code", "domain_code"),
    [
        ("missing", "NOT_FOUND", "NOT_FOUND"),
        ("forbidden", "FORBIDDEN", "FORBIDDEN"),
        ("stale", "BAD_USER_INPUT", "STALE_VERSION"),
    ],
)
async def test_domain_errors_keep_their_message_and_are_not_logged_as_error(
    field: str, code: str, domain_code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await post(f"{{ {field} }}")
    body = response.json()
    assert codes(body) == [code]
    assert body["errors"][0]["message"] != "Unexpected error."
    assert body["data"] == {field: None}
    assert body["errors"][0]["extensions"]["errorCode"] == domain_code
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    expected = [r for r in caplog.records if r.name == "haken.graphql"]
    assert len(expected) == 1
    assert expected[0].levelno == logging.INFO
    assert expected[0].exc_info is None


async def test_a_database_outage_is_masked_as_service_unavailable() -> None:
    response = await post("{ databaseDown }")
    body = response.json()
    assert codes(body) == ["SERVICE_UNAVAILABLE"]
    assert "10.0.0.5" not in response.text
    assert "5432" not in response.text


async def test_a_syntax_error_is_bad_user_input_with_only_the_syntax_message() -> None:
    response = await post("qwerty cop { abc }")
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert "exception" not in body["errors"][0].get("extensions", {})


async def test_graphql_response_json_is_answered_when_asked_for() -> None:
    # given a client that prefers the GraphQL-over-HTTP media type
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    # when the request is fine
    ok = await post("{ hello }", accept)
    # then
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert ok.json() == {"data": {"hello": "こんにちは"}}
    # when the request does not validate, it is a request error: 4xx and no data entry
    bad = await post("{ nope }", accept)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in bad.json()
    assert codes(bad.json()) == ["BAD_USER_INPUT"]
    # when a field fails, the response is still a 200 with data
    partial = await post("{ hello missing }", accept)
    assert partial.status_code == 200
    assert partial.json()["data"] == {"hello": "こんにちは", "missing": None}


async def test_plain_json_clients_get_application_json_and_200_for_request_errors() -> None:
    response = await post("{ nope }", {"accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"] is None


def test_accept_negotiation_ranks_by_quality() -> None:
    assert prefers_graphql_response("application/graphql-response+json")
    assert prefers_graphql_response("application/json;q=0.5, application/graphql-response+json")
    assert not prefers_graphql_response("application/json")
    assert not prefers_graphql_response("*/*")
    assert not prefers_graphql_response(None)
    assert not prefers_graphql_response("application/graphql-response+json;q=0")
    assert not prefers_graphql_response("application/graphql-response+json;q=0.4, application/json")


async def test_an_invalid_bearer_token_is_refused_with_401_before_any_sql(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given SQL statements are counted through Tortoise's query log
    caplog.set_level(logging.DEBUG, logger="tortoise.db_client")
    before = len([r for r in caplog.records if r.name == "tortoise.db_client"])
    # when
    for authorization in ("Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer "):
        response = await post("{ viewer }", {"authorization": authorization})
        # then
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert codes(response.json()) == ["UNAUTHENTICATED"]
    after = len([r for r in caplog.records if r.name == "tortoise.db_client"])
    assert after == before


async def test_a_valid_bearer_token_authenticates(db: str) -> None:
    account = await make_account(Role.SECRETARIAT)
    token, _ = issue_access_token(account.id, "SECRETARIAT", datetime.now(UTC), current_settings())
    response = await post("{ viewer }", {"authorization": f"Bearer {token}"})
    assert response.json() == {"data": {"viewer": "jwt"}}


async def test_credentials_in_the_url_are_ignored(db: str) -> None:
    # given a valid token
    account = await make_account(Role.SECRETARIAT)
    token, _ = issue_access_token(account.id, "SECRETARIAT", datetime.now(UTC), current_settings())
    # when it is sent in the query string instead of the Authorization header
    for url in (f"/graphql?access_token={token}", f"/graphql?token={token}"):
        response = await post("{ viewer }", url=url)
        # then the request is anonymous
        assert response.json() == {"data": {"viewer": "anonymous"}}


async def test_a_cookie_without_the_csrf_signal_is_refused() -> None:
    async with client(make_app()) as http:
        http.cookies.set("haken_session", "whatever")
        response = await http.post(
            "/graphql", content=b'{"query":"{ hello }"}', headers={"content-type": "text/plain"}
        )
    assert response.status_code == 403
    assert codes(response.json()) == ["FORBIDDEN"]


async def test_cors_allows_only_configured_origins() -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-haken-csrf",
    }
    async with client(make_app()) as http:
        allowed = await http.options(
            "/graphql", headers={"origin": "https://app.example.jp", **preflight}
        )
        evil = await http.options(
            "/graphql", headers={"origin": "https://evil.example", **preflight}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.jp"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in evil.headers


def _record(msg: str, *args: object, name: str = "haken.test") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_the_redact_filter_removes_secrets_and_escapes_line_breaks() -> None:
    # given a message full of secrets
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    record = _record(
        "login %s password=%s token: '%s' Authorization: Bearer abc.def-123 "
        '{"accountNumber": "1234567", "refresh_token": "r-1"} cookie=haken_session=zzz %s\r\nFAKE',
        "yamada@example.jp",
        "hunter2",
        "hkn_" + "A" * 49,
        jwt,
    )
    # when
    RedactFilter().filter(record)
    text = JsonLineFormatter().format(record)
    # then
    for secret in ("hunter2", "hkn_AAAA", "abc.def-123", "1234567", "r-1", "zzz", jwt):
        assert secret not in text
    assert "yamada@example.jp" in text
    assert "\r\n" not in record.getMessage()
    assert "\\r\\nFAKE" in record.getMessage()
    assert json.loads(text)["message"].count("[REDACTED]") >= 6


def test_the_access_log_drops_query_strings() -> None:
    record = _record(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/graphql?access_token=eyJsecret",
        "1.1",
        200,
        name="uvicorn.access",
    )
    AccessPathFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /graphql HTTP/1.1" 200'


async def test_log_lines_carry_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    # given the request-id filter on the capturing handler
    stamp = RequestIdFilter()
    caplog.handler.addFilter(stamp)
    caplog.set_level(logging.INFO)
    # when a request is refused (logged by the server, without an explicit request id)
    try:
        await post("{ hello }", {"x-request-id": "req-log-7", "authorization": "Basic eA=="})
    finally:
        caplog.handler.removeFilter(stamp)
    # then the line carries the request id of the request being served
    lines = [r for r in caplog.records if r.name == "haken.server"]
    assert [r.request_id for r in lines] == ["req-log-7"]  # type: ignore[attr-defined]
    assert json.loads(JsonLineFormatter().format(lines[0]))["request_id"] == "req-log-7"
    assert "eA==" not in lines[0].getMessage()


class Socket:
    """A minimal graphql-transport-ws client driving the ASGI app directly."""

    def __init__(self, app: Starlette, headers: dict[str, str], subprotocol: str) -> None:
        self.inbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
        raw = [(b"host", b"testserver")] + [(k.encode(), v.encode()) for k, v in headers.items()]
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": raw,
            "subprotocols": [subprotocol],
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
        }
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.inbox.get, self.outbox.put))

    async def receive(self) -> MutableMapping[str, Any]:
        return await asyncio.wait_for(self.outbox.get(), 10)

    async def send(self, message: dict[str, Any]) -> None:
        await self.inbox.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def reply(self) -> dict[str, Any]:
        message = await self.receive()
        assert message["type"] == "websocket.send", message
        reply: dict[str, Any] = json.loads(message["text"])
        return reply

    async def close(self) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 10)


async def test_a_socket_without_credentials_is_closed_4403() -> None:
    # security-tests.md S33 (f): connection_init without a credential is refused
    socket = Socket(make_app(), {}, "graphql-transport-ws")
    assert (await socket.receive())["type"] == "websocket.accept"
    await socket.send({"type": "connection_init", "payload": {}})
    closed = await socket.receive()
    await socket.close()
    assert closed["type"] == "websocket.close"
    assert closed["code"] == 4403


async def test_a_socket_with_bad_credentials_is_closed_4403() -> None:
    socket = Socket(make_app(), {}, "graphql-transport-ws")
    assert (await socket.receive())["type"] == "websocket.accept"
    await socket.send({"type": "connection_init", "payload": {"authorization": "Basic eA=="}})
    closed = await socket.receive()
    await socket.close()
    assert closed["type"] == "websocket.close"
    assert closed["code"] == 4403


async def test_the_legacy_graphql_ws_protocol_is_refused() -> None:
    socket = Socket(make_app(), {}, "graphql-ws")
    assert (await socket.receive())["type"] == "websocket.accept"
    closed = await socket.receive()
    await socket.close()
    assert closed["code"] == 4406


async def test_a_socket_from_a_foreign_origin_is_refused_before_accepting() -> None:
    evil = Socket(make_app(), {"origin": "https://evil.example"}, "graphql-transport-ws")
    refused = await evil.receive()
    await evil.close()
    allowed = Socket(make_app(), {"origin": "https://app.example.jp"}, "graphql-transport-ws")
    accepted = await allowed.receive()
    await allowed.close()
    assert refused["type"] == "websocket.close"
    assert accepted["type"] == "websocket.accept"


async def test_the_lifespan_runs_registered_loops_and_stops_them(db: str) -> None:
    # given a registered background loop
    started = asyncio.Event()
    units: list[int] = []

    async def step() -> bool:
        units.append(len(units))
        started.set()
        return False

    BACKGROUND_LOOPS.append(BackgroundLoop("probe", step, idle_seconds=3600))
    try:
        app = create_app(SETTINGS, hardened_schema(SETTINGS, query=Query), background=True)
        # when the app starts (the test harness owns the database, so it is left alone)
        async with app.router.lifespan_context(app), client(app) as http:
            await asyncio.wait_for(started.wait(), 10)
            health = await http.get("/health")
        # then the loop ran, health reported it, and shutdown ended it
        assert health.json() == {"status": "ok", "database": "ok", "workers": {"probe": "ok"}}
        assert units == [0]
        assert app.state.supervisor.stop.is_set()
        assert Tortoise._inited
    finally:
        BACKGROUND_LOOPS.clear()


def _wrapped(error: Exception, outer: Exception) -> Exception:
    try:
        try:
            raise error
        except Exception as inner:
            raise outer from inner
    except Exception as caught:
        return caught


@pytest.mark.parametrize(
    ("original", "path", "code"),
    [
        (TimeoutError(), ["cases"], "TIMEOUT"),
        (asyncpg.exceptions.QueryCanceledError("canceling statement"), ["cases"], "TIMEOUT"),
        (DBConnectionError("refused"), ["cases"], "SERVICE_UNAVAILABLE"),
        (
            _wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed"), OperationalError()),
            ["cases"],
            "SERVICE_UNAVAILABLE",
        ),
        (asyncpg.exceptions.InterfaceError("connection is closed"), ["x"], "SERVICE_UNAVAILABLE"),
        (OperationalError('relation "x" does not exist'), ["cases"], "INTERNAL"),
        (ValueError("not a bank code"), None, "BAD_USER_INPUT"),
        (ValueError("int('')"), ["case"], "INTERNAL"),
        (None, None, "BAD_USER_INPUT"),
        (None, ["case", "title"], "INTERNAL"),
    ],
)
def test_every_error_gets_a_code_from_the_closed_set(
    original: Exception | None, path: list[str] | None, code: str
) -> None:
    error = GraphQLError("boom", path=path, original_error=original)
    assert classify(error) == code
    assert set(TopLevelCode) >= {classify(error)}
