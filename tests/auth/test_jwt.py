"""Access tokens: a forgery table (security-tests.md S9) and bearer authentication before any SQL."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from auth.authenticate import AuthenticationFailed, authenticate
from auth.jwt import InvalidToken, _signing_key, decode_access_token, issue_access_token
from models.rules.roles import Role
from models.settings import Settings, current_settings
from tests.factories import make_account

NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**changes: Any) -> dict[str, Any]:
    issued = int(NOW.timestamp())
    claims: dict[str, Any] = {
        "iss": current_settings().jwt_issuer,
        "aud": current_settings().jwt_audience,
        "sub": "1",
        "iat": issued,
        "nbf": issued,
        "exp": issued + 900,
        "jti": "abc",
        "role": "SECRETARIAT",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(claims: dict[str, Any], *, typ: str = "at+jwt", alg: str = "HS256") -> str:
    header = {"alg": alg, "typ": typ}
    return jwt.encode(header, claims, _signing_key(current_settings()), algorithms=[alg])


def _alg_none() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(_claims())}."


def _other_key() -> str:
    other = OctKey.import_key(b"another-key-of-thirty-two-bytes!")
    return jwt.encode({"alg": "HS256", "typ": "at+jwt"}, _claims(), other, algorithms=["HS256"])


def _tampered() -> str:
    header, _, signature = _signed(_claims(role="SPECIALIST")).split(".")
    return f"{header}.{_b64(_claims(role='SECRETARIAT', sub='2'))}.{signature}"


def _issued_by(**settings_changes: Any) -> str:
    settings = replace(current_settings(), **settings_changes)
    return issue_access_token(1, "SECRETARIAT", NOW, settings)[0]


FORGERIES: dict[str, Callable[[], str]] = {
    "alg none": _alg_none,
    "HS256 with another key": _other_key,
    "HS512 (not allow-listed)": lambda: _signed(_claims(), alg="HS512"),
    "expired": lambda: issue_access_token(1, "X", NOW - timedelta(hours=1), current_settings())[0],
    "nbf in the future": lambda: _signed(_claims(nbf=int(NOW.timestamp()) + 60)),
    "iat in the future": lambda: _signed(_claims(iat=int(NOW.timestamp()) + 60)),
    "wrong iss": lambda: _issued_by(jwt_issuer="someone-else"),
    "wrong aud": lambda: _issued_by(jwt_audience="another-api"),
    "other secret": lambda: _issued_by(secret_key="x" * 48),
    "tampered payload": _tampered,
    "missing jti": lambda: _signed(_claims(jti=None)),
    "missing sub": lambda: _signed(_claims(sub=None)),
    "missing exp": lambda: _signed(_claims(exp=None)),
    "missing role": lambda: _signed(_claims(role=None)),
    "non-numeric sub": lambda: _signed(_claims(sub="admin")),
    "longer-lived than issued": lambda: _signed(_claims(exp=int(NOW.timestamp()) + 10**9)),
    "fractional exp": lambda: _signed(_claims(exp=int(NOW.timestamp()) + 60.5)),
    "ID token (typ JWT)": lambda: _signed(_claims(), typ="JWT"),
    "garbage": lambda: "not-a-token",
    "three empty segments": lambda: "..",
    "oversized": lambda: "a." + "b" * 5000 + ".c",
}


def test_issued_token_round_trips_with_every_claim() -> None:
    # given
    settings = current_settings()
    # when
    token, expires_at = issue_access_token(42, "COMPANY", NOW, settings)
    claims = decode_access_token(token, NOW + timedelta(seconds=60), settings)
    # then
    assert claims["sub"] == "42" and claims["role"] == "COMPANY"
    assert claims["iss"] == settings.jwt_issuer and claims["aud"] == settings.jwt_audience
    assert claims["exp"] - claims["iat"] == settings.access_token_seconds
    assert claims["jti"] and claims["nbf"] == claims["iat"]
    assert expires_at == NOW + timedelta(seconds=settings.access_token_seconds)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "at+jwt"}


def test_each_token_has_its_own_jti() -> None:
    first = decode_access_token(
        issue_access_token(1, "X", NOW, current_settings())[0], NOW, current_settings()
    )
    second = decode_access_token(
        issue_access_token(1, "X", NOW, current_settings())[0], NOW, current_settings()
    )
    assert first["jti"] != second["jti"]


def test_a_token_expires_exactly_at_exp() -> None:
    token, expires_at = issue_access_token(1, "X", NOW, current_settings())
    decode_access_token(token, expires_at - timedelta(seconds=1), current_settings())
    with pytest.raises(InvalidToken):
        decode_access_token(token, expires_at, current_settings())


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forged_or_invalid_token_is_rejected(name: str) -> None:
    # given
    token = FORGERIES[name]()
    # when / then
    with pytest.raises(InvalidToken):
        decode_access_token(token, NOW, current_settings())


def test_settings_with_another_issuer_accept_only_their_own_tokens() -> None:
    other: Settings = replace(current_settings(), jwt_issuer="someone-else")
    token = _issued_by(jwt_issuer="someone-else")
    assert decode_access_token(token, NOW, other)["iss"] == "someone-else"


def test_no_module_decodes_a_jwt_without_validating_its_claims() -> None:
    # joserfc.jwt.decode checks the signature only (security-tests.md finding 10).
    offenders = []
    for package in ("auth", "resolvers", "schema", "server"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "jwt.decode(" in text and "JWTClaimsRegistry" not in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("name", ["alg none", "expired", "wrong aud", "tampered payload"])
async def test_bearer_forgery_is_refused_before_any_sql(
    db: str, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    # given
    token = FORGERIES[name]()
    caplog.set_level(logging.DEBUG, logger="tortoise.db_client")
    # when
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticate({"Authorization": f"Bearer {token}"}, {}, method="POST", now=NOW)
    # then
    assert refused.value.status == 401
    assert refused.value.www_authenticate == 'Bearer error="invalid_token"'
    assert [r for r in caplog.records if r.name == "tortoise.db_client"] == []


@pytest.mark.parametrize(
    "authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc", ""]
)
async def test_other_authorization_schemes_are_refused(authorization: str) -> None:
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticate({"authorization": authorization}, {}, method="POST", now=NOW)
    assert refused.value.www_authenticate == 'Bearer error="invalid_token"'


async def test_valid_bearer_token_yields_the_accounts_principal(db: str) -> None:
    # given
    account = await make_account(Role.SECRETARIAT)
    token, expires_at = issue_access_token(account.id, "SECRETARIAT", NOW, current_settings())
    # when
    principal = await authenticate({"Authorization": f"Bearer {token}"}, {}, method="GET", now=NOW)
    # then
    assert principal.account_id == account.id and principal.role is Role.SECRETARIAT
    assert principal.auth_method == "jwt" and principal.is_national_secretariat
    assert principal.expires_at == expires_at.timestamp()


async def test_bearer_token_of_a_deactivated_or_deleted_account_is_refused(db: str) -> None:
    # given
    inactive = await make_account(Role.SECRETARIAT, is_active=False)
    tokens = [
        issue_access_token(inactive.id, "SECRETARIAT", NOW, current_settings())[0],
        issue_access_token(999_999, "SECRETARIAT", NOW, current_settings())[0],
    ]
    # when / then
    for token in tokens:
        with pytest.raises(AuthenticationFailed):
            await authenticate({"authorization": f"Bearer {token}"}, {}, method="POST", now=NOW)


async def test_bearer_token_issued_before_a_password_change_is_refused(db: str) -> None:
    # given
    account = await make_account(Role.SECRETARIAT, password_changed_at=NOW)
    token = issue_access_token(
        account.id, "SECRETARIAT", NOW - timedelta(minutes=1), current_settings()
    )[0]
    # when / then
    with pytest.raises(AuthenticationFailed):
        await authenticate({"authorization": f"Bearer {token}"}, {}, method="POST", now=NOW)


async def test_bearer_wins_over_a_session_cookie() -> None:
    # given: a forged bearer token next to some cookie; no database needed for the refusal
    cookies = {"haken_session": "anything"}
    headers = {"authorization": f"Bearer {_alg_none()}", "content-type": "application/json"}
    # when / then
    with pytest.raises(AuthenticationFailed):
        await authenticate(headers, cookies, method="POST", now=NOW)
