"""Batch loaders: aligned to keys, plain rows, and a constant number of SQL statements per page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest

from models.accounts import UserAccount
from models.companies import Company
from models.masters import IssueCategory, Qualification
from models.organisations import SupportOrganization
from models.specialists import Specialist
from resolvers import loaders
from resolvers.pagination import PageArgs
from resolvers.queries import CaseFilter, CaseOrderField, SortDirection, search_cases
from tests.factories import World, build_world, make_case, make_report, make_travel_claim

NOW = datetime(2025, 6, 3, tzinfo=UTC)
SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class _StatementCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(SQL_VERBS):
            self.statements.append(message)


@contextmanager
def count_statements() -> Iterator[_StatementCounter]:
    """Every SQL statement Tortoise sends (its ``tortoise.db_client`` DEBUG log)."""
    logger = logging.getLogger("tortoise.db_client")
    counter = _StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


async def _add_reported_cases(world: World, count: int) -> None:
    company = await Company.get(id=world.company_c1)
    specialist = await Specialist.get(id=world.specialist_s1)
    filer = await UserAccount.get(id=world.platform_o1_staff.account_id)
    org = await SupportOrganization.get(id=world.org_o1)
    category = await IssueCategory.get(id=world.issue_category)
    qualification = await Qualification.get(id=world.qualification)
    for i in range(count):
        start = datetime(2025, 5, 1, 1, tzinfo=UTC) + timedelta(days=i % 20, minutes=i)
        case = await make_case(
            company,
            specialist,
            filer,
            org,
            received_at=start - timedelta(days=7),
            dispatch_start=start,
            dispatch_end=start + timedelta(hours=2),
            dispatch_date=start.date(),
        )
        report = await make_report(case, category, qualification)
        await make_travel_claim(report)


async def _list_page_with_nested_data(world: World, size: int) -> int:
    """The "list50" read: a page of cases with specialist, company, platform, filing
    organisation, report, travel claim and travel lines — statements issued."""
    viewer = world.secretariat_national
    with count_statements() as counter:
        page = await search_cases(
            viewer,
            CaseFilter(fiscal_year=2025, received_to=date(2025, 5, 31)),
            CaseOrderField.RECEIVED_AT,
            SortDirection.DESC,
            PageArgs(first=size),
            NOW,
        )
        rows = page.rows
        specialists = await loaders.load_specialists(viewer, [r["specialist_id"] for r in rows])
        companies = await loaders.load_companies(viewer, [r["company_id"] for r in rows])
        platform_ids = [r["platform_id"] for r in rows if r["platform_id"] is not None]
        await loaders.load_platforms(viewer, platform_ids)
        org_ids = [r["filing_organization_id"] for r in rows if r["filing_organization_id"]]
        await loaders.load_organizations(viewer, org_ids)
        reports = await loaders.load_report_by_case(viewer, [r["id"] for r in rows])
        report_ids = [r["id"] for r in reports if r is not None]
        travels = await loaders.load_travel_by_report(viewer, report_ids)
        claim_ids = [t["id"] for t in travels if t is not None]
        lines = await loaders.load_travel_lines_by_claim(viewer, claim_ids)
    assert len(rows) == size
    assert all(s is not None for s in specialists) and all(c is not None for c in companies)
    assert len(report_ids) == size and all(len(group) == 1 for group in lines)
    return len(counter.statements)


async def test_nested_loads_of_a_page_issue_a_constant_number_of_statements(db: str) -> None:
    # given 60 reported cases with travel claims
    world = await build_world()
    await _add_reported_cases(world, 60)

    # when
    small = await _list_page_with_nested_data(world, 10)
    large = await _list_page_with_nested_data(world, 50)

    # then: 1 page query + 7 batch loads, whatever the page size
    assert small == large == 8


async def test_by_id_loaders_align_rows_with_keys_including_duplicates_and_misses(db: str) -> None:
    world = await build_world()
    keys = [world.company_c2, 999999, world.company_c1, world.company_c2]
    rows = await loaders.load_companies(world.secretariat_national, keys)
    assert [row["id"] if row else None for row in rows] == [
        world.company_c2,
        None,
        world.company_c1,
        world.company_c2,
    ]
    assert isinstance(rows[0], dict) and "registered_by_id" in rows[0]


async def test_by_parent_loaders_return_one_list_per_key(db: str) -> None:
    world = await build_world()
    p = world.secretariat_national
    keys = [world.case_s1_c1, world.case_s2_c2, 999999]

    slots = await loaders.load_slots_by_case(p, keys)
    checks = await loaders.load_check_events_by_case(p, keys)
    history = await loaders.load_case_events_by_case(p, keys)
    areas = await loaders.load_areas_by_specialist(p, [world.specialist_s1, world.specialist_s2])
    expertise = await loaders.load_expertise_by_specialist(p, [world.specialist_s1])
    prefectures = await loaders.load_prefectures_by_office(p, [world.office_kinki])

    assert [len(group) for group in slots] == [1, 1, 0]
    assert [len(group) for group in checks] == [2, 0, 0]
    assert [[e["action"] for e in group] for group in history] == [["FILE"], ["DECLINE"], []]
    assert [[a["id"] for a in group] for group in areas] == [[world.pref_tokyo], []]
    assert [[e["id"] for e in group] for group in expertise] == [[world.issue_category]]
    assert [[pr["name"] for pr in group] for group in prefectures] == [["大阪府"]]


async def test_reference_loaders_serve_any_signed_in_viewer_and_no_anonymous_sql(db: str) -> None:
    world = await build_world()

    with count_statements() as counter:
        anonymous = await loaders.load_platforms(world.anonymous, [world.platform_r1])
        masters = await loaders.load_issue_categories(world.anonymous, [world.issue_category])
    fiscal = await loaders.load_fiscal_configs(world.company_c2_user, [2025, 2024])
    accounts = await loaders.load_accounts(
        world.company_c2_user, [world.platform_o1_staff.account_id or 0]
    )
    offices = await loaders.load_offices(world.specialist_s2_user, [world.office_kanto])

    assert anonymous == [None] and masters == [None] and counter.statements == []
    assert fiscal[0] is not None and fiscal[0]["fiscal_year"] == 2025 and fiscal[1] is None
    assert accounts == [
        {
            "id": world.platform_o1_staff.account_id,
            "display_name": "O1 職員",
            "role": accounts[0]["role"] if accounts[0] else None,
        }
    ]
    assert offices[0] is not None and offices[0]["name"] == "関東事務局"


async def test_evaluation_summary_without_evaluations_has_count_zero(db: str) -> None:
    world = await build_world()
    [s1, s2] = await loaders.load_evaluation_summary_by_specialist(
        world.platform_o1_staff, [world.specialist_s1, world.specialist_s2]
    )
    assert s1 is not None and s1["count"] == 1 and s1["overall"] == pytest.approx(4.5)
    assert s2 == {
        "count": 0,
        "satisfaction": None,
        "expertise": None,
        "clarity": None,
        "responsiveness": None,
        "overall": None,
    }
