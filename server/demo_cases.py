"""Demo dispatch cases: every status, spread over the previous and the current fiscal year.

A case is drafted in three moves — its status and route, its parties (filer, company within the
yearly limit, a dispatchable specialist covering the company's prefecture), then the route's slots
and steps (server/demo_routes.py). Drafts are numbered in receipt order afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.rules.case_status import CaseStatus
from models.rules.fiscal_year import (
    fiscal_year_bounds,
    fiscal_year_of,
    reservation_number,
    tokyo_date,
)
from models.rules.roles import Role
from models.rules.search import bigrams
from server.demo_drafts import Calendar, CaseDraft
from server.demo_names import DEMO_PREF
from server.demo_plan import CompanyInfo, DemoContext, OrgInfo, SpecialistInfo, at
from server.demo_routes import RouteBuilder
from server.demo_texts import COMMENTS, OTHER_DETAILS, TEXTS

S = CaseStatus

#: Share of each status among the generated cases.
STATUS_WEIGHTS: dict[CaseStatus, int] = {
    S.UNPROCESSED: 6, S.ADJUSTING: 4, S.NEEDS_COORDINATION: 3, S.CONFIRMED: 9,
    S.UNREPORTED: 5, S.REPORTED: 13, S.COMPLETED: 38, S.DECLINED: 8, S.CANCELLED: 14,
}  # fmt: skip
ROUTES: dict[CaseStatus, tuple[tuple[str, int], ...]] = {
    S.UNPROCESSED: (("open", 1),),
    S.ADJUSTING: (("proposed", 1),),
    S.NEEDS_COORDINATION: (("rejected", 3), ("expired", 1)),
    S.CONFIRMED: (("accept", 7), ("proposal", 2), ("schedule", 1)),
    S.UNREPORTED: (("accept", 7), ("proposal", 2), ("schedule", 1)),
    S.REPORTED: (("accept", 7), ("proposal", 2), ("schedule", 1)),
    S.COMPLETED: (("accept", 7), ("proposal", 2), ("schedule", 1)),
    S.DECLINED: (("decline", 1),),
    S.CANCELLED: (("withdraw", 3), ("cancel", 4), ("no_show", 1)),
}
UNFIXED_ROUTES = frozenset({"open", "proposed", "rejected", "expired", "decline", "withdraw"})
#: Dispatch day range (days from today) of routes with a fixed window, per status/route.
_DISPATCH_RANGE: dict[str, tuple[int, int]] = {
    "CONFIRMED": (1, 60),
    "UNREPORTED": (-20, -1),
    "REPORTED": (-150, -1),
    "COMPLETED": (-800, -3),
    "cancel": (-800, 40),
    "no_show": (-800, -3),
}
_CATEGORY_WEIGHTS = {
    "STRATEGY": 14,
    "SALES": 16,
    "FINANCE": 10,
    "HR": 8,
    "IT": 18,
    "SUCCESSION": 6,
    "STARTUP": 4,
    "OVERSEAS": 3,
    "IP": 3,
    "PRODUCTION": 10,
    "LEGAL": 3,
    "COVID19": 2,
    "OTHER": 3,
}


class CasePlanner:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.routes = RouteBuilder(ctx, Calendar(ctx))
        self.counted: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        self.drafts: list[CaseDraft] = []
        first, _ = fiscal_year_bounds(ctx.current_fy - 1)
        self.earliest = first

    # -- limits ------------------------------------------------------------------------------
    def _has_room(self, company: CompanyInfo, fy: int, is_it: bool) -> bool:
        """Rule §4.1: counted < 5 (IT) or < 3, plus the demo company's exception."""
        fiscal = self.ctx.masters.fiscal[fy]
        extra = 3 if company.id == self.ctx.demo_company and fy == self.ctx.current_fy else 0
        total, non_it = self.counted[(company.id, fy)]
        if is_it:
            return total < fiscal.company_limit_it + extra
        return non_it < fiscal.company_limit + extra and total < fiscal.company_limit_it + extra

    # -- parties -----------------------------------------------------------------------------
    def _org_weight(self, org: OrgInfo) -> int:
        if org.id == self.ctx.demo_org:
            return 8
        if org.id == self.ctx.coordinator_org:
            return 4
        return 2 if org.pref == DEMO_PREF else 1

    def _parties(
        self, fy: int, is_it: bool, company: CompanyInfo | None, prefs: list[int] | None
    ) -> tuple[CompanyInfo, int, Role, OrgInfo | None] | None:
        ctx, rng = self.ctx, self.ctx.rng
        pool = [c for c in ctx.companies if c.id != ctx.demo_company]
        orgs = ctx.orgs
        if prefs is not None:
            pool = [c for c in pool if c.pref in prefs]
            orgs = [o for o in orgs if o.pref in prefs]
        if company is not None:
            pool = [company]
        draw = rng.random()
        if company is None and draw < 0.75:
            org = rng.choices(orgs, weights=[self._org_weight(o) for o in orgs])[0]
            own = [c for c in pool if c.registered_by == org.id]
            near = [c for c in pool if c.pref == org.pref and c.registered_by != org.id]
            for choice in rng.sample(own, len(own)) + rng.sample(near, len(near)):
                if self._has_room(choice, fy, is_it):
                    return choice, rng.choice(org.staff), Role.PLATFORM, org
            return None
        if company is None and draw < 0.87:
            pool = [c for c in pool if c.member is not None]
        rng.shuffle(pool)
        chosen = next((c for c in pool if self._has_room(c, fy, is_it)), None)
        if chosen is None:
            return None
        if chosen.member is not None and (draw < 0.87 or rng.random() < 0.4):
            return chosen, chosen.member, Role.COMPANY, None
        registrar = next((o for o in ctx.orgs if o.id == chosen.registered_by), None)
        if registrar is not None and draw < 0.87:
            return chosen, rng.choice(registrar.staff), Role.PLATFORM, registrar
        return chosen, ctx.office_account(chosen.office_id), Role.SECRETARIAT, None

    def _specialists(self, company: CompanyInfo, fy: int, fresh: bool) -> list[SpecialistInfo]:
        def ok(s: SpecialistInfo) -> bool:
            return fy in s.commission and (s.accepting or not fresh)

        near = [s for s in self.ctx.specialists if ok(s) and company.pref in s.areas]
        return near or [s for s in self.ctx.specialists if ok(s)]

    # -- drafting ----------------------------------------------------------------------------
    def _range(self, status: CaseStatus, route: str, fy: int | None) -> tuple[date, date]:
        today = self.ctx.today
        lo, hi = _DISPATCH_RANGE.get(route) or _DISPATCH_RANGE[status.value]
        first, last = today + timedelta(days=lo), today + timedelta(days=hi)
        first = max(first, self.earliest)
        if fy is not None:
            fy_first, fy_last = fiscal_year_bounds(fy)
            first, last = max(first, fy_first), min(last, fy_last)
        return first, last

    def draft(
        self,
        status: CaseStatus,
        *,
        company: CompanyInfo | None = None,
        specialist: SpecialistInfo | None = None,
        fy: int | None = None,
        categories: list[str] | None = None,
        attempts: int = 30,
    ) -> CaseDraft | None:
        ctx, rng = self.ctx, self.ctx.rng
        routes = ROUTES[status]
        for _ in range(attempts):
            route = rng.choices([r for r, _ in routes], weights=[w for _, w in routes])[0]
            codes = categories or self._categories()
            is_it = any(ctx.masters.issue_ids[c] in ctx.masters.it_issue_ids for c in codes)
            if route in UNFIXED_ROUTES:
                received = self._unfixed_receipt(route)
                d0 = received
                lo, hi, case_fy = self.routes.unfixed_range(route, received)
            else:
                lo, hi = self._range(status, route, fy)
                days = self.routes.cal.days
                span = [d for d in days if lo <= d <= hi]
                if not span:
                    continue
                d0 = rng.choice(span)
                case_fy = fiscal_year_of(d0)
            prefs = specialist.areas if specialist is not None else None
            parties = self._parties(case_fy, is_it, company, prefs)
            if parties is None:
                continue
            chosen_company, filer, role, org = parties
            pool = (
                [specialist]
                if specialist
                else self._specialists(chosen_company, case_fy, route in UNFIXED_ROUTES)
            )
            if specialist is not None and case_fy not in specialist.commission:
                continue
            sp = rng.choices(pool, weights=[s.weight for s in pool])[0]
            d = CaseDraft(
                status,
                route,
                at(d0, rng.randint(8, 19), rng.randrange(60)),
                chosen_company,
                sp,
                filer,
                role,
                org,
            )
            if route in UNFIXED_ROUTES:
                if d0 < sp.since or not self.routes.unfixed(d):
                    continue
            elif not self.routes.fixed(d, d0, lo, hi):
                continue
            if status not in (S.DECLINED, S.CANCELLED):
                counts = self.counted[(chosen_company.id, d.fy)]
                counts[0] += 1
                counts[1] += 0 if is_it else 1
            d.categories = codes
            self.drafts.append(d)
            return d
        return None

    def _unfixed_receipt(self, route: str) -> date:
        rng, today = self.ctx.rng, self.ctx.today
        back = {"open": (1, 6), "proposed": (2, 15), "rejected": (4, 25), "expired": (8, 30)}
        if route in back:
            low, high = back[route]
            return today - timedelta(days=rng.randint(low, high))
        return today - timedelta(days=rng.randint(1, (today - self.earliest).days - 10))

    def _categories(self) -> list[str]:
        codes = list(_CATEGORY_WEIGHTS)
        first = self.ctx.rng.choices(codes, weights=list(_CATEGORY_WEIGHTS.values()))[0]
        if self.ctx.rng.random() < 0.25:
            second = self.ctx.rng.choice([c for c in codes if c != first])
            return [first, second]
        return [first]


