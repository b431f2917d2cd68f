"""Scheduling rules: which date-time slots a specialist can be requested for (domain.md §3, §4.1).

"A request whose candidate date/time falls outside the hours, on a day off, on a registered
holiday, or overlaps another CONFIRMED case of the specialist is refused with a field-level error;
an API also tells a client which dates/slots are selectable for a specialist in a date range."
Request rules of §4.1 add: every slot in the future, all slots in **one** fiscal year, each on or
before that FY's last dispatch day (default Feb 28/29), 1–3 slots.

Everything here is pure: ``now`` is a parameter, national holidays are a collection of dates the
caller takes from the ``holidays`` package, the specialist's other confirmed dispatches are a list
of :class:`Slot`. Business dates are Asia/Tokyo dates; a slot lies within one Tokyo day.

* :func:`slot_problems` — the problems of one slot;
* :func:`validate_slots` — the problems of 1–3 slots filed or proposed together (with indexes);
* :func:`selectable_days` — per day of a range: selectable or the reason why not, and the free
  windows (available hours minus confirmed dispatches minus elapsed time), so a client renders a
  calendar without re-implementing these rules. A slot inside a window has no problems.

Every problem carries an :class:`~models.rules.errors.ErrorCode` (part of the API) and a Japanese
message; :class:`DayUnavailableReason` values are the same codes.
"""

from __future__ import annotations

import calendar
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from models.rules.errors import ErrorCode, FieldError
from models.rules.fiscal_year import TOKYO, default_last_dispatch_day, fiscal_year_of, tokyo_date
from models.rules.labels import LabelledEnum

#: "1–3 candidate date-time slots" (domain.md §4.1).
MIN_SLOTS = 1
MAX_SLOTS = 3

#: The longest range :func:`selectable_days` answers (about three months, the holiday horizon).
MAX_RANGE_DAYS = 92

#: "Holidays (休日登録): individual dates, only within the next three months from today" *(config)*.
DEFAULT_HOLIDAY_HORIZON_MONTHS = 3

#: "Available hours: a daily window; default 09:00–17:00" and "Weekly days off: default Saturday,
#: Sunday" *(config)*: the defaults when no setting is given.
DEFAULT_AVAILABLE_FROM_MIN = 9 * 60
DEFAULT_AVAILABLE_TO_MIN = 17 * 60
DEFAULT_DAYS_OFF: frozenset[int] = frozenset({5, 6})

MINUTES_PER_DAY = 24 * 60
_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)
_WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")


class DayUnavailableReason(LabelledEnum):
    """Why a day of the calendar is not selectable; each value is also an ``ErrorCode``."""

    SLOT_IN_PAST = ("SLOT_IN_PAST", "過去の日時です")
    SPECIALIST_NOT_ACCEPTING = ("SPECIALIST_NOT_ACCEPTING", "専門家は派遣依頼を受け付けていません")
    SLOT_BEYOND_LAST_DISPATCH_DAY = (
        "SLOT_BEYOND_LAST_DISPATCH_DAY",
        "年度の最終派遣日より後の日付です",
    )
    SLOT_DAY_OFF = ("SLOT_DAY_OFF", "専門家の定休日です")
    SLOT_NATIONAL_HOLIDAY = ("SLOT_NATIONAL_HOLIDAY", "祝日です（専門家は祝日を休みとしています）")
    SLOT_HOLIDAY = ("SLOT_HOLIDAY", "専門家が休日として登録した日です")
    DAY_FULLY_BOOKED = ("DAY_FULLY_BOOKED", "他の決定済みの派遣で予定が埋まっています")

    @property
    def code(self) -> ErrorCode:
        return ErrorCode(self.value)


