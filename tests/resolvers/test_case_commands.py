"""The one transition engine and the sweeper (issue 3 items 4–5), below GraphQL.

Given/when/then against a real database: the order of the engine's steps, all-or-nothing
writes, FORBIDDEN before any case SQL, validate-only, idempotent system transitions, and
``FOR UPDATE SKIP LOCKED`` sharing the sweep between processes on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from models.audit import AuditEvent
from models.cases import CaseEvent, DispatchCase
from models.companies import Company
from models.organisations import SupportOrganization
from models.outbox import DomainEvent
from models.rules.case_status import CaseAction, CaseStatus, SlotKind
from models.rules.errors import (
    ErrorCode,
    FieldError,
    Forbidden,
    NotFound,
    StaleVersion,
    ValidationErrors,
)
from models.rules.fiscal_year import TOKYO
from models.rules.workflow import ActionNotAllowed
from models.specialists import Specialist
from resolvers.case_commands import Change, LockedCase, advance_case, run_transition
from resolvers.case_sweeper import due_case_ids, sweep_once
from server.app import BackgroundLoop
from server.loops import CASE_SWEEPER, register_loops, sweep_cases
from tests.factories import World, build_world, make_case, make_slot
from tests.statements import counting_statements


def jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TOKYO)


NOW = jst(6, 2, 10)
START = jst(6, 11, 10)


async def _request(world: World, **kw: Any) -> DispatchCase:
    """An UNPROCESSED request of O1 for C1 to S1 with one candidate slot at ``START``."""
    case = await make_case(
        await Company.get(id=world.company_c1),
        await Specialist.get(id=world.specialist_s1),
        await _account(world.platform_o1_staff.account_id),
        await SupportOrganization.get(id=world.org_o1),
        **kw,
    )
    await make_slot(case, START, kind=SlotKind.CANDIDATE)
    return case


async def _account(account_id: int | None) -> Any:
    from models.accounts import UserAccount

    return await UserAccount.get(id=account_id)


async def _confirmed(world: World) -> DispatchCase:
    return await _request(
        world,
        status=CaseStatus.CONFIRMED,
        version=2,
        dispatch_start=START,
        dispatch_end=START + timedelta(hours=2),
        dispatch_date=START.date(),
    )


async def _rows(case_id: int) -> dict[str, Any]:
    return {
        "case": await DispatchCase.filter(id=case_id).values("status", "version", "cancel_reason"),
        "history": await CaseEvent.filter(case_id=case_id).count(),
        "events": await DomainEvent.filter(case_id=case_id).count(),
        "audit": await AuditEvent.all().count(),
    }


def _withdraw(reason: str = "取下げ") -> Any:
    async def apply(case: LockedCase) -> Change:
        return Change(updates={"cancel_reason": reason}, payload={"reason": reason})

    return apply


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


async def test_a_due_system_transition_is_written_before_the_users(world: World) -> None:
    # given an unanswered request whose only candidate slot has ended
    case = await _request(world)
    later = START + timedelta(hours=3)
    # when the filer withdraws it, judged on the derived 要調整
    result = await run_transition(
        world.platform_o1_staff, case.id, 1, CaseAction.WITHDRAW, later, _withdraw()
    )
    # then two transitions are stored in order, each with its history row and event
    assert (result.status, result.version, result.committed) == (CaseStatus.CANCELLED, 3, True)
    history = (
        await CaseEvent.filter(case_id=case.id)
        .order_by("id")
        .values("action", "from_status", "to_status", "version", "actor_role", "actor_id", "at")
    )
    assert [(h["action"], h["from_status"], h["to_status"], h["version"]) for h in history] == [
        ("SLOTS_EXPIRED", CaseStatus.UNPROCESSED, CaseStatus.NEEDS_COORDINATION, 2),
        ("WITHDRAW", CaseStatus.NEEDS_COORDINATION, CaseStatus.CANCELLED, 3),
    ]
    assert (history[0]["actor_role"], history[0]["actor_id"]) == ("SYSTEM", None)
    assert history[1]["actor_role"] == "PLATFORM"
    assert history[1]["at"] == later
    events = (
        await DomainEvent.filter(case_id=case.id)
        .order_by("id")
        .values("kind", "version", "payload")
    )
    assert [(e["kind"], e["version"]) for e in events] == [
        ("CASE_NEEDS_COORDINATION", 2),
        ("CASE_CANCELLED", 3),
    ]
    assert events[1]["payload"]["reason"] == "取下げ"
    assert events[1]["payload"]["reservationNumber"] == case.reservation_number
    audit = await AuditEvent.filter(action="case_transition").values("detail")
    assert [a["detail"]["action"] for a in audit] == ["SLOTS_EXPIRED", "WITHDRAW"]


async def test_a_failing_action_leaves_no_trace_not_even_the_system_transition(
    world: World,
) -> None:
    # given an unanswered request whose slot has ended
    case = await _request(world)
    later = START + timedelta(hours=3)
    before = await _rows(case.id)

    async def invalid(locked: LockedCase) -> Change:
        raise ValidationErrors([FieldError(ErrorCode.REQUIRED, "入力してください。", ("input",))])

    async def crashing(locked: LockedCase) -> Change:
        async def write() -> None:
            raise RuntimeError("disk full")

        return Change(write=write)

    # when the action's own validation fails, and when its writes crash
    with pytest.raises(ValidationErrors):
        await run_transition(
            world.platform_o1_staff, case.id, 1, CaseAction.WITHDRAW, later, invalid
        )
    with pytest.raises(RuntimeError):
        await run_transition(
            world.platform_o1_staff, case.id, 1, CaseAction.WITHDRAW, later, crashing
        )
    # then nothing at all was written
    assert await _rows(case.id) == before


async def test_a_stale_version_wins_over_every_other_refusal(world: World) -> None:
    # given a case already cancelled at version 3
    case = await _request(world, status=CaseStatus.CANCELLED, version=3)
    # when a party acts on the version it saw before, and on the current one
    with pytest.raises(StaleVersion) as stale:
        await run_transition(world.platform_o1_staff, case.id, 2, CaseAction.WITHDRAW, NOW)
    with pytest.raises(ActionNotAllowed) as illegal:
        await run_transition(world.platform_o1_staff, case.id, 3, CaseAction.WITHDRAW, NOW)
    # then the first is told its view is stale, the second what is allowed (nothing)
    assert stale.value.field == ("input", "version")
    assert illegal.value.code is ErrorCode.TRANSITION_NOT_ALLOWED
    assert illegal.value.field == ("input", "id")
    assert illegal.value.allowed == ()


async def test_out_of_scope_is_not_found(world: World) -> None:
    # given a request of O1 for C1
    case = await _request(world)
    # when O2 staff (another platform) act on it, or on an id that does not exist
    for case_id in (case.id, 987_654):
        with pytest.raises(NotFound) as missing:
            await run_transition(
                world.platform_o2_staff, case_id, 1, CaseAction.WITHDRAW, NOW, _withdraw()
            )
        # then both are the same "not found"
        assert missing.value.field == ("input", "id")
    assert (await DispatchCase.get(id=case.id)).status is CaseStatus.UNPROCESSED


async def test_forbidden_is_audited_before_any_case_sql(world: World) -> None:
    # given a request and a company member, who can never schedule
    case = await _request(world)
    # when the company member tries the secretariat's action
    with counting_statements() as statements, pytest.raises(Forbidden):
        await run_transition(world.company_c1_user, case.id, 1, CaseAction.SCHEDULE, NOW)
    # then the only statement is the authz_fail audit row
    assert len(statements) == 1 and statements[0].upper().startswith("INSERT")
    audit = await AuditEvent.get(action="authz_fail")
    assert (audit.actor_id, audit.actor_role, audit.target_type, audit.target_id) == (
        world.company_c1_user.account_id,
        "COMPANY",
        "DispatchCase",
        str(case.id),
    )
    assert audit.detail == {"action": "SCHEDULE"}


async def test_validate_only_rolls_everything_back(world: World) -> None:
    # given an unanswered request whose slot has ended (a system transition is due)
    case = await _request(world)
    before = await _rows(case.id)
    # when a withdrawal is only validated
    result = await run_transition(
        world.platform_o1_staff,
        case.id,
        1,
        CaseAction.WITHDRAW,
        START + timedelta(hours=3),
        _withdraw(),
        validate_only=True,
    )
    # then it reports what would happen and writes nothing
    assert (result.status, result.version, result.committed) == (CaseStatus.CANCELLED, 3, False)
    assert await _rows(case.id) == before


async def test_advance_case_is_idempotent(world: World) -> None:
    # given a confirmed dispatch
    case = await _confirmed(world)
    # when it is advanced before the end, at the end, and again
    early = await advance_case(case.id, START)
    due = await advance_case(case.id, START + timedelta(hours=2))
    again = await advance_case(case.id, START + timedelta(hours=2))
    # then only the call at the end wrote, once
    assert (early, due, again) == (False, True, False)
    stored = await DispatchCase.get(id=case.id)
    assert (stored.status, stored.version) == (CaseStatus.UNREPORTED, 3)
    assert await CaseEvent.filter(case_id=case.id, action="DISPATCH_ENDED").count() == 1
    assert await DomainEvent.filter(case_id=case.id, kind="CASE_UNREPORTED").count() == 1


async def test_the_sweeper_picks_exactly_the_lagging_cases(world: World) -> None:
    # given a confirmed dispatch, an unanswered request and cases with nothing due
    confirmed = await _confirmed(world)
    unanswered = await _request(world)
    after_all = START + timedelta(hours=3)
    # when the due cases are listed and swept in batches of one
    due = await due_case_ids(after_all)
    first = await sweep_once(after_all, batch=1)
    rest = await sweep_once(after_all, batch=100)
    # then both cases (and the world's unanswered request) are written, each exactly once
    assert {confirmed.id, unanswered.id} <= set(due)
    assert first == 1 and first + rest == len(due)
    assert await due_case_ids(after_all) == []
    statuses = dict(
        await DispatchCase.filter(id__in=[confirmed.id, unanswered.id]).values_list("id", "status")
    )
    assert statuses == {
        confirmed.id: CaseStatus.UNREPORTED,
        unanswered.id: CaseStatus.NEEDS_COORDINATION,
    }


async def test_the_sweeper_skips_a_case_another_process_holds(world: World) -> None:
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("row locks with SKIP LOCKED exist on PostgreSQL only")
    # given two due dispatches, one of them locked by another transaction (connection)
    held = await _confirmed(world)
    free = await _confirmed(world)
    after = START + timedelta(hours=3)
    locked, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with in_transaction():
            await DispatchCase.filter(id=held.id).select_for_update().first()
            locked.set()
            await release.wait()

    task = asyncio.create_task(holder())
    await asyncio.wait_for(locked.wait(), 10)
    try:
        # when the sweeper runs meanwhile
        written = await asyncio.wait_for(sweep_once(after), 10)
        free_status = (await DispatchCase.get(id=free.id)).status
        held_status = (await DispatchCase.get(id=held.id)).status
    finally:
        release.set()
        await task
    # then it did not wait: the free case is written, the held one left for a later pass
    assert written >= 1
    assert (free_status, held_status) == (CaseStatus.UNREPORTED, CaseStatus.CONFIRMED)
    assert await sweep_once(after) == 1
    assert (await DispatchCase.get(id=held.id)).status is CaseStatus.UNREPORTED


async def test_the_sweeper_loop_is_registered_once_and_idles_when_nothing_is_due(
    world: World,
) -> None:
    # given an empty list of loops
    loops: list[BackgroundLoop] = []
    # when the product's loops are registered twice
    register_loops(loops)
    first = len(loops)
    register_loops(loops)
    # then the sweeper is there once, and a pass with nothing left due reports idle
    assert len(loops) == first
    assert [loop.name for loop in loops].count(CASE_SWEEPER.name) == 1
    await sweep_once(datetime.now(TOKYO))
    assert await sweep_cases() is False
