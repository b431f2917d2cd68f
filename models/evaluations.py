"""Evaluations (評価) of a dispatch by the platform and/or the company — domain.md §6."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.money_kinds import EvaluatorKind

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.cases import DispatchCase
    from models.specialists import Specialist


class Evaluation(Model):
    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[DispatchCase] = fields.ForeignKeyField(
        "models.DispatchCase", related_name="evaluations", on_delete=fields.CASCADE
    )
    specialist: fields.ForeignKeyRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="evaluations", on_delete=fields.CASCADE
    )
    evaluator_kind = fields.CharEnumField(EvaluatorKind, max_length=16)
    evaluator: fields.ForeignKeyRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="evaluations", on_delete=fields.RESTRICT
    )
    satisfaction = fields.SmallIntField()
    expertise = fields.SmallIntField()
    clarity = fields.SmallIntField()
    responsiveness = fields.SmallIntField()
    comment = fields.TextField(default="")
    would_request_again = fields.BooleanField()
    submitted_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "evaluation"
        unique_together = (("case", "evaluator_kind"),)
        constraints = (
            CheckConstraint(
                check="satisfaction BETWEEN 1 AND 5 AND expertise BETWEEN 1 AND 5 "
                "AND clarity BETWEEN 1 AND 5 AND responsiveness BETWEEN 1 AND 5",
                name="ck_evaluation_scores",
            ),
        )
