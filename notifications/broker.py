"""The event broker behind GraphQL subscriptions (api.md §18): one interface, two backends.

A :class:`Broker` fans every committed ``DomainEvent`` out to the subscriptions of this process.
Each subscription has a bounded queue; a subscriber that falls :attr:`Broker.queue_size` events
behind is dropped (its stream ends, the client re-subscribes and re-queries — every event
carries the case version), never buffered without bound. The source of events runs only while
the process has subscribers.

* :class:`PostgresBroker` — a dedicated asyncpg connection ``LISTEN``s on ``haken_domain_event``;
  the trigger of migration 0004 calls ``pg_notify`` for every inserted event and PostgreSQL
  delivers it when (and only if) the inserting transaction commits, to every server process.
  The listener reconnects with backoff after the connection is lost (PostgreSQL restarted,
  backend terminated) and then catches up on events committed meanwhile by reading
  ``domain_event`` past the last id it delivered.
* :class:`PollingBroker` — for SQLite (no NOTIFY): one poller per process reads
  ``domain_event`` past the last id it delivered. SQLite serialises writers, so ids appear in
  commit order; events written by another process sharing the file are delivered too.

Notices carry identifiers only (event id, kind, case, specialist, version); consumers re-read
what they show through the viewer's scope. :meth:`EventNotice.shared` lets every subscriber of
the process share one computation per event (the case is re-read once, not per subscriber).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise import connections

from models.outbox import DomainEvent

logger = logging.getLogger("haken.broker")

T = TypeVar("T")
CHANNEL = "haken_domain_event"
DEFAULT_QUEUE_SIZE = 100
NOTICE_FIELDS = ("id", "kind", "case_id", "specialist_id", "version")


@dataclass(eq=False)
class EventNotice:
    """One committed domain event, as delivered to the subscribers of this process."""

    event_id: int
    kind: str
    case_id: int | None = None
    specialist_id: int | None = None
    version: int | None = None
    _shared: dict[str, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventNotice:
        def number(key: str) -> int | None:
            value = row.get(key)
            return None if value is None else int(value)

        return cls(
            event_id=int(row["id"]),
            kind=str(row["kind"]),
            case_id=number("case_id"),
            specialist_id=number("specialist_id"),
            version=number("version"),
        )

    async def shared(self, key: str, factory: Callable[[], Awaitable[T]]) -> T:
        """``factory()`` computed once per event and key for all subscribers of the process."""
        future = self._shared.get(key)
        if future is None:
            future = asyncio.ensure_future(factory())
            future.add_done_callback(_retrieve)
            self._shared[key] = future
        result: T = await asyncio.shield(future)
        return result


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # marks it retrieved; every awaiter still sees it


_DROPPED = object()


class Subscription:
    """The bounded queue of one subscriber; iterate it to receive notices."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.dropped = False
        self._queue: asyncio.Queue[object] = asyncio.Queue(size + 1)

    def offer(self, notice: EventNotice) -> bool:
        """Queue ``notice``; a full queue drops the subscriber (False)."""
        if self.dropped:
            return False
        if self._queue.qsize() >= self.size:
            self.dropped = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(_DROPPED)
            return False
        self._queue.put_nowait(notice)
        return True

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> EventNotice:
        item = await self._queue.get()
        if item is _DROPPED:
            raise StopAsyncIteration
        assert isinstance(item, EventNotice)
        return item


