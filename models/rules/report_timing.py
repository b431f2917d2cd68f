"""Report deadline, reminders and check-in/out anomalies — domain.md §4.4, §5.

"Deadline: end of the **5th business day after the dispatch day** … Reminders: on the 3rd
business day and when overdue." "Missing check-in/out is flagged on the report", and "reported
times differing from check-in/out by > 15 min *(config)* are **flagged** for secretariat review
(not refused)."

Decided here: the 3rd-business-day reminder falls due at 09:00 Asia/Tokyo of that day (office
opening), the overdue one right after the deadline; each is sent once, only while the report has
never been submitted, and a reminder whose moment has been overtaken by the deadline is skipped
(a sweeper that was down sends only the overdue notice).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from models.rules.business_days import (
    DEFAULT_REPORT_DUE_BUSINESS_DAYS,
    add_business_days,
    report_due_at,
)
from models.rules.events import EventKind
from models.rules.fiscal_year import TOKYO
from models.rules.labels import LabelledEnum

__all__ = [
    "DEFAULT_REMINDER_BUSINESS_DAYS",
    "DEFAULT_TIME_TOLERANCE_MINUTES",
    "REMINDER_TIME",
    "Anomaly",
    "AnomalyKind",
    "anomalies_json",
    "due_reminders",
    "is_report_overdue",
    "reminder_at",
    "report_anomalies",
    "report_due_at",
]

#: "Reminders: on the 3rd business day" (``reminder_business_days``).
DEFAULT_REMINDER_BUSINESS_DAYS = 3
#: "reported times differing from check-in/out by > 15 min" (``report_time_tolerance_min``).
DEFAULT_TIME_TOLERANCE_MINUTES = 15
#: The hour at which the 3rd-business-day reminder falls due (Asia/Tokyo).
REMINDER_TIME = time(9, 0)


def is_report_overdue(due_at: datetime, submitted_at: datetime | None, now: datetime) -> bool:
    """``DispatchCase.isReportOverdue``: not submitted by the deadline.

    Unsubmitted: overdue once ``now`` is past ``due_at``. Submitted: overdue when the (first)
    submission came after ``due_at`` — a late report stays marked late.
    """
    if submitted_at is not None:
        return submitted_at > due_at
    return now > due_at


def reminder_at(
    dispatch_date: date,
    national_holidays: Collection[date],
    reminder_business_days: int = DEFAULT_REMINDER_BUSINESS_DAYS,
) -> datetime:
    """When the "3rd business day" reminder falls due: 09:00 Tokyo that day, as UTC."""
    day = add_business_days(dispatch_date, reminder_business_days, national_holidays)
    return datetime.combine(day, REMINDER_TIME, tzinfo=TOKYO).astimezone(UTC)


def due_reminders(
    dispatch_date: date,
    national_holidays: Collection[date],
    *,
    now: datetime,
    submitted: bool,
    already_sent: Collection[EventKind],
    reminder_business_days: int = DEFAULT_REMINDER_BUSINESS_DAYS,
    due_business_days: int = DEFAULT_REPORT_DUE_BUSINESS_DAYS,
) -> tuple[EventKind, ...]:
    """The reminders a sweeper should send now (each kind at most once per case).

    ``submitted``: the report has been submitted at least once (a returned report gets no
    deadline reminders). ``already_sent``: reminder kinds recorded for the case.
    """
    if submitted:
        return ()
    due = report_due_at(dispatch_date, national_holidays, due_business_days)
    if now > due:
        kind = EventKind.REPORT_OVERDUE_REMINDER
    elif now >= reminder_at(dispatch_date, national_holidays, reminder_business_days):
        kind = EventKind.REPORT_DUE_REMINDER
    else:
        return ()
    return () if kind in already_sent else (kind,)


class AnomalyKind(LabelledEnum):
    MISSING_CHECK_IN = ("MISSING_CHECK_IN", "チェックインなし")
    MISSING_CHECK_OUT = ("MISSING_CHECK_OUT", "チェックアウトなし")
    START_DIFFERS = ("START_DIFFERS", "報告の開始時刻がチェックイン時刻と異なる")
    END_DIFFERS = ("END_DIFFERS", "報告の終了時刻がチェックアウト時刻と異なる")


@dataclass(frozen=True)
class Anomaly:
    """One flag for the secretariat; ``minutes_off`` = reported − checked, in whole minutes."""

    kind: AnomalyKind
    minutes_off: int | None = None


def _minutes_off(reported: datetime, checked: datetime) -> int:
    seconds = (reported - checked).total_seconds()
    return int(seconds / 60)  # towards zero: 15 min 59 s off is "15"


def report_anomalies(
    reported_start: datetime,
    reported_end: datetime,
    check_in_at: datetime | None,
    check_out_at: datetime | None,
    tolerance_minutes: int = DEFAULT_TIME_TOLERANCE_MINUTES,
) -> tuple[Anomaly, ...]:
    """Flags attached to a submitted report: missing check-in/out, and reported start/end more
    than ``tolerance_minutes`` away from the check-in/out (server) times. Exactly the tolerance
    is not flagged."""
    if tolerance_minutes < 0:
        raise ValueError("the tolerance is never negative")
    tolerance = timedelta(minutes=tolerance_minutes)
    flags: list[Anomaly] = []
    pairs = (
        (check_in_at, reported_start, AnomalyKind.MISSING_CHECK_IN, AnomalyKind.START_DIFFERS),
        (check_out_at, reported_end, AnomalyKind.MISSING_CHECK_OUT, AnomalyKind.END_DIFFERS),
    )
    for checked, reported, missing, differs in pairs:
        if checked is None:
            flags.append(Anomaly(missing))
        elif abs(reported - checked) > tolerance:
            flags.append(Anomaly(differs, _minutes_off(reported, checked)))
    return tuple(flags)


def anomalies_json(anomalies: Collection[Anomaly]) -> list[dict[str, Any]]:
    """The JSON stored in ``Report.anomalies``: ``[{"kind": …, "minutesOff": …}]``."""
    return [{"kind": a.kind.value, "minutesOff": a.minutes_off} for a in anomalies]
