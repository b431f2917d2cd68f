"""The object-level access matrix (security.md §1, security-tests.md S1–S3, S5) on the fixture world.

Every principal × every aggregate × every way in (by-id loader, root list, count): exactly the
expected rows, the denied ones missing exactly like an ID that does not exist; then the field masks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from auth.principal import Principal
from models.organisations import SupportOrganization
from resolvers import loaders
from resolvers.case_queries import CaseFilter, CaseOrderField, SortDirection
from resolvers.pagination import PageArgs
from resolvers.queries import (
    CompanyFilter,
    OrganizationFilter,
    SpecialistFilter,
    count_cases,
    count_companies,
    count_organizations,
    count_specialists,
    list_companies,
    list_organizations,
    list_specialists,
    search_cases,
)
from tests.factories import World, build_world

NOW = datetime(2025, 6, 3, tzinfo=UTC)
MISSING_ID = 987654

PRINCIPALS = [
    "anonymous",
    "specialist_s1_user",
    "specialist_s2_user",
    "specialist_s3_user",
    "company_c1_user",
    "company_c2_user",
    "platform_o1_staff",
    "platform_r1_coordinator",
    "platform_o2_staff",
    "platform_o3_staff",
    "secretariat_kanto",
    "secretariat_kinki",
    "secretariat_national",
    "partner_p1",
    "partner_p2",
]
ALL_AUTHENTICATED = frozenset(PRINCIPALS) - {"anonymous"}

# Expected visible rows per principal (names of World attributes).
CASES = {
    "specialist_s1_user": {"case_s1_c1", "case_s1_c2_r1"},
    "specialist_s2_user": {"case_s2_c2", "case_s2_c1"},
    "company_c1_user": {"case_s1_c1", "case_s2_c1"},
    "company_c2_user": {"case_s2_c2", "case_s1_c2_r1"},
    "platform_o1_staff": {"case_s1_c1", "case_s2_c1"},
    "platform_r1_coordinator": {"case_s1_c1", "case_s2_c1", "case_s1_c2_r1"},
    "platform_o2_staff": {"case_s2_c2", "case_s1_c2_r1"},
    "platform_o3_staff": {"case_s1_c2_r1"},
    "secretariat_kanto": {"case_s1_c1", "case_s2_c1"},
    "secretariat_kinki": {"case_s2_c2", "case_s1_c2_r1"},
    "secretariat_national": {"case_s1_c1", "case_s2_c2", "case_s2_c1", "case_s1_c2_r1"},
    "partner_p1": {"case_s1_c1"},
    "partner_p2": {"case_s2_c2"},
}
SPECIALISTS = {
    "specialist_s1_user": {"specialist_s1"},
    "specialist_s2_user": {"specialist_s2"},
    "specialist_s3_user": {"specialist_s3"},
    "company_c1_user": {"specialist_s1", "specialist_s2"},
    "company_c2_user": {"specialist_s1", "specialist_s2"},
    "platform_o1_staff": {"specialist_s1", "specialist_s2", "specialist_s3"},
    "platform_r1_coordinator": {"specialist_s1", "specialist_s2", "specialist_s3"},
    "platform_o2_staff": {"specialist_s1", "specialist_s2"},
    "platform_o3_staff": {"specialist_s1", "specialist_s2"},
    "secretariat_kanto": {"specialist_s1", "specialist_s2", "specialist_s3"},
    "secretariat_kinki": {"specialist_s1", "specialist_s2"},
    "secretariat_national": {"specialist_s1", "specialist_s2", "specialist_s3"},
    "partner_p1": {"specialist_s1"},
    "partner_p2": {"specialist_s2"},
}
COMPANIES = {
    "specialist_s1_user": {"company_c1", "company_c2"},
    "specialist_s2_user": {"company_c1", "company_c2"},
    "company_c1_user": {"company_c1"},
    "company_c2_user": {"company_c2"},
    "platform_o1_staff": {"company_c1"},
    "platform_r1_coordinator": {"company_c1", "company_c2"},
    "platform_o2_staff": {"company_c2"},
    "platform_o3_staff": {"company_c2"},
    "secretariat_kanto": {"company_c1"},
    "secretariat_kinki": {"company_c2"},
    "secretariat_national": {"company_c1", "company_c2"},
    "partner_p1": {"company_c1"},
    "partner_p2": {"company_c2"},
}
ORGANIZATIONS = {name: {"org_o1", "org_o2", "org_o3"} for name in ALL_AUTHENTICATED}
SEES_CASE_S1_C1 = {
    "specialist_s1_user",
    "company_c1_user",
    "platform_o1_staff",
    "platform_r1_coordinator",
    "secretariat_kanto",
    "secretariat_national",
}
REPORTS = {name: {"report_s1_c1"} for name in SEES_CASE_S1_C1}
EVALUATIONS = {name: {"evaluation_s1_c1"} for name in SEES_CASE_S1_C1}
DOCUMENTS = {name: {"document_s1_c1"} for name in SEES_CASE_S1_C1 | {"partner_p1"}}
PAYMENTS = {name: {"payment_s1_c1"} for name in SEES_CASE_S1_C1 - {"company_c1_user"}}

Loader = Callable[[Principal, list[int]], Awaitable[list[Any]]]

# aggregate: (expected, every candidate attribute, by-id loader)
AGGREGATES: dict[str, tuple[dict[str, set[str]], list[str], Loader]] = {
    "case": (CASES, sorted(CASES["secretariat_national"]), loaders.load_cases),
    "specialist": (
        SPECIALISTS,
        ["specialist_s1", "specialist_s2", "specialist_s3"],
        loaders.load_specialists,
    ),
    "company": (COMPANIES, ["company_c1", "company_c2"], loaders.load_companies),
    "organization": (ORGANIZATIONS, ["org_o1", "org_o2", "org_o3"], loaders.load_organizations),
    "report": (REPORTS, ["report_s1_c1"], loaders.load_reports),
    "evaluation": (EVALUATIONS, ["evaluation_s1_c1"], loaders.load_evaluations),
    "document": (DOCUMENTS, ["document_s1_c1"], loaders.load_documents),
    "payment": (PAYMENTS, ["payment_s1_c1"], loaders.load_payments),
}

WIDE = PageArgs(first=100)


async def _root_list(world: World, aggregate: str, principal: Principal) -> list[int] | None:
    """IDs of the aggregate's root list and its count (None where there is no root list)."""
    if aggregate == "case":
        filt = CaseFilter()
        page = await search_cases(
            principal, filt, CaseOrderField.RECEIVED_AT, SortDirection.DESC, WIDE, NOW
        )
        assert await count_cases(principal, filt, NOW) == len(page.rows)
        return [row["id"] for row in page.rows]
    if aggregate == "specialist":
        page = await list_specialists(principal, SpecialistFilter(), WIDE)
        assert await count_specialists(principal, SpecialistFilter()) == len(page.rows)
        return [row["id"] for row in page.rows]
    if aggregate == "company":
        page = await list_companies(principal, CompanyFilter(), WIDE)
        assert await count_companies(principal, CompanyFilter()) == len(page.rows)
        return [row["id"] for row in page.rows]
    if aggregate == "organization":
        page = await list_organizations(principal, OrganizationFilter(), WIDE)
        assert await count_organizations(principal, OrganizationFilter()) == len(page.rows)
        return [row["id"] for row in page.rows]
    return None


