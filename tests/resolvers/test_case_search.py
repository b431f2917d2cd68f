"""Case search (domain.md §9): every filter, every sort, status counts, the bigram keyword index."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from auth.principal import Principal
from models.cases import DispatchCase
from models.rules.case_status import CaseStatus
from models.rules.errors import ErrorCode, ValidationErrors
from models.rules.money_kinds import PaymentState
from models.rules.search import bigrams, term_bigrams
from resolvers.pagination import PageArgs
from resolvers.queries import (
    CaseFilter,
    CaseOrderField,
    SortDirection,
    case_status_counts,
    count_cases,
    refresh_search_text,
    search_cases,
)
from tests.factories import World, build_world

NOW = datetime(2025, 6, 3, tzinfo=UTC)  # before every dispatch of the world
LATER = datetime(2025, 8, 1, tzinfo=UTC)  # every slot and dispatch window has passed


async def _world() -> World:
    world = await build_world()
    await refresh_search_text(world.case_ids)
    return world


async def _ids(
    principal: Principal,
    case_filter: CaseFilter,
    now: datetime = NOW,
    order: CaseOrderField = CaseOrderField.RECEIVED_AT,
    direction: SortDirection = SortDirection.ASC,
) -> list[int]:
    page = await search_cases(principal, case_filter, order, direction, PageArgs(first=100), now)
    assert await count_cases(principal, case_filter, now) == len(page.rows)
    return [row["id"] for row in page.rows]


def test_bigrams_are_space_padded_distinct_and_normalised() -> None:
    assert bigrams("販路開拓 販路") == " 販路 路開 開拓 "
    assert bigrams("ｸﾗｳﾄﾞ AB") == " クラ ラウ ウド ab "
    assert bigrams("a") == ""
    assert term_bigrams("ああ") == ["ああ"]


async def test_refresh_search_text_includes_the_report_text(db: str) -> None:
    # given
    world = await build_world()

    # when
    await refresh_search_text([world.case_s1_c1])

    # then title, description and report text are indexed; other cases untouched
    text = (await DispatchCase.get(id=world.case_s1_c1)).search_text
    assert " 販路 " in text and " 助言 " in text and " 新商 " in text
    other = (await DispatchCase.get(id=world.case_s2_c2)).search_text
    assert other == ""


async def test_filter_by_reservation_number(db: str) -> None:
    world = await _world()
    number = (await DispatchCase.get(id=world.case_s2_c1)).reservation_number
    assert await _ids(world.secretariat_national, CaseFilter(reservation_number=number)) == [
        world.case_s2_c1
    ]


async def test_filter_by_received_date_range_in_tokyo_time(db: str) -> None:
    world = await _world()
    one_day = CaseFilter(received_from=date(2025, 6, 3), received_to=date(2025, 6, 3))
    assert await _ids(world.secretariat_national, one_day) == [world.case_s2_c2]
    from_day = CaseFilter(received_from=date(2025, 6, 4))
    assert await _ids(world.secretariat_national, from_day) == [
        world.case_s2_c1,
        world.case_s1_c2_r1,
    ]


async def test_filter_by_dispatch_date_range(db: str) -> None:
    world = await _world()
    july = CaseFilter(dispatch_from=date(2025, 7, 1), dispatch_to=date(2025, 7, 31))
    assert await _ids(world.secretariat_national, july) == [world.case_s2_c1]


async def test_filter_by_company_user_name_and_company_name_or_kana(db: str) -> None:
    world = await _world()
    p = world.secretariat_national
    osaka = [world.case_s2_c2, world.case_s1_c2_r1]
    assert await _ids(p, CaseFilter(company_user_name="OSAKA")) == osaka
    assert await _ids(p, CaseFilter(company_name="東京製作")) == [
        world.case_s1_c1,
        world.case_s2_c1,
    ]
    assert await _ids(p, CaseFilter(company_name="オオサカ")) == osaka


async def test_filter_by_several_statuses(db: str) -> None:
    world = await _world()
    statuses = [CaseStatus.DECLINED, CaseStatus.UNPROCESSED]
    assert await _ids(world.secretariat_national, CaseFilter(statuses=statuses)) == [
        world.case_s2_c2,
        world.case_s1_c2_r1,
    ]


async def test_status_filter_uses_the_derived_status(db: str) -> None:
    # given LATER: the confirmed dispatch has ended, the unanswered candidate slot has passed
    world = await _world()
    p = world.secretariat_national

    # then
    unreported = CaseFilter(statuses=[CaseStatus.UNREPORTED])
    assert await _ids(p, unreported, LATER) == [world.case_s2_c1]
    coordination = CaseFilter(statuses=[CaseStatus.NEEDS_COORDINATION])
    assert await _ids(p, coordination, LATER) == [world.case_s1_c2_r1]
    assert await _ids(p, CaseFilter(statuses=[CaseStatus.CONFIRMED]), LATER) == []
    assert await _ids(p, CaseFilter(statuses=[CaseStatus.CONFIRMED]), NOW) == [world.case_s2_c1]


async def test_filter_by_completion_state(db: str) -> None:
    world = await _world()
    await DispatchCase.filter(id=world.case_s1_c1).update(evaluated=True)
    p = world.secretariat_national
    assert await _ids(p, CaseFilter(evaluated=True)) == [world.case_s1_c1]
    assert world.case_s1_c1 not in await _ids(p, CaseFilter(evaluated=False))
    assert len(await _ids(p, CaseFilter(evaluated=False))) == 3


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("販路", ["case_s1_c1"]),  # two kanji, title
        ("助言", ["case_s1_c1"]),  # report text only
        ("クラウド", ["case_s2_c1"]),  # kana
        ("ｸﾗｳﾄﾞ", ["case_s2_c1"]),  # half-width kana, normalised
        ("資金　改善", ["case_s2_c2"]),  # every word must occur
        ("資金 承継", []),
        ("相", ["case_s1_c1", "case_s2_c1", "case_s1_c2_r1"]),  # one character: LIKE
        ("存在しない語", []),
        ("%", []),  # LIKE wildcards are literal
    ],
)
async def test_filter_by_keyword(db: str, keyword: str, expected: list[str]) -> None:
    world = await _world()
    ids = await _ids(world.secretariat_national, CaseFilter(keyword=keyword))
    assert ids == [getattr(world, name) for name in expected]


async def test_filter_by_platform_organisation_and_specialist_names(db: str) -> None:
    world = await _world()
    p = world.secretariat_national
    assert await _ids(p, CaseFilter(platform_name="大阪府")) == [world.case_s2_c2]
    assert await _ids(p, CaseFilter(organization_name="信用金庫")) == [world.case_s1_c2_r1]
    suzuki = [world.case_s2_c2, world.case_s2_c1]
    assert await _ids(p, CaseFilter(specialist_name="鈴木")) == suzuki
    assert await _ids(p, CaseFilter(specialist_name="ヤマダ")) == [
        world.case_s1_c1,
        world.case_s1_c2_r1,
    ]


async def test_fiscal_year_versus_all_years(db: str) -> None:
    # given a case of FY2024
    world = await _world()
    old = await DispatchCase.get(id=world.case_s1_c1)
    old.id = None  # type: ignore[assignment]
    old.reservation_number = "2024-000001"
    old.fiscal_year = 2024
    old.received_at = datetime(2025, 3, 1, tzinfo=UTC)
    await old.save()
    p = world.secretariat_national

    # then
    assert old.id not in await _ids(p, CaseFilter(fiscal_year=2025))
    assert await _ids(p, CaseFilter(fiscal_year=2024)) == [old.id]
    assert len(await _ids(p, CaseFilter(fiscal_year=None))) == 5


async def test_filter_by_specialist_company_and_payment_state(db: str) -> None:
    world = await _world()
    p = world.secretariat_national
    assert await _ids(p, CaseFilter(specialist_id=world.specialist_s2)) == [
        world.case_s2_c2,
        world.case_s2_c1,
    ]
    assert await _ids(p, CaseFilter(company_id=world.company_c2)) == [
        world.case_s2_c2,
        world.case_s1_c2_r1,
    ]
    payable = CaseFilter(payment_states=[PaymentState.PAYABLE])
    assert await _ids(p, payable) == [world.case_s1_c1]
    assert await _ids(world.company_c1_user, payable) == []  # payment state is not for companies


async def test_search_is_scoped_to_the_viewer(db: str) -> None:
    world = await _world()
    assert await _ids(world.company_c1_user, CaseFilter()) == [world.case_s1_c1, world.case_s2_c1]
    assert await _ids(world.company_c1_user, CaseFilter(company_id=world.company_c2)) == []
    assert await _ids(world.anonymous, CaseFilter()) == []


async def test_invalid_filters_are_validation_errors(db: str) -> None:
    world = await _world()
    with pytest.raises(ValidationErrors) as too_long:
        await _ids(world.secretariat_national, CaseFilter(keyword="あ" * 101))
    assert too_long.value.errors[0].code is ErrorCode.TOO_LONG
    assert too_long.value.errors[0].field == ("filter", "keyword")
    with pytest.raises(ValidationErrors) as reversed_range:
        await _ids(
            world.secretariat_national,
            CaseFilter(received_from=date(2025, 6, 5), received_to=date(2025, 6, 1)),
        )
    assert reversed_range.value.errors[0].code is ErrorCode.INVALID
    assert reversed_range.value.errors[0].field == ("filter", "received_to")


ORDERS = {
    (CaseOrderField.RECEIVED_AT, SortDirection.ASC): [
        "case_s1_c1",
        "case_s2_c2",
        "case_s2_c1",
        "case_s1_c2_r1",
    ],
    (CaseOrderField.RECEIVED_AT, SortDirection.DESC): [
        "case_s1_c2_r1",
        "case_s2_c1",
        "case_s2_c2",
        "case_s1_c1",
    ],
    # NULL dispatch dates last in both directions, then by id in the same direction
    (CaseOrderField.DISPATCH_DATE, SortDirection.ASC): [
        "case_s1_c1",
        "case_s2_c1",
        "case_s2_c2",
        "case_s1_c2_r1",
    ],
    (CaseOrderField.DISPATCH_DATE, SortDirection.DESC): [
        "case_s2_c1",
        "case_s1_c1",
        "case_s1_c2_r1",
        "case_s2_c2",
    ],
    # workflow order: UNPROCESSED, CONFIRMED, REPORTED, DECLINED
    (CaseOrderField.STATUS, SortDirection.ASC): [
        "case_s1_c2_r1",
        "case_s2_c1",
        "case_s1_c1",
        "case_s2_c2",
    ],
    (CaseOrderField.STATUS, SortDirection.DESC): [
        "case_s2_c2",
        "case_s1_c1",
        "case_s2_c1",
        "case_s1_c2_r1",
    ],
}


@pytest.mark.parametrize(("order", "direction"), list(ORDERS))
async def test_every_sort_in_both_directions_pages_one_by_one(
    db: str, order: CaseOrderField, direction: SortDirection
) -> None:
    # given
    world = await _world()
    p = world.secretariat_national
    expected = [getattr(world, name) for name in ORDERS[(order, direction)]]

    # when: all at once, one by one forwards, one by one backwards
    whole = await _ids(p, CaseFilter(), NOW, order, direction)
    forwards: list[int] = []
    after: str | None = None
    for _ in expected:
        page = await search_cases(
            p, CaseFilter(), order, direction, PageArgs(first=1, after=after), NOW
        )
        forwards += [row["id"] for row in page.rows]
        after = page.end_cursor
    backwards: list[int] = []
    before: str | None = None
    for _ in expected:
        args = PageArgs(last=1, before=before)
        page = await search_cases(p, CaseFilter(), order, direction, args, NOW)
        backwards = [row["id"] for row in page.rows] + backwards
        before = page.start_cursor

    # then
    assert whole == expected
    assert forwards == expected
    assert backwards == expected
    assert page.has_previous is False and page.has_next is True


async def test_status_sort_uses_the_derived_status(db: str) -> None:
    # given LATER: case S2–C1 reads UNREPORTED, case S1–C2 NEEDS_COORDINATION
    world = await _world()
    ids = await _ids(world.secretariat_national, CaseFilter(), LATER, CaseOrderField.STATUS)
    assert ids == [world.case_s1_c2_r1, world.case_s2_c1, world.case_s1_c1, world.case_s2_c2]
    page = await search_cases(
        world.secretariat_national,
        CaseFilter(),
        CaseOrderField.STATUS,
        SortDirection.ASC,
        PageArgs(first=2),
        LATER,
    )
    assert [row["status_rank"] for row in page.rows] == [2, 4]  # NEEDS_COORDINATION, UNREPORTED


async def test_status_counts_include_zeros_and_derived_statuses(db: str) -> None:
    world = await _world()

    # when
    now_counts = dict(await case_status_counts(world.secretariat_national, CaseFilter(), NOW))
    later = await case_status_counts(world.secretariat_national, CaseFilter(), LATER)
    company = dict(await case_status_counts(world.company_c1_user, CaseFilter(), NOW))

    # then
    assert [status for status, _ in later] == list(CaseStatus)
    assert now_counts == {
        **dict.fromkeys(CaseStatus, 0),
        CaseStatus.UNPROCESSED: 1,
        CaseStatus.CONFIRMED: 1,
        CaseStatus.REPORTED: 1,
        CaseStatus.DECLINED: 1,
    }
    assert dict(later) == {
        **dict.fromkeys(CaseStatus, 0),
        CaseStatus.NEEDS_COORDINATION: 1,
        CaseStatus.UNREPORTED: 1,
        CaseStatus.REPORTED: 1,
        CaseStatus.DECLINED: 1,
    }
    assert company == {
        **dict.fromkeys(CaseStatus, 0),
        CaseStatus.CONFIRMED: 1,
        CaseStatus.REPORTED: 1,
    }
    assert sum(dict(await case_status_counts(world.anonymous, CaseFilter(), NOW)).values()) == 0