@dataclass(frozen=True)
class Slot:
    """A date-time window ``[start, end)`` between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for instant in (self.start, self.end):
            if instant.tzinfo is None or instant.utcoffset() is None:
                raise ValueError("a slot needs aware datetimes")

    def overlaps(self, other: Slot) -> bool:
        """Whether the two windows share time; touching ends (one ends when the other starts)
        do not overlap."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Availability:
    """A specialist's availability settings (seed 000 プロフィール変更・休日登録).

    ``available_from_min``/``available_to_min`` are minutes after midnight (Asia/Tokyo);
    ``days_off`` weekday numbers, Monday = 0; ``holidays`` the registered dates (only those within
    ``holiday_horizon_months`` from today count, see :func:`counted_holidays`).
    ``accepting_requests`` concerns new requests only: :func:`selectable_days` honours it,
    :func:`slot_problems` does not (answering a request already filed stays possible).
    """

    accepting_requests: bool = True
    available_from_min: int = DEFAULT_AVAILABLE_FROM_MIN
    available_to_min: int = DEFAULT_AVAILABLE_TO_MIN
    days_off: frozenset[int] = DEFAULT_DAYS_OFF
    off_on_national_holidays: bool = True
    holidays: frozenset[date] = field(default_factory=frozenset)
    holiday_horizon_months: int = DEFAULT_HOLIDAY_HORIZON_MONTHS

    def __post_init__(self) -> None:
        if not 0 <= self.available_from_min < self.available_to_min <= MINUTES_PER_DAY:
            raise ValueError("available hours must satisfy 0 <= from < to <= 1440")
        if not self.days_off <= frozenset(range(7)):
            raise ValueError("days off are weekday numbers 0 (Monday) – 6 (Sunday)")
        if self.holiday_horizon_months < 0:
            raise ValueError("the holiday horizon cannot be negative")


@dataclass(frozen=True)
class SlotProblem:
    """One problem of one slot (``index`` in the submitted list, ``None`` for the list itself).

    ``part`` is the slot's field the problem is about: ``"start"``, ``"end"`` or ``""`` (the list).
    """

    code: ErrorCode
    message: str
    part: str = "start"
    index: int | None = None

    def field_path(self, path: Sequence[str]) -> tuple[str, ...]:
        """The input path of this problem under ``path`` (the slots' list), e.g.
        ``("input", "slots", "1", "start")``; indexes are 0-based like GraphQL list paths."""
        full = tuple(path)
        if self.index is not None:
            full += (str(self.index),)
        if self.part:
            full += (self.part,)
        return full

    def field_error(self, path: Sequence[str]) -> FieldError:
        return FieldError(self.code, self.message, self.field_path(path))


@dataclass(frozen=True)
class DayAvailability:
    """One calendar day: selectable (with its free windows) or the reason why not."""

    day: date
    selectable: bool
    reason: DayUnavailableReason | None = None
    windows: tuple[Slot, ...] = ()

    @property
    def message(self) -> str | None:
        return None if self.reason is None else self.reason.ja


# ---------------------------------------------------------------- calendar helpers


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, clamped to the month's end (Nov 30 + 3 → Feb 28)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    month = month0 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def holiday_horizon_end(today: date, months: int = DEFAULT_HOLIDAY_HORIZON_MONTHS) -> date:
    """The last date (inclusive) on which a registered holiday counts: "within the next three
    months from today"."""
    return add_months(today, months)


def counted_holidays(availability: Availability, today: date) -> frozenset[date]:
    """The registered holidays that count: from today to the horizon, both inclusive. Older dates
    are over; later ones cannot have been registered and are ignored."""
    last = holiday_horizon_end(today, availability.holiday_horizon_months)
    return frozenset(d for d in availability.holidays if today <= d <= last)


def last_dispatch_day(fiscal_year: int, configured: Mapping[int, date]) -> date:
    """The FY's last dispatch day: the configured one, else the default (Feb 28/29)."""
    return configured.get(fiscal_year) or default_last_dispatch_day(fiscal_year)


def day_start(d: date) -> datetime:
    """Midnight at the start of the Asia/Tokyo date ``d`` (an aware instant)."""
    return datetime.combine(d, time(0), tzinfo=TOKYO)