@pytest.mark.parametrize("aggregate", sorted(AGGREGATES))
@pytest.mark.parametrize("who", PRINCIPALS)
async def test_every_way_in_returns_exactly_the_rows_in_scope(
    db: str, who: str, aggregate: str
) -> None:
    # given
    world = await build_world()
    principal: Principal = getattr(world, who)
    expected_by_who, candidates, loader = AGGREGATES[aggregate]
    expected = {getattr(world, name) for name in expected_by_who.get(who, set())}
    keys = [getattr(world, name) for name in candidates]

    # when
    loaded = await loader(principal, [*keys, MISSING_ID])
    listed = await _root_list(world, aggregate, principal)

    # then: allowed cells present, denied cells None exactly like the missing ID
    assert len(loaded) == len(keys) + 1
    assert loaded[-1] is None
    visible = {key for key, row in zip(keys, loaded, strict=False) if row is not None}
    assert visible == expected
    if listed is not None:
        assert sorted(listed) == sorted(expected)


async def test_loader_accepts_string_ids_and_repeated_keys(db: str) -> None:
    # given an ID arriving as str (S3) and the same key twice
    world = await build_world()
    key = str(world.case_s1_c1)

    # when
    rows = await loaders.load_cases(world.specialist_s1_user, [key, key, "abc"])  # type: ignore[list-item]

    # then
    assert [row["id"] if row else None for row in rows] == [world.case_s1_c1] * 2 + [None]