#: The demo company's cases: every status this fiscal year, some history last year.
_DEMO_COMPANY_CASES: tuple[tuple[CaseStatus, int, tuple[str, ...]], ...] = (
    (S.COMPLETED, -1, ("PRODUCTION",)), (S.COMPLETED, -1, ("SALES",)),
    (S.CANCELLED, -1, ("FINANCE",)), (S.DECLINED, -1, ("HR",)),
    (S.COMPLETED, 0, ("PRODUCTION",)), (S.REPORTED, 0, ("IT",)), (S.UNREPORTED, 0, ("STRATEGY",)),
    (S.CONFIRMED, 0, ("IT", "PRODUCTION")), (S.NEEDS_COORDINATION, 0, ("SALES",)),
    (S.ADJUSTING, 0, ("IT",)), (S.UNPROCESSED, 0, ("FINANCE",)), (S.DECLINED, 0, ("LEGAL",)),
    (S.CANCELLED, 0, ("HR",)),
)  # fmt: skip


def plan_cases(ctx: DemoContext) -> list[CaseDraft]:
    """Draft every case: the demo parties' cases first, then random ones up to the volume."""
    planner = CasePlanner(ctx)
    demo_company = next(c for c in ctx.companies if c.id == ctx.demo_company)
    demo_specialist = next(s for s in ctx.specialists if s.id == ctx.demo_specialist)
    for status, year, codes in _DEMO_COMPANY_CASES:
        planner.draft(
            status, company=demo_company, fy=ctx.current_fy + year, categories=list(codes)
        )
    for status in CaseStatus:
        for _ in range(3):
            planner.draft(status, specialist=demo_specialist)
    target = max(160, round(840 * ctx.scale))
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    for _ in range(target * 3):
        if len(planner.drafts) >= target:
            break
        planner.draft(ctx.rng.choices(statuses, weights=weights)[0])
    return planner.drafts


