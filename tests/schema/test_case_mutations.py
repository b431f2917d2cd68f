"""The case workflow through GraphQL as the real roles (issue 3 items 3–5, 7; seed 000 Step 2).

Each path of seed 000's flow chart end to end (accept; propose → accept; propose → reject →
secretariat schedules; decline; cancel; date passes → 未報告), every bad input of the issue as a
``userErrors`` entry with field path and stable code while nothing is written, stale versions,
wrong roles, out-of-scope IDs, the audit history per role, and concurrency.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timedelta
from typing import Any

import pytest

from auth.principal import Principal
from models.attendance import CheckEvent, Signature
from models.audit import AuditEvent
from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.companies import Company, CompanyLimitException
from models.documents import Document
from models.masters import IssueCategory
from models.organisations import SupportOrganization
from models.outbox import DomainEvent
from models.rules.case_status import CaseStatus
from models.rules.fiscal_year import TOKYO
from models.settings import current_settings
from models.specialists import Specialist, SpecialistHoliday
from resolvers.case_sweeper import due_case_ids, sweep_once
from schema.context import Context
from schema.relay import to_global_id
from schema.root import build_schema
from tests.factories import (
    World,
    build_world,
    make_case,
    make_commission,
    make_signature_document,
    make_slot,
)

SCHEMA = build_schema(current_settings())


def jst(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


#: Monday 2 June 2025, 10:00 in Tokyo (fiscal year 2025).
NOW = jst(6, 2, 10)
#: Candidate slots: Wednesday, Thursday and Friday of the next week, within 09:00–17:00.
SLOTS = [
    (jst(6, 11, 10), jst(6, 11, 12)),
    (jst(6, 12, 10), jst(6, 12, 12)),
    (jst(6, 13, 13), jst(6, 13, 15)),
]
#: Proposed slots of the specialist: Tuesday and Wednesday of the week after.
PROPOSALS = [(jst(6, 17, 14), jst(6, 17, 16)), (jst(6, 18, 9), jst(6, 18, 11))]

CASE_BODY = """
    id reservationNumber fiscalYear status version availableActions
    dispatchStart dispatchEnd
    candidateSlots { position start end }
    proposedSlots { position start end }
    declineReasonText declineComment cancelReason proposalComment
    checkEvents { kind lat lng distanceM flags }
    signature { signerName image { kind } }
    history { action fromStatus toStatus version comment payload secretPayload actorRole }
