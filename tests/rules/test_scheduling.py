"""Scheduling rules (domain.md §3 availability, §4.1) with real Japanese calendar dates.

The reference instant is Monday 2026-04-20 10:00 Asia/Tokyo (fiscal year 2026): Golden Week 2026
(4/29 昭和の日, 5/3–5/5, 5/6 振替休日) lies ahead, the holiday horizon ends on 2026-07-20.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from holidays.countries.japan import Japan

from models.rules.business_days import is_business_day
from models.rules.errors import ErrorCode
from models.rules.fiscal_year import TOKYO
from models.rules.scheduling import (
    MAX_RANGE_DAYS,
    Availability,
    DayUnavailableReason,
    Slot,
    SlotProblem,
    add_months,
    counted_holidays,
    day_range_errors,
    free_windows,
    holiday_horizon_end,
    selectable_days,
    slot_problems,
    validate_slots,
)

NATIONAL = frozenset(Japan(years=range(2025, 2029)))
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=TOKYO)
DEFAULT = Availability()

E = ErrorCode
R = DayUnavailableReason


def at(y: int, m: int, d: int, hour: int, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=TOKYO)


def slot(y: int, m: int, d: int, start: float, end: float) -> Slot:
    """A slot on one Tokyo day between two clock times given as hours (10.5 = 10:30)."""
    midnight = datetime(y, m, d, tzinfo=TOKYO)
    return Slot(midnight + timedelta(hours=start), midnight + timedelta(hours=end))


def codes(problems: list[SlotProblem]) -> list[ErrorCode]:
    return [p.code for p in problems]


def test_the_holidays_package_knows_the_dates_these_tests_rely_on() -> None:
    # given / then: Golden Week 2026 with its substitute holiday, New Year, a 2025 substitute day
    for day in (
        date(2026, 4, 29),
        date(2026, 5, 3),
        date(2026, 5, 4),
        date(2026, 5, 5),
        date(2026, 5, 6),
        date(2025, 2, 24),
        date(2027, 1, 1),
        date(2027, 2, 23),
        date(2026, 7, 20),
    ):
        assert day in NATIONAL, day
    assert date(2026, 5, 7) not in NATIONAL
    assert date(2026, 12, 29) not in NATIONAL


# ---------------------------------------------------------------- one slot

BUSY_0421 = (slot(2026, 4, 21, 10, 12),)

SLOT_CASES = [
    # (id, slot, availability, busy, expected codes)
    ("plain weekday", slot(2026, 4, 21, 10, 12), DEFAULT, (), []),
    ("starts exactly at 9:00", slot(2026, 4, 21, 9, 11), DEFAULT, (), []),
    ("ends exactly at 17:00", slot(2026, 4, 21, 15, 17), DEFAULT, (), []),
    ("the whole available window", slot(2026, 4, 21, 9, 17), DEFAULT, (), []),
    ("starts 8:59", slot(2026, 4, 21, 8 + 59 / 60, 11), DEFAULT, (), [E.SLOT_OUTSIDE_HOURS]),
    ("ends 17:01", slot(2026, 4, 21, 15, 17 + 1 / 60), DEFAULT, (), [E.SLOT_OUTSIDE_HOURS]),
    ("evening", slot(2026, 4, 21, 18, 20), DEFAULT, (), [E.SLOT_OUTSIDE_HOURS]),
    ("end before start", slot(2026, 4, 21, 12, 10), DEFAULT, (), [E.SLOT_END_BEFORE_START]),
    ("end equals start", slot(2026, 4, 21, 12, 12), DEFAULT, (), [E.SLOT_END_BEFORE_START]),
    ("earlier today", slot(2026, 4, 20, 9, 10), DEFAULT, (), [E.SLOT_IN_PAST]),
    ("starts exactly now", slot(2026, 4, 20, 10, 11), DEFAULT, (), []),
    ("last week", slot(2026, 4, 14, 10, 12), DEFAULT, (), [E.SLOT_IN_PAST]),
    ("昭和の日 (Wed)", slot(2026, 4, 29, 10, 12), DEFAULT, (), [E.SLOT_NATIONAL_HOLIDAY]),
    (
        "憲法記念日 on a Sunday",
        slot(2026, 5, 3, 10, 12),
        DEFAULT,
        (),
        [E.SLOT_DAY_OFF, E.SLOT_NATIONAL_HOLIDAY],
    ),
    ("みどりの日 (Mon)", slot(2026, 5, 4, 10, 12), DEFAULT, (), [E.SLOT_NATIONAL_HOLIDAY]),
    ("振替休日 2026-05-06", slot(2026, 5, 6, 10, 12), DEFAULT, (), [E.SLOT_NATIONAL_HOLIDAY]),
    ("the day after Golden Week", slot(2026, 5, 7, 10, 12), DEFAULT, (), []),
    (
        "振替休日 ignored when not off on national holidays",
        slot(2026, 5, 6, 10, 12),
        Availability(off_on_national_holidays=False),
        (),
        [],
    ),
    ("元日 2027 (Fri)", slot(2027, 1, 1, 10, 12), DEFAULT, (), [E.SLOT_NATIONAL_HOLIDAY]),
    ("成人の日 2027", slot(2027, 1, 11, 10, 12), DEFAULT, (), [E.SLOT_NATIONAL_HOLIDAY]),
    ("Dec 29 is no specialist rule", slot(2026, 12, 29, 10, 12), DEFAULT, (), []),
    ("Saturday", slot(2026, 4, 25, 10, 12), DEFAULT, (), [E.SLOT_DAY_OFF]),
    ("Sunday", slot(2026, 4, 26, 10, 12), DEFAULT, (), [E.SLOT_DAY_OFF]),
    (
        "Saturday without days off",
        slot(2026, 4, 25, 10, 12),
        Availability(days_off=frozenset()),
        (),
        [],
    ),
    (
        "Wednesday as the day off",
        slot(2026, 4, 22, 10, 12),
        Availability(days_off=frozenset({2})),
        (),
        [E.SLOT_DAY_OFF],
    ),
    (
        "registered holiday",
        slot(2026, 4, 23, 10, 12),
        Availability(holidays=frozenset({date(2026, 4, 23)})),
        (),
        [E.SLOT_HOLIDAY],
    ),
    (
        "registered holiday on the horizon's last day counts",
        slot(2026, 7, 20, 10, 12),
        Availability(holidays=frozenset({date(2026, 7, 20)}), off_on_national_holidays=False),
        (),
        [E.SLOT_HOLIDAY],
    ),
    (
        "registered holiday beyond three months is ignored",
        slot(2026, 7, 21, 10, 12),
        Availability(holidays=frozenset({date(2026, 7, 21)})),
        (),
        [],
    ),
    (
        "custom hours 13:00–20:00",
        slot(2026, 4, 21, 18, 20),
        Availability(available_from_min=13 * 60, available_to_min=20 * 60),
        (),
        [],
    ),
    (
        "custom hours 13:00–20:00, morning",
        slot(2026, 4, 21, 10, 12),
        Availability(available_from_min=13 * 60, available_to_min=20 * 60),
        (),
        [E.SLOT_OUTSIDE_HOURS],
    ),
    (
        "available until midnight",
        slot(2026, 4, 21, 22, 24),
        Availability(available_from_min=0, available_to_min=24 * 60),
        (),
        [],
    ),
    (
        "over midnight",
        slot(2026, 4, 21, 22, 25),
        Availability(available_from_min=0, available_to_min=24 * 60),
        (),
        [E.SLOT_SPANS_DAYS],
    ),
    ("over midnight, default hours", slot(2026, 4, 21, 16, 34), DEFAULT, (), [E.SLOT_SPANS_DAYS]),
    ("overlaps a confirmed case", slot(2026, 4, 21, 11, 13), DEFAULT, BUSY_0421, [E.SLOT_OVERLAP]),
    ("inside a confirmed case", slot(2026, 4, 21, 10.5, 11), DEFAULT, BUSY_0421, [E.SLOT_OVERLAP]),
    ("around a confirmed case", slot(2026, 4, 21, 9, 13), DEFAULT, BUSY_0421, [E.SLOT_OVERLAP]),
    ("starts when the case ends", slot(2026, 4, 21, 12, 14), DEFAULT, BUSY_0421, []),
    ("ends when the case starts", slot(2026, 4, 21, 9, 10), DEFAULT, BUSY_0421, []),
    ("a case on another day", slot(2026, 4, 22, 10, 12), DEFAULT, BUSY_0421, []),
    ("Friday before the default last day", slot(2027, 2, 26, 10, 12), DEFAULT, (), []),
    (
        "after Feb 28 (default last dispatch day)",
        slot(2027, 3, 1, 10, 12),
        DEFAULT,
        (),
        [E.SLOT_BEYOND_LAST_DISPATCH_DAY],
    ),
    ("Feb 29 of a leap year", slot(2028, 2, 29, 10, 12), DEFAULT, (), []),
    (
        "March 1 of a leap year",
        slot(2028, 3, 1, 10, 12),
        DEFAULT,
        (),
        [E.SLOT_BEYOND_LAST_DISPATCH_DAY],
    ),
    ("next fiscal year starts afresh", slot(2027, 4, 1, 10, 12), DEFAULT, (), []),
    (
        "everything at once",
        slot(2026, 4, 18, 7, 8),  # a past Saturday before the hours
        Availability(holidays=frozenset({date(2026, 4, 18)})),
        (),
        [E.SLOT_IN_PAST, E.SLOT_DAY_OFF, E.SLOT_OUTSIDE_HOURS],  # past holidays are over
    ),
]


@pytest.mark.parametrize(
    ("slot_", "availability", "busy", "expected"),
    [case[1:] for case in SLOT_CASES],
    ids=[case[0] for case in SLOT_CASES],
)
def test_slot_problems(
    slot_: Slot, availability: Availability, busy: tuple[Slot, ...], expected: list[ErrorCode]
) -> None:
    # when
    problems = slot_problems(slot_, availability, busy=busy, national_holidays=NATIONAL, now=NOW)
    # then
    assert codes(problems) == expected
    assert all(p.message and p.index is None for p in problems)


def test_a_configured_last_dispatch_day_replaces_the_default() -> None:
    # given: FY 2026 ends its dispatches on Friday 2027-02-19
    configured = {2026: date(2027, 2, 19)}
    # when
    on_it = slot_problems(
        slot(2027, 2, 19, 10, 12),
        DEFAULT,
        busy=(),
        national_holidays=NATIONAL,
        now=NOW,
        last_dispatch_days=configured,
    )
    after = slot_problems(
        slot(2027, 2, 22, 10, 12),
        DEFAULT,
        busy=(),
        national_holidays=NATIONAL,
        now=NOW,
        last_dispatch_days=configured,
    )
    # then
    assert on_it == []
    assert codes(after) == [E.SLOT_BEYOND_LAST_DISPATCH_DAY]
    assert "2027年2月19日" in after[0].message


@pytest.mark.parametrize(
    ("start_utc", "expected"),
    [
        (datetime(2026, 4, 21, 0, 0, tzinfo=UTC), []),  # 09:00 Tokyo
        (datetime(2026, 4, 20, 23, 59, tzinfo=UTC), [E.SLOT_OUTSIDE_HOURS]),  # 08:59 Tokyo
        # Friday 15:30 UTC is Saturday 00:30 in Tokyo: the Tokyo day decides
        (datetime(2026, 4, 24, 15, 30, tzinfo=UTC), [E.SLOT_DAY_OFF, E.SLOT_OUTSIDE_HOURS]),
    ],
)
def test_days_and_hours_are_taken_in_asia_tokyo(
    start_utc: datetime, expected: list[ErrorCode]
) -> None:
    # when
    problems = slot_problems(
        Slot(start_utc, start_utc + timedelta(hours=1)),
        DEFAULT,
        busy=(),
        national_holidays=NATIONAL,
        now=NOW,
    )
    # then
    assert codes(problems) == expected


def test_the_secretariat_override_keeps_only_the_request_rules() -> None:
    # given: a Saturday evening on a registered holiday, overlapping a confirmed case
    saturday = slot(2026, 4, 25, 18, 20)
    availability = Availability(holidays=frozenset({date(2026, 4, 25)}))
    busy = (slot(2026, 4, 25, 19, 21),)
    # when
    overridden = slot_problems(
        saturday,
        availability,
        busy=busy,
        national_holidays=NATIONAL,
        now=NOW,
        check_availability=False,
    )
    checked = slot_problems(saturday, availability, busy=busy, national_holidays=NATIONAL, now=NOW)
    # then
    assert overridden == []
    assert codes(checked) == [
        E.SLOT_DAY_OFF,
        E.SLOT_HOLIDAY,
        E.SLOT_OUTSIDE_HOURS,
        E.SLOT_OVERLAP,
    ]
    # past, order, day span and the last dispatch day still apply to the override
    for bad, code in (
        (slot(2026, 4, 19, 10, 12), E.SLOT_IN_PAST),
        (slot(2026, 4, 21, 12, 10), E.SLOT_END_BEFORE_START),
        (slot(2026, 4, 21, 20, 26), E.SLOT_SPANS_DAYS),
        (slot(2027, 3, 15, 10, 12), E.SLOT_BEYOND_LAST_DISPATCH_DAY),
    ):
        problems = slot_problems(
            bad,
            availability,
            busy=busy,
            national_holidays=NATIONAL,
            now=NOW,
            check_availability=False,
        )
        assert codes(problems) == [code]


@pytest.mark.parametrize(
    ("problem_slot", "part"),
    [
        (slot(2026, 4, 21, 12, 10), "end"),  # end before start
        (slot(2026, 4, 21, 8, 10), "start"),  # starts too early
        (slot(2026, 4, 21, 16, 18), "end"),  # ends too late
        (slot(2026, 4, 25, 10, 12), "start"),  # day off
        (slot(2026, 4, 21, 16, 30), "end"),  # spans days
    ],
)
def test_each_problem_names_the_part_of_the_slot(problem_slot: Slot, part: str) -> None:
    # when
    (problem,) = slot_problems(problem_slot, DEFAULT, busy=(), national_holidays=NATIONAL, now=NOW)
    # then
    assert problem.part == part


def test_messages_are_japanese_and_name_the_date_or_hours() -> None:
    # when
    day_off = slot_problems(
        slot(2026, 4, 25, 10, 12), DEFAULT, busy=(), national_holidays=NATIONAL, now=NOW
    )
    hours = slot_problems(
        slot(2026, 4, 21, 17, 18), DEFAULT, busy=(), national_holidays=NATIONAL, now=NOW
    )
    # then
    assert day_off[0].message == "2026年4月25日（土）は専門家の定休日です。"
    assert hours[0].message == "派遣対応可能時間（9:00～17:00）外です。"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Slot(datetime(2026, 4, 21, 10), datetime(2026, 4, 21, 12))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"available_from_min": 17 * 60, "available_to_min": 9 * 60},
        {"available_from_min": 9 * 60, "available_to_min": 9 * 60},
        {"available_from_min": -1},
        {"available_to_min": 24 * 60 + 1},
        {"days_off": frozenset({7})},
        {"holiday_horizon_months": -1},
    ],
)
def test_inconsistent_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Availability(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- registered holiday horizon


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 4, 20), 3, date(2026, 7, 20)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 10, 15), 3, date(2027, 1, 15)),  # across the calendar year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 0, date(2026, 3, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_only_registered_holidays_from_today_to_three_months_ahead_count() -> None:
    # given
    registered = frozenset(
        {date(2026, 4, 19), date(2026, 4, 20), date(2026, 7, 20), date(2026, 7, 21)}
    )
    availability = Availability(holidays=registered)
    # when
    counted = counted_holidays(availability, date(2026, 4, 20))
    # then
    assert holiday_horizon_end(date(2026, 4, 20)) == date(2026, 7, 20)
    assert counted == {date(2026, 4, 20), date(2026, 7, 20)}
    # a one-month horizon (config) counts less
    one_month = replace(availability, holiday_horizon_months=1)
    assert counted_holidays(one_month, date(2026, 4, 20)) == {date(2026, 4, 20)}


def test_a_registered_holiday_starts_counting_as_the_horizon_moves() -> None:
    # given: 2026-07-21 is beyond the horizon on 4/20 but within it from 4/21
    availability = Availability(holidays=frozenset({date(2026, 7, 21)}))
    target = slot(2026, 7, 21, 10, 12)
    # when
    on_0420 = slot_problems(target, availability, busy=(), national_holidays=NATIONAL, now=NOW)
    on_0421 = slot_problems(
        target,
        availability,
        busy=(),
        national_holidays=NATIONAL,
        now=NOW + timedelta(days=1),
    )
    # then
    assert on_0420 == []
    assert codes(on_0421) == [E.SLOT_HOLIDAY]


# ---------------------------------------------------------------- 1–3 slots together


def validate(slots: list[Slot], **kw: object) -> list[tuple[ErrorCode, int | None, str]]:
    problems = validate_slots(
        slots,
        kw.pop("availability", DEFAULT),  # type: ignore[arg-type]
        busy=kw.pop("busy", ()),  # type: ignore[arg-type]
        national_holidays=NATIONAL,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )
    return [(p.code, p.index, p.part) for p in problems]


SLOTS_CASES = [
    ("no slot", [], [(E.SLOTS_COUNT, None, "")]),
    ("one slot", [slot(2026, 4, 21, 10, 12)], []),
    (
        "three slots",
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 22, 10, 12), slot(2026, 4, 23, 10, 12)],
        [],
    ),
    (
        "four slots, nothing else is checked",
        [slot(2026, 4, 25, 10, 12)] * 4,
        [(E.SLOTS_COUNT, None, "")],
    ),
    (
        "the second slot on a Saturday",
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 25, 10, 12)],
        [(E.SLOT_DAY_OFF, 1, "start")],
    ),
    (
        "the third slot ends before it starts",
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 22, 10, 12), slot(2026, 4, 23, 12, 10)],
        [(E.SLOT_END_BEFORE_START, 2, "end")],
    ),
    (
        "two fiscal years",
        [slot(2027, 2, 26, 10, 12), slot(2027, 4, 5, 10, 12)],
        [(E.SLOTS_FISCAL_YEAR_MIXED, 1, "start")],
    ),
    (
        "March slot: beyond the last day and its FY matches",
        [slot(2027, 2, 26, 10, 12), slot(2027, 3, 31, 10, 12)],
        [(E.SLOT_BEYOND_LAST_DISPATCH_DAY, 1, "start")],
    ),
    (
        "overlapping each other",
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 21, 11, 13)],
        [(E.SLOTS_OVERLAP_EACH_OTHER, 1, "start")],
    ),
    (
        "the same slot twice",
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 22, 10, 12), slot(2026, 4, 21, 10, 12)],
        [(E.SLOTS_OVERLAP_EACH_OTHER, 2, "start")],
    ),
    (
        "back to back on one day",
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 21, 12, 14)],
        [],
    ),
    (
        "a reversed slot does not overlap anything",
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 21, 13, 11)],
        [(E.SLOT_END_BEFORE_START, 1, "end")],
    ),
]


@pytest.mark.parametrize(
    ("slots", "expected"),
    [case[1:] for case in SLOTS_CASES],
    ids=[case[0] for case in SLOTS_CASES],
)
def test_validate_slots(
    slots: list[Slot], expected: list[tuple[ErrorCode, int | None, str]]
) -> None:
    assert validate(slots) == expected


def test_validate_slots_passes_the_override_and_the_busy_intervals() -> None:
    # given
    slots = [slot(2026, 4, 25, 10, 12), slot(2026, 4, 21, 10, 12)]
    busy = (slot(2026, 4, 21, 11, 12),)
    # when / then
    assert validate(slots, busy=busy) == [
        (E.SLOT_DAY_OFF, 0, "start"),
        (E.SLOT_OVERLAP, 1, "start"),
    ]
    assert validate(slots, busy=busy, check_availability=False) == []


def test_problems_become_field_errors_with_0_based_slot_paths() -> None:
    # given
    (problem,) = validate_slots(
        [slot(2026, 4, 21, 10, 12), slot(2026, 4, 21, 11, 13)],
        DEFAULT,
        busy=(),
        national_holidays=NATIONAL,
        now=NOW,
    )
    (count,) = validate_slots([], DEFAULT, busy=(), national_holidays=NATIONAL, now=NOW)
    # when
    error = problem.field_error(("input", "slots"))
    # then
    assert error.field == ("input", "slots", "1", "start")
    assert error.code is E.SLOTS_OVERLAP_EACH_OTHER
    assert error.message == "希望日時1と時間が重なっています。"
    assert count.field_error(("input", "slots")).field == ("input", "slots")


# ---------------------------------------------------------------- the calendar


def calendar(
    from_date: date,
    to_date: date,
    availability: Availability = DEFAULT,
    busy: tuple[Slot, ...] = (),
    now: datetime = NOW,
    **kw: object,
) -> dict[date, R | None]:
    days = selectable_days(
        availability,
        from_date=from_date,
        to_date=to_date,
        busy=busy,
        national_holidays=NATIONAL,
        now=now,
        **kw,  # type: ignore[arg-type]
    )
    assert [d.day for d in days] == [
        from_date + timedelta(days=n) for n in range((to_date - from_date).days + 1)
    ]
    for d in days:
        assert d.selectable == (d.reason is None) == bool(d.windows)
    return {d.day: d.reason for d in days}


def test_golden_week_2026() -> None:
    # when
    days = calendar(date(2026, 4, 27), date(2026, 5, 10))
    # then
    assert days == {
        date(2026, 4, 27): None,
        date(2026, 4, 28): None,
        date(2026, 4, 29): R.SLOT_NATIONAL_HOLIDAY,  # 昭和の日
        date(2026, 4, 30): None,
        date(2026, 5, 1): None,
        date(2026, 5, 2): R.SLOT_DAY_OFF,
        date(2026, 5, 3): R.SLOT_DAY_OFF,  # 憲法記念日 on a Sunday: the day off comes first
        date(2026, 5, 4): R.SLOT_NATIONAL_HOLIDAY,
        date(2026, 5, 5): R.SLOT_NATIONAL_HOLIDAY,
        date(2026, 5, 6): R.SLOT_NATIONAL_HOLIDAY,  # 振替休日
        date(2026, 5, 7): None,
        date(2026, 5, 8): None,
        date(2026, 5, 9): R.SLOT_DAY_OFF,
        date(2026, 5, 10): R.SLOT_DAY_OFF,
    }


def test_new_year_differs_from_the_business_day_calendar() -> None:
    # given: December; offices close Dec 29 – Jan 3, a specialist's availability does not
    now = at(2026, 12, 1, 10)
    # when
    days = calendar(date(2026, 12, 28), date(2027, 1, 5), now=now)
    # then
    assert days == {
        date(2026, 12, 28): None,
        date(2026, 12, 29): None,
        date(2026, 12, 30): None,
        date(2026, 12, 31): None,
        date(2027, 1, 1): R.SLOT_NATIONAL_HOLIDAY,
        date(2027, 1, 2): R.SLOT_DAY_OFF,
        date(2027, 1, 3): R.SLOT_DAY_OFF,
        date(2027, 1, 4): None,
        date(2027, 1, 5): None,
    }
    assert [d for d in days if is_business_day(d, NATIONAL)] == [
        date(2026, 12, 28),
        date(2027, 1, 4),
        date(2027, 1, 5),
    ]


def test_a_substitute_holiday_of_2025() -> None:
    # given: 2025-02-23 天皇誕生日 was a Sunday, so Monday 2025-02-24 was a 振替休日
    now = at(2025, 2, 1, 9)
    # when
    days = calendar(date(2025, 2, 21), date(2025, 2, 25), now=now)
    off = calendar(
        date(2025, 2, 24),
        date(2025, 2, 24),
        Availability(off_on_national_holidays=False),
        now=now,
    )
    # then
    assert days == {
        date(2025, 2, 21): None,
        date(2025, 2, 22): R.SLOT_DAY_OFF,
        date(2025, 2, 23): R.SLOT_DAY_OFF,
        date(2025, 2, 24): R.SLOT_NATIONAL_HOLIDAY,
        date(2025, 2, 25): None,
    }
    assert off == {date(2025, 2, 24): None}


def test_the_end_of_the_fiscal_year_and_the_start_of_the_next() -> None:
    # when
    default = calendar(date(2027, 2, 25), date(2027, 4, 2))
    configured = calendar(
        date(2027, 2, 15), date(2027, 2, 19), last_dispatch_days={2026: date(2027, 2, 17)}
    )
    # then
    assert default[date(2027, 2, 26)] is None
    assert default[date(2027, 2, 28)] is R.SLOT_DAY_OFF  # the last day itself, a Sunday
    # every March day, weekends and 春分の日 (3/21) included: "beyond" comes first
    assert all(
        default[date(2027, 3, 1) + timedelta(days=n)] is R.SLOT_BEYOND_LAST_DISPATCH_DAY
        for n in range(31)
    )
    assert default[date(2027, 4, 1)] is None
    assert default[date(2027, 4, 2)] is None
    assert configured == {
        date(2027, 2, 15): None,
        date(2027, 2, 16): None,
        date(2027, 2, 17): None,
        date(2027, 2, 18): R.SLOT_BEYOND_LAST_DISPATCH_DAY,
        date(2027, 2, 19): R.SLOT_BEYOND_LAST_DISPATCH_DAY,
    }


def test_the_leap_day_is_the_last_dispatch_day_of_fy_2027() -> None:
    days = calendar(date(2028, 2, 28), date(2028, 3, 1), now=at(2028, 1, 10, 9))
    assert days == {
        date(2028, 2, 28): None,
        date(2028, 2, 29): None,
        date(2028, 3, 1): R.SLOT_BEYOND_LAST_DISPATCH_DAY,
    }


def test_free_windows_leave_out_confirmed_dispatches() -> None:
    # given: two confirmed cases on Tuesday, one filling Wednesday, one late on Thursday
    busy = (
        slot(2026, 4, 21, 10, 12),
        slot(2026, 4, 21, 14, 15),
        slot(2026, 4, 22, 8, 18),
        slot(2026, 4, 23, 16, 19),
    )
    # when
    days = selectable_days(
        DEFAULT,
        from_date=date(2026, 4, 21),
        to_date=date(2026, 4, 23),
        busy=busy,
        national_holidays=NATIONAL,
        now=NOW,
    )
    # then
    tuesday, wednesday, thursday = days
    assert tuesday.windows == (
        slot(2026, 4, 21, 9, 10),
        slot(2026, 4, 21, 12, 14),
        slot(2026, 4, 21, 15, 17),
    )
    assert (wednesday.selectable, wednesday.reason, wednesday.windows) == (
        False,
        R.DAY_FULLY_BOOKED,
        (),
    )
    assert thursday.windows == (slot(2026, 4, 23, 9, 16),)
    assert all(w.start.tzinfo is TOKYO for d in days for w in d.windows)


def test_today_starts_at_the_next_full_minute_and_ends_with_the_hours() -> None:
    # when
    morning = calendar(date(2026, 4, 19), date(2026, 4, 20), now=at(2026, 4, 20, 8))
    midday = selectable_days(
        DEFAULT,
        from_date=date(2026, 4, 20),
        to_date=date(2026, 4, 20),
        busy=(),
        national_holidays=NATIONAL,
        now=NOW + timedelta(seconds=30),
    )
    evening = calendar(date(2026, 4, 20), date(2026, 4, 20), now=at(2026, 4, 20, 17))
    # then
    assert morning == {date(2026, 4, 19): R.SLOT_IN_PAST, date(2026, 4, 20): None}
    assert midday[0].windows == (slot(2026, 4, 20, 10 + 1 / 60, 17),)
    assert evening == {date(2026, 4, 20): R.SLOT_IN_PAST}


def test_today_fully_booked_for_the_rest_of_the_day_reads_as_past() -> None:
    # given: the morning is over and the afternoon is taken
    busy = (slot(2026, 4, 20, 12, 17),)
    # when
    days = calendar(date(2026, 4, 20), date(2026, 4, 20), busy=busy, now=at(2026, 4, 20, 12))
    # then
    assert days == {date(2026, 4, 20): R.SLOT_IN_PAST}


def test_registered_holidays_in_the_calendar_follow_the_horizon() -> None:
    # given
    availability = Availability(
        holidays=frozenset({date(2026, 4, 23), date(2026, 7, 17), date(2026, 7, 21)})
    )
    # when
    days = calendar(date(2026, 4, 22), date(2026, 7, 22), availability)
    # then
    assert days[date(2026, 4, 23)] is R.SLOT_HOLIDAY
    assert days[date(2026, 7, 17)] is R.SLOT_HOLIDAY
    assert days[date(2026, 7, 20)] is R.SLOT_NATIONAL_HOLIDAY  # 海の日
    assert days[date(2026, 7, 21)] is None  # beyond three months: ignored


def test_a_specialist_not_accepting_requests_has_no_selectable_day() -> None:
    # given
    closed = Availability(accepting_requests=False)
    # when
    requester_view = calendar(date(2026, 4, 19), date(2026, 4, 22), closed)
    own_view = calendar(date(2026, 4, 19), date(2026, 4, 22), closed, ignore_accepting=True)
    # then
    assert requester_view == {
        date(2026, 4, 19): R.SLOT_IN_PAST,
        date(2026, 4, 20): R.SPECIALIST_NOT_ACCEPTING,
        date(2026, 4, 21): R.SPECIALIST_NOT_ACCEPTING,
        date(2026, 4, 22): R.SPECIALIST_NOT_ACCEPTING,
    }
    assert own_view == {
        date(2026, 4, 19): R.SLOT_IN_PAST,
        date(2026, 4, 20): None,
        date(2026, 4, 21): None,
        date(2026, 4, 22): None,
    }


def test_every_reason_is_an_error_code_with_a_japanese_message() -> None:
    for reason in R:
        assert reason.code is ErrorCode(reason.value)
        assert reason.ja and reason.ja != reason.value


def test_the_calendar_agrees_with_slot_problems() -> None:
    # given: a quarter with Golden Week, holidays, confirmed cases and custom settings
    availability = Availability(
        available_from_min=8 * 60 + 30,
        available_to_min=18 * 60,
        days_off=frozenset({2, 6}),
        holidays=frozenset({date(2026, 5, 15), date(2026, 6, 1)}),
    )
    busy = (slot(2026, 4, 21, 10, 12), slot(2026, 5, 12, 8, 19), slot(2026, 6, 2, 13, 14))
    days = selectable_days(
        availability,
        from_date=date(2026, 4, 18),
        to_date=date(2026, 7, 18),
        busy=busy,
        national_holidays=NATIONAL,
        now=NOW,
    )
    for day in days:
        # then: every free window is a selectable slot, and so is every part of it
        for window in day.windows:
            for candidate in (window, Slot(window.start, window.start + timedelta(minutes=1))):
                assert (
                    slot_problems(
                        candidate, availability, busy=busy, national_holidays=NATIONAL, now=NOW
                    )
                    == []
                )
        # and a day's reason is a problem of any slot within the hours of that day
        if day.reason is not None and day.reason is not R.SLOT_IN_PAST:
            probe = Slot(
                datetime(day.day.year, day.day.month, day.day.day, 8, 30, tzinfo=TOKYO),
                datetime(day.day.year, day.day.month, day.day.day, 18, tzinfo=TOKYO),
            )
            found = codes(
                slot_problems(probe, availability, busy=busy, national_holidays=NATIONAL, now=NOW)
            )
            expected = E.SLOT_OVERLAP if day.reason is R.DAY_FULLY_BOOKED else day.reason.code
            assert expected in found, (day.day, found)


@pytest.mark.parametrize(
    ("from_date", "to_date", "expected"),
    [
        (date(2026, 4, 1), date(2026, 4, 1), []),
        (date(2026, 4, 1), date(2026, 7, 1), []),  # 92 days
        (date(2026, 4, 1), date(2026, 7, 2), [("to", "期間は92日以内で指定してください。")]),
        (date(2026, 4, 2), date(2026, 4, 1), [("to", "終了日は開始日以降の日付にしてください。")]),
    ],
)
def test_calendar_ranges_are_capped(
    from_date: date, to_date: date, expected: list[tuple[str, str]]
) -> None:
    # when
    errors = day_range_errors(from_date, to_date)
    # then
    assert [(e.field[0], e.message) for e in errors] == expected
    assert all(e.code is E.OUT_OF_RANGE for e in errors)
    if errors:
        with pytest.raises(ValueError):
            selectable_days(
                DEFAULT,
                from_date=from_date,
                to_date=to_date,
                busy=(),
                national_holidays=NATIONAL,
                now=NOW,
            )
    else:
        assert (to_date - from_date).days + 1 <= MAX_RANGE_DAYS


def test_free_windows_without_a_clock_show_the_whole_hours() -> None:
    assert free_windows(date(2026, 4, 20), DEFAULT, busy=(), now=None) == (
        slot(2026, 4, 20, 9, 17),
    )
