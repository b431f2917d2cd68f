"""Case search (domain.md §9, seed 000 p.14): every filter, every sort, scope, status counts, the
keyword tokens, LIKE wildcards, keyset stability and (PostgreSQL) the indexes each filter uses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from auth.principal import Principal
from models.accounts import UserAccount
from models.cases import DispatchCase
from models.companies import Company
from models.organisations import SupportOrganization
from models.rules.case_status import CaseStatus, SlotKind
from models.rules.errors import ErrorCode, ValidationErrors
from models.rules.money_kinds import PaymentState
from models.rules.search import bigrams, keyword_tokens, term_bigrams
from models.specialists import Specialist
from resolvers.pagination import PageArgs, encode_cursor
from resolvers.queries import (
    CaseFilter,
    CaseOrderField,
    SortDirection,
    case_status_counts,
    count_cases,
    refresh_search_text,
    search_cases,
)
from tests.factories import World, build_world, make_case, make_slot

NOW = datetime(2025, 6, 3, tzinfo=UTC)  # before every dispatch of the world
LATER = datetime(2025, 8, 1, tzinfo=UTC)  # every slot and dispatch window has passed
S = CaseStatus
ASC, DESC = SortDirection.ASC, SortDirection.DESC
RECEIVED, DISPATCH, STATUS = (
    CaseOrderField.RECEIVED_AT,
    CaseOrderField.DISPATCH_DATE,
    CaseOrderField.STATUS,
)


async def _world() -> World:
    world = await build_world()
    await refresh_search_text(world.case_ids)
    return world


async def _ids(
    principal: Principal,
    case_filter: CaseFilter,
    now: datetime = NOW,
    order: CaseOrderField = RECEIVED,
    direction: SortDirection = ASC,
) -> list[int]:
    """Every matching case in one page, checking ``totalCount`` agrees."""
    page = await search_cases(principal, case_filter, order, direction, PageArgs(first=100), now)
    assert await count_cases(principal, case_filter, now) == len(page.rows)
    return [row["id"] for row in page.rows]


def _dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


# ---------------------------------------------------------------- the search text (pure)


def test_search_text_holds_distinct_characters_and_bigrams_normalised() -> None:
    assert bigrams("販路開拓 販路") == " 販 路 開 拓 販路 路開 開拓 "
    assert bigrams("ｸﾗｳﾄﾞ AB") == " ク ラ ウ ド a b クラ ラウ ウド ab "
    assert bigrams("a") == " a "
    assert bigrams("  ") == ""
    assert term_bigrams("ああ") == ["ああ"]


@pytest.mark.parametrize(
    ("keyword", "tokens"),
    [
        ("販路開拓", ["販路", "路開", "開拓"]),
        ("税", ["税"]),  # one character: the character itself
        ("資金　改善", ["資金", "改善"]),  # full-width space separates words
        ("ＩＴ 税", ["it", "税"]),  # NFKC + lower case
        ("販路 販路", ["販路"]),
        ("   ", []),
        ("100%", ["10", "00", "0%"]),
    ],
)
def test_keyword_tokens(keyword: str, tokens: list[str]) -> None:
    assert keyword_tokens(keyword) == tokens


async def test_refresh_search_text_includes_the_report_text(db: str) -> None:
    # given
    world = await build_world()

    # when
    await refresh_search_text([world.case_s1_c1])

    # then title, description and report text are indexed; other cases untouched
    text = (await DispatchCase.get(id=world.case_s1_c1)).search_text
    assert " 販路 " in text and " 助言 " in text and " 新商 " in text and " 助 " in text
    other = (await DispatchCase.get(id=world.case_s2_c2)).search_text
    assert other == ""


# ---------------------------------------------------------------- one table row per filter


@dataclass(frozen=True)
class Row:
    """A filter built from the world's facts and the cases (by name) it finds, oldest first."""

    build: Callable[[dict[str, Any]], CaseFilter]
    expected: list[str]
    now: datetime = NOW


# The world's four cases plus two of the fixture (C1, S1, filed by O1 on R1): "case_fy2024"
# (COMPLETED, evaluated, received first) and "case_adjusting" (a proposal open until 7 July,
# received last). Lists are in receipt order.
FY2025 = ["case_s1_c1", "case_s2_c2", "case_s2_c1", "case_s1_c2_r1", "case_adjusting"]
ALL = ["case_fy2024", *FY2025]
C1 = ["case_fy2024", "case_s1_c1", "case_s2_c1", "case_adjusting"]
C2 = ["case_s2_c2", "case_s1_c2_r1"]
S1 = ["case_fy2024", "case_s1_c1", "case_s1_c2_r1", "case_adjusting"]
S2 = ["case_s2_c2", "case_s2_c1"]

