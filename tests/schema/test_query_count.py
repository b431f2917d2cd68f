"""Query-count pin of the heavy list read ("list50", performance.md): no N+1, constant in size.

Statements are counted from Tortoise's ``tortoise.db_client`` logger, which records every
statement the backends execute (SQLite and asyncpg alike).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import strawberry

from auth.principal import Principal
from models.accounts import UserAccount
from models.companies import Company
from models.masters import IssueCategory, Qualification
from models.organisations import SupportOrganization
from models.rules.case_status import CaseStatus
from models.settings import current_settings
from schema.context import Context
from schema.query import Query
from tests.factories import (
    BASE,
    build_world,
    make_case,
    make_company,
    make_report,
    make_slot,
    make_specialist,
    make_travel_claim,
)
from tests.statements import counting_statements

SCHEMA = strawberry.Schema(query=Query)

#: search (1) + specialists (1) + their recommending organisations (1) + companies (1) +
#: platforms (1) + slots for the status of unanswered cases (1) + reports (1) + travel claims
#: (1) + travel lines (1).
PINNED_STATEMENTS = 9

LIST_QUERY = """
query ($first: Int!) {
  cases(first: $first, filter: {fiscalYear: 2025}, orderBy: {field: RECEIVED_AT, direction: DESC}) {
    edges {
      cursor
      node {
        id reservationNumber title status receivedAt dispatchStart version
        specialist { id name nameKana recommendingOrganization { id name } }
        company { id name }
        platform { id name }
        report {
          id submittedAt reviewState
          travel { totalAmount lines { mode fromPlace toPlace amount } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def run(principal: Principal, query: str, **variables: Any) -> dict[str, Any]:
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def add_cases(count: int, world: Any) -> None:
    """``count`` more cases, each with its own specialist and company; every other one
    REPORTED with a report and travel lines, the rest UNPROCESSED with a candidate slot."""
    organization = await SupportOrganization.get(id=world.org_o1)
    filer = await UserAccount.filter(organization_id=world.org_o1).first()
    assert filer is not None
    company_c1 = await Company.get(id=world.company_c1)
    prefecture_id = company_c1.prefecture_id  # type: ignore[attr-defined]
    from models.geo import Prefecture

    prefecture = await Prefecture.get(id=prefecture_id)
    category = await IssueCategory.get(id=world.issue_category)
    qualification = await Qualification.get(id=world.qualification)
    for n in range(count):
        specialist = await make_specialist(prefecture, recommending_org=organization)
        company = await make_company(prefecture, registered_by=organization)
        received = BASE + timedelta(days=10, hours=n)
        if n % 2:
            case = await make_case(company, specialist, filer, organization, received_at=received)
            # A slot still ahead of the real clock, so the case reads UNPROCESSED.
            await make_slot(case, datetime.now(UTC) + timedelta(days=30))
            continue
        start = BASE + timedelta(days=20 + n)
        case = await make_case(
            company,
            specialist,
            filer,
            organization,
            received_at=received,
            status=CaseStatus.REPORTED,
            dispatch_start=start,
            dispatch_end=start + timedelta(hours=2),
            dispatch_date=start.date(),
        )
        report = await make_report(case, category, qualification)
        await make_travel_claim(report)


async def test_a_50_case_page_runs_a_pinned_number_of_statements(db: str) -> None:
    # given
    world = await build_world()
    await add_cases(60, world)
    # when
    with counting_statements() as statements:
        data = await run(world.secretariat_national, LIST_QUERY, first=50)
    # then
    edges = data["cases"]["edges"]
    assert len(edges) == 50
    assert len({e["node"]["specialist"]["id"] for e in edges}) == 50
    assert sum(1 for e in edges if e["node"]["report"] is not None) == 25
    assert all(
        e["node"]["report"]["travel"]["lines"][0]["amount"] == 880
        for e in edges
        if e["node"]["report"] is not None
    )
    assert {e["node"]["status"] for e in edges} == {"REPORTED", "UNPROCESSED"}
    assert len(statements) == PINNED_STATEMENTS, "\n".join(statements)


async def test_the_statement_count_does_not_grow_with_the_page_size(db: str) -> None:
    # given
    world = await build_world()
    await add_cases(60, world)
    # when
    with counting_statements() as ten:
        small = await run(world.secretariat_national, LIST_QUERY, first=10)
    with counting_statements() as fifty:
        large = await run(world.secretariat_national, LIST_QUERY, first=50)
    # then
    assert len(small["cases"]["edges"]) == 10
    assert len(large["cases"]["edges"]) == 50
    assert len(ten) == len(fifty) == PINNED_STATEMENTS


async def test_total_count_is_one_statement_and_only_when_selected(db: str) -> None:
    # given
    world = await build_world()
    # when
    with counting_statements() as without_count:
        await run(world.secretariat_national, "{ cases(first: 5) { nodes { title } } }")
    with counting_statements() as with_count:
        data = await run(
            world.secretariat_national, "{ cases(first: 5) { totalCount nodes { title } } }"
        )
    # then
    assert data["cases"]["totalCount"] == 4
    assert len(without_count) == 1
    assert len(with_count) == 2
    assert "COUNT" in with_count[-1].upper()
