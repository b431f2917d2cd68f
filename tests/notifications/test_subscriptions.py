"""Subscriptions over graphql-transport-ws against a real uvicorn server and a real WebSocket
client (security-tests.md S33, R13; api.md §18)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import schema.subscriptions as subscriptions
from auth.jwt import issue_access_token
from auth.principal import Principal
from auth.sessions import create_session, revoke_session
from models.accounts import UserAccount
from models.rules.case_status import CaseStatus
from models.rules.events import EventKind
from models.settings import current_settings
from notifications.broker import Broker, EventNotice, PollingBroker, broker_for_database
from schema.relay import to_global_id
from server.app import create_app
from server.sockets import HakenTransportWSHandler
from tests.factories import World, build_world
from tests.notifications.support import change_case, free_port

PROTOCOL = "graphql-transport-ws"
CASE_UPDATED = """
subscription ($id: ID!) {
  caseUpdated(id: $id) { version kind case { id status version declineReasonText title } }
}
"""
CASE_EVENTS = """
subscription ($filter: CaseEventFilter) {
  caseEvents(filter: $filter) { version kind case { id status } }
}
"""


@pytest.fixture
async def server(db: str) -> AsyncIterator[str]:
    """The real app on a real uvicorn server on 127.0.0.1 (sharing the test database)."""
    port = free_port()
    app = create_app(current_settings(), init_db=False)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        ws="websockets-sansio",
    )
    uvicorn_server = uvicorn.Server(config)
    task = asyncio.create_task(uvicorn_server._serve())  # no signal handlers inside pytest
    await until(lambda: uvicorn_server.started)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        uvicorn_server.should_exit = True
        await asyncio.wait_for(task, 10)


def bearer(principal: Principal, *, now: datetime | None = None) -> dict[str, str]:
    assert principal.account_id is not None and principal.role is not None
    token, _ = issue_access_token(
        principal.account_id, principal.role.value, now or datetime.now(UTC), current_settings()
    )
    return {"authorization": f"Bearer {token}"}


class Client:
    """A graphql-transport-ws client over a real WebSocket."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, seconds: float = 10) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.socket.recv(), seconds)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def init(self, payload: dict[str, Any]) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, query: str, **variables: Any) -> str:
        self.ids += 1
        op = str(self.ids)
        await self.send(
            {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        return op

    async def closed_with(self, seconds: float = 10) -> int | None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(self.socket.recv(), seconds)
        assert self.socket.close_code is not None
        return self.socket.close_code

    async def silent(self, seconds: float) -> bool:
        try:
            message = await asyncio.wait_for(self.socket.recv(), seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message {message!r}")


@contextlib.asynccontextmanager
async def client(url: str, subprotocol: str = PROTOCOL) -> AsyncIterator[Client]:
    async with connect(url, subprotocols=[subprotocol], proxy=None, open_timeout=10) as socket:  # type: ignore[list-item]
        yield Client(socket)


async def until(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def listening(count: int) -> Broker:
    """Wait until ``count`` subscriptions are registered and the broker's source is live."""
    broker = broker_for_database()
    await until(lambda: broker.subscriber_count >= count and broker.ready.is_set())
    return broker


def case_id(world: World) -> str:
    return to_global_id("DispatchCase", world.case_s1_c1)


async def test_subscribe_before_connection_init_is_closed_4401(server: str) -> None:
    async with client(server) as ws:
        await ws.subscribe("subscription { caseEvents { version } }")
        assert await ws.closed_with() == 4401


async def test_a_wrong_subprotocol_is_refused_4406(server: str) -> None:
    async with client(server, "graphql-ws") as ws:
        assert await ws.closed_with() == 4406


async def test_connection_init_without_a_valid_credential_is_closed_4403(server: str) -> None:
    world = await build_world()
    expired = bearer(world.specialist_s1_user, now=datetime.now(UTC) - timedelta(hours=1))
    for payload in ({}, expired, {"authorization": "Bearer not-a-token"}):
        async with client(server) as ws:
            await ws.send({"type": "connection_init", "payload": payload})
            assert await ws.closed_with() == 4403, payload


async def test_an_event_reaches_the_subscriber_with_the_case_and_its_version(server: str) -> None:
    # given S1 subscribed to its case
    world = await build_world()
    async with client(server) as ws:
        assert (await ws.init(bearer(world.specialist_s1_user)))["type"] == "connection_ack"
        op = await ws.subscribe(CASE_UPDATED, id=case_id(world))
        await listening(1)
        # when the case changes (a committed transaction with its event)
        await change_case(
            world.case_s1_c1, EventKind.CASE_COMPLETED, to_status=CaseStatus.COMPLETED
        )
        # then the event arrives with the case as it now is
        message = await ws.receive()
    assert message == {
        "id": op,
        "type": "next",
        "payload": {
            "data": {
                "caseUpdated": {
                    "version": 2,
                    "kind": "CASE_COMPLETED",
                    "case": {
                        "id": case_id(world),
                        "status": "COMPLETED",
                        "version": 2,
                        "declineReasonText": "",
                        "title": "販路開拓の相談",
                    },
                }
            }
        },
    }


async def test_a_rolled_back_change_is_never_pushed(server: str) -> None:
    world = await build_world()
    async with client(server) as ws:
        await ws.init(bearer(world.specialist_s1_user))
        await ws.subscribe(CASE_EVENTS)
        await listening(1)
        with pytest.raises(RuntimeError):
            await change_case(world.case_s1_c1, EventKind.CASE_CONFIRMED, fail=True)
        await change_case(world.case_s1_c1, EventKind.CASE_CHECKED_IN)
        message = await ws.receive()
    assert message["payload"]["data"]["caseEvents"]["kind"] == "CASE_CHECKED_IN"


async def test_another_partys_case_is_not_found_and_never_pushed(server: str) -> None:
    # given company C2 (cases S2/C2 and S1/C2) listening, and asking for C1's case
    world = await build_world()
    async with client(server) as ws:
        await ws.init(bearer(world.company_c2_user))
        foreign = await ws.subscribe(CASE_UPDATED, id=case_id(world))
        refused = await ws.receive()
        missing = await ws.subscribe(CASE_UPDATED, id=to_global_id("DispatchCase", 99999))
        refused_missing = await ws.receive()
        await ws.subscribe(CASE_EVENTS)
        await listening(1)
        # when C1's case changes, then C2's
        await change_case(
            world.case_s1_c1, EventKind.CASE_COMPLETED, to_status=CaseStatus.COMPLETED
        )
        await change_case(world.case_s2_c2, EventKind.CASE_EVALUATED)
        first = await ws.receive()
    # then the foreign case is indistinguishable from a missing one and never delivered
    assert refused["type"] == "error" and refused["id"] == foreign
    assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    assert refused_missing["payload"][0]["message"] == refused["payload"][0]["message"]
    assert refused_missing["id"] == missing
    assert first["payload"]["data"]["caseEvents"]["case"]["id"] == to_global_id(
        "DispatchCase", world.case_s2_c2
    )


async def test_the_secretariat_only_decline_text_is_masked_in_pushed_cases(server: str) -> None:
    world = await build_world()
    declined = to_global_id("DispatchCase", world.case_s2_c2)
    async with client(server) as company, client(server) as office:
        await company.init(bearer(world.company_c2_user))
        await office.init(bearer(world.secretariat_kinki))
        await company.subscribe(CASE_UPDATED, id=declined)
        await office.subscribe(CASE_UPDATED, id=declined)
        await listening(2)
        await change_case(world.case_s2_c2, EventKind.CASE_EVALUATED)
        seen_by_company = await company.receive()
        seen_by_office = await office.receive()
    assert seen_by_company["payload"]["data"]["caseUpdated"]["case"]["declineReasonText"] is None
    assert (
        seen_by_office["payload"]["data"]["caseUpdated"]["case"]["declineReasonText"]
        == world.s2_decline_text
    )


async def test_the_status_filter_and_one_read_per_event(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two subscribers in this process, one only for cancelled cases
    world = await build_world()
    reads: list[int] = []
    original = subscriptions.read_case_update

    async def counted(case: int, now: datetime) -> Any:
        reads.append(case)
        return await original(case, now)

    monkeypatch.setattr(subscriptions, "read_case_update", counted)
    async with client(server) as all_ws, client(server) as cancelled_ws:
        await all_ws.init(bearer(world.secretariat_kanto))
        await cancelled_ws.init(bearer(world.secretariat_kanto))
        await all_ws.subscribe(CASE_EVENTS)
        await cancelled_ws.subscribe(CASE_EVENTS, filter={"statuses": ["CANCELLED"]})
        await listening(2)
        # when one case is evaluated and another cancelled
        await change_case(world.case_s1_c1, EventKind.CASE_EVALUATED)
        await change_case(
            world.case_s2_c1, EventKind.CASE_CANCELLED, to_status=CaseStatus.CANCELLED
        )
        everything = [await all_ws.receive(), await all_ws.receive()]
        only_cancelled = await cancelled_ws.receive()
        assert await cancelled_ws.silent(0.5)
    # then the filter applied, and each case was read once for both subscribers
    assert [m["payload"]["data"]["caseEvents"]["kind"] for m in everything] == [
        "CASE_EVALUATED",
        "CASE_CANCELLED",
    ]
    assert only_cancelled["payload"]["data"]["caseEvents"]["case"]["status"] == "CANCELLED"
    assert reads == [world.case_s1_c1, world.case_s2_c1]


async def test_the_eleventh_subscription_on_a_socket_is_refused(server: str) -> None:
    world = await build_world()
    async with client(server) as ws:
        await ws.init(bearer(world.specialist_s1_user))
        for _ in range(10):
            await ws.subscribe(CASE_EVENTS)
        await listening(10)
        eleventh = await ws.subscribe(CASE_EVENTS)
        refused = await ws.receive()
    assert refused == {
        "id": eleventh,
        "type": "error",
        "payload": [{"message": "Subscription limit reached"}],
    }


async def test_the_socket_closes_when_the_token_expires(server: str) -> None:
    # given a bearer token that expires two seconds from now
    world = await build_world()
    issued = datetime.now(UTC) - timedelta(seconds=current_settings().access_token_seconds - 2)
    async with client(server) as ws:
        assert (await ws.init(bearer(world.specialist_s1_user, now=issued)))["type"] == (
            "connection_ack"
        )
        await ws.subscribe(CASE_EVENTS)
        # then the server closes the socket by itself once it has expired
        assert await ws.closed_with(seconds=10) == 4403


async def test_the_socket_closes_when_the_session_is_revoked(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HakenTransportWSHandler, "recheck_seconds", 0.2)
    world = await build_world()
    account = await UserAccount.get(id=world.specialist_s1_user.account_id)
    cookie = await create_session(account, datetime.now(UTC))
    headers = {"cookie": f"haken_session={cookie}"}
    async with connect(
        server, subprotocols=[PROTOCOL], proxy=None, additional_headers=headers
    ) as raw:  # type: ignore[list-item]
        ws = Client(raw)
        assert (await ws.init({}))["type"] == "connection_ack"
        await ws.subscribe(CASE_EVENTS)
        await listening(1)
        # when the user logs out elsewhere
        await revoke_session(cookie, datetime.now(UTC))
        # then the socket is closed within the re-validation interval
        assert await ws.closed_with(seconds=5) == 4403


async def test_a_slow_consumer_is_dropped_not_buffered() -> None:
    # given a broker with room for 3 queued events per subscriber
    broker = PollingBroker(queue_size=3)
    broker._ensure_running = lambda: None  # type: ignore[method-assign]  (no database source)
    async with broker.subscribe() as slow, broker.subscribe() as fast:
        received: list[int] = []
        for n in range(1, 6):
            broker.publish(EventNotice(event_id=n, kind="CASE_CONFIRMED", case_id=1, version=n))
            received.append((await fast.__anext__()).event_id)
        # then the slow one was dropped after its queue filled, the fast one got everything
        assert received == [1, 2, 3, 4, 5]
        assert slow.dropped and broker.subscriber_count == 1
        with pytest.raises(StopAsyncIteration):
            await slow.__anext__()


async def test_protocol_violations_close_the_socket_with_their_codes(server: str) -> None:
    # security-tests.md S33 (c) a second connection_init → 4429, (d) an unknown type → 4400
    world = await build_world()
    async with client(server) as ws:
        await ws.init(bearer(world.specialist_s1_user))
        await ws.send({"type": "connection_init", "payload": bearer(world.specialist_s1_user)})
        assert await ws.closed_with() == 4429
    async with client(server) as ws:
        await ws.init(bearer(world.specialist_s1_user))
        await ws.send({"type": "bogus"})
        assert await ws.closed_with() == 4400
