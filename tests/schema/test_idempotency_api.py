"""``idempotencyKey`` of the money and filing mutations through GraphQL (security.md reliability
4, security-tests.md R7): a retry answers like the first success and writes nothing (one row, one
event, so one mail), the same key with another input is refused with nothing written, keys are
per principal, a refused attempt does not use the key up, an expired key is new, and concurrent
duplicates run once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from auth.principal import Principal
from models.audit import AuditEvent
from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.companies import CompanyLimitException
from models.documents import Document
from models.evaluations import Evaluation
from models.idempotency import IdempotencyKey
from models.outbox import DomainEvent, OutboxMessage
from models.payments import PaymentBatch
from models.reports import Report, TravelClaim, TravelLine, TravelLineCorrection
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import DocumentKind
from models.settings import current_settings
from schema.context import Context
from schema.relay import parse_global_id, to_global_id
from schema.root import build_schema
from tests.factories import (
    World,
    build_world,
    make_commission,
    make_dispatched_case,
    make_document,
)

SCHEMA = build_schema(current_settings())
KEY = "5f0c2e7a-1d3b-4a69-8c2e-7b9d0e1f2a3b"
KEY_FIELD = ["input", "idempotencyKey"]


def jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TOKYO)


#: Filing: Monday 2 June 2025; candidate slots in the week after.
FILED_AT = jst(6, 2, 10)
SLOTS = [(jst(6, 11, 10), jst(6, 11, 12)), (jst(6, 12, 10), jst(6, 12, 12))]
#: Money: a dispatch on 11 June 10:00–12:00, reported the next day.
START, END = jst(6, 11, 10), jst(6, 11, 12)
REPORTED_AT = jst(6, 12, 10)

ERRORS = "userErrors { field code message }"
CREATE = f"""
mutation ($input: CaseCreateInput!) {{
  caseCreate(input: $input) {{ case {{ id reservationNumber status version }} {ERRORS} }}
}}"""
SUBMIT = f"""
mutation ($input: ReportSubmitInput!) {{
  reportSubmit(input: $input) {{
    case {{ id status version }}
    report {{ reviewState submittedAt travel {{ totalAmount lines {{ amount }} }} }}
    preview {{ billableMinutes lineAmounts transportAmount perDiemAmount lodgingAmount
               travelTotal honorarium {{ billableMinutes units amount eligible ineligibleReason }}
               paymentState holdReasons withholding travelPayable total }}
    {ERRORS}
  }}
}}"""
ACCEPT = f"""
mutation ($input: ReportAcceptInput!) {{
  reportAccept(input: $input) {{ case {{ version }} {ERRORS} }}
}}"""
EVALUATE = f"""
mutation ($input: EvaluationSubmitInput!) {{
  evaluationSubmit(input: $input) {{
    case {{ id status version }} evaluation {{ evaluatorKind satisfaction comment }} {ERRORS}
  }}
}}"""
CORRECT = f"""
mutation ($input: ExpenseCorrectInput!) {{
  expenseCorrect(input: $input) {{
    case {{ id version }} originalAmount correctedAmount
    report {{ travel {{ totalAmount lines {{ effectiveAmount }} }} }}
    {ERRORS}
  }}
}}"""
BATCH = f"""
mutation ($input: PaymentBatchCreateInput!) {{
  paymentBatchCreate(input: $input) {{ batch {{ id month paid caseCount total }} caseCount total
                                       {ERRORS} }}
}}"""
MARK_PAID = f"""
mutation ($input: PaymentBatchMarkPaidInput!) {{
  paymentBatchMarkPaid(input: $input) {{ batch {{ id paid paidOn caseCount }} {ERRORS} }}
}}"""


async def act(principal: Principal, query: str, now: datetime, **fields: Any) -> Any:
    context = Context(
        request=None,
        response=None,
        settings=current_settings(),
        principal=principal,
        request_id="req-idempotency",
    )
    context.loaders.now = now
    result = await SCHEMA.execute(query, variable_values={"input": fields}, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    (payload,) = result.data.values()
    return payload


def gid(pk: int, type_name: str = "DispatchCase") -> str:
    return to_global_id(type_name, pk)


def pk_of(global_id: str) -> int:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


def codes(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def snapshot() -> dict[str, int]:
    """Every row the guarded mutations write, to prove a refusal or a replay wrote nothing."""
    return {
        "cases": await DispatchCase.all().count(),
        "slots": await CaseSlot.all().count(),
        "case_events": await CaseEvent.all().count(),
        "domain_events": await DomainEvent.all().count(),
        "mails": await OutboxMessage.all().count(),
        "audit": await AuditEvent.all().count(),
        "reports": await Report.all().count(),
        "claims": await TravelClaim.all().count(),
        "lines": await TravelLine.all().count(),
        "corrections": await TravelLineCorrection.all().count(),
        "evaluations": await Evaluation.all().count(),
        "batches": await PaymentBatch.all().count(),
        "keys": await IdempotencyKey.all().count(),
    }


async def kinds() -> list[str]:
    return list(await DomainEvent.all().order_by("id").values_list("kind", flat=True))


# ---------------------------------------------------------------- filing


def filing(world: World, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "companyId": gid(world.company_c1, "Company"),
        "specialistId": gid(world.specialist_s1, "Specialist"),
        "title": "新商品の販路開拓",
        "description": "展示会出展後の営業方法について助言がほしい",
        "issueCategoryIds": [gid(world.issue_category, "IssueCategory")],
        "location": {"name": "本社", "address": "東京都千代田区1-1"},
        "slots": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in SLOTS],
        "idempotencyKey": KEY,
    }
    values.update(overrides)
    return values


async def filing_world() -> World:
    """The world, S1 dispatchable in FY 2025, and room under C1's yearly limit for more cases."""
    world = await build_world()
    await make_commission(world.specialist_s1, 2025)
    await CompanyLimitException.create(
        company_id=world.company_c1,
        fiscal_year=2025,
        extra=5,
        reason="テスト",
        granted_by_id=world.secretariat_kanto.account_id,
    )
    return world