BANK_FULL = {
    ("specialist_s1_user", "specialist_s1"),
    ("specialist_s2_user", "specialist_s2"),
    ("secretariat_kanto", "specialist_s1"),
    ("secretariat_kanto", "specialist_s2"),
    ("secretariat_kinki", "specialist_s1"),
    ("secretariat_kinki", "specialist_s2"),
    ("secretariat_national", "specialist_s1"),
    ("secretariat_national", "specialist_s2"),
}
BANK_MASKED = {
    (who, s)
    for who in (
        "platform_o1_staff",
        "platform_r1_coordinator",
        "platform_o2_staff",
        "platform_o3_staff",
    )
    for s in ("specialist_s1", "specialist_s2")
}


@pytest.mark.parametrize("who", PRINCIPALS)
async def test_bank_account_is_full_for_owner_and_secretariat_masked_for_platform(
    db: str, who: str
) -> None:
    # given
    world = await build_world()
    principal: Principal = getattr(world, who)
    names = ["specialist_s1", "specialist_s2", "specialist_s3"]
    numbers = {"specialist_s1": world.s1_account_number, "specialist_s2": world.s2_account_number}

    # when
    accounts = await loaders.load_bank_account_by_specialist(
        principal, [getattr(world, n) for n in names]
    )

    # then
    for name, account in zip(names, accounts, strict=True):
        if (who, name) in BANK_FULL:
            assert account is not None
            assert account["account_number"] == numbers[name]
            assert account["masked"] is False
            assert account["bank_code"] == "0001"
        elif (who, name) in BANK_MASKED:
            assert account is not None
            assert account["account_number"] == "****" + numbers[name][-3:]
            assert account["masked"] is True
            assert account["bank_code"] == "" and account["holder_kana"] == ""
        else:
            assert account is None


GPS_AND_DECLINE_TEXT = {"specialist_s1_user", "secretariat_kanto", "secretariat_national"}


@pytest.mark.parametrize("who", sorted(SEES_CASE_S1_C1))
async def test_check_in_gps_only_for_own_specialist_and_secretariat(db: str, who: str) -> None:
    # given
    world = await build_world()
    principal: Principal = getattr(world, who)

    # when
    [events] = await loaders.load_check_events_by_case(principal, [world.case_s1_c1])

    # then: times for everyone, coordinates only for the entitled
    assert [e["kind"].value for e in events] == ["CHECK_IN", "CHECK_OUT"]
    assert all(e["server_time"] is not None for e in events)
    entitled = who in GPS_AND_DECLINE_TEXT
    assert all((e["lat"] is not None) is entitled for e in events)
    assert all((e["accuracy_m"] is not None) is entitled for e in events)


SEES_CASE_S2_C2 = {
    "specialist_s2_user",
    "company_c2_user",
    "platform_o2_staff",
    "secretariat_kinki",
    "secretariat_national",
    "partner_p2",
}