FILTERS: dict[str, Row] = {
    "nothing": Row(lambda f: CaseFilter(), ALL),
    # 派遣依頼予約番号: exact (NFKC, trimmed), never partial
    "reservation number": Row(lambda f: CaseFilter(reservation_number=f["number"]), ["case_s2_c1"]),
    "reservation number, full-width": Row(
        lambda f: CaseFilter(reservation_number=f["number_wide"]), ["case_s2_c1"]
    ),
    "reservation number, partial": Row(lambda f: CaseFilter(reservation_number=f["number"][:-1]), []),
    "reservation number, blank": Row(lambda f: CaseFilter(reservation_number="  "), ALL),
    # 依頼日 (receipt) in Asia/Tokyo days, both ends inclusive
    "received on one day": Row(
        lambda f: CaseFilter(received_from=date(2025, 6, 3), received_to=date(2025, 6, 3)),
        ["case_s2_c2"],
    ),
    "received from": Row(lambda f: CaseFilter(received_from=date(2025, 6, 4)), ["case_s2_c1", "case_s1_c2_r1", "case_adjusting"]),
    "received to": Row(lambda f: CaseFilter(received_to=date(2025, 6, 2)), ["case_fy2024", "case_s1_c1"]),
    # 派遣日: cases without a dispatch date never match a range
    "dispatched in July": Row(
        lambda f: CaseFilter(dispatch_from=date(2025, 7, 1), dispatch_to=date(2025, 7, 31)),
        ["case_s2_c1"],
    ),
    "dispatched on one day": Row(
        lambda f: CaseFilter(dispatch_from=date(2025, 6, 9), dispatch_to=date(2025, 6, 9)),
        ["case_s1_c1"],
    ),
    "dispatched from": Row(lambda f: CaseFilter(dispatch_from=date(2025, 6, 10)), ["case_s2_c1"]),
    "dispatched to": Row(lambda f: CaseFilter(dispatch_to=date(2025, 6, 30)), ["case_s1_c1"]),
    # company user name (the Mirasapo user name, not the company name), partial, any case
    "company user name": Row(lambda f: CaseFilter(company_user_name="OSAKA"), C2),
    "company user name, partial": Row(lambda f: CaseFilter(company_user_name="seisa"), C1),
    "company user name is not the company name": Row(
        lambda f: CaseFilter(company_user_name="大阪商事"), []
    ),
    "company name": Row(lambda f: CaseFilter(company_name="東京製作"), C1),
    "company name kana": Row(lambda f: CaseFilter(company_name="オオサカ"), C2),
    "company name, blank means any": Row(lambda f: CaseFilter(company_name="  "), ALL),
    # statuses: several, derived as of now
    "statuses, several": Row(
        lambda f: CaseFilter(statuses=[S.DECLINED, S.UNPROCESSED]), ["case_s2_c2", "case_s1_c2_r1"]
    ),
    "status confirmed, before its end": Row(lambda f: CaseFilter(statuses=[S.CONFIRMED]), ["case_s2_c1"]),
    "status confirmed, after its end": Row(lambda f: CaseFilter(statuses=[S.CONFIRMED]), [], LATER),
    "status unreported, derived": Row(lambda f: CaseFilter(statuses=[S.UNREPORTED]), ["case_s2_c1"], LATER),
    "status unreported, not yet": Row(lambda f: CaseFilter(statuses=[S.UNREPORTED]), []),
    "status unprocessed, slots open": Row(lambda f: CaseFilter(statuses=[S.UNPROCESSED]), ["case_s1_c2_r1"]),
    "status unprocessed, slots passed": Row(lambda f: CaseFilter(statuses=[S.UNPROCESSED]), [], LATER),
    "status needs coordination, derived": Row(
        lambda f: CaseFilter(statuses=[S.NEEDS_COORDINATION]), ["case_s1_c2_r1", "case_adjusting"], LATER
    ),
    "status needs coordination, not yet": Row(lambda f: CaseFilter(statuses=[S.NEEDS_COORDINATION]), []),
    "status adjusting, proposal open": Row(lambda f: CaseFilter(statuses=[S.ADJUSTING]), ["case_adjusting"]),
    "status adjusting, proposal passed": Row(lambda f: CaseFilter(statuses=[S.ADJUSTING]), [], LATER),
    "statuses, derived and stored together": Row(
        lambda f: CaseFilter(statuses=[S.UNREPORTED, S.NEEDS_COORDINATION, S.REPORTED]),
        ["case_s1_c1", "case_s2_c1", "case_s1_c2_r1", "case_adjusting"],
        LATER,
    ),
    # 完了状態 (completion state: evaluated or not)
    "evaluated": Row(lambda f: CaseFilter(evaluated=True), ["case_fy2024", "case_s1_c1"]),
    "not evaluated": Row(
        lambda f: CaseFilter(evaluated=False), ["case_s2_c2", "case_s2_c1", "case_s1_c2_r1", "case_adjusting"]
    ),
    # payment state
    "payment payable": Row(lambda f: CaseFilter(payment_states=[PaymentState.PAYABLE]), ["case_s1_c1"]),
    "payment paid or held": Row(
        lambda f: CaseFilter(payment_states=[PaymentState.PAID, PaymentState.HELD]), []
    ),
    # keyword: title, description, report text; every word; normalised
    "keyword in title": Row(lambda f: CaseFilter(keyword="販路"), ["case_s1_c1"]),
    "keyword in report text only": Row(lambda f: CaseFilter(keyword="助言"), ["case_s1_c1"]),
    "keyword in description": Row(lambda f: CaseFilter(keyword="クラウド"), ["case_s2_c1"]),
    "keyword half-width kana": Row(lambda f: CaseFilter(keyword="ｸﾗｳﾄﾞ"), ["case_s2_c1"]),
    "keyword full-width latin": Row(lambda f: CaseFilter(keyword="ＩＴ"), ["case_s2_c1"]),
    "keyword, every word": Row(lambda f: CaseFilter(keyword="資金　改善"), ["case_s2_c2"]),
    "keyword, a word missing": Row(lambda f: CaseFilter(keyword="資金 承継"), []),
    "keyword, one character": Row(  # in titles and the fixture's description "相談内容"
        lambda f: CaseFilter(keyword="相"), ["case_fy2024", "case_s1_c1", "case_s2_c1", "case_s1_c2_r1", "case_adjusting"]
    ),
    "keyword, one character in report text only": Row(lambda f: CaseFilter(keyword="助"), ["case_s1_c1"]),
    "keyword, one character and a word": Row(lambda f: CaseFilter(keyword="相 導入"), ["case_s2_c1"]),
    "keyword, no match": Row(lambda f: CaseFilter(keyword="存在しない語"), []),
    "keyword, blank": Row(lambda f: CaseFilter(keyword=" 　"), ALL),
    # 代理申請: the filing platform and support organisation
    "platform name": Row(lambda f: CaseFilter(platform_name="大阪府"), ["case_s2_c2"]),
    "platform name, both platforms (not self-filed)": Row(
        lambda f: CaseFilter(platform_name="地域プラットフォーム"),
        ["case_fy2024", "case_s1_c1", "case_s2_c2", "case_s1_c2_r1", "case_adjusting"],
    ),
    "organisation name": Row(lambda f: CaseFilter(organization_name="信用金庫"), ["case_s1_c2_r1"]),
    "specialist name": Row(lambda f: CaseFilter(specialist_name="鈴木"), S2),
    "specialist name kana": Row(lambda f: CaseFilter(specialist_name="ヤマダ"), S1),
    # fiscal year or all years
    "fiscal year 2025": Row(lambda f: CaseFilter(fiscal_year=2025), FY2025),
    "fiscal year 2024": Row(lambda f: CaseFilter(fiscal_year=2024), ["case_fy2024"]),
    "all years": Row(lambda f: CaseFilter(fiscal_year=None), ALL),
    "fiscal year 2023": Row(lambda f: CaseFilter(fiscal_year=2023), []),
    # by id
    "specialist id": Row(lambda f: CaseFilter(specialist_id=f["specialist_s2"]), S2),
    "company id": Row(lambda f: CaseFilter(company_id=f["company_c2"]), C2),
    # a combination of filters is their conjunction
    "combination": Row(
        lambda f: CaseFilter(
            company_name="東京",
            specialist_name="スズキ",
            statuses=[S.CONFIRMED],
            keyword="導入",
            dispatch_from=date(2025, 7, 1),
            fiscal_year=2025,
            evaluated=False,
        ),
        ["case_s2_c1"],
    ),
    "combination, one filter fails": Row(
        lambda f: CaseFilter(company_name="東京", specialist_name="スズキ", keyword="販路"), []
    ),
}  # fmt: skip


