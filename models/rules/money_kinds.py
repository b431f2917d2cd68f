"""Enumerations of the money side: report review, payments, travel modes (domain.md §5–§7)."""

from __future__ import annotations

from models.rules.labels import LabelledEnum


class ReviewState(LabelledEnum):
    DRAFT = ("DRAFT", "一時保存")
    SUBMITTED = ("SUBMITTED", "提出済")
    ACCEPTED = ("ACCEPTED", "受理済")
    RETURNED = ("RETURNED", "差戻し")


class PaymentState(LabelledEnum):
    NOT_DUE = ("NOT_DUE", "支払対象外（未到来）")
    HELD = ("HELD", "保留")
    PAYABLE = ("PAYABLE", "支払可能")
    PAID = ("PAID", "支払済")
    INELIGIBLE = ("INELIGIBLE", "謝金対象外")


class HoldReason(LabelledEnum):
    NOT_ACTIVE = ("NOT_ACTIVE", "就任承諾書未提出")
    FORM8_MISSING = ("FORM8_MISSING", "様式8未着")
    REPORT_NOT_ACCEPTED = ("REPORT_NOT_ACCEPTED", "実績報告未受理")
    AIR_DOCUMENTS_MISSING = ("AIR_DOCUMENTS_MISSING", "航空券半券・領収書未着")


class IneligibleRule(LabelledEnum):
    PUBLIC_SUBSIDY = ("PUBLIC_SUBSIDY", "公的な人件費補助を受けている")
    SALARY_FROM_FILER = ("SALARY_FROM_FILER", "申請機関から給与を受けている")
    MEMBER_OF_FILER = ("MEMBER_OF_FILER", "申請機関の構成員である")
    SELF_REQUESTED = ("SELF_REQUESTED", "専門家自身の依頼による派遣")


class TransportMode(LabelledEnum):
    RAIL = ("RAIL", "鉄道")
    LIMITED_EXPRESS = ("LIMITED_EXPRESS", "特急・指定席")
    AIR = ("AIR", "航空機")
    SHIP = ("SHIP", "船舶")
    BUS = ("BUS", "バス")
    TAXI = ("TAXI", "タクシー")
    PRIVATE_CAR = ("PRIVATE_CAR", "私有車")
    RENTAL_CAR = ("RENTAL_CAR", "レンタカー")
    OTHER = ("OTHER", "その他")


class EvaluatorKind(LabelledEnum):
    PLATFORM = ("PLATFORM", "地域PF・支援機関")
    COMPANY = ("COMPANY", "企業")


class DocumentKind(LabelledEnum):
    FORM8 = ("FORM8", "様式8（従事証明書）")
    RECEIPT = ("RECEIPT", "領収書（貼付用紙）")
    BOARDING_STUB = ("BOARDING_STUB", "搭乗券半券")
    SIGNATURE = ("SIGNATURE", "署名画像")
    PHOTO = ("PHOTO", "顔写真")
    CERTIFICATE = ("CERTIFICATE", "資格証明書")
    ACCEPTANCE_LETTER = ("ACCEPTANCE_LETTER", "就任承諾書")
    COMMISSION_LETTER = ("COMMISSION_LETTER", "委嘱状")
    OTHER = ("OTHER", "その他")


class CheckKind(LabelledEnum):
    CHECK_IN = ("CHECK_IN", "チェックイン")
    CHECK_OUT = ("CHECK_OUT", "チェックアウト")
