"""Master lists edited by the national secretariat (domain.md §2)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IssueCategory(Model):
    """支援課題. is_it raises the company limit, requires_detail demands a detail text."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    is_it = fields.BooleanField(default=False)
    requires_detail = fields.BooleanField(default=False)
    sort_order = fields.SmallIntField(default=0)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "issue_category"
        ordering = ("sort_order",)


class Qualification(Model):
    """資格. requires_name (その他) demands the qualification's name."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    requires_name = fields.BooleanField(default=False)
    is_public = fields.BooleanField(default=True)
    sort_order = fields.SmallIntField(default=0)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "qualification"
        ordering = ("sort_order",)


class Industry(Model):
    """業種 (日本標準産業分類 大分類)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=8, unique=True)
    name = fields.CharField(max_length=64)
    sort_order = fields.SmallIntField(default=0)

    class Meta:
        table = "industry"
        ordering = ("sort_order",)


class DeclineReason(Model):
    """辞退理由."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    sort_order = fields.SmallIntField(default=0)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "decline_reason"
        ordering = ("sort_order",)


class CancelCategory(Model):
    """キャンセル区分."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    sort_order = fields.SmallIntField(default=0)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "cancel_category"
        ordering = ("sort_order",)
