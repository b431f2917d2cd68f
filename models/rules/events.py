"""The catalogue of domain events (domain.md §8).

Every state change writes one ``DomainEvent`` row (``models.outbox``) in the same transaction,
with ``kind`` set to a member of :class:`EventKind`. Subscriptions and the e-mail outbox are fed
from those rows only, so producers and consumers agree on this table and nothing else.

Case events carry ``case_id`` and the case's new ``version``; registration events carry
``specialist_id``. The payload is JSON and never holds a secret (bank data, the
secretariat-only decline reason): consumers re-read what they show through the scoping rules.
"""

from __future__ import annotations

from models.rules.case_status import CaseAction
from models.rules.labels import LabelledEnum


class EventKind(LabelledEnum):
    # Case workflow (§4.3)
    CASE_FILED = ("CASE_FILED", "専門家派遣申請")
    CASE_CONFIRMED = ("CASE_CONFIRMED", "派遣日程決定")
    CASE_DATES_PROPOSED = ("CASE_DATES_PROPOSED", "日程調整のお願い")
    CASE_NEEDS_COORDINATION = ("CASE_NEEDS_COORDINATION", "要調整（事務局による調整）")
    CASE_DECLINED = ("CASE_DECLINED", "辞退")
    CASE_CANCELLED = ("CASE_CANCELLED", "専門家派遣キャンセル")
    CASE_UNREPORTED = ("CASE_UNREPORTED", "派遣終了（実績報告待ち）")
    CASE_CHECKED_IN = ("CASE_CHECKED_IN", "チェックイン")
    CASE_CHECKED_OUT = ("CASE_CHECKED_OUT", "チェックアウト")
    CASE_LIMIT_EXCEPTION = ("CASE_LIMIT_EXCEPTION", "申請上限の例外承認")
    # Reports, evaluations, money (§5–§7)
    REPORT_DUE_REMINDER = ("REPORT_DUE_REMINDER", "実績報告の期限のお知らせ")
    REPORT_OVERDUE_REMINDER = ("REPORT_OVERDUE_REMINDER", "実績報告の期限超過")
    CASE_REPORTED = ("CASE_REPORTED", "評価のお願い（実績報告済）")
    REPORT_RETURNED = ("REPORT_RETURNED", "実績報告の差戻し")
    REPORT_ACCEPTED = ("REPORT_ACCEPTED", "実績報告の受理")
    CASE_COMPLETED = ("CASE_COMPLETED", "完了（評価済）")
    CASE_EVALUATED = ("CASE_EVALUATED", "評価の登録")
    PAYMENT_BATCH_PAID = ("PAYMENT_BATCH_PAID", "謝金の支払")
    EXPENSE_CORRECTED = ("EXPENSE_CORRECTED", "旅費の修正（事務局）")
    CASE_DOCUMENTS_CHANGED = ("CASE_DOCUMENTS_CHANGED", "案件の書類の登録・郵送受領")
    UNANSWERED_REMINDER = ("UNANSWERED_REMINDER", "未回答の派遣依頼のお知らせ")
    # Specialist registration (§3)
    REGISTRATION_CHANGED = ("REGISTRATION_CHANGED", "専門家登録の手続き")
    ORGANIZATION_SUSPENDED = ("ORGANIZATION_SUSPENDED", "支援機関の申請停止")


#: The event a case action emits (status-keeping actions included). A status change made by the
#: system sweeper emits the event of its target status (see :data:`EVENT_BY_TARGET_STATUS`).
EVENT_BY_ACTION: dict[CaseAction, EventKind] = {
    CaseAction.ACCEPT: EventKind.CASE_CONFIRMED,
    CaseAction.PROPOSE_DATES: EventKind.CASE_DATES_PROPOSED,
    CaseAction.ACCEPT_PROPOSAL: EventKind.CASE_CONFIRMED,
    CaseAction.REJECT_PROPOSALS: EventKind.CASE_NEEDS_COORDINATION,
    CaseAction.SCHEDULE: EventKind.CASE_CONFIRMED,
    CaseAction.DECLINE: EventKind.CASE_DECLINED,
    CaseAction.WITHDRAW: EventKind.CASE_CANCELLED,
    CaseAction.CANCEL: EventKind.CASE_CANCELLED,
    CaseAction.CHECK_IN: EventKind.CASE_CHECKED_IN,
    CaseAction.CHECK_OUT: EventKind.CASE_CHECKED_OUT,
    CaseAction.SUBMIT_REPORT: EventKind.CASE_REPORTED,
    CaseAction.RETURN_REPORT: EventKind.REPORT_RETURNED,
    CaseAction.ACCEPT_REPORT: EventKind.REPORT_ACCEPTED,
    CaseAction.EVALUATE: EventKind.CASE_EVALUATED,
}