async def test_a_retried_filing_answers_the_same_case_and_files_once(db: str) -> None:
    # given a request filed with a key
    world = await filing_world()
    staff = world.platform_o1_staff
    first = await act(staff, CREATE, FILED_AT, **filing(world))
    assert first["userErrors"] == []
    after_first = await snapshot()
    # when the client retries the same request (a timeout), also a minute later
    second = await act(staff, CREATE, FILED_AT, **filing(world))
    third = await act(staff, CREATE, FILED_AT + timedelta(minutes=1), **filing(world))
    # then the same case with the same reservation number, and nothing more was written
    assert first == second == third
    assert first["case"]["reservationNumber"] == "2025-000001"
    assert await snapshot() == after_first
    case_id = pk_of(first["case"]["id"])
    assert await DispatchCase.all().count() == len(world.case_ids) + 1
    assert await DomainEvent.filter(case_id=case_id).values_list("kind", flat=True) == [
        "CASE_FILED"
    ]
    assert await AuditEvent.filter(action="case_transition", target_id=str(case_id)).count() == 1
    stored = await IdempotencyKey.get(key=KEY)
    assert (stored.principal, stored.operation) == (f"account:{staff.account_id}", "caseCreate")
    assert stored.response == {"caseId": case_id}


async def test_the_same_key_with_another_request_is_refused_and_nothing_is_written(
    db: str,
) -> None:
    # given a filed request
    world = await filing_world()
    staff = world.platform_o1_staff
    first = await act(staff, CREATE, FILED_AT, **filing(world))
    before = await snapshot()
    # when the same key comes with another title, or another slot
    other_title = await act(staff, CREATE, FILED_AT, **filing(world, title="別の依頼"))
    other_slots = await act(
        staff,
        CREATE,
        FILED_AT,
        **filing(world, slots=[{"start": SLOTS[0][0].isoformat(), "end": SLOTS[0][1].isoformat()}]),
    )
    # then both are refused at the key, with no case, and nothing is written
    for refused in (other_title, other_slots):
        assert refused["case"] is None
        assert codes(refused) == [(KEY_FIELD, "IDEMPOTENCY_KEY_REUSED")]
        assert refused["userErrors"][0]["message"]
    assert await snapshot() == before
    # and the original request still replays
    assert await act(staff, CREATE, FILED_AT, **filing(world)) == first