def _japanese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _hours(availability: Availability) -> str:
    return f"{_clock(availability.available_from_min)}～{_clock(availability.available_to_min)}"


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + _ONE_MINUTE


# ---------------------------------------------------------------- one slot


def _day_rule_problems(
    day: date,
    availability: Availability,
    *,
    national_holidays: Container[date],
    today: date,
) -> list[SlotProblem]:
    """The availability rules that make a whole day unselectable (days off, holidays)."""
    problems = []
    if day.weekday() in availability.days_off:
        problems.append(
            SlotProblem(
                ErrorCode.SLOT_DAY_OFF,
                f"{_japanese_date(day)}（{_WEEKDAYS_JA[day.weekday()]}）は専門家の定休日です。",
            )
        )
    if availability.off_on_national_holidays and day in national_holidays:
        problems.append(
            SlotProblem(
                ErrorCode.SLOT_NATIONAL_HOLIDAY,
                f"{_japanese_date(day)}は祝日です（専門家は祝日を休みとしています）。",
            )
        )
    if day in counted_holidays(availability, today):
        problems.append(
            SlotProblem(
                ErrorCode.SLOT_HOLIDAY, f"{_japanese_date(day)}は専門家が休日として登録した日です。"
            )
        )
    return problems


def slot_problems(
    slot: Slot,
    availability: Availability,
    *,
    busy: Sequence[Slot],
    national_holidays: Container[date],
    now: datetime,
    last_dispatch_days: Mapping[int, date] | None = None,
    check_availability: bool = True,
) -> list[SlotProblem]:
    """Every problem of one slot, in a stable order (empty: the slot is selectable).

    Always checked: end after start, start not before ``now``, within one Asia/Tokyo day, on or
    before the last dispatch day of the slot's FY (``last_dispatch_days`` by FY; the default
    Feb 28/29 for a year not in it). With ``check_availability`` (no secretariat override) also:
    not a weekly day off, not a national holiday when the specialist is off on those, not a
    registered holiday within the horizon, within the available hours (a slot may end exactly at
    the end of the hours), no overlap with ``busy`` (the specialist's other confirmed
    dispatches; touching ends are fine).
    """
    if slot.end <= slot.start:
        return [
            SlotProblem(
                ErrorCode.SLOT_END_BEFORE_START, "終了日時は開始日時より後にしてください。", "end"
            )
        ]
    problems: list[SlotProblem] = []
    day = tokyo_date(slot.start)
    midnight = day_start(day)
    start_offset = slot.start - midnight
    end_offset = slot.end - midnight
    if slot.start < now:
        problems.append(
            SlotProblem(
                ErrorCode.SLOT_IN_PAST, "過去の日時は指定できません。未来の日時を指定してください。"
            )
        )
    spans_days = end_offset > _ONE_DAY
    if spans_days:
        problems.append(
            SlotProblem(
                ErrorCode.SLOT_SPANS_DAYS, "開始と終了は同じ日の時刻にしてください。", "end"
            )
        )
    last_day = last_dispatch_day(fiscal_year_of(day), last_dispatch_days or {})
    if day > last_day:
        problems.append(
            SlotProblem(
                ErrorCode.SLOT_BEYOND_LAST_DISPATCH_DAY,
                f"派遣日は年度の最終派遣日（{_japanese_date(last_day)}）以前にしてください。",
            )
        )
    if not check_availability:
        return problems
    problems += _day_rule_problems(
        day, availability, national_holidays=national_holidays, today=tokyo_date(now)
    )
    if not spans_days:
        hours = f"派遣対応可能時間（{_hours(availability)}）外です。"
        if start_offset < timedelta(minutes=availability.available_from_min):
            problems.append(SlotProblem(ErrorCode.SLOT_OUTSIDE_HOURS, hours, "start"))
        elif end_offset > timedelta(minutes=availability.available_to_min):
            problems.append(SlotProblem(ErrorCode.SLOT_OUTSIDE_HOURS, hours, "end"))
    if any(slot.overlaps(other) for other in busy):
        problems.append(
            SlotProblem(
                ErrorCode.SLOT_OVERLAP, "専門家の他の決定済みの派遣と時間が重なっています。"
            )
        )
    return problems


