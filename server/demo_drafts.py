"""Demo case drafts: a case before numbering, its slots and audit steps, the calendar."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from models.cases import DispatchCase
from models.rules.case_status import CaseStatus, SlotKind
from models.rules.fiscal_year import fiscal_year_of
from models.rules.money_kinds import EvaluatorKind
from models.rules.roles import Role
from server.demo_plan import CompanyInfo, DemoContext, OrgInfo, SpecialistInfo, at

S = CaseStatus
SYSTEM = "SYSTEM"

#: Start times (hour, minute) and durations in minutes: every window fits 10:00–16:00.
_STARTS = ((10, 0), (10, 30), (13, 0), (13, 30), (14, 0))
_DURATIONS = (60, 90, 120)


@dataclass
class Step:
    at: datetime
    actor: int | None
    role: str
    action: str
    from_status: CaseStatus | None
    to_status: CaseStatus
    payload: dict[str, Any] = field(default_factory=dict)
    secret: dict[str, Any] = field(default_factory=dict)
    comment: str = ""


@dataclass
class Slot:
    kind: SlotKind
    position: int
    start: datetime
    end: datetime
    created: datetime


@dataclass
class CaseDraft:
    """A case before numbering: who, when, and how it got to its status."""

    status: CaseStatus
    route: str
    received_at: datetime
    company: CompanyInfo
    specialist: SpecialistInfo
    filer: int
    filer_role: Role
    org: OrgInfo | None
    fy: int = 0
    categories: list[str] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    dispatch: tuple[datetime, datetime] | None = None
    decline: tuple[str, str, str] | None = None
    cancel: tuple[str, str] | None = None
    proposal_comment: str = ""
    report_at: datetime | None = None
    evaluations: list[tuple[EvaluatorKind, int, datetime]] = field(default_factory=list)
    id: int = 0
    row: DispatchCase | None = None


class Calendar:
    """Dispatch-able days around ``today`` with fast range look-ups."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.days = ctx.days_between(-800, 150)

    def free(self, sp: SpecialistInfo, lo: date, hi: date, fy: int | None = None) -> list[date]:
        days = self.days[bisect_left(self.days, lo) : bisect_right(self.days, hi)]
        return [
            d
            for d in days
            if d not in sp.used_dates
            and d.weekday() not in sp.days_off
            and (fy is None or fiscal_year_of(d) == fy)
        ]

    def window(self, day: date) -> tuple[datetime, datetime]:
        hour, minute = self.ctx.rng.choice(_STARTS)
        start = at(day, hour, minute)
        return start, start + timedelta(minutes=self.ctx.rng.choice(_DURATIONS))


def received_before(ctx: DemoContext, day: date, low: int = 7, high: int = 40) -> datetime:
    """A receipt time some days before ``day`` and before today."""
    received = day - timedelta(days=ctx.rng.randint(low, high))
    if received >= ctx.today:
        received = ctx.today - timedelta(days=ctx.rng.randint(1, 7))
    return at(received, ctx.rng.randint(8, 19), ctx.rng.randrange(60))


def instants(ctx: DemoContext, start: datetime, end: datetime, n: int) -> list[datetime]:
    """``n`` increasing instants strictly between ``start`` and ``end``."""
    end = max(end, start + timedelta(minutes=10 * n + 10))
    points = sorted(ctx.instant_between(start + timedelta(minutes=5), end) for _ in range(n))
    for i in range(1, n):
        if points[i] <= points[i - 1]:
            points[i] = points[i - 1] + timedelta(minutes=1)
    return points


class DraftSteps:
    """Slot and step helpers shared by the routes."""

    def __init__(self, ctx: DemoContext, calendar: Calendar) -> None:
        self.ctx = ctx
        self.cal = calendar

    # -- slots -------------------------------------------------------------------------------
    def _slots(
        self,
        d: CaseDraft,
        kind: SlotKind,
        days: list[date],
        created: datetime,
        fixed: tuple[date, datetime, datetime] | None = None,
    ) -> int:
        """Add slots on ``days``; the ``fixed`` day keeps its window. Returns its position."""
        chosen = 0
        for position, day in enumerate(sorted(days), start=1):
            if fixed is not None and day == fixed[0]:
                start, end, chosen = fixed[1], fixed[2], position
            else:
                start, end = self.cal.window(day)
            d.slots.append(Slot(kind, position, start, end, created))
            d.specialist.used_dates.add(day)
        return chosen

    def _pick(self, sp: SpecialistInfo, lo: date, hi: date, fy: int, n: int) -> list[date]:
        free = self.cal.free(sp, lo, hi, fy)
        return self.ctx.rng.sample(free, k=min(n, len(free)))

    def _first_start(self, d: CaseDraft) -> datetime:
        return min(s.start for s in d.slots)

    # -- steps -------------------------------------------------------------------------------
    def _step(
        self,
        d: CaseDraft,
        when: datetime,
        actor: int | None,
        role: str,
        action: str,
        to: CaseStatus,
        **extra: Any,
    ) -> None:
        previous = d.steps[-1].to_status if d.steps else None
        d.steps.append(Step(when, actor, role, action, previous, to, **extra))

    def _requester(self, d: CaseDraft) -> tuple[int, str]:
        return d.filer, d.filer_role.value

    def _secretariat(self, d: CaseDraft) -> tuple[int, str]:
        return self.ctx.office_account(d.company.office_id), Role.SECRETARIAT.value

    def _file(self, d: CaseDraft) -> None:
        self._step(
            d,
            d.received_at,
            d.filer,
            d.filer_role.value,
            "FILE",
            S.UNPROCESSED,
            payload={"candidates": len(d.slots)},
        )
