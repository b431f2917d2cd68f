"""Business days (営業日) and the report deadline — domain.md §5.

"Deadline: end of the 5th business day after the dispatch day (business day = Mon–Fri, not a
Japanese national holiday, not Dec 29–Jan 3)."

National holidays are an argument (a collection of dates the caller takes from the ``holidays``
package or from the fiscal-year configuration), so these rules stay pure and stdlib-only.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta

from models.rules.fiscal_year import TOKYO

#: Days off at the turn of the year (年末年始): December 29 – January 3, as (month, day).
YEAR_END_CLOSURE: frozenset[tuple[int, int]] = frozenset(
    {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
)

#: "end of the 5th business day after the dispatch day" *(config per fiscal year)*.
DEFAULT_REPORT_DUE_BUSINESS_DAYS = 5

_SATURDAY = 5


def is_year_end_closure(d: date) -> bool:
    """Whether ``d`` falls in the year-end closure, December 29 – January 3."""
    return (d.month, d.day) in YEAR_END_CLOSURE


def is_business_day(d: date, national_holidays: Collection[date]) -> bool:
    """Rule "business day = Mon–Fri, not a Japanese national holiday, not Dec 29–Jan 3"."""
    return d.weekday() < _SATURDAY and d not in national_holidays and not is_year_end_closure(d)


def add_business_days(d: date, n: int, national_holidays: Collection[date]) -> date:
    """The ``n``-th business day after ``d`` (before ``d`` when ``n`` is negative).

    ``d`` itself is never counted, whether or not it is a business day, so ``n = 1`` from a
    Friday is the next Monday (holidays permitting); ``n = 0`` returns ``d`` unchanged.
    """
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    current = d
    while remaining:
        current += step
        if is_business_day(current, national_holidays):
            remaining -= 1
    return current


def business_days_between(start: date, end: date, national_holidays: Collection[date]) -> int:
    """The signed number of business days stepped onto walking from ``start`` to ``end``.

    ``start`` is never counted and ``end`` always is (when it is a business day), in either
    direction — the inverse of :func:`add_business_days`:
    ``business_days_between(d, add_business_days(d, n, h), h) == n``. 0 when they are equal.
    """
    step = 1 if end >= start else -1
    return step * sum(
        1
        for offset in range(step, (end - start).days + step, step)
        if is_business_day(start + timedelta(days=offset), national_holidays)
    )


def report_due_date(
    dispatch_date: date,
    national_holidays: Collection[date],
    business_days: int = DEFAULT_REPORT_DUE_BUSINESS_DAYS,
) -> date:
    """The Asia/Tokyo date on which the report falls due: the 5th business day after dispatch."""
    if business_days < 1:
        raise ValueError("the report deadline is at least one business day after the dispatch")
    return add_business_days(dispatch_date, business_days, national_holidays)


def report_due_at(
    dispatch_date: date,
    national_holidays: Collection[date],
    business_days: int = DEFAULT_REPORT_DUE_BUSINESS_DAYS,
) -> datetime:
    """The report deadline as an instant: "end of the 5th business day after the dispatch day".

    The end of that day is 23:59:59.999999 Asia/Tokyo; it is returned as an aware UTC datetime
    because instants are stored in UTC.
    """
    due = report_due_date(dispatch_date, national_holidays, business_days)
    return datetime.combine(due, time.max, tzinfo=TOKYO).astimezone(UTC)
