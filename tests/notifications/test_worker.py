"""``haken worker`` runs the notification loops: an event becomes a delivered mail."""

from __future__ import annotations

import asyncio
from pathlib import Path

from models.rules.events import EventKind
from notifications.fanout import Expander
from notifications.relay import Relay
from server.app import BackgroundLoop
from server.cli import run_worker
from server.loops import LOOPS
from tests.factories import build_world
from tests.notifications.support import change_case, mail_files, provider, settings_for


def test_the_product_registers_the_notification_loops() -> None:
    names = {loop.name for loop in LOOPS}
    assert {"outbox-expander", "outbox-relay", "reminders"} <= names


async def test_the_worker_turns_a_committed_change_into_delivered_mail(
    db: str, tmp_path: Path
) -> None:
    # given a committed change with its event, and a worker with the notification loops
    world = await build_world()
    await change_case(world.case_s1_c1, EventKind.CASE_CONFIRMED)
    settings = provider(settings_for(None, mailbox_dir=tmp_path))
    loops = [
        BackgroundLoop("outbox-expander", Expander(settings=settings).step, idle_seconds=0.02),
        BackgroundLoop("outbox-relay", Relay(settings=settings).step, idle_seconds=0.02),
    ]
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(loops, url=db, stop=stop))
    # when it runs, then the four mails land in the mailbox
    for _ in range(500):
        if len(mail_files(tmp_path)) == 4:
            break
        await asyncio.sleep(0.02)
    stop.set()
    supervisor = await asyncio.wait_for(worker, 10)
    assert len(mail_files(tmp_path)) == 4
    assert supervisor.failures == {"outbox-expander": 0, "outbox-relay": 0}