@dataclass
class Fixture:
    world: World
    facts: dict[str, Any]
    names: dict[int, str]


async def _add_case(world: World, **kw: Any) -> DispatchCase:
    company = await Company.get(id=kw.pop("company", world.company_c1))
    specialist = await Specialist.get(id=kw.pop("specialist", world.specialist_s1))
    filer = await UserAccount.get(id=world.platform_o1_staff.account_id)
    org = await SupportOrganization.get(id=world.org_o1)
    return await make_case(company, specialist, filer, org, **kw)


async def _fixture() -> Fixture:
    """The world with case S1–C1 evaluated, an ADJUSTING case whose proposal ends on 7 July
    (received last) and a FY2024 case (received first); search text refreshed."""
    world = await _world()
    await DispatchCase.filter(id=world.case_s1_c1).update(evaluated=True)
    adjusting = await _add_case(
        world,
        status=S.ADJUSTING,
        received_at=datetime(2025, 6, 20, tzinfo=UTC),
        title="調整中の案件",
    )
    await make_slot(adjusting, datetime(2025, 6, 25, 1, 0, tzinfo=UTC))
    await make_slot(adjusting, datetime(2025, 7, 7, 1, 0, tzinfo=UTC), kind=SlotKind.PROPOSED)
    old = await _add_case(
        world,
        fiscal_year=2024,
        status=S.COMPLETED,
        received_at=datetime(2025, 3, 1, tzinfo=UTC),
        title="前年度の案件",
        evaluated=True,
    )
    await refresh_search_text([adjusting.id, old.id])
    number = (await DispatchCase.get(id=world.case_s2_c1)).reservation_number
    facts = {
        "number": number,
        "number_wide": " "
        + number.translate(str.maketrans("0123456789-", "０１２３４５６７８９－")),
        "specialist_s2": world.specialist_s2,
        "company_c2": world.company_c2,
    }
    names = {getattr(world, n): n for n in vars(world) if n.startswith("case_")}
    names |= {adjusting.id: "case_adjusting", old.id: "case_fy2024"}
    return Fixture(world, facts, names)


