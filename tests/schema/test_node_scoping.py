"""``node``/``nodes`` are a second door: the same scoping as every list (api.md §1, §11; S1, S4).

A role × object matrix over the fixture world: the positive cells resolve with the requested
``__typename``, the denied cells answer ``null`` byte-identically to an ID that does not exist.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry

from auth.principal import Principal
from models.settings import current_settings
from schema.context import Context
from schema.query import Query
from schema.relay import to_global_id
from schema.types.people import Company
from tests.factories import World, build_world

SCHEMA = strawberry.Schema(query=Query)

#: Fixture-world objects by world attribute, with their GraphQL type.
OBJECTS: dict[str, str] = {
    "case_s1_c1": "DispatchCase",
    "case_s2_c2": "DispatchCase",
    "case_s2_c1": "DispatchCase",
    "case_s1_c2_r1": "DispatchCase",
    "specialist_s1": "Specialist",
    "specialist_s2": "Specialist",
    "specialist_s3": "Specialist",
    "company_c1": "Company",
    "company_c2": "Company",
    "report_s1_c1": "Report",
    "evaluation_s1_c1": "Evaluation",
    "document_s1_c1": "Document",
    "org_o1": "SupportOrganization",
    "platform_r1": "RegionalPlatform",
    "office_kanto": "RegionalOffice",
    "pref_tokyo": "Prefecture",
    "issue_category": "IssueCategory",
    "qualification": "Qualification",
    "industry": "Industry",
    "fiscal_year": "FiscalYearConfig",
}

REFERENCE = {
    "org_o1",
    "platform_r1",
    "office_kanto",
    "pref_tokyo",
    "issue_category",
    "qualification",
    "industry",
    "fiscal_year",
}
#: Report and evaluation of case_s1_c1: whoever sees that case, except partner tokens.
S1_C1_CHILDREN = {"report_s1_c1", "evaluation_s1_c1", "document_s1_c1"}
ALL_CASES = {"case_s1_c1", "case_s2_c2", "case_s2_c1", "case_s1_c2_r1"}

VISIBLE: dict[str, set[str]] = {
    "specialist_s1_user": {
        "case_s1_c1", "case_s1_c2_r1", "specialist_s1", "company_c1", "company_c2",
        *S1_C1_CHILDREN, *REFERENCE,
    },
    "specialist_s2_user": {
        "case_s2_c2", "case_s2_c1", "specialist_s2", "company_c1", "company_c2", *REFERENCE,
    },
    "specialist_s3_user": {"specialist_s3", *REFERENCE},
    "company_c1_user": {
        "case_s1_c1", "case_s2_c1", "specialist_s1", "specialist_s2", "company_c1",
        *S1_C1_CHILDREN, *REFERENCE,
    },
    "company_c2_user": {
        "case_s2_c2", "case_s1_c2_r1", "specialist_s1", "specialist_s2", "company_c2",
        *REFERENCE,
    },
    "platform_o1_staff": {
        "case_s1_c1", "case_s2_c1", "specialist_s1", "specialist_s2", "specialist_s3",
        "company_c1", *S1_C1_CHILDREN, *REFERENCE,
    },
    "platform_r1_coordinator": {
        "case_s1_c1", "case_s2_c1", "case_s1_c2_r1", "specialist_s1", "specialist_s2",
        "specialist_s3", "company_c1", "company_c2", *S1_C1_CHILDREN, *REFERENCE,
    },
    "platform_o2_staff": {
        "case_s2_c2", "case_s1_c2_r1", "specialist_s1", "specialist_s2", "company_c2",
        *REFERENCE,
    },
    "platform_o3_staff": {
        "case_s1_c2_r1", "specialist_s1", "specialist_s2", "company_c2", *REFERENCE,
    },
    "secretariat_kanto": {
        "case_s1_c1", "case_s2_c1", "specialist_s1", "specialist_s2", "specialist_s3",
        "company_c1", *S1_C1_CHILDREN, *REFERENCE,
    },
    "secretariat_kinki": {
        "case_s2_c2", "case_s1_c2_r1", "specialist_s1", "specialist_s2", "company_c2",
        *REFERENCE,
    },
    "secretariat_national": set(OBJECTS),
    # read_cases only: the cases its organisation filed and what hangs off them, no reports.
    "partner_p1": {"case_s1_c1", "specialist_s1", "company_c1", "document_s1_c1", *REFERENCE},
    "partner_p2": {"case_s2_c2", "specialist_s2", "company_c2", *REFERENCE},
}  # fmt: skip
# anonymous callers never reach node/nodes: tests/schema/test_permissions.py

NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
NODE = "query ($id: ID!) { node(id: $id) { __typename id } }"


async def execute(principal: Principal, query: str, **variables: Any) -> dict[str, Any]:
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def global_id(world: World, name: str) -> str:
    return to_global_id(OBJECTS[name], getattr(world, name))


def test_the_matrix_names_every_party_of_the_fixture_world() -> None:
    assert set(VISIBLE) == {
        "specialist_s1_user", "specialist_s2_user", "specialist_s3_user", "company_c1_user",
        "company_c2_user", "platform_o1_staff", "platform_r1_coordinator", "platform_o2_staff",
        "platform_o3_staff", "secretariat_kanto", "secretariat_kinki", "secretariat_national",
        "partner_p1", "partner_p2",
    }  # fmt: skip
    assert all(cell <= set(OBJECTS) for cell in VISIBLE.values())


@pytest.mark.parametrize("party", sorted(VISIBLE))
async def test_nodes_resolve_exactly_the_objects_in_scope(db: str, party: str) -> None:
    # given
    world = await build_world()
    principal = world.principals()[party]
    names = list(OBJECTS)
    ids = [global_id(world, name) for name in names]
    # when
    data = await execute(principal, NODES, ids=ids)
    # then
    seen = {name for name, node in zip(names, data["nodes"], strict=True) if node is not None}
    assert seen == VISIBLE[party]
    for name, gid, node in zip(names, ids, data["nodes"], strict=True):
        if node is not None:
            assert node == {"__typename": OBJECTS[name], "id": gid}


@pytest.mark.parametrize("party", sorted(VISIBLE))
async def test_a_denied_node_is_byte_identical_to_a_missing_one(db: str, party: str) -> None:
    # given
    world = await build_world()
    principal = world.principals()[party]
    denied = [name for name in OBJECTS if name not in VISIBLE[party]]
    # when / then
    for name in denied:
        reply = json.dumps(await execute(principal, NODE, id=global_id(world, name)))
        missing = json.dumps(
            await execute(principal, NODE, id=to_global_id(OBJECTS[name], 999_999))
        )
        assert reply == missing == '{"node": null}'


async def test_a_forged_type_name_never_reaches_another_type(db: str) -> None:
    # given: the company member asks for its own account and case events under forged types,
    # and for S3 (a private, pending specialist) under the Company type
    world = await build_world()
    principal = world.company_c1_user
    assert principal.account_id is not None
    forged = [
        to_global_id("UserAccount", principal.account_id),
        to_global_id("Viewer", principal.account_id),
        to_global_id("CaseEvent", 1),
        to_global_id("BankAccount", world.specialist_s1),
        to_global_id("Payment", world.payment_s1_c1),
        to_global_id("TravelClaim", world.travel_s1_c1),
        to_global_id("Specialist", world.specialist_s3),
    ]
    # when
    data = await execute(principal, NODES, ids=forged)
    # then
    assert data["nodes"] == [None] * len(forged)


async def test_a_node_keeps_its_field_masks(db: str) -> None:
    # given: C1 may see case_s1_c1, but never its payment or its GPS through node()
    world = await build_world()
    query = """
    query ($id: ID!) { node(id: $id) { ... on DispatchCase {
      payment { total } checkEvents { lat lng } specialist { bankAccount { accountNumber } }
    } } }
    """
    # when
    data = await execute(
        world.company_c1_user, query, id=to_global_id("DispatchCase", world.case_s1_c1)
    )
    # then
    case = data["node"]
    assert case["payment"] is None
    assert case["specialist"]["bankAccount"] is None
    assert case["checkEvents"] == [{"lat": None, "lng": None}, {"lat": None, "lng": None}]
    assert world.s1_account_number not in json.dumps(data)


async def test_strawberry_resolve_nodes_goes_through_the_scoped_loader(db: str) -> None:
    # given: strawberry's own GlobalID.resolve_node path calls Node.resolve_nodes
    world = await build_world()
    context = Context(
        request=None, response=None, settings=current_settings(), principal=world.company_c1_user
    )
    info = SimpleNamespace(context=context)
    ids = [str(world.company_c1), str(world.company_c2), "abc", "-1"]
    # when
    nodes = await Company.resolve_nodes(info=info, node_ids=ids)  # type: ignore[arg-type]
    # then
    assert [None if n is None else n.id for n in nodes] == [world.company_c1, None, None, None]
