"""Availability from the database: slot field errors for the case mutations and the calendar.

The clock stands at Monday 2025-06-02 10:00 Asia/Tokyo (the fixture world's ``BASE``, FY 2025,
whose configured last dispatch day is Friday 2026-02-27); the holiday horizon ends 2025-09-02.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from models.accounts import UserAccount
from models.cases import DispatchCase
from models.companies import Company
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture
from models.rules.case_status import CaseStatus
from models.rules.errors import ErrorCode, FieldError, NotFound, ValidationErrors
from models.rules.fiscal_year import TOKYO
from models.rules.scheduling import DayAvailability, DayUnavailableReason, Slot
from models.specialists import Specialist, SpecialistHoliday
from resolvers.availability import (
    load_availability,
    national_holidays,
    slot_field_errors,
    specialist_availability,
)
from tests.factories import BASE, World, build_world, make_case, make_specialist
from tests.statements import counting_statements

NOW = BASE
E = ErrorCode
R = DayUnavailableReason


def at(month: int, day: int, hour: float, year: int = 2025) -> datetime:
    return datetime(year, month, day, tzinfo=TOKYO) + timedelta(hours=hour)


def pair(
    month: int, day: int, start: float, end: float, year: int = 2025
) -> tuple[datetime, datetime]:
    return at(month, day, start, year), at(month, day, end, year)


async def dispatch(
    world: World,
    specialist_id: int,
    start: datetime,
    end: datetime,
    status: CaseStatus = CaseStatus.CONFIRMED,
) -> DispatchCase:
    """A case of company C1 for ``specialist_id`` with a fixed dispatch window."""
    company = await Company.get(id=world.company_c1)
    specialist = await Specialist.get(id=specialist_id)
    filer = await UserAccount.get(id=world.company_c1_user.account_id)
    return await make_case(
        company,
        specialist,
        filer,
        status=status,
        dispatch_start=start,
        dispatch_end=end,
        dispatch_date=start.astimezone(TOKYO).date(),
    )


def summary(errors: list[FieldError]) -> list[tuple[ErrorCode, tuple[str, ...]]]:
    return [(e.code, e.field) for e in errors]


async def errors_for(
    specialist_id: int, slots: list[tuple[datetime, datetime]], **kw: Any
) -> list[tuple[ErrorCode, tuple[str, ...]]]:
    return summary(await slot_field_errors(specialist_id, slots, now=NOW, **kw))


# ---------------------------------------------------------------- slot_field_errors


async def test_selectable_slots_have_no_errors_in_at_most_four_statements(db: str) -> None:
    # given
    world = await build_world()
    slots = [pair(6, 10, 9, 11), pair(6, 11, 15, 17), pair(6, 12, 10, 12)]
    # when
    with counting_statements() as statements:
        errors = await slot_field_errors(world.specialist_s1, slots, now=NOW)
    # then
    assert errors == []
    assert len(statements) <= 4


async def test_each_unselectable_slot_is_a_field_error_with_its_path(db: str) -> None:
    # given: a registered holiday on Wednesday 6/11
    world = await build_world()
    await SpecialistHoliday.create(specialist_id=world.specialist_s1, date=date(2025, 6, 11))
    # when / then
    assert await errors_for(
        world.specialist_s1, [pair(6, 14, 10, 12), pair(6, 11, 10, 12), pair(7, 21, 10, 12)]
    ) == [
        (E.SLOT_DAY_OFF, ("input", "slots", "0", "start")),  # Saturday
        (E.SLOT_HOLIDAY, ("input", "slots", "1", "start")),
        (E.SLOT_NATIONAL_HOLIDAY, ("input", "slots", "2", "start")),  # 海の日
    ]
    assert await errors_for(world.specialist_s1, [pair(6, 10, 8, 10), pair(6, 10, 16, 18)]) == [
        (E.SLOT_OUTSIDE_HOURS, ("input", "slots", "0", "start")),
        (E.SLOT_OUTSIDE_HOURS, ("input", "slots", "1", "end")),
    ]


async def test_messages_are_japanese(db: str) -> None:
    # given
    world = await build_world()
    # when
    (error,) = await slot_field_errors(world.specialist_s1, [pair(6, 14, 10, 12)], now=NOW)
    # then
    assert error.message == "2025年6月14日（土）は専門家の定休日です。"


async def test_the_specialists_own_settings_apply(db: str) -> None:
    # given: 13:00–20:00, off on Wednesdays only, works on national holidays
    world = await build_world()
    await Specialist.filter(id=world.specialist_s1).update(
        available_from_min=13 * 60,
        available_to_min=20 * 60,
        days_off=[2],
        off_on_national_holidays=False,
    )
    # when / then
    assert await errors_for(
        world.specialist_s1,
        [pair(6, 14, 18, 20), pair(7, 21, 13, 15), pair(6, 11, 13, 15)],
    ) == [(E.SLOT_DAY_OFF, ("input", "slots", "2", "start"))]
    assert await errors_for(world.specialist_s1, [pair(6, 10, 10, 12)]) == [
        (E.SLOT_OUTSIDE_HOURS, ("input", "slots", "0", "start"))
    ]


async def test_confirmed_cases_block_their_window_only(db: str) -> None:
    # given: S1 confirmed on Tuesday 6/10 13:00–15:00; a cancelled and a declined case on 6/11
    world = await build_world()
    confirmed = await dispatch(world, world.specialist_s1, *pair(6, 10, 13, 15))
    await dispatch(world, world.specialist_s1, *pair(6, 11, 10, 12), CaseStatus.CANCELLED)
    await dispatch(world, world.specialist_s1, *pair(6, 11, 13, 15), CaseStatus.DECLINED)
    # another specialist's confirmed case at the same time
    await dispatch(world, world.specialist_s2, *pair(6, 12, 10, 12))
    # when / then
    assert await errors_for(world.specialist_s1, [pair(6, 10, 14, 16)]) == [
        (E.SLOT_OVERLAP, ("input", "slots", "0", "start"))
    ]
    assert await errors_for(world.specialist_s1, [pair(6, 10, 12, 16)]) == [
        (E.SLOT_OVERLAP, ("input", "slots", "0", "start"))
    ]
    assert await errors_for(world.specialist_s1, [pair(6, 10, 15, 17)]) == []  # touching
    assert await errors_for(world.specialist_s1, [pair(6, 10, 11, 13)]) == []  # touching
    assert await errors_for(world.specialist_s1, [pair(6, 11, 10, 15)]) == []
    assert await errors_for(world.specialist_s1, [pair(6, 12, 10, 12)]) == []
    assert (
        await errors_for(world.specialist_s1, [pair(6, 10, 14, 16)], exclude_case_id=confirmed.id)
        == []
    )


async def test_the_world_confirmed_case_of_s2_blocks_s2(db: str) -> None:
    # given: the world's case S2/C1 is CONFIRMED for Wednesday 2025-07-09 10:00–12:00 Tokyo
    world = await build_world()
    # when / then
    assert await errors_for(world.specialist_s2, [pair(7, 9, 11, 13)]) == [
        (E.SLOT_OVERLAP, ("input", "slots", "0", "start"))
    ]
    assert (
        await errors_for(
            world.specialist_s2, [pair(7, 9, 11, 13)], exclude_case_id=world.case_s2_c1
        )
        == []
    )


async def test_the_override_keeps_the_request_rules_and_skips_the_rest(db: str) -> None:
    # given: a Saturday evening on a registered holiday overlapping a confirmed case
    world = await build_world()
    await SpecialistHoliday.create(specialist_id=world.specialist_s1, date=date(2025, 6, 14))
    await dispatch(world, world.specialist_s1, *pair(6, 14, 18, 19))
    saturday = pair(6, 14, 18, 20)
    # when
    with counting_statements() as statements:
        overridden = await errors_for(world.specialist_s1, [saturday], check_availability=False)
    checked = await errors_for(world.specialist_s1, [saturday])
    # then
    assert overridden == []
    assert len(statements) == 1  # the fiscal-year settings only
    assert [code for code, _ in checked] == [
        E.SLOT_DAY_OFF,
        E.SLOT_HOLIDAY,
        E.SLOT_OUTSIDE_HOURS,
        E.SLOT_OVERLAP,
    ]
    assert await errors_for(
        world.specialist_s1,
        [pair(6, 2, 8, 9), pair(6, 10, 12, 10), pair(3, 2, 10, 12, 2026)],
        check_availability=False,
    ) == [
        (E.SLOT_IN_PAST, ("input", "slots", "0", "start")),
        (E.SLOT_END_BEFORE_START, ("input", "slots", "1", "end")),
        (E.SLOT_BEYOND_LAST_DISPATCH_DAY, ("input", "slots", "2", "start")),
    ]


async def test_the_configured_last_dispatch_day_and_the_default(db: str) -> None:
    # given: FY 2025 is configured to end on 2026-02-27, FY 2026 is not configured
    world = await build_world()
    # when
    on_last = await errors_for(world.specialist_s1, [pair(2, 27, 10, 12, 2026)])
    after = await slot_field_errors(world.specialist_s1, [pair(3, 2, 10, 12, 2026)], now=NOW)
    default_after = await errors_for(world.specialist_s1, [pair(3, 1, 10, 12, 2027)])
    default_before = await errors_for(world.specialist_s1, [pair(2, 26, 10, 12, 2027)])
    # then
    assert on_last == []
    assert summary(after) == [(E.SLOT_BEYOND_LAST_DISPATCH_DAY, ("input", "slots", "0", "start"))]
    assert "2026年2月27日" in after[0].message
    assert [code for code, _ in default_after] == [E.SLOT_BEYOND_LAST_DISPATCH_DAY]
    assert default_before == []


async def test_slots_in_two_fiscal_years_and_overlapping_each_other(db: str) -> None:
    world = await build_world()
    assert await errors_for(
        world.specialist_s1, [pair(2, 26, 10, 12, 2026), pair(4, 6, 10, 12, 2026)]
    ) == [(E.SLOTS_FISCAL_YEAR_MIXED, ("input", "slots", "1", "start"))]
    assert await errors_for(world.specialist_s1, [pair(6, 10, 10, 12), pair(6, 10, 11, 13)]) == [
        (E.SLOTS_OVERLAP_EACH_OTHER, ("input", "slots", "1", "start"))
    ]


async def test_registered_holidays_count_only_within_the_configured_horizon(db: str) -> None:
    # given: holidays on 9/2 (last day of the 3-month horizon) and 9/3 (beyond)
    world = await build_world()
    for day in (date(2025, 9, 2), date(2025, 9, 3), date(2025, 7, 15)):
        await SpecialistHoliday.create(specialist_id=world.specialist_s1, date=day)
    # when / then
    assert await errors_for(world.specialist_s1, [pair(9, 2, 10, 12), pair(9, 3, 10, 12)]) == [
        (E.SLOT_HOLIDAY, ("input", "slots", "0", "start"))
    ]
    # a one-month horizon in the fiscal-year settings ignores 7/15 as well
    await FiscalYearConfig.filter(fiscal_year=2025).update(holiday_horizon_months=1)
    assert await errors_for(world.specialist_s1, [pair(7, 15, 10, 12)]) == []


@pytest.mark.parametrize("count", [0, 4])
async def test_a_wrong_number_of_slots_is_reported_without_sql(db: str, count: int) -> None:
    # given
    world = await build_world()
    slots = [pair(6, 10 + n, 10, 12) for n in range(count)]
    # when
    with counting_statements() as statements:
        errors = await slot_field_errors(
            world.specialist_s1, slots, now=NOW, path=("input", "proposals")
        )
    # then
    assert summary(errors) == [(E.SLOTS_COUNT, ("input", "proposals"))]
    assert errors[0].message == "希望日時は1～3件指定してください。"
    assert statements == []


async def test_an_instant_without_offset_is_invalid_without_sql(db: str) -> None:
    # given
    world = await build_world()
    naive = datetime(2025, 6, 10, 10)
    # when
    with counting_statements() as statements:
        errors = await errors_for(world.specialist_s1, [(naive, at(6, 10, 12))])
    # then
    assert errors == [(E.INVALID, ("input", "slots", "0", "start"))]
    assert statements == []


async def test_an_unknown_specialist_is_not_found(db: str) -> None:
    await build_world()
    with pytest.raises(NotFound):
        await slot_field_errors(999_999, [pair(6, 10, 10, 12)], now=NOW)


# ---------------------------------------------------------------- the calendar


def reasons(days: list[DayAvailability] | None) -> dict[date, R | None]:
    assert days is not None
    return {d.day: d.reason for d in days}


async def test_the_calendar_of_a_specialist_in_scope(db: str) -> None:
    # given: S1 confirmed on Tuesday 6/10 13:00–15:00 and all of Wednesday 6/11, a holiday on 6/12
    world = await build_world()
    await dispatch(world, world.specialist_s1, *pair(6, 10, 13, 15))
    await dispatch(world, world.specialist_s1, *pair(6, 11, 9, 17))
    await dispatch(world, world.specialist_s1, *pair(6, 12, 9, 17), CaseStatus.CANCELLED)
    await SpecialistHoliday.create(specialist_id=world.specialist_s1, date=date(2025, 6, 13))
    # when
    with counting_statements() as statements:
        days = await specialist_availability(
            world.company_c1_user, world.specialist_s1, date(2025, 6, 1), date(2025, 6, 14), NOW
        )
    # then
    assert len(statements) == 4
    assert reasons(days) == {
        date(2025, 6, 1): R.SLOT_IN_PAST,
        date(2025, 6, 2): None,  # today, from 10:00
        date(2025, 6, 3): None,
        date(2025, 6, 4): None,
        date(2025, 6, 5): None,
        date(2025, 6, 6): None,
        date(2025, 6, 7): R.SLOT_DAY_OFF,
        date(2025, 6, 8): R.SLOT_DAY_OFF,
        date(2025, 6, 9): None,
        date(2025, 6, 10): None,
        date(2025, 6, 11): R.DAY_FULLY_BOOKED,
        date(2025, 6, 12): None,  # the cancelled case frees its window
        date(2025, 6, 13): R.SLOT_HOLIDAY,
        date(2025, 6, 14): R.SLOT_DAY_OFF,
    }
    assert days is not None
    by_day = {d.day: d for d in days}
    assert by_day[date(2025, 6, 2)].windows == (Slot(at(6, 2, 10), at(6, 2, 17)),)
    assert by_day[date(2025, 6, 10)].windows == (
        Slot(at(6, 10, 9), at(6, 10, 13)),
        Slot(at(6, 10, 15), at(6, 10, 17)),
    )


async def test_national_holidays_follow_the_specialists_setting(db: str) -> None:
    # given
    world = await build_world()
    # when
    off = await specialist_availability(
        world.platform_o1_staff, world.specialist_s1, date(2025, 7, 21), date(2025, 7, 21), NOW
    )
    await Specialist.filter(id=world.specialist_s1).update(off_on_national_holidays=False)
    working = await specialist_availability(
        world.platform_o1_staff, world.specialist_s1, date(2025, 7, 21), date(2025, 7, 21), NOW
    )
    # then
    assert reasons(off) == {date(2025, 7, 21): R.SLOT_NATIONAL_HOLIDAY}
    assert reasons(working) == {date(2025, 7, 21): None}


async def test_the_calendar_ends_with_the_configured_last_dispatch_day(db: str) -> None:
    world = await build_world()
    days = await specialist_availability(
        world.secretariat_kanto, world.specialist_s1, date(2026, 2, 26), date(2026, 3, 2), NOW
    )
    assert reasons(days) == {
        date(2026, 2, 26): None,
        date(2026, 2, 27): None,
        date(2026, 2, 28): R.SLOT_BEYOND_LAST_DISPATCH_DAY,
        date(2026, 3, 1): R.SLOT_BEYOND_LAST_DISPATCH_DAY,
        date(2026, 3, 2): R.SLOT_BEYOND_LAST_DISPATCH_DAY,
    }


async def test_not_accepting_requests_closes_the_calendar_except_for_the_specialist(
    db: str,
) -> None:
    # given
    world = await build_world()
    await Specialist.filter(id=world.specialist_s1).update(accepting_requests=False)
    span = (date(2025, 6, 3), date(2025, 6, 3))
    # when
    company_view = await specialist_availability(
        world.company_c1_user, world.specialist_s1, *span, NOW
    )
    own_view = await specialist_availability(
        world.specialist_s1_user, world.specialist_s1, *span, NOW
    )
    # then
    assert reasons(company_view) == {date(2025, 6, 3): R.SPECIALIST_NOT_ACCEPTING}
    assert reasons(own_view) == {date(2025, 6, 3): None}


@pytest.mark.parametrize(
    ("viewer", "specialist", "visible"),
    [
        ("company_c1_user", "specialist_s1", True),  # REGISTERED
        ("company_c1_user", "specialist_s3", False),  # pending, not on its cases
        ("platform_o1_staff", "specialist_s3", True),  # recommended by O1
        ("platform_o2_staff", "specialist_s3", False),
        ("specialist_s1_user", "specialist_s1", True),
        ("specialist_s1_user", "specialist_s2", False),
        ("secretariat_kinki", "specialist_s3", False),  # resides in 東京都
        ("secretariat_kanto", "specialist_s3", True),
        ("partner_p1", "specialist_s3", False),
        ("anonymous", "specialist_s1", False),
    ],
)
async def test_out_of_scope_specialists_have_no_calendar(
    db: str, viewer: str, specialist: str, visible: bool
) -> None:
    # given
    world = await build_world()
    # when
    days = await specialist_availability(
        getattr(world, viewer),
        getattr(world, specialist),
        date(2025, 6, 3),
        date(2025, 6, 4),
        NOW,
    )
    # then
    assert (days is not None) is visible


async def test_many_calendars_cost_four_statements(db: str) -> None:
    # given: five more specialists, each with a confirmed case and a holiday
    world = await build_world()
    tokyo = await Prefecture.get(id=world.pref_tokyo)
    ids = []
    for n in range(5):
        specialist = await make_specialist(tokyo)
        await dispatch(world, specialist.id, *pair(6, 10, 10 + n, 11 + n))
        await SpecialistHoliday.create(specialist=specialist, date=date(2025, 6, 11))
        ids.append(specialist.id)
    keys = [(i, date(2025, 6, 9), date(2025, 6, 13)) for i in ids]
    keys.append((world.specialist_s3, date(2025, 6, 9), date(2025, 6, 13)))  # out of scope
    # when
    with counting_statements() as statements:
        calendars = await load_availability(world.company_c1_user, keys, NOW)
    # then
    assert len(statements) == 4
    assert calendars[-1] is None
    for n, days in enumerate(calendars[:-1]):
        assert days is not None
        tuesday = days[1]
        assert tuesday.windows == (
            Slot(at(6, 10, 9), at(6, 10, 10 + n)),
            Slot(at(6, 10, 11 + n), at(6, 10, 17)),
        )
        assert days[2].reason is R.SLOT_HOLIDAY


@pytest.mark.parametrize(
    ("from_date", "to_date", "field"),
    [
        (date(2025, 6, 10), date(2025, 6, 9), "to"),
        (date(2025, 6, 1), date(2025, 9, 1), "to"),  # 93 days
    ],
)
async def test_a_bad_range_is_refused_before_any_sql(
    db: str, from_date: date, to_date: date, field: str
) -> None:
    # given
    world = await build_world()
    # when
    with counting_statements() as statements, pytest.raises(ValidationErrors) as raised:
        await specialist_availability(
            world.company_c1_user, world.specialist_s1, from_date, to_date, NOW
        )
    # then
    assert raised.value.errors[0].field == (field,)
    assert raised.value.errors[0].code is E.OUT_OF_RANGE
    assert statements == []


def test_national_holidays_come_from_the_holidays_package() -> None:
    days = national_holidays([2025, 2026])
    assert date(2025, 2, 24) in days  # 振替休日
    assert date(2026, 5, 6) in days  # 振替休日
    assert date(2026, 5, 7) not in days
