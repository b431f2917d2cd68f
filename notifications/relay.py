"""The outbox relay: claim due rows, send them, record the outcome (security.md reliability 1).

Claiming: in one short transaction the relay selects due rows (PENDING whose ``next_attempt_at``
has come, or SENDING whose lease has run out because a worker died mid-send) with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, then moves them to SENDING with ``attempts + 1`` and a
lease. The UPDATE repeats the "still claimable" condition, and the lease instant doubles as the
claim token (a random microsecond offset), so on SQLite — where ``FOR UPDATE`` does not exist
and writers are serialised — two claimers can never both own a row either: the relay reads back
only the rows that carry its own lease.

Sending happens outside any transaction. Success → SENT (one UPDATE per batch, only for rows
the relay still holds under its lease); a transient failure (4yz, connection refused or lost, timeout) → PENDING again with
``next_attempt_at`` pushed back by exponential backoff plus jitter; a permanent failure (5yz) or
the last allowed attempt → DEAD, with an alert mail to the secretariat in the same transaction.
When the server cannot be reached at all, the rest of the batch is put back untried (one
connect timeout per batch, never one per row, so a batch always ends well within its lease).
Delivery is at-least-once: a crash between the SMTP reply and the SENT update makes another
worker send the row again after the lease, with the same deterministic Message-ID.

Every transaction runs in a fresh task (security-tests.md finding 6: a failed ``BEGIN`` leaves
Tortoise's transaction context broken for the rest of the task).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from models.outbox import DomainEvent, OutboxMessage, OutboxStatus
from models.rules.notifications import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_CAP,
    MAX_ATTEMPTS,
    FailureKind,
    gives_up,
    retry_delay,
)
from models.settings import Settings, current_settings
from notifications.formatting import mail_domain, message_id, outbox_link
from notifications.mailer import (
    DeliveryError,
    Mailer,
    MailSession,
    build_message,
    mailer_from_settings,
)
from notifications.recipients import secretariat_recipients
from notifications.templates import DEAD_LETTER, render, template_heading

logger = logging.getLogger("haken.outbox")

T = TypeVar("T")
DEFAULT_BATCH = 20
DEFAULT_LEASE = timedelta(minutes=2)


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def fresh(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` in a task of its own (its own Tortoise transaction context)."""
    return await asyncio.create_task(work)


@dataclass(frozen=True)
class Claimed:
    """A row this relay holds until ``lease_until`` (the claim token)."""

    id: int
    event_id: int | None
    template: str
    to_address: str
    context: dict[str, Any]
    message_id: str
    attempts: int
    lease_until: datetime


def claimable(now: datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, lease_until__lt=now
    )


