"""The in-memory plan of the demo data set and the context its builders share.

Builders append unsaved model instances with explicit primary keys to a :class:`DemoPlan`; the
writer in :mod:`server.demo` bulk-inserts them in dependency order. Everything random comes from
one ``random.Random(seed)`` and every instant from ``today``, so a plan is a pure function of
``(today, seed, scale)`` and the master data.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import holidays
from tortoise.models import Model

from models.fiscal import FiscalYearConfig
from models.geo import Prefecture, RegionalOffice
from models.masters import CancelCategory, DeclineReason, Industry, IssueCategory, Qualification
from models.rules.business_days import is_year_end_closure
from models.rules.fiscal_year import TOKYO, fiscal_year_of
from models.rules.organisations import OrganizationKind

#: Many-to-many link tables: (table, owner column, target column).
LINK_TABLES: dict[str, tuple[str, str]] = {
    "specialist_expertise": ("specialist_id", "issuecategory_id"),
    "specialist_industry": ("specialist_id", "industry_id"),
    "specialist_area": ("specialist_id", "prefecture_id"),
    "case_issue_category": ("dispatch_case_id", "issuecategory_id"),
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of ``hour:minute`` on ``day`` in Asia/Tokyo."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(UTC)


@dataclass(frozen=True)
class FiscalInfo:
    price_per_30min: int
    daily_cap: int
    company_limit: int
    company_limit_it: int
    last_dispatch_day: date
    withholding_rate_bp: int
    per_diem: int
    lodging: int


@dataclass
class Masters:
    """Ids of the master rows, read once from the database."""

    office_ids: dict[str, int]
    office_of_pref: dict[int, int]
    pref_names: dict[int, str]
    issue_ids: dict[str, int]
    it_issue_ids: frozenset[int]
    qualification_ids: dict[str, int]
    industry_ids: dict[str, int]
    decline_ids: dict[str, int]
    cancel_ids: dict[str, int]
    fiscal: dict[int, FiscalInfo]


async def load_masters() -> Masters:
    offices = dict(await RegionalOffice.all().order_by("id").values_list("code", "id"))
    prefs = await Prefecture.all().order_by("id").values_list("id", "name", "office_id")
    issues = await IssueCategory.all().order_by("id").values_list("code", "id", "is_it")
    fiscal = {
        c.fiscal_year: FiscalInfo(
            c.price_per_30min,
            c.daily_cap,
            c.company_limit,
            c.company_limit_it,
            c.last_dispatch_day,
            c.withholding_rate_bp,
            c.per_diem,
            c.lodging,
        )
        for c in await FiscalYearConfig.all().order_by("fiscal_year")
    }
    return Masters(
        office_ids=offices,
        office_of_pref={pid: oid for pid, _, oid in prefs},
        pref_names={pid: name for pid, name, _ in prefs},
        issue_ids={code: iid for code, iid, _ in issues},
        it_issue_ids=frozenset(iid for _, iid, is_it in issues if is_it),
        qualification_ids=dict(await Qualification.all().order_by("id").values_list("code", "id")),
        industry_ids=dict(await Industry.all().order_by("id").values_list("code", "id")),
        decline_ids=dict(await DeclineReason.all().order_by("id").values_list("code", "id")),
        cancel_ids=dict(await CancelCategory.all().order_by("id").values_list("code", "id")),
        fiscal=fiscal,
    )


class Ids:
    """Explicit primary keys per table, continuing after the rows already stored."""

    def __init__(self, offsets: dict[type[Model], int]) -> None:
        self._last = dict(offsets)

    def next(self, model: type[Model]) -> int:
        self._last[model] = self._last.get(model, 0) + 1
        return self._last[model]


@dataclass
class DemoPlan:
    rows: dict[type[Model], list[Model]] = field(default_factory=lambda: defaultdict(list))
    links: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    #: Last reservation sequence per fiscal year.
    counters: dict[int, int] = field(default_factory=dict)

    def add(self, row: Model) -> None:
        self.rows[type(row)].append(row)

    def link(self, table: str, owner: int, target: int) -> None:
        self.links[table].append((owner, target))


@dataclass
class OrgInfo:
    id: int
    name: str
    kind: OrganizationKind
    pref: int
    platform_id: int
    platform_name: str
    staff: list[int] = field(default_factory=list)  # account ids


@dataclass
class CompanyInfo:
    id: int
    name: str
    pref: int
    office_id: int
    registered_by: int | None
    address: str
    city: str
    lat: float
    lng: float
    member: int | None = None  # account id of a company member
    representative: str = ""


@dataclass
class SpecialistInfo:
    id: int
    account_id: int
    name: str
    pref: int
    areas: list[int]
    days_off: frozenset[int]
    #: Commission state per fiscal year: "TERMS" (terms accepted) or "ACTIVE".
    commission: dict[int, str]
    accepting: bool
    qualifications: list[tuple[str, str]]  # (qualification code, other name)
    subsidy: bool
    affiliations: dict[int, tuple[bool, bool]]  # org id → (pays salary, is member)
    home_city: str
    since: date = date.min  # first day a request may reach the specialist
    used_dates: set[date] = field(default_factory=set)
    weight: int = 1


@dataclass
class DemoContext:
    today: date
    rng: random.Random
    scale: float
    masters: Masters
    ids: Ids
    plan: DemoPlan
    password_hash: str
    orgs: list[OrgInfo] = field(default_factory=list)
    companies: list[CompanyInfo] = field(default_factory=list)
    specialists: list[SpecialistInfo] = field(default_factory=list)
    secretariat: dict[int, int] = field(default_factory=dict)  # office id → account id
    national_admin: int = 0
    demo_org: int = 0
    coordinator_org: int = 0
    demo_company: int = 0
    demo_specialist: int = 0

    def __post_init__(self) -> None:
        years = range(self.today.year - 3, self.today.year + 3)
        self.national_holidays: frozenset[date] = frozenset(
            holidays.country_holidays("JP", years=years)
        )

    @property
    def cutoff(self) -> datetime:
        """Every past instant of the plan lies before the start of ``today`` (Asia/Tokyo)."""
        return at(self.today, 0)

    @property
    def current_fy(self) -> int:
        return fiscal_year_of(self.today)

    def dispatch_day_ok(self, day: date) -> bool:
        """A weekday that is no national holiday, outside Dec 29–Jan 3, and on or before its
        fiscal year's last dispatch day."""
        fiscal = self.masters.fiscal.get(fiscal_year_of(day))
        return (
            day.weekday() < 5
            and day not in self.national_holidays
            and not is_year_end_closure(day)
            and fiscal is not None
            and day <= fiscal.last_dispatch_day
        )

    def days_between(self, first: int, last: int) -> list[date]:
        """Dispatch-able days from ``today + first`` to ``today + last`` days (inclusive)."""
        days = (self.today + timedelta(days=offset) for offset in range(first, last + 1))
        return [d for d in days if self.dispatch_day_ok(d)]

    def office_account(self, office_id: int) -> int:
        return self.secretariat[office_id]

    def instant_between(self, start: datetime, end: datetime) -> datetime:
        """A random instant in [start, end), rounded to the minute."""
        span = max(int((end - start).total_seconds() // 60), 1)
        return start + timedelta(minutes=self.rng.randrange(span))
