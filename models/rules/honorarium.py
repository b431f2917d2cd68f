"""The honorarium (謝金) — domain.md §7.1, §7.3 and seed 002 「専門家派遣の謝金について」.

"派遣に対しては、1時間あたり5,280円(税込み)とし、31,680円を上限とした謝金が支払われます。
(30分未満は切り捨て) 事業者と直接相対した、支援時間のみが対象となります。"

* ``billable = (end − start) − non-billable minutes`` (face-to-face time only);
* ``units = floor(billable / 30 min)`` (30分未満は切り捨て);
* ``amount = units × price per 30 minutes`` (config, 2,640 yen), integer yen only;
* **cap per specialist per day** (config, 31,680 yen), shared by all dispatches of that
  specialist on that Asia/Tokyo day, applied in start-time order (ties: case id): the earliest
  dispatch is paid first, a later one gets what remains (:func:`allocate_honoraria`);
* the four ineligibility rules (:func:`ineligible_rules`): no honorarium and no travel.

Examples: 29 min → 0; 30 min → 2,640; 1 h 29 min → 5,280; 2 h → 10,560; 7 h → 31,680.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.rules.errors import ErrorCode, FieldError, ValidationErrors
from models.rules.field_checks import FieldErrors
from models.rules.fiscal_year import tokyo_date
from models.rules.money_kinds import IneligibleRule
from models.rules.organisations import MEMBERSHIP_EXEMPT_KINDS, OrganizationKind

#: "30分未満は切り捨て": the honorarium is paid per full 30 minutes.
MINUTES_PER_UNIT = 30
#: Defaults of the fiscal-year configuration (``price_per_30min``, ``daily_cap``).
DEFAULT_PRICE_PER_30MIN = 2640
DEFAULT_DAILY_CAP = 31680
#: Withholding (源泉徴収) in hundredths of a percent: 1021 = 10.21 % (``withholding_rate_bp``).
DEFAULT_WITHHOLDING_RATE_BP = 1021

#: Paths (relative to the report input) of the fields the duration rules point at.
START_FIELD = ("startAt",)
END_FIELD = ("endAt",)
NON_BILLABLE_FIELD = ("nonBillableMinutes",)

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class HonorariumRates:
    """The honorarium settings of one fiscal year, in integer yen."""

    price_per_30min: int = DEFAULT_PRICE_PER_30MIN
    daily_cap: int = DEFAULT_DAILY_CAP

    def __post_init__(self) -> None:
        for value in (self.price_per_30min, self.daily_cap):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError("honorarium rates are integer yen ≥ 0")


@dataclass(frozen=True)
class Honorarium:
    """``DispatchCase.honorarium``: the result for one dispatch."""

    billable_minutes: int
    units: int
    amount: int
    eligible: bool
    ineligible_reason: IneligibleRule | None = None


@dataclass(frozen=True)
class EligibilityFacts:
    """What the four rules of seed 002 need to know about one case.

    ``filer_pays_salary`` / ``member_of_filer`` describe the specialist's affiliation with the
    **filing** organisation (``SpecialistAffiliation``); ``filer_kind`` is that organisation's
    kind (None when a company or the secretariat filed).
    """

    receives_public_subsidy: bool = False
    filer_pays_salary: bool = False
    member_of_filer: bool = False
    filer_kind: OrganizationKind | None = None
    self_requested: bool = False


def ineligible_rules(facts: EligibilityFacts) -> tuple[IneligibleRule, ...]:
    """Every ineligibility rule that applies, in the order of seed 002.

    1. "国又は地方自治体から人件費の補助金等を受けている者が派遣される場合";
    2. "当該専門家に対し給与等を支払っている支援機関から申請を受けて…支援を行った場合";
    3. "給与等の受領・会費等の納入の有無を問わず、会員等の立場で所属している機関から派遣される
       場合。ただし、当該機関が商工会及び商工会連合会、商工会議所及び商工会議所連合会、都道府県
       中小企業団体中央会並びに都道府県商店街振興組合連合会である場合はこの限りでない" — the
       exception covers membership only, never a salary (rule 2);
    4. "専門家からの派遣要請に基づき支援機関が当該専門家を派遣した場合".
    """
    rules: list[IneligibleRule] = []
    if facts.receives_public_subsidy:
        rules.append(IneligibleRule.PUBLIC_SUBSIDY)
    if facts.filer_pays_salary:
        rules.append(IneligibleRule.SALARY_FROM_FILER)
    if facts.member_of_filer and facts.filer_kind not in MEMBERSHIP_EXEMPT_KINDS:
        rules.append(IneligibleRule.MEMBER_OF_FILER)
    if facts.self_requested:
        rules.append(IneligibleRule.SELF_REQUESTED)
    return tuple(rules)


def ineligible_rule(facts: EligibilityFacts) -> IneligibleRule | None:
    """The rule the case records: the first that applies in seed order, or None (eligible)."""
    rules = ineligible_rules(facts)
    return rules[0] if rules else None


def face_to_face_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (seconds are dropped, never rounded up)."""
    return (end - start) // _MINUTE


