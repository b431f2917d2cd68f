"""Test data: small ``make_*`` factories with defaults and the shared fixture world.

The fixture world (security-tests.md "Fixture world", extended so every scoping rule has a cell
that tells it apart):

* offices 関東 (東京都) and 近畿 (大阪府); platforms R1 (東京都) and R2 (大阪府);
  support organisations O1 (R1), O2 (R2) and O3 (a second organisation of R1);
* companies C1 (東京都, registered by O1) and C2 (大阪府, registered by O2);
* specialists S1 (東京都) and S2 (大阪府), both REGISTERED with bank accounts, and S3
  (東京都, PENDING_ORG_APPROVAL, recommended by O1, no cases);
* cases ``case_s1_c1`` (filed by O1 staff on R1, REPORTED, with slots, check-in/out, report,
  travel claim, evaluation with comment, payment, a document), ``case_s2_c2`` (filed by O2 staff on
  R2, DECLINED with a free-text reason and a secret event payload), ``case_s2_c1`` (filed by the
  C1 company member itself, CONFIRMED) and ``case_s1_c2_r1`` (filed by O3 staff on R1 for C2 in
  大阪府: seen by the R1 coordinator but not by O1 staff, coordinated by 近畿);
* principals for every party: specialists S1, S2, S3; company members C1, C2; platform staff O1
  (organisation scope), coordinator R1 (an O1 account with platform scope), staff O2, staff O3;
  secretariat 関東, 近畿 and national; partner tokens P1 (O1, ``read_cases``) and P2
  (O2, ``read_cases write_cases``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auth.authenticate import principal_for_account
from auth.principal import Principal
from models.accounts import UserAccount
from models.attendance import CheckEvent
from models.bank import BankAccount, encrypt_bank_account
from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.companies import Company
from models.documents import Document
from models.evaluations import Evaluation
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture, RegionalOffice
from models.masters import CancelCategory, DeclineReason, Industry, IssueCategory, Qualification
from models.organisations import RegionalPlatform, SupportOrganization
from models.payments import Payment
from models.reports import Report, TravelClaim, TravelLine
from models.rules.case_status import CaseStatus, SlotKind
from models.rules.money_kinds import (
    CheckKind,
    DocumentKind,
    EvaluatorKind,
    PaymentState,
    ReviewState,
    TransportMode,
)
from models.rules.organisations import OrganizationKind
from models.rules.registration_status import RegistrationStatus
from models.rules.roles import PlatformScope, Role
from models.specialists import Specialist

_seq = itertools.count(1)

#: A fixed instant in fiscal year 2025 the world's dates are built around.
BASE = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)  # 10:00 Asia/Tokyo


def _n() -> int:
    return next(_seq)


# ---------------------------------------------------------------- reference data


async def make_office(**kw: Any) -> RegionalOffice:
    n = _n()
    values: dict[str, Any] = {
        "code": f"OFFICE{n}",
        "name": f"事務局{n}",
        "email": f"office{n}@example.jp",
        "phone": "03-0000-0000",
        "postal_code": "100-0001",
        "address": "東京都千代田区",
        "sort_order": n % 30_000,  # a SMALLINT column; the sequence runs on across worlds
    }
    values.update(kw)
    return await RegionalOffice.create(**values)


async def make_prefecture(office: RegionalOffice, pref_id: int, name: str) -> Prefecture:
    return await Prefecture.create(id=pref_id, name=name, office=office)


async def make_platform(prefecture: Prefecture, **kw: Any) -> RegionalPlatform:
    values: dict[str, Any] = {"name": f"地域PF{_n()}", "prefecture": prefecture}
    values.update(kw)
    return await RegionalPlatform.create(**values)


async def make_organization(
    prefecture: Prefecture, platform: RegionalPlatform | None, **kw: Any
) -> SupportOrganization:
    values: dict[str, Any] = {
        "name": f"支援機関{_n()}",
        "kind": OrganizationKind.YOROZU,
        "prefecture": prefecture,
        "platform": platform,
    }
    values.update(kw)
    return await SupportOrganization.create(**values)


async def make_masters() -> dict[str, Any]:
    """One row of every master list (issue category, qualification, industry, reasons)."""
    return {
        "issue_category": await IssueCategory.create(code=f"IC{_n()}", name="販路開拓"),
        "issue_category_it": await IssueCategory.create(code=f"IC{_n()}", name="IT化", is_it=True),
        "qualification": await Qualification.create(code=f"Q{_n()}", name="中小企業診断士"),
        "industry": await Industry.create(code=f"I{_n()}", name="製造業"),
        "decline_reason": await DeclineReason.create(code=f"D{_n()}", name="日程が合わない"),
        "cancel_category": await CancelCategory.create(code=f"K{_n()}", name="企業都合"),
    }


async def make_fiscal_config(fiscal_year: int = 2025, **kw: Any) -> FiscalYearConfig:
    values: dict[str, Any] = {
        "fiscal_year": fiscal_year,
        "last_dispatch_day": date(fiscal_year + 1, 2, 27),
    }
    values.update(kw)
    return await FiscalYearConfig.create(**values)


# ---------------------------------------------------------------- parties


async def make_company(prefecture: Prefecture, **kw: Any) -> Company:
    n = _n()
    values: dict[str, Any] = {
        "name": f"株式会社テスト{n}",
        "name_kana": f"カブシキガイシャテスト{n}",
        "user_name": f"user{n}",
        "prefecture": prefecture,
    }
    values.update(kw)
    return await Company.create(**values)


def bank_account_for(number: str, holder_kana: str = "テスト　タロウ") -> BankAccount:
    return BankAccount(
        bank_code="0001",
        bank_name="みずほ銀行",
        branch_code="001",
        branch_name="東京営業部",
        account_type="ORDINARY",
        account_number=number,
        holder_kana=holder_kana,
    )


async def make_specialist(
    prefecture: Prefecture, bank_account: BankAccount | None = None, **kw: Any
) -> Specialist:
    n = _n()
    values: dict[str, Any] = {
        "name": f"専門家{n}",
        "name_kana": f"センモンカ{n}",
        "email": f"specialist{n}@example.jp",
        "prefecture": prefecture,
        "registration_status": RegistrationStatus.REGISTERED,
        "registered_at": BASE - timedelta(days=60),
        "career": "経歴の説明",
        "address": "住所",
    }
    if bank_account is not None:
        values["bank_account_ciphertext"] = encrypt_bank_account(bank_account)
        values["bank_account_last3"] = bank_account.last3
        values["bank_account_updated_at"] = BASE - timedelta(days=30)
    values.update(kw)
    return await Specialist.create(**values)


async def make_account(role: Role, **kw: Any) -> UserAccount:
    n = _n()
    values: dict[str, Any] = {
        "email": f"account{n}@example.jp",
        "display_name": f"利用者{n}",
        "role": role,
    }
    values.update(kw)
    return await UserAccount.create(**values)


async def principal_for(account: UserAccount, auth_method: str = "session") -> Principal:
    """The Principal authentication builds for ``account`` (auth.authenticate)."""
    return await principal_for_account(account, auth_method=auth_method)


async def partner_principal(organization: SupportOrganization, scopes: str) -> Principal:
    """A partner API token of ``organization`` (the token row itself is not needed for reads)."""
    account = await make_account(Role.PARTNER, organization=organization)
    base = await principal_for(account, auth_method="api_token")
    return Principal(
        account_id=base.account_id,
        role=Role.PARTNER,
        display_name=base.display_name,
        organization_id=base.organization_id,
        platform_id=base.platform_id,
        scopes=frozenset(scopes.split()),
        auth_method="api_token",
    )


# ---------------------------------------------------------------- cases and their children


async def make_case(
    company: Company,
    specialist: Specialist,
    filed_by: UserAccount,
    filing_organization: SupportOrganization | None = None,
    **kw: Any,
) -> DispatchCase:
    """A case coordinated by the office of the company's prefecture; platform from the filer."""
    n = _n()
    prefecture = await Prefecture.get(id=company.prefecture_id)  # type: ignore[attr-defined]
    received_at = kw.pop("received_at", BASE + timedelta(hours=n))
    fiscal_year = kw.pop("fiscal_year", 2025)
    values: dict[str, Any] = {
        "reservation_number": f"{fiscal_year}-{n:06d}",
        "fiscal_year": fiscal_year,
        "received_at": received_at,
        "company": company,
        "specialist": specialist,
        "filed_by": filed_by,
        "filing_organization": filing_organization,
        "platform_id": filing_organization.platform_id  # type: ignore[attr-defined]
        if filing_organization is not None
        else None,
        "office_id": prefecture.office_id,  # type: ignore[attr-defined]
        "title": f"案件{n}",
        "description": "相談内容",
        "location_name": "本社",
        "location_address": "住所",
        "location_lat": 35.68,
        "location_lng": 139.76,
        "status": CaseStatus.UNPROCESSED,
    }
    values.update(kw)
    return await DispatchCase.create(**values)