async def test_keys_are_per_principal(db: str) -> None:
    # given platform staff's filing under a key
    world = await filing_world()
    mine = await act(world.platform_o1_staff, CREATE, FILED_AT, **filing(world))
    # when the company itself files with the same key (same input)
    theirs = await act(world.company_c1_user, CREATE, FILED_AT, **filing(world))
    # then it is a new request of its own: a second case, no replay across principals
    assert mine["userErrors"] == theirs["userErrors"] == []
    assert mine["case"]["id"] != theirs["case"]["id"]
    assert theirs["case"]["reservationNumber"] == "2025-000002"
    assert await IdempotencyKey.filter(key=KEY).count() == 2


async def test_a_refused_filing_does_not_use_the_key_up(db: str) -> None:
    # given a filing refused for its input
    world = await filing_world()
    staff = world.platform_o1_staff
    before = await snapshot()
    refused = await act(staff, CREATE, FILED_AT, **filing(world, title=" "))
    assert codes(refused) == [(["input", "title"], "REQUIRED")]
    assert await snapshot() == before
    # when the corrected request is sent with the same key
    fixed = await act(staff, CREATE, FILED_AT, **filing(world))
    # then it is filed, and from now on the key replays it
    assert fixed["userErrors"] == []
    assert await act(staff, CREATE, FILED_AT, **filing(world)) == fixed
    assert await DispatchCase.filter(reservation_number="2025-000001").count() == 1


async def test_a_forbidden_attempt_keeps_its_audit_row_and_stores_no_key(db: str) -> None:
    # given a specialist (who may never file) sending a key
    world = await filing_world()
    audits = await AuditEvent.filter(action="authz_fail").count()
    # when
    refused = await act(world.specialist_s1_user, CREATE, FILED_AT, **filing(world))
    # then FORBIDDEN, audited as without a key, and the key is not stored
    assert codes(refused) == [(["input"], "FORBIDDEN")]
    assert await AuditEvent.filter(action="authz_fail").count() == audits + 1
    assert await IdempotencyKey.all().count() == 0


async def test_validate_only_writes_no_key(db: str) -> None:
    world = await filing_world()
    staff = world.platform_o1_staff
    checked = await act(staff, CREATE, FILED_AT, **filing(world, validateOnly=True))
    assert checked == {"case": None, "userErrors": []}
    assert await IdempotencyKey.all().count() == 0
    filed = await act(staff, CREATE, FILED_AT, **filing(world))
    assert filed["case"]["reservationNumber"] == "2025-000001"


async def test_an_expired_key_is_processed_as_new(db: str) -> None:
    # given a filing made 24 hours ago under a key
    world = await filing_world()
    staff = world.platform_o1_staff
    first = await act(staff, CREATE, FILED_AT, **filing(world))
    # when the same request comes after the key expired
    later = await act(staff, CREATE, FILED_AT + timedelta(hours=24), **filing(world))
    # then it is filed again
    assert later["userErrors"] == []
    assert later["case"]["reservationNumber"] == "2025-000002"
    assert later["case"]["id"] != first["case"]["id"]
    assert await IdempotencyKey.filter(key=KEY).count() == 1


async def test_a_malformed_key_is_an_input_error(db: str) -> None:
    world = await filing_world()
    before = await snapshot()
    for key, code in (("", "INVALID"), ("x" * 101, "TOO_LONG"), ("キー", "INVALID")):
        payload = await act(
            world.platform_o1_staff, CREATE, FILED_AT, **filing(world, idempotencyKey=key)
        )
        assert codes(payload) == [(KEY_FIELD, code)]
    assert await snapshot() == before


async def test_concurrent_duplicate_filings_file_once(db: str) -> None:
    # given five identical requests with one key at the same time
    world = await filing_world()
    staff = world.platform_o1_staff
    payloads = await asyncio.gather(
        *(act(staff, CREATE, FILED_AT, **filing(world)) for _ in range(5))
    )
    # then one case; every answer is that case, or (PostgreSQL, while the first was still
    # running) IDEMPOTENCY_KEY_IN_USE, which a later retry replays
    filed = [p for p in payloads if not p["userErrors"]]
    busy = [p for p in payloads if p["userErrors"]]
    assert filed and all(p == filed[0] for p in filed)
    assert all(codes(p) == [(KEY_FIELD, "IDEMPOTENCY_KEY_IN_USE")] for p in busy)
    assert await DispatchCase.all().count() == len(world.case_ids) + 1
    assert await DomainEvent.filter(kind="CASE_FILED").count() == 1
    assert await act(staff, CREATE, FILED_AT, **filing(world)) == filed[0]