# ---------------------------------------------------------------- 1–3 slots together


def validate_slots(
    slots: Sequence[Slot],
    availability: Availability,
    *,
    busy: Sequence[Slot],
    national_holidays: Container[date],
    now: datetime,
    last_dispatch_days: Mapping[int, date] | None = None,
    check_availability: bool = True,
) -> list[SlotProblem]:
    """Every problem of the 1–3 slots of one request or proposal, each with its slot ``index``.

    A wrong count is the only problem reported (``index`` ``None``); otherwise each slot's
    :func:`slot_problems`, then every slot whose FY differs from the first slot's ("all slots in
    one fiscal year"), then every slot overlapping an earlier one of the same list.
    """
    if not MIN_SLOTS <= len(slots) <= MAX_SLOTS:
        return [
            SlotProblem(
                ErrorCode.SLOTS_COUNT,
                f"希望日時は{MIN_SLOTS}～{MAX_SLOTS}件指定してください。",
                "",
            )
        ]
    problems: list[SlotProblem] = []
    for index, slot in enumerate(slots):
        for problem in slot_problems(
            slot,
            availability,
            busy=busy,
            national_holidays=national_holidays,
            now=now,
            last_dispatch_days=last_dispatch_days,
            check_availability=check_availability,
        ):
            problems.append(SlotProblem(problem.code, problem.message, problem.part, index))
    first_fy = fiscal_year_of(tokyo_date(slots[0].start))
    for index, slot in enumerate(slots[1:], start=1):
        if fiscal_year_of(tokyo_date(slot.start)) != first_fy:
            problems.append(
                SlotProblem(
                    ErrorCode.SLOTS_FISCAL_YEAR_MIXED,
                    f"希望日時はすべて同じ年度（{first_fy}年度）にしてください。",
                    "start",
                    index,
                )
            )
    for index, slot in enumerate(slots):
        if slot.end <= slot.start:
            continue
        earlier = next(
            (
                i
                for i, other in enumerate(slots[:index])
                if other.end > other.start and slot.overlaps(other)
            ),
            None,
        )
        if earlier is not None:
            problems.append(
                SlotProblem(
                    ErrorCode.SLOTS_OVERLAP_EACH_OTHER,
                    f"希望日時{earlier + 1}と時間が重なっています。",
                    "start",
                    index,
                )
            )
    return problems


# ---------------------------------------------------------------- the calendar


def day_range_errors(
    from_date: date, to_date: date, field_from: str = "from", field_to: str = "to"
) -> list[FieldError]:
    """Problems of a calendar range: ``to`` not before ``from``, at most 92 days (inclusive)."""
    if to_date < from_date:
        return [
            FieldError(
                ErrorCode.OUT_OF_RANGE, "終了日は開始日以降の日付にしてください。", (field_to,)
            )
        ]
    if (to_date - from_date).days + 1 > MAX_RANGE_DAYS:
        return [
            FieldError(
                ErrorCode.OUT_OF_RANGE,
                f"期間は{MAX_RANGE_DAYS}日以内で指定してください。",
                (field_to,),
            )
        ]
    return []


def days_between(from_date: date, to_date: date) -> list[date]:
    """Every date from ``from_date`` to ``to_date``, both inclusive."""
    return [from_date + timedelta(days=n) for n in range((to_date - from_date).days + 1)]


