"""Composition root: the Starlette app serving ``/graphql``, ``/health`` and the file routes
``/uploads`` and ``/documents/{id}`` (server.uploads) (api.md §10–§13).

``create_app`` wires settings, the hardened schema, the request-body limit (413), CORS, request
ids, the database lifespan and the background-loop supervisor; ``app_factory`` is what uvicorn
loads (``haken serve``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import strawberry
from cross_web import HTTPException as ViewHTTPException
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType
from tortoise import Tortoise, connections

from auth.authenticate import WEBSOCKET, AuthenticationFailed, authenticate
from models.db import tortoise_config
from models.settings import Settings, current_settings
from notifications.fanout import install_transactional_fanout
from schema.context import Context
from server.exports import export_routes
from server.logging import request_id_var
from server.sockets import HakenTransportWSHandler
from server.uploads import UPLOAD_PATH, upload_body_limit, upload_routes

logger = logging.getLogger("haken.server")

GRAPHQL_RESPONSE = "application/graphql-response+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
HEALTH_TIMEOUT_SECONDS = 2.0
SHUTDOWN_GRACE_SECONDS = 20.0
TOO_LARGE_MESSAGE = "リクエストの本文が大きすぎます。"


# --- background loops -------------------------------------------------------------------------


@dataclass(frozen=True)
class BackgroundLoop:
    """A loop of units of work. ``step`` does one unit and returns True if it found work."""

    name: str
    step: Callable[[], Coroutine[Any, Any, bool]]
    idle_seconds: float = 1.0
    stall_seconds: float = 300.0


#: Loops run by ``haken worker`` (and in-process by non-production servers). Empty today.
BACKGROUND_LOOPS: list[BackgroundLoop] = []


class Supervisor:
    """Runs each loop's units in fresh tasks, restarts after failures, stops between units.

    A fresh task per unit keeps a Tortoise transaction context broken by a failed ``BEGIN`` from
    poisoning later units (security-tests.md finding 6). ``stop`` lets the current unit finish.
    """

    def __init__(
        self,
        loops: Sequence[BackgroundLoop],
        *,
        stop: asyncio.Event | None = None,
        restart_seconds: float = 1.0,
        max_restart_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.loops = tuple(loops)
        self.stop = stop or asyncio.Event()
        self.restart_seconds = restart_seconds
        self.max_restart_seconds = max_restart_seconds
        self.clock = clock
        self.passes = dict.fromkeys((loop.name for loop in self.loops), 0)
        self.failures = dict.fromkeys((loop.name for loop in self.loops), 0)
        self._progress = dict.fromkeys((loop.name for loop in self.loops), clock())

    async def run(self) -> None:
        if not self.loops:
            logger.info("no background loops registered; waiting for the stop signal")
            await self.stop.wait()
            return
        await asyncio.gather(*(self._supervise(loop) for loop in self.loops))

    def status(self) -> dict[str, str]:
        now = self.clock()
        return {
            loop.name: "stalled" if now - self._progress[loop.name] > loop.stall_seconds else "ok"
            for loop in self.loops
        }

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _supervise(self, loop: BackgroundLoop) -> None:
        consecutive = 0
        while not self.stop.is_set():
            unit = asyncio.create_task(loop.step(), name=f"haken-{loop.name}")
            try:
                busy = await unit
            except Exception:
                consecutive += 1
                self.failures[loop.name] += 1
                logger.exception("background loop %s failed; restarting", loop.name)
                delay = self.restart_seconds * 2 ** (consecutive - 1)
                await self._pause(min(delay, self.max_restart_seconds))
                continue
            consecutive = 0
            self.passes[loop.name] += 1
            self._progress[loop.name] = self.clock()
            if not busy:
                await self._pause(loop.idle_seconds)


# --- HTTP plumbing ----------------------------------------------------------------------------


class RequestIdMiddleware:
    """``X-Request-ID`` in (if well-formed) or generated, echoed out, visible to logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 with a GraphQL-shaped JSON body once a request body exceeds ``max_body_size``.

    Starlette's own ``max_body_size`` answers in plain text and replaces any response to a request
    whose Content-Length is too large, so the limit is enforced here instead: up front from
    Content-Length, and while streaming for chunked bodies. ``path_limits`` raises the limit for
    exact paths (``POST /uploads``).
    """

    def __init__(
        self, app: ASGIApp, max_body_size: int, path_limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_body_size)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = _error_body(TOO_LARGE_MESSAGE, "BAD_USER_INPUT")
        await JSONResponse(body, status_code=413, headers={"connection": "close"})(
            scope, receive, send
        )


def prefers_graphql_response(accept: str | None) -> bool:
    """True when the client ranks application/graphql-response+json at least as high as JSON."""
    best = {GRAPHQL_RESPONSE: -1.0, "application/json": -1.0}
    for part in (accept or "").split(","):
        media, *params = part.strip().split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        key = media.strip().lower()
        if key in best:
            best[key] = max(best[key], quality)
    return best[GRAPHQL_RESPONSE] > 0 and best[GRAPHQL_RESPONSE] >= best["application/json"]


@dataclass
class SocketContext(Context):
    """Context of a WebSocket: strawberry stores the ``connection_init`` payload here."""

    connection_params: dict[str, Any] | None = None


class _Refused(Exception):
    def __init__(self, failure: AuthenticationFailed) -> None:
        self.failure = failure
        super().__init__(failure.message)


class HakenGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with Haken's principal, refusals and media-type negotiation."""

    graphql_transport_ws_handler_class = HakenTransportWSHandler  # closes with the credential

    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.development else None,
            allow_queries_via_get=settings.development,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=10,
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        graphql_response = prefers_graphql_response(request.headers.get("accept"))
        request.state.graphql_response = graphql_response
        response: Response
        try:
            response = await self.run(request)
        except ViewHTTPException as error:
            response = PlainTextResponse(error.reason, status_code=error.status_code)
        except _Refused as refused:
            failure = refused.failure
            headers = {"www-authenticate": failure.www_authenticate or ""}
            response = JSONResponse(
                _error_body(failure.message, failure.code),
                status_code=failure.status,
                headers={k: v for k, v in headers.items() if v},
            )
        content_type = response.headers.get("content-type", "")
        if graphql_response and content_type.startswith("application/json"):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            if response.status_code == 200 and getattr(request.state, "request_error", False):
                response.status_code = 400  # GraphQL-over-HTTP: a request error is a 4xx
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        request_id = getattr(request.state, "request_id", "") or uuid.uuid4().hex
        if isinstance(request, WebSocket):
            # Sockets authenticate in connection_init (on_ws_connect), never from the URL.
            return SocketContext(
                request=request, response=None, settings=self.settings, request_id=request_id
            )
        assert isinstance(response, Response)
        if self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request)):
            # The IDE page itself executes nothing: no principal needed (a session cookie on a
            # GET would otherwise be refused for lacking the CSRF signal).
            return Context(
                request=request, response=response, settings=self.settings, request_id=request_id
            )
        try:
            principal = await authenticate(
                request.headers, request.cookies, method=request.method, now=datetime.now(UTC)
            )
        except AuthenticationFailed as failure:
            logger.info("authentication refused: %s", failure.reason or failure.code)
            raise _Refused(failure) from failure
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            principal=principal,
            request_id=request_id,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = getattr(context, "connection_params", None) or {}
        authorization = params.get("authorization") or params.get("Authorization")
        headers = {"authorization": authorization} if isinstance(authorization, str) else {}
        socket = context.request
        cookies = socket.cookies if isinstance(socket, WebSocket) else {}
        try:
            context.principal = await authenticate(
                headers, cookies, method=WEBSOCKET, now=datetime.now(UTC)
            )
        except AuthenticationFailed as failure:
            logger.info("socket authentication refused: %s", failure.reason or failure.code)
            raise ConnectionRejectionError from failure
        if not context.principal.authenticated:  # S33 (f): no credential, no socket (4403)
            logger.info("socket authentication refused: no credential")
            raise ConnectionRejectionError
        return await super().on_ws_connect(context)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        errors = result.errors or []
        if errors and result.data is None and all(error.path is None for error in errors):
            request.state.request_error = True  # parse/validation: execution never began
            if getattr(request.state, "graphql_response", False):
                processed.pop("data", None)
        return processed


