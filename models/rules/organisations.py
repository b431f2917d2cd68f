"""Kinds of support organisation (支援機関) and which of them are exempt from ineligibility rule 3."""

from __future__ import annotations

from models.rules.labels import LabelledEnum


class OrganizationKind(LabelledEnum):
    YOROZU = ("YOROZU", "よろず支援拠点")
    SHOKOKAI = ("SHOKOKAI", "商工会")
    SHOKOKAI_FEDERATION = ("SHOKOKAI_FEDERATION", "商工会連合会")
    CHAMBER = ("CHAMBER", "商工会議所")
    CHAMBER_FEDERATION = ("CHAMBER_FEDERATION", "商工会議所連合会")
    SME_CENTRAL_ASSOCIATION = ("SME_CENTRAL_ASSOCIATION", "都道府県中小企業団体中央会")
    SHOPPING_STREET_FEDERATION = ("SHOPPING_STREET_FEDERATION", "都道府県商店街振興組合連合会")
    FINANCIAL_INSTITUTION = ("FINANCIAL_INSTITUTION", "金融機関")
    PROFESSIONAL_BODY = ("PROFESSIONAL_BODY", "士業団体")
    PUBLIC_BODY = ("PUBLIC_BODY", "自治体・公設試")
    OTHER = ("OTHER", "その他")


#: Seed 002: membership of these organisations does not make a dispatch ineligible.
MEMBERSHIP_EXEMPT_KINDS: frozenset[OrganizationKind] = frozenset(
    {
        OrganizationKind.SHOKOKAI,
        OrganizationKind.SHOKOKAI_FEDERATION,
        OrganizationKind.CHAMBER,
        OrganizationKind.CHAMBER_FEDERATION,
        OrganizationKind.SME_CENTRAL_ASSOCIATION,
        OrganizationKind.SHOPPING_STREET_FEDERATION,
    }
)
