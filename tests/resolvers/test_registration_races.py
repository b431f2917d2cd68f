"""Compare-and-set on registration steps: of concurrent identical steps exactly one wins, the
others get TRANSITION_NOT_ALLOWED naming what is allowed now, with one audit row and one event."""

from __future__ import annotations

import asyncio

from models.audit import AuditEvent
from models.outbox import DomainEvent
from models.rules.errors import ErrorCode
from models.rules.registration import RegistrationActionNotAllowed
from models.specialists import Commission
from resolvers import registration
from tests.factories import build_world
from tests.registration_support import NOW, apply_as_anonymous, complete_profile


async def test_concurrent_approvals_have_exactly_one_winner(db: str) -> None:
    world = await build_world()
    applicant, specialist_id = await apply_as_anonymous()
    await complete_profile(applicant, world)
    await registration.submit(applicant, world.org_o1, True, now=NOW)
    staff = [world.platform_o1_staff, world.platform_r1_coordinator] * 3
    results = await asyncio.gather(
        *(registration.approve_by_organization(p, specialist_id, now=NOW) for p in staff),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, registration.StepResult)]
    losers = [r for r in results if isinstance(r, RegistrationActionNotAllowed)]
    assert len(winners) == 1 and len(losers) == len(staff) - 1
    assert all(r.code is ErrorCode.TRANSITION_NOT_ALLOWED for r in losers)
    assert await AuditEvent.filter(action="registration_approve_by_organization").count() == 1
    events = await DomainEvent.filter(specialist_id=specialist_id).values_list("payload", flat=True)
    assert [p["action"] for p in events].count("APPROVE_BY_ORGANIZATION") == 1  # type: ignore[index]


async def test_concurrent_terms_acceptances_write_one_commission(db: str) -> None:
    world = await build_world()
    applicant, specialist_id = await apply_as_anonymous()
    await complete_profile(applicant, world)
    await registration.submit(applicant, world.org_o1, True, now=NOW)
    await registration.approve_by_organization(world.platform_o1_staff, specialist_id, now=NOW)
    await registration.approve_by_secretariat(world.secretariat_kanto, specialist_id, now=NOW)
    results = await asyncio.gather(
        *(registration.accept_terms(applicant, None, now=NOW) for _ in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, registration.StepResult) for r in results) == 1
    assert all(
        isinstance(r, registration.StepResult | RegistrationActionNotAllowed) for r in results
    ), results
    assert await Commission.filter(specialist_id=specialist_id).count() == 1
    assert await AuditEvent.filter(action="registration_accept_terms").count() == 1