@pytest.mark.parametrize("name", list(FILTERS))
async def test_each_filter(db: str, name: str) -> None:
    # given
    fixture = await _fixture()
    row = FILTERS[name]
    case_filter = row.build(fixture.facts)

    # when the national secretariat (every case in scope) searches
    ids = await _ids(fixture.world.secretariat_national, case_filter, row.now)

    # then
    assert [fixture.names.get(i, f"#{i}") for i in ids] == row.expected


# ---------------------------------------------------------------- scope through every filter


SCOPED = (
    "specialist_s1_user",
    "specialist_s2_user",
    "specialist_s3_user",
    "company_c1_user",
    "company_c2_user",
    "platform_o1_staff",
    "platform_r1_coordinator",
    "platform_o2_staff",
    "platform_o3_staff",
    "secretariat_kanto",
    "secretariat_kinki",
    "partner_p1",
    "partner_p2",
    "anonymous",
)


PAYMENTS_HIDDEN = {"company_c1_user", "company_c2_user", "partner_p1", "partner_p2"}


@pytest.mark.parametrize("principal", SCOPED)
async def test_every_filter_stays_within_the_viewers_scope(db: str, principal: str) -> None:
    # given what the viewer sees without a filter, and what every filter finds for everyone
    fixture = await _fixture()
    viewer: Principal = getattr(fixture.world, principal)
    visible = set(await _ids(viewer, CaseFilter()))

    for name, row in FILTERS.items():
        case_filter = row.build(fixture.facts)
        everyone = await _ids(fixture.world.secretariat_national, case_filter, row.now)

        # when the viewer applies the same filter
        found = await _ids(viewer, case_filter, row.now)

        # then it finds exactly the cases it may see among them, and counts only those
        # (payment states are not visible to companies and partners without read_payments)
        if name.startswith("payment") and principal in PAYMENTS_HIDDEN:
            assert found == [], (principal, name)
        else:
            assert found == [i for i in everyone if i in visible], (principal, name)
        counts = await case_status_counts(viewer, case_filter, row.now)
        assert sum(n for _, n in counts) == len(found), (principal, name)


