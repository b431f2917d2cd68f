"""Keyset pagination: stable under inserts, both directions, argument validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.accounts import UserAccount
from models.companies import Company
from models.organisations import SupportOrganization
from models.rules.errors import ErrorCode, ValidationErrors
from models.specialists import Specialist
from resolvers.pagination import PageArgs, SortKey, decode_cursor, encode_cursor, validate_page_args
from resolvers.queries import CaseFilter, CaseOrderField, SortDirection, search_cases
from tests.factories import World, build_world, make_case

NOW = datetime(2025, 6, 3, tzinfo=UTC)
DESC = SortDirection.DESC
BY_RECEIPT = CaseOrderField.RECEIVED_AT


async def _add_case(world: World, received_at: datetime) -> int:
    company = await Company.get(id=world.company_c1)
    specialist = await Specialist.get(id=world.specialist_s1)
    filer = await UserAccount.get(id=world.platform_o1_staff.account_id)
    org = await SupportOrganization.get(id=world.org_o1)
    case = await make_case(company, specialist, filer, org, received_at=received_at)
    return case.id


async def _world_with_cases(count: int) -> tuple[World, list[int]]:
    """The world plus ``count`` cases of C1, received an hour apart from 2025-05-01 on."""
    world = await build_world()
    start = datetime(2025, 5, 1, tzinfo=UTC)
    ids = [await _add_case(world, start + timedelta(hours=i)) for i in range(count)]
    return world, ids


async def test_forward_pages_are_stable_when_rows_are_inserted_between_requests(db: str) -> None:
    # given 6 extra cases, newest first, read two at a time by C1
    world, ids = await _world_with_cases(6)
    viewer = world.company_c1_user
    newest_first = [world.case_s2_c1, world.case_s1_c1, *reversed(ids)]
    first = await search_cases(viewer, CaseFilter(), BY_RECEIPT, DESC, PageArgs(first=3), NOW)

    # when a newer case (before the cursor) and an older one (after it) arrive
    newer = await _add_case(world, datetime(2025, 6, 30, tzinfo=UTC))
    older = await _add_case(world, datetime(2025, 4, 1, tzinfo=UTC))
    rest: list[int] = []
    after = first.end_cursor
    pages = 0
    while True:
        page = await search_cases(
            viewer, CaseFilter(), BY_RECEIPT, DESC, PageArgs(first=3, after=after), NOW
        )
        rest += [row["id"] for row in page.rows]
        pages += 1
        assert page.has_previous is True
        if not page.has_next:
            break
        after = page.end_cursor

    # then no row repeats or is skipped; the newer one is not pulled into later pages
    assert [row["id"] for row in first.rows] == newest_first[:3]
    assert first.has_next is True and first.has_previous is False
    assert rest == [*newest_first[3:], older]
    assert newer not in rest
    assert pages == 2
    assert first.cursors[0] == first.start_cursor and first.cursors[-1] == first.end_cursor


async def test_backward_pages_from_the_end_then_before_the_start_cursor(db: str) -> None:
    # given
    world, ids = await _world_with_cases(5)
    viewer = world.company_c1_user
    newest_first = [world.case_s2_c1, world.case_s1_c1, *reversed(ids)]

    # when
    last = await search_cases(viewer, CaseFilter(), BY_RECEIPT, DESC, PageArgs(last=3), NOW)
    await _add_case(world, datetime(2025, 1, 1, tzinfo=UTC))  # lands after the end: not seen
    before = await search_cases(
        viewer, CaseFilter(), BY_RECEIPT, DESC, PageArgs(last=3, before=last.start_cursor), NOW
    )
    head = await search_cases(
        viewer, CaseFilter(), BY_RECEIPT, DESC, PageArgs(last=3, before=before.start_cursor), NOW
    )

    # then
    assert [row["id"] for row in last.rows] == newest_first[-3:]
    assert last.has_previous is True and last.has_next is False
    assert [row["id"] for row in before.rows] == newest_first[-6:-3]
    assert before.has_previous is True and before.has_next is True
    assert [row["id"] for row in head.rows] == newest_first[:1]
    assert head.has_previous is False


async def test_empty_page_has_no_cursors(db: str) -> None:
    world = await build_world()
    page = await search_cases(world.anonymous, CaseFilter(), BY_RECEIPT, DESC, PageArgs(), NOW)
    assert page.rows == [] and page.cursors == []
    assert page.start_cursor is None and page.end_cursor is None
    assert page.has_next is False and page.has_previous is False


def test_cursor_round_trip_keeps_sort_value_and_id() -> None:
    instant = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor(instant, 7), "datetime") == (instant, 7)
    assert decode_cursor(encode_cursor(date(2025, 6, 9), 3), "date") == (date(2025, 6, 9), 3)
    assert decode_cursor(encode_cursor(None, 3), "date") == (None, 3)
    assert decode_cursor(encode_cursor(4, 9), "int") == (4, 9)
    assert "=" not in encode_cursor(instant, 7)


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        (PageArgs(first=0), ErrorCode.OUT_OF_RANGE, ("first",)),
        (PageArgs(first=101), ErrorCode.OUT_OF_RANGE, ("first",)),
        (PageArgs(last=-1), ErrorCode.OUT_OF_RANGE, ("last",)),
        (PageArgs(last=1000), ErrorCode.OUT_OF_RANGE, ("last",)),
        (PageArgs(first=1, last=1), ErrorCode.INVALID, ("last",)),
        (PageArgs(first=1, after="!!!"), ErrorCode.INVALID, ("after",)),
        (PageArgs(last=1, before="bm90IGpzb24"), ErrorCode.INVALID, ("before",)),
        (PageArgs(first=1, after=encode_cursor("x", 1)), ErrorCode.INVALID, ("after",)),
        (
            PageArgs(first=1, after=encode_cursor(date(2025, 1, 1), 0)),
            ErrorCode.INVALID,
            ("after",),
        ),
        (PageArgs(first=1, after="WzEsMiwzXQ"), ErrorCode.INVALID, ("after",)),  # [1,2,3]
        (PageArgs(last=1, after=encode_cursor(1, 1)), ErrorCode.INVALID, ("after",)),
    ],
)
def test_invalid_page_arguments_are_validation_errors(
    args: PageArgs, code: ErrorCode, field: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationErrors) as raised:
        validate_page_args(args, SortKey("received_at", "datetime", descending=True))
    assert (raised.value.errors[0].code, raised.value.errors[0].field) == (code, field)


async def test_search_rejects_a_cursor_of_another_sort(db: str) -> None:
    # given a receipt-time cursor
    world = await build_world()
    viewer = world.secretariat_national
    page = await search_cases(viewer, CaseFilter(), BY_RECEIPT, DESC, PageArgs(first=1), NOW)

    # when it is used with the status sort
    with pytest.raises(ValidationErrors) as raised:
        await search_cases(
            viewer,
            CaseFilter(),
            CaseOrderField.STATUS,
            DESC,
            PageArgs(first=1, after=page.end_cursor),
            NOW,
        )

    # then
    assert raised.value.errors[0].code is ErrorCode.INVALID
    assert raised.value.errors[0].field == ("after",)
