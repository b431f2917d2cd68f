"""Business days and the report deadline (domain.md §5) with real 2026–2027 dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from holidays.countries.japan import Japan

from models.rules.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
    is_year_end_closure,
    report_due_at,
    report_due_date,
)
from models.rules.fiscal_year import TOKYO

# Japanese national holidays (国民の祝日・振替休日・国民の休日), 2026 and 2027.
HOLIDAYS_2026 = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 1, 12),  # 成人の日
        date(2026, 2, 11),
        date(2026, 2, 23),
        date(2026, 3, 20),
        date(2026, 4, 29),  # 昭和の日
        date(2026, 5, 3),
        date(2026, 5, 4),
        date(2026, 5, 5),
        date(2026, 5, 6),  # 振替休日 (5/3 is a Sunday)
        date(2026, 7, 20),  # 海の日
        date(2026, 8, 11),
        date(2026, 9, 21),  # 敬老の日
        date(2026, 9, 22),  # 国民の休日 (between two holidays)
        date(2026, 9, 23),
        date(2026, 10, 12),
        date(2026, 11, 3),
        date(2026, 11, 23),
    }
)
HOLIDAYS_2027 = frozenset(
    {
        date(2027, 1, 1),
        date(2027, 1, 11),
        date(2027, 2, 11),
        date(2027, 2, 23),
        date(2027, 3, 21),
        date(2027, 3, 22),  # 振替休日
        date(2027, 4, 29),
        date(2027, 5, 3),
        date(2027, 5, 4),
        date(2027, 5, 5),
        date(2027, 7, 19),
        date(2027, 8, 11),
        date(2027, 9, 20),
        date(2027, 9, 23),
        date(2027, 10, 11),
        date(2027, 11, 3),
        date(2027, 11, 23),
    }
)
HOLIDAYS = HOLIDAYS_2026 | HOLIDAYS_2027


def test_literal_holidays_match_the_holidays_package() -> None:
    # given
    calendar = Japan(years=(2026, 2027))
    # then
    assert frozenset(calendar.keys()) == HOLIDAYS


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 6, 10), True),  # an ordinary Wednesday
        (date(2026, 6, 13), False),  # Saturday
        (date(2026, 6, 14), False),  # Sunday
        (date(2026, 4, 29), False),  # 昭和の日
        (date(2026, 4, 30), True),
        (date(2026, 5, 6), False),  # 振替休日
        (date(2026, 5, 7), True),
        (date(2026, 7, 20), False),  # 海の日
        (date(2026, 9, 22), False),  # 国民の休日
        (date(2026, 12, 28), True),
        (date(2026, 12, 29), False),  # 年末年始, a Tuesday
        (date(2026, 12, 31), False),
        (date(2026, 1, 2), False),  # 年末年始, a Friday, not a national holiday
        (date(2027, 1, 1), False),
        (date(2027, 1, 4), True),
        (date(2027, 3, 22), False),  # 振替休日
    ],
)
def test_is_business_day(day: date, business: bool) -> None:
    assert is_business_day(day, HOLIDAYS) is business


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        (date(2026, 12, 28), False),
        (date(2026, 12, 29), True),
        (date(2027, 1, 3), True),
        (date(2027, 1, 4), False),
    ],
)
def test_year_end_closure_is_december_29_to_january_3(day: date, closed: bool) -> None:
    assert is_year_end_closure(day) is closed
    assert is_business_day(day, frozenset()) is (not closed and day.weekday() < 5)


@pytest.mark.parametrize(
    ("dispatch_day", "due"),
    [
        (date(2026, 6, 10), date(2026, 6, 17)),  # Wed → next Wed
        (date(2026, 4, 27), date(2026, 5, 8)),  # Golden Week: 4/29, 5/3–5/6
        (date(2026, 5, 1), date(2026, 5, 13)),  # Friday before the Golden Week holidays
        (date(2026, 5, 3), date(2026, 5, 13)),  # dispatched on a holiday
        (date(2026, 7, 17), date(2026, 7, 27)),  # Friday before Monday 海の日 7/20
        (date(2026, 9, 18), date(2026, 9, 30)),  # Silver Week 9/21–9/23
        (date(2025, 12, 26), date(2026, 1, 9)),  # New Year 2026
        (date(2026, 1, 8), date(2026, 1, 16)),  # 成人の日 1/12
        (date(2026, 12, 24), date(2027, 1, 6)),
        (date(2026, 12, 26), date(2027, 1, 7)),  # Saturday → New Year 2027
        (date(2027, 4, 28), date(2027, 5, 11)),  # Golden Week 2027
    ],
)
def test_report_is_due_at_the_end_of_the_fifth_business_day(dispatch_day: date, due: date) -> None:
    # when
    due_at = report_due_at(dispatch_day, HOLIDAYS)
    # then
    assert report_due_date(dispatch_day, HOLIDAYS) == due
    assert due_at.tzinfo is UTC
    assert due_at == datetime(due.year, due.month, due.day, 23, 59, 59, 999_999, tzinfo=TOKYO)
    assert due_at + timedelta(microseconds=1) == datetime(
        due.year, due.month, due.day, tzinfo=TOKYO
    ) + timedelta(days=1)


def test_report_due_at_is_expressed_in_utc() -> None:
    # when
    due_at = report_due_at(date(2026, 7, 17), HOLIDAYS)
    # then: 2026-07-27 23:59:59.999999 JST is 14:59:59.999999 UTC
    assert due_at == datetime(2026, 7, 27, 14, 59, 59, 999_999, tzinfo=UTC)
    assert due_at.isoformat() == "2026-07-27T14:59:59.999999+00:00"


@pytest.mark.parametrize(
    ("dispatch_day", "business_days", "due"),
    [
        (date(2026, 7, 17), 3, date(2026, 7, 23)),  # the 3rd-business-day reminder
        (date(2026, 12, 26), 1, date(2026, 12, 28)),
        (date(2026, 12, 28), 1, date(2027, 1, 4)),
    ],
)
def test_report_due_with_a_configured_number_of_days(
    dispatch_day: date, business_days: int, due: date
) -> None:
    assert report_due_date(dispatch_day, HOLIDAYS, business_days) == due


def test_report_due_needs_at_least_one_business_day() -> None:
    with pytest.raises(ValueError):
        report_due_at(date(2026, 7, 17), HOLIDAYS, 0)


@pytest.mark.parametrize(
    ("start", "n", "result"),
    [
        (date(2026, 7, 17), 0, date(2026, 7, 17)),
        (date(2026, 7, 18), 0, date(2026, 7, 18)),  # n = 0 never moves, even off a weekend
        (date(2026, 7, 17), 1, date(2026, 7, 21)),
        (date(2026, 4, 28), 1, date(2026, 4, 30)),
        (date(2026, 5, 7), -1, date(2026, 5, 1)),
        (date(2027, 1, 4), -1, date(2026, 12, 28)),
        (date(2027, 1, 7), -5, date(2026, 12, 25)),
    ],
)
def test_add_business_days(start: date, n: int, result: date) -> None:
    assert add_business_days(start, n, HOLIDAYS) == result


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2026, 4, 27), date(2026, 5, 8), 5),
        (date(2026, 5, 8), date(2026, 4, 27), -5),
        (date(2026, 6, 10), date(2026, 6, 10), 0),
        (date(2026, 12, 26), date(2027, 1, 7), 5),
        (date(2026, 5, 1), date(2026, 5, 6), 0),  # only days off in between
        (date(2026, 7, 17), date(2026, 7, 19), 0),
    ],
)
def test_business_days_between(start: date, end: date, count: int) -> None:
    assert business_days_between(start, end, HOLIDAYS) == count


def test_business_days_between_inverts_add_business_days() -> None:
    # given: every day of 2026 and n from -7 to 7
    day = date(2026, 1, 1)
    while day.year == 2026:
        for n in range(-7, 8):
            # when
            moved = add_business_days(day, n, HOLIDAYS)
            # then
            assert business_days_between(day, moved, HOLIDAYS) == n
            assert n == 0 or is_business_day(moved, HOLIDAYS)
        day += timedelta(days=1)