async def test_searching_another_partys_name_finds_nothing(db: str) -> None:
    world = await _world()
    number = (await DispatchCase.get(id=world.case_s2_c2)).reservation_number
    assert await _ids(world.company_c1_user, CaseFilter(company_name="大阪商事")) == []
    assert await _ids(world.company_c1_user, CaseFilter(company_id=world.company_c2)) == []
    assert await _ids(world.company_c1_user, CaseFilter(reservation_number=number)) == []
    assert await _ids(world.specialist_s1_user, CaseFilter(specialist_name="鈴木")) == []
    assert await _ids(world.platform_o1_staff, CaseFilter(organization_name="大阪商工会議所")) == []
    assert await _ids(world.platform_o1_staff, CaseFilter(platform_name="大阪府")) == []
    assert await _ids(world.secretariat_kinki, CaseFilter(keyword="クラウド")) == []
    assert await _ids(world.anonymous, CaseFilter(keyword="販路")) == []
    # the same searches by the parties concerned find their cases
    assert await _ids(world.company_c2_user, CaseFilter(company_name="大阪商事")) == [
        world.case_s2_c2,
        world.case_s1_c2_r1,
    ]
    assert await _ids(world.specialist_s2_user, CaseFilter(specialist_name="鈴木")) == [
        world.case_s2_c2,
        world.case_s2_c1,
    ]


async def test_payment_state_is_not_a_filter_for_companies(db: str) -> None:
    world = await _world()
    payable = CaseFilter(payment_states=[PaymentState.PAYABLE])
    assert await _ids(world.secretariat_national, payable) == [world.case_s1_c1]
    assert await _ids(world.company_c1_user, payable) == []
    assert await _ids(world.specialist_s1_user, payable) == [world.case_s1_c1]


# ---------------------------------------------------------------- LIKE wildcards are literal


async def test_like_wildcards_in_user_input_are_literal(db: str) -> None:
    # given a title and a company name with a percent sign
    world = await _world()
    await DispatchCase.filter(id=world.case_s2_c1).update(title="売上100%増の相談")
    await Company.filter(id=world.company_c1).update(name="株式会社100%製作所")
    await refresh_search_text(world.case_ids)
    p = world.secretariat_national

    # then "%", "_" and "\\" match only themselves, in keywords and in every name filter
    assert await _ids(p, CaseFilter(keyword="100%")) == [world.case_s2_c1]
    assert await _ids(p, CaseFilter(keyword="%")) == [world.case_s2_c1]
    assert await _ids(p, CaseFilter(keyword="_")) == []
    assert await _ids(p, CaseFilter(keyword="0%増")) == [world.case_s2_c1]
    assert await _ids(p, CaseFilter(company_name="100%")) == [world.case_s1_c1, world.case_s2_c1]
    assert await _ids(p, CaseFilter(company_name="%")) == [world.case_s1_c1, world.case_s2_c1]
    assert await _ids(p, CaseFilter(company_name="_")) == []
    underscored = await _ids(p, CaseFilter(company_user_name="_"))  # literal: "tokyo_seisaku"
    assert underscored == [
        world.case_s1_c1,
        world.case_s2_c2,
        world.case_s2_c1,
        world.case_s1_c2_r1,
    ]
    assert await _ids(p, CaseFilter(company_user_name="t_kyo")) == []  # "_" is no wildcard
    for wildcard in ("\\", "%%", "1_0", "%東京%"):
        for name_filter in (
            CaseFilter(company_name=wildcard),
            CaseFilter(company_user_name=wildcard),
            CaseFilter(specialist_name=wildcard),
            CaseFilter(platform_name=wildcard),
            CaseFilter(organization_name=wildcard),
            CaseFilter(keyword=wildcard),
        ):
            assert await _ids(p, name_filter) == [], (wildcard, name_filter)


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
    with pytest.raises(ValidationErrors) as reversed_dispatch:
        await _ids(
            world.secretariat_national,
            CaseFilter(dispatch_from=date(2025, 7, 5), dispatch_to=date(2025, 7, 1)),
        )
    assert reversed_dispatch.value.errors[0].field == ("filter", "dispatch_to")


# ---------------------------------------------------------------- sorts


