"""Every mail of the catalogue renders with real demo data and carries seed 000's fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.cases import DispatchCase
from models.geo import RegionalOffice
from models.outbox import DomainEvent, OutboxMessage
from models.rules.case_status import CaseStatus
from models.rules.events import EventKind
from models.rules.registration_status import RegistrationStatus
from models.specialists import Specialist
from notifications.fanout import expand_event
from notifications.templates import NOTICE, TEMPLATES, render
from schema.relay import to_global_id
from server.demo import seed_demo
from tests.notifications.support import settings_for

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)

#: Which demo case each case template is rendered for (a case in a status where it happens).
STATUS_FOR: dict[EventKind, CaseStatus] = {
    EventKind.CASE_FILED: CaseStatus.UNPROCESSED,
    EventKind.UNANSWERED_REMINDER: CaseStatus.UNPROCESSED,
    EventKind.CASE_CONFIRMED: CaseStatus.CONFIRMED,
    EventKind.CASE_DATES_PROPOSED: CaseStatus.ADJUSTING,
    EventKind.CASE_NEEDS_COORDINATION: CaseStatus.NEEDS_COORDINATION,
    EventKind.CASE_DECLINED: CaseStatus.DECLINED,
    EventKind.CASE_CANCELLED: CaseStatus.CANCELLED,
    EventKind.REPORT_DUE_REMINDER: CaseStatus.UNREPORTED,
    EventKind.REPORT_OVERDUE_REMINDER: CaseStatus.UNREPORTED,
    EventKind.REPORT_RETURNED: CaseStatus.UNREPORTED,
    EventKind.CASE_REPORTED: CaseStatus.REPORTED,
    EventKind.CASE_COMPLETED: CaseStatus.COMPLETED,
}


def _assert_common(
    mail_subject: str, body: str, row: OutboxMessage, office: RegionalOffice
) -> None:
    assert mail_subject.startswith("【専門家派遣】")
    assert body.startswith("━")
    assert NOTICE in body
    assert f"{row.context['addressee']}様" in body
    assert "専門家派遣事業、事務処理機関の" in body
    assert "専門家派遣事業 事務処理機関" in body
    # the responsible regional office's contact (seed 000's last page)
    assert office.name in body and office.email in body and office.phone in body
    assert office.address in body
    assert "＜" not in body and "None" not in body
    # demo data never mails a real address; the office's public address is text only
    assert row.to_address.endswith("example.jp"), row.to_address


async def test_every_case_template_renders_with_demo_data(db: str) -> None:
    # given the demo world
    await seed_demo(today=TODAY, scale=0.1)
    settings = settings_for()
    declined_texts = set(
        await DispatchCase.exclude(decline_reason_text="").values_list(
            "decline_reason_text", flat=True
        )
    )
    rendered: set[str] = set()
    for kind, status in STATUS_FOR.items():
        case = await DispatchCase.filter(status=status).order_by("id").first()
        assert case is not None, status
        # when the event of that kind is written and expanded
        payload: dict[str, Any] = {}
        if kind in (EventKind.REPORT_DUE_REMINDER, EventKind.REPORT_OVERDUE_REMINDER):
            payload["dueAt"] = (NOW + timedelta(days=2)).isoformat()
        event = await DomainEvent.create(
            kind=kind.value, case_id=case.id, version=case.version, payload=payload
        )
        assert await expand_event(int(event.id), NOW, settings), kind
        office = await RegionalOffice.get(id=case.office_id)  # type: ignore[attr-defined]
        link = f"http://testserver/cases/{to_global_id('DispatchCase', case.id)}"
        # then every mail has the seed 000 layout and fields
        for row in await OutboxMessage.filter(event_id=event.id):
            mail = render(row.template, row.context)
            body = mail.body
            _assert_common(mail.subject, body, row, office)
            assert f"（派遣依頼予約番号:{case.reservation_number}）" in mail.subject
            assert f"派遣依頼予約番号:{case.reservation_number}" in body
            assert "受付日時:" in body and f"{case.received_at.year}年" in body
            company = row.context["case"]["company_name"]
            assert company and f"企業名:{company}" in body
            assert "地域プラットフォーム名：" in body
            assert f"派遣依頼タイトル:{case.title}" in body
            assert ("派遣希望日：" in body) != ("決定日時：" in body)
            assert link in body
            assert not any(text in body for text in declined_texts)
            rendered.add(row.template)
    assert rendered == {kind.value for kind in STATUS_FOR}


async def test_the_registration_template_renders_with_demo_data(db: str) -> None:
    await seed_demo(today=TODAY, scale=0.1)
    specialist = (
        await Specialist.filter(registration_status=RegistrationStatus.PENDING_ORG_APPROVAL)
        .exclude(recommending_org_id=None)
        .first()
    )
    assert specialist is not None
    event = await DomainEvent.create(
        kind=EventKind.REGISTRATION_CHANGED.value,
        specialist_id=specialist.id,
        payload={"toStatus": "PENDING_ORG_APPROVAL"},
    )
    assert await expand_event(int(event.id), NOW, settings_for())
    rows = await OutboxMessage.filter(event_id=event.id)
    assert {r.context["audience"] for r in rows} >= {"SPECIALIST", "SECRETARIAT"}
    prefecture = await specialist.prefecture
    office = await RegionalOffice.get(id=prefecture.office_id)  # type: ignore[attr-defined]
    for row in rows:
        mail = render(row.template, row.context)
        _assert_common(mail.subject, mail.body, row, office)
        assert mail.subject == "【専門家派遣】専門家登録の手続き（支援機関承認待ち）"
        assert f"専門家名：{specialist.name}" in mail.body
        assert f"/specialists/{to_global_id('Specialist', specialist.id)}" in mail.body


def test_the_catalogue_covers_every_mail_of_domain_8() -> None:
    assert set(TEMPLATES) == {
        "CASE_FILED",
        "CASE_CONFIRMED",
        "CASE_DATES_PROPOSED",
        "CASE_NEEDS_COORDINATION",
        "CASE_DECLINED",
        "CASE_CANCELLED",
        "REPORT_DUE_REMINDER",
        "REPORT_OVERDUE_REMINDER",
        "CASE_REPORTED",
        "REPORT_RETURNED",
        "CASE_COMPLETED",
        "UNANSWERED_REMINDER",
        "REGISTRATION_CHANGED",
        "OUTBOX_DEAD_LETTER",
    }


def test_the_seed_000_request_mail_layout() -> None:
    # given the context the fan-out builds for seed 000's 専門家派遣申請 mail
    context = {
        "audience": "SPECIALIST",
        "addressee": "山田太郎",
        "office": {
            "name": "関東事務局",
            "email": "nw_kantou@pasona.co.jp",
            "phone": "048-783-2891",
            "postal_code": "330-0802",
            "address": "埼玉県さいたま市大宮区宮町2-10 尾熊ビル4F",
        },
        "link": "https://haken.example.jp/cases/RGlzcGF0Y2hDYXNlOjc=",
        "case": {
            "reservation_number": "2026-000123",
            "received_at": "2026年6月2日(火) 10:00",
            "company_name": "株式会社東京製作所",
            "platform_name": "東京都地域プラットフォーム（東京よろず支援拠点）",
            "title": "販路開拓の相談",
            "wished": ["2026年6月9日(火) 10:00〜12:00", "2026年6月10日(水) 13:00〜15:00"],
        },
    }
    # when rendered
    mail = render("CASE_FILED", context)
    # then it reads like the seed, line for line where the seed is fixed
    assert mail.subject == "【専門家派遣】専門家派遣申請（派遣依頼予約番号:2026-000123）"
    lines = mail.body.splitlines()
    assert lines[:10] == [
        "━" * 29,
        "専門家派遣申請",
        "━" * 29,
        "※このメールは自動送信メールです。このメールには返信出来ません。",
        "",
        "山田太郎様",
        "",
        "いつも大変お世話になっております。",
        "専門家派遣事業、事務処理機関の関東事務局でございます。",
        "",
    ]
    for line in (
        "次の通り、企業から専門家派遣が申請されました。",
        "派遣依頼予約番号:2026-000123",
        "受付日時:2026年6月2日(火) 10:00",
        "企業名:株式会社東京製作所",
        "地域プラットフォーム名：東京都地域プラットフォーム（東京よろず支援拠点）",
        "派遣依頼タイトル:販路開拓の相談",
        "派遣希望日：2026年6月9日(火) 10:00〜12:00",
        "　　　　　　2026年6月10日(水) 13:00〜15:00",
        "以下のURLより、内容をご確認頂き、派遣日時確定等の手続きを行って下さい。",
        "https://haken.example.jp/cases/RGlzcGF0Y2hDYXNlOjc=",
        "ご不明な点は、下記事務局まで連絡をお願い致します。",
        "メール：nw_kantou@pasona.co.jp",
        "電話　：048-783-2891",
        "住所　：〒330-0802 埼玉県さいたま市大宮区宮町2-10 尾熊ビル4F",
    ):
        assert line in lines, line
