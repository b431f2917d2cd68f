"""The database itself refuses invalid rows: checks, uniques, foreign keys, append-only events.

Every refusal is asserted as the exception Tortoise raises for the database error, next to a
valid row that the same table accepts (so a refusal cannot come from the test's own setup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from tortoise.exceptions import IntegrityError

from models.accounts import UserAccount
from models.audit import AuditEvent
from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.companies import Company
from models.evaluations import Evaluation
from models.geo import Prefecture, RegionalOffice
from models.masters import IssueCategory, Qualification
from models.payments import Payment
from models.reports import Report, TravelClaim, TravelLine
from models.rules.case_status import CaseStatus, SlotKind
from models.rules.money_kinds import EvaluatorKind, TransportMode
from models.rules.roles import Role
from models.specialists import Specialist

T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


@dataclass
class World:
    office: RegionalOffice
    company: Company
    specialist: Specialist
    member: UserAccount
    case: DispatchCase


async def _world() -> World:
    office = await RegionalOffice.create(
        code="KANTO",
        name="関東事務局",
        email="kanto@example.jp",
        phone="03",
        postal_code="1",
        address="x",
    )
    tokyo = await Prefecture.create(id=13, name="東京都", office=office)
    company = await Company.create(name="株式会社テスト", prefecture=tokyo)
    specialist = await Specialist.create(name="山田太郎", prefecture=tokyo)
    member = await UserAccount.create(
        email="member@example.jp", display_name="企業担当", role=Role.COMPANY, company=company
    )
    case = await _case(office, company, specialist, member, "2026-000001")
    return World(office, company, specialist, member, case)


async def _case(
    office: RegionalOffice,
    company: Company,
    specialist: Specialist,
    filed_by: UserAccount,
    reservation_number: str,
) -> DispatchCase:
    return await DispatchCase.create(
        reservation_number=reservation_number,
        fiscal_year=2026,
        received_at=T0,
        company=company,
        specialist=specialist,
        filed_by=filed_by,
        office=office,
        title="販路開拓",
        description="新規顧客の開拓",
        status=CaseStatus.UNPROCESSED,
    )


async def _evaluation(world: World, kind: EvaluatorKind, score: int) -> Evaluation:
    return await Evaluation.create(
        case=world.case,
        specialist=world.specialist,
        evaluator_kind=kind,
        evaluator=world.member,
        satisfaction=score,
        expertise=3,
        clarity=3,
        responsiveness=3,
        would_request_again=True,
    )


async def _travel_claim(world: World) -> TravelClaim:
    report = await Report.create(
        case=world.case,
        dispatch_date=date(2026, 5, 11),
        start_at=T0,
        end_at=T0 + timedelta(hours=2),
        issue_category=await IssueCategory.create(code="SALES", name="販路開拓"),
        company_request="販路を広げたい",
        main_qualification=await Qualification.create(code="SME", name="中小企業診断士"),
        attendees_company="社長",
        attendees_organization="なし",
        attendees_others="なし",
        support_content_1="現状分析",
        accompanied=False,
        further_visits_needed=False,
        survey_cooperation=True,
        submitted_at=T0 + timedelta(days=1),
    )
    return await TravelClaim.create(report=report, place="本社", address="東京都", purpose="訪問")


async def _line(claim: TravelClaim, position: int, amount: int) -> TravelLine:
    return await TravelLine.create(
        claim=claim,
        position=position,
        mode=TransportMode.RAIL,
        from_place="東京",
        to_place="新宿",
        one_way_fare=200,
        amount=amount,
    )


@pytest.mark.parametrize("score", [0, 6])
async def test_evaluation_score_outside_1_to_5_is_refused(db: str, score: int) -> None:
    # given a case with a valid evaluation scored at the edges of the range
    world = await _world()
    await _evaluation(world, EvaluatorKind.COMPANY, 5)
    await _evaluation(world, EvaluatorKind.PLATFORM, 1)
    await Evaluation.filter(evaluator_kind=EvaluatorKind.PLATFORM).delete()
    # when / then an out-of-range score is refused
    with pytest.raises(IntegrityError):
        await _evaluation(world, EvaluatorKind.PLATFORM, score)
    assert await Evaluation.all().count() == 1


async def test_negative_travel_line_amount_is_refused(db: str) -> None:
    # given a travel claim with a valid line
    claim = await _travel_claim(await _world())
    await _line(claim, 1, 0)
    # when / then a negative amount is refused
    with pytest.raises(IntegrityError):
        await _line(claim, 2, -1)
    assert await TravelLine.all().count() == 1


async def test_negative_payment_amount_is_refused(db: str) -> None:
    # given a case whose zero payment is accepted
    world = await _world()
    accepted = await Payment.create(case=world.case, honorarium=0)
    await accepted.delete()
    # when / then a negative honorarium is refused
    with pytest.raises(IntegrityError):
        await Payment.create(case=world.case, honorarium=-2640)
    assert await Payment.all().count() == 0


@pytest.mark.parametrize("length", [timedelta(0), timedelta(minutes=-30)])
async def test_slot_ending_at_or_before_its_start_is_refused(db: str, length: timedelta) -> None:
    # given a case with a valid one-hour slot
    world = await _world()
    await CaseSlot.create(
        case=world.case, kind=SlotKind.CANDIDATE, position=1, start=T0, end=T0 + timedelta(hours=1)
    )
    # when / then a slot with end <= start is refused
    with pytest.raises(IntegrityError):
        await CaseSlot.create(
            case=world.case, kind=SlotKind.CANDIDATE, position=2, start=T0, end=T0 + length
        )
    assert await CaseSlot.all().count() == 1


async def test_duplicate_reservation_number_is_refused(db: str) -> None:
    # given a case numbered 2026-000001 and a second one with another number
    world = await _world()
    await _case(world.office, world.company, world.specialist, world.member, "2026-000002")
    # when / then reusing a number is refused
    with pytest.raises(IntegrityError):
        await _case(world.office, world.company, world.specialist, world.member, "2026-000001")
    assert await DispatchCase.all().count() == 2


async def test_company_account_without_company_is_refused(db: str) -> None:
    # given a company account linked to its company (created with the world)
    world = await _world()
    # when / then a company account without a company is refused
    with pytest.raises(IntegrityError):
        await UserAccount.create(email="nobody@example.jp", display_name="x", role=Role.COMPANY)
    # and one linked to a company besides a specialist is refused as well
    with pytest.raises(IntegrityError):
        await UserAccount.create(
            email="both@example.jp",
            display_name="x",
            role=Role.COMPANY,
            company=world.company,
            specialist=world.specialist,
        )
    assert await UserAccount.all().count() == 1


async def test_foreign_key_to_a_missing_row_is_refused(db: str) -> None:
    # given an office with one prefecture
    world = await _world()
    await Prefecture.create(id=14, name="神奈川県", office=world.office)
    # when / then a prefecture of a missing office is refused
    with pytest.raises(IntegrityError):
        await Prefecture.create(id=27, name="大阪府", office_id=world.office.id + 100)
    assert await Prefecture.all().count() == 2


async def test_audit_event_cannot_be_updated_or_deleted(db: str) -> None:
    # given an audit event (inserting is allowed)
    event = await AuditEvent.create(action="login", outcome="success")
    # when / then updating it is refused, by query and by save
    with pytest.raises(IntegrityError):
        await AuditEvent.filter(id=event.id).update(outcome="failure")
    event.outcome = "failure"
    with pytest.raises(IntegrityError):
        await event.save()
    # and deleting it is refused, by query and by instance
    with pytest.raises(IntegrityError):
        await AuditEvent.filter(id=event.id).delete()
    with pytest.raises(IntegrityError):
        await event.delete()
    stored = await AuditEvent.get(id=event.id)
    assert stored.outcome == "success"


async def test_case_event_cannot_be_updated_or_deleted(db: str) -> None:
    # given a case with one event
    world = await _world()
    event = await CaseEvent.create(
        case=world.case, action="FILED", to_status=CaseStatus.UNPROCESSED, version=1
    )
    # when / then updating or deleting it is refused
    with pytest.raises(IntegrityError):
        await CaseEvent.filter(id=event.id).update(comment="edited")
    with pytest.raises(IntegrityError):
        await CaseEvent.filter(case=world.case).delete()
    stored = await CaseEvent.get(id=event.id)
    assert (stored.comment, await CaseEvent.all().count()) == ("", 1)