ORDERS = {
    (RECEIVED, ASC): ["case_s1_c1", "case_s2_c2", "case_s2_c1", "case_s1_c2_r1"],
    (RECEIVED, DESC): ["case_s1_c2_r1", "case_s2_c1", "case_s2_c2", "case_s1_c1"],
    # NULL dispatch dates last in both directions, then by id in the same direction
    (DISPATCH, ASC): ["case_s1_c1", "case_s2_c1", "case_s2_c2", "case_s1_c2_r1"],
    (DISPATCH, DESC): ["case_s2_c1", "case_s1_c1", "case_s1_c2_r1", "case_s2_c2"],
    # workflow order: UNPROCESSED, CONFIRMED, REPORTED, DECLINED
    (STATUS, ASC): ["case_s1_c2_r1", "case_s2_c1", "case_s1_c1", "case_s2_c2"],
    (STATUS, DESC): ["case_s2_c2", "case_s1_c1", "case_s2_c1", "case_s1_c2_r1"],
}


async def _page_through(
    p: Principal,
    case_filter: CaseFilter,
    order: CaseOrderField,
    direction: SortDirection,
    count: int,
    backward: bool = False,
) -> list[int]:
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(count):
        args = PageArgs(last=1, before=cursor) if backward else PageArgs(first=1, after=cursor)
        page = await search_cases(p, case_filter, order, direction, args, NOW)
        got = [row["id"] for row in page.rows]
        ids = got + ids if backward else ids + got
        cursor = page.start_cursor if backward else page.end_cursor
    return ids


@pytest.mark.parametrize(("order", "direction"), list(ORDERS))
@pytest.mark.parametrize(
    "case_filter",
    [
        CaseFilter(),
        CaseFilter(fiscal_year=2025),  # ORDER BY starts with fiscal_year (planner hint)
        CaseFilter(dispatch_from=date(2025, 1, 1), company_name="株式会社"),  # receipt unindexed
    ],
    ids=["all", "fiscal-year", "dispatch-range"],
)
async def test_every_sort_in_both_directions_pages_one_by_one(
    db: str, order: CaseOrderField, direction: SortDirection, case_filter: CaseFilter
) -> None:
    # given
    world = await _world()
    p = world.secretariat_national
    expected = [getattr(world, name) for name in ORDERS[(order, direction)]]
    whole = await _ids(p, CaseFilter(), NOW, order, direction)
    expected = [i for i in expected if i in await _ids(p, case_filter)]

    # when: all at once, one by one forwards, one by one backwards
    at_once = await _ids(p, case_filter, NOW, order, direction)
    forwards = await _page_through(p, case_filter, order, direction, len(expected))
    backwards = await _page_through(p, case_filter, order, direction, len(expected), True)

    # then every filter keeps the sort's order
    assert whole == [getattr(world, name) for name in ORDERS[(order, direction)]]
    assert at_once == expected
    assert forwards == expected
    assert backwards == expected


async def test_last_pages_say_whether_more_exist(db: str) -> None:
    world = await _world()
    p = world.secretariat_national
    for order, direction in ORDERS:
        first = await search_cases(p, CaseFilter(), order, direction, PageArgs(first=3), NOW)
        rest = await search_cases(
            p, CaseFilter(), order, direction, PageArgs(first=3, after=first.end_cursor), NOW
        )
        assert (first.has_next, first.has_previous) == (True, False), order
        assert (rest.has_next, rest.has_previous) == (False, True), order
        assert len(rest.rows) == 1


async def test_status_sort_uses_the_derived_status(db: str) -> None:
    # given LATER: case S2–C1 reads UNREPORTED, case S1–C2 NEEDS_COORDINATION
    world = await _world()
    ids = await _ids(world.secretariat_national, CaseFilter(), LATER, STATUS)
    assert ids == [world.case_s1_c2_r1, world.case_s2_c1, world.case_s1_c1, world.case_s2_c2]
    page = await search_cases(
        world.secretariat_national, CaseFilter(), STATUS, ASC, PageArgs(first=2), LATER
    )
    assert [row["status_rank"] for row in page.rows] == [2, 4]  # NEEDS_COORDINATION, UNREPORTED


@pytest.mark.parametrize(
    "cursor",
    [encode_cursor(99, 1), encode_cursor(-1, 1), encode_cursor(None, 1)],
    ids=["rank-too-high", "rank-negative", "null-rank"],
)
async def test_a_status_cursor_outside_the_statuses_is_invalid(db: str, cursor: str) -> None:
    world = await _world()
    with pytest.raises(ValidationErrors) as raised:
        await search_cases(
            world.secretariat_national,
            CaseFilter(),
            STATUS,
            ASC,
            PageArgs(first=1, after=cursor),
            NOW,
        )
    assert raised.value.errors[0].field == ("after",)