# ---------------------------------------------------------------- money


def report(world: World, fare: int = 440, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dispatchDate": "2025-06-11",
        "startAt": START.isoformat(),
        "endAt": END.isoformat(),
        "nonBillableMinutes": 0,
        "issueCategoryId": gid(world.issue_category, "IssueCategory"),
        "companyRequest": "新商品の販路開拓について助言がほしい",
        "mainQualificationId": gid(world.qualification, "Qualification"),
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
                    "oneWayFare": fare,
                }
            ],
        },
    }
    values.update(overrides)
    return values


async def reported(world: World) -> tuple[int, dict[str, Any]]:
    """A dispatched case of S1 and its report submitted with a key: (case id, first answer)."""
    case = await make_dispatched_case(world, START)
    first = await act(
        world.specialist_s1_user,
        SUBMIT,
        REPORTED_AT,
        id=gid(case.id),
        version=case.version,
        idempotencyKey=KEY,
        **report(world),
    )
    assert first["userErrors"] == []
    return case.id, first


async def test_a_retried_report_submission_answers_alike_and_submits_once(db: str) -> None:
    # given a report submitted with a key (a travel claim: money)
    world = await build_world()
    case_id, first = await reported(world)
    after_first = await snapshot()
    s1 = world.specialist_s1_user
    # when the client retries it, with the version it had sent
    retry = await act(
        s1, SUBMIT, REPORTED_AT, id=gid(case_id), version=3, idempotencyKey=KEY, **report(world)
    )
    # then the same answer (case, report and the computed preview), one report, one event
    assert retry == first
    assert first["preview"]["lineAmounts"] == [880] and first["preview"]["travelTotal"] == 3080
    assert first["report"]["reviewState"] == "SUBMITTED"
    assert await snapshot() == after_first
    assert await Report.filter(case_id=case_id).count() == 1
    assert await DomainEvent.filter(case_id=case_id).values_list("kind", flat=True) == [
        "CASE_UNREPORTED",
        "CASE_REPORTED",
    ]
    # when the same key comes with another amount
    other = await act(
        s1,
        SUBMIT,
        REPORTED_AT,
        id=gid(case_id),
        version=3,
        idempotencyKey=KEY,
        **report(world, fare=500),
    )
    # then it is refused and the claim keeps its amount
    assert codes(other) == [(KEY_FIELD, "IDEMPOTENCY_KEY_REUSED")]
    assert other["report"] is None and other["preview"] is None
    assert await snapshot() == after_first
    lines = TravelLine.filter(claim__report__case_id=case_id)
    assert await lines.values_list("amount", flat=True) == [880]
    # and without a key the same retry would have been refused as stale
    plain = await act(s1, SUBMIT, REPORTED_AT, id=gid(case_id), version=3, **report(world))
    assert codes(plain) == [(["input", "version"], "STALE_VERSION")]


async def test_a_retried_evaluation_answers_alike_and_evaluates_once(db: str) -> None:
    # given a reported case the company evaluates with a key
    world = await build_world()
    case_id, submitted = await reported(world)
    version = submitted["case"]["version"]
    scores = {"satisfaction": 4, "expertise": 4, "clarity": 5, "responsiveness": 4,
              "wouldRequestAgain": True, "comment": "助かりました", "idempotencyKey": KEY}  # fmt: skip
    company = world.company_c1_user
    first = await act(company, EVALUATE, REPORTED_AT, id=gid(case_id), version=version, **scores)
    assert first["userErrors"] == []
    after_first = await snapshot()
    # when it retries
    retry = await act(company, EVALUATE, REPORTED_AT, id=gid(case_id), version=version, **scores)
    # then the same answer and one evaluation, one completion event
    assert retry == first
    assert first["case"]["status"] == "COMPLETED"
    assert first["evaluation"] == {
        "evaluatorKind": "COMPANY",
        "satisfaction": 4,
        "comment": "助かりました",
    }
    assert await snapshot() == after_first
    assert await Evaluation.filter(case_id=case_id).count() == 1
    assert (await kinds()).count("CASE_COMPLETED") == 1
    # and another score under the same key is refused
    other = await act(
        company,
        EVALUATE,
        REPORTED_AT,
        id=gid(case_id),
        version=version,
        **{**scores, "satisfaction": 1},
    )
    assert codes(other) == [(KEY_FIELD, "IDEMPOTENCY_KEY_REUSED")]
    assert await snapshot() == after_first


