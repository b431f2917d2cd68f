"""Honorarium and payment state of cases, computed from the rules (domain.md §5, §7).

Nothing here is stored first and read later: the honorarium (謝金) of a case depends on the
other dispatches of its specialist that day (the daily cap, :func:`allocate_honoraria`), and the
payment state on documents, the commission of the fiscal year, the report review and the
eligibility rules — all of which change elsewhere. So both are computed on read, in a constant
number of statements for any number of cases:

1. every case asked for, plus every other reported dispatch of the same specialists on the same
   days, with its report, travel total, stored payment and eligibility columns (one statement,
   LEFT JOINs);
2. the specialists' affiliations (rules 2 and 3 of seed 002);
3. the fiscal-year settings (price, cap, withholding);

and, for the payment state, 4. the commissions (ACTIVE for the FY), 5. the case documents
(様式8, boarding stubs, receipts), 6. the transport lines that are (or were corrected to) air.

A case whose payment is in a batch (or PAID) is **frozen**: its stored amounts are returned
unchanged and use up their share of the day's cap first ("Amounts of a PAID case are frozen;
recomputation never changes them"). :func:`store_payments` writes the computed state into the
``payment`` rows (search by payment state reads them); mutations call it for every case they
touch and its same-day siblings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Q, Subquery

from auth.principal import Principal
from auth.scoping import can_see_money
from models.cases import DispatchCase
from models.documents import Document
from models.fiscal import FiscalYearConfig
from models.payments import Payment
from models.reports import Report, TravelLine
from models.rules.case_status import CaseStatus
from models.rules.dispatchability import CommissionFacts, is_payable
from models.rules.honorarium import (
    DayDispatch,
    EligibilityFacts,
    Honorarium,
    HonorariumRates,
    allocate_honoraria,
    face_to_face_minutes,
    ineligible_rule,
    units_of,
)
from models.rules.money_kinds import (
    DocumentKind,
    IneligibleRule,
    PaymentState,
    ReviewState,
    TransportMode,
)
from models.rules.organisations import OrganizationKind
from models.rules.payment import PaymentFacts, payment_amounts, payment_status
from models.rules.registration_status import RegistrationStatus
from models.rules.roles import Role
from models.rules.travel import TravelRates
from models.specialists import Commission, SpecialistAffiliation
from resolvers.batching import Row, distinct, int_keys

#: Statuses whose reports never earn money (the dispatch did not take place).
NO_MONEY: frozenset[CaseStatus] = frozenset({CaseStatus.CANCELLED, CaseStatus.DECLINED})

_CASE_COLUMNS: dict[str, str] = {
    "reservation_number": "reservation_number",
    "status": "status",
    "specialist_id": "specialist_id",
    "office_id": "office_id",
    "fiscal_year": "fiscal_year",
    "self_requested": "self_requested",
    "filing_organization_id": "filing_organization_id",
    "filer_kind": "filing_organization__kind",
    "subsidy": "specialist__receives_public_subsidy",
    "registration": "specialist__registration_status",
    "report_id": "report__id",
    "review_state": "report__review_state",
    "report_date": "report__dispatch_date",
    "start_at": "report__start_at",
    "end_at": "report__end_at",
    "non_billable": "report__non_billable_minutes",
    "travel_total": "report__travel__total_amount",
    "payment_id": "payment__id",
    "p_state": "payment__state",
    "p_batch_id": "payment__batch_id",
    "p_paid_on": "payment__paid_on",
    "p_billable": "payment__billable_minutes",
    "p_units": "payment__units",
    "p_honorarium": "payment__honorarium",
    "p_withholding": "payment__withholding",
    "p_travel": "payment__travel",
    "p_total": "payment__total",
    "p_rule": "payment__ineligible_rule",
}

_CONFIG_DEFAULTS = FiscalYearConfig._meta.fields_map


def _default(name: str) -> int:
    return int(_CONFIG_DEFAULTS[name].default)


@dataclass(frozen=True)
class FiscalSettings:
    """The money and report settings of one fiscal year (model defaults when not configured)."""

    fiscal_year: int
    honorarium: HonorariumRates
    travel: TravelRates
    withholding_rate_bp: int
    text_max_length: int
    report_due_business_days: int
    report_time_tolerance_min: int


def _settings_from(fiscal_year: int, row: Mapping[str, Any] | None) -> FiscalSettings:
    def value(name: str) -> int:
        return int(row[name]) if row is not None else _default(name)

    return FiscalSettings(
        fiscal_year=fiscal_year,
        honorarium=HonorariumRates(value("price_per_30min"), value("daily_cap")),
        travel=TravelRates(value("per_diem"), value("lodging"), value("limited_express_min_km")),
        withholding_rate_bp=value("withholding_rate_bp"),
        text_max_length=value("support_text_max_length"),
        report_due_business_days=value("report_due_business_days"),
        report_time_tolerance_min=value("report_time_tolerance_min"),
    )


_SETTING_FIELDS = (
    "fiscal_year",
    "price_per_30min",
    "daily_cap",
    "per_diem",
    "lodging",
    "limited_express_min_km",
    "withholding_rate_bp",
    "support_text_max_length",
    "report_due_business_days",
    "report_time_tolerance_min",
)


async def fiscal_settings(fiscal_years: Iterable[int]) -> dict[int, FiscalSettings]:
    """Settings per fiscal year in one statement (defaults for a year without a row)."""
    years = sorted(set(fiscal_years))
    if not years:
        return {}
    rows = await FiscalYearConfig.filter(fiscal_year__in=years).values(*_SETTING_FIELDS)
    found = {int(r["fiscal_year"]): r for r in rows}
    return {fy: _settings_from(fy, found.get(fy)) for fy in years}


@dataclass(frozen=True)
class CaseMoney:
    """The money facts of one case (unmasked: callers decide who may see them)."""

    case_id: int
    reservation_number: str
    status: CaseStatus
    specialist_id: int
    office_id: int
    fiscal_year: int
    registration: RegistrationStatus
    dispatch_date: date | None
    review_state: ReviewState | None
    honorarium: Honorarium | None  # None until a report is submitted
    ineligible_rule: IneligibleRule | None
    travel_total: int
    withholding_rate_bp: int
    stored: Row | None  # the payment row as stored, or None

    @property
    def frozen(self) -> bool:
        """In a payment batch (or paid): amounts never change again."""
        stored = self.stored
        return stored is not None and (
            stored["batch_id"] is not None or stored["state"] == PaymentState.PAID
        )


def _stored_payment(row: Row) -> Row | None:
    if row["payment_id"] is None:
        return None
    return {
        "id": row["payment_id"],
        "state": PaymentState(row["p_state"]),
        "batch_id": row["p_batch_id"],
        "paid_on": row["p_paid_on"],
        "billable_minutes": int(row["p_billable"]),
        "units": int(row["p_units"]),
        "honorarium": int(row["p_honorarium"]),
        "withholding": int(row["p_withholding"]),
        "travel": int(row["p_travel"]),
        "total": int(row["p_total"]),
        "ineligible_rule": None if row["p_rule"] is None else IneligibleRule(row["p_rule"]),
    }


def _frozen_honorarium(stored: Row) -> Honorarium:
    rule = stored["ineligible_rule"]
    return Honorarium(
        stored["billable_minutes"], stored["units"], stored["honorarium"], rule is None, rule
    )


def _eligibility(row: Row, affiliations: Mapping[tuple[int, int], Row]) -> IneligibleRule | None:
    org = row["filing_organization_id"]
    link = affiliations.get((int(row["specialist_id"]), int(org))) if org is not None else None
    kind = row["filer_kind"]
    return ineligible_rule(
        EligibilityFacts(
            receives_public_subsidy=bool(row["subsidy"]),
            filer_pays_salary=bool(link and link["pays_salary"]),
            member_of_filer=bool(link and link["is_member"]),
            filer_kind=None if kind is None else OrganizationKind(kind),
            self_requested=bool(row["self_requested"]),
        )
    )


def _dispatch(row: Row, rule: IneligibleRule | None, stored: Row | None) -> DayDispatch:
    """The dispatch as the cap allocation sees it; a report whose window cannot be valued (it
    would never pass validation) is valued at 0 so it never blocks the others."""
    start, end, non_billable = row["start_at"], row["end_at"], int(row["non_billable"] or 0)
    frozen = None
    if stored is not None and (stored["batch_id"] is not None or stored["state"] == "PAID"):
        frozen = _frozen_honorarium(stored)
    else:
        minutes = face_to_face_minutes(start, end)
        if minutes <= 0 or not 0 <= non_billable < minutes:
            billable = max(0, minutes - max(0, non_billable))
            frozen = Honorarium(billable, units_of(billable), 0, rule is None, rule)
    return DayDispatch(int(row["id"]), start, end, non_billable, rule, frozen)


async def money_of_cases(case_ids: Iterable[int]) -> dict[int, CaseMoney]:
    """The money facts of ``case_ids`` (missing ids are absent), honoraria allocated across each
    specialist's same-day dispatches. Three statements whatever the number of cases."""
    ids = distinct(int(i) for i in case_ids)
    if not ids:
        return {}
    siblings = Q(
        specialist_id__in=Subquery(DispatchCase.filter(id__in=ids).values("specialist_id")),
        report__dispatch_date__in=Subquery(Report.filter(case_id__in=ids).values("dispatch_date")),
    ) & ~Q(status__in=list(NO_MONEY))
    rows = await DispatchCase.filter(Q(id__in=ids) | siblings).values("id", **_CASE_COLUMNS)
    if not rows:
        return {}
    specialists = distinct(int(r["specialist_id"]) for r in rows)
    affiliation_rows = await SpecialistAffiliation.filter(specialist_id__in=specialists).values(
        "specialist_id", "organization_id", "pays_salary", "is_member"
    )
    affiliations = {(a["specialist_id"], a["organization_id"]): a for a in affiliation_rows}
    settings = await fiscal_settings(int(r["fiscal_year"]) for r in rows)

    rules: dict[int, IneligibleRule | None] = {}
    stored: dict[int, Row | None] = {}
    dispatches: dict[int, list[DayDispatch]] = defaultdict(list)
    days: dict[int, int] = {}  # case id → fiscal year of its dispatch (for the rates)
    for row in rows:
        case_id = int(row["id"])
        rules[case_id] = _eligibility(row, affiliations)
        stored[case_id] = _stored_payment(row)
        reported = row["report_id"] is not None and CaseStatus(row["status"]) not in NO_MONEY
        if reported:
            dispatch = _dispatch(row, rules[case_id], stored[case_id])
            dispatches[int(row["specialist_id"])].append(dispatch)
            days[case_id] = int(row["fiscal_year"])
    honoraria: dict[int, Honorarium] = {}
    for specialist_dispatches in dispatches.values():
        by_year: dict[int, list[DayDispatch]] = defaultdict(list)
        for dispatch in specialist_dispatches:
            by_year[days[dispatch.case_id]].append(dispatch)
        for fiscal_year, group in by_year.items():
            honoraria.update(allocate_honoraria(group, settings[fiscal_year].honorarium))

    wanted = set(ids)
    result: dict[int, CaseMoney] = {}
    for row in rows:
        case_id = int(row["id"])
        if case_id not in wanted:
            continue
        review = row["review_state"]
        result[case_id] = CaseMoney(
            case_id=case_id,
            reservation_number=str(row["reservation_number"]),
            status=CaseStatus(row["status"]),
            specialist_id=int(row["specialist_id"]),
            office_id=int(row["office_id"]),
            fiscal_year=int(row["fiscal_year"]),
            registration=RegistrationStatus(row["registration"]),
            dispatch_date=row["report_date"],
            review_state=None if review is None else ReviewState(review),
            honorarium=honoraria.get(case_id),
            ineligible_rule=rules[case_id],
            travel_total=int(row["travel_total"] or 0),
            withholding_rate_bp=settings[int(row["fiscal_year"])].withholding_rate_bp,
            stored=stored[case_id],
        )
    return result