@pytest.mark.parametrize("who", sorted(SEES_CASE_S2_C2))
async def test_decline_text_only_for_own_specialist_and_secretariat(db: str, who: str) -> None:
    # given
    world = await build_world()
    principal: Principal = getattr(world, who)

    # when
    [case] = await loaders.load_cases(principal, [world.case_s2_c2])
    [events] = await loaders.load_case_events_by_case(principal, [world.case_s2_c2])
    page = await search_cases(
        principal,
        CaseFilter(reservation_number=case["reservation_number"] if case else "x"),
        CaseOrderField.RECEIVED_AT,
        SortDirection.DESC,
        WIDE,
        NOW,
    )

    # then
    entitled = who in {"specialist_s2_user", "secretariat_kinki", "secretariat_national"}
    expected_text = world.s2_decline_text if entitled else ""
    assert case is not None and case["decline_reason_text"] == expected_text
    assert [row["decline_reason_text"] for row in page.rows] == [expected_text]
    assert case["decline_reason_id"] == world.decline_reason
    secretariat = who.startswith("secretariat")
    assert (events[0]["secret_payload"] != {}) is secretariat


@pytest.mark.parametrize("who", sorted(SEES_CASE_S1_C1 | {"partner_p1"}))
async def test_money_is_never_shown_to_a_company(db: str, who: str) -> None:
    # given
    world = await build_world()
    principal: Principal = getattr(world, who)

    # when
    [payment] = await loaders.load_payment_by_case(principal, [world.case_s1_c1])
    [travel] = await loaders.load_travel_by_report(principal, [world.report_s1_c1])
    [lines] = await loaders.load_travel_lines_by_claim(principal, [world.travel_s1_c1])

    # then
    entitled = who not in {"company_c1_user", "partner_p1"}
    assert (payment is not None) is entitled
    assert (travel is not None) is entitled
    assert (len(lines) == 1) is entitled
    if payment is not None:
        assert payment["honorarium"] == 10560


@pytest.mark.parametrize("who", sorted(SEES_CASE_S1_C1))
async def test_evaluation_comments_hidden_from_company_for_platform_evaluations(
    db: str, who: str
) -> None:
    # given a PLATFORM-side evaluation with a comment
    world = await build_world()
    principal: Principal = getattr(world, who)

    # when
    [by_id] = await loaders.load_evaluations(principal, [world.evaluation_s1_c1])
    [by_case] = await loaders.load_evaluations_by_case(principal, [world.case_s1_c1])
    [summary] = await loaders.load_evaluation_summary_by_specialist(
        principal, [world.specialist_s1]
    )

    # then averages for all, the comment not for the company
    expected = "" if who == "company_c1_user" else world.evaluation_comment
    assert by_id is not None and by_id["comment"] == expected
    assert [e["comment"] for e in by_case] == [expected]
    assert summary is not None and summary["count"] == 1 and summary["satisfaction"] == 5.0


async def test_company_sees_only_the_profile_items_a_specialist_shows(db: str) -> None:
    # given S1 hides career, areas and evaluations from companies
    world = await build_world()
    from models.specialists import Specialist

    await Specialist.filter(id=world.specialist_s1).update(
        display_items=["PHOTO", "INDUSTRIES", "QUALIFICATIONS"]
    )
    keys = [world.specialist_s1]

    # when
    [company_view] = await loaders.load_specialists(world.company_c1_user, keys)
    [platform_view] = await loaders.load_specialists(world.platform_o1_staff, keys)
    [company_areas] = await loaders.load_areas_by_specialist(world.company_c1_user, keys)
    [platform_areas] = await loaders.load_areas_by_specialist(world.platform_o1_staff, keys)
    [industries] = await loaders.load_industries_by_specialist(world.company_c1_user, keys)
    [summary] = await loaders.load_evaluation_summary_by_specialist(world.company_c1_user, keys)

    # then
    assert company_view is not None and company_view["career"] == ""
    assert company_view["email"] == "" and company_view["address"] == ""
    assert platform_view is not None and platform_view["career"] == "経歴の説明"
    assert company_areas == [] and [a["id"] for a in platform_areas] == [world.pref_tokyo]
    assert [i["id"] for i in industries] == [world.industry]
    assert summary is None


