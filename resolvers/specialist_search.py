"""The parts of the specialist search (domain.md §9, issue 6 item 4) that need more than one
WHERE clause: free on a date range, minimum average evaluation, dispatchable in a fiscal year,
and what a company may filter on (表示項目選択).

**Free on a date range** — a specialist is free when at least one day of the range is
*selectable* for a new request by the scheduling rules (``models.rules.scheduling``): not past,
accepting requests, not beyond the FY's last dispatch day, not a weekly day off, a registered
holiday or (when the specialist is off on them) a national holiday, and with some of its
available hours not taken by CONFIRMED cases — "not fully booked". The exact day calendar of
``Specialist.availability`` is used, computed in memory: the candidates' settings, their
holidays and their confirmed dispatches in the range are three statements; specialists with no
holiday and no dispatch in the range share one calendar per settings pattern. The search then
keeps the free ids (or drops the blocked ones, whichever list is shorter).

**Minimum average evaluation** — the overall average (mean of the four scores over every
evaluation, as ``evaluationSummary.overall``) at least the given value, in SQL (GROUP BY …
HAVING).

**Dispatchable** — stored registration REGISTERED, accepting requests, and the commission terms
of the fiscal year accepted (TERMS_ACCEPTED or ACTIVE, ``models.rules.dispatchability``).

**Companies** filtering on an item a specialist hides from them (industries, areas,
qualifications, evaluations) never find that specialist by it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Avg
from tortoise.queryset import QuerySet

from auth.principal import Principal
from auth.scoping import nothing, visible_profile_fields
from models.cases import DispatchCase
from models.evaluations import Evaluation
from models.fiscal import FiscalYearConfig
from models.rules.fiscal_year import current_fiscal_year, fiscal_year_of, tokyo_date
from models.rules.registration_status import RegistrationStatus
from models.rules.roles import Role
from models.rules.scheduling import (
    DEFAULT_HOLIDAY_HORIZON_MONTHS,
    Availability,
    Slot,
    day_start,
    holiday_horizon_end,
    selectable_days,
)
from models.specialists import Commission, Specialist, SpecialistHoliday
from resolvers.availability import BLOCKING_STATUSES, national_holidays

_SETTINGS = (
    "id",
    "accepting_requests",
    "available_from_min",
    "available_to_min",
    "days_off",
    "off_on_national_holidays",
)


def dispatchable_q(fiscal_year: int) -> Q:
    """Specialists who can be requested for a dispatch in ``fiscal_year``."""
    accepted = Commission.filter(fiscal_year=fiscal_year, terms_accepted_at__isnull=False)
    return Q(
        registration_status=RegistrationStatus.REGISTERED,
        accepting_requests=True,
        id__in=Subquery(accepted.values("specialist_id")),
    )


def status_q(status: RegistrationStatus, fiscal_year: int) -> Q:
    """``registrationStatus`` as the API shows it for ``fiscal_year``: REGISTERED, TERMS_ACCEPTED
    and ACTIVE are the stored REGISTERED split by that year's commission
    (``models.rules.dispatchability.status_for_fiscal_year``); other states are stored as is."""
    commissions = Commission.filter(fiscal_year=fiscal_year)
    accepted = commissions.filter(terms_accepted_at__isnull=False)
    active = accepted.filter(acceptance_received_at__isnull=False)
    registered = Q(registration_status=RegistrationStatus.REGISTERED)
    if status is RegistrationStatus.REGISTERED:
        return registered & ~Q(id__in=Subquery(accepted.values("specialist_id")))
    if status is RegistrationStatus.TERMS_ACCEPTED:
        return (
            registered
            & Q(id__in=Subquery(accepted.values("specialist_id")))
            & ~Q(id__in=Subquery(active.values("specialist_id")))
        )
    if status is RegistrationStatus.ACTIVE:
        return registered & Q(id__in=Subquery(active.values("specialist_id")))
    return Q(registration_status=status)


def min_evaluation_q(minimum: float) -> Q:
    """Overall average ≥ ``minimum``: AVG(sum of the four scores) ≥ 4 × minimum."""
    averages = (
        Evaluation.annotate(
            total=Avg(F("satisfaction") + F("expertise") + F("clarity") + F("responsiveness"))
        )
        .group_by("specialist_id")
        .filter(total__gte=4 * minimum)
        .values("specialist_id")
    )
    return Q(id__in=Subquery(averages))


def _keep(free: list[int], blocked: list[int]) -> Q:
    if not blocked:
        return Q()
    if not free:
        return nothing()
    return Q(id__in=free) if len(free) <= len(blocked) else ~Q(id__in=blocked)


async def hidden_from_company_q(
    principal: Principal, candidates: QuerySet[Specialist], items: set[str]
) -> Q:
    """For a company filtering on display items: drop the specialists hiding any of them."""
    if principal.role is not Role.COMPANY or not items:
        return Q()
    rows = await candidates.values("id", "display_items")
    hidden = [
        int(row["id"])
        for row in rows
        if not items <= visible_profile_fields(principal, {"display_items": row["display_items"]})
    ]
    return ~Q(id__in=hidden) if hidden else Q()


def _availability(row: dict[str, Any], holidays: frozenset[date], horizon: int) -> Availability:
    return Availability(
        accepting_requests=bool(row["accepting_requests"]),
        available_from_min=int(row["available_from_min"]),
        available_to_min=int(row["available_to_min"]),
        days_off=frozenset(int(d) for d in row["days_off"] or () if 0 <= int(d) <= 6),
        off_on_national_holidays=bool(row["off_on_national_holidays"]),
        holidays=holidays,
        holiday_horizon_months=horizon,
    )


async def free_q(candidates: QuerySet[Specialist], first: date, last: date, now: datetime) -> Q:
    """Specialists among ``candidates`` with a selectable day in ``[first, last]`` (≤ 92 days,
    validated by the caller)."""
    rows = await candidates.values(*_SETTINGS)
    if not rows:
        return Q()
    ids = Subquery(candidates.values("id"))
    today = tokyo_date(now)
    current = current_fiscal_year(now)
    configs = await FiscalYearConfig.filter(
        fiscal_year__in=sorted({*range(fiscal_year_of(first), fiscal_year_of(last) + 1), current})
    ).values("fiscal_year", "last_dispatch_day", "holiday_horizon_months")
    last_days = {int(c["fiscal_year"]): c["last_dispatch_day"] for c in configs}
    horizon = next(
        (int(c["holiday_horizon_months"]) for c in configs if c["fiscal_year"] == current),
        DEFAULT_HOLIDAY_HORIZON_MONTHS,
    )
    holidays: dict[int, set[date]] = defaultdict(set)
    for specialist_id, day in await SpecialistHoliday.filter(
        specialist_id__in=ids,
        date__gte=max(first, today),
        date__lte=min(last, holiday_horizon_end(today, horizon)),
    ).values_list("specialist_id", "date"):
        holidays[int(specialist_id)].add(day)
    busy: dict[int, list[Slot]] = defaultdict(list)
    for specialist_id, start, end in await DispatchCase.filter(
        specialist_id__in=ids,
        status__in=list(BLOCKING_STATUSES),
        dispatch_start__lt=day_start(last + timedelta(days=1)),
        dispatch_end__gt=day_start(first),
    ).values_list("specialist_id", "dispatch_start", "dispatch_end"):
        busy[int(specialist_id)].append(Slot(start, end))
    national = national_holidays(range(first.year, last.year + 1))

    def selectable(row: dict[str, Any], own_holidays: set[date], own_busy: list[Slot]) -> bool:
        days = selectable_days(
            _availability(row, frozenset(own_holidays), horizon),
            from_date=first,
            to_date=last,
            busy=own_busy,
            national_holidays=national,
            now=now,
            last_dispatch_days=last_days,
        )
        return any(day.selectable for day in days)

    by_pattern: dict[tuple[Any, ...], bool] = {}
    free: list[int] = []
    blocked: list[int] = []
    for row in rows:
        specialist_id = int(row["id"])
        if specialist_id in holidays or specialist_id in busy:
            ok = selectable(row, holidays[specialist_id], busy[specialist_id])
        else:
            key = tuple(
                tuple(sorted(row[name])) if name == "days_off" else row[name]
                for name in _SETTINGS[1:]
            )
            if key not in by_pattern:
                by_pattern[key] = selectable(row, set(), [])
            ok = by_pattern[key]
        (free if ok else blocked).append(specialist_id)
    return _keep(free, blocked)
