"""Who acts: the roles of domain.md §1."""

from __future__ import annotations

from models.rules.labels import LabelledEnum


class Role(LabelledEnum):
    """The single role of a user account."""

    SPECIALIST = ("SPECIALIST", "専門家")
    COMPANY = ("COMPANY", "企業（ユーザー）")
    PLATFORM = ("PLATFORM", "地域PF・支援機関職員")
    SECRETARIAT = ("SECRETARIAT", "事務局")
    PARTNER = ("PARTNER", "連携機関（APIトークン）")


class PlatformScope(LabelledEnum):
    """How far a support-organisation staff member sees (domain.md §1)."""

    ORGANIZATION = ("ORGANIZATION", "所属支援機関の範囲")
    PLATFORM = ("PLATFORM", "地域プラットフォーム全体（コーディネーター）")