async def test_retried_expense_correction_batch_and_payment_run_once(db: str) -> None:
    # given a submitted report of S1, commissioned (ACTIVE) for FY 2025
    world = await build_world()
    await make_commission(world.specialist_s1, 2025, active=True)
    case_id, submitted = await reported(world)
    sec = world.secretariat_kanto
    line = {"mode": "RAIL", "fromPlace": "自宅最寄駅", "toPlace": "東京駅", "roundTrip": True,
            "oneWayFare": 400}  # fmt: skip

    # the secretariat corrects a fare with a key, and retries
    correction = {"id": gid(case_id), "position": 1, "line": line, "reason": "運賃表による訂正",
                  "idempotencyKey": "correct-1"}  # fmt: skip
    corrected = await act(sec, CORRECT, REPORTED_AT, **correction)
    assert corrected["userErrors"] == []
    assert (corrected["originalAmount"], corrected["correctedAmount"]) == (880, 800)
    after = await snapshot()
    assert await act(sec, CORRECT, REPORTED_AT, **correction) == corrected
    assert await snapshot() == after
    assert await TravelLineCorrection.all().count() == 1
    assert (await kinds()).count("EXPENSE_CORRECTED") == 1
    refused = await act(sec, CORRECT, REPORTED_AT, **{**correction, "reason": "別の理由"})
    assert codes(refused) == [(KEY_FIELD, "IDEMPOTENCY_KEY_REUSED")]
    plain = {k: v for k, v in correction.items() if k != "idempotencyKey"}
    assert codes(await act(sec, CORRECT, REPORTED_AT, **plain)) == [(["input", "line"], "INVALID")]

    # the report is accepted and 様式8 arrives by post: the payment is PAYABLE
    version = corrected["case"]["version"]
    accepted = await act(sec, ACCEPT, REPORTED_AT, id=gid(case_id), version=version)
    assert accepted["userErrors"] == []
    case = await DispatchCase.get(id=case_id)
    await make_document(case=case, kind=DocumentKind.FORM8, received_by_post=True, sha256="")
    assert await Document.filter(case_id=case_id).count() >= 1

    # the monthly batch is created with a key, and the request retried
    batch_input = {"month": "2025-06", "idempotencyKey": "batch-2025-06"}
    batch = await act(sec, BATCH, REPORTED_AT, **batch_input)
    assert batch["userErrors"] == []
    assert (batch["caseCount"], batch["total"]) == (1, batch["batch"]["total"])
    assert await act(sec, BATCH, REPORTED_AT, **batch_input) == batch
    assert await PaymentBatch.all().count() == 1
    assert codes(await act(sec, BATCH, REPORTED_AT, month="2025-06")) == [
        (["input", "month"], "DUPLICATE")
    ]
    assert codes(await act(sec, BATCH, REPORTED_AT, **{**batch_input, "month": "2025-05"})) == [
        (KEY_FIELD, "IDEMPOTENCY_KEY_REUSED")
    ]

    # and marked paid with a key, retried: one PAYMENT_BATCH_PAID event (one mail)
    paid_input = {"id": batch["batch"]["id"], "paidOn": "2025-06-12", "idempotencyKey": "paid-1"}
    paid = await act(sec, MARK_PAID, REPORTED_AT, **paid_input)
    assert paid["userErrors"] == []
    assert paid["batch"]["paid"] is True
    assert await act(sec, MARK_PAID, REPORTED_AT, **paid_input) == paid
    assert (await kinds()).count("PAYMENT_BATCH_PAID") == 1
    unkeyed = {k: v for k, v in paid_input.items() if k != "idempotencyKey"}
    assert codes(await act(sec, MARK_PAID, REPORTED_AT, **unkeyed)) == [
        (["input", "id"], "TRANSITION_NOT_ALLOWED")
    ]
    assert sorted(await IdempotencyKey.all().values_list("operation", flat=True)) == [
        "expenseCorrect",
        "paymentBatchCreate",
        "paymentBatchMarkPaid",
        "reportSubmit",
    ]
    assert submitted["case"]["status"] == "REPORTED"
