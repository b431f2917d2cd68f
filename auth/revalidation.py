"""Is a credential resolved earlier still good? (long-lived WebSockets, security.md §6).

A socket authenticates once in ``connection_init``; the server re-checks its principal
periodically and closes the socket once the credential has expired, the session was revoked
(logout) or the account was deactivated (OWASP WebSocket cheat sheet, session management).
"""

from __future__ import annotations

from datetime import datetime

from auth.principal import Principal
from models.accounts import Session, UserAccount


def credential_expired(principal: Principal, now: datetime) -> bool:
    return principal.expires_at is not None and now.timestamp() >= principal.expires_at


async def principal_still_valid(principal: Principal, now: datetime) -> bool:
    """False once the credential expired, its session was revoked or its account deactivated
    (a password change after a bearer token was issued ends it at its expiry, ≤ 15 minutes)."""
    if not principal.authenticated or principal.account_id is None:
        return False
    if credential_expired(principal, now):
        return False
    if not await UserAccount.exists(id=principal.account_id, is_active=True):
        return False
    if principal.session_id is not None:
        return await Session.exists(
            id=principal.session_id, revoked_at__isnull=True, expires_at__gt=now
        )
    return True
