"""Browser sessions, rotating refresh tokens and cookie authentication (CSRF signal, S27)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from auth.authenticate import (
    SESSION_COOKIE,
    WEBSOCKET,
    AuthenticationFailed,
    authenticate,
    principal_for_account,
)
from auth.principal import ANONYMOUS
from auth.sessions import (
    RefreshTokenRejected,
    create_refresh_token,
    create_session,
    resolve_session,
    revoke_session,
    rotate_refresh_token,
)
from models.accounts import RefreshToken, Session, UserAccount
from models.rules.roles import PlatformScope, Role
from models.settings import current_settings
from tests.factories import (
    make_account,
    make_office,
    make_organization,
    make_platform,
    make_prefecture,
    make_specialist,
)

NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
JSON = {"content-type": "application/json"}


async def _secretariat() -> UserAccount:
    return await make_account(Role.SECRETARIAT)


async def test_a_session_stores_only_the_hash_of_its_token(db: str) -> None:
    # given
    account = await _secretariat()
    # when
    token = await create_session(account, NOW, "Mozilla/5.0")
    # then
    row = await Session.get(account_id=account.id)
    assert len(token) >= 43
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.user_agent}
    assert row.expires_at == NOW + timedelta(seconds=current_settings().session_seconds)


async def test_a_session_resolves_until_it_expires_or_is_revoked(db: str) -> None:
    # given
    account = await _secretariat()
    token = await create_session(account, NOW)
    end = NOW + timedelta(seconds=current_settings().session_seconds)
    # when / then
    live = await resolve_session(token, NOW + timedelta(minutes=5))
    assert live is not None and live.account.id == account.id
    assert await resolve_session(token, end) is None
    assert await resolve_session("x" + token, NOW) is None
    assert await revoke_session(token, NOW) is True
    assert await resolve_session(token, NOW) is None
    assert await revoke_session(token, NOW) is False


async def test_refresh_rotation_issues_a_successor_and_spends_the_token(db: str) -> None:
    # given
    account = await _secretariat()
    first = await create_refresh_token(account, NOW)
    # when
    owner, second = await rotate_refresh_token(first, NOW + timedelta(minutes=10))
    # then
    assert owner.id == account.id and second != first
    rows = await RefreshToken.filter(account_id=account.id).order_by("id")
    assert len(rows) == 2 and rows[0].family == rows[1].family
    assert rows[0].used_at is not None and rows[1].used_at is None
    assert all(r.token_hash not in {first, second} for r in rows)
    owner, third = await rotate_refresh_token(second, NOW + timedelta(minutes=20))
    assert owner.id == account.id and third not in {first, second}


async def test_reusing_a_spent_refresh_token_revokes_its_whole_family(db: str) -> None:
    # given: a token that was rotated once (second is the live successor)
    account = await _secretariat()
    first = await create_refresh_token(account, NOW)
    _, second = await rotate_refresh_token(first, NOW)
    other_family = await create_refresh_token(account, NOW)
    # when: the spent token is presented again (by a thief or the victim)
    with pytest.raises(RefreshTokenRejected) as reused:
        await rotate_refresh_token(first, NOW + timedelta(minutes=1))
    # then: it fails, and so does the successor; other families are untouched
    assert reused.value.reused and reused.value.account_id == account.id
    with pytest.raises(RefreshTokenRejected) as revoked:
        await rotate_refresh_token(second, NOW + timedelta(minutes=2))
    assert revoked.value.reason == "revoked"
    family = (await RefreshToken.get(token_hash=hashlib.sha256(second.encode()).hexdigest())).family
    assert await RefreshToken.filter(family=family, revoked_at__isnull=True).count() == 0
    assert (await rotate_refresh_token(other_family, NOW))[0].id == account.id


async def test_concurrent_presentations_of_one_refresh_token_have_one_winner(db: str) -> None:
    # given
    account = await _secretariat()
    token = await create_refresh_token(account, NOW)
    # when
    outcomes = await asyncio.gather(
        rotate_refresh_token(token, NOW), rotate_refresh_token(token, NOW), return_exceptions=True
    )
    # then: one rotation, one reuse, and the reuse revoked the winner's successor too
    winners = [o for o in outcomes if isinstance(o, tuple)]
    losers = [o for o in outcomes if isinstance(o, RefreshTokenRejected)]
    assert len(winners) == 1 and len(losers) == 1 and losers[0].reused
    with pytest.raises(RefreshTokenRejected):
        await rotate_refresh_token(winners[0][1], NOW)


@pytest.mark.parametrize("case", ["expired", "revoked", "unknown", "inactive", "malformed"])
async def test_unusable_refresh_tokens_are_rejected(db: str, case: str) -> None:
    # given
    account = await _secretariat()
    token = await create_refresh_token(account, NOW)
    when = NOW
    if case == "expired":
        when = NOW + timedelta(seconds=current_settings().refresh_token_seconds)
    elif case == "revoked":
        await RefreshToken.all().update(revoked_at=NOW)
    elif case == "unknown":
        token = token[:-2] + "zz"
    elif case == "inactive":
        await UserAccount.filter(id=account.id).update(is_active=False)
    else:
        token = "x" * 500
    # when / then
    with pytest.raises(RefreshTokenRejected) as rejected:
        await rotate_refresh_token(token, when)
    assert not rejected.value.reused
    assert await RefreshToken.filter(used_at__isnull=False).count() == 0


async def test_cookie_with_a_json_request_authenticates_the_session(db: str) -> None:
    # given
    account = await _secretariat()
    token = await create_session(account, NOW)
    # when
    principal = await authenticate(
        {"content-type": "application/json; charset=utf-8"},
        {SESSION_COOKIE: token},
        method="POST",
        now=NOW,
    )
    # then
    session = await Session.get(account_id=account.id)
    assert principal.account_id == account.id and principal.role is Role.SECRETARIAT
    assert principal.auth_method == "session" and principal.session_id == session.id
    assert principal.expires_at == session.expires_at.timestamp()


@pytest.mark.parametrize(
    "headers",
    [
        {"x-haken-csrf": "1"},
        {"X-Haken-CSRF": "1", "content-type": "text/plain"},
        {"content-type": "application/graphql-response+json"},
    ],
)
async def test_the_csrf_signal_may_be_the_header_or_a_json_type(
    db: str, headers: dict[str, str]
) -> None:
    account = await _secretariat()
    token = await create_session(account, NOW)
    principal = await authenticate(headers, {SESSION_COOKIE: token}, method="GET", now=NOW)
    assert principal.account_id == account.id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"x-haken-csrf": "0"},
    ],
)
async def test_cookie_without_the_csrf_signal_is_refused(headers: dict[str, str]) -> None:
    # when / then: refused before any lookup (no database in this test)
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticate(headers, {SESSION_COOKIE: "whatever"}, method="POST", now=NOW)
    assert refused.value.status == 403 and refused.value.code == "FORBIDDEN"


async def test_websocket_cookie_needs_no_csrf_header(db: str) -> None:
    account = await _secretariat()
    token = await create_session(account, NOW)
    principal = await authenticate({}, {SESSION_COOKIE: token}, method=WEBSOCKET, now=NOW)
    assert principal.account_id == account.id


async def test_stale_cookie_or_no_credentials_is_anonymous(db: str) -> None:
    # given
    inactive = await make_account(Role.SECRETARIAT, is_active=False)
    inactive_token = await create_session(inactive, NOW)
    # when / then
    assert await authenticate(JSON, {}, method="POST", now=NOW) is ANONYMOUS
    assert await authenticate(JSON, {SESSION_COOKIE: "gone"}, method="POST", now=NOW) is ANONYMOUS
    cookies = {SESSION_COOKIE: inactive_token}
    assert await authenticate(JSON, cookies, method="POST", now=NOW) is ANONYMOUS


async def test_principal_carries_the_organisation_and_its_platform(db: str) -> None:
    # given
    office = await make_office()
    prefecture = await make_prefecture(office, 13, "東京都")
    platform = await make_platform(prefecture)
    organization = await make_organization(prefecture, platform)
    account = await make_account(
        Role.PLATFORM, organization=organization, platform_scope=PlatformScope.PLATFORM
    )
    token = await create_session(account, NOW)
    # when
    principal = await authenticate(JSON, {SESSION_COOKIE: token}, method="POST", now=NOW)
    # then
    assert principal.organization_id == organization.id and principal.platform_id == platform.id
    assert principal.is_platform_coordinator and principal.display_name == account.display_name


async def test_principal_of_a_specialist_and_of_an_unjoined_account(db: str) -> None:
    # given
    office = await make_office()
    prefecture = await make_prefecture(office, 27, "大阪府")
    specialist = await make_specialist(prefecture)
    account = await make_account(Role.SPECIALIST, specialist=specialist)
    organization = await make_organization(prefecture, None)
    staff = await make_account(Role.PLATFORM, organization=organization)
    regional = await make_account(Role.SECRETARIAT, office=office)
    # when: accounts loaded without select_related still resolve the platform
    specialist_principal = await principal_for_account(account, auth_method="session")
    staff_principal = await principal_for_account(
        await UserAccount.get(id=staff.id), auth_method="jwt"
    )
    regional_principal = await principal_for_account(regional, auth_method="session")
    # then
    assert specialist_principal.specialist_id == specialist.id
    assert specialist_principal.role is Role.SPECIALIST
    assert staff_principal.organization_id == organization.id
    assert staff_principal.platform_id is None
    assert regional_principal.office_id == office.id
    assert not regional_principal.is_national_secretariat
