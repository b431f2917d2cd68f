import itertools
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.models import Model

from auth.passwords import verify_password
from models.accounts import UserAccount
from models.attendance import CheckEvent
from models.bank import decrypt_bank_account
from models.cases import CaseEvent, CaseSlot, DispatchCase, ReservationCounter
from models.companies import Company, CompanyLimitException
from models.db import tortoise_config
from models.evaluations import Evaluation
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture, RegionalOffice
from models.master_data import load_master_data
from models.migrate import migrate_database
from models.organisations import RegionalPlatform, SupportOrganization
from models.payments import Payment, PaymentBatch
from models.reports import Report, TravelClaim, TravelLine
from models.rules.case_status import UNCOUNTED_STATUSES, CaseStatus, SlotKind
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import PaymentState, TransportMode
from models.rules.registration_status import RegistrationStatus
from models.rules.roles import PlatformScope
from models.rules.search import term_bigrams, words
from models.rules.workflow import TRANSITIONS
from models.specialists import (
    Commission,
    Specialist,
    SpecialistBasis,
    SpecialistQualification,
)
from server.demo import DEMO_ACCOUNTS, DemoDataPresent, plan_demo, seed_demo

S = CaseStatus
TODAY = date(2026, 11, 22)
SMALL = 0.2
#: A mid-year day and one after the last dispatch day of the fiscal year (March).
TODAYS = pytest.mark.parametrize("today", [TODAY, date(2027, 3, 15)], ids=["november", "march"])


def fk(row: Model, relation: str) -> Any:
    """The stored key of a foreign-key relation (``row.<relation>_id``)."""
    return getattr(row, f"{relation}_id")


def _cutoff(today: date) -> datetime:
    """Every past instant of the plan lies before the start of ``today`` in Asia/Tokyo."""
    return datetime(today.year, today.month, today.day, tzinfo=TOKYO)


async def _cases_by_status() -> dict[CaseStatus, list[DispatchCase]]:
    found: dict[CaseStatus, list[DispatchCase]] = defaultdict(list)
    for case in await DispatchCase.all():
        found[case.status].append(case)
    return found


async def _snapshot() -> list[tuple[object, ...]]:
    return (
        await DispatchCase.all()
        .order_by("reservation_number")
        .values_list(
            "reservation_number",
            "title",
            "status",
            "company__name",
            "specialist__name",
            "received_at",
        )
    )


async def test_full_scale_has_the_promised_volumes(db: str) -> None:
    # when
    counts = await seed_demo(today=TODAY)

    # then
    assert counts["dispatch_case"] >= 800
    assert await DispatchCase.all().count() == counts["dispatch_case"]
    assert await RegionalPlatform.all().count() >= 10
    assert await SupportOrganization.all().count() >= 40
    kinds = set(await SupportOrganization.all().values_list("kind", flat=True))
    assert len(kinds) >= 8
    assert await Company.all().count() >= 150
    numbers = [c.corporate_number for c in await Company.all() if c.corporate_number]
    assert len(numbers) >= 0.8 * await Company.all().count()
    assert all(len(n) == 13 and n.isdigit() for n in numbers)
    assert await Specialist.all().count() >= 60
    states = Counter(s.registration_status for s in await Specialist.all())
    for state in (
        RegistrationStatus.DRAFT,
        RegistrationStatus.PENDING_ORG_APPROVAL,
        RegistrationStatus.PENDING_SECRETARIAT_APPROVAL,
        RegistrationStatus.REJECTED,
        RegistrationStatus.REVOKED,
        RegistrationStatus.WITHDRAWN,
    ):
        assert states[state] >= 2
    current = await Commission.filter(fiscal_year=2026).values_list(
        "acceptance_received_at", flat=True
    )
    assert sum(1 for accepted in current if accepted is not None) >= 40
    assert sum(1 for accepted in current if accepted is None) >= 2  # TERMS_ACCEPTED only
    cases = await DispatchCase.all()
    assert {c.status for c in cases} == set(CaseStatus)
    years = Counter(c.fiscal_year for c in cases)
    assert years[2025] >= 100 and years[2026] >= 100


