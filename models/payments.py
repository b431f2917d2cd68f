"""Payments per case and monthly payment batches per regional office — domain.md §7.2."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.money_kinds import IneligibleRule, PaymentState

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.cases import DispatchCase
    from models.geo import RegionalOffice


class PaymentBatch(Model):
    id = fields.IntField(primary_key=True)
    office: fields.ForeignKeyRelation[RegionalOffice] = fields.ForeignKeyField(
        "models.RegionalOffice", related_name="payment_batches", on_delete=fields.RESTRICT
    )
    month = fields.CharField(max_length=7)  # YYYY-MM
    created_by: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="created_batches", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    paid_at = fields.DatetimeField(null=True)
    paid_on = fields.DateField(null=True)

    class Meta:
        table = "payment_batch"
        unique_together = (("office", "month"),)


class Payment(Model):
    """Money of one case. Amounts of a PAID payment are frozen."""

    id = fields.IntField(primary_key=True)
    case: fields.OneToOneRelation[DispatchCase] = fields.OneToOneField(
        "models.DispatchCase", related_name="payment", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(PaymentState, max_length=16, default=PaymentState.NOT_DUE)
    hold_reasons: list[Any] = fields.JSONField(default=[])
    ineligible_rule = fields.CharEnumField(IneligibleRule, max_length=24, null=True)
    billable_minutes = fields.IntField(default=0)
    units = fields.IntField(default=0)
    honorarium = fields.IntField(default=0)
    withholding = fields.IntField(default=0)
    travel = fields.IntField(default=0)
    total = fields.IntField(default=0)
    batch: fields.ForeignKeyNullableRelation[PaymentBatch] = fields.ForeignKeyField(
        "models.PaymentBatch", related_name="payments", null=True, on_delete=fields.RESTRICT
    )
    paid_on = fields.DateField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payment"
        constraints = (
            CheckConstraint(
                check="billable_minutes >= 0 AND units >= 0 AND honorarium >= 0 AND withholding >= 0"
                " AND travel >= 0 AND total >= 0",
                name="ck_payment_amounts",
            ),
        )
