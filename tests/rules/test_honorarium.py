"""The honorarium (domain.md §7.1, §7.3, seed 002) — pure, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.rules.errors import ErrorCode, ValidationErrors
from models.rules.fiscal_year import TOKYO
from models.rules.honorarium import (
    DayDispatch,
    EligibilityFacts,
    Honorarium,
    HonorariumRates,
    allocate_honoraria,
    billable_minutes,
    duration_errors,
    face_to_face_minutes,
    honorarium_for,
    ineligible_rule,
    ineligible_rules,
    payable_travel,
    units_of,
    withholding,
)
from models.rules.money_kinds import IneligibleRule
from models.rules.organisations import MEMBERSHIP_EXEMPT_KINDS, OrganizationKind

RATES = HonorariumRates()  # 2,640 yen per 30 min, 31,680 yen per day
DAY_START = datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO)


def dispatch(
    case_id: int,
    minutes: int,
    non_billable: int = 0,
    start: datetime = DAY_START,
    rule: IneligibleRule | None = None,
    frozen: Honorarium | None = None,
) -> DayDispatch:
    return DayDispatch(
        case_id, start, start + timedelta(minutes=minutes), non_billable, rule, frozen
    )


@pytest.mark.parametrize(
    ("minutes", "non_billable", "billable", "units", "amount"),
    [
        (29, 0, 29, 0, 0),  # 29 min → 0
        (30, 0, 30, 1, 2640),  # 30 min → 2,640
        (59, 0, 59, 1, 2640),
        (60, 0, 60, 2, 5280),
        (89, 0, 89, 2, 5280),  # 1 h 29 min → 5,280
        (90, 0, 90, 3, 7920),
        (120, 0, 120, 4, 10560),  # 2 h → 10,560
        (360, 0, 360, 12, 31680),  # 6 h reaches the cap exactly
        (420, 0, 420, 14, 31680),  # 7 h → 31,680 (cap)
        (480, 0, 480, 16, 31680),  # the cap holds
        (180, 60, 120, 4, 10560),  # lunch break excluded
        (60, 31, 29, 0, 0),  # what is left is under 30 minutes
        (61, 1, 60, 2, 5280),
        (1, 0, 1, 0, 0),
    ],
)
def test_single_dispatch(
    minutes: int, non_billable: int, billable: int, units: int, amount: int
) -> None:
    result = honorarium_for(dispatch(1, minutes, non_billable), RATES)
    assert result == Honorarium(billable, units, amount, True, None)
    assert isinstance(result.amount, int)


def test_seconds_are_dropped_not_rounded_up() -> None:
    start = DAY_START
    assert face_to_face_minutes(start, start + timedelta(minutes=29, seconds=59)) == 29
    d = DayDispatch(1, start, start + timedelta(minutes=29, seconds=59), 0)
    assert honorarium_for(d, RATES).amount == 0


@pytest.mark.parametrize(
    ("minutes", "non_billable", "code"),
    [
        (0, 0, ErrorCode.END_NOT_AFTER_START),  # 0-minute duration
        (-30, 0, ErrorCode.END_NOT_AFTER_START),  # negative duration
        (60, 60, ErrorCode.NON_BILLABLE_EXCEEDS_DURATION),  # non-billable = duration
        (60, 61, ErrorCode.NON_BILLABLE_EXCEEDS_DURATION),  # non-billable > duration
        (60, -1, ErrorCode.OUT_OF_RANGE),
    ],
)
def test_invalid_durations_are_errors(minutes: int, non_billable: int, code: ErrorCode) -> None:
    with pytest.raises(ValidationErrors) as refused:
        honorarium_for(dispatch(1, minutes, non_billable), RATES)
    assert [e.code for e in refused.value.errors] == [code]
    expected_field = (
        ("endAt",) if code is ErrorCode.END_NOT_AFTER_START else ("nonBillableMinutes",)
    )
    assert refused.value.errors[0].field == expected_field


@pytest.mark.parametrize("value", [1.5, "10", True, None])
def test_non_billable_must_be_an_integer(value: object) -> None:
    errors = duration_errors(DAY_START, DAY_START + timedelta(hours=1), value)
    expected = ErrorCode.REQUIRED if value is None else ErrorCode.NOT_AN_INTEGER
    assert [(e.code, e.field) for e in errors] == [(expected, ("nonBillableMinutes",))]


def test_billable_minutes_and_units() -> None:
    assert billable_minutes(DAY_START, DAY_START + timedelta(minutes=95), 5) == 90
    assert [units_of(m) for m in (0, 29, 30, 59, 60)] == [0, 0, 1, 1, 2]
    with pytest.raises(ValueError):
        units_of(-1)


def test_two_dispatches_the_same_day_share_the_cap_in_start_order() -> None:
    morning = dispatch(7, 300, start=DAY_START)  # 5 h → 26,400
    afternoon = dispatch(3, 120, start=DAY_START + timedelta(hours=6))  # 2 h → 10,560 uncapped
    # Passed in reverse order: the earliest start is paid first regardless.
    result = allocate_honoraria([afternoon, morning], RATES)
    assert result[7] == Honorarium(300, 10, 26400, True, None)
    assert result[3] == Honorarium(120, 4, 5280, True, None)  # what remains of 31,680
    assert sum(h.amount for h in result.values()) == 31680


def test_a_later_dispatch_gets_nothing_once_the_cap_is_used() -> None:
    result = allocate_honoraria(
        [dispatch(1, 420), dispatch(2, 60, start=DAY_START + timedelta(hours=8))], RATES
    )
    assert (result[1].amount, result[2].amount) == (31680, 0)
    assert result[2].eligible and result[2].units == 2


def test_same_start_is_ordered_by_case_id() -> None:
    result = allocate_honoraria([dispatch(9, 300), dispatch(4, 300)], RATES)
    assert (result[4].amount, result[9].amount) == (26400, 5280)


def test_different_tokyo_days_do_not_share() -> None:
    # 23:00 and 00:30 the next day in Tokyo are the same UTC day but two dispatch days.
    late = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)  # 23:00 JST June 1
    early = datetime(2026, 6, 1, 15, 30, tzinfo=UTC)  # 00:30 JST June 2
    result = allocate_honoraria(
        [
            dispatch(1, 420, start=DAY_START),
            dispatch(2, 60, start=late),
            dispatch(3, 420, start=early),
        ],
        RATES,
    )
    assert (result[1].amount, result[2].amount, result[3].amount) == (31680, 0, 31680)


def test_an_ineligible_dispatch_does_not_use_the_cap() -> None:
    first = dispatch(1, 420, rule=IneligibleRule.SELF_REQUESTED)
    second = dispatch(2, 420, start=DAY_START + timedelta(hours=8))
    result = allocate_honoraria([first, second], RATES)
    assert result[1] == Honorarium(420, 14, 0, False, IneligibleRule.SELF_REQUESTED)
    assert result[2].amount == 31680


def test_frozen_paid_amounts_are_kept_and_counted_first() -> None:
    paid = Honorarium(240, 8, 21120, True, None)
    # The PAID case started later, yet its frozen amount is taken from the cap first.
    result = allocate_honoraria(
        [dispatch(1, 420), dispatch(2, 240, start=DAY_START + timedelta(hours=8), frozen=paid)],
        RATES,
    )
    assert result[2] is paid
    assert result[1].amount == 31680 - 21120


def test_rates_come_from_the_configuration() -> None:
    rates = HonorariumRates(price_per_30min=3000, daily_cap=10000)
    result = allocate_honoraria(
        [dispatch(1, 90), dispatch(2, 90, start=DAY_START.replace(hour=14))], rates
    )
    assert (result[1].amount, result[2].amount) == (9000, 1000)


@pytest.mark.parametrize(
    ("price", "cap"), [(-1, 31680), (2640, -1), (2640.0, 31680), (True, 31680)]
)
def test_rates_are_integer_yen(price: object, cap: object) -> None:
    with pytest.raises(ValueError):
        HonorariumRates(price, cap)  # type: ignore[arg-type]


def test_a_case_passed_twice_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        allocate_honoraria([dispatch(1, 60), dispatch(1, 60)], RATES)


SALARY = EligibilityFacts(filer_pays_salary=True, filer_kind=OrganizationKind.FINANCIAL_INSTITUTION)


@pytest.mark.parametrize(
    ("facts", "rules"),
    [
        (EligibilityFacts(), ()),
        (EligibilityFacts(receives_public_subsidy=True), (IneligibleRule.PUBLIC_SUBSIDY,)),
        (SALARY, (IneligibleRule.SALARY_FROM_FILER,)),
        (
            EligibilityFacts(member_of_filer=True, filer_kind=OrganizationKind.PROFESSIONAL_BODY),
            (IneligibleRule.MEMBER_OF_FILER,),
        ),
        (
            EligibilityFacts(member_of_filer=True, filer_kind=OrganizationKind.YOROZU),
            (IneligibleRule.MEMBER_OF_FILER,),
        ),
        (EligibilityFacts(self_requested=True), (IneligibleRule.SELF_REQUESTED,)),
        # The exception covers membership only: a 商工会 that pays a salary is still rule 2.
        (
            EligibilityFacts(
                filer_pays_salary=True, member_of_filer=True, filer_kind=OrganizationKind.SHOKOKAI
            ),
            (IneligibleRule.SALARY_FROM_FILER,),
        ),
        (
            EligibilityFacts(
                receives_public_subsidy=True,
                filer_pays_salary=True,
                member_of_filer=True,
                filer_kind=OrganizationKind.OTHER,
                self_requested=True,
            ),
            (
                IneligibleRule.PUBLIC_SUBSIDY,
                IneligibleRule.SALARY_FROM_FILER,
                IneligibleRule.MEMBER_OF_FILER,
                IneligibleRule.SELF_REQUESTED,
            ),
        ),
    ],
)
def test_ineligibility_rules(facts: EligibilityFacts, rules: tuple[IneligibleRule, ...]) -> None:
    assert ineligible_rules(facts) == rules
    assert ineligible_rule(facts) == (rules[0] if rules else None)


@pytest.mark.parametrize("kind", list(OrganizationKind))
def test_membership_exception_by_organisation_kind(kind: OrganizationKind) -> None:
    exempt = {
        OrganizationKind.SHOKOKAI,  # 商工会
        OrganizationKind.SHOKOKAI_FEDERATION,  # 商工会連合会
        OrganizationKind.CHAMBER,  # 商工会議所
        OrganizationKind.CHAMBER_FEDERATION,  # 商工会議所連合会
        OrganizationKind.SME_CENTRAL_ASSOCIATION,  # 都道府県中小企業団体中央会
        OrganizationKind.SHOPPING_STREET_FEDERATION,  # 都道府県商店街振興組合連合会
    }
    assert exempt == MEMBERSHIP_EXEMPT_KINDS
    rule = ineligible_rule(EligibilityFacts(member_of_filer=True, filer_kind=kind))
    assert rule == (None if kind in exempt else IneligibleRule.MEMBER_OF_FILER)


def test_membership_without_a_filing_organisation_kind_is_ineligible() -> None:
    assert ineligible_rule(EligibilityFacts(member_of_filer=True)) == IneligibleRule.MEMBER_OF_FILER


@pytest.mark.parametrize(
    ("amount", "rate_bp", "tax"),
    [
        (0, 1021, 0),
        (2640, 1021, 269),
        (5280, 1021, 539),
        (31680, 1021, 3234),
        (31680, 0, 0),
        (10000, 10000, 10000),
    ],
)
def test_withholding_rounds_down(amount: int, rate_bp: int, tax: int) -> None:
    assert withholding(amount, rate_bp) == tax


@pytest.mark.parametrize(("amount", "rate_bp"), [(-1, 1021), (100, -1), (100, 10001)])
def test_withholding_rejects_bad_values(amount: int, rate_bp: int) -> None:
    with pytest.raises(ValueError):
        withholding(amount, rate_bp)


@pytest.mark.parametrize(
    ("honorarium", "travel"),
    [
        (Honorarium(60, 2, 5280, True, None), 1200),
        (Honorarium(29, 0, 0, True, None), 0),  # no honorarium ⇒ no travel
        (Honorarium(60, 2, 0, True, None), 0),  # cap used up by an earlier dispatch
        (Honorarium(60, 2, 0, False, IneligibleRule.PUBLIC_SUBSIDY), 0),  # ineligible
    ],
)
def test_no_honorarium_means_no_travel(honorarium: Honorarium, travel: int) -> None:
    assert payable_travel(honorarium, 1200) == travel
    with pytest.raises(ValueError):
        payable_travel(honorarium, -1)
