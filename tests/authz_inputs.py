"""A valid input for every mutation, for the function-level authorization matrix.

``ARRANGEMENTS`` maps each non-public mutation to an :class:`Arrangement`: ``arrange(world,
actor)`` creates whatever the mutation needs in the fixture world (a case in the right status, a
pending registration, a dead mail, an upload of the acting principal…) and returns the input that
``Arrangement.actor`` (a principal of :func:`tests.factories.build_world`) runs successfully at
``Call.now``. The same input, run by a role that may never call the mutation, must be refused
(tests/schema/test_mutation_authz_matrix.py). ``Probe`` names, for mutations that take an ID, a
principal whose role may call the mutation but who does not see the object, and the input path
of that ID; the reply must equal the reply for an ID that does not exist.

Every ``arrange`` may run several times in one world (once per principal): it creates fresh rows
or updates idempotently, never a second row under a unique key.

:func:`table_rows` reads every table of the database (rows sorted), to prove that a refusal wrote
nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from auth.principal import Principal
from models.accounts import UserAccount
from models.cases import DispatchCase
from models.companies import Company
from models.geo import Prefecture
from models.masters import IssueCategory, Qualification
from models.organisations import SupportOrganization
from models.outbox import DomainEvent, OutboxMessage, OutboxStatus
from models.payments import PaymentBatch
from models.reports import Report
from models.rules.case_status import CaseStatus, SlotKind
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import CheckKind, DocumentKind, ReviewState
from models.rules.registration_status import Basis, RegistrationStatus
from models.specialists import Commission, Specialist, SpecialistBasis
from schema.relay import to_global_id
from tests.factories import (
    World,
    build_world,
    make_case,
    make_check_event,
    make_commission,
    make_dispatched_case,
    make_document,
    make_report,
    make_signature_document,
    make_slot,
    make_specialist,
    make_travel_claim,
)


def jst(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


#: Monday 2 June 2025, 10:00 in Tokyo (fiscal year 2025): the clock of most calls.
NOW = jst(6, 2, 10)
#: Candidate slots: Wednesday to Friday of the next week, within the default 09:00–17:00.
SLOTS = [(jst(6, 11, 10), jst(6, 11, 12)), (jst(6, 12, 10), jst(6, 12, 12))]
#: Slots the specialist proposes instead: Tuesday and Wednesday of the week after.
PROPOSALS = [(jst(6, 17, 14), jst(6, 17, 16)), (jst(6, 18, 9), jst(6, 18, 11))]
#: A dispatch on Wednesday 11 June 10:00–12:00, reported the next day.
DISPATCH = jst(6, 11, 10)
AFTER_DISPATCH = jst(6, 12, 10)

_unique = itertools.count(1)


@dataclass(frozen=True)
class Call:
    """The ``input`` of one mutation call and the instant it is made at."""

    input: dict[str, Any]
    now: datetime = NOW


@dataclass(frozen=True)
class Probe:
    """An object outside ``principal``'s scope (its role may call the mutation): the ID at
    ``path`` in the input; ``type_name`` is the node type of that ID."""

    principal: str
    path: tuple[str, ...]
    type_name: str

    def missing_id(self) -> str:
        return to_global_id(self.type_name, 999_999)


Arrange = Callable[[World, Principal], Awaitable[Call]]


@dataclass(frozen=True)
class Arrangement:
    """``foreign_upload``: for inputs naming the caller's own upload, the path of that ID and a
    principal (``Probe.principal``) whose upload the actor names instead."""

    arrange: Arrange
    actor: str
    probe: Probe | None = None
    foreign_upload: Probe | None = None


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


def iso_slots(slots: list[tuple[datetime, datetime]]) -> list[dict[str, str]]:
    return [{"start": s.isoformat(), "end": e.isoformat()} for s, e in slots]


# ---------------------------------------------------------------- the world


async def matrix_world() -> World:
    """The fixture world with S1 and S2 dispatchable in FY 2025 (terms accepted)."""
    world = await build_world()
    for specialist in (world.specialist_s1, world.specialist_s2):
        await make_commission(specialist, 2025)
    return world


async def _account(principal: Principal) -> UserAccount:
    return await UserAccount.get(id=principal.account_id)


async def _case_of_o1(world: World, status: CaseStatus, **kw: Any) -> DispatchCase:
    """A case of C1 for S1 filed by O1 staff (version 1)."""
    company = await Company.get(id=world.company_c1)
    specialist = await Specialist.get(id=world.specialist_s1)
    organization = await SupportOrganization.get(id=world.org_o1)
    filer = await _account(world.platform_o1_staff)
    return await make_case(company, specialist, filer, organization, status=status, **kw)


async def _slots(
    case: DispatchCase, kind: SlotKind, slots: list[tuple[datetime, datetime]]
) -> None:
    for position, (start, end) in enumerate(slots, start=1):
        await make_slot(case, start, kind=kind, position=position, end=end)


async def _unprocessed(world: World) -> DispatchCase:
    case = await _case_of_o1(world, CaseStatus.UNPROCESSED)
    await _slots(case, SlotKind.CANDIDATE, SLOTS)
    return case


async def _adjusting(world: World) -> DispatchCase:
    case = await _case_of_o1(world, CaseStatus.ADJUSTING, proposal_comment="別日程でお願いします")
    await _slots(case, SlotKind.CANDIDATE, SLOTS)
    await _slots(case, SlotKind.PROPOSED, PROPOSALS)
    return case


async def _confirmed(world: World) -> DispatchCase:
    start, end = SLOTS[0]
    case = await _case_of_o1(
        world,
        CaseStatus.CONFIRMED,
        dispatch_start=start,
        dispatch_end=end,
        dispatch_date=start.date(),
    )
    await _slots(case, SlotKind.CANDIDATE, SLOTS)
    return case


async def _reported(world: World) -> DispatchCase:
    """A REPORTED case of C1 for S1 (version 3) with a submitted report and a travel claim."""
    case = await make_dispatched_case(world, DISPATCH, status=CaseStatus.REPORTED)
    issue = await IssueCategory.get(id=world.issue_category)
    qualification = await Qualification.get(id=world.qualification)
    report = await make_report(case, issue, qualification)
    await make_travel_claim(report)
    return case


async def _new_specialist(world: World, status: RegistrationStatus) -> Specialist:
    """A 東京都 resident without cases: only 関東 and the national secretariat see it."""
    tokyo = await Prefecture.get(id=world.pref_tokyo)
    organization = await SupportOrganization.get(id=world.org_o1)
    return await make_specialist(
        tokyo,
        registration_status=status,
        recommending_org=organization,
        registered_at=NOW - timedelta(days=30) if status is RegistrationStatus.REGISTERED else None,
    )


async def _own_upload(actor: Principal, kind: DocumentKind) -> str:
    document = await make_document(
        kind=kind,
        filename=f"{kind.value.lower()}.pdf",
        uploaded_by_id=actor.account_id,
    )
    return gid("Document", document.id)


# ---------------------------------------------------------------- case workflow


def request_input(world: World) -> dict[str, Any]:
    return {
        "companyId": gid("Company", world.company_c1),
        "specialistId": gid("Specialist", world.specialist_s1),
        "title": "新商品の販路開拓",
        "description": "展示会出展後の営業方法について助言がほしい",
        "issueCategoryIds": [gid("IssueCategory", world.issue_category)],
        "location": {"name": "本社", "address": "東京都千代田区1-1", "lat": 35.68, "lng": 139.76},
        "slots": iso_slots(SLOTS),
        "comment": "よろしくお願いします",
    }


async def case_create(world: World, actor: Principal) -> Call:
    return Call(request_input(world))


async def case_accept(world: World, actor: Principal) -> Call:
    case = await _unprocessed(world)
    return Call({"id": gid("DispatchCase", case.id), "version": 1, "position": 1})


async def case_propose_dates(world: World, actor: Principal) -> Call:
    case = await _unprocessed(world)
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": 1,
            "slots": iso_slots(PROPOSALS),
            "comment": "翌週でお願いします",
        }
    )


async def case_accept_proposal(world: World, actor: Principal) -> Call:
    case = await _adjusting(world)
    return Call({"id": gid("DispatchCase", case.id), "version": 1, "position": 1})


async def case_reject_proposals(world: World, actor: Principal) -> Call:
    case = await _adjusting(world)
    return Call({"id": gid("DispatchCase", case.id), "version": 1, "comment": "都合が合わない"})


async def case_schedule(world: World, actor: Principal) -> Call:
    case = await _case_of_o1(world, CaseStatus.NEEDS_COORDINATION)
    start, end = PROPOSALS[0]
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": 1,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "comment": "事務局で調整しました",
        }
    )


async def case_decline(world: World, actor: Principal) -> Call:
    case = await _unprocessed(world)
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": 1,
            "declineReasonId": str(world.decline_reason),
            "reasonText": "私的な事情",
            "comment": "またの機会にお願いします",
        }
    )


async def case_withdraw(world: World, actor: Principal) -> Call:
    case = await _unprocessed(world)
    return Call({"id": gid("DispatchCase", case.id), "version": 1, "reason": "社内事情のため"})


async def case_cancel(world: World, actor: Principal) -> Call:
    case = await _confirmed(world)
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": 1,
            "cancelCategoryId": str(world.cancel_category),
            "reason": "日程変更のため",
        }
    )


async def case_grant_limit_exception(world: World, actor: Principal) -> Call:
    return Call(
        {
            "companyId": gid("Company", world.company_c1),
            "fiscalYear": 2025,
            "extra": 1,
            "reason": "災害復旧のため追加支援が必要",
        }
    )


_POSITION = {"lat": 35.681, "lng": 139.767, "accuracyM": 10.0}


async def case_check_in(world: World, actor: Principal) -> Call:
    case = await _confirmed(world)
    at = jst(6, 11, 10, 5)
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": 1,
            "deviceTime": at.isoformat(),
            **_POSITION,
        },
        now=at,
    )


async def case_check_out(world: World, actor: Principal) -> Call:
    case = await _confirmed(world)
    specialist = await _account(world.specialist_s1_user)
    await make_check_event(case, specialist, CheckKind.CHECK_IN, SLOTS[0][0])
    signature = await make_signature_document(actor.account_id) if actor.account_id else None
    at = jst(6, 11, 11, 55)
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": 1,
            "deviceTime": at.isoformat(),
            "signerName": "東京 一郎",
            "signatureDocumentId": gid("Document", signature.id if signature else 999_998),
            **_POSITION,
        },
        now=at,
    )


# ---------------------------------------------------------------- documents


async def document_upload(world: World, actor: Principal) -> Call:
    return Call(
        {
            "documentId": await _own_upload(actor, DocumentKind.FORM8),
            "caseId": gid("DispatchCase", world.case_s1_c1),
        }
    )


async def document_mark_received(world: World, actor: Principal) -> Call:
    return Call(
        {"caseId": gid("DispatchCase", world.case_s1_c1), "kind": "RECEIPT", "received": True}
    )


# ---------------------------------------------------------------- registration


async def specialist_profile_update(world: World, actor: Principal) -> Call:
    return Call({"career": "製造業の経営企画に20年従事", "phone": "03-1234-5678"})


async def specialist_submit(world: World, actor: Principal) -> Call:
    """S1 back in DRAFT with everything seed 002 asks for (basis イ, photo, bank account)."""
    s1 = world.specialist_s1
    await Specialist.filter(id=s1).update(registration_status=RegistrationStatus.DRAFT)
    await SpecialistBasis.get_or_create(
        specialist_id=s1, basis=Basis.B, defaults={"description": "製造業の経営者として15年"}
    )
    await make_document(kind=DocumentKind.PHOTO, specialist_id=s1, filename="photo.png")
    return Call(
        {"organizationId": gid("SupportOrganization", world.org_o1), "termsConsented": True}
    )


async def specialist_approve_by_organisation(world: World, actor: Principal) -> Call:
    return Call({"specialistId": gid("Specialist", world.specialist_s3)})


async def specialist_reject_by_organisation(world: World, actor: Principal) -> Call:
    return Call(
        {"specialistId": gid("Specialist", world.specialist_s3), "reason": "根拠の記載が不足"}
    )


async def specialist_approve_by_secretariat(world: World, actor: Principal) -> Call:
    pending = await _new_specialist(world, RegistrationStatus.PENDING_SECRETARIAT_APPROVAL)
    return Call({"specialistId": gid("Specialist", pending.id)})


async def specialist_return(world: World, actor: Principal) -> Call:
    pending = await _new_specialist(world, RegistrationStatus.PENDING_SECRETARIAT_APPROVAL)
    return Call({"specialistId": gid("Specialist", pending.id), "reason": "証明書が不鮮明"})


async def specialist_reject(world: World, actor: Principal) -> Call:
    pending = await _new_specialist(world, RegistrationStatus.PENDING_SECRETARIAT_APPROVAL)
    return Call({"specialistId": gid("Specialist", pending.id), "reason": "要件を満たさない"})


async def commission_terms_accept(world: World, actor: Principal) -> Call:
    return Call({"fiscalYear": 2026})


async def commission_letter_issue(world: World, actor: Principal) -> Call:
    registered = await _new_specialist(world, RegistrationStatus.REGISTERED)
    await make_commission(registered.id, 2025)
    return Call({"specialistId": gid("Specialist", registered.id), "fiscalYear": 2025})


async def acceptance_letter_submit(world: World, actor: Principal) -> Call:
    await Commission.filter(specialist_id=world.specialist_s1, fiscal_year=2025).update(
        letter_issued_at=NOW - timedelta(days=1)
    )
    return Call(
        {
            "documentId": await _own_upload(actor, DocumentKind.ACCEPTANCE_LETTER),
            "fiscalYear": 2025,
        }
    )


async def specialist_revoke(world: World, actor: Principal) -> Call:
    registered = await _new_specialist(world, RegistrationStatus.REGISTERED)
    return Call({"specialistId": gid("Specialist", registered.id), "reason": "実績報告の改ざん"})


async def specialist_withdraw(world: World, actor: Principal) -> Call:
    return Call({"reason": "本業多忙のため"})


async def specialist_availability_update(world: World, actor: Principal) -> Call:
    return Call({"acceptingRequests": False, "availableFromMin": 600, "availableToMin": 960})


async def specialist_holidays_set(world: World, actor: Principal) -> Call:
    return Call({"dates": ["2025-06-20", "2025-07-04"]})


async def support_organization_suspend(world: World, actor: Principal) -> Call:
    return Call(
        {
            "organizationId": gid("SupportOrganization", world.org_o1),
            "suspendedFrom": "2025-06-02",
            "suspendedUntil": "2026-03-31",
            "reason": "不正な実績報告への関与",
        }
    )


# ---------------------------------------------------------------- outbox


async def outbox_requeue(world: World, actor: Principal) -> Call:
    """A dead-lettered mail about a 関東 case."""
    event = await DomainEvent.create(
        kind="CASE_FILED", case_id=world.case_s1_c1, version=1, payload={}, expanded_at=NOW
    )
    message = await OutboxMessage.create(
        event=event,
        template="CASE_FILED",
        to_address="specialist@example.jp",
        status=OutboxStatus.DEAD,
        attempts=8,
        next_attempt_at=NOW,
        last_error="550 mailbox unavailable",
        message_id=f"<authz-{next(_unique)}@haken.example.jp>",
    )
    return Call({"ids": [gid("OutboxMessage", message.id)]})


# ---------------------------------------------------------------- reports and money


def report_fields(world: World) -> dict[str, Any]:
    return {
        "dispatchDate": "2025-06-11",
        "startAt": DISPATCH.isoformat(),
        "endAt": (DISPATCH + timedelta(hours=2)).isoformat(),
        "nonBillableMinutes": 0,
        "issueCategoryId": gid("IssueCategory", world.issue_category),
        "companyRequest": "新商品の販路開拓について助言がほしい",
        "mainQualificationId": gid("Qualification", world.qualification),
        "platformStaff": "東京 一郎",
        "attendeesCompany": "代表取締役 東京太郎",
        "attendeesOrganization": "該当なし",
        "attendeesOthers": "該当なし",
        "supportContent1": "展示会出展の準備と販路開拓の手法を助言した",
        "accompanied": True,
        "furtherVisitsNeeded": False,
        "surveyCooperation": True,
        "travel": {
            "place": "株式会社東京製作所",
            "address": "東京都千代田区1-1",
            "purpose": "専門家派遣（販路開拓）",
            "perDiemDays": ["2025-06-11"],
            "lines": [
                {
                    "mode": "RAIL",
                    "fromPlace": "自宅最寄駅",
                    "toPlace": "東京駅",
                    "roundTrip": True,
                    "oneWayFare": 440,
                }
            ],
        },
    }


async def report_save_draft(world: World, actor: Principal) -> Call:
    case = await make_dispatched_case(world, DISPATCH)
    return Call(
        {"id": gid("DispatchCase", case.id), "companyRequest": "下書き"}, now=AFTER_DISPATCH
    )


async def report_submit(world: World, actor: Principal) -> Call:
    case = await make_dispatched_case(world, DISPATCH)
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": case.version,
            "documentIds": [],
            **report_fields(world),
        },
        now=AFTER_DISPATCH,
    )


async def report_accept(world: World, actor: Principal) -> Call:
    case = await _reported(world)
    return Call({"id": gid("DispatchCase", case.id), "version": case.version}, now=AFTER_DISPATCH)


async def report_return(world: World, actor: Principal) -> Call:
    case = await _reported(world)
    return Call(
        {"id": gid("DispatchCase", case.id), "version": case.version, "comment": "具体的に"},
        now=AFTER_DISPATCH,
    )


async def expense_correct(world: World, actor: Principal) -> Call:
    case = await _reported(world)
    line = {
        "mode": "RAIL",
        "fromPlace": "自宅",
        "toPlace": "本社",
        "roundTrip": True,
        "oneWayFare": 400,
    }
    return Call(
        {"id": gid("DispatchCase", case.id), "position": 1, "line": line, "reason": "運賃表"},
        now=AFTER_DISPATCH,
    )


async def evaluation_submit(world: World, actor: Principal) -> Call:
    case = await _reported(world)
    return Call(
        {
            "id": gid("DispatchCase", case.id),
            "version": case.version,
            "satisfaction": 5,
            "expertise": 4,
            "clarity": 4,
            "responsiveness": 5,
            "comment": "具体的で役に立った",
            "wouldRequestAgain": True,
        },
        now=AFTER_DISPATCH,
    )


async def payment_batch_create(world: World, actor: Principal) -> Call:
    """S1 ACTIVE in FY 2025 and the report of ``case_s1_c1`` (様式8 on file) accepted."""
    await Commission.filter(specialist_id=world.specialist_s1, fiscal_year=2025).update(
        letter_issued_at=NOW - timedelta(days=10), acceptance_received_at=NOW - timedelta(days=5)
    )
    await Report.filter(case_id=world.case_s1_c1).update(
        review_state=ReviewState.ACCEPTED, reviewed_at=NOW - timedelta(days=1)
    )
    return Call(
        {"officeId": gid("RegionalOffice", world.office_kanto), "month": "2025-06"},
        now=jst(7, 1, 10),
    )


async def payment_batch_mark_paid(world: World, actor: Principal) -> Call:
    batch, _ = await PaymentBatch.get_or_create(
        office_id=world.office_kanto,
        month="2025-05",
        defaults={
            "created_by_id": world.secretariat_kanto.account_id,
            "created_at": NOW - timedelta(days=1),
        },
    )
    return Call({"id": gid("PaymentBatch", batch.id), "paidOn": "2025-06-02"})


# ---------------------------------------------------------------- the registry


def _case_probe(principal: str, path: tuple[str, ...] = ("id",)) -> Probe:
    return Probe(principal, path, "DispatchCase")


def _specialist_probe(principal: str) -> Probe:
    return Probe(principal, ("specialistId",), "Specialist")


def _upload_probe(principal: str, field: str) -> Probe:
    return Probe(principal, (field,), "Document")


#: Every non-public mutation: how to call it validly, who succeeds, and the out-of-scope probe.
ARRANGEMENTS: dict[str, Arrangement] = {
    "caseCreate": Arrangement(
        case_create, "platform_o1_staff", Probe("platform_o2_staff", ("companyId",), "Company")
    ),
    "caseAccept": Arrangement(case_accept, "specialist_s1_user", _case_probe("specialist_s2_user")),
    "caseProposeDates": Arrangement(
        case_propose_dates, "specialist_s1_user", _case_probe("specialist_s2_user")
    ),
    "caseAcceptProposal": Arrangement(
        case_accept_proposal, "platform_o1_staff", _case_probe("platform_o2_staff")
    ),
    "caseRejectProposals": Arrangement(
        case_reject_proposals, "company_c1_user", _case_probe("company_c2_user")
    ),
    "caseSchedule": Arrangement(
        case_schedule, "secretariat_kanto", _case_probe("secretariat_kinki")
    ),
    "caseDecline": Arrangement(
        case_decline, "specialist_s1_user", _case_probe("specialist_s2_user")
    ),
    "caseWithdraw": Arrangement(
        case_withdraw, "platform_r1_coordinator", _case_probe("platform_o2_staff")
    ),
    "caseCancel": Arrangement(case_cancel, "company_c1_user", _case_probe("company_c2_user")),
    "caseGrantLimitException": Arrangement(
        case_grant_limit_exception,
        "secretariat_kanto",
        Probe("secretariat_kinki", ("companyId",), "Company"),
    ),
    "caseCheckIn": Arrangement(
        case_check_in, "specialist_s1_user", _case_probe("specialist_s2_user")
    ),
    "caseCheckOut": Arrangement(
        case_check_out,
        "specialist_s1_user",
        _case_probe("specialist_s2_user"),
        _upload_probe("specialist_s2_user", "signatureDocumentId"),
    ),
    "documentUpload": Arrangement(
        document_upload,
        "company_c1_user",
        _case_probe("company_c2_user", ("caseId",)),
        _upload_probe("platform_o1_staff", "documentId"),
    ),
    "documentMarkReceived": Arrangement(
        document_mark_received, "secretariat_kanto", _case_probe("secretariat_kinki", ("caseId",))
    ),
    "specialistProfileUpdate": Arrangement(specialist_profile_update, "specialist_s1_user"),
    "specialistSubmit": Arrangement(specialist_submit, "specialist_s1_user"),
    "specialistApproveByOrganisation": Arrangement(
        specialist_approve_by_organisation,
        "platform_o1_staff",
        _specialist_probe("platform_o2_staff"),
    ),
    "specialistRejectByOrganisation": Arrangement(
        specialist_reject_by_organisation,
        "platform_o1_staff",
        _specialist_probe("platform_o2_staff"),
    ),
    "specialistApproveBySecretariat": Arrangement(
        specialist_approve_by_secretariat,
        "secretariat_kanto",
        _specialist_probe("secretariat_kinki"),
    ),
    "specialistReturn": Arrangement(
        specialist_return, "secretariat_national", _specialist_probe("secretariat_kinki")
    ),
    "specialistReject": Arrangement(
        specialist_reject, "secretariat_kanto", _specialist_probe("secretariat_kinki")
    ),
    "commissionTermsAccept": Arrangement(commission_terms_accept, "specialist_s1_user"),
    "commissionLetterIssue": Arrangement(
        commission_letter_issue, "secretariat_kanto", _specialist_probe("secretariat_kinki")
    ),
    "acceptanceLetterSubmit": Arrangement(
        acceptance_letter_submit,
        "specialist_s1_user",
        foreign_upload=_upload_probe("specialist_s2_user", "documentId"),
    ),
    "specialistRevoke": Arrangement(
        specialist_revoke, "secretariat_kanto", _specialist_probe("secretariat_kinki")
    ),
    "specialistWithdraw": Arrangement(specialist_withdraw, "specialist_s1_user"),
    "specialistAvailabilityUpdate": Arrangement(
        specialist_availability_update, "specialist_s1_user"
    ),
    "specialistHolidaysSet": Arrangement(specialist_holidays_set, "specialist_s1_user"),
    # Organisations are reference data every signed-in principal reads: another office's
    # organisation is not "out of scope" but outside the office's authority (a separate test).
    "supportOrganizationSuspend": Arrangement(support_organization_suspend, "secretariat_kanto"),
    "outboxRequeue": Arrangement(
        outbox_requeue,
        "secretariat_kanto",
        Probe("secretariat_kinki", ("ids", "0"), "OutboxMessage"),
    ),
    "reportSaveDraft": Arrangement(
        report_save_draft, "specialist_s1_user", _case_probe("specialist_s2_user")
    ),
    "reportSubmit": Arrangement(
        report_submit, "specialist_s1_user", _case_probe("specialist_s2_user")
    ),
    "reportAccept": Arrangement(
        report_accept, "secretariat_kanto", _case_probe("secretariat_kinki")
    ),
    "reportReturn": Arrangement(
        report_return, "secretariat_national", _case_probe("secretariat_kinki")
    ),
    "expenseCorrect": Arrangement(
        expense_correct, "secretariat_kanto", _case_probe("secretariat_kinki")
    ),
    "evaluationSubmit": Arrangement(
        evaluation_submit, "company_c1_user", _case_probe("company_c2_user")
    ),
    "paymentBatchCreate": Arrangement(
        payment_batch_create,
        "secretariat_kanto",
        Probe("secretariat_kinki", ("officeId",), "RegionalOffice"),
    ),
    "paymentBatchMarkPaid": Arrangement(
        payment_batch_mark_paid,
        "secretariat_kanto",
        Probe("secretariat_kinki", ("id",), "PaymentBatch"),
    ),
}


def value_at(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        data = data[int(step)] if isinstance(data, list) else data[step]
    return data


def with_value(data: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of ``data`` with the value at ``path`` (keys, or list positions as text) replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list):
        index = int(head)
        return [with_value(v, rest, value) if i == index else v for i, v in enumerate(data)]
    return {k: with_value(v, rest, value) if k == head else v for k, v in data.items()}


# ---------------------------------------------------------------- every table


async def _table_names() -> list[str]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    else:
        rows = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    return sorted(str(r["name"]) for r in rows)


async def table_rows(exclude: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Every row of every table (but ``exclude``), each as text, sorted: equal snapshots prove
    that nothing was inserted, updated or deleted."""
    conn = connections.get("default")
    snapshot: dict[str, list[str]] = {}
    for name in await _table_names():
        if name in exclude:
            continue
        rows = await conn.execute_query_dict(f'SELECT * FROM "{name}"')
        snapshot[name] = sorted(repr(sorted(row.items())) for row in rows)
    return snapshot
