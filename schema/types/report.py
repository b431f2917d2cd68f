"""Report (実績報告), travel claim (旅費), evaluation, payment, documents, check-in/out, signature.

Rows arrive scoped and masked by resolvers.loaders (money, GPS, notes for the secretariat): these
types only expose them, so every entry point shows the same masks.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from models.rules.money_kinds import (
    CheckKind,
    DocumentKind,
    EvaluatorKind,
    HoldReason,
    IneligibleRule,
    PaymentState,
    ReviewState,
    TransportMode,
)
from resolvers import evaluations
from resolvers.documents import DOWNLOAD_PREFIX, can_download
from resolvers.pagination import PageArgs
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.relay import Connection, RowNode, connection, resolved, to_global_id, user_input
from schema.types.masters import IssueCategory, Qualification
from schema.types.money import PaymentBatch, ReportAnomaly, TravelLineCorrection, anomalies_of


@strawberry.type(description="旅費の明細行 (one transport line of a travel claim)")
class TravelLine(RowNode):
    position: int = strawberry.field(description="行番号 (line number)")
    mode: TransportMode = strawberry.field(description="交通機関 (mode of transport)")
    from_place: str = strawberry.field(description="出発地 (from)")
    to_place: str = strawberry.field(description="到着地 (to)")
    round_trip: bool = strawberry.field(description="往復か (round trip)")
    one_way_fare: int = strawberry.field(description="片道運賃（円） (one-way fare, yen)")
    distance_km: int | None = strawberry.field(description="距離（km） (distance, km)")
    amount: int = strawberry.field(
        description="金額（円、専門家の入力どおり） (amount in yen as the specialist entered it)"
    )

    @resolved(
        description="事務局の修正（古い順、修正前後・理由・修正者） (secretariat corrections, "
        "oldest first)"
    )
    async def corrections(self, info: strawberry.Info) -> list[TravelLineCorrection]:
        rows = await info.context.loaders.corrections_by_line.load(self.__dict__["id"])
        return TravelLineCorrection.from_rows(rows)

    @resolved(
        description="支払に使う金額（円、最新の修正後） (amount that counts: after the latest "
        "correction)"
    )
    async def effective_amount(self, info: strawberry.Info) -> int:
        rows = await info.context.loaders.corrections_by_line.load(self.__dict__["id"])
        return int(rows[-1]["corrected_amount"]) if rows else int(self.amount)


@strawberry.type(description="旅費請求 (travel claim of a report)")
class TravelClaim(RowNode):
    place: str = strawberry.field(description="用務先 (place of business)")
    address: str = strawberry.field(description="用務先住所 (address)")
    purpose: str = strawberry.field(description="用務内容 (purpose)")
    trip_start: date | None = strawberry.field(description="出張開始日 (trip start)")
    trip_end: date | None = strawberry.field(description="出張終了日 (trip end)")
    per_diem_amount: int = strawberry.field(description="日当（円） (per diem, yen)")
    lodging_amount: int = strawberry.field(description="宿泊料（円） (lodging, yen)")
    transport_amount: int = strawberry.field(description="交通費（円） (transport, yen)")
    total_amount: int = strawberry.field(description="旅費合計（円） (total, yen)")

    @resolved(description="日当の対象日 (per-diem days)")
    def per_diem_days(self) -> list[date]:
        return [date.fromisoformat(d) for d in self.__dict__.get("per_diem_days") or []]

    @resolved(description="宿泊日 (lodging nights)")
    def lodging_nights(self) -> list[date]:
        return [date.fromisoformat(d) for d in self.__dict__.get("lodging_nights") or []]

    @resolved(description="交通費の明細 (transport lines)")
    async def lines(self, info: strawberry.Info) -> list[TravelLine]:
        rows = await info.context.loaders.travel_lines_by_claim.load(self.__dict__["id"])
        return TravelLine.from_rows(rows)


@strawberry.type(description="実績報告 (report of a dispatch)")
class Report(RowNode, relay.Node):
    LOADER = "reports"
    id: relay.NodeID[int]
    review_state: ReviewState = strawberry.field(description="審査状態 (review state)")
    dispatch_date: date = strawberry.field(description="派遣日 (dispatch date)")
    start_at: datetime = strawberry.field(description="開始日時 (start)")
    end_at: datetime = strawberry.field(description="終了日時 (end)")
    non_billable_minutes: int = strawberry.field(
        description="謝金対象外の時間（分） (non-billable minutes)"
    )
    non_billable_remark: str = strawberry.field(description="対象外時間の説明 (remark)")
    issue_detail: str = strawberry.field(description="支援課題の詳細 (issue detail)")
    issue_note: str = strawberry.field(description="支援課題の補足 (issue note)")
    company_request: str = strawberry.field(description="企業の要望 (company's request)")
    main_qualification_other: str = strawberry.field(
        description="主な資格（その他の名称） (main qualification, other name)"
    )
    platform_staff: str = strawberry.field(description="地域PF担当者 (platform staff)")
    attendees_company: str = strawberry.field(description="企業側出席者 (company attendees)")
    attendees_organization: str = strawberry.field(
        description="支援機関側出席者 (organisation attendees)"
    )
    attendees_others: str = strawberry.field(description="その他の出席者 (other attendees)")
    support_content_1: str = strawberry.field(description="支援内容1 (support content 1)")
    support_content_2: str = strawberry.field(description="支援内容2 (support content 2)")
    support_content_3: str = strawberry.field(description="支援内容3 (support content 3)")
    accompanied: bool = strawberry.field(description="同行者の有無 (accompanied)")
    further_visits_needed: bool = strawberry.field(
        description="継続支援の要否 (further visits needed)"
    )
    further_visits_reason: str = strawberry.field(description="継続支援の理由 (reason)")
    survey_cooperation: bool = strawberry.field(
        description="アンケートへの協力 (survey cooperation)"
    )
    submitted_at: datetime = strawberry.field(description="提出日時 (submitted at)")
    reviewed_at: datetime | None = strawberry.field(description="審査日時 (reviewed at)")
    review_comment: str = strawberry.field(description="審査コメント (review comment)")
    case_id: strawberry.Private[int]
    issue_category_id: strawberry.Private[int]
    main_qualification_id: strawberry.Private[int]

    @resolved(description="支援課題 (issue category)")
    async def issue_category(self, info: strawberry.Info) -> IssueCategory | None:
        return await IssueCategory.load(info, self.issue_category_id)

    @resolved(description="主な資格 (main qualification)")
    async def main_qualification(self, info: strawberry.Info) -> Qualification | None:
        return await Qualification.load(info, self.main_qualification_id)

    @resolved(
        description="事務局への連絡事項（企業・連携機関には空） (note to the secretariat; empty "
        "for companies and partners)"
    )
    def comment_to_secretariat(self) -> str:
        return str(self.__dict__["comment_to_secretariat"])

    @resolved(
        description="チェックイン・アウトの異常フラグ（位置情報の閲覧者のみ） (check-in anomaly "
        "flags, GPS viewers only)"
    )
    def anomalies(self) -> list[str]:
        return [a.kind for a in anomalies_of(self.__dict__.get("anomalies"))]

    @resolved(
        description="チェックイン・アウトの注意事項の詳細（位置情報の閲覧者のみ） (check-in/out "
        "anomalies with details, GPS viewers only)"
    )
    def anomaly_details(self) -> list[ReportAnomaly]:
        return anomalies_of(self.__dict__.get("anomalies"))

    @resolved(description="旅費（金額の閲覧権限がある場合） (travel claim, money viewers)")
    async def travel(self, info: strawberry.Info) -> TravelClaim | None:
        return TravelClaim.from_row(await info.context.loaders.travel_by_report.load(self.id))


@strawberry.type(description="評価 (evaluation of a dispatch)")
class Evaluation(RowNode, relay.Node):
    LOADER = "evaluations"
    id: relay.NodeID[int]
    evaluator_kind: EvaluatorKind = strawberry.field(description="評価者の種別 (who evaluated)")
    satisfaction: int = strawberry.field(description="満足度 1–5 (satisfaction)")
    expertise: int = strawberry.field(description="専門性 1–5 (expertise)")
    clarity: int = strawberry.field(description="分かりやすさ 1–5 (clarity)")
    responsiveness: int = strawberry.field(description="対応 1–5 (responsiveness)")
    comment: str = strawberry.field(
        description="コメント（閲覧権限がない場合は空） (comment, empty unless entitled)"
    )
    would_request_again: bool = strawberry.field(
        description="また依頼したいか (would request again)"
    )
    submitted_at: datetime = strawberry.field(description="評価日時 (submitted at)")


async def evaluations_of(
    info: strawberry.Info, specialist_id: int, args: PageArgs
) -> Connection[Evaluation]:
    """``Specialist.evaluations``: a keyset page within the viewer's evaluation scope."""
    principal = info.context.principal
    page = await user_input(evaluations.specialist_evaluations(principal, specialist_id, args))
    info.context.loaders.evaluations.prime_many({row["id"]: row for row in page.rows})
    return connection(
        Evaluation,
        page,
        lambda: evaluations.count_specialist_evaluations(principal, specialist_id),
    )


