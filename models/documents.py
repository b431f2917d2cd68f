"""Uploaded documents, stored outside the database by content hash (domain.md §5, §12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.rules.money_kinds import DocumentKind

if TYPE_CHECKING:
    from models.accounts import UserAccount
    from models.cases import DispatchCase
    from models.specialists import Specialist


class Document(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(DocumentKind, max_length=24)
    case: fields.ForeignKeyNullableRelation[DispatchCase] = fields.ForeignKeyField(
        "models.DispatchCase", related_name="documents", null=True, on_delete=fields.CASCADE
    )
    specialist: fields.ForeignKeyNullableRelation[Specialist] = fields.ForeignKeyField(
        "models.Specialist", related_name="documents", null=True, on_delete=fields.CASCADE
    )
    filename = fields.CharField(max_length=255, default="")
    content_type = fields.CharField(max_length=64, default="")
    size_bytes = fields.IntField(default=0)
    sha256 = fields.CharField(max_length=64, default="")
    # Paper documents (様式8, receipts) marked as received by post instead of uploaded.
    received_by_post = fields.BooleanField(default=False)
    uploaded_by: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount",
        related_name="uploaded_documents",
        null=True,
        on_delete=fields.RESTRICT,
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "document"
        constraints = (
            CheckConstraint(check="size_bytes >= 0", name="ck_document_size"),
            CheckConstraint(
                check="received_by_post OR sha256 <> ''", name="ck_document_content_or_post"
            ),
        )
