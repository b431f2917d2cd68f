"""Specialist search (domain.md §9, issue 6 item 4): every filter, free dates, evaluations,
dispatchable in a fiscal year, what companies may filter on, keyset pages, scoping."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from auth.principal import Principal
from models.accounts import UserAccount
from models.cases import DispatchCase
from models.companies import Company
from models.geo import Prefecture
from models.masters import Qualification
from models.rules.case_status import CaseStatus
from models.rules.errors import ValidationErrors
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import EvaluatorKind
from models.rules.registration_status import RegistrationStatus
from models.specialists import Commission, Specialist, SpecialistHoliday, SpecialistQualification
from resolvers.pagination import PageArgs
from resolvers.people_queries import SpecialistFilter, count_specialists, list_specialists
from tests.factories import World, build_world, make_case, make_evaluation, make_specialist
from tests.registration_support import NOW, execute, gid, run
from tests.statements import counting_statements

WIDE = PageArgs(first=100)
MONDAY, TUESDAY = date(2025, 6, 9), date(2025, 6, 10)


async def _ids(principal: Principal, f: SpecialistFilter, now: datetime = NOW) -> set[int]:
    page = await list_specialists(principal, f, WIDE, now)
    assert await count_specialists(principal, f, now) == len(page.rows)
    return {row["id"] for row in page.rows}


async def _specialist(world: World, **kw: Any) -> Specialist:
    tokyo = await Prefecture.get(id=world.pref_tokyo)
    return await make_specialist(tokyo, **kw)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


async def _confirmed(world: World, specialist: Specialist, day: date, start: int, end: int) -> None:
    company = await Company.get(id=world.company_c1)
    filer = await UserAccount.get(id=world.platform_o1_staff.account_id)
    await make_case(
        company,
        specialist,
        filer,
        status=CaseStatus.CONFIRMED,
        dispatch_start=_at(day, start),
        dispatch_end=_at(day, end),
        dispatch_date=day,
    )


async def test_profile_filters(db: str) -> None:
    world = await build_world()
    staff = world.platform_o1_staff
    qualification = await Qualification.get(id=world.qualification)
    await SpecialistQualification.create(
        specialist_id=world.specialist_s2, qualification=qualification
    )
    assert await _ids(staff, SpecialistFilter(issue_category_id=world.issue_category)) == {
        world.specialist_s1
    }
    assert await _ids(staff, SpecialistFilter(industry_id=world.industry)) == {world.specialist_s1}
    assert await _ids(staff, SpecialistFilter(prefecture_id=world.pref_tokyo)) == {
        world.specialist_s1
    }
    assert await _ids(staff, SpecialistFilter(qualification_id=world.qualification)) == {
        world.specialist_s2
    }
    assert await _ids(staff, SpecialistFilter(name="鈴木")) == {world.specialist_s2}
    assert await _ids(staff, SpecialistFilter(name="ヤマダ")) == {world.specialist_s1}
    assert await _ids(
        staff, SpecialistFilter(name="ヤマダ", industry_id=world.industry, prefecture_id=13)
    ) == {world.specialist_s1}


async def test_minimum_average_evaluation(db: str) -> None:
    world = await build_world()
    case = await DispatchCase.get(id=world.case_s2_c1)
    evaluator = await UserAccount.get(id=world.company_c1_user.account_id)
    await make_evaluation(
        case, evaluator, EvaluatorKind.COMPANY, satisfaction=3, expertise=3, clarity=3,
        responsiveness=4,
    )  # fmt: skip
    staff = world.secretariat_national
    # S1: (5+4+4+5)/4 = 4.5; S2: (3+3+3+4)/4 = 3.25; S3: no evaluation
    assert await _ids(staff, SpecialistFilter(min_evaluation=4.5)) == {world.specialist_s1}
    assert await _ids(staff, SpecialistFilter(min_evaluation=3.25)) == {
        world.specialist_s1,
        world.specialist_s2,
    }
    assert await _ids(staff, SpecialistFilter(min_evaluation=4.6)) == set()


async def test_dispatchable_in_a_fiscal_year(db: str) -> None:
    world = await build_world()
    terms = NOW - timedelta(days=1)
    accepted = await _specialist(world)
    active = await _specialist(world)
    closed = await _specialist(world, accepting_requests=False)
    revoked = await _specialist(world, registration_status=RegistrationStatus.REVOKED)
    next_year = await _specialist(world)
    for specialist in (accepted, closed, revoked):
        await Commission.create(specialist=specialist, fiscal_year=2025, terms_accepted_at=terms)
    await Commission.create(
        specialist=active,
        fiscal_year=2025,
        terms_accepted_at=terms,
        letter_issued_at=terms,
        acceptance_received_at=terms,
    )
    await Commission.create(specialist=next_year, fiscal_year=2026, terms_accepted_at=terms)
    staff = world.secretariat_national
    assert await _ids(staff, SpecialistFilter(dispatchable_only=True)) == {accepted.id, active.id}
    assert await _ids(staff, SpecialistFilter(dispatchable_only=True, fiscal_year=2026)) == {
        next_year.id
    }
    # the registration state filter is per fiscal year, like Specialist.registrationStatus
    by_state = {
        state: await _ids(staff, SpecialistFilter(registration_status=state))
        for state in (
            RegistrationStatus.REGISTERED,
            RegistrationStatus.TERMS_ACCEPTED,
            RegistrationStatus.ACTIVE,
            RegistrationStatus.REVOKED,
        )
    }
    assert by_state == {
        RegistrationStatus.REGISTERED: {world.specialist_s1, world.specialist_s2, next_year.id},
        RegistrationStatus.TERMS_ACCEPTED: {accepted.id, closed.id},
        RegistrationStatus.ACTIVE: {active.id},
        RegistrationStatus.REVOKED: {revoked.id},
    }
    # the default fiscal year follows the clock: on 1 April 2026 (Tokyo) it is FY 2026
    april = datetime(2026, 4, 1, 0, 0, tzinfo=TOKYO)
    assert await _ids(staff, SpecialistFilter(dispatchable_only=True), april) == {next_year.id}


async def test_free_on_a_date_range(db: str) -> None:
    world = await build_world()
    # S1 and S2 of the world have no holiday and no confirmed case on 9–10 June
    free = await _specialist(world)
    on_holiday = await _specialist(world)
    for day in (MONDAY, TUESDAY):
        await SpecialistHoliday.create(specialist=on_holiday, date=day)
    off_mon_tue = await _specialist(world, days_off=[0, 1])
    booked = await _specialist(world)
    partly_booked = await _specialist(world)
    for day in (MONDAY, TUESDAY):
        await _confirmed(world, booked, day, 9, 17)
        await _confirmed(world, partly_booked, day, 10, 12)
    closed = await _specialist(world, accepting_requests=False)
    mine = {free.id, on_holiday.id, off_mon_tue.id, booked.id, partly_booked.id, closed.id}
    staff = world.secretariat_national
    found = await _ids(staff, SpecialistFilter(free_from=MONDAY, free_to=TUESDAY))
    assert found & mine == {free.id, partly_booked.id}
    # one free day is enough
    await SpecialistHoliday.filter(specialist=on_holiday, date=TUESDAY).delete()
    found = await _ids(staff, SpecialistFilter(free_from=MONDAY, free_to=TUESDAY))
    assert found & mine == {free.id, partly_booked.id, on_holiday.id}
    # a weekend: only those who work on Saturdays
    weekend_worker = await _specialist(world, days_off=[6])
    saturday = date(2025, 6, 14)
    found = await _ids(staff, SpecialistFilter(free_from=saturday, free_to=saturday))
    assert found == {weekend_worker.id, off_mon_tue.id}
    # the past is never free
    found = await _ids(
        staff, SpecialistFilter(free_from=date(2025, 5, 1), free_to=date(2025, 6, 1))
    )
    assert found == set()


async def test_national_holidays_follow_the_specialists_setting(db: str) -> None:
    world = await build_world()
    works_on_holidays = await _specialist(world, off_on_national_holidays=False)
    marine_day = date(2025, 7, 21)  # 海の日, a Monday
    found = await _ids(
        world.secretariat_national, SpecialistFilter(free_from=marine_day, free_to=marine_day)
    )
    assert found == {works_on_holidays.id}


async def test_the_free_filter_costs_the_same_statements_for_more_specialists(db: str) -> None:
    world = await build_world()
    f = SpecialistFilter(free_from=MONDAY, free_to=TUESDAY)
    with counting_statements() as few:
        await list_specialists(world.secretariat_national, f, WIDE, NOW)
    for n in range(8):
        specialist = await _specialist(world, days_off=[n % 7])
        await SpecialistHoliday.create(specialist=specialist, date=MONDAY)
    with counting_statements() as many:
        await list_specialists(world.secretariat_national, f, WIDE, NOW)
    assert len(many) == len(few)


async def test_a_company_cannot_find_a_specialist_by_an_item_it_hides(db: str) -> None:
    world = await build_world()
    await Specialist.filter(id=world.specialist_s1).update(display_items=["CAREER", "PHOTO"])
    by_industry = SpecialistFilter(industry_id=world.industry)
    by_area = SpecialistFilter(prefecture_id=world.pref_tokyo)
    by_evaluation = SpecialistFilter(min_evaluation=4.0)
    for f in (by_industry, by_area, by_evaluation):
        assert await _ids(world.company_c1_user, f) == set()
        assert await _ids(world.platform_o1_staff, f) == {world.specialist_s1}
    by_name = SpecialistFilter(name="山田")
    assert await _ids(world.company_c1_user, by_name) == {world.specialist_s1}


async def test_scoping_of_the_search(db: str) -> None:
    world = await build_world()
    # a specialist finds only itself; a draft applicant is visible to the secretariat of its
    # prefecture and to the organisation it asked, not to other organisations or companies
    assert await _ids(world.specialist_s1_user, SpecialistFilter()) == {world.specialist_s1}
    everyone = {world.specialist_s1, world.specialist_s2, world.specialist_s3}
    assert await _ids(world.secretariat_national, SpecialistFilter()) == everyone
    assert world.specialist_s3 in await _ids(world.platform_o1_staff, SpecialistFilter())
    assert world.specialist_s3 not in await _ids(world.platform_o2_staff, SpecialistFilter())
    assert world.specialist_s3 not in await _ids(world.company_c1_user, SpecialistFilter())


async def test_keyset_pages_are_stable_under_inserts(db: str) -> None:
    world = await build_world()
    for _ in range(4):
        await _specialist(world)
    staff = world.secretariat_national
    seen: list[int] = []
    after = None
    while True:
        page = await list_specialists(
            staff, SpecialistFilter(), PageArgs(first=2, after=after), NOW
        )
        seen.extend(row["id"] for row in page.rows)
        if not seen or len(seen) == 2:
            await _specialist(world)  # an insert between two pages neither repeats nor skips
        if not page.has_next:
            break
        after = page.end_cursor
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert len(seen) == await count_specialists(staff, SpecialistFilter(), NOW)


@pytest.mark.parametrize(
    "f,field",
    [
        (SpecialistFilter(free_from=MONDAY), ("filter", "freeTo")),
        (SpecialistFilter(free_from=TUESDAY, free_to=MONDAY), ("filter", "freeTo")),
        (SpecialistFilter(free_from=MONDAY, free_to=MONDAY + timedelta(days=92)), ("filter", "freeTo")),
        (SpecialistFilter(min_evaluation=6.0), ("filter", "minEvaluation")),
    ],
)  # fmt: skip
async def test_bad_filters_are_refused_before_any_sql(
    db: str, f: SpecialistFilter, field: tuple[str, ...]
) -> None:
    world = await build_world()
    with counting_statements() as statements, pytest.raises(ValidationErrors) as refused:
        await list_specialists(world.secretariat_national, f, WIDE, NOW)
    assert refused.value.errors[0].field == field
    assert statements == []


SEARCH = """
query ($filter: SpecialistFilter) {
  specialists(filter: $filter, first: 10) {
    totalCount
    nodes { id dispatchable registrationStatus }
  }
}
"""


async def test_search_through_graphql(db: str) -> None:
    world = await build_world()
    data = await run(
        world.platform_o1_staff,
        SEARCH,
        filter={
            "freeFrom": MONDAY.isoformat(),
            "freeTo": TUESDAY.isoformat(),
            "minEvaluation": 4.0,
            "issueCategoryId": gid("IssueCategory", world.issue_category),
        },
    )
    assert data["specialists"] == {
        "totalCount": 1,
        "nodes": [
            {
                "id": gid("Specialist", world.specialist_s1),
                "dispatchable": False,
                "registrationStatus": "REGISTERED",
            }
        ],
    }
    refused = await execute(world.platform_o1_staff, SEARCH, filter={"freeFrom": "2025-06-09"})
    assert refused.errors is not None
    assert (refused.errors[0].extensions or {})["code"] == "BAD_USER_INPUT"