async def test_a_null_cursor_is_invalid_for_receipt_time(db: str) -> None:
    world = await _world()
    with pytest.raises(ValidationErrors):
        await search_cases(
            world.secretariat_national,
            CaseFilter(),
            RECEIVED,
            DESC,
            PageArgs(first=1, after=encode_cursor(None, 1)),
            NOW,
        )


@pytest.mark.parametrize(("order", "direction"), list(ORDERS))
async def test_pages_are_stable_when_cases_arrive_between_requests(
    db: str, order: CaseOrderField, direction: SortDirection
) -> None:
    # given the first two cases of the list
    world = await _world()
    p = world.secretariat_national
    first = await search_cases(p, CaseFilter(), order, direction, PageArgs(first=2), NOW)

    # when new cases arrive on both sides of the cursor (every status, date and receipt time)
    await _add_case(world, status=S.UNPROCESSED, received_at=datetime(2025, 5, 1, tzinfo=UTC))
    day = datetime(2025, 6, 5, 1, 0, tzinfo=UTC)
    await _add_case(
        world,
        status=S.CONFIRMED,
        dispatch_start=day,
        dispatch_end=day + timedelta(hours=2),
        dispatch_date=day.date(),
        received_at=datetime(2025, 6, 30, tzinfo=UTC),
    )
    await _add_case(world, status=S.CANCELLED, received_at=datetime(2025, 6, 3, tzinfo=UTC))
    rest: list[int] = []
    after = first.end_cursor
    while True:
        page = await search_cases(
            p, CaseFilter(), order, direction, PageArgs(first=2, after=after), NOW
        )
        rest += [row["id"] for row in page.rows]
        if not page.has_next:
            break
        after = page.end_cursor

    # then the rest is exactly what now follows the cursor's row: no repeats, no gaps
    seen = [row["id"] for row in first.rows]
    now_whole = await _ids(p, CaseFilter(), NOW, order, direction)
    assert rest == now_whole[now_whole.index(seen[-1]) + 1 :]
    assert not set(rest) & set(seen)


# ---------------------------------------------------------------- status counts


async def test_status_counts_include_zeros_and_derived_statuses(db: str) -> None:
    world = await _world()

    # when
    now_counts = dict(await case_status_counts(world.secretariat_national, CaseFilter(), NOW))
    later = await case_status_counts(world.secretariat_national, CaseFilter(), LATER)
    company = dict(await case_status_counts(world.company_c1_user, CaseFilter(), NOW))
    filtered = dict(
        await case_status_counts(world.secretariat_national, CaseFilter(company_name="大阪"), LATER)
    )

    # then
    assert [status for status, _ in later] == list(CaseStatus)
    assert now_counts == {
        **dict.fromkeys(CaseStatus, 0),
        S.UNPROCESSED: 1,
        S.CONFIRMED: 1,
        S.REPORTED: 1,
        S.DECLINED: 1,
    }
    assert dict(later) == {
        **dict.fromkeys(CaseStatus, 0),
        S.NEEDS_COORDINATION: 1,
        S.UNREPORTED: 1,
        S.REPORTED: 1,
        S.DECLINED: 1,
    }
    assert company == {**dict.fromkeys(CaseStatus, 0), S.CONFIRMED: 1, S.REPORTED: 1}
    assert filtered == {**dict.fromkeys(CaseStatus, 0), S.NEEDS_COORDINATION: 1, S.DECLINED: 1}
    assert sum(dict(await case_status_counts(world.anonymous, CaseFilter(), NOW)).values()) == 0


async def test_status_counts_agree_with_the_status_filter(db: str) -> None:
    fixture = await _fixture()
    p = fixture.world.secretariat_national
    for now in (NOW, LATER):
        for status, n in await case_status_counts(p, CaseFilter(), now):
            assert n == await count_cases(p, CaseFilter(statuses=[status]), now), (status, now)


# ---------------------------------------------------------------- PostgreSQL plans


@contextmanager
def _capturing_sql() -> Iterator[list[tuple[str, list[Any]]]]:
    """The statements (with their parameters) Tortoise sends while the block runs."""
    captured: list[tuple[str, list[Any]]] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.msg == "%s: %s" and isinstance(record.args, tuple):
                sql, values = record.args
                if str(sql).lstrip().upper().startswith("SELECT"):
                    captured.append((str(sql), list(values or [])))

    logger = logging.getLogger("tortoise.db_client")
    handler = Handler()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