@TODAYS
async def test_cases_are_consistent_with_their_status(db: str, today: date) -> None:
    # given
    await seed_demo(today=today, scale=SMALL)
    cutoff = _cutoff(today)
    cases = await _cases_by_status()
    reports = {fk(r, "case") for r in await Report.all()}
    payments = {fk(p, "case") for p in await Payment.all()}
    evaluated = Counter(fk(e, "case") for e in await Evaluation.all())
    slots: dict[int, list[CaseSlot]] = defaultdict(list)
    for slot in await CaseSlot.all():
        slots[fk(slot, "case")].append(slot)

    # then
    assert set(cases) == set(CaseStatus)
    for case in cases[S.UNPROCESSED]:
        assert case.dispatch_start is None
        assert slots[case.id] and all(s.kind is SlotKind.CANDIDATE for s in slots[case.id])
        assert all(s.start > cutoff for s in slots[case.id])
    for case in cases[S.ADJUSTING]:
        proposed = [s for s in slots[case.id] if s.kind is SlotKind.PROPOSED]
        assert proposed and all(s.start > cutoff for s in proposed)
    for case in cases[S.CONFIRMED]:
        assert case.dispatch_start is not None and case.dispatch_start > cutoff
    for case in cases[S.UNREPORTED]:
        assert case.dispatch_end is not None and case.dispatch_end < cutoff
    for status in (S.UNPROCESSED, S.ADJUSTING, S.NEEDS_COORDINATION, S.CONFIRMED, S.UNREPORTED,
                   S.DECLINED, S.CANCELLED):  # fmt: skip
        assert not {c.id for c in cases[status]} & (reports | payments | set(evaluated))
    for case in cases[S.REPORTED] + cases[S.COMPLETED]:
        assert case.id in reports and case.id in payments
        assert case.dispatch_end is not None and case.dispatch_end < cutoff
    for case in cases[S.REPORTED]:
        assert not case.evaluated and case.id not in evaluated
    for case in cases[S.COMPLETED]:
        assert case.evaluated and evaluated[case.id] >= 1
    for case in cases[S.DECLINED]:
        assert fk(case, "decline_reason") is not None and case.decline_reason_text
    for case in cases[S.CANCELLED]:
        assert fk(case, "cancel_category") is not None and case.cancel_reason
    for case in (c for group in cases.values() for c in group):
        tokens = set(case.search_text.split())
        assert all(gram in tokens for word in words(case.title) for gram in term_bigrams(word))


@TODAYS
async def test_every_case_has_an_audit_trail_of_legal_transitions(db: str, today: date) -> None:
    # given
    await seed_demo(today=today, scale=SMALL)
    cutoff = _cutoff(today)
    legal = {(str(r.action), s, r.to_status) for r in TRANSITIONS for s in r.from_statuses}
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in await CaseEvent.all().order_by("case_id", "version"):
        events[fk(event, "case")].append(event)

    # then
    for case in await DispatchCase.all():
        trail = events[case.id]
        assert case.version == len(trail)
        assert [e.version for e in trail] == list(range(1, len(trail) + 1))
        assert trail[0].action == "FILE" and trail[0].to_status is S.UNPROCESSED
        assert trail[0].at == case.received_at
        assert trail[-1].to_status is case.status
        for before, after in itertools.pairwise(trail):
            assert (after.action, after.from_status, after.to_status) in legal
            assert after.from_status is before.to_status
            assert after.at > before.at
        assert all(e.at < cutoff for e in trail)