async def same_day_case_ids(case_ids: Iterable[int]) -> list[int]:
    """The cases and every reported dispatch of their specialists on the same days (whose
    honoraria share the daily cap with them): what a mutation must re-store."""
    ids = distinct(int(i) for i in case_ids)
    if not ids:
        return []
    siblings = Q(
        specialist_id__in=Subquery(DispatchCase.filter(id__in=ids).values("specialist_id")),
        report__dispatch_date__in=Subquery(Report.filter(case_id__in=ids).values("dispatch_date")),
    )
    rows = await DispatchCase.filter(Q(id__in=ids) | siblings).values("id")
    return distinct([*ids, *(int(r["id"]) for r in rows)])


# ---------------------------------------------------------------- payment state


@dataclass(frozen=True)
class _PaymentExtras:
    payable: dict[tuple[int, int], bool]  # (specialist, FY) → ACTIVE
    kinds: dict[int, set[DocumentKind]]  # case → document kinds
    air: set[int]  # cases that claim air travel


async def _payment_extras(money: Sequence[CaseMoney]) -> _PaymentExtras:
    """Commissions, document kinds and air lines of the cases (three statements)."""
    live = [m for m in money if not m.frozen]
    if not live:
        return _PaymentExtras({}, {}, set())
    case_ids = [m.case_id for m in live]
    specialists = distinct(m.specialist_id for m in live)
    years = sorted({m.fiscal_year for m in live})
    commissions = await Commission.filter(
        specialist_id__in=specialists, fiscal_year__in=years
    ).values("specialist_id", "fiscal_year", "terms_accepted_at", "acceptance_received_at")
    facts = {
        (int(c["specialist_id"]), int(c["fiscal_year"])): CommissionFacts(
            terms_accepted=c["terms_accepted_at"] is not None,
            acceptance_received=c["acceptance_received_at"] is not None,
        )
        for c in commissions
    }
    payable = {
        (m.specialist_id, m.fiscal_year): is_payable(
            m.registration, facts.get((m.specialist_id, m.fiscal_year))
        )
        for m in live
    }
    kinds: dict[int, set[DocumentKind]] = defaultdict(set)
    documents = await Document.filter(case_id__in=case_ids).values("case_id", "kind")
    for document in documents:
        kinds[int(document["case_id"])].add(DocumentKind(document["kind"]))
    reported = [m.case_id for m in live if m.honorarium is not None]
    air: set[int] = set()
    if reported:
        lines = await (
            TravelLine.filter(claim__report__case_id__in=reported)
            .filter(Q(mode=TransportMode.AIR) | Q(corrections__id__isnull=False))
            .values(
                "id",
                "mode",
                case_id="claim__report__case_id",
                correction_id="corrections__id",
                corrected="corrections__corrected_fields",
            )
        )
        air = {case for case, mode in effective_modes(lines).items() if TransportMode.AIR in mode}
    return _PaymentExtras(payable, dict(kinds), air)


