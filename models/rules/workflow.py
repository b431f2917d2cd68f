"""The dispatch-case workflow (domain.md §4.3, §4.4) declared as data: the ONE transition table.

No status decision lives outside this module. A row says which ``action`` moves a case from which
(derived) statuses to which status, which parties of the viewer may take it, and which named pure
guard must hold. Everything else is computed from :data:`TRANSITIONS`:

* :func:`derive_status` — "reads show the derived status without writing" (the system rows);
* :func:`available_actions` — ``DispatchCase.availableActions`` per viewer (api.md §7);
* :func:`find_transition` — the row a mutation applies, or :class:`ActionNotAllowed` naming the
  actions allowed now ("An illegal transition is refused with the allowed actions named");
* :func:`workflow_document` — ``frontend-contract/workflow.json``, regenerated with
  ``python -m models.rules.workflow > frontend-contract/workflow.json``.

Every instant is an aware datetime; ``now`` is always a parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never

from models.rules.case_status import TERMINAL_STATUSES, UNCOUNTED_STATUSES, CaseAction, CaseStatus
from models.rules.errors import TransitionNotAllowed
from models.rules.fiscal_year import tokyo_date
from models.rules.labels import LabelledEnum
from models.rules.money_kinds import EvaluatorKind, ReviewState


class Party(LabelledEnum):
    """The viewer's relation to one case; a viewer may hold several at once.

    A company member of the case's company is ``{REQUESTER, COMPANY}``; platform staff in scope of
    the case are ``{REQUESTER, PLATFORM}``; the filer is ``REQUESTER``.
    """

    SPECIALIST = ("SPECIALIST", "担当専門家")
    REQUESTER = ("REQUESTER", "依頼者側（申請者・企業・地域PF）")
    COMPANY = ("COMPANY", "依頼企業（評価者）")
    PLATFORM = ("PLATFORM", "地域PF・支援機関（評価者）")
    SECRETARIAT = ("SECRETARIAT", "担当事務局・全国本部")
    SYSTEM = ("SYSTEM", "システム（定期処理）")


class SystemAction(LabelledEnum):
    """Transitions nobody clicks: the sweeper writes them, reads derive them."""

    DISPATCH_ENDED = ("DISPATCH_ENDED", "派遣終了時刻の経過")
    SLOTS_EXPIRED = ("SLOTS_EXPIRED", "全候補日時の経過")


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case (stored status, never the derived one).

    ``slot_ends`` are the ends of the open slots that wait for an answer: the candidate slots
    while UNPROCESSED, the proposed slots while ADJUSTING.
    """

    status: CaseStatus
    dispatch_start: datetime | None = None
    dispatch_end: datetime | None = None
    slot_ends: tuple[datetime, ...] = ()
    review_state: ReviewState | None = None
    evaluated_by: frozenset[EvaluatorKind] = frozenset()
    checked_in: bool = False
    checked_out: bool = False

    def __post_init__(self) -> None:
        # Rows read without the ORM carry plain strings; the rules compare enum members.
        object.__setattr__(self, "status", CaseStatus(self.status))
        if self.review_state is not None:
            object.__setattr__(self, "review_state", ReviewState(self.review_state))
        object.__setattr__(self, "evaluated_by", frozenset(map(EvaluatorKind, self.evaluated_by)))


GuardTest = Callable[[CaseFacts, datetime], bool]


@dataclass(frozen=True)
class Guard:
    """A named pure predicate over the facts of a case and ``now``."""

    name: str
    description_ja: str
    test: GuardTest

    def __call__(self, facts: CaseFacts, now: datetime) -> bool:
        return self.test(facts, now)


def _guard(description_ja: str) -> Callable[[GuardTest], Guard]:
    def wrap(test: GuardTest) -> Guard:
        return Guard(test.__name__, description_ja, test)

    return wrap


