"""Report deadline, reminders and check-in/out anomalies (domain.md §4.4, §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.rules.events import EventKind
from models.rules.fiscal_year import TOKYO
from models.rules.report_timing import (
    Anomaly,
    AnomalyKind,
    anomalies_json,
    due_reminders,
    is_report_overdue,
    reminder_at,
    report_anomalies,
    report_due_at,
)

FRIDAY = date(2026, 6, 5)  # dispatch day
NO_HOLIDAYS: frozenset[date] = frozenset()
DUE = datetime(2026, 6, 12, 23, 59, 59, 999999, tzinfo=TOKYO)  # 5th business day: Fri 12
REMIND = datetime(2026, 6, 10, 9, 0, tzinfo=TOKYO)  # 3rd business day: Wed 10, 09:00
DUE_KIND = EventKind.REPORT_DUE_REMINDER
LATE_KIND = EventKind.REPORT_OVERDUE_REMINDER


def tokyo(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def test_deadline_and_reminder_instants() -> None:
    assert report_due_at(FRIDAY, NO_HOLIDAYS) == DUE
    assert report_due_at(FRIDAY, NO_HOLIDAYS).tzinfo is UTC
    assert reminder_at(FRIDAY, NO_HOLIDAYS) == REMIND
    # A holiday on Tuesday pushes both by one business day.
    holidays = frozenset({date(2026, 6, 9)})
    assert reminder_at(FRIDAY, holidays) == tokyo(6, 11, 9)
    assert report_due_at(FRIDAY, holidays) == DUE + timedelta(days=3)  # next Monday
    assert reminder_at(FRIDAY, NO_HOLIDAYS, reminder_business_days=2) == tokyo(6, 9, 9)


@pytest.mark.parametrize(
    ("submitted_at", "now", "overdue"),
    [
        (None, DUE - timedelta(seconds=1), False),
        (None, DUE, False),  # the end of the 5th business day is still in time
        (None, DUE + timedelta(microseconds=1), True),
        (DUE - timedelta(hours=1), DUE + timedelta(days=10), False),  # submitted in time
        (DUE + timedelta(minutes=1), DUE + timedelta(days=10), True),  # submitted late
    ],
)
def test_is_report_overdue(submitted_at: datetime | None, now: datetime, overdue: bool) -> None:
    assert is_report_overdue(DUE, submitted_at, now) is overdue


@pytest.mark.parametrize(
    ("now", "submitted", "sent", "expected"),
    [
        (tokyo(6, 5, 18), False, (), ()),
        (tokyo(6, 10, 8, 59), False, (), ()),
        (tokyo(6, 10, 9), False, (), (DUE_KIND,)),  # 3rd business day
        (tokyo(6, 10, 9), False, (DUE_KIND,), ()),  # sent once
        (tokyo(6, 12, 23, 59), False, (DUE_KIND,), ()),
        (tokyo(6, 12, 23, 59), False, (), (DUE_KIND,)),
        (tokyo(6, 13, 0), False, (DUE_KIND,), (LATE_KIND,)),  # overdue
        (tokyo(6, 13, 0), False, (), (LATE_KIND,)),  # a late sweeper sends only the overdue one
        (tokyo(6, 20, 0), False, (DUE_KIND, LATE_KIND), ()),  # sent once
        (tokyo(6, 10, 9), True, (), ()),  # report submitted: nothing
        (tokyo(6, 13, 0), True, (), ()),
    ],
)
def test_due_reminders(
    now: datetime, submitted: bool, sent: tuple[EventKind, ...], expected: tuple[EventKind, ...]
) -> None:
    result = due_reminders(FRIDAY, NO_HOLIDAYS, now=now, submitted=submitted, already_sent=sent)
    assert result == expected


START = tokyo(6, 5, 10)
END = tokyo(6, 5, 12)
MISSING_IN = Anomaly(AnomalyKind.MISSING_CHECK_IN)
MISSING_OUT = Anomaly(AnomalyKind.MISSING_CHECK_OUT)


@pytest.mark.parametrize(
    ("check_in", "check_out", "tolerance", "expected"),
    [
        (None, None, 15, (MISSING_IN, MISSING_OUT)),
        (START, None, 15, (MISSING_OUT,)),
        (None, END, 15, (MISSING_IN,)),
        (START, END, 15, ()),
        (START - timedelta(minutes=15), END + timedelta(minutes=15), 15, ()),  # exactly 15: fine
        (START - timedelta(minutes=16), END, 15, (Anomaly(AnomalyKind.START_DIFFERS, 16),)),
        (
            START + timedelta(minutes=15, seconds=1),
            END,
            15,
            (Anomaly(AnomalyKind.START_DIFFERS, -15),),
        ),
        (START, END - timedelta(minutes=40), 15, (Anomaly(AnomalyKind.END_DIFFERS, 40),)),
        (START, END + timedelta(minutes=20), 15, (Anomaly(AnomalyKind.END_DIFFERS, -20),)),
        (START - timedelta(minutes=6), END, 5, (Anomaly(AnomalyKind.START_DIFFERS, 6),)),
        (
            START - timedelta(minutes=30),
            None,
            15,
            (Anomaly(AnomalyKind.START_DIFFERS, 30), MISSING_OUT),
        ),
    ],
)
def test_report_anomalies(
    check_in: datetime | None,
    check_out: datetime | None,
    tolerance: int,
    expected: tuple[Anomaly, ...],
) -> None:
    assert report_anomalies(START, END, check_in, check_out, tolerance) == expected


def test_anomalies_are_stored_as_json() -> None:
    flags = report_anomalies(START, END, START - timedelta(minutes=20), None)
    assert anomalies_json(flags) == [
        {"kind": "START_DIFFERS", "minutesOff": 20},
        {"kind": "MISSING_CHECK_OUT", "minutesOff": None},
    ]
    with pytest.raises(ValueError):
        report_anomalies(START, END, None, None, -1)
