"""Reminder events (domain.md §4.3, §5): report due / overdue, unanswered requests.

A loop pass looks for cases that are due a reminder and writes one ``DomainEvent`` per reminder
(``REPORT_DUE_REMINDER`` on the 3rd business day after the dispatch day at 09:00 Tokyo,
``REPORT_OVERDUE_REMINDER`` once the deadline — end of the 5th business day — has passed,
``UNANSWERED_REMINDER`` on the 3rd business day after the receipt of a request the specialist
has not answered). The rule itself is :func:`models.rules.report_timing.due_reminders`.

Each reminder is sent once per case: the event is written in a transaction that holds the
case's row lock (PostgreSQL ``FOR UPDATE``; SQLite serialises writers) and first checks that no
event of that kind exists for the case, so two workers never both write it. The event then
flows through the ordinary fan-out into the specialist's outbox row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays as holiday_calendars
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from models.cases import CaseSlot, DispatchCase
from models.fiscal import FiscalYearConfig
from models.outbox import DomainEvent
from models.reports import Report
from models.rules.business_days import DEFAULT_REPORT_DUE_BUSINESS_DAYS, report_due_at
from models.rules.case_status import CaseStatus, SlotKind
from models.rules.events import EventKind
from models.rules.fiscal_year import tokyo_date
from models.rules.report_timing import DEFAULT_REMINDER_BUSINESS_DAYS, due_reminders, reminder_at
from notifications.relay import fresh

logger = logging.getLogger("haken.reminders")

#: Cases dispatched longer ago than this are not examined any more (their reminders are past).
LOOKBACK = timedelta(days=120)
REPORT_KINDS = (EventKind.REPORT_DUE_REMINDER, EventKind.REPORT_OVERDUE_REMINDER)


@lru_cache(maxsize=32)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays("JP", years=year))


def national_holidays(years: Iterable[int]) -> frozenset[date]:
    found: frozenset[date] = frozenset()
    for year in set(years):
        found |= _holidays_of(year)
    return found


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def _day_counts(fiscal_years: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """(reminder, due, request-reminder) business days per fiscal year *(config)*."""
    rows = await FiscalYearConfig.filter(fiscal_year__in=list(set(fiscal_years))).values(
        "fiscal_year",
        "reminder_business_days",
        "report_due_business_days",
        "request_reminder_business_days",
    )
    return {
        int(r["fiscal_year"]): (
            int(r["reminder_business_days"]),
            int(r["report_due_business_days"]),
            int(r["request_reminder_business_days"]),
        )
        for r in rows
    }


_DEFAULT_DAYS = (DEFAULT_REMINDER_BUSINESS_DAYS, DEFAULT_REPORT_DUE_BUSINESS_DAYS, 3)


async def emit_once(case_id: int, kind: EventKind, now: datetime, payload: dict[str, Any]) -> bool:
    """Write the reminder event unless the case has one of that kind; True when written."""
    async with in_transaction():
        case = await DispatchCase.filter(id=case_id).select_for_update().first()
        if case is None or await DomainEvent.exists(case_id=case_id, kind=kind.value):
            return False
        await DomainEvent.create(
            kind=kind.value,
            case_id=case_id,
            version=case.version,
            payload={"reservationNumber": case.reservation_number, **payload},
            created_at=now,
        )
        return True


class Reminders:
    """The reminder loop's unit of work."""

    def __init__(self, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.clock = clock

    async def step(self) -> bool:
        """One pass over both reminder kinds; True when a reminder was written."""
        now = self.clock()
        written = await fresh(self.report_reminders(now))
        written += await fresh(self.unanswered_reminders(now))
        if written:
            logger.info("wrote %d reminder event(s)", written)
        return written > 0

    async def report_reminders(self, now: datetime) -> int:
        """Cases past their dispatch whose report was never submitted and whose overdue
        reminder has not been written yet."""
        today = tokyo_date(now)
        overdue_sent = DomainEvent.filter(kind=EventKind.REPORT_OVERDUE_REMINDER.value)
        rows = (
            await DispatchCase.filter(
                Q(status=CaseStatus.UNREPORTED)
                | Q(status=CaseStatus.CONFIRMED, dispatch_end__lte=now),
                dispatch_date__isnull=False,
                dispatch_date__gte=today - LOOKBACK,
            )
            .exclude(id__in=Subquery(Report.all().values("case_id")))
            .exclude(id__in=Subquery(overdue_sent.values("case_id")))
            .order_by("dispatch_date", "id")
            .values("id", "dispatch_date", "fiscal_year")
        )
        if not rows:
            return 0
        sent: dict[int, set[EventKind]] = {}
        for case_id, kind in await DomainEvent.filter(
            case_id__in=[r["id"] for r in rows], kind__in=[k.value for k in REPORT_KINDS]
        ).values_list("case_id", "kind"):
            sent.setdefault(int(case_id), set()).add(EventKind(kind))
        days = await _day_counts(r["fiscal_year"] for r in rows)
        written = 0
        for row in rows:
            dispatched: date = row["dispatch_date"]
            reminder_days, due_days, _ = days.get(int(row["fiscal_year"]), _DEFAULT_DAYS)
            calendar = national_holidays((dispatched.year, dispatched.year + 1))
            kinds = due_reminders(
                dispatched,
                calendar,
                now=now,
                submitted=False,
                already_sent=sent.get(int(row["id"]), set()),
                reminder_business_days=reminder_days,
                due_business_days=due_days,
            )
            due_at = report_due_at(dispatched, calendar, due_days)
            payload = {"dueAt": due_at.isoformat(), "dispatchDate": dispatched.isoformat()}
            for kind in kinds:
                written += await emit_once(int(row["id"]), kind, now, payload)
        return written

    async def unanswered_reminders(self, now: datetime) -> int:
        """Requests still UNPROCESSED on the 3rd business day after their receipt (09:00 Tokyo)
        while a candidate slot is still ahead (else the sweeper hands them to coordination)."""
        sent = DomainEvent.filter(kind=EventKind.UNANSWERED_REMINDER.value)
        open_slots = CaseSlot.filter(kind=SlotKind.CANDIDATE, end__gt=now)
        rows = (
            await DispatchCase.filter(
                status=CaseStatus.UNPROCESSED,
                received_at__lte=now,
                received_at__gte=now - LOOKBACK,
                id__in=Subquery(open_slots.values("case_id")),
            )
            .exclude(id__in=Subquery(sent.values("case_id")))
            .order_by("received_at", "id")
            .values("id", "received_at", "fiscal_year")
        )
        if not rows:
            return 0
        days = await _day_counts(r["fiscal_year"] for r in rows)
        written = 0
        for row in rows:
            received = tokyo_date(row["received_at"])
            _, _, request_days = days.get(int(row["fiscal_year"]), _DEFAULT_DAYS)
            calendar = national_holidays((received.year, received.year + 1))
            if now < reminder_at(received, calendar, request_days):
                continue
            written += await emit_once(
                int(row["id"]),
                EventKind.UNANSWERED_REMINDER,
                now,
                {"receivedOn": received.isoformat()},
            )
        return written
