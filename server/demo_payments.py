"""Demo payments (謝金・旅費) and monthly payment batches — domain.md §7."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.payments import Payment, PaymentBatch
from models.reports import Report
from models.rules.fiscal_year import tokyo_date
from models.rules.money_kinds import HoldReason, IneligibleRule, PaymentState, ReviewState
from models.rules.organisations import MEMBERSHIP_EXEMPT_KINDS
from server.demo_drafts import CaseDraft
from server.demo_plan import DemoContext, at


@dataclass
class Money:
    """What a payment is computed from: the case, its report, its travel total, 様式8."""

    draft: CaseDraft
    report: Report
    travel: int
    form8: bool


def _ineligible(d: CaseDraft) -> IneligibleRule | None:
    """Seed 002's four rules, in the order of domain.md §7.3."""
    assert d.row is not None
    if d.specialist.subsidy:
        return IneligibleRule.PUBLIC_SUBSIDY
    if d.org is not None and d.org.id in d.specialist.affiliations:
        pays_salary, is_member = d.specialist.affiliations[d.org.id]
        if pays_salary:
            return IneligibleRule.SALARY_FROM_FILER
        if is_member and d.org.kind not in MEMBERSHIP_EXEMPT_KINDS:
            return IneligibleRule.MEMBER_OF_FILER
    if d.row.self_requested:
        return IneligibleRule.SELF_REQUESTED
    return None


def build_payments(ctx: DemoContext, money: list[Money]) -> None:
    used: dict[tuple[int, date], int] = {}
    batches: dict[tuple[str, int], date] = {}
    payments: list[tuple[Payment, tuple[str, int] | None]] = []
    for item in sorted(money, key=lambda m: m.report.start_at):
        d, report = item.draft, item.report
        fiscal = ctx.masters.fiscal[d.fy]
        minutes = int((report.end_at - report.start_at).total_seconds() // 60)
        billable = minutes - report.non_billable_minutes
        units = billable // 30
        key = (d.specialist.id, report.dispatch_date)
        honorarium = min(units * fiscal.price_per_30min, fiscal.daily_cap - used.get(key, 0))
        used[key] = used.get(key, 0) + honorarium
        payment = Payment(
            id=ctx.ids.next(Payment), case_id=d.id, billable_minutes=billable, units=units
        )
        batch_key = None
        rule = _ineligible(d)
        holds = []
        if report.review_state is not ReviewState.ACCEPTED:
            holds.append(HoldReason.REPORT_NOT_ACCEPTED.value)
        if not item.form8:
            holds.append(HoldReason.FORM8_MISSING.value)
        if d.specialist.commission.get(d.fy) != "ACTIVE":
            holds.append(HoldReason.NOT_ACTIVE.value)
        if rule is not None:
            payment.state, payment.ineligible_rule = PaymentState.INELIGIBLE, rule
        else:
            payment.honorarium = honorarium
            payment.withholding = honorarium * fiscal.withholding_rate_bp // 10000
            payment.travel = item.travel
            payment.total = honorarium - payment.withholding + item.travel
            payment.hold_reasons = holds
            payment.state = PaymentState.HELD if holds else PaymentState.PAYABLE
        if payment.state is PaymentState.PAYABLE and report.reviewed_at is not None:
            reviewed = tokyo_date(report.reviewed_at)
            # The month's batch is paid on the 15th of the following month.
            pay_day = date(reviewed.year + reviewed.month // 12, reviewed.month % 12 + 1, 15)
            if pay_day < ctx.today:
                batch_key = (f"{reviewed.year}-{reviewed.month:02d}", d.company.office_id)
                batches[batch_key] = pay_day
                payment.state, payment.paid_on = PaymentState.PAID, pay_day
        payments.append((payment, batch_key))
    batch_ids: dict[tuple[str, int], int] = {}
    for batch in sorted(batches):
        month, office = batch
        paid_on = batches[batch]
        batch_ids[batch] = ctx.ids.next(PaymentBatch)
        ctx.plan.add(
            PaymentBatch(
                id=batch_ids[batch],
                office_id=office,
                month=month,
                created_by_id=ctx.office_account(office),
                created_at=at(paid_on.replace(day=1), 10),
                paid_at=at(paid_on, 10),
                paid_on=paid_on,
            )
        )
    for payment, batch_key in payments:
        payment.batch_id = batch_ids[batch_key] if batch_key else None
        ctx.plan.add(payment)
