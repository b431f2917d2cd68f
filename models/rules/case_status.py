"""Case statuses (seed 000 p.10) and the actions clients see (api.md §7)."""

from __future__ import annotations

from models.rules.labels import LabelledEnum


class CaseStatus(LabelledEnum):
    UNPROCESSED = ("UNPROCESSED", "未処理")
    ADJUSTING = ("ADJUSTING", "調整中")
    NEEDS_COORDINATION = ("NEEDS_COORDINATION", "要調整")
    CONFIRMED = ("CONFIRMED", "決定")
    UNREPORTED = ("UNREPORTED", "未報告")
    REPORTED = ("REPORTED", "報告済")
    COMPLETED = ("COMPLETED", "完了")
    DECLINED = ("DECLINED", "辞退")
    CANCELLED = ("CANCELLED", "キャンセル")


#: Statuses that do not count towards the company's yearly limit (domain.md §4.1).
UNCOUNTED_STATUSES: frozenset[CaseStatus] = frozenset({CaseStatus.DECLINED, CaseStatus.CANCELLED})

#: Terminal statuses: nothing moves a case out of these.
TERMINAL_STATUSES: frozenset[CaseStatus] = frozenset({CaseStatus.DECLINED, CaseStatus.CANCELLED})


class CaseAction(LabelledEnum):
    """What a viewer may do with a case now (``DispatchCase.availableActions``)."""

    ACCEPT = ("ACCEPT", "候補日時で受諾する")
    PROPOSE_DATES = ("PROPOSE_DATES", "別日程を提案する")
    ACCEPT_PROPOSAL = ("ACCEPT_PROPOSAL", "提案日程を承諾する")
    REJECT_PROPOSALS = ("REJECT_PROPOSALS", "提案日程を断る（要調整へ）")
    SCHEDULE = ("SCHEDULE", "事務局が日程を確定する")
    DECLINE = ("DECLINE", "辞退する")
    WITHDRAW = ("WITHDRAW", "申請を取り下げる")
    CANCEL = ("CANCEL", "キャンセルする")
    CHECK_IN = ("CHECK_IN", "チェックイン")
    CHECK_OUT = ("CHECK_OUT", "チェックアウト")
    SAVE_REPORT_DRAFT = ("SAVE_REPORT_DRAFT", "実績報告を一時保存する")
    SUBMIT_REPORT = ("SUBMIT_REPORT", "実績報告を提出する")
    RETURN_REPORT = ("RETURN_REPORT", "実績報告を差し戻す")
    ACCEPT_REPORT = ("ACCEPT_REPORT", "実績報告を受理する")
    EVALUATE = ("EVALUATE", "評価する")


class SlotKind(LabelledEnum):
    CANDIDATE = ("CANDIDATE", "派遣希望日時（依頼者の候補）")
    PROPOSED = ("PROPOSED", "専門家からの提案日時")
    SCHEDULED = ("SCHEDULED", "事務局が確定した日時")
