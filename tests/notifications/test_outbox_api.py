"""``outboxMessages`` and ``outboxRequeue``: the secretariat's view of mail delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from auth.principal import Principal
from models.audit import AuditEvent
from models.cases import DispatchCase
from models.outbox import OutboxMessage, OutboxStatus
from models.rules.events import EventKind
from models.settings import current_settings
from notifications.fanout import expand_event
from schema.context import Context
from schema.relay import to_global_id
from schema.root import build_schema
from tests.factories import World, build_world
from tests.notifications.support import change_case, settings_for

SCHEMA = build_schema(current_settings())
NOW = datetime(2025, 6, 3, tzinfo=UTC)

LIST = """
query ($filter: OutboxMessageFilter, $first: Int, $after: String) {
  outboxMessages(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id template toAddress status attempts messageId subject eventKind lastError
            case { reservationNumber } }
  }
}
"""
REQUEUE = """
mutation ($ids: [ID!]!) {
  outboxRequeue(input: {ids: $ids}) {
    messages { id status attempts messageId }
    userErrors { field code message }
  }
}
"""


async def run(principal: Principal, query: str, **variables: Any) -> Any:
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    return await SCHEMA.execute(query, variable_values=variables, context_value=context)


def gid(row: OutboxMessage) -> str:
    return to_global_id("OutboxMessage", row.id)


async def _mails(world: World) -> tuple[list[OutboxMessage], list[OutboxMessage]]:
    """Mails of a 関東 case (S1/C1 confirmed) and of a 近畿 case (S1/C2 to coordination)."""
    kanto = await change_case(world.case_s1_c1, EventKind.CASE_CONFIRMED)
    kinki = await change_case(world.case_s1_c2_r1, EventKind.CASE_NEEDS_COORDINATION)
    for event in (kanto, kinki):
        await expand_event(event, NOW, settings_for())
    return (
        await OutboxMessage.filter(event_id=kanto).order_by("id"),
        await OutboxMessage.filter(event_id=kinki).order_by("id"),
    )


async def test_each_office_lists_the_mails_of_its_cases_newest_first(db: str) -> None:
    world = await build_world()
    kanto, kinki = await _mails(world)
    await OutboxMessage.filter(id=kanto[0].id).update(
        status=OutboxStatus.DEAD, last_error="550 No such user"
    )
    # the 関東 office sees its four mails, the national secretariat all six
    result = await run(world.secretariat_kanto, LIST)
    assert result.errors is None
    listed = result.data["outboxMessages"]
    assert listed["totalCount"] == 4
    assert [n["id"] for n in listed["nodes"]] == [gid(r) for r in reversed(kanto)]
    case = await DispatchCase.get(id=world.case_s1_c1)
    assert {n["case"]["reservationNumber"] for n in listed["nodes"]} == {case.reservation_number}
    national = await run(world.secretariat_national, LIST, first=5)
    assert national.data["outboxMessages"]["totalCount"] == len(kanto) + len(kinki)
    assert national.data["outboxMessages"]["pageInfo"]["hasNextPage"] is True
    # filtered to dead letters
    dead = await run(world.secretariat_kanto, LIST, filter={"statuses": ["DEAD"]})
    [node] = dead.data["outboxMessages"]["nodes"]
    assert node["status"] == "DEAD" and node["lastError"] == "550 No such user"
    assert node["eventKind"] == "CASE_CONFIRMED"
    assert node["subject"].startswith("【専門家派遣】派遣日程決定（派遣依頼予約番号:")
    assert node["messageId"] == kanto[0].message_id


async def test_other_roles_are_refused_with_an_audit_row_only(db: str) -> None:
    world = await build_world()
    kanto, _ = await _mails(world)
    await OutboxMessage.filter(id=kanto[0].id).update(status=OutboxStatus.DEAD)
    for principal in (world.company_c1_user, world.platform_o1_staff, world.specialist_s1_user):
        listed = await run(principal, LIST)
        assert listed.data is None
        assert listed.errors[0].extensions["code"] == "FORBIDDEN"
        requeued = await run(principal, REQUEUE, ids=[gid(kanto[0])])
        assert requeued.data["outboxRequeue"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert await AuditEvent.filter(action="authz_fail").count() == 6
    assert (await OutboxMessage.get(id=kanto[0].id)).status == OutboxStatus.DEAD


async def test_requeue_puts_dead_letters_back_with_the_same_message_id(db: str) -> None:
    world = await build_world()
    kanto, kinki = await _mails(world)
    dead, sent = kanto[0], kanto[1]
    await OutboxMessage.filter(id=dead.id).update(
        status=OutboxStatus.DEAD, attempts=8, last_error="550 No such user"
    )
    await OutboxMessage.filter(id=sent.id).update(status=OutboxStatus.SENT)
    # bad input: a sent mail, another office's mail, a malformed ID — nothing changes
    refused = await run(world.secretariat_kanto, REQUEUE, ids=[gid(dead), gid(sent), gid(kinki[0])])
    errors = refused.data["outboxRequeue"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "ids", "1"], "TRANSITION_NOT_ALLOWED"),
        (["input", "ids", "2"], "NOT_FOUND"),
    ]
    malformed = await run(world.secretariat_kanto, REQUEUE, ids=["abc"])
    assert malformed.data["outboxRequeue"]["userErrors"][0]["code"] == "INVALID"
    assert (await OutboxMessage.get(id=dead.id)).status == OutboxStatus.DEAD
    # when the office requeues the dead letter
    result = await run(world.secretariat_kanto, REQUEUE, ids=[gid(dead)])
    # then it waits again, due now, with a fresh attempt count and the same Message-ID
    assert result.data["outboxRequeue"] == {
        "messages": [
            {"id": gid(dead), "status": "PENDING", "attempts": 0, "messageId": dead.message_id}
        ],
        "userErrors": [],
    }
    stored = await OutboxMessage.get(id=dead.id)
    assert stored.next_attempt_at <= datetime.now(UTC)
    assert await AuditEvent.filter(action="outbox_requeue").count() == 1
