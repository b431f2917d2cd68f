"""Resource limits over HTTP (security-tests.md S15–S19, S23): rejected with QUERY_TOO_COMPLEX
before any resolver runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import strawberry
from strawberry.extensions.parser_cache import _get_parse_cache

from models.settings import Settings
from schema.extensions import CACHE_SIZE, MAX_DEPTH, hardened_schema
from server.app import create_app

SETTINGS = Settings(env="test", secret_key="test-secret-key-with-more-than-32-characters")
CALLS: list[str] = []


@strawberry.type
class Level:
    @strawberry.field
    def child(self) -> Level:
        CALLS.append("child")
        return Level()

    @strawberry.field
    def name(self) -> str:
        return "level"


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> Level:
        CALLS.append("root")
        return Level()

    @strawberry.field
    def hello(self) -> str:
        CALLS.append("hello")
        return "hello"


async def run(query: str) -> tuple[int, dict[str, Any]]:
    app = create_app(SETTINGS, hardened_schema(SETTINGS, query=Query), init_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/graphql", json={"query": query})
    return response.status_code, response.json()


def nested(depth: int) -> str:
    """root { child { … { name } } } at ``depth`` as the limiter counts it (root field = 0)."""
    inner = "name"
    for _ in range(depth - 1):
        inner = f"child {{ {inner} }}"
    return f"query Deep {{ root {{ {inner} }} }}"


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_a_query_at_the_depth_limit_runs() -> None:
    status, body = await run(nested(MAX_DEPTH))
    assert status == 200
    assert "errors" not in body


async def test_one_level_past_the_depth_limit_is_too_complex() -> None:
    _, body = await run(nested(MAX_DEPTH + 1))
    assert codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_depth_20_is_too_complex_and_nothing_resolves() -> None:
    CALLS.clear()
    status, body = await run(nested(20))
    assert status == 200
    assert body["data"] is None
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["message"] == "'Deep' exceeds maximum operation depth of 10"
    assert CALLS == []


async def test_depth_through_fragments_is_counted() -> None:
    query = (
        "query F { root { ...A } } fragment A on Level { child { ...B } } "
        "fragment B on Level { child { child { child { child { child { child { child { child {"
        " child { name } } } } } } } } } }"
    )
    _, body = await run(query)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_101_aliases_are_too_complex() -> None:
    CALLS.clear()
    aliases = " ".join(f"a{i}: hello" for i in range(101))
    _, body = await run(f"{{ {aliases} }}")
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["message"] == "101 aliases found. Allowed: 15"
    assert CALLS == []


async def test_15_aliases_are_allowed() -> None:
    aliases = " ".join(f"a{i}: hello" for i in range(15))
    _, body = await run(f"{{ {aliases} }}")
    assert "errors" not in body
    assert len(body["data"]) == 15


async def test_3000_tokens_are_too_complex() -> None:
    # given a document of ~3,000 tokens made of duplicate fields (no aliases)
    query = "{ " + " ".join(["hello"] * 3000) + " }"
    _, body = await run(query)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert "more than 2000 tokens" in body["errors"][0]["message"]


async def test_500_duplicate_fields_under_the_token_limit_are_merged() -> None:
    _, body = await run("{ " + " ".join(["__typename"] * 500) + " }")
    assert body == {"data": {"__typename": "Query"}}


async def test_50_directives_give_exactly_one_error() -> None:
    directives = " ".join(["@include(if: true)"] * 50)
    _, body = await run(f"{{ hello {directives} }}")
    assert len(body["errors"]) == 1
    assert codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_ten_unknown_directives_give_exactly_one_error() -> None:
    # graphql-cop's directive_overloading probe: flagged when 10 errors come back
    _, body = await run("query cop { __typename " + "@aa" * 10 + " }")
    assert len(body["errors"]) == 1
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_a_few_known_directives_still_work() -> None:
    _, body = await run("{ hello @include(if: true) root @skip(if: true) { name } }")
    assert body == {"data": {"hello": "hello"}}


async def test_circular_fragments_are_refused_by_validation() -> None:
    _, body = await run("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert any("Cannot spread fragment" in e["message"] for e in body["errors"])


async def test_the_parser_cache_is_bounded_and_shared_across_requests() -> None:
    cache: Any = _get_parse_cache(CACHE_SIZE)
    query = "{ hello __typename }"
    await run(query)
    hits = cache.cache_info().hits
    await run(query)
    assert cache.cache_info().hits == hits + 1
    assert cache.cache_info().maxsize == CACHE_SIZE


async def test_a_chunked_body_over_the_limit_is_refused_with_413() -> None:
    # given a body without Content-Length, streamed in 64 KB chunks up to 2 MB
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ hello }", "variables": {"blob": "'
        for _ in range(32):
            yield b"x" * 65536
        yield b'"}}'

    app = create_app(SETTINGS, hardened_schema(SETTINGS, query=Query), init_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert codes(response.json()) == ["BAD_USER_INPUT"]