def write_cases(ctx: DemoContext, drafts: list[CaseDraft]) -> None:
    """Number the drafts in receipt order and add cases, slots, events and categories."""
    rng, masters = ctx.rng, ctx.masters
    drafts.sort(key=lambda d: d.received_at)
    for d in drafts:
        d.id = ctx.ids.next(DispatchCase)
        sequence = ctx.plan.counters.get(d.fy, 0) + 1
        ctx.plan.counters[d.fy] = sequence
        texts = TEXTS[d.categories[0]]
        title = rng.choice(texts.titles)
        description = rng.choice(texts.backgrounds) + rng.choice(texts.requests)
        if "OTHER" in d.categories:
            description += f"（{rng.choice(OTHER_DETAILS)}）"
        at_factory = rng.random() < 0.15
        start, end = d.dispatch or (None, None)
        d.row = DispatchCase(
            id=d.id,
            reservation_number=reservation_number(d.fy, sequence),
            fiscal_year=d.fy,
            received_at=d.received_at,
            company_id=d.company.id,
            specialist_id=d.specialist.id,
            filed_by_id=d.filer,
            filing_organization_id=d.org.id if d.org else None,
            platform_id=d.org.platform_id if d.org else None,
            office_id=d.company.office_id,
            title=title,
            description=description,
            location_name=f"{d.company.name} {'工場' if at_factory else '本社'}",
            location_address=d.company.address,
            location_lat=round(d.company.lat + (0.004 if at_factory else 0.0), 6),
            location_lng=round(d.company.lng + (0.003 if at_factory else 0.0), 6),
            comment=rng.choice(COMMENTS),
            self_requested=d.org is not None and rng.random() < 0.02,
            status=d.status,
            version=len(d.steps),
            dispatch_start=start,
            dispatch_end=end,
            dispatch_date=tokyo_date(start) if start else None,
            decline_reason_id=masters.decline_ids[d.decline[0]] if d.decline else None,
            decline_reason_text=d.decline[1] if d.decline else "",
            decline_comment=d.decline[2] if d.decline else "",
            cancel_category_id=masters.cancel_ids[d.cancel[0]] if d.cancel else None,
            cancel_reason=d.cancel[1] if d.cancel else "",
            proposal_comment=d.proposal_comment,
            evaluated=bool(d.evaluations),
            search_text=bigrams(f"{title} {description}"),
            created_at=d.received_at,
        )
        ctx.plan.add(d.row)
        for code in d.categories:
            ctx.plan.link("case_issue_category", d.id, masters.issue_ids[code])
        for slot in d.slots:
            ctx.plan.add(
                CaseSlot(
                    id=ctx.ids.next(CaseSlot),
                    case_id=d.id,
                    kind=slot.kind,
                    position=slot.position,
                    start=slot.start,
                    end=slot.end,
                    round=1,
                    created_at=slot.created,
                )
            )
        for version, step in enumerate(d.steps, start=1):
            ctx.plan.add(
                CaseEvent(
                    id=ctx.ids.next(CaseEvent),
                    case_id=d.id,
                    at=step.at,
                    actor_id=step.actor,
                    actor_role=step.role,
                    action=step.action,
                    from_status=step.from_status,
                    to_status=step.to_status,
                    version=version,
                    payload=step.payload,
                    secret_payload=step.secret,
                    comment=step.comment,
                )
            )
