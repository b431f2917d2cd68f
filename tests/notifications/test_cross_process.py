"""Fan-out across server processes (api.md §18, issue 5 "Done when"): two real ``haken serve``
processes on PostgreSQL; a status change made through process A's GraphQL reaches a subscriber
connected to process B, and its mails are delivered once although both processes run a relay.
The PostgreSQL listener of the broker also survives losing its connection."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect

from models.cases import DispatchCase
from models.outbox import DomainEvent, OutboxMessage, OutboxStatus
from models.rules.events import EventKind
from notifications.broker import PostgresBroker, broker_for_database
from notifications.mailer import mailbox_file_name
from schema.relay import to_global_id
from tests.conftest import DB_KIND, PG_URL, TEST_SETTINGS
from tests.factories import World, build_world
from tests.notifications.support import free_port, mail_files
from tests.notifications.test_subscriptions import PROTOCOL, Client, bearer, until

pytestmark = pytest.mark.skipif(DB_KIND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")

HAKEN = str(Path(sys.executable).with_name("haken"))
WITHDRAW = """
mutation ($input: CaseWithdrawInput!) {
  caseWithdraw(input: $input) { case { status version } userErrors { code message } }
}
"""


class Process:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        env = dict(os.environ)
        env.update(
            HAKEN_ENV="test",
            DATABASE_URL=PG_URL,
            SECRET_KEY=TEST_SETTINGS.secret_key,
            PUBLIC_BASE_URL="http://testserver",
            MAILBOX_DIR=str(workdir / "mailbox"),
            DB_POOL_MAX="3",
            SMTP_URL="",
        )
        self.log = (workdir / f"serve-{port}.log").open("wb")
        self.process = subprocess.Popen(
            [HAKEN, "--log-level", "WARNING", "serve", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def healthy(self) -> None:
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(300):
                assert self.process.poll() is None, "haken serve exited"
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{self.http}/health")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise AssertionError("haken serve did not become healthy")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


@pytest.fixture
def two_servers(db: str, tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    first, second = Process(free_port(), tmp_path), Process(free_port(), tmp_path)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@contextlib.asynccontextmanager
async def subscriber(url: str, auth: dict[str, str]) -> AsyncIterator[Client]:
    async with connect(url, subprotocols=[PROTOCOL], proxy=None) as socket:  # type: ignore[list-item]
        ws = Client(socket)
        assert (await ws.init(auth))["type"] == "connection_ack"
        await ws.subscribe("subscription { caseEvents { kind version case { id status } } }")
        yield ws


async def _live(ws: Client, world: World) -> None:
    """Probe events until the remote subscription delivers one (it has no readiness signal)."""
    for _ in range(50):
        await DomainEvent.create(
            kind=EventKind.CASE_CHECKED_IN.value, case_id=world.case_s1_c2_r1, version=1
        )
        with contextlib.suppress(TimeoutError):
            message = await ws.receive(seconds=0.3)
            assert message["payload"]["data"]["caseEvents"]["kind"] == "CASE_CHECKED_IN"
            return
    raise AssertionError("the subscription never became live")


async def _withdraw(process: Process, world: World, case: str) -> dict[str, Any]:
    auth = bearer(world.platform_o3_staff)
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(5):
            version = (await DispatchCase.get(id=world.case_s1_c2_r1)).version
            variables = {"input": {"id": case, "version": version, "reason": "社内の都合"}}
            reply = await http.post(
                f"{process.http}/graphql",
                json={"query": WITHDRAW, "variables": variables},
                headers=auth,
            )
            result: dict[str, Any] = reply.json()["data"]["caseWithdraw"]
            if [e["code"] for e in result["userErrors"]] != ["STALE_VERSION"]:
                return result
    raise AssertionError("the case kept changing")


async def _next_kind(ws: Client, kind: str) -> dict[str, Any]:
    while True:
        message = await ws.receive(seconds=15)
        update: dict[str, Any] = message["payload"]["data"]["caseEvents"]
        if update["kind"] == kind:
            return update


async def test_a_change_through_process_a_reaches_a_subscriber_on_process_b(
    two_servers: tuple[Process, Process], tmp_path: Path
) -> None:
    # given two server processes on the same database, and the 近畿 office subscribed to B
    world = await build_world()
    a, b = two_servers
    await asyncio.gather(a.healthy(), b.healthy())
    async with subscriber(b.ws, bearer(world.secretariat_kinki)) as ws:
        await _live(ws, world)
        # when the filer (O3 staff) withdraws case S1/C2 through process A's GraphQL (at the
        # version it now has: the servers' sweeper may have moved it to 要調整 meanwhile)
        case = to_global_id("DispatchCase", world.case_s1_c2_r1)
        result = await _withdraw(a, world, case)
        assert result["userErrors"] == []
        # then the subscriber on B receives the committed change with the case's new version
        update = await _next_kind(ws, "CASE_CANCELLED")
    assert update == {
        "kind": "CASE_CANCELLED",
        "version": result["case"]["version"],
        "case": {"id": case, "status": "CANCELLED"},
    }
    # and the mails of the change are delivered once, although both processes relay
    event = await DomainEvent.get(case_id=world.case_s1_c2_r1, kind="CASE_CANCELLED")

    async def sent() -> list[OutboxMessage]:
        return await OutboxMessage.filter(event_id=event.id)

    for _ in range(200):
        rows = await sent()
        if rows and all(r.status == OutboxStatus.SENT for r in rows):
            break
        await asyncio.sleep(0.05)
    rows = await sent()
    assert rows and {r.status for r in rows} == {OutboxStatus.SENT}
    assert {r.attempts for r in rows} == {1}
    files = {p.name for p in mail_files(tmp_path / "mailbox")}
    assert {mailbox_file_name(r.message_id) for r in rows} <= files


async def test_the_listener_reconnects_and_catches_up_after_losing_its_connection(
    db: str,
) -> None:
    # given a live PostgreSQL subscription in this process
    world = await build_world()
    broker = broker_for_database()
    assert isinstance(broker, PostgresBroker)
    async with broker.subscribe() as subscription:
        await until(lambda: broker.ready.is_set())
        made = broker.connections_made
        # when every other backend of the database is terminated (the listener's included)
        conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://"))
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            # and an event commits while the listener is away
            await conn.execute(
                "INSERT INTO domain_event (kind, case_id, version, payload, created_at)"
                " VALUES ('CASE_EVALUATED', $1, 1, '{}', now())",
                world.case_s1_c1,
            )
        finally:
            await conn.close()
        # then the listener reconnects by itself and delivers the event
        notice = await asyncio.wait_for(subscription.__anext__(), 15)
        assert broker.connections_made > made
    assert (notice.kind, notice.case_id) == ("CASE_EVALUATED", world.case_s1_c1)
