"""Shared pieces of the notification tests: a real SMTP server (aiosmtpd on 127.0.0.1), a
producer that writes a case change with its DomainEvent in one transaction, and settings."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from tortoise.transactions import in_transaction

from models.cases import CaseEvent, DispatchCase
from models.outbox import DomainEvent, OutboxMessage
from models.rules.case_status import CaseStatus
from models.rules.events import EventKind
from models.settings import Settings
from tests.conftest import TEST_SETTINGS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Inbox:
    """aiosmtpd handler: keeps every accepted message; replies can be forced (faults)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.snapshot()]


@dataclass
class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started again on its port."""

    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=0&timeout=5"

    def start(self) -> None:
        if self.controller is None:
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def settings_for(smtp: SmtpServer | None = None, **changes: Any) -> Settings:
    values: dict[str, Any] = {"smtp_url": smtp.url if smtp is not None else ""}
    values.update(changes)
    return replace(TEST_SETTINGS, **values)


def provider(settings: Settings) -> Callable[[], Settings]:
    return lambda: settings


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content


async def change_case(
    case_id: int,
    kind: EventKind,
    *,
    to_status: CaseStatus | None = None,
    actor_id: int | None = None,
    actor_role: str = "SYSTEM",
    comment: str = "",
    updates: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    fail: bool = False,
) -> int:
    """What a producer does: change the case, write its history entry and its DomainEvent, in
    ONE transaction. ``fail=True`` raises before the commit. Returns the event id."""
    async with in_transaction():
        case = await DispatchCase.get(id=case_id)
        version = case.version + 1
        status = to_status or case.status
        await DispatchCase.filter(id=case_id, version=case.version).update(
            version=version, status=status, **(updates or {})
        )
        await CaseEvent.create(
            case_id=case_id,
            actor_id=actor_id,
            actor_role=actor_role,
            action=kind.value,
            from_status=case.status,
            to_status=status,
            version=version,
            comment=comment,
        )
        event = await DomainEvent.create(
            kind=kind.value,
            case_id=case_id,
            version=version,
            payload={"toStatus": status.value, **(payload or {})},
        )
        if fail:
            raise RuntimeError("the change fails after enqueueing")
    return int(event.id)


async def outbox_of(event_id: int) -> list[OutboxMessage]:
    return await OutboxMessage.filter(event_id=event_id).order_by("id")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def mail_files(directory: Path) -> list[Path]:
    """The ``.eml`` files of a local mailbox, by name."""
    return sorted(directory.glob("*.eml"))
