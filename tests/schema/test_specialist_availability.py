"""``Specialist.availability(from:, to:)`` through GraphQL, per viewer (domain.md §3, api.md §7)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from auth.principal import Principal
from models.geo import Prefecture
from models.settings import current_settings
from models.specialists import Specialist, SpecialistHoliday
from schema.context import Context
from schema.query import Query
from schema.relay import to_global_id
from tests.factories import BASE, build_world, make_specialist
from tests.statements import counting_statements

SCHEMA = strawberry.Schema(query=Query)
NOW = BASE  # Monday 2025-06-02 10:00 Asia/Tokyo

CALENDAR = """
query ($id: ID!, $from: Date!, $to: Date!) {
  node(id: $id) {
    ... on Specialist {
      name
      availability(from: $from, to: $to) {
        date selectable reason reasonMessage windows { start end }
      }
    }
  }
}
"""

LIST = """
query ($first: Int!) {
  specialists(first: $first) {
    nodes {
      id
      week: availability(from: "2025-06-09", to: "2025-06-13") { date selectable }
      later: availability(from: "2025-07-01", to: "2025-07-02") { date selectable }
    }
  }
}
"""


async def execute(principal: Principal, query: str, **variables: Any) -> Any:
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    context.loaders.now = NOW  # the request's one clock reading, fixed for the test
    return await SCHEMA.execute(query, variable_values=variables, context_value=context)


async def calendar(principal: Principal, specialist_id: int, first: str, last: str) -> Any:
    result = await execute(
        principal,
        CALENDAR,
        id=to_global_id("Specialist", specialist_id),
        **{"from": first, "to": last},
    )
    assert result.errors is None, result.errors
    return result.data["node"]


async def test_a_company_sees_the_calendar_of_a_registered_specialist(db: str) -> None:
    # given: S1 has a registered holiday on Wednesday 6/11
    world = await build_world()
    await SpecialistHoliday.create(specialist_id=world.specialist_s1, date=date(2025, 6, 11))
    # when
    node = await calendar(world.company_c1_user, world.specialist_s1, "2025-06-09", "2025-06-14")
    # then
    days = node["availability"]
    assert [(d["date"], d["selectable"], d["reason"]) for d in days] == [
        ("2025-06-09", True, None),
        ("2025-06-10", True, None),
        ("2025-06-11", False, "SLOT_HOLIDAY"),
        ("2025-06-12", True, None),
        ("2025-06-13", True, None),
        ("2025-06-14", False, "SLOT_DAY_OFF"),
    ]
    assert days[0]["windows"] == [
        {"start": "2025-06-09T09:00:00+09:00", "end": "2025-06-09T17:00:00+09:00"}
    ]
    assert days[0]["reasonMessage"] is None
    assert days[2]["reasonMessage"] == "専門家が休日として登録した日です"
    assert days[2]["windows"] == []


async def test_a_confirmed_case_splits_the_windows_of_its_day(db: str) -> None:
    # given: the world's case S2/C1 is CONFIRMED for Wednesday 2025-07-09 10:00–12:00 Tokyo
    world = await build_world()
    # when
    node = await calendar(world.company_c1_user, world.specialist_s2, "2025-07-09", "2025-07-09")
    # then
    (day,) = node["availability"]
    assert day["windows"] == [
        {"start": "2025-07-09T09:00:00+09:00", "end": "2025-07-09T10:00:00+09:00"},
        {"start": "2025-07-09T12:00:00+09:00", "end": "2025-07-09T17:00:00+09:00"},
    ]


async def test_an_out_of_scope_specialist_is_null(db: str) -> None:
    # given: S3 is pending approval and on none of C1's cases; O1 recommended it
    world = await build_world()
    # when
    hidden = await calendar(world.company_c1_user, world.specialist_s3, "2025-06-09", "2025-06-10")
    visible = await calendar(
        world.platform_o1_staff, world.specialist_s3, "2025-06-09", "2025-06-10"
    )
    # then
    assert hidden is None
    assert [d["selectable"] for d in visible["availability"]] == [True, True]


async def test_a_specialist_not_accepting_requests_is_closed_to_companies(db: str) -> None:
    # given
    world = await build_world()
    await Specialist.filter(id=world.specialist_s1).update(accepting_requests=False)
    # when
    company = await calendar(world.company_c1_user, world.specialist_s1, "2025-06-09", "2025-06-09")
    own = await calendar(world.specialist_s1_user, world.specialist_s1, "2025-06-09", "2025-06-09")
    # then
    assert company["availability"][0]["reason"] == "SPECIALIST_NOT_ACCEPTING"
    assert own["availability"][0]["selectable"] is True


async def test_a_bad_range_is_bad_user_input(db: str) -> None:
    # given
    world = await build_world()
    for first, last, message in (
        ("2025-06-10", "2025-06-09", "終了日は開始日以降の日付にしてください。"),
        ("2025-06-01", "2025-09-01", "期間は92日以内で指定してください。"),
    ):
        # when
        result = await execute(
            world.company_c1_user,
            CALENDAR,
            id=to_global_id("Specialist", world.specialist_s1),
            **{"from": first, "to": last},
        )
        # then
        assert result.errors is not None
        (error,) = result.errors
        assert error.message == message
        assert error.extensions == {
            "code": "BAD_USER_INPUT",
            "field": ["to"],
            "reason": "OUT_OF_RANGE",
        }


async def test_calendars_of_a_list_cost_a_fixed_number_of_statements(db: str) -> None:
    # given
    world = await build_world()
    tokyo = await Prefecture.get(id=world.pref_tokyo)

    async def statements_for(first: int) -> int:
        with counting_statements() as statements:
            result = await execute(world.company_c1_user, LIST, first=first)
        assert result.errors is None, result.errors
        assert len(result.data["specialists"]["nodes"]) == first
        for node in result.data["specialists"]["nodes"]:
            assert [d["selectable"] for d in node["week"]] == [True] * 5
            assert len(node["later"]) == 2
        return len(statements)

    # when
    two = await statements_for(2)
    for _ in range(4):
        await make_specialist(tokyo)
    six = await statements_for(6)
    # then
    assert two == six
