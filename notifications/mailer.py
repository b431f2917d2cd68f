"""Mail transports: SMTP through aiosmtplib (``SMTP_URL``) or a local ``.eml`` mailbox.

``SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers it;
``?starttls=0`` never, ``?starttls=1`` required), ``smtps://…`` (implicit TLS, port 465), with
an optional ``timeout`` in seconds (default 30). Without ``SMTP_URL`` every mode but production
writes one ``.eml`` file per message to ``MAILBOX_DIR`` (domain.md §12: development never mails
real addresses); production refuses to start the relay without ``SMTP_URL``.

A failed delivery raises :class:`DeliveryError` with the RFC 5321 classification: a 5yz reply is
permanent, a 4yz reply, a refused or lost connection or a timeout transient.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from models.rules.notifications import FailureKind, smtp_failure_kind
from models.settings import Settings, SettingsError
from notifications.formatting import mail_domain
from notifications.templates import RenderedMail

logger = logging.getLogger("haken.mail")

SENDER_NAME = "専門家派遣事業 事務処理機関"
DEFAULT_TIMEOUT_SECONDS = 30.0
_MAX_REASON = 500
_FILE_SAFE = re.compile(r"[^A-Za-z0-9._@-]")


class DeliveryError(Exception):
    """One message could not be delivered; ``kind`` says whether retrying can help."""

    def __init__(self, kind: FailureKind, reason: str, code: int | None = None) -> None:
        self.kind = kind
        self.reason = reason[:_MAX_REASON]
        self.code = code
        super().__init__(self.reason)


def build_message(
    *,
    rendered: RenderedMail,
    to_address: str,
    message_id: str,
    mail_from: str,
    template: str,
    now: datetime,
) -> Message:
    """The MIME message of one outbox row: UTF-8 text (base64), RFC 2047 headers, the row's
    deterministic Message-ID, marked as automatically generated (RFC 3834) so autoresponders
    stay quiet. Built with the compat32 classes: an order of magnitude cheaper than
    ``EmailMessage`` for the same bytes, which matters when a queue drains."""
    message = MIMEText(rendered.body, "plain", "utf-8")
    message["Subject"] = Header(rendered.subject, "utf-8")  # type: ignore[assignment]
    message["From"] = formataddr((SENDER_NAME, mail_from), charset="utf-8")
    message["To"] = to_address
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["X-Haken-Template"] = template
    return message


class MailSession(ABC):
    @abstractmethod
    async def send(self, message: Message) -> None:
        """Deliver one message or raise :class:`DeliveryError`."""


class Mailer(ABC):
    """A transport; :meth:`session` groups the messages of one relay batch (one connection)."""

    @abstractmethod
    def session(self) -> AbstractAsyncContextManager[MailSession]: ...

    def describe(self) -> str:
        return type(self).__name__


# ---------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise SettingsError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        query = parse_qs(parts.query)
        use_tls = parts.scheme == "smtps"
        start_tls: bool | None = None
        flag = (query.get("starttls") or [""])[0].lower()
        if flag in {"0", "false", "no"}:
            start_tls = False
        elif flag in {"1", "true", "yes"}:
            start_tls = True
        timeout = float((query.get("timeout") or [""])[0] or DEFAULT_TIMEOUT_SECONDS)
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if use_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=False if use_tls else start_tls,
            timeout=timeout,
        )


def _classify(error: Exception) -> DeliveryError:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        permanent = any(smtp_failure_kind(code) is FailureKind.PERMANENT for code in codes)
        reason = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        kind = FailureKind.PERMANENT if permanent else FailureKind.TRANSIENT
        return DeliveryError(kind, f"recipient refused: {reason}", codes[0] if codes else None)
    if isinstance(error, aiosmtplib.SMTPResponseException) and not isinstance(
        error, aiosmtplib.SMTPConnectError
    ):
        reason = f"{error.code} {error.message}"
        return DeliveryError(smtp_failure_kind(error.code), reason, error.code)
    # Connection refused or lost, timeouts, TLS failures: no reply to classify, try again later.
    return DeliveryError(FailureKind.TRANSIENT, f"{type(error).__name__}: {error}")


class _SmtpSession(MailSession):
    def __init__(self, config: SmtpConfig, local_hostname: str) -> None:
        self.config = config
        self.local_hostname = local_hostname
        self.client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.hostname,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.use_tls,
            start_tls=config.start_tls,
            timeout=config.timeout,
            local_hostname=self.local_hostname,
        )
        await client.connect()
        self.client = client
        return client

    async def send(self, message: Message) -> None:
        try:
            client = await self._connected()
            await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            failure = _classify(error)
            await self._recover(failure)
            raise failure from error

    async def _recover(self, failure: DeliveryError) -> None:
        """After a refused message the connection is reusable (RSET); after anything else it is
        dropped and the next message connects again."""
        client = self.client
        if client is None:
            return
        if failure.code is not None and client.is_connected:
            try:
                await client.rset()
                return
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass
        self.client = None
        client.close()

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


class SmtpMailer(Mailer):
    def __init__(self, config: SmtpConfig, local_hostname: str = "localhost") -> None:
        self.config = config
        self.local_hostname = local_hostname

    @asynccontextmanager
    async def session(self) -> AsyncIterator[MailSession]:
        session = _SmtpSession(self.config, self.local_hostname)
        try:
            yield session
        finally:
            await session.close()

    def describe(self) -> str:
        return f"smtp {self.config.hostname}:{self.config.port}"


# ---------------------------------------------------------------- local mailbox


def mailbox_file_name(message_id: str) -> str:
    """One file per Message-ID: a resend overwrites its own file instead of adding one."""
    return _FILE_SAFE.sub("_", message_id.strip("<>")) + ".eml"


class _MailboxSession(MailSession):
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, self.directory / name)

    async def send(self, message: Message) -> None:
        name = mailbox_file_name(str(message["Message-ID"]))
        try:
            await asyncio.to_thread(self._write, name, message.as_bytes())
        except OSError as error:
            raise DeliveryError(FailureKind.TRANSIENT, f"mailbox: {error}") from error


class MailboxMailer(Mailer):
    """Development/test transport: ``<MAILBOX_DIR>/<message-id>.eml``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @asynccontextmanager
    async def session(self) -> AsyncIterator[MailSession]:
        yield _MailboxSession(self.directory)

    def describe(self) -> str:
        return f"mailbox {self.directory}"


def mailer_from_settings(settings: Settings) -> Mailer:
    """SMTP when ``SMTP_URL`` is set; otherwise the local mailbox, never in production."""
    if settings.smtp_url:
        return SmtpMailer(
            SmtpConfig.from_url(settings.smtp_url), local_hostname=mail_domain(settings.mail_from)
        )
    if settings.production:
        raise SettingsError("production mode needs SMTP_URL to deliver mail")
    return MailboxMailer(settings.mailbox_dir)
