"""Browser sessions and rotating refresh tokens: opaque random values, only their SHA-256 stored.

A refresh token is single use. Presenting one that was already used means two parties hold the
same family — the legitimate client and a thief — so the whole family is revoked and both must
sign in again (OAuth 2.0 Security BCP, refresh token rotation). Call :func:`rotate_refresh_token`
outside any transaction of yours: the family revocation must commit although the call fails.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from models.accounts import RefreshToken, Session, UserAccount
from models.settings import current_settings

_MAX_TOKEN_LENGTH = 128


class RefreshTokenRejected(Exception):
    """The refresh token is unknown, expired, revoked or was used before (``reused``).

    ``account_id`` is known when the token matched a row (for the audit trail).
    """

    def __init__(self, reason: str, *, account_id: int | None = None, reused: bool = False) -> None:
        self.reason = reason
        self.account_id = account_id
        self.reused = reused
        super().__init__(reason)


def token_hash(token: str) -> str:
    """The stored form of an opaque token: hex SHA-256 (the token has 256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _usable(token: str) -> bool:
    return 0 < len(token) <= _MAX_TOKEN_LENGTH


async def create_session(account: UserAccount, now: datetime, user_agent: str = "") -> str:
    """Start a browser session; returns the cookie value (never stored)."""
    token = _new_token()
    await Session.create(
        token_hash=token_hash(token),
        account_id=account.id,
        expires_at=now + timedelta(seconds=current_settings().session_seconds),
        user_agent=user_agent[:255],
    )
    return token


async def resolve_session(token: str, now: datetime) -> Session | None:
    """The live session for a cookie value, with its account loaded; ``None`` if there is none."""
    if not _usable(token):
        return None
    return (
        await Session.filter(
            token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=now
        )
        .select_related("account", "account__organization")
        .first()
    )


async def revoke_session(token: str, now: datetime) -> bool:
    """End the session of a cookie value; ``True`` when a live session was ended."""
    if not _usable(token):
        return False
    ended = await Session.filter(token_hash=token_hash(token), revoked_at__isnull=True).update(
        revoked_at=now
    )
    return ended > 0


async def revoke_session_by_id(session_id: int, now: datetime) -> bool:
    ended = await Session.filter(id=session_id, revoked_at__isnull=True).update(revoked_at=now)
    return ended > 0


async def revoke_account_credentials(account_id: int, now: datetime) -> None:
    """End every session and refresh token of an account (password change, deactivation)."""
    await Session.filter(account_id=account_id, revoked_at__isnull=True).update(revoked_at=now)
    await RefreshToken.filter(account_id=account_id, revoked_at__isnull=True).update(revoked_at=now)


async def create_refresh_token(
    account: UserAccount, now: datetime, family: str | None = None
) -> str:
    """Issue a refresh token, in a new family unless ``family`` continues a rotation."""
    token = _new_token()
    await RefreshToken.create(
        token_hash=token_hash(token),
        family=family or secrets.token_hex(16),
        account_id=account.id,
        expires_at=now + timedelta(seconds=current_settings().refresh_token_seconds),
    )
    return token


async def revoke_refresh_family(token: str, now: datetime) -> int | None:
    """Revoke the family of a refresh token (logout); returns its account id when it matched."""
    if not _usable(token):
        return None
    row = await RefreshToken.get_or_none(token_hash=token_hash(token))
    if row is None:
        return None
    await _revoke_family(row.family, now)
    return row.account_id  # type: ignore[attr-defined]


async def _revoke_family(family: str, now: datetime) -> None:
    await RefreshToken.filter(family=family, revoked_at__isnull=True).update(revoked_at=now)


async def rotate_refresh_token(token: str, now: datetime) -> tuple[UserAccount, str]:
    """Spend ``token`` and return its account with the next token of the same family."""
    if not _usable(token):
        raise RefreshTokenRejected("malformed")
    row = (
        await RefreshToken.filter(token_hash=token_hash(token))
        .select_related("account", "account__organization")
        .first()
    )
    if row is None:
        raise RefreshTokenRejected("unknown")
    account: UserAccount = row.account
    if row.revoked_at is not None:
        raise RefreshTokenRejected("revoked", account_id=account.id)
    if row.used_at is not None:
        await _revoke_family(row.family, now)
        raise RefreshTokenRejected("reused", account_id=account.id, reused=True)
    if row.expires_at <= now:
        raise RefreshTokenRejected("expired", account_id=account.id)
    if not account.is_active:
        await _revoke_family(row.family, now)
        raise RefreshTokenRejected("inactive", account_id=account.id)
    async with in_transaction():
        # Compare-and-set: of two concurrent presentations exactly one spends the token.
        spent = await RefreshToken.filter(
            id=row.id, used_at__isnull=True, revoked_at__isnull=True
        ).update(used_at=now)
        successor = await create_refresh_token(account, now, row.family) if spent else None
    if successor is None:
        await _revoke_family(row.family, now)
        raise RefreshTokenRejected("reused", account_id=account.id, reused=True)
    return account, successor