#: Report review states in which the report has never been submitted.
_NEVER_SUBMITTED: frozenset[ReviewState | None] = frozenset({None, ReviewState.DRAFT})
#: Review states in which the specialist may (re)write and submit the report.
_OPEN_REPORT: frozenset[ReviewState | None] = _NEVER_SUBMITTED | {ReviewState.RETURNED}


@_guard("条件なし")
def always(facts: CaseFacts, now: datetime) -> bool:
    return True


@_guard("回答期限内の日時が残っている")
def has_open_slot(facts: CaseFacts, now: datetime) -> bool:
    """Rule "accept one candidate slot — slot still selectable": at least one slot has not ended.
    Whether the chosen slot suits the specialist is checked by the scheduling rules."""
    return any(end > now for end in facts.slot_ends)


@_guard("派遣開始時刻より前")
def before_dispatch_start(facts: CaseFacts, now: datetime) -> bool:
    """Rule "CONFIRMED → CANCELLED … only before the dispatch start time"."""
    return facts.dispatch_start is not None and now < facts.dispatch_start


@_guard("派遣開始時刻以降")
def dispatch_started(facts: CaseFacts, now: datetime) -> bool:
    """The report draft opens once the dispatch has started."""
    return facts.dispatch_start is not None and now >= facts.dispatch_start


@_guard("派遣終了時刻を経過")
def dispatch_ended(facts: CaseFacts, now: datetime) -> bool:
    """Rule "CONFIRMED → UNREPORTED — system — dispatch end time passed"."""
    return facts.dispatch_end is not None and facts.dispatch_end <= now


@_guard("すべての候補（提案）日時が経過")
def all_slots_ended(facts: CaseFacts, now: datetime) -> bool:
    """Rule "every candidate (or proposed) slot has passed unanswered". A case without open slots
    (``slot_ends`` empty) is left alone: there is nothing that could have passed."""
    return bool(facts.slot_ends) and all(end <= now for end in facts.slot_ends)


@_guard("派遣日当日以降・報告提出前・未チェックイン")
def can_check_in(facts: CaseFacts, now: datetime) -> bool:
    """Rule "Check-in/out stays possible from the dispatch day until the report is submitted";
    one check-in per case. The dispatch day is the Asia/Tokyo date of the start."""
    return (
        facts.dispatch_start is not None
        and tokyo_date(now) >= tokyo_date(facts.dispatch_start)
        and facts.review_state in _NEVER_SUBMITTED
        and not facts.checked_in
    )


@_guard("チェックイン済・未チェックアウト・報告提出前")
def can_check_out(facts: CaseFacts, now: datetime) -> bool:
    """Check-out only after check-in, only once, and only until the report is submitted."""
    return facts.checked_in and not facts.checked_out and facts.review_state in _NEVER_SUBMITTED


@_guard("報告が未提出または差戻し")
def report_open(facts: CaseFacts, now: datetime) -> bool:
    """The specialist writes the report while it is unsubmitted or returned for correction."""
    return facts.review_state in _OPEN_REPORT


@_guard("報告が差戻し")
def report_returned(facts: CaseFacts, now: datetime) -> bool:
    """Rule "in COMPLETED a return keeps the status; the report's review state shows RETURNED":
    so the correction and resubmission happen in COMPLETED too ("RETURNED → SUBMITTED again")."""
    return facts.review_state == ReviewState.RETURNED


@_guard("報告が提出済（審査待ち）")
def report_submitted(facts: CaseFacts, now: datetime) -> bool:
    """Review: "SUBMITTED → ACCEPTED | RETURNED"."""
    return facts.review_state == ReviewState.SUBMITTED


@_guard("地域PF・支援機関が未評価")
def platform_not_evaluated(facts: CaseFacts, now: datetime) -> bool:
    """Rule "the platform and/or the company of the case each may submit one evaluation"."""
    return EvaluatorKind.PLATFORM not in facts.evaluated_by


@_guard("企業が未評価")
def company_not_evaluated(facts: CaseFacts, now: datetime) -> bool:
    """Rule "the platform and/or the company of the case each may submit one evaluation"."""
    return EvaluatorKind.COMPANY not in facts.evaluated_by


