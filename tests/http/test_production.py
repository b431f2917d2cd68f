"""Production mode (security.md §5, security-tests.md S24–S28): no introspection, IDE, field
suggestions or GET queries; development keeps them as the positive control."""

from __future__ import annotations

import json

import httpx
import pytest
import strawberry
from starlette.applications import Starlette

from models.settings import Settings, SettingsError
from schema.extensions import hardened_schema
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