def duration_errors(
    start: datetime, end: datetime, non_billable_minutes: object
) -> tuple[FieldError, ...]:
    """The rules "end > start" and "non-billable: integer ≥ 0, < duration".

    A 0-minute or negative window, a non-integer or negative non-billable time and a
    non-billable time that swallows the whole window are all errors (paths relative to the
    report input).
    """
    errors = FieldErrors()
    minutes = face_to_face_minutes(start, end)
    if minutes <= 0:
        errors.add(
            ErrorCode.END_NOT_AFTER_START, "終了時刻は開始時刻より後にしてください。", *END_FIELD
        )
    if errors.integer(non_billable_minutes, "実績対象外時間（分）", *NON_BILLABLE_FIELD):
        assert isinstance(non_billable_minutes, int)
        if minutes > 0 and non_billable_minutes >= minutes:
            errors.add(
                ErrorCode.NON_BILLABLE_EXCEEDS_DURATION,
                f"実績対象外時間（分）は派遣時間（{minutes}分）より短くしてください。",
                *NON_BILLABLE_FIELD,
            )
    return errors.as_tuple()


def billable_minutes(start: datetime, end: datetime, non_billable_minutes: int) -> int:
    """Face-to-face minutes minus non-billable minutes; :class:`ValidationErrors` when invalid."""
    errors = duration_errors(start, end, non_billable_minutes)
    if errors:
        raise ValidationErrors(errors)
    return face_to_face_minutes(start, end) - non_billable_minutes


def units_of(minutes: int) -> int:
    """Full 30-minute units: "30分未満は切り捨て"."""
    if minutes < 0:
        raise ValueError("billable minutes are never negative")
    return minutes // MINUTES_PER_UNIT


@dataclass(frozen=True)
class DayDispatch:
    """One dispatch of a specialist, as the cap allocation needs it.

    ``frozen`` carries the stored result of a PAID case: "Amounts of a PAID case are frozen;
    recomputation never changes them" — it is returned unchanged and uses up its amount of the
    day's cap before any other dispatch of that day is allocated.
    """

    case_id: int
    start: datetime
    end: datetime
    non_billable_minutes: int
    ineligible_reason: IneligibleRule | None = None
    frozen: Honorarium | None = None

    @property
    def day(self) -> date:
        """The dispatch day: the Asia/Tokyo date of the start."""
        return tokyo_date(self.start)


def honorarium_for(
    dispatch: DayDispatch, rates: HonorariumRates, used_today: int = 0
) -> Honorarium:
    """The honorarium of one dispatch when ``used_today`` yen of the day's cap are already taken.

    An ineligible dispatch keeps its billable minutes and units for the record but is paid 0.
    """
    if dispatch.frozen is not None:
        return dispatch.frozen
    minutes = billable_minutes(dispatch.start, dispatch.end, dispatch.non_billable_minutes)
    units = units_of(minutes)
    if dispatch.ineligible_reason is not None:
        return Honorarium(minutes, units, 0, False, dispatch.ineligible_reason)
    remaining = max(0, rates.daily_cap - max(0, used_today))
    return Honorarium(minutes, units, min(units * rates.price_per_30min, remaining), True, None)


def _sort_key(dispatch: DayDispatch) -> tuple[datetime, int]:
    return dispatch.start, dispatch.case_id


def allocate_honoraria(
    dispatches: Iterable[DayDispatch], rates: HonorariumRates
) -> dict[int, Honorarium]:
    """Honoraria of all dispatches of ONE specialist, keyed by case id, with the daily cap shared.

    Dispatches are grouped by Asia/Tokyo day. Within a day, frozen (PAID) amounts are counted
    first, then the others are paid in start-time order (ties broken by case id) until the cap
    is used up. Pass every dispatch that may earn an honorarium (reported, not cancelled); pass
    several days at once if convenient. A duplicated case id is a programming error.
    """
    by_day: dict[date, list[DayDispatch]] = defaultdict(list)
    seen: set[int] = set()
    for dispatch in dispatches:
        if dispatch.case_id in seen:
            raise ValueError(f"case {dispatch.case_id} passed twice")
        seen.add(dispatch.case_id)
        by_day[dispatch.day].append(dispatch)
    result: dict[int, Honorarium] = {}
    for day_dispatches in by_day.values():
        used = sum(d.frozen.amount for d in day_dispatches if d.frozen is not None)
        for dispatch in sorted(day_dispatches, key=_sort_key):
            honorarium = honorarium_for(dispatch, rates, used)
            if dispatch.frozen is None:
                used += honorarium.amount
            result[dispatch.case_id] = honorarium
    return result


def withholding(amount: int, rate_bp: int = DEFAULT_WITHHOLDING_RATE_BP) -> int:
    """Income-tax withholding (源泉徴収) on an honorarium: 10.21 % rounded down to the yen.

    ``rate_bp`` is in hundredths of a percent (1021 = 10.21 %); integer arithmetic only.
    """
    if amount < 0 or not 0 <= rate_bp <= 10000:
        raise ValueError("amount ≥ 0 and 0 ≤ rate ≤ 100 % required")
    return amount * rate_bp // 10000


def payable_travel(honorarium: Honorarium, travel_total: int) -> int:
    """Rule "No honorarium ⇒ no travel payment" (§5, §7.3).

    Travel is reimbursed only when the dispatch is eligible AND earns an honorarium above 0
    yen; an ineligible case, a visit under 30 billable minutes, or one whose day cap was used up
    by an earlier dispatch pays no travel.
    """
    if travel_total < 0:
        raise ValueError("travel amounts are never negative")
    if not honorarium.eligible or honorarium.amount <= 0:
        return 0
    return travel_total