@dataclass(frozen=True)
class Transition:
    """One row of the table. ``to_status`` is None when the action keeps the status."""

    action: CaseAction | SystemAction
    from_statuses: frozenset[CaseStatus]
    to_status: CaseStatus | None
    parties: frozenset[Party]
    guard: Guard
    description_ja: str


S = CaseStatus
P = Party
A = CaseAction


def _row(
    action: CaseAction | SystemAction,
    from_statuses: Collection[CaseStatus],
    to_status: CaseStatus | None,
    parties: Collection[Party],
    guard: Guard,
    description_ja: str,
) -> Transition:
    return Transition(
        action, frozenset(from_statuses), to_status, frozenset(parties), guard, description_ja
    )


#: "— → UNPROCESSED — platform, company, secretariat — file request" (§4.1 rules apply).
FILE_STATUS = CaseStatus.UNPROCESSED
FILE_PARTIES: frozenset[Party] = frozenset({P.PLATFORM, P.COMPANY, P.SECRETARIAT})

_REQ = (P.REQUESTER,)
_PRE_CONFIRMED = (S.UNPROCESSED, S.ADJUSTING, S.NEEDS_COORDINATION)

#: Every transition of domain.md §4.3 and the status-keeping actions of §4.4–§6.
TRANSITIONS: tuple[Transition, ...] = (
    _row(A.ACCEPT, [S.UNPROCESSED], S.CONFIRMED, [P.SPECIALIST], has_open_slot,
         "専門家が候補日時の一つで受諾する"),
    _row(A.PROPOSE_DATES, [S.UNPROCESSED], S.ADJUSTING, [P.SPECIALIST], always,
         "専門家が別日程（1〜3件）を依頼者に提案する"),
    _row(A.ACCEPT_PROPOSAL, [S.ADJUSTING], S.CONFIRMED, _REQ, has_open_slot,
         "依頼者側が提案日程の一つを承諾する"),
    _row(A.REJECT_PROPOSALS, [S.ADJUSTING], S.NEEDS_COORDINATION, _REQ, always,
         "依頼者側が提案日程を断り、事務局の調整に回す"),
    _row(A.SCHEDULE, [S.NEEDS_COORDINATION], S.CONFIRMED, [P.SECRETARIAT], always,
         "事務局が日程を確定する（理由を付して空き状況を上書き可）"),
    _row(A.DECLINE, [S.UNPROCESSED], S.DECLINED, [P.SPECIALIST], always,
         "専門家が辞退する（辞退理由は必須）"),
    _row(A.WITHDRAW, _PRE_CONFIRMED, S.CANCELLED, [P.REQUESTER, P.SECRETARIAT], always,
         "依頼者側または事務局が決定前の申請を取り下げる"),
    _row(A.CANCEL, [S.CONFIRMED], S.CANCELLED, [P.SPECIALIST, P.REQUESTER, P.SECRETARIAT],
         before_dispatch_start, "派遣開始時刻より前にキャンセルする（区分と理由）"),
    _row(SystemAction.DISPATCH_ENDED, [S.CONFIRMED], S.UNREPORTED, [P.SYSTEM], dispatch_ended,
         "派遣終了時刻を過ぎた決定案件を未報告にする"),
    _row(SystemAction.SLOTS_EXPIRED, [S.UNPROCESSED, S.ADJUSTING], S.NEEDS_COORDINATION,
         [P.SYSTEM], all_slots_ended, "回答のないまま全日時が過ぎた案件を要調整にする"),
    _row(A.CHECK_IN, [S.CONFIRMED, S.UNREPORTED], None, [P.SPECIALIST], can_check_in,
         "派遣日当日以降にチェックインする"),
    _row(A.CHECK_OUT, [S.CONFIRMED, S.UNREPORTED], None, [P.SPECIALIST], can_check_out,
         "チェックイン後にチェックアウトする"),
    _row(A.SAVE_REPORT_DRAFT, [S.CONFIRMED], None, [P.SPECIALIST], dispatch_started,
         "派遣開始後に実績報告を一時保存する"),
    _row(A.SAVE_REPORT_DRAFT, [S.UNREPORTED], None, [P.SPECIALIST], report_open,
         "実績報告を一時保存する"),
    _row(A.SAVE_REPORT_DRAFT, [S.COMPLETED], None, [P.SPECIALIST], report_returned,
         "差し戻された実績報告を一時保存する（完了のまま）"),
    _row(A.SUBMIT_REPORT, [S.UNREPORTED], S.REPORTED, [P.SPECIALIST], report_open,
         "実績報告を提出する"),
    _row(A.SUBMIT_REPORT, [S.COMPLETED], None, [P.SPECIALIST], report_returned,
         "差し戻された実績報告を再提出する（完了のまま）"),
    _row(A.CANCEL, [S.UNREPORTED], S.CANCELLED, [P.SECRETARIAT], always,
         "実施されなかった派遣を事務局がキャンセルする（理由必須・謝金旅費なし）"),
    _row(A.RETURN_REPORT, [S.REPORTED], S.UNREPORTED, [P.SECRETARIAT], report_submitted,
         "事務局が実績報告を差し戻す（コメント付き）"),
    _row(A.RETURN_REPORT, [S.COMPLETED], None, [P.SECRETARIAT], report_submitted,
         "事務局が実績報告を差し戻す（完了のまま）"),
    _row(A.ACCEPT_REPORT, [S.REPORTED, S.COMPLETED], None, [P.SECRETARIAT], report_submitted,
         "事務局が実績報告を受理する"),
    _row(A.EVALUATE, [S.REPORTED], S.COMPLETED, [P.PLATFORM], platform_not_evaluated,
         "地域PF・支援機関が評価し、案件を完了にする"),
    _row(A.EVALUATE, [S.REPORTED], S.COMPLETED, [P.COMPANY], company_not_evaluated,
         "企業が評価し、案件を完了にする"),
    _row(A.EVALUATE, [S.COMPLETED], None, [P.PLATFORM], platform_not_evaluated,
         "地域PF・支援機関が二件目の評価をする"),
    _row(A.EVALUATE, [S.COMPLETED], None, [P.COMPANY], company_not_evaluated,
         "企業が二件目の評価をする"),
)  # fmt: skip


