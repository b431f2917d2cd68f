"""Monthly payment batches per regional office and their CSV export — domain.md §7.2.

* :func:`create_batch` (``paymentBatchCreate``, secretariat): a batch of office O and month M
  takes every case of O that is PAYABLE right now (computed by :mod:`resolvers.money_loaders`),
  in no batch yet, dispatched by the end of M (``models.rules.payment.select_for_batch``). The
  cases are locked first, so two batches never take the same case; their amounts are frozen into
  the ``payment`` rows. An office's staff batch their own office; the national secretariat any.
* :func:`mark_paid` (``paymentBatchMarkPaid``): every payment of the batch becomes PAID on the
  given date (compare-and-set on "not paid yet"), with one PAYMENT_BATCH_PAID domain event.
* :func:`batch_csv`: the batch as CSV (UTF-8 with BOM for Excel, CRLF, one line per case); the
  bank columns only for the secretariat. The rows a viewer sees follow ``payment_scope``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import record_audit
from auth.principal import Principal
from auth.scoping import can_see_money, payment_batch_scope, payment_scope
from models.bank import decrypt_bank_account
from models.cases import DispatchCase
from models.geo import RegionalOffice
from models.outbox import DomainEvent
from models.payments import Payment, PaymentBatch
from models.rules.case_status import CaseStatus
from models.rules.errors import DomainError, ErrorCode, NotFound, TransitionNotAllowed
from models.rules.events import EventKind
from models.rules.fiscal_year import tokyo_date
from models.rules.money_kinds import PaymentState, ReviewState
from models.rules.payment import (
    BatchCandidate,
    CsvBank,
    InvalidMonth,
    PaymentAmounts,
    PaymentCsvRow,
    csv_document,
    parse_batch_month,
    select_for_batch,
)
from models.rules.roles import Role
from models.specialists import Specialist
from resolvers.batching import Row, columns, distinct, int_keys, many_per_key, one_per_key
from resolvers.case_commands import refuse_forbidden
from resolvers.money_loaders import money_of_cases, payment_rows
from resolvers.pagination import Page, PageArgs, SortKey, paginate

BATCH_TARGET = "PaymentBatch"
PAYMENT_BATCH_CREATE = "payment_batch_create"
PAYMENT_BATCH_PAID = "payment_batch_paid"
PAYMENT_BATCH_EXPORT = "payment_batch_export"
#: A BOM so that Excel opens the UTF-8 file with the right encoding.
BOM = "\ufeff"
#: Newest first.
BATCH_ORDER = SortKey("id", "int", descending=True)
_NOT_FOUND = "指定された支払バッチが見つかりません。"


class BatchEmpty(DomainError):
    code = ErrorCode.BATCH_EMPTY
    default_message = "支払可能な案件がないため、支払バッチを作成できません。"


class BatchDuplicate(DomainError):
    code = ErrorCode.DUPLICATE
    default_message = "この地域事務局・月の支払バッチは既に作成されています。"


class _Required(DomainError):
    code = ErrorCode.REQUIRED


class _InFuture(DomainError):
    code = ErrorCode.IN_FUTURE


class _RollBack(Exception):
    """Raised inside the transaction to undo a validate-only run."""


@dataclass(frozen=True)
class BatchResult:
    """A created batch (``batch_id`` None when only validated) and what it holds."""

    batch_id: int | None
    case_ids: tuple[int, ...]
    amounts: PaymentAmounts


def _sum(rows: Sequence[Row]) -> PaymentAmounts:
    return PaymentAmounts(
        honorarium=sum(int(r["honorarium"]) for r in rows),
        withholding=sum(int(r["withholding"]) for r in rows),
        travel=sum(int(r["travel"]) for r in rows),
    )


async def _office(principal: Principal, office_id: int | None) -> int:
    """The office the secretariat member may batch: its own, or any for the national one."""
    path = ("input", "officeId")
    if principal.office_id is not None:
        if office_id is not None and office_id != principal.office_id:
            raise NotFound("指定された地域事務局が見つかりません。", path)
        return principal.office_id
    if office_id is None:
        raise _Required("地域事務局を指定してください。", path)
    if not await RegionalOffice.filter(id=office_id).exists():
        raise NotFound("指定された地域事務局が見つかりません。", path)
    return office_id


async def create_batch(
    principal: Principal,
    office_id: int | None,
    month: str,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> BatchResult:
    """``paymentBatchCreate``: the batch of ``month`` (``YYYY-MM``) for the office."""
    if principal.role is not Role.SECRETARIAT:
        await refuse_forbidden(
            principal, "paymentBatchCreate", target_type=BATCH_TARGET, request_id=request_id
        )
    office = await _office(principal, office_id)
    try:
        _, last_day = parse_batch_month(month.strip(), now)
    except InvalidMonth as error:
        error.field = ("input", "month")
        raise
    month = month.strip()
    outcome: dict[str, BatchResult] = {}
    try:
        async with in_transaction():
            outcome["result"] = await _create(principal, office, month, last_day, now, request_id)
            if validate_only:
                raise _RollBack()
    except _RollBack:
        result = outcome["result"]
        return BatchResult(None, result.case_ids, result.amounts)
    except IntegrityError:
        raise _duplicate() from None
    return outcome["result"]


def _duplicate() -> DomainError:
    return BatchDuplicate(field=("input", "month"))


async def _create(
    principal: Principal, office: int, month: str, last_day: date, now: datetime, request_id: str
) -> BatchResult:
    if await PaymentBatch.filter(office_id=office, month=month).exists():
        raise _duplicate()
    # Lock the candidate cases first: a concurrent batch, review or correction waits for us.
    locked = await DispatchCase.filter(
        office_id=office,
        status__in=[CaseStatus.REPORTED, CaseStatus.COMPLETED],
        report__review_state=ReviewState.ACCEPTED,
        report__dispatch_date__lte=last_day,
    ).select_for_update()
    money = await money_of_cases(case.id for case in locked)
    rows = await payment_rows(list(money.values()))
    candidates = [
        BatchCandidate(
            case_id=m.case_id,
            office_id=m.office_id,
            state=rows[m.case_id]["state"],
            batch_id=rows[m.case_id]["batch_id"],
            dispatch_date=m.dispatch_date or last_day,
            reservation_number=m.reservation_number,
        )
        for m in money.values()
    ]
    chosen = select_for_batch(candidates, office, last_day)
    if not chosen:
        raise BatchEmpty(field=("input", "month"))
    chosen_rows = [rows[c.case_id] for c in chosen]
    batch = await PaymentBatch.create(
        office_id=office, month=month, created_by_id=principal.account_id, created_at=now
    )
    for candidate in chosen:
        row = rows[candidate.case_id]
        values = {
            "state": PaymentState.PAYABLE,
            "hold_reasons": [],
            "ineligible_rule": None,
            "billable_minutes": row["billable_minutes"],
            "units": row["units"],
            "honorarium": row["honorarium"],
            "withholding": row["withholding"],
            "travel": row["travel"],
            "total": row["total"],
            "batch_id": batch.id,
        }
        stored = money[candidate.case_id].stored
        if stored is None:
            await Payment.create(case_id=candidate.case_id, **values)
        else:
            await Payment.filter(id=stored["id"]).update(**values)
    amounts = _sum(chosen_rows)
    await record_audit(
        PAYMENT_BATCH_CREATE,
        actor=principal,
        target_type=BATCH_TARGET,
        target_id=batch.id,
        request_id=request_id,
        detail={"office_id": office, "month": month, "cases": len(chosen), "total": amounts.total},
    )
    return BatchResult(batch.id, tuple(c.case_id for c in chosen), amounts)


async def mark_paid(
    principal: Principal,
    batch_id: int,
    paid_on: date,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> int:
    """``paymentBatchMarkPaid``: the transfer of the batch was made on ``paid_on``."""
    if principal.role is not Role.SECRETARIAT:
        await refuse_forbidden(
            principal,
            "paymentBatchMarkPaid",
            target_type=BATCH_TARGET,
            target_id=batch_id,
            request_id=request_id,
        )
    try:
        async with in_transaction():
            await _mark_paid(principal, batch_id, paid_on, now, request_id)
            if validate_only:
                raise _RollBack()
    except _RollBack:
        pass
    return batch_id


async def _mark_paid(
    principal: Principal, batch_id: int, paid_on: date, now: datetime, request_id: str
) -> None:
    batches = await PaymentBatch.filter(payment_batch_scope(principal), id=batch_id)
    if not batches:
        raise NotFound(_NOT_FOUND, ("input", "id"))
    batch = batches[0]
    if batch.paid_at is not None:
        raise TransitionNotAllowed("この支払バッチは支払済です。", ("input", "id"))
    if paid_on > tokyo_date(now):
        raise _InFuture("支払日に未来の日付は指定できません。", ("input", "paidOn"))
    updated = await PaymentBatch.filter(id=batch_id, paid_at__isnull=True).update(
        paid_at=now, paid_on=paid_on
    )
    if updated != 1:
        raise TransitionNotAllowed("この支払バッチは支払済です。", ("input", "id"))
    count = await Payment.filter(batch_id=batch_id).update(state=PaymentState.PAID, paid_on=paid_on)
    office = batch.office_id  # type: ignore[attr-defined]
    payload = {
        "batchId": batch_id,
        "officeId": office,
        "month": batch.month,
        "paidOn": paid_on.isoformat(),
        "cases": count,
    }
    await DomainEvent.create(
        kind=EventKind.PAYMENT_BATCH_PAID.value, payload=payload, created_at=now
    )
    await record_audit(
        PAYMENT_BATCH_PAID,
        actor=principal,
        target_type=BATCH_TARGET,
        target_id=batch_id,
        request_id=request_id,
        detail={"office_id": office, "month": batch.month, "cases": count},
    )


# ---------------------------------------------------------------- reading batches

BATCH_FIELDS = ("id", "office_id", "month", "created_by_id", "created_at", "paid_at", "paid_on")


async def load_payment_batches(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Batches by id within :func:`payment_batch_scope`."""
    ids = int_keys(keys)
    rows = await PaymentBatch.filter(payment_batch_scope(principal), id__in=distinct(ids)).values(
        *BATCH_FIELDS
    )
    return one_per_key(rows, ids)


