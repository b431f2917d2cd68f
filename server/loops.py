"""The background loops of the product, registered into ``server.app.BACKGROUND_LOOPS``.

``haken worker`` and the app factory (non-production servers run the loops in-process, started in
the lifespan) call :func:`register_loops`; the supervisor runs each pass in a fresh task. A test
that builds an app with ``create_app`` directly gets only the loops it registers itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from notifications.fanout import Expander
from notifications.relay import Relay
from notifications.reminders import Reminders
from resolvers.case_sweeper import DEFAULT_BATCH, sweep_once
from resolvers.idempotency import PURGE_BATCH, purge_expired_keys
from server.app import BACKGROUND_LOOPS, BackgroundLoop

#: Seconds between passes of the case sweeper when a pass found nothing more to do. Reads derive
#: the status anyway; the sweeper only makes the stored status (and the mails) catch up.
CASE_SWEEPER_IDLE_SECONDS = 30.0


async def sweep_cases() -> bool:
    """One pass of the case sweeper; busy (run again at once) while a full batch was written."""
    return await sweep_once(datetime.now(UTC), DEFAULT_BATCH) >= DEFAULT_BATCH


CASE_SWEEPER = BackgroundLoop(
    "case-sweeper", sweep_cases, idle_seconds=CASE_SWEEPER_IDLE_SECONDS, stall_seconds=300.0
)

#: Notifications (issue 5): domain events → outbox rows, outbox rows → SMTP (or the local
#: mailbox), and the report/request reminders (each reminder kind once per case).
OUTBOX_EXPANDER = BackgroundLoop("outbox-expander", Expander().step, idle_seconds=1.0)
OUTBOX_RELAY = BackgroundLoop("outbox-relay", Relay().step, idle_seconds=1.0)
REMINDERS = BackgroundLoop("reminders", Reminders().step, idle_seconds=300.0, stall_seconds=1800.0)


async def purge_idempotency_keys() -> bool:
    """One pass deleting expired idempotency keys; busy while a full batch was deleted."""
    return await purge_expired_keys(datetime.now(UTC)) >= PURGE_BATCH


#: Expired idempotency keys (security.md reliability 4) count as unused already; this only
#: keeps the table small.
IDEMPOTENCY_PURGE = BackgroundLoop(
    "idempotency-purge", purge_idempotency_keys, idle_seconds=3600.0, stall_seconds=7200.0
)

#: Every loop of the product, in start order.
LOOPS: tuple[BackgroundLoop, ...] = (
    CASE_SWEEPER,
    OUTBOX_EXPANDER,
    OUTBOX_RELAY,
    REMINDERS,
    IDEMPOTENCY_PURGE,
)


def register_loops(target: list[BackgroundLoop] | None = None) -> list[BackgroundLoop]:
    """Add the product's loops to ``target`` (default ``BACKGROUND_LOOPS``) once, by name."""
    loops = BACKGROUND_LOOPS if target is None else target
    names = {loop.name for loop in loops}
    loops.extend(loop for loop in LOOPS if loop.name not in names)
    return loops
