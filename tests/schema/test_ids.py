"""Global IDs and input validation at the GraphQL edge (api.md §1, §8; S4, S21, S30)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import strawberry
from strawberry.types import ExecutionResult

from auth.principal import Principal
from models.settings import current_settings
from schema.context import Context
from schema.query import Query
from schema.relay import parse_global_id, to_global_id
from tests.factories import build_world

SCHEMA = strawberry.Schema(query=Query)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def execute(principal: Principal, query: str, **variables: Any) -> ExecutionResult:
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    return await SCHEMA.execute(query, variable_values=variables, context_value=context)


def error_codes(result: ExecutionResult) -> list[Any]:
    assert result.errors, "expected an error"
    return [(e.extensions or {}).get("code") for e in result.errors]


BAD_IDS = [
    "",
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "9223372036854775808",
    "' OR 1=1 --",
    "1 OR 1=1",
    "RGlzcGF0Y2hDYXNl",  # "DispatchCase" without a separator
    b64("DispatchCase:"),
    b64("DispatchCase:-1"),
    b64("DispatchCase:0"),
    b64("DispatchCase:abc"),
    b64("DispatchCase:1.5"),
    b64("DispatchCase:1 OR 1=1"),
    b64("DispatchCase:1' OR '1'='1"),
    b64("DispatchCase:99999999999999999999"),
    b64("DispatchCase:2147483648"),
    b64(":1"),
    b64("UserAccount:1"),
    b64("CaseEvent:1"),
    b64("BankAccount:1"),
    b64("Viewer:1"),
    b64("Query:1"),
    b64("Node:1"),
    base64.b64encode(b"\xff\xfe:1").decode(),
    "x" * 10_000,
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
async def test_node_answers_null_for_unusable_ids_without_an_error(db: str, bad_id: str) -> None:
    # given
    world = await build_world()
    # when
    result = await execute(
        world.secretariat_national, "query ($id: ID!) { node(id: $id) { id } }", id=bad_id
    )
    # then
    assert result.errors is None
    assert result.data == {"node": None}


async def test_nodes_answers_null_per_unusable_id_and_resolves_the_good_ones(db: str) -> None:
    # given
    world = await build_world()
    good = to_global_id("DispatchCase", world.case_s1_c1)
    # when
    result = await execute(
        world.secretariat_national,
        "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
        ids=[*BAD_IDS, good],
    )
    # then
    assert result.errors is None
    assert result.data is not None
    assert result.data["nodes"][:-1] == [None] * len(BAD_IDS)
    assert result.data["nodes"][-1] == {"__typename": "DispatchCase", "id": good}


async def test_global_ids_round_trip_with_the_type_name(db: str) -> None:
    # given
    world = await build_world()
    case_id = to_global_id("DispatchCase", world.case_s1_c1)
    # when
    result = await execute(
        world.secretariat_national,
        "query ($id: ID!) { node(id: $id) { __typename id ... on DispatchCase { title } } }",
        id=case_id,
    )
    # then
    assert result.errors is None
    assert result.data == {
        "node": {"__typename": "DispatchCase", "id": case_id, "title": "販路開拓の相談"}
    }
    assert base64.b64decode(case_id).decode() == f"DispatchCase:{world.case_s1_c1}"
    assert parse_global_id(case_id) == ("DispatchCase", world.case_s1_c1)


async def test_more_than_100_ids_is_bad_user_input(db: str) -> None:
    # given
    world = await build_world()
    ids = [to_global_id("DispatchCase", n) for n in range(1, 102)]
    # when
    result = await execute(
        world.secretariat_national, "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids
    )
    # then
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result.data is None


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ("first: 1000", "first"),
        ("first: 101", "first"),
        ("first: 0", "first"),
        ("first: -1", "first"),
        ("last: 1000", "last"),
        ('after: "not-a-cursor"', "after"),
        ('before: "bm9wZQ"', "before"),
    ],
)
async def test_page_arguments_out_of_range_are_bad_user_input(
    db: str, arguments: str, field: str
) -> None:
    # given
    world = await build_world()
    # when
    cases = await execute(world.secretariat_national, f"{{ cases({arguments}) {{ totalCount }} }}")
    specialists = await execute(
        world.secretariat_national, f"{{ specialists({arguments}) {{ totalCount }} }}"
    )
    # then
    for result in (cases, specialists):
        assert error_codes(result) == ["BAD_USER_INPUT"]
        assert result.errors is not None
        assert result.errors[0].extensions is not None
        assert result.errors[0].extensions["field"] == [field]
        assert "Unexpected" not in result.errors[0].message


async def test_first_100_is_accepted(db: str) -> None:
    # given
    world = await build_world()
    # when
    result = await execute(world.secretariat_national, "{ cases(first: 100) { totalCount } }")
    # then
    assert result.errors is None
    assert result.data == {"cases": {"totalCount": 4}}


@pytest.mark.parametrize(
    ("type_name", "field"),
    [("Company", "specialistId"), ("DispatchCase", "specialistId"), ("Specialist", "companyId")],
)
async def test_an_id_of_another_type_in_a_filter_is_bad_user_input(
    db: str, type_name: str, field: str
) -> None:
    # given
    world = await build_world()
    foreign = to_global_id(type_name, world.specialist_s1)
    # when
    result = await execute(
        world.secretariat_national,
        "query ($f: CaseFilter) { cases(filter: $f) { totalCount } }",
        f={field: foreign},
    )
    # then
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["field"] == ["filter", field]


@pytest.mark.parametrize("bad_id", ["", "abc", "-1", "' OR 1=1 --", b64("Specialist:-1")])
async def test_a_malformed_id_in_a_filter_is_bad_user_input(db: str, bad_id: str) -> None:
    # given
    world = await build_world()
    # when
    result = await execute(
        world.secretariat_national,
        "query ($f: SpecialistFilter) { specialists(filter: $f) { totalCount } }",
        f={"industryId": bad_id},
    )
    # then
    assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_a_matching_id_in_a_filter_is_used(db: str) -> None:
    # given
    world = await build_world()
    company = to_global_id("Company", world.company_c2)
    # when
    result = await execute(
        world.secretariat_national,
        "query ($f: CaseFilter) { cases(filter: $f) { totalCount } }",
        f={"companyId": company},
    )
    # then
    assert result.errors is None
    assert result.data == {"cases": {"totalCount": 2}}
