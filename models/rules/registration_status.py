"""Specialist registration states and bases (seed 002, domain.md §3)."""

from __future__ import annotations

from models.rules.labels import LabelledEnum


class RegistrationStatus(LabelledEnum):
    DRAFT = ("DRAFT", "下書き")
    PENDING_ORG_APPROVAL = ("PENDING_ORG_APPROVAL", "支援機関承認待ち")
    PENDING_SECRETARIAT_APPROVAL = ("PENDING_SECRETARIAT_APPROVAL", "事務局承認待ち")
    REGISTERED = ("REGISTERED", "登録済（委嘱条件未同意）")
    TERMS_ACCEPTED = ("TERMS_ACCEPTED", "委嘱条件同意済")
    ACTIVE = ("ACTIVE", "就任承諾済（活動中）")
    REJECTED = ("REJECTED", "不承認")
    REVOKED = ("REVOKED", "登録取消")
    WITHDRAWN = ("WITHDRAWN", "登録辞退")


class Basis(LabelledEnum):
    """登録要件 ア–エ."""

    A = ("A", "ア：公的資格の保有")
    B = ("B", "イ：経営者・技術者として10年以上の実務経験")
    C = ("C", "ウ：中小企業支援の3年以上の実績")
    D = ("D", "エ：能力開発施設等での5年以上の指導・研究経験")