_LINE_COLUMNS = {
    "reservation_number": "case__reservation_number",
    "specialist_id": "case__specialist_id",
    "specialist_name": "case__specialist__name",
    "office_id": "case__office_id",
    "dispatch_date": "case__dispatch_date",
}


async def load_payments_by_batch(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """The payments of batches (by reservation number), limited to ``payment_scope``."""
    ids = int_keys(keys)
    rows = (
        await Payment.filter(payment_scope(principal), batch_id__in=distinct(ids))
        .order_by("case__dispatch_date", "case__reservation_number")
        .values(*columns(Payment), **_LINE_COLUMNS)
    )
    visible = [r for r in rows if can_see_money(principal, r)]
    return many_per_key(visible, ids, "batch_id")


async def list_payment_batches(
    principal: Principal, args: PageArgs, *, office_id: int | None = None, month: str | None = None
) -> Page:
    query = PaymentBatch.filter(payment_batch_scope(principal))
    if office_id is not None:
        query = query.filter(office_id=office_id)
    if month:
        query = query.filter(month=month)
    return await paginate(query, BATCH_ORDER, args, BATCH_FIELDS)


async def count_payment_batches(
    principal: Principal, *, office_id: int | None = None, month: str | None = None
) -> int:
    query = PaymentBatch.filter(payment_batch_scope(principal))
    if office_id is not None:
        query = query.filter(office_id=office_id)
    if month:
        query = query.filter(month=month)
    return await query.count()


# ---------------------------------------------------------------- CSV export


@dataclass(frozen=True)
class BatchExport:
    filename: str
    body: bytes


async def batch_csv(
    principal: Principal, batch_id: int, *, request_id: str = ""
) -> BatchExport | None:
    """The batch's CSV for this viewer, or None (missing or out of scope: indistinguishable)."""
    if not principal.authenticated or not 0 < batch_id <= 2_147_483_647:
        return None
    [batch] = await load_payment_batches(principal, [batch_id])
    if batch is None:
        return None
    [lines] = await load_payments_by_batch(principal, [batch_id])
    include_bank = principal.role is Role.SECRETARIAT
    banks: dict[int, CsvBank] = {}
    if include_bank:
        specialists = distinct(int(r["specialist_id"]) for r in lines)
        rows = await Specialist.filter(
            id__in=specialists, bank_account_ciphertext__isnull=False
        ).values("id", "bank_account_ciphertext")
        for row in rows:
            plain = decrypt_bank_account(bytes(row["bank_account_ciphertext"]))
            banks[int(row["id"])] = CsvBank(
                bank_code=plain.bank_code,
                bank_name=plain.bank_name,
                branch_code=plain.branch_code,
                branch_name=plain.branch_name,
                account_type=plain.account_type,
                account_number=plain.account_number,
                holder_kana=plain.holder_kana,
            )
    records = [
        PaymentCsvRow(
            reservation_number=str(line["reservation_number"]),
            specialist_name=str(line["specialist_name"]),
            amounts=PaymentAmounts(
                honorarium=int(line["honorarium"]),
                withholding=int(line["withholding"]),
                travel=int(line["travel"]),
            ),
            bank=banks.get(int(line["specialist_id"])),
        )
        for line in lines
    ]
    office = await RegionalOffice.filter(id=batch["office_id"]).values_list("code", flat=True)
    code = str(office[0]) if office else str(batch["office_id"])
    await record_audit(
        PAYMENT_BATCH_EXPORT,
        actor=principal,
        target_type=BATCH_TARGET,
        target_id=batch_id,
        request_id=request_id,
        detail={"lines": len(records), "with_transfer_columns": include_bank},
    )
    body = (BOM + csv_document(records, include_bank)).encode("utf-8")
    return BatchExport(filename=f"payment-batch-{code}-{batch['month']}.csv", body=body)


__all__: list[str] = [
    "BOM",
    "BatchDuplicate",
    "BatchEmpty",
    "BatchExport",
    "BatchResult",
    "batch_csv",
    "count_payment_batches",
    "create_batch",
    "list_payment_batches",
    "load_payment_batches",
    "load_payments_by_batch",
    "mark_paid",
]
