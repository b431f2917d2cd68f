"""Fan-out: a DomainEvent written with its change becomes one outbox row per recipient.

Recipients follow domain.md §8 and the scoping rules; the secretariat-only decline reason never
reaches a mail; a change that rolls back leaves neither event nor mail; expansion is idempotent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from auth.scoping import case_in_scope, case_scope
from models.accounts import UserAccount
from models.cases import DispatchCase
from models.outbox import DomainEvent, OutboxMessage, OutboxStatus
from models.rules.case_status import CaseStatus
from models.rules.events import EventKind
from models.rules.registration_status import RegistrationStatus
from models.specialists import Specialist
from notifications.fanout import Expander, expand_event
from notifications.templates import render
from schema.relay import to_global_id
from tests.factories import build_world
from tests.notifications.support import change_case, outbox_of, provider, settings_for

NOW = datetime(2025, 6, 3, 0, 0, tzinfo=UTC)


async def _emails(*principal_accounts: int | None) -> set[str]:
    ids = [a for a in principal_accounts if a is not None]
    return set(await UserAccount.filter(id__in=ids).values_list("email", flat=True))  # type: ignore[arg-type]


async def _expand(event_id: int) -> list[OutboxMessage]:
    written = await expand_event(event_id, NOW, settings_for())
    assert written is not None
    return await outbox_of(event_id)


async def test_confirmed_reaches_specialist_filer_company_and_platform_coordinator(db: str) -> None:
    # given case S1/C1 filed by O1 staff on platform R1
    world = await build_world()
    event = await change_case(
        world.case_s1_c1,
        EventKind.CASE_CONFIRMED,
        to_status=CaseStatus.CONFIRMED,
        actor_id=world.specialist_s1_user.account_id,
        actor_role="SPECIALIST",
    )
    # when the event is expanded
    rows = await _expand(event)
    # then the four parties get one mail each, addressed by name with their role's context
    assert {r.to_address for r in rows} == await _emails(
        world.specialist_s1_user.account_id,
        world.platform_o1_staff.account_id,
        world.company_c1_user.account_id,
        world.platform_r1_coordinator.account_id,
    )
    assert {r.context["audience"] for r in rows} == {"SPECIALIST", "FILER", "COMPANY", "PLATFORM"}
    assert all(r.template == "CASE_CONFIRMED" and r.status == OutboxStatus.PENDING for r in rows)
    assert all(r.next_attempt_at == NOW for r in rows)
    specialist = next(r for r in rows if r.context["audience"] == "SPECIALIST")
    assert specialist.context["addressee"] == "山田太郎"
    assert specialist.context["link"] == (
        f"http://testserver/cases/{to_global_id('DispatchCase', world.case_s1_c1)}"
    )
    # nobody outside the case's parties (other offices, other companies, specialist S2)
    assert not await _emails(world.secretariat_kinki.account_id) & {r.to_address for r in rows}


async def test_message_ids_are_deterministic_and_unique(db: str) -> None:
    world = await build_world()
    event = await change_case(world.case_s1_c1, EventKind.CASE_CONFIRMED)
    rows = await _expand(event)
    ids = [r.message_id for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(f"<haken.e{event}.") and i.endswith("@haken.example.jp>") for i in ids)


async def test_a_decline_never_carries_the_secretariat_only_reason(db: str) -> None:
    # given S2 declines case S2/C2 with a free-text reason for the secretariat only
    world = await build_world()
    event = await change_case(
        world.case_s2_c2,
        EventKind.CASE_DECLINED,
        to_status=CaseStatus.DECLINED,
        actor_id=world.specialist_s2_user.account_id,
        actor_role="SPECIALIST",
        comment=world.s2_decline_text,
    )
    # when expanded
    rows = await _expand(event)
    # then filer and company are told, with category and comment, never the secret text
    assert {r.to_address for r in rows} == await _emails(
        world.platform_o2_staff.account_id, world.company_c2_user.account_id
    )
    for row in rows:
        text = json.dumps(row.context, ensure_ascii=False)
        mail = render(row.template, row.context)
        assert world.s2_decline_text not in text
        assert world.s2_decline_text not in mail.body + mail.subject
        assert "辞退理由：日程が合わない" in mail.body
        assert "専門家からのコメント：またの機会にお願いします" in mail.body


async def test_a_cancellation_goes_to_every_other_party(db: str) -> None:
    # given the specialist S2 cancels case S2/C1 (filed by the C1 member itself, office 関東)
    world = await build_world()
    event = await change_case(
        world.case_s2_c1,
        EventKind.CASE_CANCELLED,
        to_status=CaseStatus.CANCELLED,
        actor_id=world.specialist_s2_user.account_id,
        actor_role="SPECIALIST",
        updates={"cancel_reason": "体調不良のため", "cancel_category_id": world.cancel_category},
    )
    rows = await _expand(event)
    # then the company (also the filer) and the 関東 office are told, the specialist is not
    assert {r.to_address for r in rows} == await _emails(
        world.company_c1_user.account_id, world.secretariat_kanto.account_id
    )
    body = render(rows[0].template, rows[0].context).body
    assert "専門家からキャンセルの連絡が入りました" in body
    assert "キャンセル区分：企業都合" in body
    assert "キャンセル理由：体調不良のため" in body


async def test_coordination_tells_the_office_of_the_company_and_the_specialist(db: str) -> None:
    # given case S1/C2 (company in 大阪府 → 近畿), every slot expired (system transition)
    world = await build_world()
    event = await change_case(
        world.case_s1_c2_r1,
        EventKind.CASE_NEEDS_COORDINATION,
        to_status=CaseStatus.NEEDS_COORDINATION,
    )
    rows = await _expand(event)
    assert {r.to_address for r in rows} == await _emails(
        world.secretariat_kinki.account_id, world.specialist_s1_user.account_id
    )
    office = next(r for r in rows if r.context["audience"] == "SECRETARIAT")
    assert office.context["office"]["name"] == "近畿事務局"
    assert "候補日時がすべて経過" in render(office.template, office.context).body


async def test_inactive_accounts_get_no_mail(db: str) -> None:
    world = await build_world()
    await UserAccount.filter(id=world.company_c1_user.account_id).update(is_active=False)
    event = await change_case(world.case_s1_c1, EventKind.CASE_CONFIRMED)
    rows = await _expand(event)
    assert not await _emails(world.company_c1_user.account_id) & {r.to_address for r in rows}
    assert len(rows) == 3


async def test_a_rolled_back_change_leaves_no_event_and_no_mail(db: str) -> None:
    world = await build_world()
    with pytest.raises(RuntimeError):
        await change_case(world.case_s1_c1, EventKind.CASE_CONFIRMED, fail=True)
    assert await DomainEvent.all().count() == 0
    assert await Expander(settings=provider(settings_for())).step() is False
    assert await OutboxMessage.all().count() == 0
    case = await DispatchCase.get(id=world.case_s1_c1)
    assert case.version == 1


async def test_expansion_is_idempotent_and_marks_the_event(db: str) -> None:
    world = await build_world()
    event = await change_case(world.case_s1_c1, EventKind.CASE_CONFIRMED)
    expander = Expander(settings=provider(settings_for()), clock=lambda: NOW)
    assert await expander.step() is True
    assert await expander.step() is False  # nothing pending any more
    assert await expand_event(event, NOW, settings_for()) is None
    assert await OutboxMessage.filter(event_id=event).count() == 4
    stored = await DomainEvent.get(id=event)
    assert stored.expanded_at == NOW


async def test_events_without_mail_are_marked_expanded_with_no_rows(db: str) -> None:
    world = await build_world()
    event = await change_case(world.case_s1_c1, EventKind.CASE_CHECKED_IN)
    assert await expand_event(event, NOW, settings_for()) == 0
    assert (await DomainEvent.get(id=event)).expanded_at == NOW


async def test_a_registration_step_reaches_specialist_organisation_and_office(db: str) -> None:
    # given S3 (東京都, recommended by O1) submitted its registration
    world = await build_world()
    await Specialist.filter(id=world.specialist_s3).update(
        registration_status=RegistrationStatus.PENDING_ORG_APPROVAL
    )
    event = await DomainEvent.create(
        kind=EventKind.REGISTRATION_CHANGED.value,
        specialist_id=world.specialist_s3,
        payload={"toStatus": "PENDING_ORG_APPROVAL"},
    )
    rows = await _expand(int(event.id))
    # then S3, the O1 staff (both accounts of O1) and the 関東 office are told
    assert {r.to_address for r in rows} == await _emails(
        world.specialist_s3_user.account_id,
        world.platform_o1_staff.account_id,
        world.platform_r1_coordinator.account_id,
        world.secretariat_kanto.account_id,
    )
    org = next(r for r in rows if r.context["audience"] == "ORGANIZATION")
    body = render(org.template, org.context).body
    assert "佐藤次郎様の専門家登録の状況が「支援機関承認待ち」となりました。" in body
    assert "承認の手続きをお願い致します" in body


async def test_the_in_memory_scope_agrees_with_the_sql_scope(db: str) -> None:
    # given every principal of the fixture world and every case
    world = await build_world()
    rows = await DispatchCase.all().values(
        "id",
        "specialist_id",
        "company_id",
        "filing_organization_id",
        "platform_id",
        "office_id",
        company_registered_by_id="company__registered_by_id",
    )
    for name, principal in world.principals().items():
        in_sql = set(await DispatchCase.filter(case_scope(principal)).values_list("id", flat=True))
        in_memory = {row["id"] for row in rows if case_in_scope(principal, row)}
        # then both agree, for every cell of the matrix
        assert in_memory == in_sql, name