async def make_slot(case: DispatchCase, start: datetime, **kw: Any) -> CaseSlot:
    values: dict[str, Any] = {
        "case": case,
        "kind": SlotKind.CANDIDATE,
        "position": 1,
        "start": start,
        "end": start + timedelta(hours=2),
    }
    values.update(kw)
    return await CaseSlot.create(**values)


async def make_case_event(case: DispatchCase, action: str, **kw: Any) -> CaseEvent:
    values: dict[str, Any] = {"case": case, "action": action, "version": case.version}
    values.update(kw)
    return await CaseEvent.create(**values)


async def make_check_event(
    case: DispatchCase, recorded_by: UserAccount, kind: CheckKind, at: datetime, **kw: Any
) -> CheckEvent:
    values: dict[str, Any] = {
        "case": case,
        "kind": kind,
        "device_time": at,
        "server_time": at,
        "lat": 35.681,
        "lng": 139.767,
        "accuracy_m": 12.5,
        "distance_m": 40,
        "recorded_by": recorded_by,
    }
    values.update(kw)
    return await CheckEvent.create(**values)


async def make_report(
    case: DispatchCase, issue_category: IssueCategory, qualification: Qualification, **kw: Any
) -> Report:
    start = case.dispatch_start or BASE
    end = case.dispatch_end or start + timedelta(hours=2)
    values: dict[str, Any] = {
        "case": case,
        "review_state": ReviewState.SUBMITTED,
        "dispatch_date": case.dispatch_date or start.date(),
        "start_at": start,
        "end_at": end,
        "issue_category": issue_category,
        "company_request": "販路開拓の助言がほしい",
        "main_qualification": qualification,
        "attendees_company": "社長",
        "attendees_organization": "担当者",
        "attendees_others": "",
        "support_content_1": "販路開拓の手法を助言した",
        "accompanied": False,
        "further_visits_needed": False,
        "survey_cooperation": True,
        "submitted_at": end + timedelta(hours=1),
    }
    values.update(kw)
    return await Report.create(**values)


