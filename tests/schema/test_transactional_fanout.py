"""Outbox rows are written in the transaction of the change (issue 5 item 1, architecture.md
habit 3): right after a mutation commits its mail rows exist, no expander pass needed; a
refused mutation leaves neither an event nor a mail."""

from __future__ import annotations

from models.outbox import DomainEvent, OutboxMessage, OutboxStatus
from tests.factories import World, build_world, make_commission
from tests.schema.test_case_mutations import WITHDRAW, act, file_case, pk_of


async def _world() -> World:
    world = await build_world()
    await make_commission(world.specialist_s1, 2025)
    return world


async def test_a_filed_case_has_its_mails_queued_when_the_mutation_returns(db: str) -> None:
    # given a platform that files a request for C1 with S1
    world = await _world()
    # when the mutation returns
    case = await file_case(world)
    # then the event is expanded and the specialist's mail waits in the outbox
    (event,) = await DomainEvent.filter(case_id=pk_of(case["id"])).values(
        "id", "kind", "expanded_at"
    )
    assert event["kind"] == "CASE_FILED"
    assert event["expanded_at"] is not None
    mails = await OutboxMessage.filter(event_id=event["id"]).values(
        "template", "status", "recipient_id"
    )
    assert [(m["template"], m["status"]) for m in mails] == [("CASE_FILED", OutboxStatus.PENDING)]
    assert mails[0]["recipient_id"] == world.specialist_s1_user.account_id


async def test_a_refused_mutation_queues_no_mail(db: str) -> None:
    # given a filed request and its queued mails
    world = await _world()
    case = await file_case(world)
    events_before = await DomainEvent.all().count()
    mails_before = await OutboxMessage.all().count()
    # when a withdrawal is refused (no reason)
    refused = await act(world.company_c1_user, WITHDRAW, id=case["id"], version=1, reason=" ")
    # then nothing was queued
    assert [e["code"] for e in refused["userErrors"]] == ["REQUIRED"]
    assert await DomainEvent.all().count() == events_before
    assert await OutboxMessage.all().count() == mails_before


async def test_a_withdrawal_queues_the_mails_of_every_other_party(db: str) -> None:
    # given a filed request
    world = await _world()
    case = await file_case(world)
    # when the company withdraws it
    done = await act(world.company_c1_user, WITHDRAW, id=case["id"], version=1, reason="解決済み")
    # then the cancellation mails are in the outbox at once, none to the company itself
    assert done["userErrors"] == []
    (event,) = await DomainEvent.filter(case_id=pk_of(case["id"]), kind="CASE_CANCELLED").values(
        "id"
    )
    recipients = set(
        await OutboxMessage.filter(event_id=event["id"]).values_list("recipient_id", flat=True)
    )
    assert world.specialist_s1_user.account_id in recipients
    assert world.company_c1_user.account_id not in recipients
