"""Fan-out: every new ``DomainEvent`` row becomes its outbox rows, one per recipient and channel.

How "in the same transaction as the change" and "nothing lost" hold without coupling the
producers to notifications (import-linter keeps resolvers and notifications independent):

* the producer writes the ``DomainEvent`` row inside the transaction of the change itself. That
  row *is* the durable intent to notify: a rolled-back change leaves no event and therefore no
  mail, a committed change always leaves its event;
* the server and the worker install :func:`install_transactional_fanout`: a ``post_save``
  listener on ``DomainEvent`` that writes the event's ``OutboxMessage`` rows right after the
  event row, inside the producer's transaction (architecture.md: one transaction per use case —
  rows, audit entry and outbox rows together) while the producers never import this package;
* the expander (a background loop) is the safety net for events written where the listener is
  not installed (a bare script) or whose in-transaction expansion failed: it turns each event
  with ``expanded_at IS NULL`` into its ``OutboxMessage`` rows and sets ``expanded_at`` in ONE
  transaction, so an event is either fully expanded or not at all. Events are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so several workers never expand the same event; the Message-ID of a row is derived
  from (event, template, address) and unique in the table, so even a repeated expansion could
  not create a second row for the same mail;
* a failing expansion (database down, a bug) rolls back and is retried on a later pass; the
  event stays pending until it succeeds. Nothing is kept in memory between passes.

Each recipient's ``context`` holds plain strings (instants written in Asia/Tokyo) for
:func:`notifications.templates.render`; the secretariat-only free-text decline reason is never
read here, so no mail can carry it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.signals import Signals
from tortoise.transactions import in_transaction

from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.organisations import SupportOrganization
from models.outbox import DomainEvent, OutboxMessage, OutboxStatus
from models.rules.case_status import SlotKind
from models.rules.events import EventKind
from models.rules.notifications import audiences_for
from models.rules.registration_status import RegistrationStatus
from models.settings import Settings, current_settings
from models.specialists import Specialist
from notifications.formatting import (
    case_link,
    format_instant,
    format_window,
    mail_domain,
    message_id,
    specialist_link,
)
from notifications.recipients import Recipient, case_recipients, registration_recipients
from notifications.templates import TEMPLATES

logger = logging.getLogger("haken.notifications")

Row = dict[str, Any]
CHANNEL_EMAIL = "email"

#: The case row a mail needs: the case columns the scope test reads plus every display value.
CASE_VALUES: dict[str, str] = {
    "id": "id",
    "reservation_number": "reservation_number",
    "received_at": "received_at",
    "company_id": "company_id",
    "specialist_id": "specialist_id",
    "filed_by_id": "filed_by_id",
    "filer_role": "filed_by__role",
    "filing_organization_id": "filing_organization_id",
    "platform_id": "platform_id",
    "office_id": "office_id",
    "title": "title",
    "status": "status",
    "version": "version",
    "dispatch_start": "dispatch_start",
    "dispatch_end": "dispatch_end",
    "decline_comment": "decline_comment",
    "cancel_reason": "cancel_reason",
    "proposal_comment": "proposal_comment",
    "company_name": "company__name",
    "company_registered_by_id": "company__registered_by_id",
    "platform_name": "platform__name",
    "filing_org_name": "filing_organization__name",
    "filing_org_email": "filing_organization__email",
    "office_name": "office__name",
    "office_email": "office__email",
    "office_phone": "office__phone",
    "office_postal_code": "office__postal_code",
    "office_address": "office__address",
    "specialist_name": "specialist__name",
    "specialist_email": "specialist__email",
    "decline_category": "decline_reason__name",
    "cancel_category": "cancel_category__name",
}

SPECIALIST_VALUES: dict[str, str] = {
    "id": "id",
    "name": "name",
    "email": "email",
    "registration_status": "registration_status",
    "status_reason": "status_reason",
    "recommending_org_id": "recommending_org_id",
    "office_id": "prefecture__office_id",
    "office_name": "prefecture__office__name",
    "office_email": "prefecture__office__email",
    "office_phone": "prefecture__office__phone",
    "office_postal_code": "prefecture__office__postal_code",
    "office_address": "prefecture__office__address",
}

#: Kinds written by a transition (their CaseEvent of the same version names actor and comment).
_REMINDERS = frozenset(
    {
        EventKind.REPORT_DUE_REMINDER,
        EventKind.REPORT_OVERDUE_REMINDER,
        EventKind.UNANSWERED_REMINDER,
    }
)

CANCELLED_BY: Mapping[str, str] = {
    "SPECIALIST": "専門家",
    "COMPANY": "依頼企業",
    "PLATFORM": "申請者（支援機関）",
    "PARTNER": "申請者（連携機関）",
    "SECRETARIAT": "事務局",
    "SYSTEM": "事務局",
}


@dataclass(frozen=True)
class PlannedMail:
    template: str
    recipient: Recipient
    context: dict[str, Any]
    message_id: str


def office_contact(row: Mapping[str, Any]) -> dict[str, str]:
    return {
        "name": str(row.get("office_name") or ""),
        "email": str(row.get("office_email") or ""),
        "phone": str(row.get("office_phone") or ""),
        "postal_code": str(row.get("office_postal_code") or ""),
        "address": str(row.get("office_address") or ""),
    }


# ---------------------------------------------------------------- reads


async def load_case(case_id: int) -> Row | None:
    rows = await DispatchCase.filter(id=case_id).values(**CASE_VALUES)
    return dict(rows[0]) if rows else None


async def load_specialist(specialist_id: int) -> Row | None:
    rows = await Specialist.filter(id=specialist_id).values(**SPECIALIST_VALUES)
    return dict(rows[0]) if rows else None


def _latest_round(slots: list[Row], kind: SlotKind) -> list[Row]:
    of_kind = [s for s in slots if s["kind"] == kind]
    if not of_kind:
        return []
    newest = max(s["round"] for s in of_kind)
    return sorted((s for s in of_kind if s["round"] == newest), key=lambda s: s["position"])


async def _slots(case_id: int) -> tuple[list[str], list[str]]:
    rows = [
        dict(r)
        for r in await CaseSlot.filter(case_id=case_id).values(
            "kind", "position", "start", "end", "round"
        )
    ]
    wished = [format_window(s["start"], s["end"]) for s in _latest_round(rows, SlotKind.CANDIDATE)]
    proposed = [format_window(s["start"], s["end"]) for s in _latest_round(rows, SlotKind.PROPOSED)]
    return wished, proposed


async def _transition(case_id: int, version: int | None) -> Row:
    """The audit entry of the transition that produced ``version`` (actor, role, comment)."""
    if version is None:
        return {}
    rows = (
        await CaseEvent.filter(case_id=case_id, version=version)
        .order_by("-id")
        .limit(1)
        .values("actor_id", "actor_role", "action", "comment")
    )
    return dict(rows[0]) if rows else {}


# ---------------------------------------------------------------- contexts


#: 地域プラットフォーム名 of a case no support organisation filed, by the filer's role.
FILED_WITHOUT_ORGANIZATION: Mapping[str, str] = {
    "COMPANY": "（企業からの直接申請）",
    "SECRETARIAT": "（事務局による申請）",
}


def _platform_label(case: Row) -> str:
    platform, org = case.get("platform_name") or "", case.get("filing_org_name") or ""
    if platform and org:
        return f"{platform}（{org}）"
    if platform or org:
        return str(platform or org)
    return FILED_WITHOUT_ORGANIZATION.get(str(case.get("filer_role") or ""), "（なし）")


def _case_context(case: Row, wished: list[str], proposed: list[str]) -> dict[str, Any]:
    decided = ""
    if case.get("dispatch_start") is not None and case.get("dispatch_end") is not None:
        decided = format_window(case["dispatch_start"], case["dispatch_end"])
    return {
        "reservation_number": case["reservation_number"],
        "received_at": format_instant(case["received_at"]),
        "company_name": case.get("company_name") or "",
        "platform_name": _platform_label(case),
        "title": case["title"],
        "specialist_name": case.get("specialist_name") or "",
        "decided": decided,
        "wished": wished,
        "proposed": proposed,
    }


def _instant_text(value: Any) -> str:
    if isinstance(value, str) and value:
        try:
            return format_instant(datetime.fromisoformat(value))
        except ValueError:
            return ""
    return format_instant(value) if isinstance(value, datetime) else ""


def _case_detail(kind: EventKind, case: Row, transition: Row, payload: Mapping[str, Any]) -> Row:
    comment = str(transition.get("comment") or "")
    role = str(transition.get("actor_role") or "SYSTEM")
    if kind is EventKind.CASE_DATES_PROPOSED:
        return {"comment": case.get("proposal_comment") or comment}
    if kind is EventKind.CASE_NEEDS_COORDINATION:
        expired = role == "SYSTEM" or transition.get("actor_id") is None
        return {
            "reason": "EXPIRED" if expired else "REJECTED",
            "comment": "" if expired else comment,
        }
    if kind is EventKind.CASE_DECLINED:
        # The category and the comment to the requester only: never decline_reason_text.
        return {
            "decline_category": case.get("decline_category") or "",
            "decline_comment": case.get("decline_comment") or "",
        }
    if kind is EventKind.CASE_CANCELLED:
        return {
            "cancelled_by": CANCELLED_BY.get(role, "関係者"),
            "cancel_category": case.get("cancel_category") or "",
            "cancel_reason": case.get("cancel_reason") or comment,
        }
    if kind in (EventKind.REPORT_DUE_REMINDER, EventKind.REPORT_OVERDUE_REMINDER):
        return {"due_at": _instant_text(payload.get("dueAt"))}
    if kind is EventKind.REPORT_RETURNED:
        return {"comment": comment}
    return {}


def _planned(
    event: Row, kind: EventKind, recipients: list[Recipient], shared: dict[str, Any], domain: str
) -> list[PlannedMail]:
    planned = []
    for recipient in recipients:
        context = {
            **shared,
            "audience": recipient.audience.value,
            "addressee": recipient.addressee,
        }
        identity = f"{event['id']}:{kind.value}:{CHANNEL_EMAIL}:{recipient.address.lower()}"
        planned.append(
            PlannedMail(
                template=kind.value,
                recipient=recipient,
                context=context,
                message_id=message_id(identity, domain, prefix=f"haken.e{event['id']}"),
            )
        )
    return planned


async def _plan_case_event(event: Row, kind: EventKind, settings: Settings) -> list[PlannedMail]:
    case = await load_case(int(event["case_id"]))
    if case is None:
        return []
    transition = {} if kind in _REMINDERS else await _transition(case["id"], event["version"])
    audiences = audiences_for(kind, transition.get("actor_role"))
    exclude = transition.get("actor_id") if kind is EventKind.CASE_CANCELLED else None
    recipients = await case_recipients(case, audiences, exclude_account=exclude)
    if not recipients:
        return []
    wished, proposed = await _slots(case["id"])
    shared = {
        "kind": kind.value,
        "office": office_contact(case),
        "link": case_link(settings.public_base_url, case["id"]),
        "case": _case_context(case, wished, proposed),
        "detail": _case_detail(kind, case, transition, event.get("payload") or {}),
    }
    return _planned(event, kind, recipients, shared, mail_domain(settings.mail_from))


def _status_label(value: str) -> str:
    try:
        return RegistrationStatus(value).ja
    except ValueError:
        return value


def _payload_value(payload: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if payload.get(name) not in (None, ""):
            return payload[name]
    return None


async def _plan_registration_event(
    event: Row, kind: EventKind, settings: Settings
) -> list[PlannedMail]:
    specialist = await load_specialist(int(event["specialist_id"]))
    if specialist is None:
        return []
    payload = event.get("payload") or {}
    status = str(
        _payload_value(payload, "toStatus", "to_status", "status")
        or specialist["registration_status"]
    )
    org_value = _payload_value(payload, "organizationId", "organization_id")
    organization_id = int(org_value) if org_value is not None else specialist["recommending_org_id"]
    org_name = ""
    if organization_id is not None:
        orgs = await SupportOrganization.filter(id=organization_id).values("name", "email")
        if orgs:
            org_name = str(orgs[0]["name"])
            specialist.update(org_id=organization_id, org_name=org_name, org_email=orgs[0]["email"])
    recipients = await registration_recipients(
        specialist, audiences_for(kind, None), organization_id
    )
    if not recipients:
        return []
    reason = _payload_value(payload, "reason", "comment") or specialist.get("status_reason") or ""
    shared = {
        "kind": kind.value,
        "office": office_contact(specialist),
        "link": specialist_link(settings.public_base_url, specialist["id"]),
        "specialist": {
            "name": specialist["name"],
            "status": status,
            "status_label": _status_label(status),
            "organization_name": org_name,
            "reason": str(reason),
        },
    }
    return _planned(event, kind, recipients, shared, mail_domain(settings.mail_from))


async def plan_event(event: Row, settings: Settings) -> list[PlannedMail]:
    """The mails one event sends (none for kinds that only feed subscriptions)."""
    try:
        kind = EventKind(event["kind"])
    except ValueError:
        logger.warning("unknown event kind %r (event %s): no mail", event["kind"], event["id"])
        return []
    if kind.value not in TEMPLATES:
        return []
    if event.get("case_id") is not None:
        return await _plan_case_event(event, kind, settings)
    if event.get("specialist_id") is not None:
        return await _plan_registration_event(event, kind, settings)
    return []


# ---------------------------------------------------------------- writes


EVENT_FIELDS = ("id", "kind", "case_id", "specialist_id", "version", "payload", "created_at")


async def expand_event(event_id: int, now: datetime, settings: Settings) -> int | None:
    """Write the outbox rows of one event and mark it expanded, in one transaction.

    Returns the number of rows written, or ``None`` when the event is already expanded or another
    worker holds it (PostgreSQL ``SKIP LOCKED``).
    """
    async with in_transaction():
        # A model query: Tortoise drops FOR UPDATE from values() queries.
        locked = (
            await DomainEvent.filter(id=event_id, expanded_at__isnull=True)
            .select_for_update(skip_locked=True)
            .first()
        )
        if locked is None:
            return None
        event = {name: getattr(locked, name) for name in EVENT_FIELDS}
        planned = await plan_event(event, settings)
        ids = [p.message_id for p in planned]
        found: list[Any] = await OutboxMessage.filter(message_id__in=ids).values_list(
            "message_id", flat=True
        )
        existing = set(found)
        fresh = [p for p in planned if p.message_id not in existing]
        if fresh:
            await OutboxMessage.bulk_create(
                [
                    OutboxMessage(
                        event_id=event_id,
                        channel=CHANNEL_EMAIL,
                        template=p.template,
                        recipient_id=p.recipient.account_id,
                        to_address=p.recipient.address,
                        context=p.context,
                        status=OutboxStatus.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        message_id=p.message_id,
                    )
                    for p in fresh
                ]
            )
        await DomainEvent.filter(id=event_id).update(expanded_at=now)
        return len(fresh)


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def _expand_on_write(
    sender: type[DomainEvent],
    instance: DomainEvent,
    created: bool,
    using_db: Any,
    update_fields: Any,
) -> None:
    """``post_save`` listener: expand a new event in the transaction that wrote it."""
    if not created or instance.expanded_at is not None:
        return
    try:
        # A savepoint inside the producer's transaction: a failure here rolls back only the
        # expansion and leaves the event to the expander loop.
        await expand_event(instance.id, _utcnow(), current_settings())
    except Exception:
        logger.exception("expanding domain event %s in its transaction failed", instance.id)


def install_transactional_fanout() -> None:
    """Expand every new ``DomainEvent`` into its outbox rows in the producer's transaction
    (idempotent; called by the app factory, ``haken worker`` and the test suite)."""
    DomainEvent.register_listener(Signals.post_save, _expand_on_write)


class Expander:
    """The fan-out loop's unit of work: expand up to ``batch`` pending events.

    Each event is expanded in its own fresh task and transaction, so one event that cannot be
    expanded (a bug, a vanished row) neither blocks the others nor poisons the task's connection
    context; it is retried with a growing pause (in memory only: a restart retries at once).
    """

    def __init__(
        self,
        *,
        settings: Callable[[], Settings] = current_settings,
        clock: Callable[[], datetime] = _utcnow,
        batch: int = 50,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.batch = batch
        self._failing: dict[int, tuple[int, float]] = {}

    async def step(self) -> bool:
        """Expand pending events; True when at least one was expanded (more may be waiting)."""
        pending: list[Any] = (
            await DomainEvent.filter(expanded_at__isnull=True)
            .order_by("id")
            .limit(self.batch + len(self._failing))
            .values_list("id", flat=True)
        )
        now_mono = time.monotonic()
        done = 0
        for event_id in pending:
            failures, not_before = self._failing.get(int(event_id), (0, 0.0))
            if not_before > now_mono:
                continue
            try:
                written = await asyncio.create_task(
                    expand_event(int(event_id), self.clock(), self.settings())
                )
            except Exception:
                failures += 1
                self._failing[int(event_id)] = (failures, now_mono + min(2.0**failures, 600.0))
                logger.exception(
                    "expanding domain event %s failed (attempt %d)", event_id, failures
                )
                continue
            self._failing.pop(int(event_id), None)
            if written is not None:
                done += 1
            if done >= self.batch:
                break
        return done > 0


__all__ = [
    "Expander",
    "PlannedMail",
    "expand_event",
    "install_transactional_fanout",
    "load_case",
    "plan_event",
]