def effective_modes(lines: Iterable[Row]) -> dict[int, set[TransportMode]]:
    """Per case, the transport modes of its lines after the latest correction of each line.
    ``lines`` are line rows joined with their corrections (one row per line and correction)."""
    latest: dict[int, tuple[int, Row]] = {}
    for row in lines:
        line_id = int(row["id"])
        correction = row.get("correction_id")
        rank = int(correction) if correction is not None else 0
        if line_id not in latest or rank > latest[line_id][0]:
            latest[line_id] = (rank, row)
    modes: dict[int, set[TransportMode]] = defaultdict(set)
    for _, row in latest.values():
        corrected = row.get("corrected") or {}
        mode = corrected.get("mode", row["mode"]) if isinstance(corrected, dict) else row["mode"]
        modes[int(row["case_id"])].add(TransportMode(str(mode)))
    return dict(modes)


def _payment_row(money: CaseMoney, extras: _PaymentExtras) -> Row:
    """The ``Payment`` row shown for one case (the stored row when frozen)."""
    base: Row = {
        "case_id": money.case_id,
        "batch_id": None,
        "paid_on": None,
        "hold_reasons": [],
    }
    stored = money.stored
    if money.frozen and stored is not None:
        return {**base, **stored, "hold_reasons": []}
    kinds = extras.kinds.get(money.case_id, set())
    status = payment_status(
        PaymentFacts(
            case_status=money.status,
            review_state=money.review_state if money.honorarium is not None else None,
            specialist_payable=extras.payable.get((money.specialist_id, money.fiscal_year), False),
            form8_received=DocumentKind.FORM8 in kinds,
            air_travel_claimed=money.case_id in extras.air,
            air_documents_present={DocumentKind.BOARDING_STUB, DocumentKind.RECEIPT} <= kinds,
            ineligible_rule=money.ineligible_rule,
        )
    )
    honorarium = money.honorarium
    row: Row = {
        **base,
        "id": stored["id"] if stored is not None else 0,
        "state": status.state,
        "hold_reasons": [reason.value for reason in status.hold_reasons],
        "ineligible_rule": status.ineligible_rule,
        "billable_minutes": 0,
        "units": 0,
        "honorarium": 0,
        "withholding": 0,
        "travel": 0,
        "total": 0,
    }
    if honorarium is None or money.status in NO_MONEY:
        return row
    amounts = payment_amounts(honorarium, money.travel_total, money.withholding_rate_bp)
    row.update(
        billable_minutes=honorarium.billable_minutes,
        units=honorarium.units,
        honorarium=amounts.honorarium,
        withholding=amounts.withholding,
        travel=amounts.travel,
        total=amounts.total,
    )
    return row