def _applies(
    row: Transition, status: CaseStatus, parties: frozenset[Party], facts: CaseFacts, now: datetime
) -> bool:
    return status in row.from_statuses and bool(row.parties & parties) and row.guard(facts, now)


def pending_system_transition(facts: CaseFacts, now: datetime) -> Transition | None:
    """The system row due on the stored status, if any — what the sweeper writes, and what a
    mutation "derives … before its compare-and-set"."""
    for row in TRANSITIONS:
        if isinstance(row.action, SystemAction) and _applies(
            row, facts.status, frozenset({Party.SYSTEM}), facts, now
        ):
            return row
    return None


def derive_status(facts: CaseFacts, now: datetime) -> CaseStatus:
    """The status as of ``now``: "reads show the derived status without writing".

    A CONFIRMED case whose dispatch end ≤ now reads as UNREPORTED; an UNPROCESSED/ADJUSTING case
    whose every open slot has ended reads as NEEDS_COORDINATION.
    """
    row = pending_system_transition(facts, now)
    if row is None or row.to_status is None:
        return facts.status
    return row.to_status


def _allowed(
    facts: CaseFacts, parties: frozenset[Party], now: datetime
) -> tuple[CaseStatus, list[CaseAction]]:
    status = derive_status(facts, now)
    found = {
        row.action
        for row in TRANSITIONS
        if isinstance(row.action, CaseAction) and _applies(row, status, parties, facts, now)
    }
    return status, [action for action in CaseAction if action in found]


