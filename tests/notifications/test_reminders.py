"""Reminders (domain.md §4.3, §5): report due on the 3rd business day, overdue after the 5th,
unanswered requests on the 3rd business day — each written once per case, then mailed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from models.cases import DispatchCase
from models.outbox import DomainEvent, OutboxMessage
from models.rules.fiscal_year import TOKYO
from notifications.fanout import Expander
from notifications.reminders import Reminders
from notifications.templates import render
from tests.factories import build_world, make_slot
from tests.notifications.support import provider, settings_for


def tokyo(*args: int) -> datetime:
    return datetime(*args, tzinfo=TOKYO).astimezone(UTC)  # type: ignore[misc]


async def _kinds(case_id: int) -> list[str]:
    return list(
        await DomainEvent.filter(case_id=case_id).order_by("id").values_list("kind", flat=True)
    )


async def test_report_reminders_come_on_the_3rd_business_day_and_when_overdue_once(
    db: str,
) -> None:
    # given case S2/C1 dispatched on Wed 2025-07-09 (Marine Day is Mon 07-21), no report yet
    world = await build_world()
    case = world.case_s2_c1
    await DispatchCase.filter(id=case).update(
        dispatch_start=tokyo(2025, 7, 9, 10, 0), dispatch_end=tokyo(2025, 7, 9, 12, 0)
    )
    # when the loop runs before the 3rd business day (Mon 07-14, 09:00) nothing is written
    assert await Reminders(clock=lambda: tokyo(2025, 7, 14, 8, 59)).step() is False
    # on it, the due reminder is written, once
    on_day_3 = Reminders(clock=lambda: tokyo(2025, 7, 14, 9, 0))
    assert await on_day_3.step() is True
    assert await on_day_3.step() is False
    assert await _kinds(case) == ["REPORT_DUE_REMINDER"]
    # until the end of the 5th business day (Wed 07-16) it is not overdue
    assert await Reminders(clock=lambda: tokyo(2025, 7, 16, 23, 59)).step() is False
    # after it, the overdue reminder, once — even with two workers at the same moment
    late = tokyo(2025, 7, 17, 0, 0)
    await asyncio.gather(Reminders(clock=lambda: late).step(), Reminders(clock=lambda: late).step())
    assert await Reminders(clock=lambda: late + timedelta(days=3)).step() is False
    assert await _kinds(case) == ["REPORT_DUE_REMINDER", "REPORT_OVERDUE_REMINDER"]
    # then the specialist gets both mails with the deadline
    await Expander(settings=provider(settings_for()), clock=lambda: late).step()
    rows = await OutboxMessage.filter(event__case_id=case).order_by("id")
    assert [r.template for r in rows] == ["REPORT_DUE_REMINDER", "REPORT_OVERDUE_REMINDER"]
    assert {r.recipient_id for r in rows} == {world.specialist_s2_user.account_id}
    overdue = render(rows[1].template, rows[1].context)
    assert "実績報告の提出期限：2025年7月16日(水) 23:59" in overdue.body
    assert overdue.subject.startswith("【専門家派遣】実績報告の提出期限超過")


async def test_a_submitted_report_gets_no_reminder(db: str) -> None:
    # given case S1/C1 whose report was submitted (REPORTED), long after its deadline
    world = await build_world()
    await Reminders(clock=lambda: tokyo(2025, 7, 30, 12, 0)).step()
    assert await _kinds(world.case_s1_c1) == []


async def test_an_unanswered_request_is_reminded_on_the_3rd_business_day(db: str) -> None:
    # given case S1/C2 received Thu 2025-06-05, a candidate slot still ahead
    world = await build_world()
    case = await DispatchCase.get(id=world.case_s1_c2_r1)
    await make_slot(case, tokyo(2025, 6, 20, 10, 0), position=2)
    # when the loop runs: not before Tue 06-10 09:00, then once
    assert await Reminders(clock=lambda: tokyo(2025, 6, 10, 8, 0)).step() is False
    assert await Reminders(clock=lambda: tokyo(2025, 6, 10, 9, 30)).step() is True
    assert await Reminders(clock=lambda: tokyo(2025, 6, 12, 9, 30)).step() is False
    assert await _kinds(case.id) == ["UNANSWERED_REMINDER"]
    await Expander(settings=provider(settings_for())).step()
    row = await OutboxMessage.get(event__case_id=case.id)
    assert row.recipient_id == world.specialist_s1_user.account_id
    assert "まだご回答いただいておりません" in render(row.template, row.context).body