async def test_numbers_offices_limits_and_money_are_consistent(db: str) -> None:
    # given
    await seed_demo(today=TODAY, scale=SMALL)
    cases = await DispatchCase.all().prefetch_related("company")
    office_of = dict(await Prefecture.all().values_list("id", "office_id"))

    # then: reservation numbers
    numbers = [c.reservation_number for c in cases]
    assert len(set(numbers)) == len(numbers)
    assert all(c.reservation_number.startswith(f"{c.fiscal_year}-") for c in cases)
    for counter in await ReservationCounter.all():
        sequences = [
            int(c.reservation_number[5:]) for c in cases if c.fiscal_year == counter.fiscal_year
        ]
        assert counter.last_sequence == max(sequences) == len(sequences)
    # offices and filers
    assert all(fk(c, "office") == office_of[fk(c.company, "prefecture")] for c in cases)
    assert all((fk(c, "filing_organization") is None) == (fk(c, "platform") is None) for c in cases)
    # company limit (domain.md §4.1)
    extra = {(fk(e, "company"), e.fiscal_year): e.extra for e in await CompanyLimitException.all()}
    counted = Counter(
        (fk(c, "company"), c.fiscal_year) for c in cases if c.status not in UNCOUNTED_STATUSES
    )
    limits = {f.fiscal_year: f.company_limit_it for f in await FiscalYearConfig.all()}
    assert all(n <= limits[fy] + extra.get((cid, fy), 0) for (cid, fy), n in counted.items())
    # one fixed dispatch per specialist and day
    fixed = [(fk(c, "specialist"), c.dispatch_date) for c in cases
             if c.dispatch_date and c.status is not S.CANCELLED]  # fmt: skip
    assert len(fixed) == len(set(fixed))
    # money
    by_id = {c.id: c for c in cases}
    batches = {b.id: b for b in await PaymentBatch.all()}
    payments = await Payment.all()
    assert {p.state for p in payments} >= {PaymentState.PAID, PaymentState.HELD}
    for payment in payments:
        if payment.state is PaymentState.PAID:
            assert fk(payment, "batch") is not None
            assert fk(batches[fk(payment, "batch")], "office") == fk(
                by_id[fk(payment, "case")], "office"
            )
            assert payment.paid_on == batches[fk(payment, "batch")].paid_on
        else:
            assert fk(payment, "batch") is None
        if payment.state is PaymentState.INELIGIBLE:
            assert payment.total == 0 and payment.ineligible_rule is not None
        else:
            assert payment.honorarium == payment.units * 2640
            assert payment.total == payment.honorarium - payment.withholding + payment.travel
    for line in await TravelLine.all():
        if line.mode is TransportMode.PRIVATE_CAR:
            assert line.amount == 0
        else:
            assert line.amount == line.one_way_fare * (2 if line.round_trip else 1)
    for claim in await TravelClaim.all():
        transport = sum(line.amount for line in await TravelLine.filter(claim_id=claim.id))
        assert claim.total_amount == transport + claim.per_diem_amount + claim.lodging_amount
    for evaluation in await Evaluation.all():
        scores = (evaluation.satisfaction, evaluation.expertise, evaluation.clarity,
                  evaluation.responsiveness)  # fmt: skip
        assert all(1 <= s <= 5 for s in scores)
    checks = await CheckEvent.all()
    assert checks
    assert all(24 <= c.lat <= 46 and 122 <= c.lng <= 154 for c in checks)


async def test_specialists_have_profiles_and_encrypted_bank_accounts(db: str) -> None:
    # given
    await seed_demo(today=TODAY, scale=SMALL)

    # then
    registered = await Specialist.filter(registration_status=RegistrationStatus.REGISTERED)
    assert registered
    for specialist in registered:
        assert specialist.bank_account_ciphertext is not None
        bank = decrypt_bank_account(specialist.bank_account_ciphertext)
        assert bank.last3 == specialist.bank_account_last3
        assert await SpecialistQualification.filter(specialist_id=specialist.id).count() >= 1
        assert await SpecialistBasis.filter(specialist_id=specialist.id).count() >= 1
        assert await specialist.expertise.all().count() >= 2
        assert await specialist.areas.filter(id=fk(specialist, "prefecture")).exists()
    revoked = await Specialist.filter(registration_status=RegistrationStatus.REVOKED)
    assert all(s.bank_account_ciphertext is None and s.status_reason for s in revoked)