async def test_suspension_reason_only_for_the_secretariat(db: str) -> None:
    # given
    world = await build_world()
    await SupportOrganization.filter(id=world.org_o3).update(suspension_reason="不正受給の疑い")

    # when
    [for_staff] = await loaders.load_organizations(world.platform_o3_staff, [world.org_o3])
    [for_office] = await loaders.load_organizations(world.secretariat_kanto, [world.org_o3])
    listed = await list_organizations(world.company_c1_user, OrganizationFilter(), WIDE)

    # then
    assert for_staff is not None and for_staff["suspension_reason"] == ""
    assert for_office is not None and for_office["suspension_reason"] == "不正受給の疑い"
    assert {row["suspension_reason"] for row in listed.rows} == {""}


async def test_signature_image_and_anomalies_follow_the_gps_rule(db: str) -> None:
    # given a signature document on case S1–C1
    world = await build_world()
    from models.attendance import Signature
    from models.reports import Report
    from models.rules.money_kinds import DocumentKind
    from tests.factories import make_document

    image = await make_document(case_id=world.case_s1_c1, kind=DocumentKind.SIGNATURE)
    await Signature.create(case_id=world.case_s1_c1, signer_name="社長", image=image, signed_at=NOW)
    await Report.filter(id=world.report_s1_c1).update(anomalies=["FAR_FROM_SITE"])

    # when
    company = world.company_c1_user
    [company_sig] = await loaders.load_signature_by_case(company, [world.case_s1_c1])
    [owner_sig] = await loaders.load_signature_by_case(world.specialist_s1_user, [world.case_s1_c1])
    [company_docs] = await loaders.load_documents_by_case(company, [world.case_s1_c1])
    [office_docs] = await loaders.load_documents_by_case(
        world.secretariat_kanto, [world.case_s1_c1]
    )
    [company_image, office_image] = [
        (await loaders.load_documents(p, [image.id]))[0] for p in (company, world.secretariat_kanto)
    ]
    [company_report] = await loaders.load_report_by_case(company, [world.case_s1_c1])
    [office_report] = await loaders.load_reports(world.secretariat_kanto, [world.report_s1_c1])

    # then
    assert company_sig is not None and company_sig["image_id"] is None
    assert company_sig["signer_name"] == "社長"
    assert owner_sig is not None and owner_sig["image_id"] == image.id
    assert [d["id"] for d in company_docs] == [world.document_s1_c1]
    assert [d["id"] for d in office_docs] == [world.document_s1_c1, image.id]
    assert company_image is None and office_image is not None
    assert company_report is not None and company_report["anomalies"] == []
    assert office_report is not None and office_report["anomalies"] == ["FAR_FROM_SITE"]


async def test_partner_reads_reports_and_payments_only_with_those_scopes(db: str) -> None:
    # given P1 (read_cases only) and the same organisation's token with more scopes
    world = await build_world()
    base = world.partner_p1
    wider = Principal(
        account_id=base.account_id,
        role=base.role,
        organization_id=base.organization_id,
        platform_id=base.platform_id,
        scopes=frozenset({"read_cases", "read_reports", "read_payments"}),
        auth_method="api_token",
    )

    # when
    narrow_report = await loaders.load_report_by_case(base, [world.case_s1_c1])
    wide_report = await loaders.load_report_by_case(wider, [world.case_s1_c1])
    wide_payment = await loaders.load_payment_by_case(wider, [world.case_s1_c1])
    bank = await loaders.load_bank_account_by_specialist(wider, [world.specialist_s1])

    # then
    assert narrow_report == [None]
    assert wide_report[0] is not None and wide_report[0]["comment_to_secretariat"] == ""
    assert wide_payment[0] is not None
    assert bank == [None]
