"""The report form (domain.md §5, seed 000 pp.18–25) — every rule, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from models.rules.errors import ErrorCode
from models.rules.field_checks import prefixed
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import TransportMode
from models.rules.report import MasterChoice, ReportInput, check_report
from models.rules.travel import TravelClaimInput, TravelLineInput, TravelRates

RATES = TravelRates()
DAY = date(2026, 6, 2)
START = datetime(2026, 6, 2, 10, 0, tzinfo=TOKYO)
END = datetime(2026, 6, 2, 12, 0, tzinfo=TOKYO)
NOW = datetime(2026, 6, 3, 9, 0, tzinfo=TOKYO)
PLAIN = MasterChoice()
OTHER = MasterChoice(requires_text=True)

VALID = ReportInput(
    dispatch_date=DAY,
    start_at=START,
    end_at=END,
    non_billable_minutes=0,
    issue_category=PLAIN,
    company_request="資金繰りの改善",
    main_qualification=PLAIN,
    platform_staff="山田",
    attendees_company="代表取締役 佐藤",
    attendees_organization="該当なし",
    attendees_others="該当なし",
    support_content_1="資金繰り表の作成を支援した。",
    accompanied=True,
    further_visits_needed=False,
    survey_cooperation=True,
)

Errors = list[tuple[ErrorCode, tuple[str, ...]]]


def errors_of(report: ReportInput, **kwargs: object) -> Errors:
    options: dict[str, object] = {"now": NOW, "rates": RATES}
    options.update(kwargs)
    check = check_report(report, **options)  # type: ignore[arg-type]
    return [(e.code, e.field) for e in check.errors]


def test_a_valid_report() -> None:
    check = check_report(VALID, now=NOW, rates=RATES)
    assert check.ok
    assert check.billable_minutes == 120
    assert check.travel is None


R = replace


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        # dispatch date, start, end: end > start
        (R(VALID, dispatch_date=None), [(ErrorCode.REQUIRED, ("dispatchDate",))]),
        (R(VALID, start_at=None), [(ErrorCode.REQUIRED, ("startAt",))]),
        (R(VALID, end_at=None), [(ErrorCode.REQUIRED, ("endAt",))]),
        (R(VALID, end_at=START), [(ErrorCode.END_NOT_AFTER_START, ("endAt",))]),
        (
            R(VALID, end_at=START - timedelta(minutes=1)),
            [(ErrorCode.END_NOT_AFTER_START, ("endAt",))],
        ),
        (R(VALID, dispatch_date=date(2026, 6, 1)), [(ErrorCode.INVALID, ("startAt",))]),
        (R(VALID, end_at=START + timedelta(hours=25)), [(ErrorCode.OUT_OF_RANGE, ("endAt",))]),
        (R(VALID, end_at=NOW + timedelta(minutes=1)), [(ErrorCode.IN_FUTURE, ("endAt",))]),
        # non-billable minutes: integer ≥ 0, required (0 if none), < duration; remark explains it
        (R(VALID, non_billable_minutes=None), [(ErrorCode.REQUIRED, ("nonBillableMinutes",))]),
        (R(VALID, non_billable_minutes=-1), [(ErrorCode.OUT_OF_RANGE, ("nonBillableMinutes",))]),
        (R(VALID, non_billable_minutes=1.5), [(ErrorCode.NOT_AN_INTEGER, ("nonBillableMinutes",))]),
        (
            R(VALID, non_billable_minutes=120, non_billable_remark="昼食"),
            [(ErrorCode.NON_BILLABLE_EXCEEDS_DURATION, ("nonBillableMinutes",))],
        ),
        (R(VALID, non_billable_minutes=60), [(ErrorCode.REQUIRED, ("nonBillableRemark",))]),
        (R(VALID, non_billable_minutes=60, non_billable_remark="昼食休憩"), []),
        # support issue category; その他の経営課題 ⇒ detail
        (R(VALID, issue_category=None), [(ErrorCode.REQUIRED, ("issueCategoryId",))]),
        (R(VALID, issue_category=OTHER), [(ErrorCode.REQUIRED, ("issueDetail",))]),
        (R(VALID, issue_category=OTHER, issue_detail="補助金申請"), []),
        (R(VALID, issue_note="x" * 2001), [(ErrorCode.TOO_LONG, ("issueNote",))]),
        (R(VALID, company_request=" "), [(ErrorCode.REQUIRED, ("companyRequest",))]),
        # main qualification, one; その他 ⇒ name
        (R(VALID, main_qualification=None), [(ErrorCode.REQUIRED, ("mainQualificationId",))]),
        (R(VALID, main_qualification=OTHER), [(ErrorCode.REQUIRED, ("mainQualificationOther",))]),
        (R(VALID, main_qualification=OTHER, main_qualification_other="中小企業診断士補"), []),
        (R(VALID, platform_staff=None), []),
        (R(VALID, platform_staff="x" * 65), [(ErrorCode.TOO_LONG, ("platformStaff",))]),
        # attendees: required, "該当なし" when nobody
        (R(VALID, attendees_company=""), [(ErrorCode.REQUIRED, ("attendeesCompany",))]),
        (R(VALID, attendees_organization=None), [(ErrorCode.REQUIRED, ("attendeesOrganization",))]),
        (R(VALID, attendees_others=None), [(ErrorCode.REQUIRED, ("attendeesOthers",))]),
        (R(VALID, attendees_others="x" * 256), [(ErrorCode.TOO_LONG, ("attendeesOthers",))]),
        # support content (1) required, (2)(3) optional, max length
        (R(VALID, support_content_1=None), [(ErrorCode.REQUIRED, ("supportContent1",))]),
        (R(VALID, support_content_1="x" * 2001), [(ErrorCode.TOO_LONG, ("supportContent1",))]),
        (R(VALID, support_content_2="x" * 2001), [(ErrorCode.TOO_LONG, ("supportContent2",))]),
        (R(VALID, support_content_3="x" * 2000), []),
        (
            R(VALID, comment_to_secretariat="x" * 2001),
            [(ErrorCode.TOO_LONG, ("commentToSecretariat",))],
        ),
        # yes/no answers
        (R(VALID, accompanied=None), [(ErrorCode.REQUIRED, ("accompanied",))]),
        (R(VALID, accompanied=False), []),
        (R(VALID, further_visits_needed=None), [(ErrorCode.REQUIRED, ("furtherVisitsNeeded",))]),
        (R(VALID, further_visits_needed=True), [(ErrorCode.REQUIRED, ("furtherVisitsReason",))]),
        (R(VALID, further_visits_needed=True, further_visits_reason="資金計画の確認"), []),
        (R(VALID, survey_cooperation=None), [(ErrorCode.REQUIRED, ("surveyCooperation",))]),
        (R(VALID, survey_cooperation=False), []),
    ],
)
def test_each_rule_of_the_form_has_its_own_field_error(
    report: ReportInput, expected: Errors
) -> None:
    assert errors_of(report) == expected


def test_a_configured_text_length() -> None:
    report = R(VALID, support_content_1="x" * 101)
    assert errors_of(report, text_max_length=100) == [(ErrorCode.TOO_LONG, ("supportContent1",))]


def test_an_empty_report_lists_every_required_field_at_once() -> None:
    check = check_report(ReportInput(), now=NOW, rates=RATES)
    assert [e.field[0] for e in check.errors] == [
        "dispatchDate",
        "startAt",
        "endAt",
        "nonBillableMinutes",
        "issueCategoryId",
        "companyRequest",
        "mainQualificationId",
        "attendeesCompany",
        "attendeesOrganization",
        "attendeesOthers",
        "supportContent1",
        "accompanied",
        "furtherVisitsNeeded",
        "surveyCooperation",
    ]
    assert {e.code for e in check.errors} == {ErrorCode.REQUIRED}
    assert (
        check.errors[7].message
        == "出席者氏名（支援企業）を入力してください（該当者がいない場合は「該当なし」）。"
    )
    assert check.billable_minutes is None


def test_travel_errors_carry_the_travel_path_and_can_be_prefixed() -> None:
    travel = TravelClaimInput(
        place="本社",
        address="住所",
        purpose="助言",
        per_diem_days=(DAY,),
        lines=(
            TravelLineInput(TransportMode.RAIL, "A", "B", True, 300),
            TravelLineInput(TransportMode.BUS, "B", "C", False, -1),
        ),
    )
    check = check_report(R(VALID, travel=travel, accompanied=None), now=NOW, rates=RATES)
    assert [(e.code, e.field) for e in check.errors] == [
        (ErrorCode.REQUIRED, ("accompanied",)),
        (ErrorCode.OUT_OF_RANGE, ("travel", "lines", "1", "oneWayFare")),
    ]
    assert [e.field for e in prefixed(check.errors, "input")][1] == (
        "input",
        "travel",
        "lines",
        "1",
        "oneWayFare",
    )
    assert check.travel is not None
    assert check.travel.totals.total == 600 + 2200


def test_travel_is_checked_even_without_a_dispatch_date() -> None:
    travel = TravelClaimInput(place="本社", address="住所", purpose=None, per_diem_days=(DAY,))
    report = R(VALID, dispatch_date=None, start_at=None, travel=travel)
    assert errors_of(report) == [
        (ErrorCode.REQUIRED, ("dispatchDate",)),
        (ErrorCode.REQUIRED, ("startAt",)),
        (ErrorCode.REQUIRED, ("travel", "purpose")),
    ]


def test_a_draft_needs_nothing_but_what_it_has_must_be_well_formed() -> None:
    assert errors_of(ReportInput(), for_submission=False) == []
    running = R(VALID, end_at=NOW + timedelta(hours=1))  # the dispatch has not ended yet
    assert errors_of(running, for_submission=False) == []
    draft = ReportInput(
        non_billable_minutes=-5,
        support_content_1="x" * 2001,
        travel=TravelClaimInput(lines=(TravelLineInput(one_way_fare=-1),)),
    )
    assert errors_of(draft, for_submission=False) == [
        (ErrorCode.OUT_OF_RANGE, ("nonBillableMinutes",)),
        (ErrorCode.TOO_LONG, ("supportContent1",)),
        (ErrorCode.OUT_OF_RANGE, ("travel", "lines", "0", "oneWayFare")),
    ]