async def make_travel_claim(report: Report, **kw: Any) -> TravelClaim:
    values: dict[str, Any] = {
        "report": report,
        "place": "本社",
        "address": "住所",
        "purpose": "専門家派遣",
        "transport_amount": 880,
        "total_amount": 880,
    }
    values.update(kw)
    claim = await TravelClaim.create(**values)
    await TravelLine.create(
        claim=claim,
        position=1,
        mode=TransportMode.RAIL,
        from_place="自宅",
        to_place="本社",
        round_trip=True,
        one_way_fare=440,
        amount=880,
    )
    return claim


async def make_evaluation(
    case: DispatchCase, evaluator: UserAccount, kind: EvaluatorKind, **kw: Any
) -> Evaluation:
    values: dict[str, Any] = {
        "case": case,
        "specialist_id": case.specialist_id,  # type: ignore[attr-defined]
        "evaluator_kind": kind,
        "evaluator": evaluator,
        "satisfaction": 5,
        "expertise": 4,
        "clarity": 4,
        "responsiveness": 5,
        "comment": "大変参考になった",
        "would_request_again": True,
    }
    values.update(kw)
    return await Evaluation.create(**values)


async def make_payment(case: DispatchCase, **kw: Any) -> Payment:
    values: dict[str, Any] = {
        "case": case,
        "state": PaymentState.PAYABLE,
        "billable_minutes": 120,
        "units": 4,
        "honorarium": 10560,
        "withholding": 1078,
        "travel": 880,
        "total": 10362,
    }
    values.update(kw)
    return await Payment.create(**values)


