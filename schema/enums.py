"""GraphQL enums wrapping the domain enums (never redefined); each value described in Japanese."""

from __future__ import annotations

from typing import TypeVar

import strawberry

from models.outbox import OutboxStatus
from models.rules.case_status import CaseAction, CaseStatus, SlotKind
from models.rules.events import EventKind
from models.rules.labels import LabelledEnum
from models.rules.money_kinds import (
    CheckKind,
    DocumentKind,
    EvaluatorKind,
    HoldReason,
    IneligibleRule,
    PaymentState,
    ReviewState,
    TransportMode,
)
from models.rules.organisations import OrganizationKind
from models.rules.registration import BankAccountType, DisplayItem, RegistrationAction
from models.rules.registration_status import Basis, RegistrationStatus
from models.rules.roles import PlatformScope, Role

E = TypeVar("E", bound=type[LabelledEnum])


def domain_enum(cls: E, description: str) -> E:
    """Register ``cls`` as a GraphQL enum whose value descriptions are the Japanese terms."""
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = cls[value.name].ja
    return cls


domain_enum(Role, "ロール (role of an account)")
domain_enum(PlatformScope, "支援機関職員の閲覧範囲 (scope level of platform staff)")
domain_enum(OrganizationKind, "支援機関の種別 (kind of support organisation)")
domain_enum(CaseStatus, "派遣依頼のステータス (status of a dispatch case)")
domain_enum(CaseAction, "閲覧者が今できる操作 (action the viewer may take now)")
domain_enum(SlotKind, "日時枠の種類 (kind of date-time slot)")
domain_enum(EventKind, "出来事の種類 (kind of domain event: a case transition, a reminder, …)")
domain_enum(OutboxStatus, "メールの送信状態 (delivery state of an outbox message)")
domain_enum(RegistrationStatus, "専門家登録の状態 (specialist registration state)")
domain_enum(Basis, "専門家登録要件 ア–エ (registration basis)")
domain_enum(RegistrationAction, "専門家登録の操作 (step of the specialist registration)")
domain_enum(DisplayItem, "企業に表示するプロフィール項目 (profile item shown to companies)")
domain_enum(BankAccountType, "預金種目 (bank account type)")
domain_enum(ReviewState, "実績報告の審査状態 (review state of a report)")
domain_enum(PaymentState, "支払状態 (payment state)")
domain_enum(HoldReason, "支払保留の理由 (reason a payment is held)")
domain_enum(IneligibleRule, "謝金対象外の理由 (ineligibility rule that applied)")
domain_enum(TransportMode, "交通機関 (mode of transport)")
domain_enum(EvaluatorKind, "評価者の種別 (who evaluates)")
domain_enum(DocumentKind, "書類の種類 (kind of document)")
domain_enum(CheckKind, "チェックイン／チェックアウト (check-in or check-out)")
