"""Fiscal years (年度) and business dates in Asia/Tokyo — domain.md "Times" and §4.1.

"Store instants in UTC; every business date (dispatch day, deadline, fiscal year, holiday) is
computed in Asia/Tokyo. Fiscal year (年度) = April 1 – March 31; FY of a case = FY of its dispatch
date (or of its receipt time while no date is fixed)."
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

#: The fiscal year starts on this month (April) and day.
FISCAL_YEAR_START_MONTH = 4

#: Reservation numbers carry a six-digit sequence within the fiscal year.
RESERVATION_SEQUENCE_DIGITS = 6


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive datetime has no instant; pass an aware datetime")


def tokyo_date(instant: datetime) -> date:
    """The calendar date of ``instant`` in Asia/Tokyo ("business dates are Asia/Tokyo")."""
    _require_aware(instant)
    return instant.astimezone(TOKYO).date()


def fiscal_year_of(d: date) -> int:
    """The fiscal year of a date: "April 1 – March 31" (2026-03-31 → 2025, 2026-04-01 → 2026)."""
    return d.year if d.month >= FISCAL_YEAR_START_MONTH else d.year - 1


def fiscal_year_of_instant(instant: datetime) -> int:
    """The fiscal year of an instant, taken on its Asia/Tokyo date."""
    return fiscal_year_of(tokyo_date(instant))


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day (both inclusive) of fiscal year ``fy``: April 1 fy – March 31 fy+1."""
    first = date(fy, FISCAL_YEAR_START_MONTH, 1)
    return first, date(fy + 1, FISCAL_YEAR_START_MONTH, 1) - timedelta(days=1)


def current_fiscal_year(now: datetime) -> int:
    """The fiscal year in progress at ``now`` (an aware instant)."""
    return fiscal_year_of_instant(now)


def default_last_dispatch_day(fy: int) -> date:
    """The default last dispatch day of ``fy``: "on or before that FY's last dispatch day
    (default Feb 28/29)" — the last day of February of the calendar year fy+1."""
    return date(fy + 1, 3, 1) - timedelta(days=1)


def reservation_number(fy: int, sequence: int) -> str:
    """The reservation number (派遣依頼予約番号): "unique, human-readable, e.g. ``2026-000123``
    (FY + sequence)"."""
    if not 1000 <= fy <= 9999:
        raise ValueError(f"fiscal year out of range: {fy}")
    if not 1 <= sequence < 10**RESERVATION_SEQUENCE_DIGITS:
        raise ValueError(f"reservation sequence out of range: {sequence}")
    return f"{fy}-{sequence:0{RESERVATION_SEQUENCE_DIGITS}d}"