async def make_document(**kw: Any) -> Document:
    values: dict[str, Any] = {
        "kind": DocumentKind.FORM8,
        "filename": "form8.pdf",
        "content_type": "application/pdf",
        "size_bytes": 1024,
        "sha256": "0" * 64,
    }
    values.update(kw)
    return await Document.create(**values)


# ---------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    office_kanto: int
    office_kinki: int
    pref_tokyo: int
    pref_osaka: int
    platform_r1: int
    platform_r2: int
    org_o1: int
    org_o2: int
    org_o3: int
    company_c1: int
    company_c2: int
    specialist_s1: int
    specialist_s2: int
    specialist_s3: int
    case_s1_c1: int
    case_s2_c2: int
    case_s2_c1: int
    case_s1_c2_r1: int
    report_s1_c1: int
    travel_s1_c1: int
    evaluation_s1_c1: int
    payment_s1_c1: int
    document_s1_c1: int
    issue_category: int
    qualification: int
    industry: int
    decline_reason: int
    cancel_category: int
    fiscal_year: int
    s1_account_number: str
    s2_account_number: str
    s2_decline_text: str
    evaluation_comment: str
    anonymous: Principal
    specialist_s1_user: Principal
    specialist_s2_user: Principal
    specialist_s3_user: Principal
    company_c1_user: Principal
    company_c2_user: Principal
    platform_o1_staff: Principal
    platform_r1_coordinator: Principal
    platform_o2_staff: Principal
    platform_o3_staff: Principal
    secretariat_kanto: Principal
    secretariat_kinki: Principal
    secretariat_national: Principal
    partner_p1: Principal
    partner_p2: Principal

    @property
    def case_ids(self) -> frozenset[int]:
        return frozenset({self.case_s1_c1, self.case_s2_c2, self.case_s2_c1, self.case_s1_c2_r1})

    def principals(self) -> dict[str, Principal]:
        """Every party by a stable name (for parametrised matrices)."""
        return {
            name: value
            for name, value in vars(self).items()
            if isinstance(value, Principal) and name != "anonymous"
        } | {"anonymous": self.anonymous}