async def payment_rows(money: Sequence[CaseMoney]) -> dict[int, Row]:
    """The payment row (state, reasons, amounts) of each case."""
    extras = await _payment_extras(money)
    return {m.case_id: _payment_row(m, extras) for m in money}


async def store_payments(
    case_ids: Iterable[int],
) -> tuple[dict[int, CaseMoney], dict[int, Row]]:
    """Recompute the payments of ``case_ids`` and their same-day siblings and write the ``payment``
    rows (frozen ones untouched; a case without report and without row gets none). Call it inside
    the mutation's transaction after the change it follows. Returns the money facts and the
    payment rows by case id."""
    ids = await same_day_case_ids(case_ids)
    money = await money_of_cases(ids)
    rows = await payment_rows(list(money.values()))
    for case_id, row in rows.items():
        item = money[case_id]
        if item.frozen or (item.stored is None and item.honorarium is None):
            continue
        values = {
            "state": row["state"],
            "hold_reasons": row["hold_reasons"],
            "ineligible_rule": row["ineligible_rule"],
            "billable_minutes": row["billable_minutes"],
            "units": row["units"],
            "honorarium": row["honorarium"],
            "withholding": row["withholding"],
            "travel": row["travel"],
            "total": row["total"],
        }
        if item.stored is None:
            created = await Payment.create(case_id=case_id, **values)
            row["id"] = created.id
        else:
            await Payment.filter(id=item.stored["id"]).update(**values)
    return money, rows


