"""How mails write instants, slots, links and Message-IDs (Asia/Tokyo, Japanese)."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime

from models.rules.fiscal_year import TOKYO

_WEEKDAYS = "月火水木金土日"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _tokyo(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no instant")
    return instant.astimezone(TOKYO)


def format_instant(instant: datetime) -> str:
    """``2026年6月9日(火) 10:00`` in Asia/Tokyo."""
    local = _tokyo(instant)
    weekday = _WEEKDAYS[local.weekday()]
    return f"{local.year}年{local.month}月{local.day}日({weekday}) {local:%H:%M}"


def format_window(start: datetime, end: datetime) -> str:
    """``2026年6月9日(火) 10:00〜12:00`` (the end's date is written when it differs)."""
    first, last = _tokyo(start), _tokyo(end)
    if first.date() == last.date():
        return f"{format_instant(start)}〜{last:%H:%M}"
    return f"{format_instant(start)}〜{format_instant(end)}"


def global_id(type_name: str, pk: int) -> str:
    """The Relay global ID of ``type_name`` ``pk`` (``base64("Type:pk")``, as the API shows it)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def case_link(base_url: str, case_id: int) -> str:
    """The case page of the web client: ``{PUBLIC_BASE_URL}/cases/{global ID}``."""
    return f"{base_url.rstrip('/')}/cases/{global_id('DispatchCase', case_id)}"


def specialist_link(base_url: str, specialist_id: int) -> str:
    return f"{base_url.rstrip('/')}/specialists/{global_id('Specialist', specialist_id)}"


def outbox_link(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/admin/outbox"


def mail_domain(mail_from: str) -> str:
    """The domain Message-IDs are minted under: that of ``MAIL_FROM``."""
    domain = mail_from.rpartition("@")[2].strip(" >")
    return domain or "haken.example.jp"


def message_id(identity: str, domain: str, *, prefix: str) -> str:
    """A deterministic RFC 5322 Message-ID for one outbox row, derived from what makes the row
    unique (its event, template and address), so a resend carries the same ID."""
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return f"<{_UNSAFE.sub('-', prefix)}.{digest}@{domain}>"
