"""Honoraria and payment states on read (issue 4 items 1, 3, 5, 6): the daily cap shared across a
specialist's dispatches of the day, the ineligibility rules, who sees money and drafts, returns
of a completed case, anomalies on the report, and a query-count pin on a 50-case list.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.accounts import UserAccount
from models.companies import Company
from models.geo import Prefecture
from models.masters import IssueCategory, Qualification
from models.organisations import SupportOrganization
from models.payments import Payment
from models.rules.case_status import CaseStatus
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import CheckKind, PaymentState, ReviewState
from models.rules.organisations import OrganizationKind
from models.specialists import SpecialistAffiliation
from schema.relay import to_global_id
from tests.factories import (
    BASE,
    World,
    build_world,
    make_case,
    make_check_event,
    make_commission,
    make_company,
    make_dispatched_case,
    make_document,
    make_payment,
    make_report,
    make_specialist,
    make_travel_claim,
    partner_principal,
)
from tests.schema.test_report_flow import (
    ACCEPT,
    EVALUATE,
    RETURN,
    SUBMIT,
    act,
    codes,
    gid,
    good_report,
    gql,
    read,
)
from tests.statements import counting_statements


def jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TOKYO)


NOW = jst(6, 12, 10)
MONEY = """
query ($id: ID!) {
  node(id: $id) {
    ... on DispatchCase {
      status
      honorarium { billableMinutes units amount eligible ineligibleReason }
      payment { state holdReasons ineligibleRule honorarium withholding travel total }
      reportDraft { source }
    }
  }
}"""


async def money(principal: Any, case_id: int) -> Any:
    return (await gql(principal, MONEY, now=NOW, id=gid(case_id)))["node"]


async def submit(world: World, case_id: int, version: int, start: datetime, hours: float) -> Any:
    end = start + timedelta(hours=hours)
    payload = await act(
        world.specialist_s1_user,
        SUBMIT,
        now=NOW,
        id=gid(case_id),
        version=version,
        **good_report(
            world,
            dispatchDate=start.date().isoformat(),
            startAt=start.isoformat(),
            endAt=end.isoformat(),
            travel=None,
        ),
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def test_two_dispatches_of_a_day_share_the_daily_cap_in_start_order(db: str) -> None:
    # given two dispatches of S1 on 11 June: 10:00–12:00 and 13:00–19:00 (reported in reverse)
    world = await build_world()
    morning = await make_dispatched_case(world, jst(6, 11, 10), 2)
    afternoon = await make_dispatched_case(world, jst(6, 11, 13), 6)
    await submit(world, afternoon.id, afternoon.version, jst(6, 11, 13), 6)
    alone = await money(world.specialist_s1_user, afternoon.id)
    await submit(world, morning.id, morning.version, jst(6, 11, 10), 2)
    # when
    first = await money(world.specialist_s1_user, morning.id)
    second = await money(world.secretariat_kanto, afternoon.id)
    # then the earlier dispatch is paid first, the later one gets what remains of 31,680
    assert alone["honorarium"]["amount"] == 31680
    assert first["honorarium"] == {
        "billableMinutes": 120,
        "units": 4,
        "amount": 10560,
        "eligible": True,
        "ineligibleReason": None,
    }
    assert second["honorarium"]["units"] == 12
    assert second["honorarium"]["amount"] == 31680 - 10560
    assert second["payment"]["honorarium"] == 21120
    # and the stored payment rows (search by payment state) follow
    stored = await Payment.get(case_id=afternoon.id)
    assert (stored.state, stored.honorarium) == (PaymentState.HELD, 21120)


async def test_a_paid_dispatch_keeps_its_frozen_amount_and_uses_the_cap_first(db: str) -> None:
    # given a later dispatch that was already paid 31,680 (frozen), and an earlier one that day
    world = await build_world()
    paid = await make_dispatched_case(world, jst(6, 11, 13), 7)
    await submit(world, paid.id, paid.version, jst(6, 11, 13), 7)
    await Payment.filter(case_id=paid.id).update(state=PaymentState.PAID, honorarium=31680)
    early = await make_dispatched_case(world, jst(6, 11, 9), 2)
    await submit(world, early.id, early.version, jst(6, 11, 9), 2)
    # when
    frozen = await money(world.secretariat_kanto, paid.id)
    later = await money(world.secretariat_kanto, early.id)
    # then recomputation never changes a PAID amount; nothing of the cap remains
    assert frozen["payment"]["state"] == "PAID"
    assert frozen["honorarium"]["amount"] == 31680
    assert later["honorarium"]["amount"] == 0
    assert later["payment"]["travel"] == 0  # no honorarium ⇒ no travel


async def _filed_by(world: World, kind: OrganizationKind, *, member: bool, salary: bool) -> Any:
    prefecture = await Prefecture.get(id=world.pref_tokyo)
    organization = await SupportOrganization.create(
        name=f"支援機関 {kind.value}",
        kind=kind,
        prefecture=prefecture,
        platform_id=world.platform_r1,
    )
    await SpecialistAffiliation.create(
        specialist_id=world.specialist_s1,
        organization=organization,
        is_member=member,
        pays_salary=salary,
    )
    return organization


async def test_the_ineligibility_rules_pay_nothing_and_record_the_rule(db: str) -> None:
    # given S1 is a member of a 金融機関 and of a 商工会議所 (exempt), and paid by a よろず拠点
    world = await build_world()
    await make_commission(world.specialist_s1, 2025, active=True)
    bank = await _filed_by(world, OrganizationKind.FINANCIAL_INSTITUTION, member=True, salary=False)
    chamber = await _filed_by(world, OrganizationKind.CHAMBER, member=True, salary=False)
    employer = await _filed_by(world, OrganizationKind.YOROZU, member=False, salary=True)
    cases = {}
    for name, organization, extra in (
        ("member", bank, {}),
        ("exempt", chamber, {}),
        ("salary", employer, {}),
        ("self", chamber, {"self_requested": True}),
    ):
        hour = 9 + 2 * len(cases)
        case = await make_dispatched_case(
            world, jst(6, 11, hour), 1, filing_organization=organization, **extra
        )
        await submit(world, case.id, case.version, jst(6, 11, hour), 1)
        cases[name] = case.id
    # when
    results = {name: await money(world.secretariat_kanto, pk) for name, pk in cases.items()}
    # then each rule is recorded, the exempt membership is paid
    assert results["exempt"]["honorarium"]["eligible"] is True
    assert results["exempt"]["honorarium"]["amount"] == 5280
    for name, rule in (
        ("member", "MEMBER_OF_FILER"),
        ("salary", "SALARY_FROM_FILER"),
        ("self", "SELF_REQUESTED"),
    ):
        result = results[name]
        assert result["honorarium"]["eligible"] is False
        assert result["honorarium"]["ineligibleReason"] == rule
        assert result["honorarium"]["units"] == 2
        assert result["honorarium"]["amount"] == 0
        assert result["payment"]["state"] == "INELIGIBLE"
        assert result["payment"]["ineligibleRule"] == rule
        assert (result["payment"]["travel"], result["payment"]["total"]) == (0, 0)


async def test_a_public_subsidy_makes_every_dispatch_ineligible(db: str) -> None:
    # given
    world = await build_world()
    prefecture = await Prefecture.get(id=world.pref_tokyo)
    subsidised = await make_specialist(prefecture, receives_public_subsidy=True)
    case = await make_dispatched_case(world, jst(6, 11, 10), specialist_id=subsidised.id)
    # when
    result = await money(world.secretariat_kanto, case.id)
    # then (before the report: no honorarium yet, but the payment is INELIGIBLE already)
    assert result["honorarium"] is None
    assert result["payment"]["state"] == "INELIGIBLE"
    assert result["payment"]["ineligibleRule"] == "PUBLIC_SUBSIDY"


async def test_money_and_drafts_are_shown_only_to_those_entitled(db: str) -> None:
    # given a reported dispatch of S1
    world = await build_world()
    case = await make_dispatched_case(world, jst(6, 11, 10))
    draft_case = await make_dispatched_case(world, jst(6, 10, 10))
    await submit(world, case.id, case.version, jst(6, 11, 10), 2)
    reader = await partner_principal(
        await SupportOrganization.get(id=world.org_o1), "read_cases read_reports"
    )
    payer = await partner_principal(
        await SupportOrganization.get(id=world.org_o1), "read_cases read_payments"
    )
    # when
    views = {
        name: await money(principal, case.id)
        for name, principal in (
            ("specialist", world.specialist_s1_user),
            ("company", world.company_c1_user),
            ("platform", world.platform_o1_staff),
            ("secretariat", world.secretariat_kanto),
            ("partner without read_payments", reader),
            ("partner with read_payments", payer),
        )
    }
    drafts = {
        name: (await money(principal, draft_case.id))["reportDraft"]
        for name, principal in (
            ("specialist", world.specialist_s1_user),
            ("company", world.company_c1_user),
            ("platform", world.platform_o1_staff),
            ("secretariat", world.secretariat_kanto),
        )
    }
    # then
    for name in ("specialist", "platform", "secretariat", "partner with read_payments"):
        assert views[name]["honorarium"]["amount"] == 10560, name
        assert views[name]["payment"]["total"] == 10560 - 1078, name
    for name in ("company", "partner without read_payments"):
        assert views[name]["honorarium"] is None, name
        assert views[name]["payment"] is None, name
    assert drafts == {
        "specialist": {"source": "SCHEDULE"},
        "company": None,
        "platform": None,
        "secretariat": None,
    }


async def test_a_completed_case_keeps_its_status_through_return_and_resubmission(
    db: str,
) -> None:
    # given a reported case the company evaluated (完了)
    world = await build_world()
    case = await make_dispatched_case(world, jst(6, 11, 10))
    reported = await submit(world, case.id, case.version, jst(6, 11, 10), 2)
    evaluated = await act(
        world.company_c1_user,
        EVALUATE,
        now=NOW,
        id=gid(case.id),
        version=reported["case"]["version"],
        satisfaction=4,
        expertise=4,
        clarity=4,
        responsiveness=4,
        wouldRequestAgain=True,
    )
    assert evaluated["case"]["status"] == "COMPLETED"
    # when the secretariat returns it and the specialist resubmits
    returned = await act(
        world.secretariat_kanto,
        RETURN,
        now=NOW,
        id=gid(case.id),
        version=evaluated["case"]["version"],
        comment="出席者を修正してください",
    )
    draft = (await read(world.specialist_s1_user, case.id, now=NOW))["reportDraft"]
    again = await submit(world, case.id, returned["case"]["version"], jst(6, 11, 10), 2)
    accepted = await act(
        world.secretariat_kanto, ACCEPT, now=NOW, id=gid(case.id), version=again["case"]["version"]
    )
    # then the status stays 完了 while the review state goes RETURNED → SUBMITTED → ACCEPTED
    assert returned["case"]["status"] == "COMPLETED"
    assert returned["report"]["reviewState"] == "RETURNED"
    assert draft["source"] == "RETURNED_REPORT"
    assert again["case"]["status"] == "COMPLETED"
    assert again["case"]["report"]["reviewState"] == "SUBMITTED"
    assert accepted["report"]["reviewState"] == "ACCEPTED"
    assert accepted["case"]["status"] == "COMPLETED"


async def test_check_in_out_anomalies_are_attached_to_the_report(db: str) -> None:
    # given a check-in 40 minutes late and far from the site, and a check-out on time
    world = await build_world()
    case = await make_dispatched_case(world, jst(6, 11, 10))
    account = await UserAccount.get(id=world.specialist_s1_user.account_id)
    await make_check_event(case, account, CheckKind.CHECK_IN, jst(6, 11, 10, 40),
                           flags=["FAR_FROM_SITE", "OFF_SCHEDULE"])  # fmt: skip
    await make_check_event(case, account, CheckKind.CHECK_OUT, jst(6, 11, 12, 10))
    # when the report says 10:00–12:00
    await submit(world, case.id, case.version, jst(6, 11, 10), 2)
    query = """query ($id: ID!) { node(id: $id) { ... on DispatchCase {
      report { anomalies anomalyDetails { kind minutesOff checkKind label } } } } }"""
    secretariat = (await gql(world.secretariat_kanto, query, now=NOW, id=gid(case.id)))["node"]
    company = (await gql(world.company_c1_user, query, now=NOW, id=gid(case.id)))["node"]
    # then
    details = secretariat["report"]["anomalyDetails"]
    assert secretariat["report"]["anomalies"] == ["START_DIFFERS", "FAR_FROM_SITE", "OFF_SCHEDULE"]
    assert details[0] == {
        "kind": "START_DIFFERS",
        "minutesOff": -40,
        "checkKind": None,
        "label": "報告の開始時刻がチェックイン時刻と異なる",
    }
    assert details[1]["checkKind"] == "CHECK_IN"
    assert company["report"]["anomalies"] == []


async def test_search_by_payment_state_sees_the_stored_rows_after_submission(db: str) -> None:
    # given
    world = await build_world()
    case = await make_dispatched_case(world, jst(6, 11, 10))
    await submit(world, case.id, case.version, jst(6, 11, 10), 2)
    query = """{ cases(first: 50, filter: {paymentStates: [HELD]}) { nodes { id } } }"""
    # when
    data = await gql(world.secretariat_kanto, query, now=NOW)
    # then
    assert gid(case.id) in [n["id"] for n in data["cases"]["nodes"]]


# ---------------------------------------------------------------- query count


LIST = """
query ($first: Int!) {
  cases(first: $first, filter: {fiscalYear: 2025}, orderBy: {field: RECEIVED_AT, direction: DESC}) {
    nodes { id status MONEY }
  }
}"""
WITH_MONEY = LIST.replace(
    "MONEY",
    "honorarium { billableMinutes units amount eligible ineligibleReason } "
    "payment { state holdReasons ineligibleRule honorarium travel total }",
)
WITHOUT_MONEY = LIST.replace("MONEY", "")
#: money facts (1: cases with reports, travel, stored payments, eligibility joined) + affiliations
#: (1) + fiscal settings (1) + commissions (1) + documents (1) + air lines (1).
MONEY_STATEMENTS = 6


async def add_reported_cases(world: World, count: int) -> None:
    """``count`` reported dispatches of several specialists, some on the same day."""
    organization = await SupportOrganization.get(id=world.org_o1)
    filer = await UserAccount.get(id=world.platform_o1_staff.account_id)
    prefecture = await Prefecture.get(id=world.pref_tokyo)
    company = await Company.get(id=world.company_c1)
    category = await IssueCategory.get(id=world.issue_category)
    qualification = await Qualification.get(id=world.qualification)
    specialists = [await make_specialist(prefecture) for _ in range(5)]
    for specialist in specialists:
        await make_commission(specialist.id, 2025, active=True)
    other = await make_company(prefecture, registered_by=organization)
    for n in range(count):
        start = BASE + timedelta(days=10 + n // 10, hours=2 * (n % 3))
        case = await make_case(
            company if n % 2 else other,
            specialists[n % 5],
            filer,
            organization,
            status=CaseStatus.REPORTED,
            dispatch_start=start,
            dispatch_end=start + timedelta(hours=2),
            dispatch_date=start.date(),
            received_at=BASE + timedelta(days=10, minutes=n),
        )
        report = await make_report(case, category, qualification, review_state=ReviewState.ACCEPTED)
        await make_travel_claim(report)
        if n % 4 == 0:
            await make_document(case=case, kind="FORM8", received_by_post=True, sha256="")
        if n % 7 == 0:
            await make_payment(case)


async def test_honorarium_and_payment_on_a_50_case_list_cost_a_fixed_number_of_statements(
    db: str,
) -> None:
    # given 60 reported cases
    world = await build_world()
    await add_reported_cases(world, 60)
    # when
    with counting_statements() as plain:
        await gql(world.secretariat_national, WITHOUT_MONEY, first=50)
    with counting_statements() as ten:
        small = await gql(world.secretariat_national, WITH_MONEY, first=10)
    with counting_statements() as fifty:
        large = await gql(world.secretariat_national, WITH_MONEY, first=50)
    # then
    nodes = large["cases"]["nodes"]
    assert len(nodes) == 50 and len(small["cases"]["nodes"]) == 10
    assert all(n["honorarium"] is not None and n["payment"] is not None for n in nodes)
    assert {n["payment"]["state"] for n in nodes} >= {"PAYABLE", "HELD"}
    assert len(ten) == len(fifty) == len(plain) + MONEY_STATEMENTS, "\n".join(fifty)


async def test_an_unknown_batch_or_office_id_is_refused(db: str) -> None:
    # given
    world = await build_world()
    # when
    bad_office = await act(
        world.secretariat_national,
        """mutation ($input: PaymentBatchCreateInput!) {
             paymentBatchCreate(input: $input) { userErrors { field code message } } }""",
        now=NOW,
        month="2025-06",
        officeId=to_global_id("DispatchCase", 1),
    )
    bad_batch = await act(
        world.secretariat_national,
        """mutation ($input: PaymentBatchMarkPaidInput!) {
             paymentBatchMarkPaid(input: $input) { userErrors { field code message } } }""",
        now=NOW,
        id=to_global_id("PaymentBatch", 999),
        paidOn="2025-06-12",
    )
    # then
    assert codes(bad_office) == {(("input", "officeId"), "INVALID")}
    assert codes(bad_batch) == {(("input", "id"), "NOT_FOUND")}