# ---------------------------------------------------------------- read-path batch functions


def _visible(principal: Principal, money: CaseMoney) -> bool:
    if principal.role is Role.COMPANY:
        return False
    return can_see_money(
        principal, {"specialist_id": money.specialist_id, "office_id": money.office_id}
    )


async def load_money_by_case(principal: Principal, keys: Sequence[int]) -> list[CaseMoney | None]:
    """The money facts of cases already in scope, None for viewers who may not see money
    (companies; partners without ``read_payments``)."""
    ids = int_keys(keys)
    money = await money_of_cases(ids)
    return [m if m is not None and _visible(principal, m) else None for m in map(money.get, ids)]


def honorarium_row(money: CaseMoney | None) -> Row | None:
    """``DispatchCase.honorarium``: None without a submitted report (or when not visible)."""
    if money is None or money.honorarium is None or money.status in NO_MONEY:
        return None
    h = money.honorarium
    return {
        "billable_minutes": h.billable_minutes,
        "units": h.units,
        "amount": h.amount,
        "eligible": h.eligible,
        "ineligible_reason": h.ineligible_reason,
    }


async def payment_rows_for(items: Sequence[CaseMoney | None]) -> list[Row | None]:
    """``DispatchCase.payment`` rows aligned with ``items`` (None stays None)."""
    present = [m for m in items if m is not None]
    rows = await payment_rows(present) if present else {}
    return [None if m is None else rows[m.case_id] for m in items]


__all__ = [
    "NO_MONEY",
    "CaseMoney",
    "FiscalSettings",
    "effective_modes",
    "fiscal_settings",
    "honorarium_row",
    "load_money_by_case",
    "money_of_cases",
    "payment_rows",
    "payment_rows_for",
    "same_day_case_ids",
    "store_payments",
]