class Relay:
    """The relay loop's unit of work (:meth:`step`), configurable for tests."""

    def __init__(
        self,
        *,
        mailer: Mailer | None = None,
        settings: Callable[[], Settings] = current_settings,
        clock: Callable[[], datetime] = _utcnow,
        rng: Callable[[], float] = random.random,
        batch: int = DEFAULT_BATCH,
        lease: timedelta = DEFAULT_LEASE,
        backoff_base: timedelta = DEFAULT_BACKOFF_BASE,
        backoff_cap: timedelta = DEFAULT_BACKOFF_CAP,
        max_attempts: int = MAX_ATTEMPTS,
        after_send: Callable[[Claimed], Awaitable[None]] | None = None,
    ) -> None:
        self._mailer = mailer
        self._mailer_for: Settings | None = None
        self.settings = settings
        self.clock = clock
        self.rng = rng
        self.batch = batch
        self.lease = lease
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_attempts = max_attempts
        self.after_send = after_send  # test hook: a crash between SMTP reply and SENT

    def mailer(self) -> Mailer:
        settings = self.settings()
        if self._mailer is None or (self._mailer_for is not None and self._mailer_for != settings):
            self._mailer = mailer_from_settings(settings)
            self._mailer_for = settings
            logger.info("outbox relay delivers via %s", self._mailer.describe())
        return self._mailer

    async def step(self) -> bool:
        """Claim one batch and deliver it; True when rows were claimed (more may be due)."""
        mailer = self.mailer()
        claimed = await fresh(self.claim(self.clock()))
        if not claimed:
            return False
        settings = self.settings()
        delivered: list[Claimed] = []
        try:
            async with mailer.session() as session:
                await self._deliver(session, claimed, settings, delivered)
        finally:
            if delivered:  # one UPDATE per batch; a crash before it means a resend, same ID
                await fresh(self.sent(delivered))
        return True

    async def _deliver(
        self,
        session: MailSession,
        claimed: list[Claimed],
        settings: Settings,
        delivered: list[Claimed],
    ) -> None:
        for row in claimed:
            try:
                rendered = render(row.template, row.context)
                message = build_message(
                    rendered=rendered,
                    to_address=row.to_address,
                    message_id=row.message_id,
                    mail_from=settings.mail_from,
                    template=row.template,
                    now=self.clock(),
                )
            except Exception as error:  # a template bug must not wedge the queue
                logger.exception("outbox row %s cannot be rendered", row.id)
                failure = DeliveryError(FailureKind.PERMANENT, f"render: {error!r}")
                await fresh(self.failed(row, failure))
                continue
            try:
                await session.send(message)
            except DeliveryError as failure:
                logger.info(
                    "outbox row %s not delivered (%s): %s", row.id, failure.kind, failure.reason
                )
                await fresh(self.failed(row, failure))
                if failure.code is None:  # the server is unreachable: the rest of the batch
                    for rest in claimed[claimed.index(row) + 1 :]:  # waits, untried, together
                        await fresh(self.failed(rest, failure))
                    return
                continue
            if self.after_send is not None:
                await self.after_send(row)
            delivered.append(row)

    async def claim(self, now: datetime) -> list[Claimed]:
        # The random microseconds make the lease instant this claimer's token.
        lease_until = now + self.lease + timedelta(microseconds=random.randrange(1, 1_000_000))
        async with in_transaction():
            due = (
                await OutboxMessage.filter(claimable(now))
                .order_by("next_attempt_at", "id")
                .limit(self.batch)
                .select_for_update(skip_locked=True)
            )
            ids = [row.id for row in due]
            if not ids:
                return []
            await OutboxMessage.filter(claimable(now), id__in=ids).update(
                status=OutboxStatus.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
            )
        rows = await OutboxMessage.filter(
            id__in=ids, status=OutboxStatus.SENDING, lease_until=lease_until
        ).order_by("next_attempt_at", "id")
        return [
            Claimed(
                id=row.id,
                event_id=row.event_id,  # type: ignore[attr-defined]
                template=row.template,
                to_address=row.to_address,
                context=dict(row.context),
                message_id=row.message_id,
                attempts=row.attempts,
                lease_until=lease_until,
            )
            for row in rows
        ]

    def _held(self, row: Claimed) -> Q:
        return Q(id=row.id, status=OutboxStatus.SENDING, lease_until=row.lease_until)

    async def sent(self, rows: list[Claimed]) -> None:
        """Mark delivered rows SENT — only those this relay still holds (same lease)."""
        by_lease: dict[datetime, list[int]] = {}
        for row in rows:
            by_lease.setdefault(row.lease_until, []).append(row.id)
        for lease_until, ids in by_lease.items():
            updated = await OutboxMessage.filter(
                id__in=ids, status=OutboxStatus.SENDING, lease_until=lease_until
            ).update(
                status=OutboxStatus.SENT, sent_at=self.clock(), lease_until=None, last_error=""
            )
            if updated != len(ids):
                logger.warning(
                    "%d outbox row(s) were sent after their lease ran out", len(ids) - updated
                )

    async def failed(self, row: Claimed, failure: DeliveryError) -> None:
        now = self.clock()
        if gives_up(row.attempts, failure.kind, self.max_attempts):
            async with in_transaction():
                updated = await OutboxMessage.filter(self._held(row)).update(
                    status=OutboxStatus.DEAD, lease_until=None, last_error=failure.reason
                )
                if updated and row.template != DEAD_LETTER:
                    await enqueue_alert(row, failure.reason, now, self.settings())
            logger.warning("outbox row %s is dead after %d attempt(s)", row.id, row.attempts)
            return
        delay = retry_delay(row.attempts, self.rng(), base=self.backoff_base, cap=self.backoff_cap)
        await OutboxMessage.filter(self._held(row)).update(
            status=OutboxStatus.PENDING,
            next_attempt_at=now + delay,
            lease_until=None,
            last_error=failure.reason,
        )


async def _office_of(row: Claimed) -> int | None:
    if row.event_id is None:
        return None
    found = await DomainEvent.filter(id=row.event_id).values(
        "case__office_id", "specialist__prefecture__office_id"
    )
    if not found:
        return None
    office = found[0]["case__office_id"] or found[0]["specialist__prefecture__office_id"]
    return int(office) if office is not None else None


async def enqueue_alert(row: Claimed, reason: str, now: datetime, settings: Settings) -> int:
    """Tell the secretariat a mail is dead (the office of its case or specialist, else the
    national secretariat): one alert per dead message and address, never for an alert."""
    office = dict(row.context.get("office") or {})
    recipients = await secretariat_recipients(await _office_of(row), str(office.get("name", "")))
    domain = mail_domain(settings.mail_from)
    failed = {
        "template": row.template,
        "template_label": template_heading(row.template, row.context),
        "to_address": row.to_address,
        "message_id": row.message_id,
        "attempts": row.attempts,
        "last_error": reason,
    }
    planned = {
        message_id(f"alert:{row.message_id}:{r.address.lower()}", domain, prefix="haken.alert"): r
        for r in recipients
    }
    found: list[Any] = await OutboxMessage.filter(message_id__in=list(planned)).values_list(
        "message_id", flat=True
    )
    existing = set(found)
    rows = [
        OutboxMessage(
            template=DEAD_LETTER,
            recipient_id=recipient.account_id,
            to_address=recipient.address,
            context={
                "kind": DEAD_LETTER,
                "audience": recipient.audience.value,
                "addressee": recipient.addressee,
                "office": office,
                "link": outbox_link(settings.public_base_url),
                "failed": failed,
            },
            status=OutboxStatus.PENDING,
            next_attempt_at=now,
            message_id=mid,
        )
        for mid, recipient in planned.items()
        if mid not in existing
    ]
    if rows:
        await OutboxMessage.bulk_create(rows)
    return len(rows)
