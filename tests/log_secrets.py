"""No secret in any log record (security.md §5, security-tests.md S29): the scanner behind the
autouse fixture of ``tests/conftest.py``.

During every test every record at INFO and above (the production level), and every record of
Haken's own code from DEBUG up, goes through a :class:`SecretScanner`, which reads its message,
exception and stack text — except the records of the tests' own HTTP/WebSocket clients, which
log what the test sent.
A record fails the test when it contains

* a registered secret: the passwords the tests and the demo data use, the fixture world's bank
  account numbers, every password hashed or verified and every session / refresh token minted
  during the test (registered automatically by :func:`spying_on_secret_sources`), and anything a
  test passes to :func:`register_secret`;
* a JWT-looking string, a partner token (``hkn_…``) or a bearer credential.

The raw record is scanned, not the redacted log line: the production formatter's redaction is a
second line of defence, not a licence to log secrets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import auth.passwords
import auth.sessions
from server.demo_people import DEMO_PASSWORD

#: Shorter values would match ordinary text; no real secret of Haken is this short.
MIN_SECRET_LENGTH = 7

#: Passwords and bank account numbers the test data uses everywhere.
KNOWN_SECRETS = frozenset(
    {
        DEMO_PASSWORD,
        "correct horse battery staple",  # tests/auth, tests/registration_support.py
        "1234567",  # the fixture world's S1 account number (tests/factories.py)
        "7654321",  # S2's, and registration_support.ACCOUNT_NUMBER
    }
)

_PATTERNS = {
    "a JWT": re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    "a partner token": re.compile(r"\bhkn_[A-Za-z0-9]{40,}"),
    "a bearer credential": re.compile(r"\bBearer\s+[A-Za-z0-9._~+/\-]{16,}", re.IGNORECASE),
}

#: The tests' own clients: what they log is what the test sent, not what the server wrote.
CLIENT_LOGGERS = ("httpx", "httpcore", "websockets.client")
#: Haken's own loggers (``haken.*`` and module loggers): scanned from DEBUG up.
OWN_LOGGERS = ("haken", "auth", "models", "notifications", "resolvers", "schema", "server")

_registered: set[str] = set()


def register_secret(*values: str | None) -> None:
    """Values that must not appear in any log record for the rest of the test."""
    for value in values:
        if value and len(value) >= MIN_SECRET_LENGTH:
            _registered.add(value)


def _secret_pattern(secret: str) -> re.Pattern[str]:
    # A digits-only secret (an account number) must not match inside a longer number.
    if secret.isdigit():
        return re.compile(rf"(?<!\d){secret}(?!\d)")
    return re.compile(re.escape(secret))


def find_secrets(text: str) -> list[str]:
    """What in ``text`` is a secret, described without repeating it."""
    found = []
    for secret in sorted(KNOWN_SECRETS | _registered):
        if secret in text and _secret_pattern(secret).search(text):
            found.append(f"registered secret {secret[:3]}…({len(secret)} chars)")
    for name, pattern in _PATTERNS.items():
        match = pattern.search(text)
        if match:
            found.append(f"{name} {match.group(0)[:12]}…")
    return found


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write for ``record``: message, exception, stack."""
    try:
        parts = [record.getMessage()]
    except (TypeError, ValueError):
        parts = [str(record.msg), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


class SecretScanner(logging.Handler):
    """Collects a description of every record that carries a secret."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return
        for what in find_secrets(record_text(record)):
            self.leaks.append(f"{record.name} {record.levelname} {record.pathname}: {what}")


class _RecordingHasher:
    """``auth.passwords._hasher`` that registers each password it hashes or verifies."""

    def __init__(self, hasher: Any) -> None:
        self._hasher = hasher

    def hash(self, password: str, *args: Any, **kwargs: Any) -> str:
        register_secret(password)
        return str(self._hasher.hash(password, *args, **kwargs))

    def verify(self, stored: str, password: str) -> bool:
        register_secret(password)
        return bool(self._hasher.verify(stored, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hasher, name)


def _recording(mint: Callable[[], str]) -> Callable[[], str]:
    def minted() -> str:
        token = mint()
        register_secret(token)
        return token

    return minted


def spying_on_secret_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register every password hashed/verified and every session/refresh token minted."""
    monkeypatch.setattr(auth.passwords, "_hasher", _RecordingHasher(auth.passwords._hasher))
    monkeypatch.setattr(auth.sessions, "_new_token", _recording(auth.sessions._new_token))


@contextmanager
def scanning_logs() -> Iterator[SecretScanner]:
    """Every record at INFO and above, and Haken's own from DEBUG, goes through the scanner.

    Third-party DEBUG traces (every SQL statement among them) stay off unless a test turns them
    on (``tests/statements.py``, ``caplog.set_level(logging.DEBUG)``); the scanner then reads
    them too. Logging every statement of the suite would make it 40 % slower and bury every
    failure report under SQL.
    """
    root = logging.getLogger()
    own = [logging.getLogger(name) for name in OWN_LOGGERS]
    scanner = SecretScanner()
    previous = root.level, [logger.level for logger in own]
    root.addHandler(scanner)
    root.setLevel(min(root.level, logging.INFO))
    for logger in own:
        logger.setLevel(logging.DEBUG)
    try:
        yield scanner
    finally:
        root.removeHandler(scanner)
        root.setLevel(previous[0])
        for logger, level in zip(own, previous[1], strict=True):
            logger.setLevel(level)
        _registered.clear()
