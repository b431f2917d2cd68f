"""Sign-in use cases: ``login``, ``logout`` and ``refresh`` (api.md §13, security.md §3).

Unknown e-mail, wrong password and deactivated account get one identical reply, and each costs
one argon2 verification, so neither the message nor the timing tells which accounts exist.
Failures are counted per account in the database with an atomic ``UPDATE … SET failed_logins =
failed_logins + 1``, so concurrent attempts, aliased fields in one document and several server
processes all count; after ``login_max_failures`` consecutive failures the account is locked for
``lockout_seconds`` and even the right password is refused until then (without hashing it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NoReturn

from tortoise.expressions import F

from auth.audit import (
    AUTHN_LOGIN_FAIL,
    AUTHN_LOGIN_FAIL_MAX,
    AUTHN_LOGIN_LOCK,
    AUTHN_LOGIN_LOCKED,
    AUTHN_LOGIN_SUCCESS,
    AUTHN_LOGOUT,
    AUTHN_REFRESH_REUSE,
    AUTHN_TOKEN_REFRESH_FAIL,
    AUTHN_TOKEN_REFRESHED,
    FAILURE,
    SUCCESS,
    record_audit,
)
from auth.authenticate import principal_for_account
from auth.jwt import issue_access_token
from auth.passwords import hash_password, needs_rehash, verify_password
from auth.principal import Principal
from auth.sessions import (
    RefreshTokenRejected,
    create_refresh_token,
    create_session,
    revoke_refresh_family,
    revoke_session,
    revoke_session_by_id,
    rotate_refresh_token,
)
from models.accounts import UserAccount
from models.rules.errors import DomainError, ErrorCode, FieldError, ValidationErrors
from models.settings import current_settings

logger = logging.getLogger(__name__)

Client = Literal["BROWSER", "MOBILE"]
MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 256
_ACCOUNT = "UserAccount"


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS
    default_message = "メールアドレスまたはパスワードが正しくありません。"


class AccountLocked(DomainError):
    code = ErrorCode.ACCOUNT_LOCKED
    default_message = "アカウントがロックされています。しばらくしてから再度お試しください。"


class InvalidRefreshToken(DomainError):
    code = ErrorCode.INVALID_TOKEN
    default_message = "ログインの有効期限が切れました。再度ログインしてください。"


@dataclass(frozen=True)
class LoginResult:
    """A signed-in account; BROWSER gets ``session_token``, MOBILE the access/refresh pair."""

    account: UserAccount
    principal: Principal
    session_token: str | None = None
    access_token: str | None = None
    access_expires_at: datetime | None = None
    refresh_token: str | None = None


def _check_input(email: str, password: str) -> None:
    errors: list[FieldError] = []
    for name, value, limit in (
        ("email", email, MAX_EMAIL_LENGTH),
        ("password", password, MAX_PASSWORD_LENGTH),
    ):
        label = "メールアドレス" if name == "email" else "パスワード"
        if not value.strip():
            errors.append(
                FieldError(ErrorCode.REQUIRED, f"{label}を入力してください。", ("input", name))
            )
        elif len(value) > limit:
            errors.append(
                FieldError(
                    ErrorCode.TOO_LONG,
                    f"{label}は{limit}文字以内で入力してください。",
                    ("input", name),
                )
            )
    if errors:
        raise ValidationErrors(errors)


def _as_actor(account: UserAccount) -> Principal:
    return Principal(account_id=account.id, role=account.role)


async def _find_account(email: str) -> UserAccount | None:
    # Mobile keyboards capitalise the first letter: match e-mail addresses case-insensitively.
    return (
        await UserAccount.filter(email__iexact=email.strip())
        .select_related("organization")
        .order_by("id")
        .first()
    )


async def _unlock_if_expired(account: UserAccount, now: datetime) -> None:
    """A lockout that has run out starts a fresh count (conditional, so it runs once)."""
    if account.locked_until is not None and account.locked_until <= now:
        await UserAccount.filter(id=account.id, locked_until__lte=now).update(
            failed_logins=0, locked_until=None
        )
        account.failed_logins = 0
        account.locked_until = None


async def _count_failure(account: UserAccount, now: datetime, request_id: str) -> bool:
    """Count one failure atomically; ``True`` when this failure locked the account."""
    settings = current_settings()
    await UserAccount.filter(id=account.id).update(failed_logins=F("failed_logins") + 1)
    # Only the failure that finds the account unlocked at or above the threshold locks it.
    locked = await (
        UserAccount.filter(id=account.id, failed_logins__gte=settings.login_max_failures)
        .filter(locked_until__isnull=True)
        .update(locked_until=now + timedelta(seconds=settings.lockout_seconds))
    )
    events: list[tuple[str, str, dict[str, int | str]]] = [
        (AUTHN_LOGIN_FAIL, FAILURE, {"reason": "password"})
    ]
    if locked:
        events.append(
            (AUTHN_LOGIN_FAIL_MAX, FAILURE, {"max_failures": settings.login_max_failures})
        )
        events.append((AUTHN_LOGIN_LOCK, SUCCESS, {"lockout_seconds": settings.lockout_seconds}))
    for action, outcome, detail in events:
        await record_audit(
            action,
            actor=_as_actor(account),
            outcome=outcome,
            target_type=_ACCOUNT,
            target_id=account.id,
            request_id=request_id,
            detail=detail,
        )
    if locked:
        logger.warning("account %s locked after repeated failed logins", account.id)
    return locked > 0


async def _refuse_locked(account: UserAccount, request_id: str) -> NoReturn:
    await record_audit(
        AUTHN_LOGIN_LOCKED,
        actor=_as_actor(account),
        outcome=FAILURE,
        target_type=_ACCOUNT,
        target_id=account.id,
        request_id=request_id,
    )
    raise AccountLocked()


async def login(
    email: str,
    password: str,
    *,
    client: Client,
    now: datetime,
    user_agent: str = "",
    request_id: str = "",
) -> LoginResult:
    """Check the password and open a browser session or issue a mobile token pair."""
    _check_input(email, password)
    account = await _find_account(email)
    if account is None or not account.is_active:
        await verify_password(account.password_hash if account else "", password)
        await record_audit(
            AUTHN_LOGIN_FAIL,
            actor=_as_actor(account) if account else None,
            outcome=FAILURE,
            target_type=_ACCOUNT if account else "",
            target_id=account.id if account else "",
            request_id=request_id,
            detail={"reason": "inactive" if account else "unknown_account"},
        )
        raise InvalidCredentials()
    await _unlock_if_expired(account, now)
    if account.locked_until is not None:
        await _refuse_locked(account, request_id)
    if not await verify_password(account.password_hash, password):
        if await _count_failure(account, now, request_id):
            raise AccountLocked()
        raise InvalidCredentials()
    # A success resets the count — unless a concurrent failure locked the account meanwhile.
    reset = await UserAccount.filter(id=account.id, locked_until__isnull=True).update(
        failed_logins=0, last_login_at=now
    )
    if not reset:
        await _refuse_locked(account, request_id)
    if needs_rehash(account.password_hash):
        account.password_hash = await hash_password(password)
        await UserAccount.filter(id=account.id).update(password_hash=account.password_hash)
    account.failed_logins = 0
    account.last_login_at = now
    result = await _signed_in(account, client, now, user_agent)
    await record_audit(
        AUTHN_LOGIN_SUCCESS,
        actor=result.principal,
        target_type=_ACCOUNT,
        target_id=account.id,
        request_id=request_id,
        detail={"client": client},
    )
    return result


async def _signed_in(
    account: UserAccount, client: Client, now: datetime, user_agent: str
) -> LoginResult:
    if client == "BROWSER":
        token = await create_session(account, now, user_agent)
        expires = now + timedelta(seconds=current_settings().session_seconds)
        principal = await principal_for_account(
            account, auth_method="session", expires_at=expires.timestamp()
        )
        return LoginResult(account=account, principal=principal, session_token=token)
    refresh_token = await create_refresh_token(account, now)
    return await _with_access_token(account, refresh_token, now)


async def _with_access_token(
    account: UserAccount, refresh_token: str, now: datetime
) -> LoginResult:
    access_token, expires_at = issue_access_token(
        account.id, account.role.value, now, current_settings()
    )
    principal = await principal_for_account(
        account, auth_method="jwt", expires_at=expires_at.timestamp()
    )
    return LoginResult(
        account=account,
        principal=principal,
        access_token=access_token,
        access_expires_at=expires_at,
        refresh_token=refresh_token,
    )


async def logout(
    principal: Principal,
    session_token: str | None,
    refresh_token: str | None,
    now: datetime,
    *,
    request_id: str = "",
) -> None:
    """End the browser session and/or the refresh-token family; idempotent."""
    ended_session = False
    if session_token:
        ended_session = await revoke_session(session_token, now)
    elif principal.auth_method == "session" and principal.session_id is not None:
        ended_session = await revoke_session_by_id(principal.session_id, now)
    family_owner = await revoke_refresh_family(refresh_token, now) if refresh_token else None
    if principal.authenticated or ended_session or family_owner is not None:
        await record_audit(
            AUTHN_LOGOUT,
            actor=principal if principal.authenticated else None,
            account_id=principal.account_id or family_owner,
            request_id=request_id,
            detail={"session": ended_session, "refresh_family": family_owner is not None},
        )


async def refresh(refresh_token: str, now: datetime, *, request_id: str = "") -> LoginResult:
    """Rotate a refresh token and issue a new access token."""
    try:
        account, successor = await rotate_refresh_token(refresh_token, now)
    except RefreshTokenRejected as rejected:
        await record_audit(
            AUTHN_REFRESH_REUSE if rejected.reused else AUTHN_TOKEN_REFRESH_FAIL,
            account_id=rejected.account_id,
            outcome=FAILURE,
            target_type=_ACCOUNT if rejected.account_id else "",
            target_id=rejected.account_id or "",
            request_id=request_id,
            detail={"reason": rejected.reason},
        )
        if rejected.reused:
            logger.warning(
                "refresh token reuse for account %s: family revoked", rejected.account_id
            )
        raise InvalidRefreshToken() from rejected
    result = await _with_access_token(account, successor, now)
    await record_audit(
        AUTHN_TOKEN_REFRESHED,
        actor=result.principal,
        target_type=_ACCOUNT,
        target_id=account.id,
        request_id=request_id,
    )
    return result
