"""Prefectures and the eight regional offices (事務局) of seed 000's last page."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RegionalOffice(Model):
    """One of the 8 regional secretariat offices, contact data appears in every mail of its cases."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=32)
    email = fields.CharField(max_length=128)
    phone = fields.CharField(max_length=32)
    postal_code = fields.CharField(max_length=16)
    address = fields.CharField(max_length=255)
    sort_order = fields.SmallIntField(default=0)

    prefectures: fields.ReverseRelation[Prefecture]

    class Meta:
        table = "regional_office"
        ordering = ("sort_order",)


class Prefecture(Model):
    """都道府県 with its JIS code (1–47) as primary key."""

    id = fields.SmallIntField(primary_key=True)
    name = fields.CharField(max_length=8, unique=True)
    office: fields.ForeignKeyRelation[RegionalOffice] = fields.ForeignKeyField(
        "models.RegionalOffice", related_name="prefectures", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "prefecture"
        ordering = ("id",)