async def build_world() -> World:
    masters = await make_masters()
    fiscal = await make_fiscal_config(2025)
    kanto = await make_office(code="KANTO", name="関東事務局")
    kinki = await make_office(code="KINKI", name="近畿事務局")
    tokyo = await make_prefecture(kanto, 13, "東京都")
    osaka = await make_prefecture(kinki, 27, "大阪府")
    r1 = await make_platform(tokyo, name="東京都地域プラットフォーム")
    r2 = await make_platform(osaka, name="大阪府地域プラットフォーム")
    o1 = await make_organization(tokyo, r1, name="東京よろず支援拠点")
    o2 = await make_organization(osaka, r2, name="大阪商工会議所", kind=OrganizationKind.CHAMBER)
    o3 = await make_organization(
        tokyo, r1, name="東京信用金庫", kind=OrganizationKind.FINANCIAL_INSTITUTION
    )
    c1 = await make_company(
        tokyo,
        name="株式会社東京製作所",
        name_kana="トウキョウセイサクショ",
        user_name="tokyo_seisaku",
        registered_by=o1,
        industry=masters["industry"],
    )
    c2 = await make_company(
        osaka,
        name="大阪商事株式会社",
        name_kana="オオサカショウジ",
        user_name="osaka_shoji",
        registered_by=o2,
    )
    s1_number, s2_number = "1234567", "7654321"
    s1 = await make_specialist(
        tokyo,
        bank_account_for(s1_number, "ヤマダ　タロウ"),
        name="山田太郎",
        name_kana="ヤマダタロウ",
    )
    s2 = await make_specialist(
        osaka,
        bank_account_for(s2_number, "スズキ　ハナコ"),
        name="鈴木花子",
        name_kana="スズキハナコ",
    )
    s3 = await make_specialist(
        tokyo,
        name="佐藤次郎",
        name_kana="サトウジロウ",
        registration_status=RegistrationStatus.PENDING_ORG_APPROVAL,
        recommending_org=o1,
        registered_at=None,
    )
    await s1.expertise.add(masters["issue_category"])
    await s1.industries.add(masters["industry"])
    await s1.areas.add(tokyo)

    acc = {
        "s1": await make_account(Role.SPECIALIST, specialist=s1, display_name="山田太郎"),
        "s2": await make_account(Role.SPECIALIST, specialist=s2, display_name="鈴木花子"),
        "s3": await make_account(Role.SPECIALIST, specialist=s3, display_name="佐藤次郎"),
        "c1": await make_account(Role.COMPANY, company=c1, display_name="東京製作所 担当"),
        "c2": await make_account(Role.COMPANY, company=c2, display_name="大阪商事 担当"),
        "o1": await make_account(Role.PLATFORM, organization=o1, display_name="O1 職員"),
        "r1": await make_account(
            Role.PLATFORM,
            organization=o1,
            platform_scope=PlatformScope.PLATFORM,
            display_name="R1 コーディネーター",
        ),
        "o2": await make_account(Role.PLATFORM, organization=o2, display_name="O2 職員"),
        "o3": await make_account(Role.PLATFORM, organization=o3, display_name="O3 職員"),
        "kanto": await make_account(Role.SECRETARIAT, office=kanto, display_name="関東事務局 職員"),
        "kinki": await make_account(Role.SECRETARIAT, office=kinki, display_name="近畿事務局 職員"),
        "national": await make_account(Role.SECRETARIAT, display_name="全国事務局 職員"),
    }

    start = BASE + timedelta(days=7)
    case11 = await make_case(
        c1,
        s1,
        acc["o1"],
        o1,
        title="販路開拓の相談",
        description="新商品の販路開拓について",
        status=CaseStatus.REPORTED,
        dispatch_start=start,
        dispatch_end=start + timedelta(hours=2),
        dispatch_date=start.date(),
        received_at=BASE,
    )
    decline_text = "個人的な事情により辞退します"
    case22 = await make_case(
        c2,
        s2,
        acc["o2"],
        o2,
        title="資金繰りの改善",
        description="資金繰り表の作り方",
        status=CaseStatus.DECLINED,
        decline_reason=masters["decline_reason"],
        decline_reason_text=decline_text,
        decline_comment="またの機会にお願いします",
        received_at=BASE + timedelta(days=1),
        location_lat=34.69,
        location_lng=135.50,
    )
    case21 = await make_case(
        c1,
        s2,
        acc["c1"],
        None,
        title="IT導入の相談",
        description="クラウド会計の導入",
        status=CaseStatus.CONFIRMED,
        dispatch_start=start + timedelta(days=30),
        dispatch_end=start + timedelta(days=30, hours=2),
        dispatch_date=(start + timedelta(days=30)).date(),
        received_at=BASE + timedelta(days=2),
    )
    case13 = await make_case(
        c2,
        s1,
        acc["o3"],
        o3,
        title="事業承継の相談",
        description="後継者育成",
        status=CaseStatus.UNPROCESSED,
        received_at=BASE + timedelta(days=3),
    )
    for case in (case11, case22, case21, case13):
        await make_slot(case, start)
    await make_case_event(case11, "FILE", to_status=CaseStatus.UNPROCESSED, actor=acc["o1"])
    await make_case_event(
        case22,
        "DECLINE",
        from_status=CaseStatus.UNPROCESSED,
        to_status=CaseStatus.DECLINED,
        actor=acc["s2"],
        actor_role="SPECIALIST",
        payload={"decline_reason_id": masters["decline_reason"].id},
        secret_payload={"decline_reason_text": decline_text},
    )
    await make_check_event(case11, acc["s1"], CheckKind.CHECK_IN, start)
    await make_check_event(case11, acc["s1"], CheckKind.CHECK_OUT, start + timedelta(hours=2))
    report = await make_report(case11, masters["issue_category"], masters["qualification"])
    travel = await make_travel_claim(report)
    comment = "大変参考になった"
    evaluation = await make_evaluation(case11, acc["o1"], EvaluatorKind.PLATFORM, comment=comment)
    payment = await make_payment(case11)
    document = await make_document(case=case11, uploaded_by=acc["s1"])

    return World(
        office_kanto=kanto.id,
        office_kinki=kinki.id,
        pref_tokyo=tokyo.id,
        pref_osaka=osaka.id,
        platform_r1=r1.id,
        platform_r2=r2.id,
        org_o1=o1.id,
        org_o2=o2.id,
        org_o3=o3.id,
        company_c1=c1.id,
        company_c2=c2.id,
        specialist_s1=s1.id,
        specialist_s2=s2.id,
        specialist_s3=s3.id,
        case_s1_c1=case11.id,
        case_s2_c2=case22.id,
        case_s2_c1=case21.id,
        case_s1_c2_r1=case13.id,
        report_s1_c1=report.id,
        travel_s1_c1=travel.id,
        evaluation_s1_c1=evaluation.id,
        payment_s1_c1=payment.id,
        document_s1_c1=document.id,
        issue_category=masters["issue_category"].id,
        qualification=masters["qualification"].id,
        industry=masters["industry"].id,
        decline_reason=masters["decline_reason"].id,
        cancel_category=masters["cancel_category"].id,
        fiscal_year=fiscal.fiscal_year,
        s1_account_number=s1_number,
        s2_account_number=s2_number,
        s2_decline_text=decline_text,
        evaluation_comment=comment,
        anonymous=Principal(),
        specialist_s1_user=await principal_for(acc["s1"]),
        specialist_s2_user=await principal_for(acc["s2"]),
        specialist_s3_user=await principal_for(acc["s3"]),
        company_c1_user=await principal_for(acc["c1"]),
        company_c2_user=await principal_for(acc["c2"]),
        platform_o1_staff=await principal_for(acc["o1"]),
        platform_r1_coordinator=await principal_for(acc["r1"]),
        platform_o2_staff=await principal_for(acc["o2"]),
        platform_o3_staff=await principal_for(acc["o3"]),
        secretariat_kanto=await principal_for(acc["kanto"]),
        secretariat_kinki=await principal_for(acc["kinki"]),
        secretariat_national=await principal_for(acc["national"]),
        partner_p1=await partner_principal(o1, "read_cases"),
        partner_p2=await partner_principal(o2, "read_cases write_cases"),
    )


