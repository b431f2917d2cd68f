"""Payment state, batches and the batch CSV (domain.md §7.2, §7.3)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime

import pytest

from models.rules.case_status import CaseStatus
from models.rules.errors import ErrorCode
from models.rules.fiscal_year import TOKYO
from models.rules.honorarium import Honorarium
from models.rules.money_kinds import HoldReason, IneligibleRule, PaymentState, ReviewState
from models.rules.payment import (
    BANK_HEADER,
    BatchCandidate,
    CsvBank,
    InvalidMonth,
    PaymentAmounts,
    PaymentCsvRow,
    PaymentFacts,
    PaymentStatus,
    batch_eligible,
    csv_document,
    csv_lines,
    parse_batch_month,
    payment_amounts,
    payment_status,
    select_for_batch,
)

READY = PaymentFacts(
    case_status=CaseStatus.COMPLETED,
    review_state=ReviewState.ACCEPTED,
    specialist_payable=True,
    form8_received=True,
)
H = HoldReason


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (READY, PaymentStatus(PaymentState.PAYABLE)),
        (replace(READY, case_status=CaseStatus.REPORTED), PaymentStatus(PaymentState.PAYABLE)),
        (replace(READY, paid=True), PaymentStatus(PaymentState.PAID)),
        (replace(READY, paid=True, form8_received=False), PaymentStatus(PaymentState.PAID)),
        # not due: before the report, or the dispatch never took place
        (
            replace(READY, case_status=CaseStatus.CONFIRMED, review_state=None),
            PaymentStatus(PaymentState.NOT_DUE),
        ),
        (
            replace(READY, case_status=CaseStatus.UNREPORTED, review_state=None),
            PaymentStatus(PaymentState.NOT_DUE),
        ),
        (
            replace(READY, case_status=CaseStatus.UNREPORTED, review_state=ReviewState.DRAFT),
            PaymentStatus(PaymentState.NOT_DUE),
        ),
        (
            replace(READY, case_status=CaseStatus.CANCELLED, review_state=None),
            PaymentStatus(PaymentState.NOT_DUE),
        ),
        (
            replace(READY, case_status=CaseStatus.DECLINED, review_state=None),
            PaymentStatus(PaymentState.NOT_DUE),
        ),
        # held, with every reason
        (
            replace(READY, specialist_payable=False),
            PaymentStatus(PaymentState.HELD, (H.NOT_ACTIVE,)),
        ),
        (
            replace(READY, form8_received=False),
            PaymentStatus(PaymentState.HELD, (H.FORM8_MISSING,)),
        ),
        (
            replace(READY, case_status=CaseStatus.REPORTED, review_state=ReviewState.SUBMITTED),
            PaymentStatus(PaymentState.HELD, (H.REPORT_NOT_ACCEPTED,)),
        ),
        (
            replace(READY, case_status=CaseStatus.UNREPORTED, review_state=ReviewState.RETURNED),
            PaymentStatus(PaymentState.HELD, (H.REPORT_NOT_ACCEPTED,)),
        ),
        (
            replace(READY, air_travel_claimed=True, air_documents_present=False),
            PaymentStatus(PaymentState.HELD, (H.AIR_DOCUMENTS_MISSING,)),
        ),
        (
            replace(READY, air_travel_claimed=True, air_documents_present=True),
            PaymentStatus(PaymentState.PAYABLE),
        ),
        (
            PaymentFacts(CaseStatus.REPORTED, ReviewState.SUBMITTED, False, False, True, False),
            PaymentStatus(
                PaymentState.HELD,
                (H.NOT_ACTIVE, H.FORM8_MISSING, H.REPORT_NOT_ACCEPTED, H.AIR_DOCUMENTS_MISSING),
            ),
        ),
        # ineligible: 0 yen, terminal, with the rule
        (
            replace(READY, ineligible_rule=IneligibleRule.MEMBER_OF_FILER),
            PaymentStatus(PaymentState.INELIGIBLE, (), IneligibleRule.MEMBER_OF_FILER),
        ),
        (
            replace(READY, ineligible_rule=IneligibleRule.PUBLIC_SUBSIDY, form8_received=False),
            PaymentStatus(PaymentState.INELIGIBLE, (), IneligibleRule.PUBLIC_SUBSIDY),
        ),
    ],
)
def test_payment_status(facts: PaymentFacts, expected: PaymentStatus) -> None:
    assert payment_status(facts) == expected


def test_plain_strings_from_rows_are_accepted() -> None:
    facts = PaymentFacts("COMPLETED", "ACCEPTED", True, True)  # type: ignore[arg-type]
    assert payment_status(facts).state is PaymentState.PAYABLE


@pytest.mark.parametrize(
    ("honorarium", "travel", "expected"),
    [
        (Honorarium(120, 4, 10560, True), 1160, PaymentAmounts(10560, 1078, 1160)),
        (Honorarium(420, 14, 31680, True), 0, PaymentAmounts(31680, 3234, 0)),
        (Honorarium(29, 0, 0, True), 1160, PaymentAmounts(0, 0, 0)),  # no honorarium, no travel
        (Honorarium(60, 2, 0, False, IneligibleRule.SELF_REQUESTED), 500, PaymentAmounts(0, 0, 0)),
    ],
)
def test_payment_amounts(honorarium: Honorarium, travel: int, expected: PaymentAmounts) -> None:
    amounts = payment_amounts(honorarium, travel, 1021)
    assert amounts == expected
    assert amounts.total == expected.honorarium - expected.withholding + expected.travel


NOW = datetime(2026, 6, 15, 10, 0, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("month", "bounds"),
    [
        ("2026-05", (date(2026, 5, 1), date(2026, 5, 31))),
        ("2026-06", (date(2026, 6, 1), date(2026, 6, 30))),  # the current month
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2025-12", (date(2025, 12, 1), date(2025, 12, 31))),
    ],
)
def test_batch_month(month: str, bounds: tuple[date, date]) -> None:
    assert parse_batch_month(month, NOW) == bounds


@pytest.mark.parametrize(
    "month",
    ["2026-07", "2026-6", "2026/06", "26-06", "2026-00", "2026-13", "abcd-ef", "２０２６-06", ""],
)
def test_bad_batch_months(month: str) -> None:
    with pytest.raises(InvalidMonth) as refused:
        parse_batch_month(month, NOW)
    assert refused.value.code is ErrorCode.INVALID
    assert refused.value.field == ("month",)


MAY_END = date(2026, 5, 31)


def candidate(**changes: object) -> BatchCandidate:
    base = BatchCandidate(1, 10, PaymentState.PAYABLE, None, date(2026, 5, 20), "2026-000001")
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("c", "eligible"),
    [
        (candidate(), True),
        (candidate(dispatch_date=date(2026, 4, 2)), True),  # cleared late: next batch takes it
        (candidate(dispatch_date=date(2026, 6, 1)), False),  # a later month
        (candidate(office_id=11), False),  # another regional office
        (candidate(batch_id=3), False),  # already in a batch
        (candidate(state=PaymentState.HELD), False),
        (candidate(state=PaymentState.PAID), False),
        (candidate(state=PaymentState.INELIGIBLE), False),
        (candidate(state=PaymentState.NOT_DUE), False),
    ],
)
def test_batch_eligibility(c: BatchCandidate, eligible: bool) -> None:
    assert batch_eligible(c, 10, MAY_END) is eligible


def test_select_for_batch_orders_by_dispatch_day_and_reservation_number() -> None:
    chosen = select_for_batch(
        [
            candidate(case_id=1, reservation_number="2026-000009", dispatch_date=date(2026, 5, 2)),
            candidate(case_id=2, office_id=99),
            candidate(case_id=3, reservation_number="2026-000003", dispatch_date=date(2026, 5, 2)),
            candidate(case_id=4, dispatch_date=date(2026, 4, 30)),
        ],
        10,
        MAY_END,
    )
    assert [c.case_id for c in chosen] == [4, 3, 1]


BANK = CsvBank("0005", "三菱UFJ銀行", "123", "本店", "ORDINARY", "1234567", "ヤマダ タロウ")
ROWS = [
    PaymentCsvRow("2026-000001", "山田 太郎", PaymentAmounts(10560, 1078, 1160), BANK),
    PaymentCsvRow("2026-000002", '=HYPERLINK("x")', PaymentAmounts(0, 0, 0), None),
]


def parse(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("\n".join(lines))))


def test_csv_for_the_secretariat_has_bank_columns() -> None:
    rows = parse(csv_lines(ROWS, include_bank=True))
    assert rows[0] == ["予約番号", "専門家", *BANK_HEADER, "謝金", "源泉徴収税額", "旅費", "支払額"]
    assert rows[1] == [
        "2026-000001",
        "山田 太郎",
        "0005",
        "三菱UFJ銀行",
        "123",
        "本店",
        "普通",
        "1234567",
        "ヤマダ タロウ",
        "10560",
        "1078",
        "1160",
        "10642",
    ]
    # A missing bank account leaves the cells empty; text never starts a formula.
    assert rows[2] == ["2026-000002", '\'=HYPERLINK("x")', *[""] * 7, "0", "0", "0", "0"]


def test_csv_for_others_leaves_the_bank_columns_out() -> None:
    rows = parse(csv_lines(ROWS, include_bank=False))
    assert rows[0] == ["予約番号", "専門家", "謝金", "源泉徴収税額", "旅費", "支払額"]
    assert rows[1] == ["2026-000001", "山田 太郎", "10560", "1078", "1160", "10642"]
    assert all("1234567" not in line for line in csv_lines(ROWS, include_bank=False))


def test_csv_document_uses_crlf_and_no_bom() -> None:
    text = csv_document(ROWS[:1], include_bank=False)
    assert (
        text
        == "予約番号,専門家,謝金,源泉徴収税額,旅費,支払額\r\n2026-000001,山田 太郎,10560,1078,1160,10642\r\n"
    )
    assert not text.startswith("\ufeff")
    assert csv_lines([], include_bank=True)[0].startswith("予約番号,専門家,銀行コード")