"""
CASE_FIELDS = f"case {{ {CASE_BODY} }} userErrors {{ field code message }}"

CREATE = f"""
mutation ($input: CaseCreateInput!) {{ caseCreate(input: $input) {{ {CASE_FIELDS} }} }}
"""


def mutation(name: str, input_type: str) -> str:
    return f"mutation ($input: {input_type}!) {{ {name}(input: $input) {{ {CASE_FIELDS} }} }}"


ACCEPT = mutation("caseAccept", "CaseAcceptInput")
PROPOSE = mutation("caseProposeDates", "CaseProposeDatesInput")
ACCEPT_PROPOSAL = mutation("caseAcceptProposal", "CaseAcceptProposalInput")
REJECT = mutation("caseRejectProposals", "CaseRejectProposalsInput")
SCHEDULE = mutation("caseSchedule", "CaseScheduleInput")
DECLINE = mutation("caseDecline", "CaseDeclineInput")
WITHDRAW = mutation("caseWithdraw", "CaseWithdrawInput")
CANCEL = mutation("caseCancel", "CaseCancelInput")
CHECK_IN = mutation("caseCheckIn", "CaseCheckInInput")
CHECK_OUT = mutation("caseCheckOut", "CaseCheckOutInput")
GRANT = """
mutation ($input: CaseGrantLimitExceptionInput!) {
  caseGrantLimitException(input: $input) {
    company { name }
    limitException { fiscalYear extra totalExtra reason }
    userErrors { field code message }
  }
}
"""
READ = f"query ($id: ID!) {{ node(id: $id) {{ ... on DispatchCase {{ {CASE_BODY} }} }} }}"
LIST = """
query ($statuses: [CaseStatus!]) {
  cases(filter: {statuses: $statuses}, first: 50) { nodes { id status } totalCount }
}
"""


async def gql(
    principal: Principal, query: str, *, now: datetime = NOW, **variables: Any
) -> dict[str, Any]:
    context = Context(
        request=None,
        response=None,
        settings=current_settings(),
        principal=principal,
        request_id="req-test",
    )
    context.loaders.now = now
    result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def act(
    principal: Principal, query: str, now: datetime = NOW, **fields: Any
) -> dict[str, Any]:
    data = await gql(principal, query, now=now, input=fields)
    (payload,) = data.values()
    return payload  # type: ignore[no-any-return]


def case_gid(pk: int) -> str:
    return to_global_id("DispatchCase", pk)


def iso_slots(slots: list[tuple[datetime, datetime]]) -> list[dict[str, str]]:
    return [{"start": s.isoformat(), "end": e.isoformat()} for s, e in slots]


def request_input(world: World, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "companyId": to_global_id("Company", world.company_c1),
        "specialistId": to_global_id("Specialist", world.specialist_s1),
        "title": "新商品の販路開拓",
        "description": "展示会出展後の営業方法について助言がほしい",
        "issueCategoryIds": [to_global_id("IssueCategory", world.issue_category)],
        "location": {"name": "本社", "address": "東京都千代田区1-1", "lat": 35.68, "lng": 139.76},
        "slots": iso_slots(SLOTS),
        "comment": "よろしくお願いします",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def world(db: str) -> World:
    world = await build_world()
    for specialist in (world.specialist_s1, world.specialist_s2):
        await make_commission(specialist, 2025)
    return world


async def file_case(
    world: World, filer: Principal | None = None, **overrides: Any
) -> dict[str, Any]:
    payload = await act(
        filer or world.platform_o1_staff, CREATE, **request_input(world, **overrides)
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["case"]  # type: ignore[no-any-return]


async def snapshot() -> dict[str, Any]:
    """Every row a case mutation could write, to prove that a refusal wrote nothing."""
    return {
        "cases": await DispatchCase.all().order_by("id").values(),
        "case_events": await CaseEvent.all().count(),
        "domain_events": await DomainEvent.all().count(),
        "slots": await CaseSlot.all().count(),
        "checks": await CheckEvent.all().count(),
        "signatures": await Signature.all().count(),
        "audit": await AuditEvent.all().count(),
        "exceptions": await CompanyLimitException.all().count(),
    }


def codes(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def pk_of(global_id: str) -> int:
    decoded = base64.b64decode(global_id).decode()
    return int(decoded.split(":")[1])


def same_instant(text: str | None, instant: datetime) -> bool:
    return text is not None and datetime.fromisoformat(text) == instant


def steps(case: dict[str, Any]) -> list[tuple[str, str | None, str, int]]:
    return [(h["action"], h["fromStatus"], h["toStatus"], h["version"]) for h in case["history"]]


async def event_kinds(case_id: int) -> list[tuple[str, int]]:
    rows = await DomainEvent.filter(case_id=case_id).order_by("id").values("kind", "version")
    return [(r["kind"], r["version"]) for r in rows]


async def read(principal: Principal, case_id: str, now: datetime = NOW) -> dict[str, Any]:
    data = await gql(principal, READ, now=now, id=case_id)
    return data["node"]  # type: ignore[no-any-return]


async def confirmed_case(world: World, position: int = 1) -> dict[str, Any]:
    """A request of O1 for C1 that S1 accepted on candidate ``position`` (version 2)."""
    case = await file_case(world)
    accepted = await act(
        world.specialist_s1_user, ACCEPT, id=case["id"], version=1, position=position
    )
    assert accepted["userErrors"] == []
    return accepted["case"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the flow chart, end to end


async def test_filed_by_platform_staff_then_accepted_by_the_specialist(world: World) -> None:
    # given platform staff of O1 filing on behalf of company C1
    case = await file_case(world)
    # then the request is 未処理 with a reservation number of FY 2025, only the requester side
    # and the specialist have something to do, and the filing organisation is recorded
    assert case["reservationNumber"] == "2025-000001"
    assert (case["status"], case["version"], case["fiscalYear"]) == ("UNPROCESSED", 1, 2025)
    assert [s["position"] for s in case["candidateSlots"]] == [1, 2, 3]
    assert case["availableActions"] == ["WITHDRAW"]
    row = await DispatchCase.get(id=pk_of(case["id"]))
    assert row.filing_organization_id == world.org_o1  # type: ignore[attr-defined]
    assert row.platform_id == world.platform_r1  # type: ignore[attr-defined]
    assert row.office_id == world.office_kanto  # type: ignore[attr-defined]
    assert row.received_at == NOW
    assert " 販路 " in row.search_text and " 展示 " in row.search_text
    seen = await read(world.specialist_s1_user, case["id"])
    assert seen["availableActions"] == ["ACCEPT", "PROPOSE_DATES", "DECLINE"]
    # when the specialist accepts the second candidate
    accepted = await act(world.specialist_s1_user, ACCEPT, id=case["id"], version=1, position=2)
    # then the case is 決定 on that slot, version 2, with one history row and one event per step
    assert accepted["userErrors"] == []
    confirmed = accepted["case"]
    assert (confirmed["status"], confirmed["version"]) == ("CONFIRMED", 2)
    assert same_instant(confirmed["dispatchStart"], SLOTS[1][0])
    assert same_instant(confirmed["dispatchEnd"], SLOTS[1][1])
    assert confirmed["availableActions"] == ["CANCEL"]
    assert steps(confirmed) == [
        ("FILE", None, "UNPROCESSED", 1),
        ("ACCEPT", "UNPROCESSED", "CONFIRMED", 2),
    ]
    assert await event_kinds(row.id) == [("CASE_FILED", 1), ("CASE_CONFIRMED", 2)]
    stored = await DispatchCase.get(id=row.id)
    assert stored.dispatch_date == SLOTS[1][0].date()


async def test_company_files_specialist_proposes_and_the_company_accepts(world: World) -> None:
    # given a request filed by the company member itself (no filing organisation)
    case = await file_case(world, world.company_c1_user)
    row = await DispatchCase.get(id=pk_of(case["id"]))
    assert row.filing_organization_id is None and row.platform_id is None  # type: ignore[attr-defined]
    # when the specialist proposes two other dates with a comment to the requester
    proposed = await act(
        world.specialist_s1_user,
        PROPOSE,
        id=case["id"],
        version=1,
        slots=iso_slots(PROPOSALS),
        comment="午後であれば対応できます",
    )
    # then the case is 調整中 and the company may accept or reject the proposals
    assert proposed["userErrors"] == []
    adjusting = proposed["case"]
    assert (adjusting["status"], adjusting["version"]) == ("ADJUSTING", 2)
    assert [s["position"] for s in adjusting["proposedSlots"]] == [1, 2]
    assert adjusting["proposalComment"] == "午後であれば対応できます"
    company_view = await read(world.company_c1_user, case["id"])
    assert company_view["availableActions"] == ["ACCEPT_PROPOSAL", "REJECT_PROPOSALS", "WITHDRAW"]
    # when the company accepts the second proposal
    accepted = await act(
        world.company_c1_user, ACCEPT_PROPOSAL, id=case["id"], version=2, position=2
    )
    # then the case is 決定 on the proposed date
    assert accepted["userErrors"] == []
    confirmed = accepted["case"]
    assert (confirmed["status"], confirmed["version"]) == ("CONFIRMED", 3)
    assert same_instant(confirmed["dispatchStart"], PROPOSALS[1][0])
    assert steps(confirmed)[1:] == [
        ("PROPOSE_DATES", "UNPROCESSED", "ADJUSTING", 2),
        ("ACCEPT_PROPOSAL", "ADJUSTING", "CONFIRMED", 3),
    ]
    assert await event_kinds(row.id) == [
        ("CASE_FILED", 1),
        ("CASE_DATES_PROPOSED", 2),
        ("CASE_CONFIRMED", 3),
    ]


async def test_proposals_rejected_then_the_secretariat_schedules_with_an_override(
    world: World,
) -> None:
    # given a request the specialist answered with proposals
    case = await file_case(world)
    await act(
        world.specialist_s1_user,
        PROPOSE,
        id=case["id"],
        version=1,
        slots=iso_slots(PROPOSALS[:1]),
    )
    # when the filing organisation rejects them
    rejected = await act(
        world.platform_o1_staff, REJECT, id=case["id"], version=2, comment="日程が合いません"
    )
    # then the case is 要調整 and only the secretariat may fix a date
    assert rejected["userErrors"] == []
    assert (rejected["case"]["status"], rejected["case"]["version"]) == ("NEEDS_COORDINATION", 3)
    secretariat_view = await read(world.secretariat_kanto, case["id"])
    assert secretariat_view["availableActions"] == ["SCHEDULE", "WITHDRAW"]
    saturday = (jst(6, 21, 10), jst(6, 21, 12))
    # when the secretariat picks the specialist's day off without overriding
    refused = await act(
        world.secretariat_kanto,
        SCHEDULE,
        id=case["id"],
        version=3,
        start=saturday[0].isoformat(),
        end=saturday[1].isoformat(),
    )
    # then the day off is refused at the start field
    assert codes(refused) == [(["input", "start"], "SLOT_DAY_OFF")]
    # when it overrides without a reason, then with one
    no_reason = await act(
        world.secretariat_kanto,
        SCHEDULE,
        id=case["id"],
        version=3,
        start=saturday[0].isoformat(),
        end=saturday[1].isoformat(),
        overrideAvailability=True,
    )
    scheduled = await act(
        world.secretariat_kanto,
        SCHEDULE,
        id=case["id"],
        version=3,
        start=saturday[0].isoformat(),
        end=saturday[1].isoformat(),
        overrideAvailability=True,
        overrideReason="専門家と電話で合意済み",
    )
    # then the override needs the reason, and with it the case is 決定 on the Saturday
    assert codes(no_reason) == [(["input", "overrideReason"], "REQUIRED")]
    assert scheduled["userErrors"] == []
    confirmed = scheduled["case"]
    assert (confirmed["status"], confirmed["version"]) == ("CONFIRMED", 4)
    assert same_instant(confirmed["dispatchStart"], saturday[0])
    last = confirmed["history"][-1]
    assert (last["action"], last["actorRole"]) == ("SCHEDULE", "SECRETARIAT")
    assert last["payload"]["overrideAvailability"] is True
    assert last["payload"]["overrideReason"] == "専門家と電話で合意済み"
    assert steps(confirmed)[2] == ("REJECT_PROPOSALS", "ADJUSTING", "NEEDS_COORDINATION", 3)
    assert confirmed["history"][2]["comment"] == "日程が合いません"
    assert [k for k, _ in await event_kinds(pk_of(case["id"]))] == [
        "CASE_FILED",
        "CASE_DATES_PROPOSED",
        "CASE_NEEDS_COORDINATION",
        "CASE_CONFIRMED",
    ]
    assert await CaseSlot.filter(case_id=pk_of(case["id"]), kind="SCHEDULED").count() == 1


async def test_declined_with_a_reason_only_the_secretariat_reads_in_the_history(
    world: World,
) -> None:
    # given a request
    case = await file_case(world)
    secret = "依頼企業の競合先と顧問契約があるため"
    # when the specialist declines with a category, a free-text reason and a comment
    declined = await act(
        world.specialist_s1_user,
        DECLINE,
        id=case["id"],
        version=1,
        declineReasonId=str(world.decline_reason),
        reasonText=secret,
        comment="またの機会によろしくお願いします",
    )
    # then the case is 辞退 and the free text is stored for the restricted readers only
    assert declined["userErrors"] == []
    assert (declined["case"]["status"], declined["case"]["version"]) == ("DECLINED", 2)
    assert declined["case"]["declineReasonText"] == secret
    views = {
        name: await read(principal, case["id"])
        for name, principal in (
            ("specialist", world.specialist_s1_user),
            ("secretariat", world.secretariat_kanto),
            ("platform", world.platform_o1_staff),
            ("company", world.company_c1_user),
        )
    }
    assert {n: v["declineReasonText"] for n, v in views.items()} == {
        "specialist": secret,
        "secretariat": secret,
        "platform": None,
        "company": None,
    }
    decline_rows = {n: v["history"][-1] for n, v in views.items()}
    assert decline_rows["secretariat"]["secretPayload"] == {"declineReasonText": secret}
    for name in ("specialist", "platform", "company"):
        assert decline_rows[name]["secretPayload"] is None
    for row in decline_rows.values():
        assert row["comment"] == "またの機会によろしくお願いします"
        assert secret not in str(row["payload"])
        assert row["payload"] == {"declineReasonId": world.decline_reason}
    events = await DomainEvent.filter(case_id=pk_of(case["id"])).values("kind", "payload")
    assert [e["kind"] for e in events] == ["CASE_FILED", "CASE_DECLINED"]
    assert all(secret not in str(e["payload"]) for e in events)


async def test_cancelled_before_the_start_but_not_after_it(world: World) -> None:
    # given a confirmed dispatch on Wednesday 10:00–12:00
    case = await confirmed_case(world)
    before = await snapshot()
    # when the company tries to cancel once the dispatch has started
    late = await act(
        world.company_c1_user,
        CANCEL,
        now=jst(6, 11, 10, 30),
        id=case["id"],
        version=2,
        cancelCategoryId=str(world.cancel_category),
        reason="急用のため",
    )
    # then it is not allowed and nothing is written
    assert codes(late) == [(["input", "id"], "TRANSITION_NOT_ALLOWED")]
    assert "可能な操作はありません" in late["userErrors"][0]["message"]
    assert await snapshot() == before
    # when it cancels the day before
    cancelled = await act(
        world.company_c1_user,
        CANCEL,
        now=jst(6, 10, 9),
        id=case["id"],
        version=2,
        cancelCategoryId=str(world.cancel_category),
        reason="急用のため",
    )
    # then the case is キャンセル with its category and reason
    assert cancelled["userErrors"] == []
    assert (cancelled["case"]["status"], cancelled["case"]["version"]) == ("CANCELLED", 3)
    assert cancelled["case"]["cancelReason"] == "急用のため"
    assert cancelled["case"]["availableActions"] == []
    stored = await DispatchCase.get(id=pk_of(case["id"]))
    assert stored.cancel_category_id == world.cancel_category  # type: ignore[attr-defined]
    assert (await event_kinds(stored.id))[-1] == ("CASE_CANCELLED", 3)


async def test_the_secretariat_cancels_a_dispatch_that_did_not_take_place(world: World) -> None:
    # given a confirmed dispatch whose end has passed (still stored as 決定)
    case = await confirmed_case(world)
    after_end = jst(6, 12, 9)
    # when the secretariat cancels it with a reason
    cancelled = await act(
        world.secretariat_kanto,
        CANCEL,
        now=after_end,
        id=case["id"],
        version=2,
        cancelCategoryId=str(world.cancel_category),
        reason="企業の休業により実施されず",
    )
    # then the engine first wrote the due 決定 → 未報告, then the cancellation
    assert cancelled["userErrors"] == []
    result = cancelled["case"]
    assert (result["status"], result["version"]) == ("CANCELLED", 4)
    assert steps(result)[-2:] == [
        ("DISPATCH_ENDED", "CONFIRMED", "UNREPORTED", 3),
        ("CANCEL", "UNREPORTED", "CANCELLED", 4),
    ]
    assert result["history"][-2]["actorRole"] == "SYSTEM"
    assert [k for k, _ in await event_kinds(pk_of(case["id"]))][-2:] == [
        "CASE_UNREPORTED",
        "CASE_CANCELLED",
    ]


async def test_the_date_passes_and_the_case_reads_unreported_before_and_after_the_sweeper(
    world: World,
) -> None:
    # given a confirmed dispatch on Wednesday 10:00–12:00
    case = await confirmed_case(world)
    case_id = pk_of(case["id"])
    at_end = jst(6, 11, 12)
    # when it is read at the end time, before any sweeper ran
    derived = await read(world.company_c1_user, case["id"], now=at_end)
    listed = await gql(world.company_c1_user, LIST, now=at_end, statuses=["UNREPORTED"])
    confirmed_list = await gql(world.company_c1_user, LIST, now=at_end, statuses=["CONFIRMED"])
    # then every read shows 未報告 while the stored row still says 決定
    assert (derived["status"], derived["version"]) == ("UNREPORTED", 2)
    assert case["id"] in [n["id"] for n in listed["cases"]["nodes"]]
    assert case["id"] not in [n["id"] for n in confirmed_list["cases"]["nodes"]]
    assert (await DispatchCase.get(id=case_id)).status is CaseStatus.CONFIRMED
    # when the sweeper runs, twice
    due = await due_case_ids(at_end)
    first = await sweep_once(at_end)
    second = await sweep_once(at_end)
    # then the stored status caught up once, with its history row and its event (the world's
    # unanswered request of 9 June is due as well)
    assert case_id in due
    assert (first, second) == (len(due), 0)
    stored = await DispatchCase.get(id=case_id)
    assert (stored.status, stored.version) == (CaseStatus.UNREPORTED, 3)
    after = await read(world.specialist_s1_user, case["id"], now=at_end)
    assert steps(after)[-1] == ("DISPATCH_ENDED", "CONFIRMED", "UNREPORTED", 3)
    assert (await event_kinds(case_id))[-1] == ("CASE_UNREPORTED", 3)


async def test_unanswered_requests_whose_dates_passed_go_to_coordination(world: World) -> None:
    # given a request nobody answered until after its last candidate slot
    case = await file_case(world)
    later = jst(6, 13, 15)
    # when it is read, then swept
    derived = await read(world.secretariat_kanto, case["id"], now=later)
    due = await due_case_ids(later)
    written = await sweep_once(later)
    # then it reads 要調整 at once and the sweeper stores it with the coordination event
    assert derived["status"] == "NEEDS_COORDINATION"
    assert derived["availableActions"] == ["SCHEDULE", "WITHDRAW"]
    assert pk_of(case["id"]) in due and written == len(due)
    assert await sweep_once(later) == 0
    stored = await DispatchCase.get(id=pk_of(case["id"]))
    assert (stored.status, stored.version) == (CaseStatus.NEEDS_COORDINATION, 2)
    assert (await event_kinds(stored.id))[-1] == ("CASE_NEEDS_COORDINATION", 2)


async def test_withdrawn_before_confirmation_with_a_reason(world: World) -> None:
    # given a request of O1 for C1
    case = await file_case(world)
    before = await snapshot()
    # when the company withdraws it without, then with a reason
    blank = await act(world.company_c1_user, WITHDRAW, id=case["id"], version=1, reason="  ")
    unchanged = await snapshot()
    withdrawn = await act(
        world.company_c1_user, WITHDRAW, id=case["id"], version=1, reason="社内で解決したため"
    )
    # then the reason is required, and with it the case is キャンセル
    assert codes(blank) == [(["input", "reason"], "REQUIRED")]
    assert unchanged == before
    assert (withdrawn["case"]["status"], withdrawn["case"]["version"]) == ("CANCELLED", 2)
    assert withdrawn["case"]["cancelReason"] == "社内で解決したため"
    assert (await event_kinds(pk_of(case["id"])))[-1] == ("CASE_CANCELLED", 2)


async def test_check_in_and_out_with_flags_and_the_company_signature(world: World) -> None:
    # given a confirmed dispatch on Wednesday 10:00–12:00 at 35.68, 139.76
    case = await confirmed_case(world)
    early = jst(6, 11, 9, 50)
    far_and_late = jst(6, 11, 10, 45)
    position = {"lat": 34.69, "lng": 135.50, "accuracyM": 15.0}
    before = await snapshot()
    # when the specialist checks out before checking in, or sends an impossible position
    out_first = await act(
        world.specialist_s1_user,
        CHECK_OUT,
        now=early,
        id=case["id"],
        version=2,
        deviceTime=early.isoformat(),
        signerName="東京 一郎",
        **position,
    )
    bad_gps = await act(
        world.specialist_s1_user,
        CHECK_IN,
        now=early,
        id=case["id"],
        version=2,
        deviceTime=early.isoformat(),
        lat=91.0,
        lng=139.76,
        accuracyM=-1.0,
    )
    # then both are refused with nothing written
    assert codes(out_first) == [(["input", "id"], "TRANSITION_NOT_ALLOWED")]
    assert codes(bad_gps) == [
        (["input", "lat"], "OUT_OF_RANGE"),
        (["input", "accuracyM"], "OUT_OF_RANGE"),
    ]
    assert await snapshot() == before
    # when it checks in 45 minutes after the start, 400 km away
    checked_in = await act(
        world.specialist_s1_user,
        CHECK_IN,
        now=far_and_late,
        id=case["id"],
        version=2,
        deviceTime=(far_and_late - timedelta(seconds=5)).isoformat(),
        **position,
    )
    # then it is recorded (never refused) with both anomalies flagged for the secretariat
    assert checked_in["userErrors"] == []
    assert (checked_in["case"]["status"], checked_in["case"]["version"]) == ("CONFIRMED", 3)
    (event,) = checked_in["case"]["checkEvents"]
    assert event["flags"] == ["FAR_FROM_SITE", "OFF_SCHEDULE"]
    assert event["distanceM"] > 390_000
    company_view = await read(world.company_c1_user, case["id"], now=far_and_late)
    assert company_view["checkEvents"] == [
        {"kind": "CHECK_IN", "lat": None, "lng": None, "distanceM": None, "flags": []}
    ]
    assert company_view["history"][-1]["secretPayload"] is None
    assert "lat" not in company_view["history"][-1]["payload"]
    # when it checks out without a signature, with someone else's upload, then with its own
    mine = await make_signature_document(world.specialist_s1_user.account_id or 0)
    theirs = await make_signature_document(world.specialist_s2_user.account_id or 0)
    at_end = jst(6, 11, 11, 55)
    common = {
        "now": at_end,
        "id": case["id"],
        "version": 3,
        "deviceTime": at_end.isoformat(),
        "lat": 35.681,
        "lng": 139.761,
        "accuracyM": 8.0,
    }
    unsigned = await act(world.specialist_s1_user, CHECK_OUT, signerName="東京 一郎", **common)
    foreign = await act(
        world.specialist_s1_user,
        CHECK_OUT,
        signerName="東京 一郎",
        signatureDocumentId=to_global_id("Document", theirs.id),
        **common,
    )
    signed = await act(
        world.specialist_s1_user,
        CHECK_OUT,
        signerName="東京 一郎",
        signatureDocumentId=to_global_id("Document", mine.id),
        **common,
    )
    # then the signature is required and must be the specialist's own upload
    assert codes(unsigned) == [(["input", "signatureDocumentId"], "REQUIRED")]
    assert codes(foreign) == [(["input", "signatureDocumentId"], "INVALID")]
    assert signed["userErrors"] == []
    result = signed["case"]
    assert result["version"] == 4
    assert [(e["kind"], e["flags"]) for e in result["checkEvents"]] == [
        ("CHECK_IN", ["FAR_FROM_SITE", "OFF_SCHEDULE"]),
        ("CHECK_OUT", []),
    ]
    assert result["signature"] == {"signerName": "東京 一郎", "image": {"kind": "SIGNATURE"}}
    assert (await Document.get(id=mine.id)).case_id == pk_of(case["id"])  # type: ignore[attr-defined]
    assert [k for k, _ in await event_kinds(pk_of(case["id"]))][-2:] == [
        "CASE_CHECKED_IN",
        "CASE_CHECKED_OUT",
    ]


# ---------------------------------------------------------------- the company limit


async def test_the_company_limit_counts_open_cases_and_the_exception_raises_it(
    world: World,
) -> None:
    # given company C1 with two counted cases in FY 2025 (a REPORTED and a CONFIRMED one)
    third = await file_case(world)
    before = await snapshot()
    # when a fourth ordinary request is filed
    refused = await act(world.platform_o1_staff, CREATE, **request_input(world))
    # then the limit of 3 refuses it at the company, nothing written
    assert codes(refused) == [(["input", "companyId"], "LIMIT_REACHED")]
    assert "上限（3件）" in refused["userErrors"][0]["message"]
    assert await snapshot() == before
    # when it has an IT category instead, the limit is 5
    it_ids = [to_global_id("IssueCategory", (await IssueCategory.get(is_it=True)).id)]
    it_case = await file_case(world, issueCategoryIds=it_ids)
    assert it_case["status"] == "UNPROCESSED"
    # when platform staff try to grant an exception, then the secretariat does
    forbidden = await gql(
        world.platform_o1_staff,
        GRANT,
        input={
            "companyId": to_global_id("Company", world.company_c1),
            "fiscalYear": 2025,
            "extra": 1,
            "reason": "特例",
        },
    )
    granted = await gql(
        world.secretariat_kanto,
        GRANT,
        input={
            "companyId": to_global_id("Company", world.company_c1),
            "fiscalYear": 2025,
            "extra": 2,
            "reason": "災害復旧のため追加支援が必要",
        },
    )
    # then only the secretariat may, and the grant is audited with an event
    assert codes(forbidden["caseGrantLimitException"]) == [(["input"], "FORBIDDEN")]
    payload = granted["caseGrantLimitException"]
    assert payload["userErrors"] == []
    assert payload["limitException"] == {
        "fiscalYear": 2025,
        "extra": 2,
        "totalExtra": 2,
        "reason": "災害復旧のため追加支援が必要",
    }
    assert payload["company"] == {"name": "株式会社東京製作所"}
    assert await AuditEvent.filter(action="case_limit_exception_grant").count() == 1
    assert await DomainEvent.filter(kind="CASE_LIMIT_EXCEPTION").count() == 1
    # and a fifth ordinary request is accepted (4 counted < 3 + 2); withdrawn ones do not count
    fifth = await file_case(world)
    await act(world.company_c1_user, WITHDRAW, id=third["id"], version=1, reason="取下げ")
    sixth = await file_case(world)
    assert [fifth["reservationNumber"], sixth["reservationNumber"]] == [
        "2025-000003",
        "2025-000004",
    ]


# ---------------------------------------------------------------- bad input writes nothing


async def _busy_s1(world: World) -> None:
    """S1 already confirmed elsewhere on Wednesday 11:00–13:00."""
    case = await make_case(
        await Company.get(id=world.company_c2),
        await Specialist.get(id=world.specialist_s1),
        await _account(world.platform_o3_staff),
        await SupportOrganization.get(id=world.org_o3),
        status=CaseStatus.CONFIRMED,
        dispatch_start=jst(6, 11, 11),
        dispatch_end=jst(6, 11, 13),
        dispatch_date=jst(6, 11, 11).date(),
    )
    await make_slot(case, jst(6, 11, 11))


async def _account(principal: Principal) -> Any:
    from models.accounts import UserAccount

    return await UserAccount.get(id=principal.account_id)


async def _holiday_s1(world: World) -> None:
    await SpecialistHoliday.create(specialist_id=world.specialist_s1, date=jst(6, 11, 0).date())


async def _not_accepting(world: World) -> None:
    await Specialist.filter(id=world.specialist_s1).update(accepting_requests=False)


async def _no_commission(world: World) -> None:
    from models.specialists import Commission

    await Commission.filter(specialist_id=world.specialist_s1).delete()


async def _suspend_o1(world: World) -> None:
    await SupportOrganization.filter(id=world.org_o1).update(
        suspended_from=jst(6, 1, 0).date(), suspension_reason="不正受給の調査中"
    )


async def _nothing(world: World) -> None:
    return None


def _slot(start: datetime, end: datetime | None = None) -> list[dict[str, str]]:
    return iso_slots([(start, end or start + timedelta(hours=2))])


BAD_REQUESTS: list[tuple[str, Any, dict[str, Any], list[tuple[list[str] | None, str]]]] = [
    (
        "slot in the past",
        _nothing,
        {"slots": _slot(jst(5, 30, 10))},
        [(["input", "slots", "0", "start"], "SLOT_IN_PAST")],
    ),
    (
        "slot on a day off (Saturday)",
        _nothing,
        {"slots": _slot(jst(6, 14, 10))},
        [(["input", "slots", "0", "start"], "SLOT_DAY_OFF")],
    ),
    (
        "slot outside the available hours",
        _nothing,
        {"slots": _slot(jst(6, 11, 7), jst(6, 11, 8))},
        [(["input", "slots", "0", "start"], "SLOT_OUTSIDE_HOURS")],
    ),
    (
        "slot on a registered holiday",
        _holiday_s1,
        {"slots": _slot(jst(6, 11, 10))},
        [(["input", "slots", "0", "start"], "SLOT_HOLIDAY")],
    ),
    (
        "slot overlapping another confirmed case",
        _busy_s1,
        {"slots": _slot(jst(6, 11, 10))},
        [(["input", "slots", "0", "start"], "SLOT_OVERLAP")],
    ),
    (
        "slot beyond the fiscal year's last dispatch day",
        _nothing,
        {"slots": _slot(jst(3, 2, 10, year=2026))},
        [(["input", "slots", "0", "start"], "SLOT_BEYOND_LAST_DISPATCH_DAY")],
    ),
    (
        "four slots",
        _nothing,
        {"slots": iso_slots([*SLOTS, (jst(6, 16, 10), jst(6, 16, 12))])},
        [(["input", "slots"], "SLOTS_COUNT")],
    ),
    (
        "end before start",
        _nothing,
        {"slots": _slot(jst(6, 11, 12), jst(6, 11, 10))},
        [(["input", "slots", "0", "end"], "SLOT_END_BEFORE_START")],
    ),
    (
        "specialist not accepting requests",
        _not_accepting,
        {},
        [(["input", "specialistId"], "SPECIALIST_NOT_ACCEPTING")],
    ),
    (
        "specialist without the commission of the fiscal year",
        _no_commission,
        {},
        [(["input", "specialistId"], "SPECIALIST_NOT_DISPATCHABLE")],
    ),
    (
        "suspended support organisation",
        _suspend_o1,
        {},
        [(["input"], "FILING_SUSPENDED")],
    ),
    (
        "blank title, no category, missing longitude",
        _nothing,
        {
            "title": " ",
            "issueCategoryIds": [],
            "location": {"name": "本社", "address": "東京都", "lat": 35.6},
        },
        [
            (["input", "title"], "REQUIRED"),
            (["input", "location", "lng"], "REQUIRED"),
            (["input", "issueCategoryIds"], "REQUIRED"),
        ],
    ),
    (
        "malformed company ID",
        _nothing,
        {"companyId": "not-an-id"},
        [(["input", "companyId"], "INVALID")],
    ),
]


@pytest.mark.parametrize(
    ("setup", "overrides", "expected"),
    [pytest.param(s, o, e, id=name) for name, s, o, e in BAD_REQUESTS],
)
async def test_bad_requests_are_user_errors_and_nothing_is_written(
    world: World, setup: Any, overrides: dict[str, Any], expected: list[Any]
) -> None:
    # given the situation of the case
    await setup(world)
    before = await snapshot()
    # when platform staff file the request
    payload = await act(world.platform_o1_staff, CREATE, **request_input(world, **overrides))
    # then every problem is reported at its field and nothing is written
    assert codes(payload) == expected
    assert all(e["message"] for e in payload["userErrors"])
    assert payload["case"] is None
    assert await snapshot() == before


async def test_filing_outside_the_filers_scope_or_role(world: World) -> None:
    before = await snapshot()
    # when O2 staff file for C1 (not theirs) and a specialist tries to file at all
    foreign = await act(world.platform_o2_staff, CREATE, **request_input(world))
    unchanged = await snapshot()
    specialist = await act(world.specialist_s1_user, CREATE, **request_input(world))
    # then the company is "not found" for O2, and the specialist is FORBIDDEN with an audit row
    assert codes(foreign) == [(["input", "companyId"], "NOT_FOUND")]
    assert unchanged == before
    assert codes(specialist) == [(["input"], "FORBIDDEN")]
    after = await snapshot()
    assert after["audit"] == before["audit"] + 1
    assert {**after, "audit": before["audit"]} == before
    audit = await AuditEvent.get(action="authz_fail")
    assert (audit.outcome, audit.actor_role, audit.request_id) == (
        "failure",
        "SPECIALIST",
        "req-test",
    )
    assert audit.detail == {"action": "FILE"}


async def _decline_without_category(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.specialist_s1_user, DECLINE, id=case["id"], version=1, comment="x")


async def _stale_version(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.specialist_s1_user, ACCEPT, id=case["id"], version=7, position=1)


async def _wrong_role(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.company_c1_user, ACCEPT, id=case["id"], version=1, position=1)


async def _out_of_scope(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.platform_o2_staff, WITHDRAW, id=case["id"], version=1, reason="x")


async def _nonexistent(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.platform_o1_staff, WITHDRAW, id=case_gid(999_999), version=1, reason="x")


async def _malformed_id(world: World, case: dict[str, Any]) -> dict[str, Any]:
    other = to_global_id("Company", world.company_c1)
    return await act(world.platform_o1_staff, WITHDRAW, id=other, version=1, reason="x")


async def _illegal_now(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(
        world.secretariat_kanto,
        SCHEDULE,
        id=case["id"],
        version=1,
        start=SLOTS[0][0].isoformat(),
        end=SLOTS[0][1].isoformat(),
    )


async def _no_such_candidate(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.specialist_s1_user, ACCEPT, id=case["id"], version=1, position=4)


async def _proposal_on_a_day_off(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(
        world.specialist_s1_user,
        PROPOSE,
        id=case["id"],
        version=1,
        slots=_slot(jst(6, 15, 10)),
    )


async def _candidate_taken_meanwhile(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.specialist_s1_user, ACCEPT, id=case["id"], version=1, position=1)


async def _partner_without_write(world: World, case: dict[str, Any]) -> dict[str, Any]:
    return await act(world.partner_p1, WITHDRAW, id=case["id"], version=1, reason="x")


BAD_ACTIONS: list[tuple[str, Any, list[tuple[list[str] | None, str]], int]] = [
    (
        "decline without category",
        _decline_without_category,
        [(["input", "declineReasonId"], "REQUIRED")],
        0,
    ),
    ("stale version", _stale_version, [(["input", "version"], "STALE_VERSION")], 0),
    ("wrong role", _wrong_role, [(["input"], "FORBIDDEN")], 1),
    ("partner token without write_cases", _partner_without_write, [(["input"], "FORBIDDEN")], 1),
    ("out of scope", _out_of_scope, [(["input", "id"], "NOT_FOUND")], 0),
    ("nonexistent", _nonexistent, [(["input", "id"], "NOT_FOUND")], 0),
    ("ID of another type", _malformed_id, [(["input", "id"], "INVALID")], 0),
    ("not allowed now", _illegal_now, [(["input", "id"], "TRANSITION_NOT_ALLOWED")], 0),
    ("no such candidate", _no_such_candidate, [(["input", "position"], "INVALID")], 0),
    (
        "proposal on a day off",
        _proposal_on_a_day_off,
        [(["input", "slots", "0", "start"], "SLOT_DAY_OFF")],
        0,
    ),
    (
        "candidate taken meanwhile",
        _candidate_taken_meanwhile,
        [(["input", "position"], "SLOT_OVERLAP")],
        0,
    ),
]


@pytest.mark.parametrize(
    ("attempt", "expected", "audited"),
    [pytest.param(a, e, n, id=name) for name, a, e, n in BAD_ACTIONS],
)
async def test_bad_actions_are_user_errors_and_nothing_is_written(
    world: World, attempt: Any, expected: list[Any], audited: int
) -> None:
    # given a request of O1 for C1 (version 1), and for one case S1 confirmed elsewhere since
    case = await file_case(world)
    if attempt is _candidate_taken_meanwhile:
        await _busy_s1(world)
    before = await snapshot()
    # when the action is attempted
    payload = await attempt(world, case)
    # then it is refused at its field, nothing but an authz_fail audit row is written, and the
    # payload still shows the case as it is to whoever may see it
    assert codes(payload) == expected
    after = await snapshot()
    assert after["audit"] == before["audit"] + audited
    assert {**after, "audit": before["audit"]} == before
    if payload["case"] is not None:
        assert (payload["case"]["status"], payload["case"]["version"]) == ("UNPROCESSED", 1)


async def test_not_allowed_names_the_actions_allowed_now(world: World) -> None:
    # given a confirmed case
    case = await confirmed_case(world)
    # when the specialist tries to accept it again
    again = await act(world.specialist_s1_user, ACCEPT, id=case["id"], version=2, position=1)
    # then the refusal names the status and what it may do instead
    (error,) = again["userErrors"]
    assert error["code"] == "TRANSITION_NOT_ALLOWED"
    assert "決定" in error["message"] and "キャンセルする" in error["message"]
    assert again["case"]["availableActions"] == ["CANCEL"]


async def test_validate_only_runs_every_rule_and_writes_nothing(world: World) -> None:
    before = await snapshot()
    # when a request is checked only, valid and invalid
    checked = await act(world.platform_o1_staff, CREATE, **request_input(world), validateOnly=True)
    invalid = await act(
        world.platform_o1_staff,
        CREATE,
        **request_input(world, slots=_slot(jst(6, 14, 10))),
        validateOnly=True,
    )
    # then the valid one has no errors, the invalid one its errors, and nothing is written
    assert (checked["userErrors"], checked["case"]) == ([], None)
    assert codes(invalid) == [(["input", "slots", "0", "start"], "SLOT_DAY_OFF")]
    assert await snapshot() == before
    # when an answer is checked only
    case = await file_case(world)
    filed = await snapshot()
    dry = await act(
        world.specialist_s1_user, ACCEPT, id=case["id"], version=1, position=1, validateOnly=True
    )
    # then the case is shown unchanged
    assert dry["userErrors"] == []
    assert (dry["case"]["status"], dry["case"]["version"]) == ("UNPROCESSED", 1)
    assert await snapshot() == filed


# ---------------------------------------------------------------- concurrency


async def test_fifty_concurrent_conflicting_transitions_have_exactly_one_winner(
    world: World,
) -> None:
    # given a confirmed case at version 2 and fifty parties acting on that version at once
    case = await confirmed_case(world)
    before_events = await CaseEvent.filter(case_id=pk_of(case["id"])).count()
    cancel = {
        "id": case["id"],
        "version": 2,
        "cancelCategoryId": str(world.cancel_category),
        "reason": "同時操作",
    }
    actors = [world.company_c1_user, world.specialist_s1_user, world.platform_o1_staff] * 17

    async def attempt(principal: Principal) -> dict[str, Any]:
        return await act(principal, CANCEL, **cancel)

    # when they all cancel concurrently (separate connections on PostgreSQL)
    results = await asyncio.gather(*(attempt(p) for p in actors[:50]))
    # then exactly one wins, the other 49 are stale, and one history row and one event exist
    outcomes = sorted(r["userErrors"][0]["code"] if r["userErrors"] else "OK" for r in results)
    assert outcomes == ["OK"] + ["STALE_VERSION"] * 49
    stored = await DispatchCase.get(id=pk_of(case["id"]))
    assert (stored.status, stored.version) == (CaseStatus.CANCELLED, 3)
    assert await CaseEvent.filter(case_id=stored.id).count() == before_events + 1
    assert await DomainEvent.filter(case_id=stored.id, kind="CASE_CANCELLED").count() == 1
    assert await AuditEvent.filter(action="case_transition", target_id=str(stored.id)).count() == 3


async def test_concurrent_filings_respect_the_limit_and_never_share_a_number(
    world: World,
) -> None:
    # given company C2 (大阪) with one counted case, the 近畿 secretariat filing for it
    request = request_input(
        world,
        companyId=to_global_id("Company", world.company_c2),
        specialistId=to_global_id("Specialist", world.specialist_s2),
    )
    # when ten requests are filed at once
    results = await asyncio.gather(
        *(act(world.secretariat_kinki, CREATE, **request) for _ in range(10))
    )
    # then exactly two fit under the limit of 3, with distinct consecutive numbers
    accepted = sorted(r["case"]["reservationNumber"] for r in results if not r["userErrors"])
    refused = [codes(r) for r in results if r["userErrors"]]
    assert accepted == ["2025-000001", "2025-000002"]
    assert refused == [[(["input", "companyId"], "LIMIT_REACHED")]] * 8
    assert await DispatchCase.filter(company_id=world.company_c2).count() == 4


NOT_SECRETARIAT = [
    "specialist_s1_user",
    "company_c1_user",
    "platform_o1_staff",
    "platform_r1_coordinator",
    "partner_p1",
    "partner_p2",
]


@pytest.mark.parametrize("who", NOT_SECRETARIAT)
async def test_secretariat_only_mutations_are_forbidden_to_every_other_role(
    world: World, who: str
) -> None:
    # given a request of O1 for C1
    case = await file_case(world)
    later = jst(6, 16, 10)
    principal = world.principals()[who]
    before = await snapshot()
    # when a non-secretariat principal schedules it and grants a limit exception
    scheduled = await act(
        principal,
        SCHEDULE,
        now=later,
        id=case["id"],
        version=1,
        start=PROPOSALS[0][0].isoformat(),
        end=PROPOSALS[0][1].isoformat(),
    )
    granted = await gql(
        principal,
        GRANT,
        now=later,
        input={
            "companyId": to_global_id("Company", world.company_c1),
            "fiscalYear": 2025,
            "extra": 1,
            "reason": "特例",
        },
    )
    # then both are FORBIDDEN and the only rows written are two authz_fail audit events
    assert codes(scheduled) == [(["input"], "FORBIDDEN")]
    assert codes(granted["caseGrantLimitException"]) == [(["input"], "FORBIDDEN")]
    after = await snapshot()
    assert {**after, "audit": before["audit"]} == before
    assert after["audit"] == before["audit"] + 2
    assert await AuditEvent.filter(action="authz_fail").count() == 2