def _subtract(windows: list[Slot], busy: Iterable[Slot]) -> list[Slot]:
    for other in sorted(busy, key=lambda s: s.start):
        remaining = []
        for window in windows:
            if not window.overlaps(other):
                remaining.append(window)
                continue
            if window.start < other.start:
                remaining.append(Slot(window.start, other.start))
            if other.end < window.end:
                remaining.append(Slot(other.end, window.end))
        windows = remaining
    return windows


def free_windows(
    day: date, availability: Availability, *, busy: Sequence[Slot], now: datetime | None
) -> tuple[Slot, ...]:
    """The available hours of ``day`` minus ``busy`` minus the time before ``now`` (rounded up to
    the minute), as Asia/Tokyo instants in chronological order."""
    midnight = day_start(day)
    start = midnight + timedelta(minutes=availability.available_from_min)
    end = midnight + timedelta(minutes=availability.available_to_min)
    if now is not None:
        start = max(start, _ceil_minute(now).astimezone(TOKYO))
    if end <= start:
        return ()
    windows = _subtract([Slot(start, end)], busy)
    return tuple(
        Slot(w.start.astimezone(TOKYO), w.end.astimezone(TOKYO)) for w in windows if w.end > w.start
    )


def day_availability(
    day: date,
    availability: Availability,
    *,
    busy: Sequence[Slot],
    national_holidays: Container[date],
    now: datetime,
    last_dispatch_days: Mapping[int, date] | None = None,
    ignore_accepting: bool = False,
) -> DayAvailability:
    """One calendar day. Reasons, first that applies: past day, not accepting requests, beyond
    the FY's last dispatch day, day off, national holiday, registered holiday, then — when no
    free window is left — elapsed time (today) or confirmed dispatches (fully booked)."""
    today = tokyo_date(now)
    reason: DayUnavailableReason | None = None
    if day < today:
        reason = DayUnavailableReason.SLOT_IN_PAST
    elif not availability.accepting_requests and not ignore_accepting:
        reason = DayUnavailableReason.SPECIALIST_NOT_ACCEPTING
    elif day > last_dispatch_day(fiscal_year_of(day), last_dispatch_days or {}):
        reason = DayUnavailableReason.SLOT_BEYOND_LAST_DISPATCH_DAY
    else:
        problems = _day_rule_problems(
            day, availability, national_holidays=national_holidays, today=today
        )
        if problems:
            reason = DayUnavailableReason(problems[0].code.value)
    if reason is not None:
        return DayAvailability(day, False, reason)
    windows = free_windows(day, availability, busy=busy, now=now)
    if windows:
        return DayAvailability(day, True, None, windows)
    if free_windows(day, availability, busy=busy, now=None):
        return DayAvailability(day, False, DayUnavailableReason.SLOT_IN_PAST)
    return DayAvailability(day, False, DayUnavailableReason.DAY_FULLY_BOOKED)


def selectable_days(
    availability: Availability,
    *,
    from_date: date,
    to_date: date,
    busy: Sequence[Slot],
    national_holidays: Container[date],
    now: datetime,
    last_dispatch_days: Mapping[int, date] | None = None,
    ignore_accepting: bool = False,
) -> list[DayAvailability]:
    """The calendar from ``from_date`` to ``to_date`` (inclusive, at most 92 days — check with
    :func:`day_range_errors` first; a longer or reversed range raises ``ValueError``).

    ``ignore_accepting`` shows the days as if the specialist accepted requests (the specialist's
    own calendar for proposing dates on a request already filed).
    """
    if day_range_errors(from_date, to_date):
        raise ValueError(f"calendar range {from_date}..{to_date} is reversed or too long")
    ordered = sorted(busy, key=lambda s: s.start)
    return [
        day_availability(
            day,
            availability,
            busy=[
                b for b in ordered if b.overlaps(Slot(day_start(day), day_start(day) + _ONE_DAY))
            ],
            national_holidays=national_holidays,
            now=now,
            last_dispatch_days=last_dispatch_days,
            ignore_accepting=ignore_accepting,
        )
        for day in days_between(from_date, to_date)
    ]
