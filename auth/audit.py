"""Append-only security audit events (security.md §7, OWASP Logging Vocabulary).

One row per sensitive action: actor, role, action, outcome, target, request id, UTC time. The
``detail`` holds references and reasons only — never passwords, tokens, session values or bank
data; keys that look like such values are refused outright so a careless caller fails in tests
rather than leaking in production.
"""

from __future__ import annotations

import re
from typing import Any

from auth.principal import Principal
from models.audit import AuditEvent

# Authentication vocabulary (https://cheatsheetseries.owasp.org/cheatsheets/Logging_Vocabulary_Cheat_Sheet.html).
AUTHN_LOGIN_SUCCESS = "authn_login_success"
AUTHN_LOGIN_FAIL = "authn_login_fail"
AUTHN_LOGIN_FAIL_MAX = "authn_login_fail_max"  # the failure that reached the lockout threshold
AUTHN_LOGIN_LOCK = "authn_login_lock"  # the account was locked by that failure
AUTHN_LOGIN_LOCKED = "authn_login_locked"  # an attempt refused because the account is locked
AUTHN_LOGOUT = "authn_logout"
AUTHN_TOKEN_REFRESHED = "authn_token_refreshed"
AUTHN_TOKEN_REFRESH_FAIL = "authn_token_refresh_fail"
AUTHN_REFRESH_REUSE = "authn_refresh_reuse"

SUCCESS = "success"
FAILURE = "failure"

_SECRET_KEY = re.compile(
    r"password|passwd|secret|credential|bank|account_number|(^|_)token$|cookie|authorization",
    re.IGNORECASE,
)


def _check_detail(detail: dict[str, Any], path: str = "") -> None:
    for key, value in detail.items():
        if _SECRET_KEY.search(str(key)):
            raise ValueError(f"audit detail must not carry secrets: {path}{key}")
        if isinstance(value, dict):
            _check_detail(value, f"{path}{key}.")


async def record_audit(
    action: str,
    *,
    actor: Principal | None = None,
    account_id: int | None = None,
    outcome: str = SUCCESS,
    target_type: str = "",
    target_id: str | int = "",
    request_id: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit row. ``account_id`` overrides the actor's account (e.g. a failed login)."""
    payload = dict(detail or {})
    _check_detail(payload)
    actor_id = account_id if account_id is not None else (actor.account_id if actor else None)
    role = actor.role if actor is not None and actor.role is not None else None
    await AuditEvent.create(
        actor_id=actor_id,
        actor_role=role.value if role is not None else "",
        action=action[:64],
        outcome=outcome[:16],
        target_type=target_type[:32],
        target_id=str(target_id)[:64],
        request_id=request_id[:64],
        detail=payload,
    )