# --- endpoints and lifespan -------------------------------------------------------------------


async def health(request: Request) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    try:
        client = connections.get("default")
        await asyncio.wait_for(client.execute_query("SELECT 1"), HEALTH_TIMEOUT_SECONDS)
    except Exception as error:  # any failure means "not serving": report, do not raise
        logger.warning("health check: database unavailable (%s)", type(error).__name__)
        body = {"status": "error", "database": "error"}
    supervisor: Supervisor | None = getattr(request.app.state, "supervisor", None)
    if supervisor is not None and supervisor.loops:
        body["workers"] = supervisor.status()
    return JSONResponse(body, status_code=200 if body["database"] == "ok" else 503)


def _lifespan(
    settings: Settings, *, init_db: bool, loops: Sequence[BackgroundLoop]
) -> Callable[[Starlette], Any]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owns_db = init_db and not Tortoise._inited
        if owns_db:
            config = tortoise_config(settings.database_url)
            await Tortoise.init(config=config, _enable_global_fallback=True)
        supervisor = Supervisor(loops)
        app.state.supervisor = supervisor
        runner = asyncio.create_task(supervisor.run(), name="haken-supervisor")
        try:
            yield
        finally:
            supervisor.stop.set()
            try:
                await asyncio.wait_for(runner, SHUTDOWN_GRACE_SECONDS)
            except TimeoutError:
                logger.warning("background loops did not stop within the grace period")
            if owns_db:
                await Tortoise.close_connections()

    return lifespan


def create_app(
    settings: Settings | None = None,
    schema: strawberry.Schema | None = None,
    *,
    init_db: bool = True,
    background: bool = False,
) -> Starlette:
    """The ASGI app. ``init_db=False`` when the caller (a test) owns Tortoise already;
    ``background=True`` runs ``BACKGROUND_LOOPS`` inside the server process."""
    settings = settings or current_settings()
    install_transactional_fanout()
    if schema is None:
        from schema.root import build_schema

        schema = build_schema(settings)
    graphql = HakenGraphQL(schema, settings)
    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/graphql", graphql),
            *upload_routes(settings),
            *export_routes(),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_credentials=True,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["content-type", "authorization", "x-haken-csrf", "x-request-id"],
                expose_headers=["x-request-id"],
                max_age=600,
            ),
            Middleware(
                BodyLimitMiddleware,
                max_body_size=settings.max_body_bytes,
                path_limits={UPLOAD_PATH: upload_body_limit(settings)},
            ),
        ],
        lifespan=_lifespan(settings, init_db=init_db, loops=BACKGROUND_LOOPS if background else ()),
    )


def app_factory() -> Starlette:
    """uvicorn's factory (``haken serve``): every process runs the background loops in its
    lifespan (they are safe with several processes) unless ``BACKGROUND_LOOPS=0`` leaves them
    to ``haken worker``."""
    from server.loops import register_loops

    register_loops()
    settings = current_settings()
    return create_app(settings, background=settings.background_loops)