async def test_demo_accounts_sign_in_and_see_many_cases(db: str) -> None:
    # given
    await seed_demo(today=TODAY, scale=SMALL)

    # then
    for demo in DEMO_ACCOUNTS:
        account = await UserAccount.get(email=demo.email)
        assert account.role is demo.role
        assert await verify_password(account.password_hash, demo.password)
    assert not await verify_password(
        (await UserAccount.get(email="company@example.jp")).password_hash, "wrong-password"
    )
    emails = [str(email) for email in await UserAccount.all().values_list("email", flat=True)]
    assert all(email.endswith("@example.jp") for email in emails)
    kanto = await UserAccount.get(email="secretariat-kanto@example.jp").prefetch_related("office")
    assert kanto.office is not None and kanto.office.code == "KANTO"
    assert fk(await UserAccount.get(email="national-admin@example.jp"), "office") is None
    coordinator = await UserAccount.get(email="coordinator@example.jp")
    assert coordinator.platform_scope is PlatformScope.PLATFORM
    platform = await UserAccount.get(email="platform@example.jp")
    assert platform.platform_scope is PlatformScope.ORGANIZATION
    specialist = await UserAccount.get(email="specialist@example.jp")
    company = await UserAccount.get(email="company@example.jp")
    org = await SupportOrganization.get(id=fk(coordinator, "organization"))
    scopes = {
        "specialist": DispatchCase.filter(specialist_id=fk(specialist, "specialist")),
        "company": DispatchCase.filter(company_id=fk(company, "company")),
        "platform": DispatchCase.filter(filing_organization_id=fk(platform, "organization")),
        "coordinator": DispatchCase.filter(platform_id=fk(org, "platform")),
    }
    for name, query in scopes.items():
        statuses = set(await query.values_list("status", flat=True))
        assert len(statuses) >= 6, name
    company_statuses = {case.status for case in await scopes["company"]}
    assert company_statuses == set(CaseStatus)
    assert fk(await Company.get(id=fk(company, "company")), "registered_by") == fk(
        platform, "organization"
    )


async def test_if_empty_seeds_once_and_a_second_seed_is_refused(db: str) -> None:
    # when
    first = await seed_demo(today=TODAY, scale=SMALL, if_empty=True)
    second = await seed_demo(today=TODAY, scale=SMALL, if_empty=True)

    # then
    assert first["dispatch_case"] == await DispatchCase.all().count() > 0
    assert second == {}
    assert await RegionalOffice.all().count() == 8
    with pytest.raises(DemoDataPresent):
        await seed_demo(today=TODAY, scale=SMALL)
    assert await DispatchCase.all().count() == first["dispatch_case"]


async def test_same_today_and_seed_give_the_same_data_in_another_database(
    db: str, tmp_path: Path
) -> None:
    # given
    await seed_demo(today=TODAY, seed=7, scale=SMALL)
    here = await _snapshot()

    # when: the same seed into a second, freshly migrated SQLite database
    other = f"sqlite://{tmp_path / 'second.sqlite3'}"
    await Tortoise.close_connections()
    await migrate_database(other)
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(other), _enable_global_fallback=True)
    try:
        await seed_demo(today=TODAY, seed=7, scale=SMALL)
        there = await _snapshot()
    finally:
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(db), _enable_global_fallback=True)

    # then
    assert len(here) > 100
    assert here == there
    assert await DispatchCase.all().count() == len(here)


async def test_the_plan_depends_only_on_today_and_seed(db: str) -> None:
    # given
    await load_master_data()

    async def titles(seed: int, today: date = TODAY) -> list[tuple[str, str, str]]:
        plan = await plan_demo(today=today, seed=seed, scale=SMALL)
        return [(c.reservation_number, c.title, c.status.value)
                for c in plan.rows[DispatchCase] if isinstance(c, DispatchCase)]  # fmt: skip

    # when
    first, again, other = await titles(1), await titles(1), await titles(2)
    later = await titles(1, date(2027, 1, 20))

    # then
    assert first == again
    assert first != other
    assert first != later
