"""Types of the back half of a dispatch (domain.md §5–§7): the report draft, the honorarium, the
check-in/out anomalies on a report, travel-line corrections, submission previews and monthly
payment batches.

Rows arrive scoped and masked from the loaders (money only for money viewers, drafts only for
the case's specialist); these types only expose them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from models.rules.business_days import DEFAULT_REPORT_DUE_BUSINESS_DAYS
from models.rules.case_rules import CheckAnomaly
from models.rules.case_status import CaseStatus
from models.rules.fiscal_year import fiscal_year_of
from models.rules.money_kinds import (
    CheckKind,
    HoldReason,
    IneligibleRule,
    PaymentState,
    ReviewState,
    TransportMode,
)
from models.rules.report_timing import AnomalyKind, is_report_overdue, report_due_at
from models.rules.roles import Role
from models.rules.travel import TravelLineInput, line_amount
from resolvers.availability import national_holidays
from resolvers.money_loaders import honorarium_row
from resolvers.reports import (
    DraftSource,
    ReportForm,
    effective_line,
    form_from_json,
    form_from_report,
    prefilled_form,
)
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.enums import domain_enum
from schema.relay import RowNode, resolved, to_global_id
from schema.types.masters import IssueCategory, Qualification
from schema.types.organisation import RegionalOffice

if TYPE_CHECKING:
    from schema.types.case import DispatchCase

domain_enum(DraftSource, "報告下書きの出どころ (where the pre-filled report form comes from)")

#: Path of the CSV download of a batch (``GET /exports/payment-batches/{id}.csv``).
BATCH_EXPORT_PREFIX = "/exports/payment-batches/"


@strawberry.type(
    description="謝金 (honorarium of one dispatch, daily cap shared with the specialist's other "
    "dispatches of that day)"
)
class Honorarium:
    billable_minutes: int = strawberry.field(
        description="謝金対象時間（分） (face-to-face minutes minus non-billable minutes)"
    )
    units: int = strawberry.field(
        description="30分単位数（30分未満切り捨て） (full 30-minute units)"
    )
    amount: int = strawberry.field(
        description="謝金額（円、日額上限適用後） (amount in yen, after the daily cap)"
    )
    eligible: bool = strawberry.field(description="謝金の対象か (eligible for an honorarium)")
    ineligible_reason: IneligibleRule | None = strawberry.field(
        description="対象外となった規定 (the ineligibility rule that applied)"
    )


_ANOMALY_LABELS: dict[str, str] = {
    **{kind.value: kind.ja for kind in AnomalyKind},
    **{kind.value: kind.ja for kind in CheckAnomaly},
}


@strawberry.type(
    description="チェックイン・アウトに関する注意事項（事務局の確認用） (check-in/out anomaly "
    "flagged on a report for the secretariat)"
)
class ReportAnomaly:
    kind: str = strawberry.field(
        description="種類 MISSING_CHECK_IN・MISSING_CHECK_OUT・START_DIFFERS・END_DIFFERS・"
        "FAR_FROM_SITE・OFF_SCHEDULE (kind of anomaly)"
    )
    minutes_off: int | None = strawberry.field(
        description="報告時刻とチェック時刻の差（分、報告−チェック） (reported − checked minutes)"
    )
    check_kind: CheckKind | None = strawberry.field(
        description="元になったチェックイン／アウト (the check event that was flagged)"
    )

    @resolved(description="説明 (label in Japanese)")
    def label(self) -> str:
        return _ANOMALY_LABELS.get(self.kind, self.kind)


def anomalies_of(values: Any) -> list[ReportAnomaly]:
    """The stored anomaly JSON of a report as typed objects (plain strings are kinds)."""
    result: list[ReportAnomaly] = []
    for item in values or ():
        if isinstance(item, dict):
            check = item.get("check")
            result.append(
                ReportAnomaly(
                    kind=str(item.get("kind", "")),
                    minutes_off=item.get("minutesOff"),
                    check_kind=CheckKind(str(check)) if check in CheckKind.__members__ else None,
                )
            )
        else:
            result.append(ReportAnomaly(kind=str(item), minutes_off=None, check_kind=None))
    return result


@strawberry.type(
    description="旅費明細の事務局修正（修正前後・理由・修正者を保持） (a secretariat correction "
    "of a transport line: before, after, who and why)"
)
class TravelLineCorrection(RowNode):
    original_amount: int = strawberry.field(description="修正前の金額（円） (amount before)")
    corrected_amount: int = strawberry.field(description="修正後の金額（円） (amount after)")
    reason: str = strawberry.field(description="修正理由 (reason)")
    corrected_at: datetime = strawberry.field(description="修正日時 (corrected at)")
    corrected_by_id: strawberry.Private[int]

    def _fields(self) -> dict[str, Any]:
        return dict(self.__dict__.get("corrected_fields") or {})

    @resolved(description="修正後の交通機関 (mode after the correction)")
    def mode(self) -> TransportMode | None:
        value = self._fields().get("mode")
        return TransportMode(str(value)) if value in TransportMode.__members__ else None

    @resolved(description="修正後の出発地 (from, after)")
    def from_place(self) -> str | None:
        return self._fields().get("from_place")

    @resolved(description="修正後の到着地 (to, after)")
    def to_place(self) -> str | None:
        return self._fields().get("to_place")

    @resolved(description="修正後の往復の別 (round trip, after)")
    def round_trip(self) -> bool | None:
        return self._fields().get("round_trip")

    @resolved(description="修正後の片道運賃（円） (one-way fare, after)")
    def one_way_fare(self) -> int | None:
        return self._fields().get("one_way_fare")

    @resolved(description="修正後の片道距離（km） (one-way distance, after)")
    def distance_km(self) -> int | None:
        return self._fields().get("distance_km")

    @resolved(description="修正した事務局職員の表示名 (display name of the secretariat member)")
    async def corrected_by(self, info: strawberry.Info) -> str | None:
        row = await info.context.loaders.accounts.load(self.corrected_by_id)
        return None if row is None else str(row["display_name"])


# ---------------------------------------------------------------- the draft


@strawberry.type(description="交通機関の行（下書き） (transport line of a draft)")
class ReportDraftLine:
    mode: TransportMode | None = strawberry.field(description="交通機関 (mode)")
    from_place: str | None = strawberry.field(description="出発地 (from)")
    to_place: str | None = strawberry.field(description="到着地 (to)")
    round_trip: bool | None = strawberry.field(description="往復か (round trip)")
    one_way_fare: int | None = strawberry.field(description="片道運賃（円） (one-way fare)")
    distance_km: int | None = strawberry.field(description="片道距離（km） (one-way distance)")

    @resolved(
        description="金額（円、往復は片道の2倍、私有車は0。未入力なら null） (amount: round trip "
        "doubled, private car 0; null while incomplete)"
    )
    def amount(self) -> int | None:
        if self.mode is None or self.round_trip is None:
            return None
        if self.mode is TransportMode.PRIVATE_CAR:
            return 0
        if self.one_way_fare is None or self.one_way_fare < 0:
            return None
        return line_amount(self.mode, self.round_trip, self.one_way_fare)


@strawberry.type(description="旅費（下書き） (travel claim of a draft)")
class ReportDraftTravel:
    place: str | None = strawberry.field(description="用務先 (place)")
    address: str | None = strawberry.field(description="用務先住所 (address)")
    purpose: str | None = strawberry.field(description="用務内容 (purpose)")
    trip_start: date | None = strawberry.field(description="出張開始日 (trip start)")
    trip_end: date | None = strawberry.field(description="出張終了日 (trip end)")
    per_diem_days: list[date] = strawberry.field(description="用務日 (per-diem days)")
    lodging_nights: list[date] = strawberry.field(description="宿泊日 (lodging nights)")
    lines: list[ReportDraftLine] = strawberry.field(description="交通機関 (transport lines)")


def _line(line: TravelLineInput) -> ReportDraftLine:
    mode = line.mode
    return ReportDraftLine(
        mode=TransportMode(mode) if mode is not None else None,
        from_place=line.from_place,
        to_place=line.to_place,
        round_trip=line.round_trip,
        one_way_fare=line.one_way_fare,
        distance_km=line.distance_km,
    )


@strawberry.type(
    description="実績報告の下書き（保存内容、差戻しの報告、または決定日時で事前入力） (the report "
    "form pre-filled: the saved draft, the returned report, or the confirmed dispatch window)"
)
class ReportDraft:
    source: DraftSource = strawberry.field(description="内容の出どころ (where it comes from)")
    saved_at: datetime | None = strawberry.field(
        description="一時保存の日時（保存していなければ null） (saved at; null when pre-filled)"
    )
    dispatch_date: date | None = strawberry.field(description="派遣日 (dispatch date)")
    start_at: datetime | None = strawberry.field(description="派遣時間（開始） (start)")
    end_at: datetime | None = strawberry.field(description="派遣時間（終了） (end)")
    non_billable_minutes: int | None = strawberry.field(
        description="実績対象外時間（分） (non-billable minutes)"
    )
    non_billable_remark: str | None = strawberry.field(description="備考 (remark)")
    issue_detail: str | None = strawberry.field(description="支援課題の詳細 (issue detail)")
    issue_note: str | None = strawberry.field(description="支援課題備考 (issue note)")
    company_request: str | None = strawberry.field(
        description="課題（企業からの要望等） (company's request)"
    )
    main_qualification_other: str | None = strawberry.field(
        description="その他資格等名称 (other qualification name)"
    )
    platform_staff: str | None = strawberry.field(description="支援機関担当職員氏名 (staff)")
    attendees_company: str | None = strawberry.field(description="出席者（支援企業） (company)")
    attendees_organization: str | None = strawberry.field(
        description="出席者（支援機関） (organisation)"
    )
    attendees_others: str | None = strawberry.field(description="出席者その他 (others)")
    support_content_1: str | None = strawberry.field(description="支援内容（1） (content 1)")
    support_content_2: str | None = strawberry.field(description="支援内容（2） (content 2)")
    support_content_3: str | None = strawberry.field(description="支援内容（3） (content 3)")
    comment_to_secretariat: str | None = strawberry.field(
        description="事務局へのコメント (comment to the secretariat)"
    )
    accompanied: bool | None = strawberry.field(description="同行の有無 (accompanied)")
    further_visits_needed: bool | None = strawberry.field(
        description="2回目・3回目の支援の必要性 (further visits needed)"
    )
    further_visits_reason: str | None = strawberry.field(description="その理由 (reason)")
    survey_cooperation: bool | None = strawberry.field(
        description="満足度調査等への協力 (survey cooperation)"
    )
    travel: ReportDraftTravel | None = strawberry.field(description="旅費 (travel claim)")
    issue_category_id: strawberry.Private[int | None]
    main_qualification_id: strawberry.Private[int | None]

    @resolved(description="支援課題 (issue category)")
    async def issue_category(self, info: strawberry.Info) -> IssueCategory | None:
        pk = self.issue_category_id
        return await IssueCategory.load(info, pk) if pk else None

    @resolved(description="主な資格 (main qualification)")
    async def main_qualification(self, info: strawberry.Info) -> Qualification | None:
        pk = self.main_qualification_id
        return await Qualification.load(info, pk) if pk else None

    @classmethod
    def of(cls, form: ReportForm, source: DraftSource, saved_at: datetime | None) -> ReportDraft:
        travel = form.travel
        return cls(
            source=source,
            saved_at=saved_at,
            dispatch_date=form.dispatch_date,
            start_at=form.start_at,
            end_at=form.end_at,
            non_billable_minutes=form.non_billable_minutes,
            non_billable_remark=form.non_billable_remark,
            issue_detail=form.issue_detail,
            issue_note=form.issue_note,
            company_request=form.company_request,
            main_qualification_other=form.main_qualification_other,
            platform_staff=form.platform_staff,
            attendees_company=form.attendees_company,
            attendees_organization=form.attendees_organization,
            attendees_others=form.attendees_others,
            support_content_1=form.support_content_1,
            support_content_2=form.support_content_2,
            support_content_3=form.support_content_3,
            comment_to_secretariat=form.comment_to_secretariat,
            accompanied=form.accompanied,
            further_visits_needed=form.further_visits_needed,
            further_visits_reason=form.further_visits_reason,
            survey_cooperation=form.survey_cooperation,
            travel=None
            if travel is None
            else ReportDraftTravel(
                place=travel.place,
                address=travel.address,
                purpose=travel.purpose,
                trip_start=travel.trip_start,
                trip_end=travel.trip_end,
                per_diem_days=list(travel.per_diem_days),
                lodging_nights=list(travel.lodging_nights),
                lines=[_line(line) for line in travel.lines],
            ),
            issue_category_id=form.issue_category_id,
            main_qualification_id=form.main_qualification_id,
        )


# ---------------------------------------------------------------- submission preview


@strawberry.type(
    description="提出時にサーバが計算した値（検証のみでも返す） (values the server computed on "
    "submission, also for validateOnly)"
)
class ReportPreview:
    billable_minutes: int | None = strawberry.field(
        description="謝金対象時間（分） (billable minutes)"
    )
    honorarium: Honorarium | None = strawberry.field(
        description="謝金（金額の閲覧権限がある場合） (honorarium, money viewers)"
    )
    line_amounts: list[int] = strawberry.field(
        description="交通機関の各行の金額（往復は2倍、私有車は0） (amount of each line)"
    )
    transport_amount: int = strawberry.field(description="交通費（円） (transport)")
    per_diem_amount: int = strawberry.field(description="日当（円） (per diem)")
    lodging_amount: int = strawberry.field(description="宿泊料（円） (lodging)")
    travel_total: int = strawberry.field(description="旅費合計（円） (travel total claimed)")
    payment_state: PaymentState | None = strawberry.field(description="支払状態 (payment state)")
    hold_reasons: list[HoldReason] = strawberry.field(description="保留の理由 (hold reasons)")
    withholding: int | None = strawberry.field(description="源泉徴収額（円） (withholding)")
    travel_payable: int | None = strawberry.field(
        description="支払われる旅費（円、謝金なしは0） (travel paid: 0 without honorarium)"
    )
    total: int | None = strawberry.field(description="支払額（円） (amount transferred)")


# ---------------------------------------------------------------- payment batches


@strawberry.type(description="支払バッチの1行（1案件） (one case of a payment batch)")
class PaymentBatchLine(RowNode):
    reservation_number: str = strawberry.field(description="派遣依頼予約番号 (reservation number)")
    specialist_name: str = strawberry.field(description="専門家 (specialist)")
    dispatch_date: date | None = strawberry.field(description="派遣日 (dispatch date)")
    state: PaymentState = strawberry.field(description="支払状態 (payment state)")
    honorarium: int = strawberry.field(description="謝金（円） (honorarium)")
    withholding: int = strawberry.field(description="源泉徴収税額（円） (withholding)")
    travel: int = strawberry.field(description="旅費（円） (travel)")
    total: int = strawberry.field(description="支払額（円） (amount transferred)")
    paid_on: date | None = strawberry.field(description="支払日 (paid on)")
    case_id: strawberry.Private[int]

    @resolved(description="派遣依頼 (the case)")
    async def case(
        self, info: strawberry.Info
    ) -> Annotated[DispatchCase, strawberry.lazy("schema.types.case")] | None:
        from schema.types.case import DispatchCase

        return await DispatchCase.load(info, self.case_id)


@strawberry.type(
    description="月次の支払バッチ（地域事務局ごと） (monthly payment batch of a regional office)"
)
class PaymentBatch(RowNode, relay.Node):
    LOADER = "payment_batches"
    id: relay.NodeID[int]
    month: str = strawberry.field(description="支払月 YYYY-MM (month)")
    created_at: datetime = strawberry.field(description="作成日時 (created at)")
    paid_at: datetime | None = strawberry.field(description="支払済にした日時 (marked paid at)")
    paid_on: date | None = strawberry.field(description="支払日 (paid on)")
    office_id: strawberry.Private[int]

    @resolved(description="地域事務局 (regional office)")
    async def office(self, info: strawberry.Info) -> RegionalOffice | None:
        return await RegionalOffice.load(info, self.office_id)

    async def _lines(self, info: strawberry.Info) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await info.context.loaders.payments_by_batch.load(self.id)
        return rows

    @resolved(description="支払済か (paid)")
    def paid(self) -> bool:
        return self.paid_at is not None

    @resolved(description="案件ごとの明細（閲覧できる範囲） (lines, as far as visible)")
    async def lines(self, info: strawberry.Info) -> list[PaymentBatchLine]:
        return PaymentBatchLine.from_rows(await self._lines(info))

    @resolved(description="件数 (number of visible lines)")
    async def case_count(self, info: strawberry.Info) -> int:
        return len(await self._lines(info))

    @resolved(description="謝金の合計（円） (honorarium total)")
    async def honorarium_total(self, info: strawberry.Info) -> int:
        return sum(int(r["honorarium"]) for r in await self._lines(info))

    @resolved(description="源泉徴収税額の合計（円） (withholding total)")
    async def withholding_total(self, info: strawberry.Info) -> int:
        return sum(int(r["withholding"]) for r in await self._lines(info))

    @resolved(description="旅費の合計（円） (travel total)")
    async def travel_total(self, info: strawberry.Info) -> int:
        return sum(int(r["travel"]) for r in await self._lines(info))

    @resolved(description="支払額の合計（円） (amount transferred in total)")
    async def total(self, info: strawberry.Info) -> int:
        return sum(int(r["total"]) for r in await self._lines(info))

    @resolved(
        description="CSVのダウンロード用パス（認証が必要、UTF-8 BOM付き） (path of the CSV download, "
        "authenticated, UTF-8 with BOM)"
    )
    def csv_url(self) -> str:
        return BATCH_EXPORT_PREFIX + to_global_id("PaymentBatch", self.id) + ".csv"


# ---------------------------------------------------------------- DispatchCase fields

#: Statuses in which the specialist writes (or corrects) the report.
_DRAFT_STATUSES = frozenset(
    {CaseStatus.CONFIRMED, CaseStatus.UNREPORTED, CaseStatus.REPORTED, CaseStatus.COMPLETED}
)
#: Statuses in which a deadline means something.
_DUE_STATUSES = frozenset(
    {CaseStatus.CONFIRMED, CaseStatus.UNREPORTED, CaseStatus.REPORTED, CaseStatus.COMPLETED}
)


async def report_draft_for(info: strawberry.Info, case: Mapping[str, Any]) -> ReportDraft | None:
    """``DispatchCase.reportDraft``: for the case's own specialist only — the saved draft, else
    the returned report (with the secretariat's corrections), else the confirmed window; null
    once the report is submitted and not returned."""
    principal = info.context.principal
    if principal.role is not Role.SPECIALIST or principal.specialist_id != case["specialist_id"]:
        return None
    loaders = info.context.loaders
    draft = await loaders.report_draft_by_case.load(case["id"])
    if draft is not None:
        return ReportDraft.of(
            form_from_json(draft["content"]), DraftSource.SAVED, draft["saved_at"]
        )
    if CaseStatus(case["status"]) not in _DRAFT_STATUSES:
        return None
    report = await loaders.report_by_case.load(case["id"])
    if report is None:
        return ReportDraft.of(prefilled_form(case), DraftSource.SCHEDULE, None)
    if ReviewState(report["review_state"]) is not ReviewState.RETURNED:
        return None
    travel = await loaders.travel_by_report.load(report["id"])
    lines: list[dict[str, Any]] = []
    if travel is not None:
        rows = await loaders.travel_lines_by_claim.load(travel["id"])
        fixes = await loaders.corrections_by_line.load_many([r["id"] for r in rows])
        lines = [{**row, **effective_line(row, fix)} for row, fix in zip(rows, fixes, strict=True)]
    form = form_from_report(report, travel, lines)
    return ReportDraft.of(form, DraftSource.RETURNED_REPORT, None)


async def report_due_for(info: strawberry.Info, case: Mapping[str, Any]) -> datetime | None:
    """``DispatchCase.reportDueAt``: end of the configured business day after the dispatch day."""
    day: date | None = case.get("dispatch_date")
    if day is None or CaseStatus(case["status"]) not in _DUE_STATUSES:
        return None
    config = await info.context.loaders.fiscal_configs.load(fiscal_year_of(day))
    days = int(config["report_due_business_days"]) if config else DEFAULT_REPORT_DUE_BUSINESS_DAYS
    return report_due_at(day, national_holidays([day.year, day.year + 1]), days)


async def report_overdue_for(
    info: strawberry.Info, case: Mapping[str, Any], status: CaseStatus
) -> bool:
    """``DispatchCase.isReportOverdue``: not submitted by the deadline (a late submission stays
    late; a returned report is judged on its first submission)."""
    due = await report_due_for(info, case)
    if due is None or status is CaseStatus.CONFIRMED:
        return False
    report = await info.context.loaders.report_by_case.load(case["id"])
    if report is None and status in (CaseStatus.REPORTED, CaseStatus.COMPLETED):
        return False  # submitted, but the report is not for this viewer
    submitted = None if report is None else report["submitted_at"]
    return is_report_overdue(due, submitted, info.context.loaders.now)


async def honorarium_for(info: strawberry.Info, case_id: int) -> Honorarium | None:
    row = honorarium_row(await info.context.loaders.money_by_case.load(case_id))
    return None if row is None else Honorarium(**row)


__all__ = [
    "BATCH_EXPORT_PREFIX",
    "Honorarium",
    "PaymentBatch",
    "PaymentBatchLine",
    "ReportAnomaly",
    "ReportDraft",
    "ReportPreview",
    "TravelLineCorrection",
    "anomalies_of",
    "honorarium_for",
    "report_draft_for",
    "report_due_for",
    "report_overdue_for",
]
