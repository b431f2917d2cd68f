"""Domain events and the transactional e-mail outbox (domain.md §8, security.md reliability 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.rules.labels import LabelledEnum

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.cases import DispatchCase
    from models.specialists import Specialist


class OutboxStatus(LabelledEnum):
    PENDING = ("PENDING", "送信待ち")
    SENDING = ("SENDING", "送信中")
    SENT = ("SENT", "送信済")
    DEAD = ("DEAD", "送信失敗（要対応）")


class DomainEvent(Model):
    """One business event (a case transition, a registration step), written in the change's
    transaction, subscriptions and the outbox are fed from it."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=48, db_index=True)
    case: fields.ForeignKeyNullableRelation[DispatchCase] = fields.ForeignKeyField(
        "models.DispatchCase", related_name="domain_events", null=True, on_delete=fields.CASCADE
    )
    specialist: fields.ForeignKeyNullableRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="domain_events", null=True, on_delete=fields.CASCADE
    )
    version = fields.IntField(null=True)
    payload: dict[str, Any] = fields.JSONField(default={})
    created_at = fields.DatetimeField(auto_now_add=True)
    # Set by the notification expander (notifications.fanout) in the transaction that writes the
    # event's outbox rows. NULL = not yet expanded.
    expanded_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "domain_event"


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyNullableRelation[DomainEvent] = fields.ForeignKeyField(
        "models.DomainEvent", related_name="messages", null=True, on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=16, default="email")
    template = fields.CharField(max_length=48)
    recipient: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="outbox_messages", null=True, on_delete=fields.SET_NULL
    )
    to_address = fields.CharField(max_length=254)
    context: dict[str, Any] = fields.JSONField(default={})
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    lease_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    message_id = fields.CharField(max_length=128, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"),)