class Broker(ABC):
    """Fan-out to the subscriptions of this process; the source runs while any exist."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self.ready = asyncio.Event()
        self.published = 0
        self._subscriptions: set[Subscription] = set()
        self._runner: asyncio.Task[None] | None = None
        self._recent: deque[int] = deque(maxlen=10_000)
        self._recent_set: set[int] = set()
        self.last_id: int | None = None

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        subscription = Subscription(self.queue_size)
        self._subscriptions.add(subscription)
        self._ensure_running()
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            if not self._subscriptions:
                await self.stop()

    def _ensure_running(self) -> None:
        if self._runner is None or self._runner.done():
            self.ready.clear()
            self._runner = asyncio.create_task(self._run(), name=f"haken-{type(self).__name__}")

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        self.ready.clear()
        self.last_id = None
        self._recent.clear()
        self._recent_set.clear()
        if runner is not None and not runner.done():
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner

    def publish(self, notice: EventNotice) -> None:
        """Deliver ``notice`` to every subscriber once (duplicates by event id are ignored)."""
        if notice.event_id in self._recent_set:
            return
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(notice.event_id)
        self._recent_set.add(notice.event_id)
        self.last_id = max(self.last_id or 0, notice.event_id)
        self.published += 1
        for subscription in list(self._subscriptions):
            if not subscription.offer(notice):
                self._subscriptions.discard(subscription)
                logger.info("slow subscriber dropped after %d queued events", self.queue_size)

    @abstractmethod
    async def _run(self) -> None:
        """Read events from the source and :meth:`publish` them until cancelled."""


async def _max_event_id() -> int:
    found: list[Any] = await DomainEvent.all().order_by("-id").limit(1).values_list("id", flat=True)
    return int(found[0]) if found else 0


async def _events_after(last_id: int, limit: int) -> list[dict[str, Any]]:
    rows = (
        await DomainEvent.filter(id__gt=last_id).order_by("id").limit(limit).values(*NOTICE_FIELDS)
    )
    return [dict(row) for row in rows]


class PollingBroker(Broker):
    """SQLite: poll ``domain_event`` by id (also sees events of other processes on the file)."""

    def __init__(
        self, *, queue_size: int = DEFAULT_QUEUE_SIZE, interval: float = 0.2, batch: int = 500
    ) -> None:
        super().__init__(queue_size=queue_size)
        self.interval = interval
        self.batch = batch

    async def _run(self) -> None:
        delay = self.interval
        while True:
            try:
                if self.last_id is None:
                    self.last_id = await asyncio.create_task(_max_event_id())
                    self.ready.set()
                rows = await asyncio.create_task(_events_after(self.last_id, self.batch))
            except Exception as error:  # the database is away: keep the subscribers, retry
                logger.warning("event poll failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(min(delay, 5.0))
                delay *= 2
                continue
            delay = self.interval
            for row in rows:
                self.publish(EventNotice.from_row(row))
            if len(rows) < self.batch:
                await asyncio.sleep(self.interval)


class PostgresBroker(Broker):
    """PostgreSQL: ``LISTEN`` on a dedicated connection that reconnects by itself."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[Any]],
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        check_seconds: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        super().__init__(queue_size=queue_size)
        self.connect = connect
        self.check_seconds = check_seconds
        self.max_backoff = max_backoff
        self.connections_made = 0

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("event listener lost (%s); reconnecting", type(error).__name__)
            if self.ready.is_set():  # it was connected: start the backoff from the beginning
                backoff = 0.1
            self.ready.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def _listen(self) -> None:
        inbox: asyncio.Queue[str | None] = asyncio.Queue()
        conn = await self.connect()
        try:

            def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
                inbox.put_nowait(payload)

            def on_terminate(_conn: Any) -> None:
                inbox.put_nowait(None)

            conn.add_termination_listener(on_terminate)
            await conn.add_listener(CHANNEL, on_notify)
            self.connections_made += 1
            if self.last_id is None:
                self.last_id = int(
                    await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM domain_event")
                )
            else:  # catch up on what was committed while the listener was away
                rows = await conn.fetch(
                    "SELECT id, kind, case_id, specialist_id, version FROM domain_event"
                    " WHERE id > $1 ORDER BY id LIMIT 10000",
                    self.last_id,
                )
                for row in rows:
                    self.publish(EventNotice.from_row(dict(row)))
            self.ready.set()
            while True:
                try:
                    payload = await asyncio.wait_for(inbox.get(), self.check_seconds)
                except TimeoutError:
                    if conn.is_closed():
                        raise ConnectionError("listener connection closed") from None
                    await conn.execute("SELECT 1")  # a dead peer surfaces as an error here
                    continue
                if payload is None:
                    raise ConnectionError("listener connection terminated")
                try:
                    self.publish(EventNotice.from_row(json.loads(payload)))
                except (ValueError, KeyError, TypeError):
                    logger.warning("ignored a malformed event notification")
        finally:
            await _close_quietly(conn)


async def _close_quietly(conn: Any) -> None:
    """Close a listener connection that may already be dead (never blocks for long)."""
    try:
        if not conn.is_closed():
            await asyncio.wait_for(conn.close(), 2)
    except Exception:
        conn.terminate()


# ---------------------------------------------------------------- one broker per database


_brokers: dict[tuple[str, int], Broker] = {}


def _asyncpg_connector(client: Any) -> Callable[[], Awaitable[Any]]:
    import asyncpg

    params = {
        "host": getattr(client, "host", None),
        "port": getattr(client, "port", None),
        "user": getattr(client, "user", None),
        "password": getattr(client, "password", None),
        "database": getattr(client, "database", None),
    }

    async def connect() -> Any:
        return await asyncpg.connect(
            **{k: v for k, v in params.items() if v is not None}, timeout=5
        )

    return connect


def broker_for_database(*, queue_size: int = DEFAULT_QUEUE_SIZE) -> Broker:
    """The broker of the current Tortoise database in this event loop (created on first use):
    LISTEN/NOTIFY on PostgreSQL, polling on SQLite."""
    client = connections.get("default")
    dialect = str(client.capabilities.dialect)
    if dialect == "postgres":
        identity = "postgres:{}:{}:{}".format(
            getattr(client, "host", ""),
            getattr(client, "port", ""),
            getattr(client, "database", ""),
        )
    else:
        identity = f"{dialect}:{getattr(client, 'filename', id(client))}"
    key = (identity, id(asyncio.get_running_loop()))
    broker = _brokers.get(key)
    if broker is None:
        if dialect == "postgres":
            broker = PostgresBroker(_asyncpg_connector(client), queue_size=queue_size)
        else:
            broker = PollingBroker(queue_size=queue_size)
        _brokers[key] = broker
    return broker
