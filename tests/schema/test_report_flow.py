"""The back half of a dispatch through GraphQL (issue 4): 未報告 → draft → submit with errors →
fixed → 報告済 → returned → resubmitted → accepted → evaluated → 完了 → batch → PAID → CSV, and
every bad input of the issue as ``userErrors`` with field paths and stable codes while nothing
is stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.jwt import issue_access_token
from auth.principal import Principal
from models.audit import AuditEvent
from models.cases import CaseEvent, DispatchCase
from models.documents import Document
from models.evaluations import Evaluation
from models.masters import IssueCategory
from models.outbox import DomainEvent
from models.payments import Payment, PaymentBatch
from models.reports import Report, ReportDraft, TravelClaim, TravelLine, TravelLineCorrection
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import DocumentKind
from models.settings import Settings, current_settings
from schema.context import Context
from schema.relay import to_global_id
from schema.root import build_schema
from server.app import create_app
from tests.factories import (
    World,
    build_world,
    make_commission,
    make_dispatched_case,
    make_document,
)
from tests.file_samples import tiny_pdf

SCHEMA = build_schema(current_settings())


def jst(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


#: The dispatch: Wednesday 11 June 2025, 10:00–12:00 in Tokyo; reported the next day.
START, END = jst(6, 11, 10), jst(6, 11, 12)
NOW = jst(6, 12, 10)

CASE = """
  id status version availableActions evaluated reportDueAt isReportOverdue
  honorarium { billableMinutes units amount eligible ineligibleReason }
  payment { state holdReasons ineligibleRule honorarium withholding travel total paidOn
            batch { id month paid } }
  reportDraft { source savedAt dispatchDate startAt endAt nonBillableMinutes companyRequest
                issueCategory { id } travel { place lines { mode oneWayFare roundTrip amount } } }
  report { reviewState submittedAt reviewComment companyRequest anomalies
           anomalyDetails { kind label minutesOff checkKind }
           travel { totalAmount transportAmount perDiemAmount
                    lines { position mode oneWayFare amount effectiveAmount
                            corrections { originalAmount correctedAmount reason correctedBy
                                          oneWayFare } } } }
  evaluations { evaluatorKind satisfaction comment }
  history { action fromStatus toStatus comment }
