"""Log hygiene (security.md §5, security-tests.md S29): no secret in any log record, expected
errors never logged as ERROR.

The autouse fixture of ``tests/conftest.py`` scans every test's log records
(``tests/log_secrets.py``); these tests prove the scanner sees what it must, then send failing
requests full of secrets through the real app and read the log themselves.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from auth.jwt import issue_access_token
from auth.passwords import hash_password
from auth.principal import Principal
from auth.sessions import create_session
from models.accounts import UserAccount
from models.settings import current_settings
from schema.context import Context
from schema.extensions import loggable_message
from schema.relay import to_global_id
from schema.root import build_schema
from server.app import create_app
from tests.factories import World, build_world
from tests.log_secrets import (
    KNOWN_SECRETS,
    SecretScanner,
    find_secrets,
    record_text,
    register_secret,
)
from tests.registration_support import ACCOUNT_NUMBER, PASSWORD

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZSI6IlgifQ.c2lnbmF0dXJlLXZhbHVl"


def _record(message: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("haken.test", level, __file__, 1, message, args, None)


def _scan(*records: logging.LogRecord) -> list[str]:
    scanner = SecretScanner()
    for record in records:
        scanner.handle(record)
    return scanner.leaks


# ---------------------------------------------------------------- the scanner itself


def test_the_known_passwords_and_account_numbers_are_secrets() -> None:
    assert {"haken-demo-2026", PASSWORD, ACCOUNT_NUMBER} <= KNOWN_SECRETS


@pytest.mark.parametrize(
    "message",
    [
        "login failed for yamada@example.jp with password haken-demo-2026",
        "variables={'accountNumber': '7654321'}",
        "account 1234567 updated",
        f"token {JWT}",
        "partner hkn_" + "A1b2" * 12,
        "authorization: Bearer Zm9vYmFyYmF6cXV4cXV1eA",
    ],
)
def test_the_scanner_finds_each_kind_of_secret(message: str) -> None:
    assert _scan(_record(message))


def test_the_scanner_reads_arguments_and_exception_text() -> None:
    try:
        raise ValueError("could not decrypt 7654321")
    except ValueError as error:
        failure = logging.LogRecord(
            "haken.test", logging.ERROR, __file__, 1, "boom", None, (ValueError, error, None)
        )
    assert _scan(_record("login %s", PASSWORD))
    assert _scan(failure)
    assert "7654321" in record_text(failure)


@pytest.mark.parametrize(
    "message",
    [
        "GraphQL error code=NOT_FOUND request_id=req-1 operation=- path=node",
        "amount 12345678 yen, reservation 2025-123456",  # longer numbers contain no account number
        'WWW-Authenticate: Bearer error="invalid_token"',
        "password=[REDACTED] token: [REDACTED]",
    ],
)
def test_the_scanner_passes_ordinary_lines(message: str) -> None:
    assert _scan(_record(message)) == []


def test_registered_values_become_secrets_and_short_ones_are_ignored() -> None:
    register_secret("s3cret-value-of-a-test", "short", None)
    assert find_secrets("… s3cret-value-of-a-test …")
    assert find_secrets("a short line") == []


async def test_minted_tokens_and_hashed_passwords_are_registered_automatically(db: str) -> None:
    # given
    account = await UserAccount.create(
        email="staff@example.jp", display_name="職員", role="SECRETARIAT"
    )
    # when a session token is minted and a password is hashed
    token = await create_session(account, datetime.now(UTC))
    await hash_password("a fresh password of this test")
    # then both count as secrets for the rest of the test
    assert find_secrets(f"cookie value {token}")
    assert find_secrets("hashing a fresh password of this test")


@pytest.mark.parametrize(
    ("message", "logged"),
    [
        (
            "Variable '$input' has invalid value: Expected value of type 'LoginInput' not to"
            " include unknown field 'remember', found: {'password': 'correct horse'}.",
            "Variable '$input' has invalid value: Expected value of type 'LoginInput' not to"
            " include unknown field 'remember' …",
        ),
        (
            "Variable '$i' has invalid value: Expected value of type 'CaseAcceptInput' not to"
            " include unknown field 'idd'. Did you mean 'id'? Found: {'idd': '7654321'}.",
            "Variable '$i' has invalid value: Expected value of type 'CaseAcceptInput' not to"
            " include unknown field 'idd'. Did you mean 'id'? …",
        ),
        (
            "Variable '$x' has invalid value at .bankAccount.accountNumber: String cannot"
            " represent a non string value: 7654321",
            "Variable '$x' has invalid value at .bankAccount.accountNumber: String cannot"
            " represent a non string value: …",
        ),
        ("Expected value of type 'String!', found 7654321.", "Expected value of type 'String!' …"),
        ('Value cannot represent a Date: "hunter22".', "Value cannot represent a Date: …"),
        (
            "Variable '$f' has invalid value at .statuses[0]: Value 'hunter22' does not exist",
            "Variable '$f' has invalid value at .statuses[0]: …",
        ),
        (
            "IDの形式が正しくありません。 (malformed ID)",
            "IDの形式が正しくありません。 (malformed ID)",
        ),
        (
            "Cannot query field 'nope' on type 'Query'.",
            "Cannot query field 'nope' on type 'Query'.",
        ),
    ],
)
def test_expected_errors_are_logged_without_the_values_graphql_core_echoes(
    message: str, logged: str
) -> None:
    assert loggable_message(message) == logged


# ---------------------------------------------------------------- the real app


def _bearer(world: World, principal: Principal) -> dict[str, str]:
    assert principal.account_id is not None and principal.role is not None
    token, _ = issue_access_token(
        principal.account_id, principal.role, datetime.now(UTC), current_settings()
    )
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def http(db: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(current_settings(), init_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _post(
    http: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    body: dict[str, Any] = response.json()
    return body


LOGIN = """
mutation ($input: LoginInput!) { login(input: $input) { accessToken userErrors { code } } }
"""
APPLY = """
mutation ($input: SpecialistApplyInput!) { specialistApply(input: $input) { userErrors { code } } }
"""
PROFILE = """
mutation ($input: SpecialistProfileUpdateInput!) {
  specialistProfileUpdate(input: $input) { userErrors { field code } }
}
"""
BANK = {
    "bankCode": "0001",
    "bankName": "みずほ銀行",
    "branchCode": "001",
    "branchName": "東京営業部",
    "accountType": "ORDINARY",
    "accountNumber": ACCOUNT_NUMBER,
    "holderKana": "yamada taro",  # not katakana: refused
}


async def test_failing_requests_carrying_passwords_and_account_numbers_leave_no_trace(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given every logger at DEBUG, SQL statements with their parameters included
    caplog.set_level(logging.DEBUG)
    world = await build_world()
    s1 = _bearer(world, world.specialist_s1_user)
    login = {"email": "nobody@example.jp", "password": PASSWORD, "client": "MOBILE"}
    applicant = {
        "email": "new@example.jp",
        "password": PASSWORD,
        "name": "新人",
        "nameKana": "シンジン",
    }
    # when the requests fail: wrong credentials, unknown input fields (graphql-core echoes the
    # whole input object in its message), a refused bank account, a refused token
    replies = [
        await _post(http, LOGIN, input=login),
        await _post(http, LOGIN, input={**login, "remember": True}),
        await _post(http, LOGIN, input={k: v for k, v in login.items() if k != "email"}),
        await _post(http, APPLY, input={**applicant, "nickname": "x"}),
        await _post(http, PROFILE, s1, input={"bankAccount": BANK}),
        await _post(http, PROFILE, s1, input={"bankAccount": {**BANK, "iban": "DE00"}}),
        await _post(http, PROFILE, s1, input={"bankAccount": {**BANK, "accountNumber": 7654321}}),
        await _post(http, "{ viewer { role } }", {"authorization": f"Bearer {JWT}"}),
    ]
    # then every request was refused
    for reply in replies:
        assert reply.get("errors") or _user_errors(reply), reply
    # and no log record carries a password, an account number or a token
    leaks = [(r.name, find_secrets(record_text(r))) for r in caplog.records]
    assert [leak for leak in leaks if leak[1]] == []
    assert any(r.name == "haken.graphql" for r in caplog.records), "the errors must be logged"


def _user_errors(reply: dict[str, Any]) -> list[Any]:
    return [e for payload in (reply.get("data") or {}).values() for e in payload["userErrors"]]


CASE_ACCEPT = """
mutation ($input: CaseAcceptInput!) { caseAccept(input: $input) { userErrors { code } } }
"""


async def test_expected_errors_are_not_logged_as_errors(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.INFO)
    world = await build_world()
    s1 = _bearer(world, world.specialist_s1_user)
    missing_case = to_global_id("DispatchCase", 999_999)
    # when requests fail in every expected way
    replies = {
        "UNAUTHENTICATED": await _post(http, "{ cases { totalCount } }"),
        "FORBIDDEN": await _post(http, "{ outboxMessages { totalCount } }", s1),
        "BAD_USER_INPUT": await _post(
            http,
            "query ($f: CaseFilter) { cases(filter: $f) { totalCount } }",
            s1,
            f={"companyId": "abc"},
        ),
        "syntax": await _post(http, "{ cases { ", s1),
        "validation": await _post(http, "{ cases { nope } }", s1),
        "NOT_FOUND userError": await _post(
            http, CASE_ACCEPT, s1, input={"id": missing_case, "version": 1, "position": 1}
        ),
        "STALE_VERSION userError": await _post(
            http,
            CASE_ACCEPT,
            s1,
            input={
                "id": to_global_id("DispatchCase", world.case_s1_c2_r1),
                "version": 99,
                "position": 1,
            },
        ),
    }
    not_found = await _subscribe_missing_case(world.specialist_s1_user)
    # then each was refused as expected
    codes = {
        name: [e["extensions"]["code"] for e in reply.get("errors", [])] or _user_errors(reply)
        for name, reply in replies.items()
    }
    assert codes["UNAUTHENTICATED"] == ["UNAUTHENTICATED"]
    assert codes["FORBIDDEN"] == ["FORBIDDEN"]
    assert codes["BAD_USER_INPUT"] == ["BAD_USER_INPUT"]
    assert codes["syntax"] == codes["validation"] == ["BAD_USER_INPUT"]
    assert codes["NOT_FOUND userError"] == [{"code": "NOT_FOUND"}]
    assert codes["STALE_VERSION userError"] == [{"code": "STALE_VERSION"}]
    assert not_found == ["NOT_FOUND"]
    # and nothing was logged at ERROR, nor with a traceback
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    graphql = [r for r in caplog.records if r.name == "haken.graphql"]
    assert len(graphql) >= 6
    assert {r.levelno for r in graphql} == {logging.INFO}


async def _subscribe_missing_case(principal: Principal) -> list[str]:
    schema = build_schema(current_settings())
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    stream = await schema.subscribe(
        "subscription ($id: ID!) { caseUpdated(id: $id) { version } }",
        variable_values={"id": to_global_id("DispatchCase", 999_999)},
        context_value=context,
    )
    assert not isinstance(stream, type(None))
    result = await anext(stream)  # type: ignore[arg-type]
    await stream.aclose()  # type: ignore[union-attr]
    return [e.extensions["code"] for e in result.errors or []]