def available_actions(
    facts: CaseFacts, parties: Collection[Party], now: datetime
) -> list[CaseAction]:
    """What this viewer may do now, in the declaration order of :class:`CaseAction`, from the
    table on the derived status (api.md §7 ``availableActions``)."""
    return _allowed(facts, frozenset(parties), now)[1]


class ActionNotAllowed(TransitionNotAllowed):
    """A refused transition, carrying the status it was judged on and the actions allowed."""

    def __init__(self, status: CaseStatus, allowed: Collection[CaseAction | SystemAction]) -> None:
        self.status = status
        self.allowed = tuple(allowed)
        names = ", ".join(action.ja for action in self.allowed)
        tail = f"可能な操作: {names}" if names else "可能な操作はありません。"
        super().__init__(f"現在の状態（{status.ja}）ではこの操作はできません。{tail}")


def find_transition(
    action: CaseAction | SystemAction,
    facts: CaseFacts,
    parties: Collection[Party],
    now: datetime,
) -> Transition:
    """The row that ``action`` applies for this viewer now, else :class:`ActionNotAllowed`.

    User actions are judged on the derived status; system actions on the stored status, since
    they are what turns the stored status into the derived one.
    """
    viewer = frozenset(parties)
    if isinstance(action, SystemAction):
        status = facts.status
        rows = [r for r in TRANSITIONS if isinstance(r.action, SystemAction)]
        allowed: list[CaseAction | SystemAction] = [
            r.action for r in rows if _applies(r, status, viewer, facts, now)
        ]
    else:
        status, user_allowed = _allowed(facts, viewer, now)
        rows = [r for r in TRANSITIONS if r.action is action]
        allowed = list(user_allowed)
    for row in rows:
        if row.action is action and _applies(row, status, viewer, facts, now):
            return row
    raise ActionNotAllowed(status, allowed)


def evaluator_kind(party: Party) -> EvaluatorKind | None:
    """Which evaluation a party submits ("the platform and/or the company … each … one")."""
    match party:
        case Party.PLATFORM:
            return EvaluatorKind.PLATFORM
        case Party.COMPANY:
            return EvaluatorKind.COMPANY
        case Party.SPECIALIST | Party.REQUESTER | Party.SECRETARIAT | Party.SYSTEM:
            return None
        case _:
            assert_never(party)


def _members(values: Collection[LabelledEnum], order: Collection[LabelledEnum]) -> list[str]:
    return [str(member) for member in order if member in values]


def workflow_document() -> dict[str, Any]:
    """A JSON-able description of the table for clients (``frontend-contract/workflow.json``)."""
    guards: dict[str, Guard] = {}
    for row in TRANSITIONS:
        guards.setdefault(row.guard.name, row.guard)
    return {
        "statuses": [
            {
                "value": str(status),
                "label": status.ja,
                "terminal": status in TERMINAL_STATUSES,
                "counted": status not in UNCOUNTED_STATUSES,
            }
            for status in CaseStatus
        ],
        "actions": [{"value": str(a), "label": a.ja} for a in CaseAction],
        "systemActions": [{"value": str(a), "label": a.ja} for a in SystemAction],
        "parties": [{"value": str(p), "label": p.ja} for p in Party],
        "guards": [{"name": g.name, "description": g.description_ja} for g in guards.values()],
        "file": {"to": str(FILE_STATUS), "parties": _members(FILE_PARTIES, list(Party))},
        "transitions": [
            {
                "action": str(row.action),
                "system": isinstance(row.action, SystemAction),
                "from": _members(row.from_statuses, list(CaseStatus)),
                "to": None if row.to_status is None else str(row.to_status),
                "parties": _members(row.parties, list(Party)),
                "guard": row.guard.name,
                "description": row.description_ja,
            }
            for row in TRANSITIONS
        ],
    }


def workflow_json() -> str:
    """The committed form of :func:`workflow_document`: sorted keys, 2-space indent, newline."""
    return json.dumps(workflow_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(workflow_json(), end="")