"""
READ = f"query ($id: ID!) {{ node(id: $id) {{ ... on DispatchCase {{ {CASE} }} }} }}"
ERRORS = "userErrors { field code message }"
SAVE_DRAFT = f"""
mutation ($input: ReportSaveDraftInput!) {{
  reportSaveDraft(input: $input) {{ case {{ {CASE} }} reportDraft {{ source companyRequest }}
                                    {ERRORS} }}
}}"""
SUBMIT = f"""
mutation ($input: ReportSubmitInput!) {{
  reportSubmit(input: $input) {{
    case {{ {CASE} }}
    report {{ reviewState }}
    preview {{ billableMinutes lineAmounts transportAmount perDiemAmount travelTotal
               honorarium {{ amount units }} paymentState holdReasons withholding total }}
    {ERRORS}
  }}
}}"""
RETURN = f"""
mutation ($input: ReportReturnInput!) {{
  reportReturn(input: $input) {{ case {{ {CASE} }} report {{ reviewState }} {ERRORS} }}
}}"""
ACCEPT = f"""
mutation ($input: ReportAcceptInput!) {{
  reportAccept(input: $input) {{ case {{ {CASE} }} report {{ reviewState }} {ERRORS} }}
}}"""
CORRECT = f"""
mutation ($input: ExpenseCorrectInput!) {{
  expenseCorrect(input: $input) {{ case {{ {CASE} }} originalAmount correctedAmount {ERRORS} }}
}}"""
EVALUATE = f"""
mutation ($input: EvaluationSubmitInput!) {{
  evaluationSubmit(input: $input) {{
    case {{ {CASE} }} evaluation {{ evaluatorKind satisfaction comment wouldRequestAgain }}
    {ERRORS}
  }}
}}"""
BATCH = f"""
mutation ($input: PaymentBatchCreateInput!) {{
  paymentBatchCreate(input: $input) {{
    batch {{ id month paid caseCount total csvUrl
             lines {{ reservationNumber specialistName honorarium withholding travel total }} }}
    caseCount total {ERRORS}
  }}
}}"""
MARK_PAID = f"""
mutation ($input: PaymentBatchMarkPaidInput!) {{
  paymentBatchMarkPaid(input: $input) {{ batch {{ id paid paidOn caseCount }} {ERRORS} }}
}}"""
SPECIALIST = """
query ($id: ID!) {
  node(id: $id) {
    ... on Specialist {
      evaluationSummary { count satisfaction expertise clarity responsiveness overall }
      evaluations(first: 10) { totalCount nodes { evaluatorKind satisfaction comment } }
    }
  }
}"""


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


async def act(principal: Principal, query: str, *, now: datetime = NOW, **fields: Any) -> Any:
    data = await gql(principal, query, now=now, input=fields)
    (payload,) = data.values()
    return payload


async def read(principal: Principal, case_id: int, now: datetime = NOW) -> Any:
    return (await gql(principal, READ, now=now, id=gid(case_id)))["node"]


def gid(pk: int, type_name: str = "DispatchCase") -> str:
    return to_global_id(type_name, pk)


def codes(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}


def good_report(world: World, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dispatchDate": "2025-06-11",
        "startAt": START.isoformat(),
        "endAt": END.isoformat(),
        "nonBillableMinutes": 0,
        "issueCategoryId": gid(world.issue_category, "IssueCategory"),
        "companyRequest": "新商品の販路開拓について助言がほしい",
        "mainQualificationId": gid(world.qualification, "Qualification"),
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
    values.update(overrides)
    return values


async def stored_counts(case_id: int) -> dict[str, int]:
    return {
        "reports": await Report.filter(case_id=case_id).count(),
        "claims": await TravelClaim.filter(report__case_id=case_id).count(),
        "lines": await TravelLine.filter(claim__report__case_id=case_id).count(),
        "corrections": await TravelLineCorrection.all().count(),
        "drafts": await ReportDraft.filter(case_id=case_id).count(),
        "events": await CaseEvent.filter(case_id=case_id).count(),
        "domain_events": await DomainEvent.all().count(),
        "evaluations": await Evaluation.filter(case_id=case_id).count(),
        "payments": await Payment.filter(case_id=case_id).count(),
        "batches": await PaymentBatch.all().count(),
        "attached": await Document.filter(case_id=case_id).count(),
    }


async def event_kinds(case_id: int) -> list[str]:
    rows = await DomainEvent.filter(case_id=case_id).order_by("id").values("kind")
    return [r["kind"] for r in rows]


# ---------------------------------------------------------------- HTTP (uploads and CSV)


def bearer(principal: Principal) -> dict[str, str]:
    assert principal.account_id is not None and principal.role is not None
    token, _ = issue_access_token(
        principal.account_id, principal.role.value, datetime.now(UTC), current_settings()
    )
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        env="test", secret_key=current_settings().secret_key, upload_dir=tmp_path / "uploads"
    )
    app = create_app(settings, SCHEMA, init_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def upload(http: httpx.AsyncClient, principal: Principal, kind: str) -> str:
    response = await http.post(
        "/uploads",
        headers=bearer(principal),
        files={"file": (f"{kind.lower()}.pdf", tiny_pdf(kind), "application/pdf")},
        data={"kind": kind},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def parse_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")[1:]
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


# ---------------------------------------------------------------- the whole flow


async def test_from_unreported_to_paid_and_the_csv(db: str, http: httpx.AsyncClient) -> None:
    # given a dispatch of S1 (ACTIVE for FY 2025) that ended yesterday, and an その他 category
    world = await build_world()
    await make_commission(world.specialist_s1, 2025, active=True)
    case = await make_dispatched_case(world, START)
    other = await IssueCategory.create(code="OTHER", name="その他の経営課題", requires_detail=True)
    s1, sec = world.specialist_s1_user, world.secretariat_kanto

    # the specialist opens the report: pre-filled from the confirmed slot
    opened = await read(s1, case.id)
    assert opened["status"] == "UNREPORTED"
    assert opened["reportDraft"]["source"] == "SCHEDULE"
    assert opened["reportDraft"]["dispatchDate"] == "2025-06-11"
    assert opened["reportDraft"]["nonBillableMinutes"] == 0
    assert datetime.fromisoformat(opened["reportDraft"]["startAt"]) == START
    assert datetime.fromisoformat(opened["reportDueAt"]) == jst(6, 18, 23, 59) + timedelta(
        seconds=59, microseconds=999999
    )
    assert opened["isReportOverdue"] is False
    assert opened["honorarium"] is None
    assert "SAVE_REPORT_DRAFT" in opened["availableActions"]

    # a draft is saved twice: the second save overwrites the first
    first = await act(s1, SAVE_DRAFT, id=gid(case.id), companyRequest="下書き1")
    second = await act(
        s1,
        SAVE_DRAFT,
        id=gid(case.id),
        companyRequest="下書き2",
        travel={"place": "本社", "lines": [{"mode": "TAXI", "roundTrip": True, "oneWayFare": 700}]},
    )
    assert first["userErrors"] == second["userErrors"] == []
    assert second["reportDraft"] == {"source": "SAVED", "companyRequest": "下書き2"}
    draft = (await read(s1, case.id))["reportDraft"]
    assert draft["companyRequest"] == "下書き2"
    assert draft["travel"]["lines"] == [
        {"mode": "TAXI", "oneWayFare": 700, "roundTrip": True, "amount": 1400}
    ]
    assert await ReportDraft.filter(case_id=case.id).count() == 1
    assert (await read(s1, case.id))["version"] == case.version  # a draft is not a transition

    # a submission with many mistakes: every error at once, with its path; nothing stored
    before = await stored_counts(case.id)
    bad = good_report(
        world,
        nonBillableMinutes=120,
        issueCategoryId=gid(other.id, "IssueCategory"),
        companyRequest=None,
        mainQualificationId="abc",
        attendeesCompany="  ",
        accompanied=None,
        furtherVisitsNeeded=True,
        travel={
            "place": "本社",
            "purpose": "派遣",
            "lines": [
                {
                    "mode": "RAIL",
                    "fromPlace": "A",
                    "toPlace": "B",
                    "roundTrip": True,
                    "oneWayFare": 440,
                },
                {
                    "mode": "LIMITED_EXPRESS",
                    "fromPlace": "A",
                    "toPlace": "B",
                    "roundTrip": False,
                    "oneWayFare": 5000,
                    "distanceKm": 50,
                },
                {
                    "mode": "PRIVATE_CAR",
                    "fromPlace": "A",
                    "toPlace": "B",
                    "roundTrip": True,
                    "oneWayFare": 500,
                },
                {
                    "mode": "BUS",
                    "fromPlace": "A",
                    "toPlace": "B",
                    "roundTrip": False,
                    "oneWayFare": -10,
                },
                {
                    "mode": "AIR",
                    "fromPlace": "A",
                    "toPlace": "B",
                    "roundTrip": False,
                    "oneWayFare": 20000,
                },
            ],
        },
    )
    refused = await act(s1, SUBMIT, id=gid(case.id), version=case.version, documentIds=["x"], **bad)
    lines = ("input", "travel", "lines")
    assert codes(refused) == {
        (("input", "nonBillableMinutes"), "NON_BILLABLE_EXCEEDS_DURATION"),
        (("input", "nonBillableRemark"), "REQUIRED"),
        (("input", "issueDetail"), "REQUIRED"),
        (("input", "companyRequest"), "REQUIRED"),
        (("input", "mainQualificationId"), "INVALID"),
        (("input", "attendeesCompany"), "REQUIRED"),
        (("input", "accompanied"), "REQUIRED"),
        (("input", "furtherVisitsReason"), "REQUIRED"),
        (("input", "travel", "address"), "REQUIRED"),
        ((*lines, "1", "distanceKm"), "LIMITED_EXPRESS_TOO_SHORT"),
        ((*lines, "2", "oneWayFare"), "INVALID"),
        ((*lines, "3", "oneWayFare"), "OUT_OF_RANGE"),
        ((*lines, "4", "mode"), "DOCUMENT_REQUIRED"),
        (("input", "documentIds", "0"), "INVALID"),
    }
    assert all(e["message"] for e in refused["userErrors"])
    assert refused["case"]["status"] == "UNREPORTED"
    assert await stored_counts(case.id) == before

    # the receipt is uploaded (POST /uploads); validateOnly shows the computed values, stores none
    receipt = await upload(http, s1, "RECEIPT")
    fixed = good_report(world)
    checked = await act(
        s1, SUBMIT, id=gid(case.id), version=case.version, validateOnly=True, **fixed
    )
    assert checked["userErrors"] == []
    assert checked["preview"] == {
        "billableMinutes": 120,
        "lineAmounts": [880],
        "transportAmount": 880,
        "perDiemAmount": 2200,
        "travelTotal": 3080,
        "honorarium": {"amount": 10560, "units": 4},
        "paymentState": "HELD",
        "holdReasons": ["FORM8_MISSING", "REPORT_NOT_ACCEPTED"],
        "withholding": 1078,
        "total": 12562,
    }
    assert await stored_counts(case.id) == before

    # the fixed report is submitted: 未報告 → 報告済, anomalies attached, draft gone
    submitted = await act(
        s1, SUBMIT, id=gid(case.id), version=case.version, documentIds=[receipt], **fixed
    )
    assert submitted["userErrors"] == []
    after = submitted["case"]
    assert after["status"] == "REPORTED"
    assert after["version"] == case.version + 2  # the derived 未報告 was written first
    assert after["report"]["reviewState"] == "SUBMITTED"
    assert after["report"]["anomalies"] == ["MISSING_CHECK_IN", "MISSING_CHECK_OUT"]
    assert after["report"]["anomalyDetails"][0]["label"] == "チェックインなし"
    assert after["report"]["travel"]["totalAmount"] == 3080
    assert after["report"]["travel"]["lines"][0]["amount"] == 880
    assert after["honorarium"] == {
        "billableMinutes": 120,
        "units": 4,
        "amount": 10560,
        "eligible": True,
        "ineligibleReason": None,
    }
    assert after["payment"]["state"] == "HELD"
    assert after["reportDraft"] is None
    assert after["isReportOverdue"] is False
    assert await Document.filter(case_id=case.id, kind=DocumentKind.RECEIPT).count() == 1
    first_submitted_at = after["report"]["submittedAt"]
    assert await event_kinds(case.id) == ["CASE_UNREPORTED", "CASE_REPORTED"]
    # the company reads the report, but neither money nor the secretariat's anomalies
    company_view = await read(world.company_c1_user, case.id)
    assert company_view["report"]["companyRequest"] == fixed["companyRequest"]
    assert company_view["report"]["anomalies"] == []
    assert company_view["honorarium"] is None and company_view["payment"] is None
    assert company_view["report"]["travel"] is None

    # the secretariat returns it: a comment is required; then 報告済 → 未報告 (RETURNED)
    version = after["version"]
    missing = await act(sec, RETURN, id=gid(case.id), version=version, comment=" ")
    assert codes(missing) == {(("input", "comment"), "REQUIRED")}
    returned = await act(
        sec, RETURN, id=gid(case.id), version=version, comment="支援内容をより具体的に"
    )
    assert returned["userErrors"] == []
    assert returned["case"]["status"] == "UNREPORTED"
    assert returned["report"]["reviewState"] == "RETURNED"
    assert returned["case"]["history"][-1]["comment"] == "支援内容をより具体的に"
    assert (await event_kinds(case.id))[-1] == "REPORT_RETURNED"

    # the specialist sees the returned report as its draft and resubmits it
    reopened = await read(s1, case.id)
    assert reopened["reportDraft"]["source"] == "RETURNED_REPORT"
    assert reopened["reportDraft"]["companyRequest"] == fixed["companyRequest"]
    assert reopened["reportDraft"]["travel"]["lines"][0]["amount"] == 880
    fixed["supportContent1"] = "展示会出展の準備、価格設定、販路開拓の手法を具体的に助言した"
    resubmitted = await act(
        s1, SUBMIT, id=gid(case.id), version=reopened["version"], documentIds=[], **fixed
    )
    assert resubmitted["userErrors"] == []
    assert resubmitted["case"]["status"] == "REPORTED"
    assert resubmitted["case"]["report"]["reviewState"] == "SUBMITTED"
    assert resubmitted["case"]["report"]["submittedAt"] == first_submitted_at

    # the secretariat corrects the fare of line 1 (original and correction kept) and accepts
    corrected = await act(
        sec,
        CORRECT,
        id=gid(case.id),
        position=1,
        line={"mode": "RAIL", "fromPlace": "自宅最寄駅", "toPlace": "東京駅", "roundTrip": True,
              "oneWayFare": 400},
        reason="運賃表による訂正",
    )  # fmt: skip
    assert corrected["userErrors"] == []
    assert (corrected["originalAmount"], corrected["correctedAmount"]) == (880, 800)
    line = corrected["case"]["report"]["travel"]["lines"][0]
    assert (line["oneWayFare"], line["amount"], line["effectiveAmount"]) == (440, 880, 800)
    assert line["corrections"] == [
        {
            "originalAmount": 880,
            "correctedAmount": 800,
            "reason": "運賃表による訂正",
            "correctedBy": "関東事務局 職員",
            "oneWayFare": 400,
        }
    ]
    assert corrected["case"]["report"]["travel"]["totalAmount"] == 3000
    accepted = await act(sec, ACCEPT, id=gid(case.id), version=resubmitted["case"]["version"])
    assert accepted["userErrors"] == []
    assert accepted["report"]["reviewState"] == "ACCEPTED"
    assert accepted["case"]["status"] == "REPORTED"
    assert accepted["case"]["payment"]["holdReasons"] == ["FORM8_MISSING"]

    # the platform evaluates: 報告済 → 完了; the company evaluates too (stays 完了)
    version = accepted["case"]["version"]
    scores = {"satisfaction": 5, "expertise": 4, "clarity": 4, "responsiveness": 5}
    evaluated = await act(
        world.platform_o1_staff,
        EVALUATE,
        id=gid(case.id),
        version=version,
        comment="具体的で役に立った",
        wouldRequestAgain=True,
        **scores,
    )
    assert evaluated["userErrors"] == []
    assert evaluated["case"]["status"] == "COMPLETED"
    assert evaluated["case"]["evaluated"] is True
    assert evaluated["evaluation"] == {
        "evaluatorKind": "PLATFORM",
        "satisfaction": 5,
        "comment": "具体的で役に立った",
        "wouldRequestAgain": True,
    }
    by_company = await act(
        world.company_c1_user,
        EVALUATE,
        id=gid(case.id),
        version=evaluated["case"]["version"],
        wouldRequestAgain=False,
        satisfaction=3,
        expertise=3,
        clarity=2,
        responsiveness=4,
    )
    assert by_company["userErrors"] == []
    assert by_company["case"]["status"] == "COMPLETED"
    assert await event_kinds(case.id) == [
        "CASE_UNREPORTED",
        "CASE_REPORTED",
        "REPORT_RETURNED",
        "CASE_REPORTED",
        "EXPENSE_CORRECTED",
        "REPORT_ACCEPTED",
        "CASE_COMPLETED",
        "CASE_EVALUATED",
    ]
    history = (await read(world.company_c1_user, case.id))["history"]
    correction = next(h for h in history if h["action"] == "EXPENSE_CORRECT")
    assert correction["comment"] == ""  # the reason and amounts are the secretariat's

    # 様式8 arrives by post: the payment becomes PAYABLE
    await make_document(case=case, kind=DocumentKind.FORM8, received_by_post=True, sha256="")
    payable = (await read(sec, case.id))["payment"]
    assert payable == {
        "state": "PAYABLE",
        "holdReasons": [],
        "ineligibleRule": None,
        "honorarium": 10560,
        "withholding": 1078,
        "travel": 3000,
        "total": 12482,
        "paidOn": None,
        "batch": None,
    }

    # the secretariat batches June for 関東 and marks it paid
    batch = await act(sec, BATCH, month="2025-06")
    assert batch["userErrors"] == []
    assert (batch["caseCount"], batch["total"]) == (1, 12482)
    created = batch["batch"]
    assert created["lines"] == [
        {
            "reservationNumber": (await DispatchCase.get(id=case.id)).reservation_number,
            "specialistName": "山田太郎",
            "honorarium": 10560,
            "withholding": 1078,
            "travel": 3000,
            "total": 12482,
        }
    ]
    again = await act(sec, BATCH, month="2025-06")
    assert codes(again) == {(("input", "month"), "DUPLICATE")}
    paid = await act(sec, MARK_PAID, id=created["id"], paidOn="2025-06-12")
    assert paid["userErrors"] == []
    assert paid["batch"] == {"id": created["id"], "paid": True, "paidOn": "2025-06-12",
                             "caseCount": 1}  # fmt: skip
    final = await read(s1, case.id)
    assert final["payment"]["state"] == "PAID"
    assert final["payment"]["paidOn"] == "2025-06-12"
    assert final["payment"]["batch"]["paid"] is True
    assert await DomainEvent.filter(kind="PAYMENT_BATCH_PAID").count() == 1
    twice = await act(sec, MARK_PAID, id=created["id"], paidOn="2025-06-12")
    assert codes(twice) == {(("input", "id"), "TRANSITION_NOT_ALLOWED")}

    # the CSV: UTF-8 with BOM, CRLF, one line per case; bank data for the secretariat only
    url = created["csvUrl"]
    full = await http.get(url, headers=bearer(sec))
    assert full.status_code == 200
    assert full.headers["content-type"].startswith("text/csv")
    assert "attachment" in full.headers["content-disposition"]
    header, row = parse_csv(full.content)
    assert header[:2] == ["予約番号", "専門家"] and "口座番号" in header
    assert header[-4:] == ["謝金", "源泉徴収税額", "旅費", "支払額"]
    assert row[header.index("口座番号")] == world.s1_account_number
    assert row[-4:] == ["10560", "1078", "3000", "12482"]
    platform = await http.get(url, headers=bearer(world.platform_o1_staff))
    assert platform.status_code == 200
    header, row = parse_csv(platform.content)
    assert "口座番号" not in header and "銀行コード" not in header
    assert world.s1_account_number not in platform.content.decode("utf-8")
    assert row[-1] == "12482"
    for outsider in (world.company_c1_user, world.secretariat_kinki, world.platform_o2_staff):
        assert (await http.get(url, headers=bearer(outsider))).status_code == 404
    assert (await http.get(url)).status_code == 401
    own = await http.get(url, headers=bearer(s1))
    assert own.status_code == 200 and "口座番号" not in own.content.decode("utf-8")

    # the batch is a node and listed, within the same scope
    batches = "{ paymentBatches(first: 10) { totalCount nodes { id month } } }"
    node = "query ($id: ID!) { node(id: $id) { ... on PaymentBatch { month caseCount } } }"
    assert (await gql(sec, batches))["paymentBatches"]["nodes"] == [
        {"id": created["id"], "month": "2025-06"}
    ]
    assert (await gql(world.platform_o1_staff, batches))["paymentBatches"]["totalCount"] == 1
    for outsider in (world.company_c1_user, world.secretariat_kinki):
        assert (await gql(outsider, batches))["paymentBatches"]["totalCount"] == 0
        assert (await gql(outsider, node, id=created["id"]))["node"] is None
    assert (await gql(sec, node, id=created["id"]))["node"] == {"month": "2025-06", "caseCount": 1}

    # the specialist's profile: summary and comments
    profile = (await gql(s1, SPECIALIST, id=gid(world.specialist_s1, "Specialist")))["node"]
    # with the world's earlier evaluation (5, 4, 4, 5): half up to one decimal place
    assert profile["evaluationSummary"] == {
        "count": 3,
        "satisfaction": 4.3,
        "expertise": 3.7,
        "clarity": 3.3,
        "responsiveness": 4.7,
        "overall": 4.0,
    }
    assert profile["evaluations"]["totalCount"] == 3
    assert "具体的で役に立った" in [e["comment"] for e in profile["evaluations"]["nodes"]]
    company_profile = await gql(
        world.company_c1_user, SPECIALIST, id=gid(world.specialist_s1, "Specialist")
    )
    own = company_profile["node"]["evaluations"]["nodes"]
    assert [e["satisfaction"] for e in own] == [3]  # a company sees only what it wrote


# ---------------------------------------------------------------- refusals, nothing stored


async def _reported_case(world: World) -> DispatchCase:
    case = await make_dispatched_case(world, START)
    payload = await act(
        world.specialist_s1_user, SUBMIT, id=gid(case.id), version=case.version,
        **good_report(world),
    )  # fmt: skip
    assert payload["userErrors"] == []
    return await DispatchCase.get(id=case.id)


BAD_REPORTS: list[tuple[str, dict[str, Any], set[tuple[tuple[str, ...], str]]]] = [
    (
        "0-minute dispatch",
        {"endAt": START.isoformat()},
        {(("input", "endAt"), "END_NOT_AFTER_START")},
    ),
    (
        "negative dispatch",
        {"endAt": (START - timedelta(hours=1)).isoformat()},
        {(("input", "endAt"), "END_NOT_AFTER_START")},
    ),
    (
        "non-billable equal to the duration",
        {"nonBillableMinutes": 120, "nonBillableRemark": "昼食"},
        {(("input", "nonBillableMinutes"), "NON_BILLABLE_EXCEEDS_DURATION")},
    ),
    (
        "negative non-billable minutes",
        {"nonBillableMinutes": -5},
        {(("input", "nonBillableMinutes"), "OUT_OF_RANGE")},
    ),
    (
        "end in the future",
        {
            "endAt": jst(6, 12, 11).isoformat(),
            "startAt": jst(6, 12, 9).isoformat(),
            "dispatchDate": "2025-06-12",
            "travel": None,
        },
        {(("input", "endAt"), "IN_FUTURE")},
    ),
    (
        "start not on the dispatch date",
        {"dispatchDate": "2025-06-10", "travel": None},
        {(("input", "startAt"), "INVALID")},
    ),
    (
        "instant without an offset",
        {"startAt": "2025-06-11T10:00:00"},
        {(("input", "startAt"), "INVALID")},
    ),
    (
        "negative fare",
        {
            "travel": {
                "place": "P",
                "address": "A",
                "purpose": "X",
                "lines": [
                    {
                        "mode": "RAIL",
                        "fromPlace": "a",
                        "toPlace": "b",
                        "roundTrip": True,
                        "oneWayFare": -1,
                    }
                ],
            }
        },
        {(("input", "travel", "lines", "0", "oneWayFare"), "OUT_OF_RANGE")},
    ),
    (
        "per-diem day outside the trip",
        {"travel": {"place": "P", "address": "A", "purpose": "X", "perDiemDays": ["2025-06-10"]}},
        {(("input", "travel", "perDiemDays", "0"), "DATE_OUTSIDE_TRIP")},
    ),
    (
        "lodging without a trip",
        {"travel": {"place": "P", "address": "A", "purpose": "X", "lodgingNights": ["2025-06-11"]}},
        {(("input", "travel", "tripStart"), "REQUIRED")},
    ),
    (
        "unknown issue category",
        {"issueCategoryId": to_global_id("IssueCategory", 999999)},
        {(("input", "issueCategoryId"), "INVALID")},
    ),
    (
        "support text too long",
        {"supportContent2": "あ" * 2001},
        {(("input", "supportContent2"), "TOO_LONG")},
    ),
]


@pytest.mark.parametrize(
    "changes,expected", [(c, e) for _, c, e in BAD_REPORTS], ids=[n for n, _, _ in BAD_REPORTS]
)
async def test_each_bad_report_is_refused_with_its_field_and_nothing_is_stored(
    db: str, changes: dict[str, Any], expected: set[tuple[tuple[str, ...], str]]
) -> None:
    # given
    world = await build_world()
    case = await make_dispatched_case(world, START)
    before = await stored_counts(case.id)
    # when
    payload = await act(
        world.specialist_s1_user,
        SUBMIT,
        id=gid(case.id),
        version=case.version,
        **good_report(world, **changes),
    )
    # then
    assert codes(payload) == expected
    assert await stored_counts(case.id) == before
    assert (await DispatchCase.get(id=case.id)).version == case.version


async def test_a_non_integer_amount_is_refused_before_anything_runs(db: str) -> None:
    # given
    world = await build_world()
    case = await make_dispatched_case(world, START)
    before = await stored_counts(case.id)
    report = good_report(world)
    report["travel"]["lines"][0]["oneWayFare"] = 440.5
    context = Context(
        request=None, response=None, settings=current_settings(), principal=world.specialist_s1_user
    )
    context.loaders.now = NOW
    # when
    result = await SCHEMA.execute(
        SUBMIT,
        variable_values={"input": {"id": gid(case.id), "version": case.version, **report}},
        context_value=context,
    )
    # then the GraphQL Int refuses it as a request error naming the field, nothing stored
    assert result.errors is not None
    assert "oneWayFare" in result.errors[0].message
    assert await stored_counts(case.id) == before


BAD_SCORES = [
    ("score 0", {"satisfaction": 0}, (("input", "satisfaction"), "OUT_OF_RANGE")),
    ("score 6", {"clarity": 6}, (("input", "clarity"), "OUT_OF_RANGE")),
    ("score missing", {"expertise": None}, (("input", "expertise"), "REQUIRED")),
    ("answer missing", {"wouldRequestAgain": None}, (("input", "wouldRequestAgain"), "REQUIRED")),
    ("comment too long", {"comment": "あ" * 2001}, (("input", "comment"), "TOO_LONG")),
]


@pytest.mark.parametrize(
    "changes,expected", [(c, e) for _, c, e in BAD_SCORES], ids=[n for n, _, _ in BAD_SCORES]
)
async def test_bad_evaluations_are_refused_and_nothing_is_stored(
    db: str, changes: dict[str, Any], expected: tuple[tuple[str, ...], str]
) -> None:
    # given a reported case
    world = await build_world()
    case = await _reported_case(world)
    before = await stored_counts(case.id)
    scores: dict[str, Any] = {
        "satisfaction": 4, "expertise": 4, "clarity": 4, "responsiveness": 4,
        "wouldRequestAgain": True, **changes,
    }  # fmt: skip
    # when
    payload = await act(
        world.company_c1_user, EVALUATE, id=gid(case.id), version=case.version, **scores
    )
    # then
    assert codes(payload) == {expected}
    assert payload["case"]["status"] == "REPORTED"
    assert await stored_counts(case.id) == before


async def test_a_second_evaluation_by_the_same_side_is_a_duplicate(db: str) -> None:
    # given a case the company has evaluated
    world = await build_world()
    case = await _reported_case(world)
    scores = {"satisfaction": 4, "expertise": 4, "clarity": 4, "responsiveness": 4,
              "wouldRequestAgain": True}  # fmt: skip
    first = await act(
        world.company_c1_user, EVALUATE, id=gid(case.id), version=case.version, **scores
    )
    assert first["userErrors"] == []
    before = await stored_counts(case.id)
    # when the company evaluates again
    second = await act(
        world.company_c1_user,
        EVALUATE,
        id=gid(case.id),
        version=first["case"]["version"],
        **scores,
    )
    # then
    assert codes(second) == {(("input", "id"), "DUPLICATE")}
    assert await stored_counts(case.id) == before


async def test_an_evaluation_before_the_report_is_refused(db: str) -> None:
    # given a dispatch that ended but has no report yet
    world = await build_world()
    case = await make_dispatched_case(world, START)
    scores = {"satisfaction": 4, "expertise": 4, "clarity": 4, "responsiveness": 4,
              "wouldRequestAgain": True}  # fmt: skip
    before = await stored_counts(case.id)
    # when
    payload = await act(
        world.platform_o1_staff, EVALUATE, id=gid(case.id), version=case.version, **scores
    )
    # then
    assert codes(payload) == {(("input", "id"), "TRANSITION_NOT_ALLOWED")}
    assert "実績報告の提出後" in payload["userErrors"][0]["message"]
    assert await stored_counts(case.id) == before


async def test_the_specialist_and_the_secretariat_cannot_evaluate(db: str) -> None:
    # given
    world = await build_world()
    case = await _reported_case(world)
    audits = await AuditEvent.filter(action="authz_fail").count()
    scores = {"satisfaction": 4, "expertise": 4, "clarity": 4, "responsiveness": 4,
              "wouldRequestAgain": True}  # fmt: skip
    # when
    results = [
        await act(principal, EVALUATE, id=gid(case.id), version=case.version, **scores)
        for principal in (world.specialist_s1_user, world.secretariat_kanto)
    ]
    # then
    assert [codes(r) for r in results] == [{(("input",), "FORBIDDEN")}] * 2
    assert await AuditEvent.filter(action="authz_fail").count() == audits + 2
    assert await Evaluation.filter(case_id=case.id).count() == 0


async def test_only_the_secretariat_reviews_corrects_and_batches(db: str) -> None:
    # given a reported case
    world = await build_world()
    case = await _reported_case(world)
    before = await stored_counts(case.id)
    line = {"mode": "RAIL", "fromPlace": "a", "toPlace": "b", "roundTrip": True, "oneWayFare": 1}
    # when the specialist, the company and platform staff try the secretariat's mutations
    attempts = []
    for principal in (world.specialist_s1_user, world.company_c1_user, world.platform_o1_staff):
        attempts += [
            await act(principal, ACCEPT, id=gid(case.id), version=case.version),
            await act(principal, RETURN, id=gid(case.id), version=case.version, comment="x"),
            await act(principal, CORRECT, id=gid(case.id), position=1, line=line, reason="x"),
            await act(principal, BATCH, month="2025-06"),
            await act(principal, MARK_PAID, id=gid(1, "PaymentBatch"), paidOn="2025-06-12"),
        ]
    # then every attempt is FORBIDDEN and nothing but the authz_fail audit rows is written
    assert all(codes(a) == {(("input",), "FORBIDDEN")} for a in attempts)
    assert await stored_counts(case.id) == before
    assert await AuditEvent.filter(action="authz_fail").count() >= len(attempts)


async def test_another_office_sees_the_case_as_not_found(db: str) -> None:
    # given a reported case of 関東
    world = await build_world()
    case = await _reported_case(world)
    # when 近畿 tries to accept it and to batch 関東
    accepted = await act(world.secretariat_kinki, ACCEPT, id=gid(case.id), version=case.version)
    batch = await act(
        world.secretariat_kinki,
        BATCH,
        month="2025-06",
        officeId=to_global_id("RegionalOffice", world.office_kanto),
    )
    # then
    assert codes(accepted) == {(("input", "id"), "NOT_FOUND")}
    assert codes(batch) == {(("input", "officeId"), "NOT_FOUND")}


async def test_expense_corrections_need_a_reason_and_a_valid_line(db: str) -> None:
    # given a reported case with one rail line
    world = await build_world()
    case = await _reported_case(world)
    before = await stored_counts(case.id)
    sec = world.secretariat_kanto
    good = {"mode": "RAIL", "fromPlace": "自宅最寄駅", "toPlace": "東京駅", "roundTrip": True,
            "oneWayFare": 400}  # fmt: skip
    # when
    no_reason = await act(sec, CORRECT, id=gid(case.id), position=1, line=good, reason="")
    bad_line = await act(
        sec, CORRECT, id=gid(case.id), position=1, line={**good, "oneWayFare": -1}, reason="r"
    )
    no_line = await act(sec, CORRECT, id=gid(case.id), position=2, line=good, reason="r")
    same = await act(
        sec, CORRECT, id=gid(case.id), position=1, line={**good, "oneWayFare": 440}, reason="r"
    )
    # then
    assert codes(no_reason) == {(("input", "reason"), "REQUIRED")}
    assert codes(bad_line) == {(("input", "line", "oneWayFare"), "OUT_OF_RANGE")}
    assert codes(no_line) == {(("input", "position"), "NOT_FOUND")}
    assert codes(same) == {(("input", "line"), "INVALID")}
    assert await stored_counts(case.id) == before


async def test_a_report_cannot_be_submitted_twice_or_with_a_stale_version(db: str) -> None:
    # given a reported case
    world = await build_world()
    case = await _reported_case(world)
    # when
    stale = await act(
        world.specialist_s1_user, SUBMIT, id=gid(case.id), version=case.version - 1,
        **good_report(world),
    )  # fmt: skip
    again = await act(
        world.specialist_s1_user, SUBMIT, id=gid(case.id), version=case.version,
        **good_report(world),
    )  # fmt: skip
    draft = await act(world.specialist_s1_user, SAVE_DRAFT, id=gid(case.id), companyRequest="x")
    # then
    assert codes(stale) == {(("input", "version"), "STALE_VERSION")}
    assert codes(again) == {(("input", "id"), "TRANSITION_NOT_ALLOWED")}
    assert codes(draft) == {(("input", "id"), "TRANSITION_NOT_ALLOWED")}


async def test_a_batch_needs_payable_cases_and_a_valid_month(db: str) -> None:
    # given a case reported but not accepted
    world = await build_world()
    await _reported_case(world)
    sec = world.secretariat_kanto
    # when
    empty = await act(sec, BATCH, month="2025-06")
    malformed = await act(sec, BATCH, month="2025/06")
    future = await act(sec, BATCH, month="2025-07")
    national = await act(world.secretariat_national, BATCH, month="2025-06")
    # then
    assert codes(empty) == {(("input", "month"), "BATCH_EMPTY")}
    assert codes(malformed) == {(("input", "month"), "INVALID")}
    assert codes(future) == {(("input", "month"), "INVALID")}
    assert codes(national) == {(("input", "officeId"), "REQUIRED")}
    assert await PaymentBatch.all().count() == 0


async def test_a_late_report_is_overdue_and_stays_marked_late(db: str) -> None:
    # given a dispatch on Wednesday 11 June: due at the end of Wednesday 18 June
    world = await build_world()
    case = await make_dispatched_case(world, START)
    late = jst(6, 19, 9)
    # when
    on_time = await read(world.specialist_s1_user, case.id, now=jst(6, 18, 23))
    overdue = await read(world.specialist_s1_user, case.id, now=late)
    payload = await act(
        world.specialist_s1_user, SUBMIT, now=late, id=gid(case.id), version=case.version,
        **good_report(world),
    )  # fmt: skip
    # then
    assert on_time["isReportOverdue"] is False
    assert overdue["isReportOverdue"] is True
    assert payload["userErrors"] == []
    assert payload["case"]["isReportOverdue"] is True


async def test_documents_by_post_lets_an_air_trip_be_submitted_and_holds_the_payment(
    db: str,
) -> None:
    # given a dispatch reached by air, the stubs to be sent by post
    world = await build_world()
    await make_commission(world.specialist_s1, 2025, active=True)
    case = await make_dispatched_case(world, START)
    air = {"place": "P", "address": "A", "purpose": "X",
           "lines": [{"mode": "AIR", "fromPlace": "新千歳", "toPlace": "羽田", "roundTrip": True,
                      "oneWayFare": 20000}]}  # fmt: skip
    # when
    payload = await act(
        world.specialist_s1_user, SUBMIT, id=gid(case.id), version=case.version,
        documentsByPost=True, **good_report(world, travel=air),
    )  # fmt: skip
    # then
    assert payload["userErrors"] == []
    assert payload["preview"]["lineAmounts"] == [40000]
    assert payload["case"]["payment"]["holdReasons"] == [
        "FORM8_MISSING",
        "REPORT_NOT_ACCEPTED",
        "AIR_DOCUMENTS_MISSING",
    ]
    assert date.fromisoformat(payload["case"]["reportDueAt"][:10]) == date(2025, 6, 18)
