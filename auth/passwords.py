"""argon2id password hashing, always off the event loop (≈0.1 s per hash on two cores)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP minimum for argon2id is m=19456 KiB, t=2, p=1; these are stronger.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456 * 2, parallelism=1)

#: Verified against when the account does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("haken-dummy-password")


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; an empty ``stored_hash`` costs a dummy verification."""
    return await asyncio.to_thread(_verify, stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
