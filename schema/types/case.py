"""``DispatchCase`` (派遣依頼): status derived on read, actions per viewer, every edge loaded.

The status shown is never the stored one blindly: ``workflow.derive_status`` turns a CONFIRMED
case whose end has passed into UNREPORTED (and unanswered, expired requests into
NEEDS_COORDINATION) as of the request's clock, exactly as the sweeper would later write it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from auth.scoping import can_see_decline_text, case_parties
from models.rules.case_status import CaseAction, CaseStatus, SlotKind
from models.rules.workflow import CaseFacts, available_actions, derive_status
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.relay import RowNode, resolved
from schema.types.masters import CancelCategory, DeclineReason, IssueCategory
from schema.types.money import (
    Honorarium,
    ReportDraft,
    honorarium_for,
    report_draft_for,
    report_due_for,
    report_overdue_for,
)
from schema.types.organisation import RegionalOffice, RegionalPlatform, SupportOrganization
from schema.types.people import Company, Specialist
from schema.types.report import CheckEvent, Document, Evaluation, Payment, Report, Signature

#: Statuses whose derivation depends on the slots still waiting for an answer.
_WAITING = {CaseStatus.UNPROCESSED: SlotKind.CANDIDATE, CaseStatus.ADJUSTING: SlotKind.PROPOSED}


def _latest_round(slots: Iterable[dict[str, Any]], kind: SlotKind) -> list[dict[str, Any]]:
    """Slots of ``kind`` from the newest round (a new proposal round replaces the older one)."""
    of_kind = [s for s in slots if s["kind"] == kind]
    if not of_kind:
        return []
    newest = max(s["round"] for s in of_kind)
    return sorted((s for s in of_kind if s["round"] == newest), key=lambda s: s["position"])


@strawberry.type(description="派遣場所 (dispatch location)")
class CaseLocation:
    name: str = strawberry.field(description="名称 (name of the place)")
    address: str = strawberry.field(description="住所 (address)")
    lat: float | None = strawberry.field(description="緯度 (latitude)")
    lng: float | None = strawberry.field(description="経度 (longitude)")


@strawberry.type(description="日時枠 (date-time slot: candidate or proposal)")
class CaseSlot(RowNode):
    start: datetime = strawberry.field(description="開始日時 (start)")
    end: datetime = strawberry.field(description="終了日時 (end)")
    position: int = strawberry.field(description="順位 1–3 (position)")
    round: int = strawberry.field(description="提案の回 (proposal round)")


@strawberry.type(description="利用者（表示名のみ） (a user, display name only)")
class UserSummary(RowNode):
    display_name: strawberry.Private[str]

    @resolved(description="表示名 (display name)")
    def name(self) -> str:
        return self.display_name


@strawberry.type(description="案件の履歴 (one entry of a case's audit trail)")
class CaseEvent(RowNode):
    at: datetime = strawberry.field(description="日時 (when)")
    actor_role: str = strawberry.field(description="操作者のロール (actor's role)")
    action: str = strawberry.field(description="操作 (action)")
    from_status: CaseStatus | None = strawberry.field(description="変更前の状態 (from status)")
    to_status: CaseStatus | None = strawberry.field(description="変更後の状態 (to status)")
    version: int = strawberry.field(description="変更後のバージョン (case version)")
    comment: str = strawberry.field(description="コメント (comment)")
    payload: JSON = strawberry.field(description="操作の内容 (action details)")
    actor_id: strawberry.Private[int | None]

    @resolved(description="事務局のみ閲覧できる内容（それ以外は null） (secretariat-only details)")
    def secret_payload(self) -> JSON | None:
        return self.__dict__.get("secret_payload") or None

    @resolved(description="操作者 (actor; null for the system)")
    async def actor(self, info: strawberry.Info) -> UserSummary | None:
        if self.actor_id is None:
            return None
        return UserSummary.from_row(await info.context.loaders.accounts.load(self.actor_id))


@strawberry.type(description="派遣依頼 (dispatch case)")
class DispatchCase(RowNode, relay.Node):
    LOADER = "cases"
    id: relay.NodeID[int]
    reservation_number: str = strawberry.field(description="派遣依頼予約番号 (reservation number)")
    fiscal_year: int = strawberry.field(description="年度 (fiscal year)")
    received_at: datetime = strawberry.field(description="受付日時 (received at)")
    title: str = strawberry.field(description="件名 (title)")
    description: str = strawberry.field(description="相談内容 (description)")
    comment: str = strawberry.field(description="依頼者からの連絡事項 (requester's note)")
    version: int = strawberry.field(
        description="バージョン（更新時に送り返す） (version, sent back with every transition)"
    )
    dispatch_start: datetime | None = strawberry.field(description="派遣開始日時 (start)")
    dispatch_end: datetime | None = strawberry.field(description="派遣終了日時 (end)")
    dispatch_date: date | None = strawberry.field(description="派遣日 (dispatch date, Tokyo)")
    decline_comment: str = strawberry.field(
        description="辞退時の依頼者へのコメント (decline comment to the requester)"
    )
    cancel_reason: str = strawberry.field(description="キャンセル理由 (cancel reason)")
    proposal_comment: str = strawberry.field(description="日程提案のコメント (proposal comment)")
    evaluated: bool = strawberry.field(description="評価済か (evaluated: completion state)")
    company_id: strawberry.Private[int]
    specialist_id: strawberry.Private[int]
    filed_by_id: strawberry.Private[int]
    filing_organization_id: strawberry.Private[int | None]
    platform_id: strawberry.Private[int | None]
    office_id: strawberry.Private[int]
    decline_reason_id: strawberry.Private[int | None]
    cancel_category_id: strawberry.Private[int | None]

    async def facts(self, info: strawberry.Info, *, full: bool) -> CaseFacts:
        """The workflow facts; ``full`` adds report, check-ins and evaluations (for actions)."""
        row = self.__dict__
        loaders = info.context.loaders
        stored = CaseStatus(row["status"])
        slot_ends: tuple[datetime, ...] = ()
        if stored in _WAITING:
            slots = await loaders.slots_by_case.load(self.id)
            slot_ends = tuple(s["end"] for s in _latest_round(slots, _WAITING[stored]))
        if not full:
            return CaseFacts(stored, self.dispatch_start, self.dispatch_end, slot_ends)
        report, checks, evaluations = await asyncio.gather(
            loaders.report_by_case.load(self.id),
            loaders.check_events_by_case.load(self.id),
            loaders.evaluations_by_case.load(self.id),
        )
        kinds = {c["kind"] for c in checks}
        return CaseFacts(
            status=stored,
            dispatch_start=self.dispatch_start,
            dispatch_end=self.dispatch_end,
            slot_ends=slot_ends,
            review_state=None if report is None else report["review_state"],
            evaluated_by=frozenset(e["evaluator_kind"] for e in evaluations),
            checked_in="CHECK_IN" in kinds,
            checked_out="CHECK_OUT" in kinds,
        )

    @resolved(description="ステータス（閲覧時点で導出） (status, derived as of the request time)")
    def status(self, info: strawberry.Info) -> CaseStatus:
        # Synchronous unless the slots are needed: most statuses derive from the row alone, and
        # graphql-core awaits the coroutine returned for the rest (no per-field async wrapper).
        stored = CaseStatus(self.__dict__["status"])
        now = info.context.loaders.now
        if stored in _WAITING:
            return cast(CaseStatus, self._status_after_slots(info, now))
        return derive_status(CaseFacts(stored, self.dispatch_start, self.dispatch_end), now)

    async def _status_after_slots(self, info: strawberry.Info, now: datetime) -> CaseStatus:
        return derive_status(await self.facts(info, full=False), now)

    @resolved(
        description="閲覧者が今できる操作 (actions the viewer may take now, from the workflow)"
    )
    async def available_actions(self, info: strawberry.Info) -> list[CaseAction]:
        parties = case_parties(info.context.principal, self.__dict__)
        if not parties:
            return []
        facts = await self.facts(info, full=True)
        return available_actions(facts, parties, info.context.loaders.now)

    @resolved(description="派遣場所 (location)")
    def location(self) -> CaseLocation:
        row = self.__dict__
        return CaseLocation(
            name=row["location_name"],
            address=row["location_address"],
            lat=row["location_lat"],
            lng=row["location_lng"],
        )

    @resolved(description="派遣希望日時（依頼者の候補） (requester's candidate slots)")
    async def candidate_slots(self, info: strawberry.Info) -> list[CaseSlot]:
        slots = await info.context.loaders.slots_by_case.load(self.id)
        return CaseSlot.from_rows(_latest_round(slots, SlotKind.CANDIDATE))

    @resolved(description="専門家からの提案日時（最新の回） (latest proposed slots)")
    async def proposed_slots(self, info: strawberry.Info) -> list[CaseSlot]:
        slots = await info.context.loaders.slots_by_case.load(self.id)
        return CaseSlot.from_rows(_latest_round(slots, SlotKind.PROPOSED))

    @resolved(description="依頼企業 (company)")
    async def company(self, info: strawberry.Info) -> Company | None:
        return await Company.load(info, self.company_id)

    @resolved(description="担当専門家 (specialist)")
    async def specialist(self, info: strawberry.Info) -> Specialist | None:
        return await Specialist.load(info, self.specialist_id)

    @resolved(description="申請者（表示名のみ） (who filed the request, name only)")
    async def filed_by(self, info: strawberry.Info) -> UserSummary | None:
        return UserSummary.from_row(await info.context.loaders.accounts.load(self.filed_by_id))

    @resolved(description="申請した支援機関（代理申請） (filing support organisation)")
    async def filing_organization(self, info: strawberry.Info) -> SupportOrganization | None:
        return await SupportOrganization.load(info, self.filing_organization_id)

    @resolved(description="地域PF (regional platform)")
    async def platform(self, info: strawberry.Info) -> RegionalPlatform | None:
        return await RegionalPlatform.load(info, self.platform_id)

    @resolved(description="担当の地域事務局 (regional office in charge)")
    async def office(self, info: strawberry.Info) -> RegionalOffice | None:
        return await RegionalOffice.load(info, self.office_id)

    @resolved(description="支援課題 (issue categories)")
    async def issue_categories(self, info: strawberry.Info) -> list[IssueCategory]:
        rows = await info.context.loaders.issue_categories_by_case.load(self.id)
        return IssueCategory.from_rows(rows)

    @resolved(description="辞退理由の区分 (decline reason category)")
    async def decline_reason(self, info: strawberry.Info) -> DeclineReason | None:
        row = await info.context.loaders.master("decline_reasons", self.decline_reason_id)
        return DeclineReason.from_row(row)

    @resolved(
        description="辞退理由の詳細（担当専門家・事務局のみ） (free-text decline reason, restricted)"
    )
    def decline_reason_text(self, info: strawberry.Info) -> str | None:
        if not can_see_decline_text(info.context.principal, self.__dict__):
            return None
        return str(self.__dict__["decline_reason_text"])

    @resolved(description="キャンセル区分 (cancel category)")
    async def cancel_category(self, info: strawberry.Info) -> CancelCategory | None:
        row = await info.context.loaders.master("cancel_categories", self.cancel_category_id)
        return CancelCategory.from_row(row)

    @resolved(description="履歴（秘匿部分はマスク） (history, secret parts masked)")
    async def history(self, info: strawberry.Info) -> list[CaseEvent]:
        return CaseEvent.from_rows(await info.context.loaders.case_events_by_case.load(self.id))

    @resolved(description="チェックイン・チェックアウト (check-in and check-out)")
    async def check_events(self, info: strawberry.Info) -> list[CheckEvent]:
        return CheckEvent.from_rows(await info.context.loaders.check_events_by_case.load(self.id))

    @resolved(description="実績報告（閲覧できる場合） (report, when visible)")
    async def report(self, info: strawberry.Info) -> Report | None:
        return Report.from_row(await info.context.loaders.report_by_case.load(self.id))

    @resolved(description="評価 (evaluations)")
    async def evaluations(self, info: strawberry.Info) -> list[Evaluation]:
        return Evaluation.from_rows(await info.context.loaders.evaluations_by_case.load(self.id))

    @resolved(
        description="支払の状態と金額（専門家本人・地域PF・事務局のみ、閲覧時点で計算。支払バッチ"
        "作成後は確定額） (payment state and amounts, money viewers only: computed as of the "
        "request, frozen once batched)"
    )
    async def payment(self, info: strawberry.Info) -> Payment | None:
        return Payment.from_row(await info.context.loaders.payment_state_by_case.load(self.id))

    @resolved(
        description="謝金（専門家本人・地域PF・事務局のみ、報告提出後。同日の他の派遣と日額上限を"
        "共有） (honorarium after the report, money viewers only; daily cap shared with the "
        "specialist's other dispatches that day)"
    )
    async def honorarium(self, info: strawberry.Info) -> Honorarium | None:
        return await honorarium_for(info, self.id)

    @resolved(
        description="実績報告の下書き（担当専門家のみ。保存内容、差戻しの報告、または決定日時で"
        "事前入力） (report draft for the case's specialist: saved, returned or pre-filled)"
    )
    async def report_draft(self, info: strawberry.Info) -> ReportDraft | None:
        return await report_draft_for(info, self.__dict__)

    @resolved(
        description="実績報告の期限（派遣日の5営業日後の終わり） (report deadline: end of the 5th "
        "business day after the dispatch day)"
    )
    async def report_due_at(self, info: strawberry.Info) -> datetime | None:
        return await report_due_for(info, self.__dict__)

    @resolved(
        description="実績報告の期限超過（遅れて提出された場合も true） (report overdue, also when "
        "it was submitted late)"
    )
    async def is_report_overdue(self, info: strawberry.Info) -> bool:
        status = derive_status(await self.facts(info, full=False), info.context.loaders.now)
        return await report_overdue_for(info, self.__dict__, status)

    @resolved(description="書類 (documents)")
    async def documents(self, info: strawberry.Info) -> list[Document]:
        return Document.from_rows(await info.context.loaders.documents_by_case.load(self.id))

    @resolved(description="企業の署名 (the company's signature)")
    async def signature(self, info: strawberry.Info) -> Signature | None:
        return Signature.from_row(await info.context.loaders.signature_by_case.load(self.id))
