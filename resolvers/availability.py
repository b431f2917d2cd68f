"""A specialist's availability from the database: slot checks for the case mutations and the
calendar behind ``Specialist.availability`` (domain.md §3 "Availability settings", §4.1).

The rules are :mod:`models.rules.scheduling`; this module only gathers their inputs with a fixed
number of statements, whatever the number of slots, days or specialists:

* the specialist's settings (``Specialist`` row), its registered holidays (``SpecialistHoliday``),
  its other CONFIRMED cases overlapping the range (``DispatchCase.dispatch_start/end``) and the
  fiscal-year configuration (``FiscalYearConfig.last_dispatch_day`` and
  ``holiday_horizon_months``) — one statement each;
* Japanese national holidays from the ``holidays`` package (no SQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays as holiday_calendars

from auth.principal import Principal
from auth.scoping import specialist_scope
from models.cases import DispatchCase
from models.fiscal import FiscalYearConfig
from models.rules.case_status import CaseStatus
from models.rules.errors import ErrorCode, FieldError, NotFound, ValidationErrors
from models.rules.fiscal_year import current_fiscal_year, fiscal_year_of, tokyo_date
from models.rules.roles import Role
from models.rules.scheduling import (
    DEFAULT_HOLIDAY_HORIZON_MONTHS,
    MAX_SLOTS,
    MIN_SLOTS,
    Availability,
    DayAvailability,
    Slot,
    day_range_errors,
    day_start,
    holiday_horizon_end,
    selectable_days,
    validate_slots,
)
from models.specialists import Specialist, SpecialistHoliday

#: Statuses whose fixed dispatch window blocks the specialist's time ("overlaps another
#: CONFIRMED case of the specialist").
BLOCKING_STATUSES: tuple[CaseStatus, ...] = (CaseStatus.CONFIRMED,)

#: A calendar request: (specialist id, first day, last day), both days inclusive.
AvailabilityKey = tuple[int, date, date]

_SETTINGS = (
    "id",
    "accepting_requests",
    "available_from_min",
    "available_to_min",
    "days_off",
    "off_on_national_holidays",
)


@lru_cache(maxsize=64)
def _national_holidays_of(year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays("JP", years=year))


def national_holidays(years: Iterable[int]) -> frozenset[date]:
    """Japanese national holidays (国民の祝日, 振替休日, 国民の休日) of the given calendar years."""
    result: frozenset[date] = frozenset()
    for year in set(years):
        result |= _national_holidays_of(year)
    return result


def _years(first: date, last: date) -> range:
    return range(first.year, last.year + 1)


def _availability(row: dict[str, Any], holidays: Iterable[date], horizon: int) -> Availability:
    return Availability(
        accepting_requests=bool(row["accepting_requests"]),
        available_from_min=int(row["available_from_min"]),
        available_to_min=int(row["available_to_min"]),
        days_off=frozenset(int(d) for d in row["days_off"] or ()),
        off_on_national_holidays=bool(row["off_on_national_holidays"]),
        holidays=frozenset(holidays),
        holiday_horizon_months=horizon,
    )


async def _fiscal_settings(
    fiscal_years: Iterable[int], current: int
) -> tuple[dict[int, date], int]:
    """The configured last dispatch days by FY, and the holiday horizon of the current FY (one
    statement)."""
    rows = await FiscalYearConfig.filter(fiscal_year__in=sorted({*fiscal_years, current})).values(
        "fiscal_year", "last_dispatch_day", "holiday_horizon_months"
    )
    last_days = {int(r["fiscal_year"]): r["last_dispatch_day"] for r in rows}
    horizon = next(
        (int(r["holiday_horizon_months"]) for r in rows if r["fiscal_year"] == current),
        DEFAULT_HOLIDAY_HORIZON_MONTHS,
    )
    return last_days, horizon


async def _holidays(
    specialist_ids: Sequence[int], first: date, last: date
) -> dict[int, list[date]]:
    """Registered holidays from ``first`` to ``last`` by specialist (one statement)."""
    found: dict[int, list[date]] = defaultdict(list)
    if last < first:
        return found
    rows = await SpecialistHoliday.filter(
        specialist_id__in=list(specialist_ids), date__gte=first, date__lte=last
    ).values_list("specialist_id", "date")
    for specialist_id, day in rows:
        found[int(specialist_id)].append(day)
    return found


async def _busy(
    specialist_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_case_id: int | None = None,
) -> dict[int, list[Slot]]:
    """Dispatch windows of confirmed cases overlapping ``[start, end)`` by specialist (one
    statement, on the ``(specialist_id, status)`` index)."""
    query = DispatchCase.filter(
        specialist_id__in=list(specialist_ids),
        status__in=list(BLOCKING_STATUSES),
        # UTC parameters: SQLite compares the stored UTC text, not instants.
        dispatch_start__lt=end.astimezone(UTC),
        dispatch_end__gt=start.astimezone(UTC),
    )
    if exclude_case_id is not None:
        query = query.exclude(id=exclude_case_id)
    rows = await query.order_by("dispatch_start").values_list(
        "specialist_id", "dispatch_start", "dispatch_end"
    )
    found: dict[int, list[Slot]] = defaultdict(list)
    for specialist_id, dispatch_start, dispatch_end in rows:
        found[int(specialist_id)].append(Slot(dispatch_start, dispatch_end))
    return found


# ---------------------------------------------------------------- slot checks for mutations


def _naive(instant: datetime) -> bool:
    return instant.tzinfo is None or instant.utcoffset() is None


async def slot_field_errors(
    specialist_id: int,
    slots: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime,
    path: tuple[str, ...] = ("input", "slots"),
    exclude_case_id: int | None = None,
    check_availability: bool = True,
) -> list[FieldError]:
    """Every problem of 1–3 candidate/proposed/fixed slots for ``specialist_id``, as field errors
    under ``path`` (``("input", "slots", "1", "start")``, 0-based); empty when all are selectable.

    Always checked: the count (1–3), end after start, no instant without a UTC offset, not in the
    past, within one Asia/Tokyo day, one fiscal year, on or before that FY's last dispatch day,
    no two slots overlapping. With ``check_availability`` (no secretariat override) also the
    specialist's hours, days off, registered holidays (within the horizon), national holidays
    when the specialist is off on them, and overlap with the specialist's other CONFIRMED cases
    (``exclude_case_id`` left out). Whether the specialist accepts requests or is dispatchable is
    the caller's check. The caller has checked the specialist is in scope; an unknown
    ``specialist_id`` raises :class:`NotFound` when availability is checked.

    At most four statements (fiscal-year settings, specialist, holidays, confirmed cases), none
    when the list itself is malformed.
    """
    naive = [
        FieldError(
            ErrorCode.INVALID,
            "日時はタイムゾーン（UTCからの時差）付きで指定してください。",
            (*path, str(index), part),
        )
        for index, pair in enumerate(slots)
        for part, instant in zip(("start", "end"), pair, strict=True)
        if _naive(instant)
    ]
    if naive:
        return naive
    windows = [Slot(start, end) for start, end in slots]
    if not MIN_SLOTS <= len(windows) <= MAX_SLOTS:
        problems = validate_slots(windows, Availability(), busy=(), national_holidays=(), now=now)
        return [p.field_error(path) for p in problems]
    today = tokyo_date(now)
    days = [tokyo_date(w.start) for w in windows]
    last_days, horizon = await _fiscal_settings(
        (fiscal_year_of(d) for d in days), current_fiscal_year(now)
    )
    availability = Availability()
    busy: list[Slot] = []
    if check_availability:
        row = await Specialist.filter(id=specialist_id).values(*_SETTINGS)
        if not row:
            raise NotFound("指定された専門家が見つかりません。")
        holidays = await _holidays(
            [specialist_id], today, min(max(days), holiday_horizon_end(today, horizon))
        )
        availability = _availability(row[0], holidays[specialist_id], horizon)
        valid = [w for w in windows if w.end > w.start]
        if valid:
            found = await _busy(
                [specialist_id],
                min(w.start for w in valid),
                max(w.end for w in valid),
                exclude_case_id,
            )
            busy = found[specialist_id]
    problems = validate_slots(
        windows,
        availability,
        busy=busy,
        national_holidays=national_holidays(d.year for d in days),
        now=now,
        last_dispatch_days=last_days,
        check_availability=check_availability,
    )
    return [p.field_error(path) for p in problems]


# ---------------------------------------------------------------- the calendar


def check_day_range(from_date: date, to_date: date) -> None:
    """Raise :class:`ValidationErrors` (fields ``from``/``to``) for a reversed or too long range
    — before any SQL."""
    errors = day_range_errors(from_date, to_date)
    if errors:
        raise ValidationErrors(errors)


def _is_self(principal: Principal, specialist_id: int) -> bool:
    return principal.role is Role.SPECIALIST and principal.specialist_id == specialist_id


async def load_availability(
    principal: Principal, keys: Sequence[AvailabilityKey], now: datetime
) -> list[list[DayAvailability] | None]:
    """The calendars of several (specialist, range) keys in four statements; ``None`` for a
    specialist out of the principal's scope (or missing). Ranges must have passed
    :func:`check_day_range`.

    A specialist sees its own calendar as if it accepted requests (it proposes dates on requests
    already filed); every other viewer sees the days of a specialist not accepting requests as
    unselectable.
    """
    for _, first, last in keys:
        check_day_range(first, last)
    if not keys:
        return []
    ids = list(dict.fromkeys(key[0] for key in keys))
    rows = await Specialist.filter(specialist_scope(principal), id__in=ids).values(*_SETTINGS)
    settings = {int(row["id"]): row for row in rows}
    if not settings:
        return [None for _ in keys]
    first = min(key[1] for key in keys)
    last = max(key[2] for key in keys)
    today = tokyo_date(now)
    in_scope = sorted(settings)
    last_days, horizon = await _fiscal_settings(
        range(fiscal_year_of(first), fiscal_year_of(last) + 1), current_fiscal_year(now)
    )
    holidays = await _holidays(
        in_scope, max(first, today), min(last, holiday_horizon_end(today, horizon))
    )
    busy = await _busy(in_scope, day_start(first), day_start(last + timedelta(days=1)))
    national = national_holidays(_years(first, last))
    result: list[list[DayAvailability] | None] = []
    for specialist_id, from_date, to_date in keys:
        row = settings.get(specialist_id)
        if row is None:
            result.append(None)
            continue
        result.append(
            selectable_days(
                _availability(row, holidays[specialist_id], horizon),
                from_date=from_date,
                to_date=to_date,
                busy=busy[specialist_id],
                national_holidays=national,
                now=now,
                last_dispatch_days=last_days,
                ignore_accepting=_is_self(principal, specialist_id),
            )
        )
    return result


async def specialist_availability(
    principal: Principal, specialist_id: int, from_date: date, to_date: date, now: datetime
) -> list[DayAvailability] | None:
    """One specialist's calendar from ``from_date`` to ``to_date`` (at most 92 days; a bad range
    raises :class:`ValidationErrors` before any SQL), or ``None`` when the specialist is out of
    the principal's scope."""
    check_day_range(from_date, to_date)
    (days,) = await load_availability(principal, [(specialist_id, from_date, to_date)], now)
    return days