async def _plan(sql: str, values: list[Any], *disabled: str) -> str:
    async with in_transaction() as conn:
        for setting in disabled:
            await conn.execute_script(f"SET LOCAL {setting} = off")
        rows = await conn.execute_query_dict(f"EXPLAIN {sql}", values)
    return "\n".join(row["QUERY PLAN"] for row in rows)


#: (filter, index the filter's search can use). Plans are asked for with sequential and plain
#: index scans disabled, so a bitmap scan on an index the filter's condition matches is the only
#: cheap way left (tiny test tables: this proves the query shape fits the index, not its speed).
INDEXED_FILTERS = {
    "keyword": (CaseFilter(keyword="経営改善"), "ix_search_case_text"),
    "keyword, one character": (CaseFilter(keyword="税"), "ix_search_case_text"),
    "keyword and one character": (CaseFilter(keyword="経営 税"), "ix_search_case_text"),
    "company name": (CaseFilter(company_name="東京製作所"), "ix_search_company_name"),
    "company name kana": (CaseFilter(company_name="トウキョウ"), "ix_search_company_name_kana"),
    "company user name": (CaseFilter(company_user_name="tokyo_sei"), "ix_search_company_user_name"),
    "specialist name": (CaseFilter(specialist_name="山田太郎"), "ix_search_specialist_name"),
    "specialist name kana": (CaseFilter(specialist_name="ヤマダタロウ"), "ix_search_specialist_name_kana"),
    "platform name": (CaseFilter(platform_name="大阪府地域"), "ix_search_regional_platform_name"),
    "organisation name": (CaseFilter(organization_name="信用金庫"), "ix_search_support_organization_name"),
    "dispatch dates": (
        CaseFilter(dispatch_from=date(2025, 6, 1), dispatch_to=date(2025, 6, 30)),
        "ix_search_case_dispatch_date",
    ),
    "payment state": (CaseFilter(payment_states=[PaymentState.PAYABLE]), "ix_search_payment_state"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(INDEXED_FILTERS))
async def test_postgres_filter_can_use_its_index(db: str, name: str) -> None:
    if _dialect() != "postgres":
        pytest.skip("search indexes exist on PostgreSQL only")
    # given
    world = await _world()
    case_filter, index = INDEXED_FILTERS[name]

    # when the totalCount statement of the filter is explained
    with _capturing_sql() as statements:
        await count_cases(world.secretariat_national, case_filter, NOW)
    sql, values = statements[-1]
    plan = await _plan(sql, values, "enable_seqscan", "enable_indexscan")

    # then the planner can answer it through the filter's index
    assert index in plan, plan
    if name.startswith("keyword"):
        assert "string_to_array(search_text, ' '::text) @>" in plan, plan
    if "name" in name:
        assert "~~*" in plan, plan  # ILIKE, which the pg_trgm GIN indexes serve


#: (order, filter, index that yields the page in order without sorting).
INDEXED_ORDERS = {
    "fiscal year, newest first": (RECEIVED, DESC, CaseFilter(fiscal_year=2025), "ix_search_case_fy_received"),
    "fiscal year, oldest first": (RECEIVED, ASC, CaseFilter(fiscal_year=2025), "ix_search_case_fy_received"),
    "dispatch date": (DISPATCH, ASC, CaseFilter(), "ix_search_case_dispatch_date"),
    "dispatch date, newest first": (DISPATCH, DESC, CaseFilter(), "ix_search_case_dispatch_date"),
    "fiscal year, dispatch date": (DISPATCH, DESC, CaseFilter(fiscal_year=2025), "ix_search_case_fy_dispatch_date"),
    "status": (STATUS, ASC, CaseFilter(), "ix_search_case_status_id"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(INDEXED_ORDERS))
async def test_postgres_sort_can_read_its_index_in_order(db: str, name: str) -> None:
    if _dialect() != "postgres":
        pytest.skip("search indexes exist on PostgreSQL only")
    # given
    world = await _world()
    order, direction, case_filter, index = INDEXED_ORDERS[name]

    # when the first statement of the page is explained without sequential scans or sorting
    with _capturing_sql() as statements:
        await search_cases(
            world.secretariat_national, case_filter, order, direction, PageArgs(first=20), NOW
        )
    sql, values = statements[0]
    plan = await _plan(sql, values, "enable_seqscan", "enable_sort", "enable_incremental_sort")

    # then an index returns the rows in the page's order
    assert f"using {index}" in plan, plan
    assert "Sort" not in plan, plan