# ---------------------------------------------------------------- case workflow (issue 3)


async def make_commission(
    specialist_id: int, fiscal_year: int = 2025, *, active: bool = False, **kw: Any
) -> Any:
    """The 委嘱 of one FY with the terms accepted (dispatchable); ``active`` adds the 就任承諾書."""
    from models.specialists import Commission

    values: dict[str, Any] = {
        "specialist_id": specialist_id,
        "fiscal_year": fiscal_year,
        "terms_accepted_at": BASE - timedelta(days=20),
        "letter_issued_at": BASE - timedelta(days=10) if active else None,
        "acceptance_received_at": BASE - timedelta(days=5) if active else None,
    }
    values.update(kw)
    return await Commission.create(**values)


async def make_signature_document(uploaded_by_id: int, **kw: Any) -> Document:
    """A signature image as ``POST /uploads`` stores it (not yet attached to a case)."""
    values: dict[str, Any] = {
        "kind": DocumentKind.SIGNATURE,
        "filename": "signature.png",
        "content_type": "image/png",
        "size_bytes": 2048,
        "sha256": "1" * 64,
        "uploaded_by_id": uploaded_by_id,
    }
    values.update(kw)
    return await Document.create(**values)


# ---------------------------------------------------------------- reports and money (issue 4)


async def make_dispatched_case(
    world: World,
    start: datetime,
    hours: float = 2,
    *,
    specialist_id: int | None = None,
    **kw: Any,
) -> DispatchCase:
    """A CONFIRMED case of C1 filed by O1 staff (for O1 or ``filing_organization``) for S1 (or
    ``specialist_id``) whose dispatch window starts at ``start``; once ``start + hours`` has
    passed it reads as UNREPORTED."""
    from models.rules.fiscal_year import tokyo_date

    company = await Company.get(id=world.company_c1)
    specialist = await Specialist.get(id=specialist_id or world.specialist_s1)
    organization = kw.pop("filing_organization", None)
    if organization is None:
        organization = await SupportOrganization.get(id=world.org_o1)
    filer = await UserAccount.get(id=world.platform_o1_staff.account_id)
    end = start + timedelta(hours=hours)
    values: dict[str, Any] = {
        "status": CaseStatus.CONFIRMED,
        "dispatch_start": start,
        "dispatch_end": end,
        "dispatch_date": tokyo_date(start),
        "version": 3,
    }
    values.update(kw)
    case = await make_case(company, specialist, filer, organization, **values)
    await make_slot(case, start, kind=SlotKind.CANDIDATE, end=end)
    return case
