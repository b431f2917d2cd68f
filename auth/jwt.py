"""Short-lived access tokens (JWT, RFC 9068 profile) for the mobile apps.

HS256 only, with a key derived from ``SECRET_KEY`` under its own label so the secret's other uses
never share key material. Decoding checks the algorithm against an explicit allow-list, then the
signature, the ``typ`` header and every claim (``iss``, ``aud``, ``sub``, ``jti``, ``iat``, ``nbf``,
``exp``) — ``joserfc.jwt.decode`` alone does not check ``exp`` (security-tests.md finding 10), so the
claims always go through :class:`JWTClaimsRegistry`. Nothing here touches the database, so a forged
token is refused before any SQL runs.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import ClaimsOption

from models.settings import Settings

ALGORITHMS = ("HS256",)
TOKEN_TYPE = "at+jwt"  # RFC 9068 §2.1: distinguishes access tokens from ID tokens ("JWT")
_KEY_LABEL = "haken-jwt-access-token:"


class InvalidToken(Exception):
    """The token is malformed, forged, expired, not yet valid or meant for someone else.

    ``reason`` is for logs and audit only; clients always get the same ``invalid_token`` reply.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _signing_key(settings: Settings) -> OctKey:
    material = hashlib.sha256((_KEY_LABEL + settings.secret_key).encode()).digest()
    return OctKey.import_key(material)


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return int(moment.timestamp())


def issue_access_token(
    account_id: int, role: str, now: datetime, settings: Settings
) -> tuple[str, datetime]:
    """A signed access token for ``account_id`` and the instant it expires."""
    issued = _epoch(now)
    expires = issued + settings.access_token_seconds
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(account_id),
        "iat": issued,
        "nbf": issued,
        "exp": expires,
        "jti": secrets.token_urlsafe(16),
        "role": str(role),
    }
    header = {"alg": ALGORITHMS[0], "typ": TOKEN_TYPE}
    token = jwt.encode(header, claims, _signing_key(settings), algorithms=ALGORITHMS)
    return token, datetime.fromtimestamp(expires, tz=UTC)


def decode_access_token(token: str, now: datetime, settings: Settings) -> dict[str, Any]:
    """The verified claims of ``token``; raises :class:`InvalidToken` for anything else."""
    if not token or len(token) > 4096 or token.count(".") != 2:
        raise InvalidToken("malformed")
    try:
        decoded = jwt.decode(token, _signing_key(settings), algorithms=ALGORITHMS)
    except JoseError as error:
        raise InvalidToken(f"signature: {error.error}") from error
    except ValueError as error:  # bad base64 / JSON inside the segments
        raise InvalidToken("malformed") from error
    if decoded.header.get("alg") not in ALGORITHMS:
        raise InvalidToken("alg")
    if str(decoded.header.get("typ", "")).lower() not in {TOKEN_TYPE, "application/" + TOKEN_TYPE}:
        raise InvalidToken("typ")
    required: ClaimsOption = {"essential": True}
    registry = jwt.JWTClaimsRegistry(
        now=_epoch(now),
        leeway=0,
        iss={"essential": True, "value": settings.jwt_issuer},
        aud={"essential": True, "value": settings.jwt_audience},
        sub=required,
        iat=required,
        nbf=required,
        exp=required,
        jti=required,
        role=required,
    )
    claims = decoded.claims
    try:
        registry.validate(claims)
    except JoseError as error:
        raise InvalidToken(f"claims: {error.error}") from error
    sub = claims["sub"]
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= 18):
        raise InvalidToken("claims: sub")
    if not all(isinstance(claims[name], int) for name in ("iat", "nbf", "exp")):
        raise InvalidToken("claims: times")
    if claims["exp"] - claims["iat"] > settings.access_token_seconds:
        # Longer-lived than any token this service issues: not one of ours.
        raise InvalidToken("claims: lifetime")
    if not isinstance(claims["role"], str):
        raise InvalidToken("claims: role")
    return claims
