"""Sign-in use cases against the real database: replies, lockout, rotation, audit, logs (S12, S13,
S29, S36)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from auth.jwt import decode_access_token
from auth.passwords import hash_password_sync, needs_rehash
from auth.principal import ANONYMOUS
from auth.sessions import resolve_session
from models.accounts import RefreshToken, UserAccount
from models.audit import AuditEvent
from models.rules.errors import DomainError, ErrorCode, ValidationErrors
from models.rules.roles import Role
from models.settings import current_settings
from resolvers.auth import (
    AccountLocked,
    InvalidCredentials,
    InvalidRefreshToken,
    login,
    logout,
    refresh,
)
from tests.factories import make_account

NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
_HASH = hash_password_sync(PASSWORD)


async def _account(**kw: object) -> UserAccount:
    return await make_account(Role.SECRETARIAT, password_hash=_HASH, **kw)


async def _actions() -> list[str]:
    return [e.action for e in await AuditEvent.all().order_by("id")]


async def _fail(email: str, password: str = "wrong password", now: datetime = NOW) -> DomainError:
    with pytest.raises(DomainError) as refused:
        await login(email, password, client="BROWSER", now=now, request_id="req-1")
    return refused.value


async def test_browser_login_opens_a_session_and_resets_the_counter(db: str) -> None:
    # given
    account = await _account(failed_logins=3)
    # when
    result = await login(
        account.email, PASSWORD, client="BROWSER", now=NOW, user_agent="UA", request_id="req-9"
    )
    # then
    assert result.session_token is not None
    assert result.access_token is None and result.refresh_token is None
    assert result.principal.account_id == account.id and result.principal.role is Role.SECRETARIAT
    session = await resolve_session(result.session_token, NOW)
    assert session is not None and session.account.id == account.id and session.user_agent == "UA"
    stored = await UserAccount.get(id=account.id)
    assert stored.failed_logins == 0 and stored.last_login_at == NOW
    event = await AuditEvent.get(action="authn_login_success")
    assert event.actor_id == account.id and event.actor_role == "SECRETARIAT"  # type: ignore[attr-defined]
    assert event.outcome == "success" and event.request_id == "req-9"
    assert event.target_type == "UserAccount" and event.target_id == str(account.id)


async def test_email_matches_case_insensitively(db: str) -> None:
    account = await _account(email="staff@example.jp")
    result = await login(" Staff@Example.JP ", PASSWORD, client="BROWSER", now=NOW)
    assert result.account.id == account.id


async def test_mobile_login_returns_a_token_pair_that_rotates(db: str) -> None:
    # given
    account = await _account()
    # when
    result = await login(account.email, PASSWORD, client="MOBILE", now=NOW)
    # then
    assert result.session_token is None
    assert result.access_token is not None and result.refresh_token is not None
    claims = decode_access_token(result.access_token, NOW, current_settings())
    assert claims["sub"] == str(account.id) and claims["role"] == "SECRETARIAT"
    assert result.access_expires_at == NOW + timedelta(
        seconds=current_settings().access_token_seconds
    )
    later = NOW + timedelta(minutes=20)
    renewed = await refresh(result.refresh_token, later, request_id="req-2")
    assert renewed.refresh_token not in {None, result.refresh_token}
    assert renewed.access_token is not None
    assert decode_access_token(renewed.access_token, later, current_settings())["sub"] == str(
        account.id
    )
    assert await _actions() == ["authn_login_success", "authn_token_refreshed"]


async def test_unknown_email_and_wrong_password_get_the_identical_reply(db: str) -> None:
    # given
    account = await _account()
    # when
    unknown = await _fail("nobody@example.jp")
    wrong = await _fail(account.email)
    # then
    assert type(unknown) is type(wrong) is InvalidCredentials
    assert unknown.errors == wrong.errors
    assert unknown.code is ErrorCode.INVALID_CREDENTIALS
    assert unknown.message == "メールアドレスまたはパスワードが正しくありません。"
    events = await AuditEvent.all().order_by("id")
    assert [(e.action, e.outcome) for e in events] == [("authn_login_fail", "failure")] * 2
    assert events[0].actor_id is None and events[0].detail == {"reason": "unknown_account"}  # type: ignore[attr-defined]
    assert events[1].actor_id == account.id and events[1].detail == {"reason": "password"}  # type: ignore[attr-defined]
    assert (await UserAccount.get(id=account.id)).failed_logins == 1


async def test_deactivated_account_gets_the_same_reply_and_no_count(db: str) -> None:
    account = await _account(is_active=False)
    error = await _fail(account.email, PASSWORD)
    assert isinstance(error, InvalidCredentials)
    assert (await UserAccount.get(id=account.id)).failed_logins == 0


async def test_lockout_after_max_failures_refuses_even_the_right_password(db: str) -> None:
    # given
    settings = current_settings()
    account = await _account()
    # when: max-1 failures are plain failures, the max-th locks the account
    for _ in range(settings.login_max_failures - 1):
        assert isinstance(await _fail(account.email), InvalidCredentials)
    locking = await _fail(account.email)
    right = await _fail(account.email, PASSWORD, NOW + timedelta(seconds=60))
    # then
    assert isinstance(locking, AccountLocked) and isinstance(right, AccountLocked)
    assert right.code is ErrorCode.ACCOUNT_LOCKED
    assert right.message == "アカウントがロックされています。しばらくしてから再度お試しください。"
    stored = await UserAccount.get(id=account.id)
    assert stored.failed_logins == settings.login_max_failures
    assert stored.locked_until == NOW + timedelta(seconds=settings.lockout_seconds)
    actions = await _actions()
    assert actions.count("authn_login_fail") == settings.login_max_failures
    assert actions[-3:] == ["authn_login_fail_max", "authn_login_lock", "authn_login_locked"]


async def test_expired_lockout_lets_the_right_password_in_and_resets(db: str) -> None:
    # given
    until = NOW - timedelta(seconds=1)
    account = await _account(failed_logins=5, locked_until=until)
    # when
    result = await login(account.email, PASSWORD, client="BROWSER", now=NOW)
    # then
    stored = await UserAccount.get(id=account.id)
    assert result.account.id == account.id
    assert stored.failed_logins == 0 and stored.locked_until is None


async def test_expired_lockout_starts_a_fresh_count(db: str) -> None:
    account = await _account(failed_logins=5, locked_until=NOW - timedelta(seconds=1))
    assert isinstance(await _fail(account.email), InvalidCredentials)
    stored = await UserAccount.get(id=account.id)
    assert stored.failed_logins == 1 and stored.locked_until is None


async def test_concurrent_failed_logins_are_counted_exactly(db: str) -> None:
    # given
    account = await _account()
    attempts = current_settings().login_max_failures - 1
    # when
    outcomes = await asyncio.gather(
        *(login(account.email, "wrong", client="MOBILE", now=NOW) for _ in range(attempts)),
        return_exceptions=True,
    )
    # then
    assert all(isinstance(o, InvalidCredentials) for o in outcomes)
    stored = await UserAccount.get(id=account.id)
    assert stored.failed_logins == attempts and stored.locked_until is None


async def test_concurrent_failures_reaching_the_limit_lock_exactly_once(db: str) -> None:
    # given
    account = await _account()
    attempts = current_settings().login_max_failures
    # when
    outcomes = await asyncio.gather(
        *(login(account.email, "wrong", client="BROWSER", now=NOW) for _ in range(attempts)),
        return_exceptions=True,
    )
    # then: one failure locked the account; an attempt that arrived after it was refused uncounted
    actions = await _actions()
    refused_while_locked = actions.count("authn_login_locked")
    stored = await UserAccount.get(id=account.id)
    assert actions.count("authn_login_lock") == 1 and stored.locked_until is not None
    assert (
        stored.failed_logins == actions.count("authn_login_fail") == attempts - refused_while_locked
    )
    assert sum(isinstance(o, AccountLocked) for o in outcomes) == 1 + refused_while_locked
    assert (
        sum(isinstance(o, InvalidCredentials) for o in outcomes)
        == attempts - 1 - refused_while_locked
    )


@pytest.mark.parametrize(
    ("email", "password", "code", "field"),
    [
        ("a" * 250 + "@x.jp", PASSWORD, ErrorCode.TOO_LONG, "email"),
        ("staff@example.jp", "p" * 257, ErrorCode.TOO_LONG, "password"),
        ("  ", PASSWORD, ErrorCode.REQUIRED, "email"),
        ("staff@example.jp", "", ErrorCode.REQUIRED, "password"),
    ],
)
async def test_input_limits_are_checked_before_any_lookup(
    db: str, email: str, password: str, code: ErrorCode, field: str
) -> None:
    with pytest.raises(ValidationErrors) as refused:
        await login(email, password, client="BROWSER", now=NOW)
    assert [(e.code, e.field) for e in refused.value.errors] == [(code, ("input", field))]
    assert await AuditEvent.all().count() == 0


async def test_a_weaker_hash_is_replaced_on_successful_login(db: str) -> None:
    # given
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    account = await make_account(Role.SECRETARIAT, password_hash=weak)
    # when
    await login(account.email, PASSWORD, client="BROWSER", now=NOW)
    # then
    stored = (await UserAccount.get(id=account.id)).password_hash
    assert stored != weak and stored.startswith("$argon2id$v=19$")
    assert not needs_rehash(stored)


async def test_reused_refresh_token_fails_and_revokes_the_family(db: str) -> None:
    # given
    account = await _account()
    first = (await login(account.email, PASSWORD, client="MOBILE", now=NOW)).refresh_token
    assert first is not None
    second = (await refresh(first, NOW)).refresh_token
    assert second is not None
    # when
    with pytest.raises(InvalidRefreshToken) as reused:
        await refresh(first, NOW + timedelta(minutes=1))
    # then
    assert reused.value.code is ErrorCode.INVALID_TOKEN
    with pytest.raises(InvalidRefreshToken):
        await refresh(second, NOW + timedelta(minutes=2))
    actions = await _actions()
    assert actions[-2:] == ["authn_refresh_reuse", "authn_token_refresh_fail"]
    event = await AuditEvent.get(action="authn_refresh_reuse")
    assert event.actor_id == account.id and event.outcome == "failure"  # type: ignore[attr-defined]


async def test_logout_ends_the_session_and_the_refresh_family(db: str) -> None:
    # given
    account = await _account()
    browser = await login(account.email, PASSWORD, client="BROWSER", now=NOW)
    mobile = await login(account.email, PASSWORD, client="MOBILE", now=NOW)
    assert browser.session_token is not None and mobile.refresh_token is not None
    # when
    await logout(browser.principal, browser.session_token, None, NOW, request_id="r")
    await logout(ANONYMOUS, None, mobile.refresh_token, NOW)
    # then
    assert await resolve_session(browser.session_token, NOW) is None
    assert await RefreshToken.filter(revoked_at__isnull=True).count() == 0
    with pytest.raises(InvalidRefreshToken):
        await refresh(mobile.refresh_token, NOW)
    logouts = await AuditEvent.filter(action="authn_logout").order_by("id")
    assert [e.actor_id for e in logouts] == [account.id, account.id]  # type: ignore[attr-defined]


async def test_no_password_or_token_reaches_any_log_record(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given: every logger at DEBUG, SQL statements with their parameters included
    caplog.set_level(logging.DEBUG)
    account = await _account()
    wrong = "wrong-Secret-123"
    # when
    await _fail(account.email, wrong)
    await _fail("nobody@example.jp", wrong)
    browser = await login(account.email, PASSWORD, client="BROWSER", now=NOW)
    mobile = await login(account.email, PASSWORD, client="MOBILE", now=NOW)
    assert mobile.refresh_token is not None
    renewed = await refresh(mobile.refresh_token, NOW)
    with pytest.raises(InvalidRefreshToken):
        await refresh(mobile.refresh_token, NOW)
    # then
    secrets = [
        PASSWORD,
        wrong,
        browser.session_token,
        mobile.access_token,
        mobile.refresh_token,
        renewed.access_token,
        renewed.refresh_token,
    ]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "the capture must see the SQL log to prove anything"
    leaked = [s for s in secrets if s and s in text]
    assert leaked == []
    details = " ".join(str(e.detail) for e in await AuditEvent.all())
    assert not [s for s in secrets if s and s in details]
