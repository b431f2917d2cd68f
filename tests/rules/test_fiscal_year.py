"""Fiscal years (April 1 – March 31) and Asia/Tokyo business dates — pure, table-driven tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from models.rules.fiscal_year import (
    TOKYO,
    current_fiscal_year,
    default_last_dispatch_day,
    fiscal_year_bounds,
    fiscal_year_of,
    fiscal_year_of_instant,
    reservation_number,
    tokyo_date,
)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2026, 6, 9, 14, 59, tzinfo=UTC), date(2026, 6, 9)),  # 23:59 JST
        (datetime(2026, 6, 9, 15, 0, tzinfo=UTC), date(2026, 6, 10)),  # 00:00 JST
        (datetime(2026, 6, 10, 0, 30, tzinfo=TOKYO), date(2026, 6, 10)),
        (datetime(2026, 6, 10, 8, 0, tzinfo=timezone(timedelta(hours=-7))), date(2026, 6, 11)),
        (datetime(2026, 12, 31, 15, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_tokyo_date_is_the_calendar_date_in_asia_tokyo(instant: datetime, expected: date) -> None:
    assert tokyo_date(instant) == expected


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        tokyo_date(datetime(2026, 6, 10, 12, 0))


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (date(2026, 3, 31), 2025),
        (date(2026, 4, 1), 2026),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 1), 2026),
        (date(2027, 2, 28), 2026),
        (date(2027, 3, 31), 2026),
        (date(2027, 4, 1), 2027),
        (date(2024, 2, 29), 2023),
    ],
)
def test_fiscal_year_runs_from_april_to_march(day: date, fy: int) -> None:
    assert fiscal_year_of(day) == fy


@pytest.mark.parametrize(
    ("instant", "fy"),
    [
        # 2026-03-31 23:59 JST is still FY2025; one minute later it is FY2026.
        (datetime(2026, 3, 31, 14, 59, tzinfo=UTC), 2025),
        (datetime(2026, 3, 31, 15, 0, tzinfo=UTC), 2026),
        (datetime(2026, 4, 1, 0, 0, tzinfo=TOKYO), 2026),
    ],
)
def test_fiscal_year_of_an_instant_uses_the_tokyo_date(instant: datetime, fy: int) -> None:
    assert fiscal_year_of_instant(instant) == fy
    assert current_fiscal_year(instant) == fy


@pytest.mark.parametrize(
    ("fy", "first", "last"),
    [
        (2025, date(2025, 4, 1), date(2026, 3, 31)),
        (2026, date(2026, 4, 1), date(2027, 3, 31)),
    ],
)
def test_fiscal_year_bounds(fy: int, first: date, last: date) -> None:
    assert fiscal_year_bounds(fy) == (first, last)
    assert fiscal_year_of(first) == fy
    assert fiscal_year_of(last) == fy
    assert fiscal_year_of(first - timedelta(days=1)) == fy - 1
    assert fiscal_year_of(last + timedelta(days=1)) == fy + 1


@pytest.mark.parametrize(
    ("fy", "last_dispatch_day"),
    [
        (2025, date(2026, 2, 28)),
        (2026, date(2027, 2, 28)),
        (2027, date(2028, 2, 29)),  # leap year
        (2099, date(2100, 2, 28)),  # 2100 is not a leap year
    ],
)
def test_default_last_dispatch_day_is_end_of_february(fy: int, last_dispatch_day: date) -> None:
    assert default_last_dispatch_day(fy) == last_dispatch_day
    assert fiscal_year_of(last_dispatch_day) == fy


@pytest.mark.parametrize(
    ("fy", "sequence", "number"),
    [
        (2026, 123, "2026-000123"),
        (2026, 1, "2026-000001"),
        (2025, 999_999, "2025-999999"),
    ],
)
def test_reservation_number_is_fiscal_year_and_six_digit_sequence(
    fy: int, sequence: int, number: str
) -> None:
    assert reservation_number(fy, sequence) == number


@pytest.mark.parametrize(("fy", "sequence"), [(2026, 0), (2026, -1), (2026, 1_000_000), (26, 1)])
def test_reservation_number_refuses_out_of_range_parts(fy: int, sequence: int) -> None:
    with pytest.raises(ValueError):
        reservation_number(fy, sequence)
