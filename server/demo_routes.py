"""The paths a demo case took to its status: slots and audit steps, consistent with ``today``.

Every step is one row of the workflow table (models/rules/workflow.py) and becomes one CaseEvent;
user steps happen before the start of ``today`` (the plan's cutoff), dispatches in the past or the
future depending on the status.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta

from models.rules.case_status import CaseAction, CaseStatus, SlotKind
from models.rules.fiscal_year import fiscal_year_of, tokyo_date
from models.rules.money_kinds import EvaluatorKind
from models.rules.roles import Role
from models.rules.workflow import SystemAction
from server.demo_drafts import SYSTEM, CaseDraft, DraftSteps, Slot, instants, received_before
from server.demo_texts import (
    CANCELS_REQUESTER,
    CANCELS_SECRETARIAT,
    CANCELS_SPECIALIST,
    DECLINES,
    NO_SHOWS,
    RETURN_COMMENTS,
)

S = CaseStatus
A = CaseAction


class RouteBuilder(DraftSteps):
    """Fills a draft's slots and steps along one route; False when the specialist has no room."""

    # -- routes without a fixed date ---------------------------------------------------------
    def unfixed_range(self, route: str, received: date) -> tuple[date, date, int]:
        """Where the candidate slots of an unfixed route lie, and the case's fiscal year: that of
        the receipt, or of the first dispatch-able day when the receipt's year has none left."""
        today = self.ctx.today
        if route == "expired":
            lo, hi = received + timedelta(days=3), today - timedelta(days=1)
        elif route in ("decline", "withdraw"):
            lo, hi = received + timedelta(days=5), received + timedelta(days=40)
        else:
            lo, hi = today + timedelta(days=3), today + timedelta(days=45)
        days = self.cal.days[bisect_left(self.cal.days, lo) : bisect_right(self.cal.days, hi)]
        fy = fiscal_year_of(received)
        if days and all(fiscal_year_of(day) != fy for day in days):
            fy = fiscal_year_of(days[0])
        return lo, hi, fy

    def unfixed(self, d: CaseDraft) -> bool:
        ctx, sp, rng = self.ctx, d.specialist, self.ctx.rng
        today = ctx.today
        route = d.route
        lo, hi, fy = self.unfixed_range(route, tokyo_date(d.received_at))
        candidates = self._pick(sp, lo, hi, fy, rng.randint(1, 3))
        if not candidates:
            return False
        d.fy = fy
        self._slots(d, SlotKind.CANDIDATE, candidates, d.received_at)
        self._file(d)
        if route == "open":
            return True
        if route == "expired":
            last_end = max(s.end for s in d.slots)
            self._step(
                d,
                last_end + timedelta(minutes=rng.randint(1, 15)),
                None,
                SYSTEM,
                SystemAction.SLOTS_EXPIRED.value,
                S.NEEDS_COORDINATION,
            )
            return True
        limit = min(self._first_start(d), ctx.cutoff)
        if route == "decline":
            code, secret, comment = rng.choice(DECLINES)
            d.decline = (code, secret, comment)
            (when,) = instants(ctx, d.received_at, limit, 1)
            self._step(
                d,
                when,
                sp.account_id,
                Role.SPECIALIST.value,
                A.DECLINE.value,
                S.DECLINED,
                payload={"reason": code},
                secret={"reasonText": secret},
                comment=comment,
            )
            return True
        if route == "withdraw":
            propose = rng.random() < 0.3
            times = instants(ctx, d.received_at, limit, 2 if propose else 1)
            if propose and not self._propose(d, times[0], lo, hi):
                return False
            actor, role = self._requester(d) if rng.random() < 0.8 else self._secretariat(d)
            d.cancel = rng.choice(CANCELS_REQUESTER)
            self._step(
                d,
                times[-1],
                actor,
                role,
                A.WITHDRAW.value,
                S.CANCELLED,
                payload={"category": d.cancel[0]},
                comment=d.cancel[1],
            )
            return True
        # "proposed" (ADJUSTING) and "rejected" (NEEDS_COORDINATION): proposals lie ahead.
        times = instants(ctx, d.received_at, ctx.cutoff, 2)
        if not self._propose(d, times[0], today + timedelta(days=5), today + timedelta(days=60)):
            return False
        if route == "rejected":
            actor, role = self._requester(d)
            self._step(
                d,
                times[1],
                actor,
                role,
                A.REJECT_PROPOSALS.value,
                S.NEEDS_COORDINATION,
                comment="提案いただいた日程では社内の都合がつきません。",
            )
        return True

    def _propose(self, d: CaseDraft, when: datetime, lo: date, hi: date) -> bool:
        days = self._pick(d.specialist, lo, hi, d.fy, self.ctx.rng.randint(1, 3))
        if not days:
            return False
        self._slots(d, SlotKind.PROPOSED, days, when)
        d.proposal_comment = "ご提示の日程は先約があるため、別の日程をご提案します。"
        self._step(
            d,
            when,
            d.specialist.account_id,
            Role.SPECIALIST.value,
            A.PROPOSE_DATES.value,
            S.ADJUSTING,
            payload={"proposals": len(days)},
            comment=d.proposal_comment,
        )
        return True

    # -- routes with a fixed dispatch window -------------------------------------------------
    def fixed(self, d: CaseDraft, d0: date, lo: date, hi: date) -> bool:
        """Confirm the case on a free day near ``d0`` (within [lo, hi]) and follow it onwards."""
        ctx, sp, rng = self.ctx, d.specialist, self.ctx.rng
        fy = fiscal_year_of(d0)
        near = self.cal.free(
            sp, max(lo, d0 - timedelta(days=10)), min(hi, d0 + timedelta(days=10)), fy
        )
        if not near:
            return False
        day = rng.choice(near)
        d.received_at = received_before(ctx, day)
        r = tokyo_date(d.received_at)
        if r < sp.since or (d.status is S.COMPLETED and not self.evaluators(d)):
            return False
        d.fy = fy
        start, end = self.cal.window(day)
        d.dispatch = (start, end)
        fixed = (day, start, end)
        sp.used_dates.add(day)
        others = [
            x
            for x in self.cal.free(sp, r + timedelta(days=3), day + timedelta(days=10), fy)
            if x != day
        ]
        rng.shuffle(others)
        if d.route == "accept":
            candidates = [day, *others[: rng.randint(0, 2)]]
            position = self._slots(d, SlotKind.CANDIDATE, candidates, d.received_at, fixed)
            self._file(d)
            (when,) = instants(ctx, d.received_at, min(self._first_start(d), ctx.cutoff), 1)
            self._step(
                d,
                when,
                sp.account_id,
                Role.SPECIALIST.value,
                A.ACCEPT.value,
                S.CONFIRMED,
                payload={"slot": {"kind": "CANDIDATE", "position": position}},
            )
        else:
            if len(others) < 2:
                return False
            self._slots(d, SlotKind.CANDIDATE, others[:1], d.received_at)
            self._file(d)
            limit = min(self._first_start(d), start, ctx.cutoff)
            times = instants(ctx, d.received_at, limit, 2 if d.route == "proposal" else 3)
            proposals = [day] if d.route == "proposal" else [others[1]]
            position = self._slots(d, SlotKind.PROPOSED, proposals, times[0], fixed)
            d.proposal_comment = "ご提示の日程は先約があるため、別の日程をご提案します。"
            self._step(
                d,
                times[0],
                sp.account_id,
                Role.SPECIALIST.value,
                A.PROPOSE_DATES.value,
                S.ADJUSTING,
                payload={"proposals": len(proposals)},
                comment=d.proposal_comment,
            )
            actor, role = self._requester(d)
            if d.route == "proposal":
                self._step(
                    d,
                    times[1],
                    actor,
                    role,
                    A.ACCEPT_PROPOSAL.value,
                    S.CONFIRMED,
                    payload={"slot": {"kind": "PROPOSED", "position": position}},
                )
            else:
                self._step(
                    d,
                    times[1],
                    actor,
                    role,
                    A.REJECT_PROPOSALS.value,
                    S.NEEDS_COORDINATION,
                    comment="提案日程では都合がつきません。",
                )
                d.slots.append(Slot(SlotKind.SCHEDULED, 1, start, end, times[2]))
                office, office_role = self._secretariat(d)
                self._step(
                    d,
                    times[2],
                    office,
                    office_role,
                    A.SCHEDULE.value,
                    S.CONFIRMED,
                    payload={"override": False},
                    comment="事務局にて双方と調整し、日程を確定しました。",
                )
        return self._after_confirm(d)

    def _after_confirm(self, d: CaseDraft) -> bool:
        ctx, rng = self.ctx, self.ctx.rng
        assert d.dispatch is not None
        start, end = d.dispatch
        last = d.steps[-1].at
        if d.status is S.CONFIRMED:
            return True
        if d.route == "cancel":
            limit = min(start, ctx.cutoff)
            if last + timedelta(minutes=20) >= limit:
                return False
            (when,) = instants(ctx, last, limit, 1)
            draw = rng.random()
            if draw < 0.25:
                actor, role = d.specialist.account_id, Role.SPECIALIST.value
                d.cancel = rng.choice(CANCELS_SPECIALIST)
            elif draw < 0.4:
                (actor, role), d.cancel = self._secretariat(d), rng.choice(CANCELS_SECRETARIAT)
            else:
                (actor, role), d.cancel = self._requester(d), rng.choice(CANCELS_REQUESTER)
            self._step(
                d,
                when,
                actor,
                role,
                A.CANCEL.value,
                S.CANCELLED,
                payload={"category": d.cancel[0]},
                comment=d.cancel[1],
            )
            return True
        self._step(
            d,
            end + timedelta(minutes=rng.randint(1, 10)),
            None,
            SYSTEM,
            SystemAction.DISPATCH_ENDED.value,
            S.UNREPORTED,
        )
        if d.status is S.UNREPORTED:
            return True
        if d.route == "no_show":
            d.cancel = rng.choice(NO_SHOWS)
            (when,) = instants(
                ctx, end + timedelta(hours=2), min(end + timedelta(days=4), ctx.cutoff), 1
            )
            actor, role = self._secretariat(d)
            self._step(
                d,
                when,
                actor,
                role,
                A.CANCEL.value,
                S.CANCELLED,
                payload={"category": d.cancel[0]},
                comment=d.cancel[1],
            )
            return True
        return self._report_and_evaluate(d, end)

    def _report_and_evaluate(self, d: CaseDraft, end: datetime) -> bool:
        ctx, rng = self.ctx, self.ctx.rng
        returned = rng.random() < 0.1
        completed = d.status is S.COMPLETED
        n = 1 + (2 if returned else 0) + (1 if completed else 0)
        times = iter(
            instants(ctx, end + timedelta(hours=1), min(end + timedelta(days=12), ctx.cutoff), n)
        )
        sp = d.specialist
        self._step(
            d, next(times), sp.account_id, Role.SPECIALIST.value, A.SUBMIT_REPORT.value, S.REPORTED
        )
        if returned:
            office, office_role = self._secretariat(d)
            self._step(
                d,
                next(times),
                office,
                office_role,
                A.RETURN_REPORT.value,
                S.UNREPORTED,
                comment=rng.choice(RETURN_COMMENTS),
            )
            self._step(
                d,
                next(times),
                sp.account_id,
                Role.SPECIALIST.value,
                A.SUBMIT_REPORT.value,
                S.REPORTED,
            )
        d.report_at = d.steps[-1].at
        if completed:
            options = self.evaluators(d)
            rng.shuffle(options)
            kind, evaluator = options[0]
            when = next(times)
            d.evaluations.append((kind, evaluator, when))
            self._step(
                d,
                when,
                evaluator,
                "PLATFORM" if kind is EvaluatorKind.PLATFORM else "COMPANY",
                A.EVALUATE.value,
                S.COMPLETED,
                payload={"evaluatorKind": kind.value},
            )
            if len(options) > 1 and rng.random() < 0.4 and when + timedelta(hours=2) < ctx.cutoff:
                (later,) = instants(ctx, when, ctx.cutoff, 1)
                d.evaluations.append((options[1][0], options[1][1], later))
        return True

    def evaluators(self, d: CaseDraft) -> list[tuple[EvaluatorKind, int]]:
        """Who may evaluate: the platform side of the case and the company's member."""
        found: list[tuple[EvaluatorKind, int]] = []
        if d.org is not None:
            staff = d.filer if d.filer_role is Role.PLATFORM else d.org.staff[0]
            found.append((EvaluatorKind.PLATFORM, staff))
        else:
            registrar = next((o for o in self.ctx.orgs if o.id == d.company.registered_by), None)
            if registrar is not None:
                found.append((EvaluatorKind.PLATFORM, registrar.staff[0]))
        if d.company.member is not None:
            found.append((EvaluatorKind.COMPANY, d.company.member))
        return found
