"""Production mode (security.md §5, security-tests.md S24–S28): no introspection, IDE, field
suggestions or GET queries; development keeps them as the positive control."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from strawberry.tools import merge_types

from models.settings import Settings, SettingsError
from schema.extensions import hardened_schema
from schema.root import MUTATION_TYPES, QUERY_TYPES, SUBSCRIPTION_TYPES, build_schema
from server.app import create_app

PRODUCTION = Settings(env="production", secret_key="p" * 48)
DEVELOPMENT = Settings(env="development")


@strawberry.type
class Query:
    @strawberry.field
    def case_title(self) -> str:
        return "派遣依頼"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def ping(self) -> str:
        return "pong"


def make_app(settings: Settings) -> Starlette:
    schema = hardened_schema(settings, query=Query, mutation=Mutation)
    return create_app(settings, schema, init_db=False)


def client(settings: Settings) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(settings))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def post(settings: Settings, query: str) -> dict[str, object]:
    async with client(settings) as http:
        response = await http.post("/graphql", json={"query": query})
    body: dict[str, object] = response.json()
    return body


def messages(body: dict[str, object]) -> list[str]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e["message"] for e in errors]


async def test_introspection_is_refused_in_production() -> None:
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Query") { name } }'):
        body = await post(PRODUCTION, query)
        assert body["data"] is None
        assert any("introspection has been disabled" in m for m in messages(body))
        errors = body["errors"]
        assert isinstance(errors, list)
        assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}


async def test_circular_introspection_is_refused_in_production() -> None:
    body = await post(PRODUCTION, "{ __schema { types { fields { type { fields { name } } } } } }")
    assert any("introspection has been disabled" in m for m in messages(body))


async def test_typename_still_works_in_production() -> None:
    assert await post(PRODUCTION, "{ __typename }") == {"data": {"__typename": "Query"}}


async def test_introspection_is_allowed_in_development() -> None:
    body = await post(DEVELOPMENT, "{ __schema { queryType { name } } }")
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_field_suggestions_are_absent_in_production() -> None:
    for query in ("{ caseTitl }", "{ __schema { directive } }"):
        body = await post(PRODUCTION, query)
        assert messages(body)
        assert not any("Did you mean" in m for m in messages(body))
    assert messages(await post(PRODUCTION, "{ caseTitl }")) == [
        "Cannot query field 'caseTitl' on type 'Query'."
    ]


async def test_field_suggestions_are_given_in_development() -> None:
    body = await post(DEVELOPMENT, "{ caseTitl }")
    assert any("Did you mean" in m for m in messages(body))


async def test_no_ide_in_production() -> None:
    async with client(PRODUCTION) as http:
        response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code in {404, 405}
    assert "graphiql" not in response.text.lower()
    assert "graphql playground" not in response.text.lower()


async def test_graphiql_in_development() -> None:
    async with client(DEVELOPMENT) as http:
        http.cookies.set("haken_session", "a-session-of-the-developer")
        response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_get_queries_are_refused_in_production_and_allowed_in_development() -> None:
    params = {"query": "{ caseTitle }"}
    async with client(PRODUCTION) as http:
        refused = await http.get("/graphql", params=params)
    async with client(DEVELOPMENT) as http:
        allowed = await http.get("/graphql", params=params)
    assert refused.status_code == 400
    assert "caseTitle" not in refused.text
    assert allowed.json() == {"data": {"caseTitle": "派遣依頼"}}


async def test_get_mutations_are_refused_everywhere() -> None:
    for settings in (PRODUCTION, DEVELOPMENT):
        async with client(settings) as http:
            response = await http.get("/graphql", params={"query": "mutation { ping }"})
        assert response.status_code == 400


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_simple_content_types_are_refused(content_type: str) -> None:
    async with client(PRODUCTION) as http:
        response = await http.post(
            "/graphql",
            content=json.dumps({"query": "mutation { ping }"}).encode(),
            headers={"content-type": content_type},
        )
    assert 400 <= response.status_code < 500
    assert "pong" not in response.text


async def test_batching_is_off() -> None:
    async with client(PRODUCTION) as http:
        response = await http.post("/graphql", json=[{"query": "{ caseTitle }"}] * 10)
    assert response.status_code == 400


async def test_no_exception_or_tracing_keys_in_production_errors() -> None:
    for query in ("qwerty cop { abc }", "{ nope }", "{ __schema { types { name } } }"):
        text = json.dumps(await post(PRODUCTION, query))
        for leak in ('"exception"', '"tracing"', "Traceback"):
            assert leak not in text


def test_production_settings_without_a_secret_key_are_refused() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"HAKEN_ENV": "production"})
    with pytest.raises(SettingsError):
        Settings.from_env({"HAKEN_ENV": "production", "SECRET_KEY": "short"})
    accepted = Settings.from_env({"HAKEN_ENV": "production", "SECRET_KEY": "s" * 40})
    assert accepted.production


# ---------------------------------------------------------------- the real schema (every root)

REAL = create_app(PRODUCTION, build_schema(PRODUCTION), init_db=False)
REAL_DEVELOPMENT = create_app(DEVELOPMENT, build_schema(DEVELOPMENT), init_db=False)
ACCEPT_TYPO = 'mutation { caseAccept(input: {idd: "x", version: 1, position: 1}) { case { id } } }'

#: Misspelled names of every kind graphql-core would suggest a correction for.
MISSPELLED = [
    ('mutation { caseAccep(input: {id: "x", version: 1, position: 1}) { case { id } } }', None),
    ('subscription { caseUpdate(id: "x") { version } }', None),
    ('subscription { caseUpdated(idd: "x") { version } }', None),
    (ACCEPT_TYPO, None),
    ('mutation { caseAccept(inpt: {id: "x", version: 1, position: 1}) { case { id } } }', None),
    ("{ cases(frist: 1) { totalCount } }", None),
    ("{ cases(filter: {statuses: [UNPROCESSE]}) { totalCount } }", None),
    ("{ cases { totalCont } }", None),
    ("query ($f: CaseFiltr) { cases(filter: $f) { totalCount } }", None),
    ("{ ... on Quer { __typename } }", None),
    (
        "mutation ($i: CaseAcceptInput!) { caseAccept(input: $i) { case { id } } }",
        {"i": {"idd": "x", "version": 1, "position": 1}},
    ),
    (
        "query ($f: CaseFilter) { cases(filter: $f) { totalCount } }",
        {"f": {"statuses": ["UNPROCESSE"], "companyNam": "x"}},
    ),
]


async def post_to(app: Starlette, query: str, variables: dict[str, object] | None = None) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
    return response.json()


async def test_the_real_schema_refuses_introspection_in_production() -> None:
    for query in ("{ __schema { types { name } } }", '{ __type(name: "DispatchCase") { name } }'):
        body = await post_to(REAL, query)
        assert body["data"] is None
        assert any("introspection has been disabled" in m for m in messages(body))
        assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


@pytest.mark.parametrize(("query", "variables"), MISSPELLED)
async def test_no_suggestion_for_any_misspelled_name_in_production(
    query: str, variables: dict[str, object] | None
) -> None:
    body = await post_to(REAL, query, variables)
    assert messages(body)
    assert not any("Did you mean" in m for m in messages(body)), messages(body)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


async def test_misspelled_names_are_suggested_in_development() -> None:
    suggested = []
    for query, variables in MISSPELLED:
        body = await post_to(REAL_DEVELOPMENT, query, variables)
        suggested.append(any("Did you mean" in m for m in messages(body)))
    assert suggested.count(True) >= 8  # the positive control: the list above does trigger them


async def test_get_with_a_real_mutation_or_query_is_refused_in_production() -> None:
    transport = httpx.ASGITransport(app=REAL)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        mutation = await http.get("/graphql", params={"query": ACCEPT_TYPO.replace("idd", "id")})
        query = await http.get("/graphql", params={"query": "{ viewer { role } }"})
    assert mutation.status_code == 400
    assert query.status_code == 400


@strawberry.type
class BrokenQuery:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError('relation "secret_table" does not exist; password=hunter2')


async def test_unexpected_errors_are_masked_with_the_real_roots_in_production() -> None:
    schema = hardened_schema(
        PRODUCTION,
        query=merge_types("Query", (*QUERY_TYPES, BrokenQuery)),
        mutation=merge_types("Mutation", MUTATION_TYPES),
        subscription=merge_types("Subscription", SUBSCRIPTION_TYPES),
    )
    body = await post_to(
        create_app(PRODUCTION, schema, init_db=False), "{ broken viewer { role } }"
    )
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["broken"],
            "extensions": {"code": "INTERNAL"},
        }
    ]
    text = json.dumps(body)
    for leak in ("secret_table", "hunter2", "RuntimeError", "Traceback", '"exception"'):
        assert leak not in text