@strawberry.type(description="支払 (payment of one case)")
class Payment(RowNode):
    state: PaymentState = strawberry.field(description="支払状態 (payment state)")
    ineligible_rule: IneligibleRule | None = strawberry.field(
        description="謝金対象外の理由 (ineligibility rule)"
    )
    billable_minutes: int = strawberry.field(description="謝金対象時間（分） (billable minutes)")
    units: int = strawberry.field(description="30分単位数 (30-minute units)")
    honorarium: int = strawberry.field(description="謝金（円） (honorarium, yen)")
    withholding: int = strawberry.field(description="源泉徴収額（円） (withholding, yen)")
    travel: int = strawberry.field(description="旅費（円） (travel, yen)")
    total: int = strawberry.field(description="支払額合計（円） (total, yen)")
    paid_on: date | None = strawberry.field(description="支払日 (paid on)")

    @resolved(description="保留の理由 (reasons the payment is held)")
    def hold_reasons(self) -> list[HoldReason]:
        return [HoldReason(r) for r in self.__dict__.get("hold_reasons") or []]

    @resolved(description="支払バッチ（作成済みの場合） (the payment batch, once batched)")
    async def batch(self, info: strawberry.Info) -> PaymentBatch | None:
        return await PaymentBatch.load(info, self.__dict__.get("batch_id"))


