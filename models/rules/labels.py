"""Japanese labels for domain enums.

Every domain enum is a ``str`` enum whose members carry their Japanese term; the GraphQL layer
uses :func:`label` for enum-value descriptions and mails use it for display.
"""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A ``StrEnum`` whose members are declared as ``NAME = ("NAME", "日本語")``."""

    ja: str

    def __new__(cls, value: str, ja: str = "") -> LabelledEnum:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.ja = ja or value
        return obj


def label(member: LabelledEnum) -> str:
    """The Japanese term of an enum member."""
    return member.ja
