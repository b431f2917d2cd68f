"""Demo check-ins, reports, travel claims, evaluations, 様式8 and payments (domain.md §4.4–§7)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from models.attendance import CheckEvent
from models.documents import Document
from models.evaluations import Evaluation
from models.reports import Report, ReportDraft, TravelClaim, TravelLine
from models.rules.case_status import CaseStatus
from models.rules.fiscal_year import tokyo_date
from models.rules.money_kinds import (
    CheckKind,
    DocumentKind,
    ReviewState,
    TransportMode,
)
from models.rules.search import bigrams
from server.demo_drafts import CaseDraft
from server.demo_payments import Money, build_payments
from server.demo_people import person
from server.demo_plan import DemoContext
from server.demo_texts import EVALUATION_COMMENTS, OTHER_DETAILS, TEXTS

S = CaseStatus


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * 6_371_000 * math.asin(math.sqrt(h)))


def build_reports(ctx: DemoContext, drafts: list[CaseDraft]) -> None:
    money: list[Money] = []
    for d in sorted(drafts, key=lambda x: x.dispatch[0] if x.dispatch else x.received_at):
        if d.dispatch is None or d.row is None:
            continue
        ended = any(step.action == "DISPATCH_ENDED" for step in d.steps)
        if not ended or d.status is S.CANCELLED:
            continue
        reported = d.status in (S.REPORTED, S.COMPLETED)
        flags = _checks(ctx, d, 0.85 if reported else 0.5)
        if not reported:
            if flags is not None and ctx.rng.random() < 0.4:
                ctx.plan.add(
                    ReportDraft(
                        id=ctx.ids.next(ReportDraft),
                        case_id=d.id,
                        content={"supportContent1": "（作成中）"},
                    )
                )
            continue
        report = _report(ctx, d, flags)
        travel = _travel(ctx, d, report) if ctx.rng.random() < 0.6 else 0
        form8 = _form8(ctx, d, report)
        money.append(Money(d, report, travel, form8))
        for kind, evaluator, when in d.evaluations:
            _evaluation(ctx, d, kind, evaluator, when)
    build_payments(ctx, money)


def _checks(ctx: DemoContext, d: CaseDraft, share: float) -> list[str] | None:
    """CHECK_IN/CHECK_OUT near the case location; None when the specialist did not check in."""
    rng = ctx.rng
    if rng.random() >= share or d.row is None or d.dispatch is None:
        return None
    start, end = d.dispatch
    lat, lng = d.row.location_lat or 35.68, d.row.location_lng or 139.76
    far = rng.random() < 0.04
    late = rng.random() < 0.03
    flags: list[str] = []
    for kind, planned, shift in (
        (CheckKind.CHECK_IN, start, rng.randint(-12, 6) + (42 if late else 0)),
        (CheckKind.CHECK_OUT, end, rng.randint(-4, 12)),
    ):
        spread = 0.02 if far else 0.0012
        here = (
            round(lat + rng.uniform(-spread, spread), 6),
            round(lng + rng.uniform(-spread, spread), 6),
        )
        distance = _distance_m(lat, lng, *here)
        own: list[str] = []
        if distance > 1000:
            own.append("DISTANCE")
        if kind is CheckKind.CHECK_IN and late:
            own.append("CHECK_IN_TIME")
        device = planned + timedelta(minutes=shift)
        ctx.plan.add(
            CheckEvent(
                id=ctx.ids.next(CheckEvent),
                case_id=d.id,
                kind=kind,
                device_time=device,
                server_time=device + timedelta(seconds=rng.randint(1, 4)),
                lat=here[0],
                lng=here[1],
                accuracy_m=float(rng.randint(5, 40)),
                distance_m=distance,
                flags=own,
                recorded_by_id=d.specialist.account_id,
            )
        )
        flags.extend(f for f in own if f not in flags)
    return flags


def _report(ctx: DemoContext, d: CaseDraft, flags: list[str] | None) -> Report:
    rng, masters = ctx.rng, ctx.masters
    assert d.dispatch is not None and d.report_at is not None and d.row is not None
    start, end = d.dispatch
    code, other = d.specialist.qualifications[0]
    texts = TEXTS[d.categories[0]]
    pause = rng.random() < 0.08
    further = rng.random() < 0.3
    accepted = d.report_at < ctx.cutoff - timedelta(days=7) and rng.random() < 0.85
    reviewed_at = ctx.instant_between(d.report_at, min(d.report_at + timedelta(days=7), ctx.cutoff))
    content = rng.choice(texts.support)
    report = Report(
        id=ctx.ids.next(Report),
        case_id=d.id,
        review_state=ReviewState.ACCEPTED if accepted else ReviewState.SUBMITTED,
        dispatch_date=tokyo_date(start),
        start_at=start,
        end_at=end,
        non_billable_minutes=15 if pause else 0,
        non_billable_remark="工場見学の移動時間（15分）を除外" if pause else "",
        issue_category_id=masters.issue_ids[d.categories[0]],
        issue_detail=rng.choice(OTHER_DETAILS) if d.categories[0] == "OTHER" else "",
        company_request=d.row.description,
        main_qualification_id=masters.qualification_ids[code],
        main_qualification_other=other,
        platform_staff=person(ctx)[0] if d.org else "",
        attendees_company=f"代表者 {d.company.representative}",
        attendees_organization=f"{d.org.name} 担当者" if d.org else "該当なし",
        attendees_others="該当なし",
        support_content_1=content,
        support_content_2="次回までに社内で取り組む事項を確認し、進め方を助言した。"
        if rng.random() < 0.5
        else "",
        accompanied=d.org is not None and rng.random() < 0.3,
        further_visits_needed=further,
        further_visits_reason="改善策の実施状況を確認するため、2回目の派遣が必要。"
        if further
        else "",
        survey_cooperation=rng.random() < 0.85,
        anomalies=["CHECK_IN_MISSING", "CHECK_OUT_MISSING"] if flags is None else flags,
        submitted_at=d.report_at,
        reviewed_at=reviewed_at if accepted else None,
        reviewed_by_id=ctx.office_account(d.company.office_id) if accepted else None,
    )
    ctx.plan.add(report)
    # Same text as the search refresh: title, description and the report's text fields.
    report_text = (
        report.issue_detail,
        report.issue_note,
        report.company_request,
        report.support_content_1,
        report.support_content_2,
        report.support_content_3,
    )
    d.row.search_text = bigrams(" ".join((d.row.title, d.row.description, *report_text)))
    return report


def _travel(ctx: DemoContext, d: CaseDraft, report: Report) -> int:
    rng = ctx.rng
    assert d.row is not None
    fiscal = ctx.masters.fiscal[d.fy]
    day = report.dispatch_date
    home, there = d.specialist.home_city, d.company.city
    lines: list[tuple[TransportMode, str, str, bool, int, int | None]] = []
    overnight = False
    if d.specialist.pref == d.company.pref:
        mode = rng.choice((TransportMode.RAIL, TransportMode.BUS, TransportMode.PRIVATE_CAR))
        if mode is TransportMode.PRIVATE_CAR:
            lines.append((mode, home, there, True, 0, rng.randint(8, 45)))
        else:
            lines.append((mode, home, there, True, rng.randrange(220, 990, 10), None))
    else:
        lines.append(
            (
                TransportMode.LIMITED_EXPRESS,
                home,
                there,
                True,
                rng.randrange(3000, 9800, 10),
                rng.randint(100, 320),
            )
        )
        lines.append(
            (
                TransportMode.BUS,
                f"{there}駅",
                d.row.location_name,
                True,
                rng.randrange(180, 420, 10),
                None,
            )
        )
        overnight = rng.random() < 0.25
    days = [day - timedelta(days=1), day] if overnight else []
    nights = [day - timedelta(days=1)] if overnight else []
    claim_id = ctx.ids.next(TravelClaim)
    transport = 0
    for position, (mode, origin, dest, round_trip, fare, km) in enumerate(lines, start=1):
        amount = 0 if mode is TransportMode.PRIVATE_CAR else fare * (2 if round_trip else 1)
        transport += amount
        ctx.plan.add(
            TravelLine(
                id=ctx.ids.next(TravelLine),
                claim_id=claim_id,
                position=position,
                mode=mode,
                from_place=origin,
                to_place=dest,
                round_trip=round_trip,
                one_way_fare=fare,
                distance_km=km,
                amount=amount,
            )
        )
    per_diem, lodging = fiscal.per_diem * len(days), fiscal.lodging * len(nights)
    ctx.plan.add(
        TravelClaim(
            id=claim_id,
            report_id=report.id,
            place=d.row.location_name,
            address=d.row.location_address,
            purpose=f"専門家派遣（{d.row.title}）",
            trip_start=days[0] if overnight else None,
            trip_end=days[-1] if overnight else None,
            per_diem_days=[x.isoformat() for x in days],
            lodging_nights=[x.isoformat() for x in nights],
            per_diem_amount=per_diem,
            lodging_amount=lodging,
            transport_amount=transport,
            total_amount=transport + per_diem + lodging,
        )
    )
    return transport + per_diem + lodging


def _form8(ctx: DemoContext, d: CaseDraft, report: Report) -> bool:
    """様式8 received by post: usually by the time the report is accepted."""
    share = 0.92 if report.review_state is ReviewState.ACCEPTED else 0.4
    if ctx.rng.random() >= share or d.report_at is None:
        return False
    ctx.plan.add(
        Document(
            id=ctx.ids.next(Document),
            kind=DocumentKind.FORM8,
            case_id=d.id,
            received_by_post=True,
            uploaded_by_id=ctx.office_account(d.company.office_id),
            created_at=ctx.instant_between(d.report_at, ctx.cutoff),
        )
    )
    return True


def _evaluation(
    ctx: DemoContext, d: CaseDraft, kind: object, evaluator: int, when: datetime
) -> None:
    rng = ctx.rng
    base = rng.choices((5, 4, 3, 2, 1), weights=(44, 38, 12, 4, 2))[0]

    def near() -> int:
        return max(1, min(5, base + rng.choice((-1, 0, 0, 0, 1))))

    ctx.plan.add(
        Evaluation(
            id=ctx.ids.next(Evaluation),
            case_id=d.id,
            specialist_id=d.specialist.id,
            evaluator_kind=kind,
            evaluator_id=evaluator,
            satisfaction=base,
            expertise=near(),
            clarity=near(),
            responsiveness=near(),
            comment=rng.choice(EVALUATION_COMMENTS),
            would_request_again=base >= 3,
            submitted_at=when,
        )
    )