@strawberry.type(description="書類 (uploaded or posted document)")
class Document(RowNode, relay.Node):
    LOADER = "documents"
    id: relay.NodeID[int]
    kind: DocumentKind = strawberry.field(description="種類 (kind)")
    filename: str = strawberry.field(description="ファイル名 (file name)")
    content_type: str = strawberry.field(description="MIMEタイプ (content type)")
    size_bytes: int = strawberry.field(description="サイズ（バイト） (size, bytes)")
    received_by_post: bool = strawberry.field(description="郵送で受領したか (received by post)")
    created_at: datetime = strawberry.field(description="登録日時 (created at)")

    @resolved(
        description="ダウンロード用のパス（APIと同じオリジン、認証が必要）。ファイルがない・閲覧"
        "者がダウンロードできない場合は null (download path on the API origin, authenticated; "
        "null without a file or when the viewer may not download it)"
    )
    def download_url(self, info: strawberry.Info) -> str | None:
        if not can_download(info.context.principal, self.__dict__):
            return None
        return DOWNLOAD_PREFIX + to_global_id("Document", self.id)


@strawberry.type(
    description="チェックイン／チェックアウト（位置は本人・事務局のみ） (check-in/out; GPS "
    "only for the specialist and the secretariat)"
)
class CheckEvent(RowNode):
    kind: CheckKind = strawberry.field(description="種類 (check-in or check-out)")
    device_time: datetime = strawberry.field(description="端末の時刻 (device time)")
    server_time: datetime = strawberry.field(description="サーバの時刻 (server time)")
    lat: float | None = strawberry.field(description="緯度 (latitude, masked unless entitled)")
    lng: float | None = strawberry.field(description="経度 (longitude, masked unless entitled)")
    accuracy_m: float | None = strawberry.field(description="測位精度（m） (accuracy, m)")
    distance_m: int | None = strawberry.field(
        description="派遣場所からの距離（m） (distance from the site, m)"
    )

    @resolved(description="異常フラグ（位置情報の閲覧者のみ） (anomaly flags, GPS viewers only)")
    def flags(self) -> list[str]:
        return [str(f) for f in self.__dict__.get("flags") or []]


@strawberry.type(description="企業の署名 (the company's signature before check-out)")
class Signature(RowNode):
    signer_name: str = strawberry.field(description="署名者 (signer name)")
    signed_at: datetime = strawberry.field(description="署名日時 (signed at)")
    image_id: strawberry.Private[int | None]

    @resolved(description="署名画像（本人・事務局のみ） (signature image, restricted)")
    async def image(self, info: strawberry.Info) -> Document | None:
        return await Document.load(info, self.image_id)
