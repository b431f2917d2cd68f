"""Check-in / check-out with GPS and the company's signature (seed 002 fraud controls, §4.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.money_kinds import CheckKind

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.cases import DispatchCase
    from models.documents import Document


class CheckEvent(Model):
    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[DispatchCase] = fields.ForeignKeyField(
        "models.DispatchCase", related_name="check_events", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(CheckKind, max_length=16)
    device_time = fields.DatetimeField()
    server_time = fields.DatetimeField()
    lat = fields.FloatField()
    lng = fields.FloatField()
    accuracy_m = fields.FloatField()
    distance_m = fields.IntField(null=True)
    flags: list[Any] = fields.JSONField(default=[])  # anomaly codes for secretariat review
    recorded_by: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="check_events", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "check_event"
        unique_together = (("case", "kind"),)
        constraints = (
            CheckConstraint(
                check="lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180 AND accuracy_m >= 0",
                name="ck_check_position",
            ),
        )


class Signature(Model):
    """The company's signature before check-out: signer name and image document."""

    id = fields.IntField(primary_key=True)
    case: fields.OneToOneRelation[DispatchCase] = fields.OneToOneField(
        "models.DispatchCase", related_name="signature", on_delete=fields.CASCADE
    )
    signer_name = fields.CharField(max_length=64)
    image: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="signature_of", on_delete=fields.RESTRICT
    )
    signed_at = fields.DatetimeField()

    class Meta:
        table = "signature"
