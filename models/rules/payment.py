"""Payment state per case, monthly batches and the batch CSV — domain.md §7.2, §7.3.

"Payable when: report accepted by the secretariat, 様式8 received, specialist ACTIVE for the
case's FY, eligible, air-travel documents present where air travel is claimed. Payment states:
NOT_DUE, HELD(reasons), PAYABLE, PAID(date, batch), INELIGIBLE (0 yen, terminal, with the rule
that applied). The secretariat runs monthly payment batches per regional office and exports
them (CSV)."

Decided here: a batch of office O and month M (``YYYY-MM``, not in the future) takes every
PAYABLE case of O not yet in a batch whose dispatch day is on or before the last day of M —
cases cleared late join the next batch; 0-yen PAYABLE cases are included so they get closed.
The CSV ``total`` is what is transferred: honorarium − withholding + travel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.rules.case_status import CaseStatus
from models.rules.errors import DomainError, ErrorCode
from models.rules.fiscal_year import tokyo_date
from models.rules.honorarium import Honorarium, payable_travel, withholding
from models.rules.money_kinds import HoldReason, IneligibleRule, PaymentState, ReviewState

#: Case statuses in which no payment will ever fall due.
NEVER_DUE: frozenset[CaseStatus] = frozenset(
    {
        CaseStatus.DECLINED,
        CaseStatus.CANCELLED,
        CaseStatus.UNPROCESSED,
        CaseStatus.ADJUSTING,
        CaseStatus.NEEDS_COORDINATION,
        CaseStatus.CONFIRMED,
    }
)
_NEVER_SUBMITTED: frozenset[ReviewState | None] = frozenset({None, ReviewState.DRAFT})
MONTH_FIELD = ("month",)


@dataclass(frozen=True)
class PaymentFacts:
    """What the payment state of one case depends on."""

    case_status: CaseStatus
    review_state: ReviewState | None
    specialist_payable: bool  # models.rules.dispatchability.is_payable for the case's FY
    form8_received: bool
    air_travel_claimed: bool = False
    air_documents_present: bool = True
    ineligible_rule: IneligibleRule | None = None
    paid: bool = False


@dataclass(frozen=True)
class PaymentStatus:
    state: PaymentState
    hold_reasons: tuple[HoldReason, ...] = ()
    ineligible_rule: IneligibleRule | None = None


def payment_status(facts: PaymentFacts) -> PaymentStatus:
    """The payment state of one case; HELD lists every reason, in :class:`HoldReason` order.

    PAID is final (amounts frozen); an ineligible case is INELIGIBLE (0 yen) with its rule; a
    case whose report was never submitted (or that never took place) is NOT_DUE.
    """
    if facts.paid:
        return PaymentStatus(PaymentState.PAID)
    if facts.ineligible_rule is not None:
        return PaymentStatus(PaymentState.INELIGIBLE, (), IneligibleRule(facts.ineligible_rule))
    status = CaseStatus(facts.case_status)
    review = None if facts.review_state is None else ReviewState(facts.review_state)
    if status in NEVER_DUE or review in _NEVER_SUBMITTED:
        return PaymentStatus(PaymentState.NOT_DUE)
    reasons: list[HoldReason] = []
    if not facts.specialist_payable:
        reasons.append(HoldReason.NOT_ACTIVE)
    if not facts.form8_received:
        reasons.append(HoldReason.FORM8_MISSING)
    if review is not ReviewState.ACCEPTED:
        reasons.append(HoldReason.REPORT_NOT_ACCEPTED)
    if facts.air_travel_claimed and not facts.air_documents_present:
        reasons.append(HoldReason.AIR_DOCUMENTS_MISSING)
    if reasons:
        return PaymentStatus(PaymentState.HELD, tuple(reasons))
    return PaymentStatus(PaymentState.PAYABLE)


@dataclass(frozen=True)
class PaymentAmounts:
    honorarium: int
    withholding: int
    travel: int

    @property
    def total(self) -> int:
        """What is transferred: honorarium − withholding + travel (travel is not taxed)."""
        return self.honorarium - self.withholding + self.travel


def payment_amounts(
    honorarium: Honorarium, travel_total: int, withholding_rate_bp: int
) -> PaymentAmounts:
    """The money of one case: "No honorarium ⇒ no travel"; withholding on the honorarium only."""
    return PaymentAmounts(
        honorarium=honorarium.amount,
        withholding=withholding(honorarium.amount, withholding_rate_bp),
        travel=payable_travel(honorarium, travel_total),
    )


class InvalidMonth(DomainError):
    code = ErrorCode.INVALID
    default_message = "支払月はYYYY-MM形式で入力してください。"


def parse_batch_month(month: str, now: datetime) -> tuple[date, date]:
    """First and last day of a batch month ``YYYY-MM``; refused when malformed or in the future
    (after the Asia/Tokyo month of ``now``)."""
    parts = month.split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2:
        raise InvalidMonth(field=MONTH_FIELD)
    if not (parts[0].isdigit() and parts[1].isdigit() and parts[0].isascii()):
        raise InvalidMonth(field=MONTH_FIELD)
    year, number = int(parts[0]), int(parts[1])
    if not 1 <= number <= 12 or year < 2000:
        raise InvalidMonth(field=MONTH_FIELD)
    first = date(year, number, 1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    if first > tokyo_date(now).replace(day=1):
        raise InvalidMonth("未来の月の支払バッチは作成できません。", MONTH_FIELD)
    return first, last


@dataclass(frozen=True)
class BatchCandidate:
    case_id: int
    office_id: int
    state: PaymentState
    batch_id: int | None
    dispatch_date: date
    reservation_number: str


def batch_eligible(candidate: BatchCandidate, office_id: int, month_last_day: date) -> bool:
    """Rule of the monthly batch: same office, PAYABLE, in no batch yet, dispatched by then."""
    return (
        candidate.office_id == office_id
        and PaymentState(candidate.state) is PaymentState.PAYABLE
        and candidate.batch_id is None
        and candidate.dispatch_date <= month_last_day
    )


def select_for_batch(
    candidates: Iterable[BatchCandidate], office_id: int, month_last_day: date
) -> list[BatchCandidate]:
    """The cases of a new batch, ordered by dispatch day then reservation number."""
    chosen = [c for c in candidates if batch_eligible(c, office_id, month_last_day)]
    return sorted(chosen, key=lambda c: (c.dispatch_date, c.reservation_number))


@dataclass(frozen=True)
class CsvBank:
    """Transfer data of one specialist (decrypted by the caller, secretariat only)."""

    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str  # ORDINARY | CURRENT
    account_number: str
    holder_kana: str


@dataclass(frozen=True)
class PaymentCsvRow:
    reservation_number: str
    specialist_name: str
    amounts: PaymentAmounts
    bank: CsvBank | None = None


BASE_HEADER = ("予約番号", "専門家")
BANK_HEADER = ("銀行コード", "銀行名", "支店コード", "支店名", "口座種別", "口座番号", "口座名義")
MONEY_HEADER = ("謝金", "源泉徴収税額", "旅費", "支払額")
ACCOUNT_TYPES = {"ORDINARY": "普通", "CURRENT": "当座"}
#: Cells starting with these are neutralised so a spreadsheet never runs them as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _bank_cells(bank: CsvBank | None) -> list[str]:
    if bank is None:
        return [""] * len(BANK_HEADER)
    kind = ACCOUNT_TYPES.get(bank.account_type, bank.account_type)
    values = (
        bank.bank_code,
        bank.bank_name,
        bank.branch_code,
        bank.branch_name,
        kind,
        bank.account_number,
        bank.holder_kana,
    )
    return [_cell(v) for v in values]


def csv_lines(rows: Sequence[PaymentCsvRow], include_bank: bool) -> list[str]:
    """The CSV of a batch as lines (header first, no line terminators, no BOM — the route adds
    the UTF-8 BOM and joins with CRLF). Bank columns exist only when ``include_bank`` (the viewer
    is the secretariat); otherwise they are left out entirely, not blanked."""
    header = [*BASE_HEADER, *(BANK_HEADER if include_bank else ()), *MONEY_HEADER]
    records: list[list[str]] = [header]
    for row in rows:
        money = row.amounts
        records.append(
            [
                _cell(row.reservation_number),
                _cell(row.specialist_name),
                *(_bank_cells(row.bank) if include_bank else ()),
                str(money.honorarium),
                str(money.withholding),
                str(money.travel),
                str(money.total),
            ]
        )
    lines: list[str] = []
    for record in records:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(record)
        lines.append(buffer.getvalue())
    return lines


def csv_document(rows: Sequence[PaymentCsvRow], include_bank: bool) -> str:
    """The lines joined with CRLF (Excel's line ending), ending with one; no BOM."""
    return "".join(line + "\r\n" for line in csv_lines(rows, include_bank))
