"""The dispatch-case workflow table (domain.md §4.3–§4.4, §6) — pure, table-driven tests."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest

from models.rules.case_status import CaseAction, CaseStatus
from models.rules.errors import ErrorCode, TransitionNotAllowed
from models.rules.fiscal_year import TOKYO
from models.rules.money_kinds import EvaluatorKind, ReviewState
from models.rules.workflow import (
    FILE_PARTIES,
    FILE_STATUS,
    TRANSITIONS,
    ActionNotAllowed,
    CaseFacts,
    Party,
    SystemAction,
    Transition,
    available_actions,
    derive_status,
    evaluator_kind,
    find_transition,
    pending_system_transition,
    workflow_document,
    workflow_json,
)

REPO = Path(__file__).resolve().parents[2]
S = CaseStatus
A = CaseAction
P = Party
R = ReviewState
E = EvaluatorKind


def jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


# One confirmed dispatch on Wednesday 2026-06-10, 10:00–12:00 Asia/Tokyo.
START = jst(6, 10, 10)
END = jst(6, 10, 12)
DAY_BEFORE = jst(6, 9, 12)
LAST_MINUTE_BEFORE_DAY = jst(6, 9, 23, 59)
JUST_AFTER_MIDNIGHT = jst(6, 10, 0, 30)  # still 2026-06-09 in UTC: the day is Tokyo's
MORNING = jst(6, 10, 9)
DURING = jst(6, 10, 11)
LATER = jst(6, 12, 10)
# Two open slots, ending 2026-06-10 12:00 and 2026-06-11 12:00.
SLOTS = (jst(6, 10, 12), jst(6, 11, 12))

CONFIRMED = CaseFacts(S.CONFIRMED, dispatch_start=START, dispatch_end=END)
UNREPORTED = CaseFacts(S.UNREPORTED, dispatch_start=START, dispatch_end=END)

VIEWERS: dict[str, frozenset[Party]] = {
    "specialist": frozenset({P.SPECIALIST}),
    "company_member": frozenset({P.REQUESTER, P.COMPANY}),
    "platform_staff": frozenset({P.REQUESTER, P.PLATFORM}),
    "secretariat": frozenset({P.SECRETARIAT}),
    "system": frozenset({P.SYSTEM}),
    "stranger": frozenset(),
}


@dataclass(frozen=True)
class Scenario:
    facts: CaseFacts
    now: datetime
    derived: CaseStatus
    # viewer name → space-separated actions; a viewer not named may do nothing.
    actions: dict[str, str]


_REQ_WITHDRAW = {"company_member": "WITHDRAW", "platform_staff": "WITHDRAW"}
_COORDINATION = {**_REQ_WITHDRAW, "secretariat": "SCHEDULE WITHDRAW"}
_CANCEL_ALL = {
    v: "CANCEL" for v in ("specialist", "company_member", "platform_staff", "secretariat")
}
_EVALUATE_BOTH = {"company_member": "EVALUATE", "platform_staff": "EVALUATE"}
_SPECIALIST_CHECK_IN = {**_CANCEL_ALL, "specialist": "CANCEL CHECK_IN"}


def _after(status: CaseStatus, review: ReviewState, *evaluators: EvaluatorKind) -> CaseFacts:
    return CaseFacts(status, START, END, review_state=review, evaluated_by=frozenset(evaluators))


SCENARIOS: dict[str, Scenario] = {
    "unprocessed, slots open": Scenario(
        CaseFacts(S.UNPROCESSED, slot_ends=SLOTS), DAY_BEFORE, S.UNPROCESSED,
        {"specialist": "ACCEPT PROPOSE_DATES DECLINE", **_REQ_WITHDRAW, "secretariat": "WITHDRAW"},
    ),
    "unprocessed, first slot just ended": Scenario(
        CaseFacts(S.UNPROCESSED, slot_ends=SLOTS), jst(6, 10, 12), S.UNPROCESSED,
        {"specialist": "ACCEPT PROPOSE_DATES DECLINE", **_REQ_WITHDRAW, "secretariat": "WITHDRAW"},
    ),
    "unprocessed, every slot ended": Scenario(
        CaseFacts(S.UNPROCESSED, slot_ends=SLOTS), jst(6, 11, 12), S.NEEDS_COORDINATION,
        _COORDINATION,
    ),
    "unprocessed, no open slot known": Scenario(
        CaseFacts(S.UNPROCESSED), LATER, S.UNPROCESSED,
        {"specialist": "PROPOSE_DATES DECLINE", **_REQ_WITHDRAW, "secretariat": "WITHDRAW"},
    ),
    "adjusting, proposals open": Scenario(
        CaseFacts(S.ADJUSTING, slot_ends=SLOTS), DAY_BEFORE, S.ADJUSTING,
        {
            "company_member": "ACCEPT_PROPOSAL REJECT_PROPOSALS WITHDRAW",
            "platform_staff": "ACCEPT_PROPOSAL REJECT_PROPOSALS WITHDRAW",
            "secretariat": "WITHDRAW",
        },
    ),
    "adjusting, every proposal ended": Scenario(
        CaseFacts(S.ADJUSTING, slot_ends=SLOTS), LATER, S.NEEDS_COORDINATION, _COORDINATION
    ),
    "needs coordination": Scenario(
        CaseFacts(S.NEEDS_COORDINATION), DAY_BEFORE, S.NEEDS_COORDINATION, _COORDINATION
    ),
    "confirmed, day before": Scenario(CONFIRMED, DAY_BEFORE, S.CONFIRMED, _CANCEL_ALL),
    "confirmed, last minute of the day before": Scenario(
        CONFIRMED, LAST_MINUTE_BEFORE_DAY, S.CONFIRMED, _CANCEL_ALL
    ),
    "confirmed, just after midnight of the dispatch day": Scenario(
        CONFIRMED, JUST_AFTER_MIDNIGHT, S.CONFIRMED, _SPECIALIST_CHECK_IN
    ),
    "confirmed, morning of the dispatch day": Scenario(
        CONFIRMED, MORNING, S.CONFIRMED, _SPECIALIST_CHECK_IN
    ),
    "confirmed, at the start": Scenario(
        CONFIRMED, START, S.CONFIRMED, {"specialist": "CHECK_IN SAVE_REPORT_DRAFT"}
    ),
    "confirmed, during, checked in": Scenario(
        replace(CONFIRMED, checked_in=True), DURING, S.CONFIRMED,
        {"specialist": "CHECK_OUT SAVE_REPORT_DRAFT"},
    ),
    "confirmed, during, checked out": Scenario(
        replace(CONFIRMED, checked_in=True, checked_out=True), DURING, S.CONFIRMED,
        {"specialist": "SAVE_REPORT_DRAFT"},
    ),
    "confirmed, at the end": Scenario(
        CONFIRMED, END, S.UNREPORTED,
        {"specialist": "CHECK_IN SAVE_REPORT_DRAFT SUBMIT_REPORT", "secretariat": "CANCEL"},
    ),
    "confirmed, ended, checked in, draft saved": Scenario(
        replace(CONFIRMED, checked_in=True, review_state=R.DRAFT), LATER, S.UNREPORTED,
        {"specialist": "CHECK_OUT SAVE_REPORT_DRAFT SUBMIT_REPORT", "secretariat": "CANCEL"},
    ),
    "unreported, checked out": Scenario(
        replace(UNREPORTED, checked_in=True, checked_out=True), LATER, S.UNREPORTED,
        {"specialist": "SAVE_REPORT_DRAFT SUBMIT_REPORT", "secretariat": "CANCEL"},
    ),
    "unreported, report returned, never checked in": Scenario(
        replace(UNREPORTED, review_state=R.RETURNED), LATER, S.UNREPORTED,
        {"specialist": "SAVE_REPORT_DRAFT SUBMIT_REPORT", "secretariat": "CANCEL"},
    ),
    "reported, report submitted": Scenario(
        _after(S.REPORTED, R.SUBMITTED), LATER, S.REPORTED,
        {**_EVALUATE_BOTH, "secretariat": "RETURN_REPORT ACCEPT_REPORT"},
    ),
    "reported, report accepted": Scenario(
        _after(S.REPORTED, R.ACCEPTED), LATER, S.REPORTED,
        _EVALUATE_BOTH,
    ),
    "completed by the platform, report submitted": Scenario(
        _after(S.COMPLETED, R.SUBMITTED, E.PLATFORM),
        LATER, S.COMPLETED,
        {"company_member": "EVALUATE", "secretariat": "RETURN_REPORT ACCEPT_REPORT"},
    ),
    "completed by the company, report accepted": Scenario(
        _after(S.COMPLETED, R.ACCEPTED, E.COMPANY),
        LATER, S.COMPLETED, {"platform_staff": "EVALUATE"},
    ),
    "completed by both": Scenario(
        _after(S.COMPLETED, R.ACCEPTED, *E),
        LATER, S.COMPLETED, {},
    ),
    "completed by the platform, report returned": Scenario(
        _after(S.COMPLETED, R.RETURNED, E.PLATFORM),
        LATER, S.COMPLETED,
        {"specialist": "SAVE_REPORT_DRAFT SUBMIT_REPORT", "company_member": "EVALUATE"},
    ),
    "declined": Scenario(CaseFacts(S.DECLINED, slot_ends=SLOTS), DAY_BEFORE, S.DECLINED, {}),
    "cancelled before the dispatch": Scenario(
        CaseFacts(S.CANCELLED, START, END), DAY_BEFORE, S.CANCELLED, {}
    ),
    "cancelled, dispatch time passed": Scenario(
        CaseFacts(S.CANCELLED, START, END), LATER, S.CANCELLED, {}
    ),
}  # fmt: skip

MATRIX = [(scenario, viewer) for scenario in SCENARIOS for viewer in VIEWERS]


def _expected(scenario: str, viewer: str) -> list[CaseAction]:
    return [CaseAction(name) for name in SCENARIOS[scenario].actions.get(viewer, "").split()]


def _message(status: CaseStatus, allowed: list[CaseAction]) -> str:
    names = ", ".join(action.ja for action in allowed)
    tail = f"可能な操作: {names}" if names else "可能な操作はありません。"
    return f"現在の状態（{status.ja}）ではこの操作はできません。{tail}"


@pytest.mark.parametrize(("scenario", "viewer"), MATRIX)
def test_available_actions_over_the_status_party_time_matrix(scenario: str, viewer: str) -> None:
    # given
    case = SCENARIOS[scenario]
    # when
    actions = available_actions(case.facts, VIEWERS[viewer], case.now)
    # then
    assert actions == _expected(scenario, viewer)


@pytest.mark.parametrize(("scenario", "viewer"), MATRIX)
def test_find_transition_agrees_with_available_actions(scenario: str, viewer: str) -> None:
    # given
    case = SCENARIOS[scenario]
    allowed = _expected(scenario, viewer)
    for action in CaseAction:
        if action in allowed:
            # when / then: an allowed action finds a row that leaves the derived status
            row = find_transition(action, case.facts, VIEWERS[viewer], case.now)
            assert row.action is action
            assert case.derived in row.from_statuses
            assert row.parties & VIEWERS[viewer]
        else:
            # when / then: a refused action names the actions allowed now, in order
            with pytest.raises(ActionNotAllowed) as refused:
                find_transition(action, case.facts, VIEWERS[viewer], case.now)
            assert refused.value.code is ErrorCode.TRANSITION_NOT_ALLOWED
            assert refused.value.status is case.derived
            assert refused.value.allowed == tuple(allowed)
            assert refused.value.message == _message(case.derived, allowed)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_derive_status_reads_the_time_based_rule(scenario: str) -> None:
    # given
    case = SCENARIOS[scenario]
    # when
    derived = derive_status(case.facts, case.now)
    # then
    assert derived is case.derived


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_viewer_holding_several_parties_gets_the_union(scenario: str) -> None:
    # given: every party at once
    case = SCENARIOS[scenario]
    union = {action for viewer in VIEWERS for action in _expected(scenario, viewer)}
    # when
    actions = available_actions(case.facts, frozenset(Party), case.now)
    # then: the union, in CaseAction declaration order
    assert actions == [action for action in CaseAction if action in union]


@pytest.mark.parametrize(
    ("action", "facts", "viewer", "now", "message"),
    [
        (A.DECLINE, CONFIRMED, "specialist", MORNING,
         "現在の状態（決定）ではこの操作はできません。可能な操作: キャンセルする, チェックイン"),
        (A.ACCEPT, CaseFacts(S.REPORTED, review_state=R.SUBMITTED), "specialist", LATER,
         "現在の状態（報告済）ではこの操作はできません。可能な操作はありません。"),
        (A.CANCEL, CONFIRMED, "company_member", END,
         "現在の状態（未報告）ではこの操作はできません。可能な操作はありません。"),
        (A.ACCEPT, CaseFacts(S.UNPROCESSED, slot_ends=SLOTS), "specialist", LATER,
         "現在の状態（要調整）ではこの操作はできません。可能な操作はありません。"),
        (A.EVALUATE, CaseFacts(S.REPORTED, review_state=R.SUBMITTED), "secretariat", LATER,
         "現在の状態（報告済）ではこの操作はできません。"
         "可能な操作: 実績報告を差し戻す, 実績報告を受理する"),
    ],
)  # fmt: skip
def test_refusal_message_names_the_status_and_the_allowed_actions(
    action: CaseAction, facts: CaseFacts, viewer: str, now: datetime, message: str
) -> None:
    # when
    with pytest.raises(TransitionNotAllowed) as refused:
        find_transition(action, facts, VIEWERS[viewer], now)
    # then
    assert refused.value.message == message
    assert refused.value.errors[0].code is ErrorCode.TRANSITION_NOT_ALLOWED


@dataclass(frozen=True)
class RowCase:
    """A positive example of one row, and (for guarded rows) facts/time that fail its guard."""

    action: CaseAction | SystemAction
    viewer: str
    facts: CaseFacts
    now: datetime
    to_status: CaseStatus | None
    blocked: tuple[CaseFacts, datetime] | None = None


_SUBMITTED_REPORT = CaseFacts(S.REPORTED, START, END, review_state=R.SUBMITTED)
_RETURNED_COMPLETED = CaseFacts(
    S.COMPLETED, START, END, review_state=R.RETURNED, evaluated_by=frozenset({E.COMPANY})
)
_SUBMITTED_COMPLETED = CaseFacts(
    S.COMPLETED, START, END, review_state=R.SUBMITTED, evaluated_by=frozenset({E.PLATFORM})
)
_UNPROCESSED = CaseFacts(S.UNPROCESSED, slot_ends=SLOTS)
_ADJUSTING = CaseFacts(S.ADJUSTING, slot_ends=SLOTS)

ROW_CASES: dict[str, RowCase] = {
    "accept": RowCase(A.ACCEPT, "specialist", _UNPROCESSED, DAY_BEFORE, S.CONFIRMED,
                      (CaseFacts(S.UNPROCESSED), DAY_BEFORE)),
    "propose": RowCase(A.PROPOSE_DATES, "specialist", _UNPROCESSED, DAY_BEFORE, S.ADJUSTING),
    "accept proposal": RowCase(A.ACCEPT_PROPOSAL, "company_member", _ADJUSTING, DAY_BEFORE,
                               S.CONFIRMED, (CaseFacts(S.ADJUSTING), DAY_BEFORE)),
    "reject proposals": RowCase(A.REJECT_PROPOSALS, "platform_staff", _ADJUSTING, DAY_BEFORE,
                                S.NEEDS_COORDINATION),
    "schedule": RowCase(A.SCHEDULE, "secretariat", CaseFacts(S.NEEDS_COORDINATION), DAY_BEFORE,
                        S.CONFIRMED),
    "decline": RowCase(A.DECLINE, "specialist", _UNPROCESSED, DAY_BEFORE, S.DECLINED),
    "withdraw unprocessed": RowCase(A.WITHDRAW, "company_member", _UNPROCESSED, DAY_BEFORE,
                                    S.CANCELLED),
    "withdraw adjusting": RowCase(A.WITHDRAW, "secretariat", _ADJUSTING, DAY_BEFORE, S.CANCELLED),
    "withdraw needs coordination": RowCase(A.WITHDRAW, "platform_staff",
                                           CaseFacts(S.NEEDS_COORDINATION), DAY_BEFORE,
                                           S.CANCELLED),
    "cancel confirmed by specialist": RowCase(A.CANCEL, "specialist", CONFIRMED, DAY_BEFORE,
                                              S.CANCELLED, (CONFIRMED, START)),
    "cancel confirmed by requester": RowCase(A.CANCEL, "company_member", CONFIRMED, MORNING,
                                             S.CANCELLED, (CONFIRMED, DURING)),
    "cancel confirmed by secretariat": RowCase(A.CANCEL, "secretariat", CONFIRMED, MORNING,
                                               S.CANCELLED, (CONFIRMED, START)),
    "dispatch ended": RowCase(SystemAction.DISPATCH_ENDED, "system", CONFIRMED, END,
                              S.UNREPORTED, (CONFIRMED, DURING)),
    "slots expired unprocessed": RowCase(SystemAction.SLOTS_EXPIRED, "system", _UNPROCESSED,
                                         LATER, S.NEEDS_COORDINATION, (_UNPROCESSED, DAY_BEFORE)),
    "slots expired adjusting": RowCase(SystemAction.SLOTS_EXPIRED, "system", _ADJUSTING, LATER,
                                       S.NEEDS_COORDINATION, (_ADJUSTING, jst(6, 11, 11))),
    "check in confirmed": RowCase(A.CHECK_IN, "specialist", CONFIRMED, JUST_AFTER_MIDNIGHT, None,
                                  (CONFIRMED, LAST_MINUTE_BEFORE_DAY)),
    "check in unreported": RowCase(A.CHECK_IN, "specialist", UNREPORTED, LATER, None,
                                   (replace(UNREPORTED, review_state=R.RETURNED), LATER)),
    "check out": RowCase(A.CHECK_OUT, "specialist", replace(CONFIRMED, checked_in=True), DURING,
                         None, (replace(CONFIRMED, checked_in=True, checked_out=True), DURING)),
    "check out after the end": RowCase(A.CHECK_OUT, "specialist",
                                       replace(UNREPORTED, checked_in=True), LATER, None,
                                       (UNREPORTED, LATER)),
    "draft during the dispatch": RowCase(A.SAVE_REPORT_DRAFT, "specialist", CONFIRMED, DURING,
                                         None, (CONFIRMED, MORNING)),
    "draft unreported": RowCase(A.SAVE_REPORT_DRAFT, "specialist", UNREPORTED, LATER, None,
                                (replace(UNREPORTED, review_state=R.SUBMITTED), LATER)),
    "draft completed returned": RowCase(A.SAVE_REPORT_DRAFT, "specialist", _RETURNED_COMPLETED,
                                        LATER, None, (_SUBMITTED_COMPLETED, LATER)),
    "submit": RowCase(A.SUBMIT_REPORT, "specialist", replace(CONFIRMED, review_state=R.DRAFT),
                      LATER, S.REPORTED, (replace(UNREPORTED, review_state=R.ACCEPTED), LATER)),
    "resubmit in completed": RowCase(A.SUBMIT_REPORT, "specialist", _RETURNED_COMPLETED, LATER,
                                     None, (_SUBMITTED_COMPLETED, LATER)),
    "cancel unreported": RowCase(A.CANCEL, "secretariat", UNREPORTED, LATER, S.CANCELLED),
    "return reported": RowCase(A.RETURN_REPORT, "secretariat", _SUBMITTED_REPORT, LATER,
                               S.UNREPORTED,
                               (replace(_SUBMITTED_REPORT, review_state=R.ACCEPTED), LATER)),
    "return in completed": RowCase(A.RETURN_REPORT, "secretariat", _SUBMITTED_COMPLETED, LATER,
                                   None, (_RETURNED_COMPLETED, LATER)),
    "accept report reported": RowCase(A.ACCEPT_REPORT, "secretariat", _SUBMITTED_REPORT, LATER,
                                      None,
                                      (replace(_SUBMITTED_REPORT, review_state=R.ACCEPTED), LATER)),
    "accept report completed": RowCase(A.ACCEPT_REPORT, "secretariat", _SUBMITTED_COMPLETED,
                                       LATER, None, (_RETURNED_COMPLETED, LATER)),
    "first evaluation by platform": RowCase(
        A.EVALUATE, "platform_staff", _SUBMITTED_REPORT, LATER, S.COMPLETED,
        (replace(_SUBMITTED_REPORT, evaluated_by=frozenset({E.PLATFORM})), LATER)),
    "first evaluation by company": RowCase(
        A.EVALUATE, "company_member", _SUBMITTED_REPORT, LATER, S.COMPLETED,
        (replace(_SUBMITTED_REPORT, evaluated_by=frozenset({E.COMPANY})), LATER)),
    "second evaluation by platform": RowCase(
        A.EVALUATE, "platform_staff", replace(_RETURNED_COMPLETED), LATER, None,
        (_SUBMITTED_COMPLETED, LATER)),
    "second evaluation by company": RowCase(
        A.EVALUATE, "company_member", _SUBMITTED_COMPLETED, LATER, None,
        (_RETURNED_COMPLETED, LATER)),
}  # fmt: skip


def _find(case: RowCase) -> Transition:
    return find_transition(case.action, case.facts, VIEWERS[case.viewer], case.now)


@pytest.mark.parametrize("name", list(ROW_CASES))
def test_each_row_applies_to_its_positive_example(name: str) -> None:
    # given
    case = ROW_CASES[name]
    # when
    row = _find(case)
    # then
    assert row.action is case.action
    assert row.to_status is case.to_status
    assert row.parties & VIEWERS[case.viewer]
    assert row.guard(case.facts, case.now)


def test_positive_examples_cover_every_row() -> None:
    # when
    found = {_find(case) for case in ROW_CASES.values()}
    # then
    assert found == set(TRANSITIONS)
    assert len(set(TRANSITIONS)) == len(TRANSITIONS)


@pytest.mark.parametrize("name", list(ROW_CASES))
def test_each_guarded_row_is_refused_when_its_guard_fails(name: str) -> None:
    # given
    case = ROW_CASES[name]
    row = _find(case)
    if case.blocked is None:
        assert row.guard.name == "always"
        return
    facts, now = case.blocked
    assert not row.guard(facts, now)
    # when / then
    with pytest.raises(ActionNotAllowed):
        find_transition(case.action, facts, VIEWERS[case.viewer], now)


@pytest.mark.parametrize("name", list(ROW_CASES))
def test_each_row_is_refused_to_every_other_party(name: str) -> None:
    # given
    case = ROW_CASES[name]
    row = _find(case)
    outsiders = [v for v, parties in VIEWERS.items() if not parties & row.parties]
    assert outsiders
    for viewer in outsiders:
        # when
        try:
            other = find_transition(case.action, case.facts, VIEWERS[viewer], case.now)
        except ActionNotAllowed:
            continue
        # then: at most a different row (the other evaluator's) may apply
        assert other is not row


@pytest.mark.parametrize("name", list(ROW_CASES))
def test_each_row_is_refused_from_every_other_status(name: str) -> None:
    # given
    case = ROW_CASES[name]
    row = _find(case)
    for status in CaseStatus:
        facts = replace(case.facts, status=status)
        judged = (
            facts.status if isinstance(row.action, SystemAction) else derive_status(facts, case.now)
        )
        if judged in row.from_statuses:
            continue
        # when / then
        try:
            other = find_transition(case.action, facts, VIEWERS[case.viewer], case.now)
        except ActionNotAllowed:
            continue
        assert other is not row


def _key(row: Transition) -> tuple[str, frozenset[str], str | None, frozenset[str], str]:
    return (
        str(row.action),
        frozenset(map(str, row.from_statuses)),
        None if row.to_status is None else str(row.to_status),
        frozenset(map(str, row.parties)),
        row.guard.name,
    )


# domain.md §4.3 (and §4.4–§6 for the actions that keep the status), row by row:
# "ACTION: FROM,... -> TO by PARTY,... if GUARD"; TO "-" keeps the status.
SPEC_TABLE = """
ACCEPT: UNPROCESSED -> CONFIRMED by SPECIALIST if has_open_slot
PROPOSE_DATES: UNPROCESSED -> ADJUSTING by SPECIALIST if always
ACCEPT_PROPOSAL: ADJUSTING -> CONFIRMED by REQUESTER if has_open_slot
REJECT_PROPOSALS: ADJUSTING -> NEEDS_COORDINATION by REQUESTER if always
SCHEDULE: NEEDS_COORDINATION -> CONFIRMED by SECRETARIAT if always
DECLINE: UNPROCESSED -> DECLINED by SPECIALIST if always
WITHDRAW: UNPROCESSED,ADJUSTING,NEEDS_COORDINATION -> CANCELLED by REQUESTER,SECRETARIAT if always
CANCEL: CONFIRMED -> CANCELLED by SPECIALIST,REQUESTER,SECRETARIAT if before_dispatch_start
DISPATCH_ENDED: CONFIRMED -> UNREPORTED by SYSTEM if dispatch_ended
SLOTS_EXPIRED: UNPROCESSED,ADJUSTING -> NEEDS_COORDINATION by SYSTEM if all_slots_ended
CHECK_IN: CONFIRMED,UNREPORTED -> - by SPECIALIST if can_check_in
CHECK_OUT: CONFIRMED,UNREPORTED -> - by SPECIALIST if can_check_out
SAVE_REPORT_DRAFT: CONFIRMED -> - by SPECIALIST if dispatch_started
SAVE_REPORT_DRAFT: UNREPORTED -> - by SPECIALIST if report_open
SAVE_REPORT_DRAFT: COMPLETED -> - by SPECIALIST if report_returned
SUBMIT_REPORT: UNREPORTED -> REPORTED by SPECIALIST if report_open
SUBMIT_REPORT: COMPLETED -> - by SPECIALIST if report_returned
CANCEL: UNREPORTED -> CANCELLED by SECRETARIAT if always
RETURN_REPORT: REPORTED -> UNREPORTED by SECRETARIAT if report_submitted
RETURN_REPORT: COMPLETED -> - by SECRETARIAT if report_submitted
ACCEPT_REPORT: REPORTED,COMPLETED -> - by SECRETARIAT if report_submitted
EVALUATE: REPORTED -> COMPLETED by PLATFORM if platform_not_evaluated
EVALUATE: REPORTED -> COMPLETED by COMPANY if company_not_evaluated
EVALUATE: COMPLETED -> - by PLATFORM if platform_not_evaluated
EVALUATE: COMPLETED -> - by COMPANY if company_not_evaluated
"""
_SPEC_LINE = re.compile(r"(\w+): ([\w,]+) -> ([\w-]+) by ([\w,]+) if (\w+)")


def _spec_rows() -> list[tuple[str, frozenset[str], str | None, frozenset[str], str]]:
    rows = []
    for line in SPEC_TABLE.strip().splitlines():
        match = _SPEC_LINE.fullmatch(line)
        assert match, line
        action, froms, to, parties, guard = match.groups()
        rows.append(
            (action, frozenset(froms.split(",")), None if to == "-" else to,
             frozenset(parties.split(",")), guard)
        )  # fmt: skip
    return rows


def test_the_table_holds_exactly_the_specified_rows() -> None:
    # when
    rows = [_key(row) for row in TRANSITIONS]
    # then
    assert sorted(rows, key=repr) == sorted(_spec_rows(), key=repr)


def test_terminal_statuses_have_no_way_out() -> None:
    # then
    for row in TRANSITIONS:
        assert not row.from_statuses & {S.DECLINED, S.CANCELLED}


def test_filing_creates_an_unprocessed_case_by_platform_company_or_secretariat() -> None:
    # then
    assert FILE_STATUS is S.UNPROCESSED
    assert frozenset({P.PLATFORM, P.COMPANY, P.SECRETARIAT}) == FILE_PARTIES


@pytest.mark.parametrize(
    ("facts", "now", "action"),
    [
        (CONFIRMED, DURING, None),
        (CONFIRMED, END, SystemAction.DISPATCH_ENDED),
        (_UNPROCESSED, jst(6, 11, 11, 59), None),
        (_UNPROCESSED, jst(6, 11, 12), SystemAction.SLOTS_EXPIRED),
        (_ADJUSTING, LATER, SystemAction.SLOTS_EXPIRED),
        (CaseFacts(S.NEEDS_COORDINATION, slot_ends=SLOTS), LATER, None),
        (UNREPORTED, LATER, None),
        (CaseFacts(S.CANCELLED, START, END, slot_ends=SLOTS), LATER, None),
    ],
)
def test_pending_system_transition_is_what_the_sweeper_writes(
    facts: CaseFacts, now: datetime, action: SystemAction | None
) -> None:
    # when
    row = pending_system_transition(facts, now)
    # then
    assert (None if row is None else row.action) is action


def test_system_actions_are_judged_on_the_stored_status() -> None:
    # given: a confirmed case whose end has passed reads as UNREPORTED
    viewer = VIEWERS["system"]
    # when
    row = find_transition(SystemAction.DISPATCH_ENDED, CONFIRMED, viewer, LATER)
    # then
    assert row.to_status is S.UNREPORTED
    # and: not before the end, not for a person, not twice
    for facts, parties, now in [
        (CONFIRMED, viewer, DURING),
        (CONFIRMED, VIEWERS["secretariat"], LATER),
        (UNREPORTED, viewer, LATER),
    ]:
        with pytest.raises(ActionNotAllowed) as refused:
            find_transition(SystemAction.DISPATCH_ENDED, facts, parties, now)
        assert refused.value.status is facts.status
    with pytest.raises(ActionNotAllowed) as refused:
        find_transition(SystemAction.DISPATCH_ENDED, _UNPROCESSED, viewer, LATER)
    assert refused.value.message == (
        "現在の状態（未処理）ではこの操作はできません。可能な操作: 全候補日時の経過"
    )


@pytest.mark.parametrize(
    ("party", "kind"),
    [
        (P.PLATFORM, E.PLATFORM),
        (P.COMPANY, E.COMPANY),
        (P.SPECIALIST, None),
        (P.REQUESTER, None),
        (P.SECRETARIAT, None),
        (P.SYSTEM, None),
    ],
)
def test_evaluator_kind_of_a_party(party: Party, kind: EvaluatorKind | None) -> None:
    assert evaluator_kind(party) is kind


def test_evaluate_rows_name_one_evaluator_each() -> None:
    # then: the row found tells the use case which evaluation it records
    for name, kind in [
        ("first evaluation by platform", E.PLATFORM),
        ("first evaluation by company", E.COMPANY),
        ("second evaluation by platform", E.PLATFORM),
        ("second evaluation by company", E.COMPANY),
    ]:
        (party,) = _find(ROW_CASES[name]).parties
        assert evaluator_kind(party) is kind


def test_workflow_document_describes_every_row_and_label() -> None:
    # when
    document = workflow_document()
    # then
    assert [s["value"] for s in document["statuses"]] == [str(s) for s in CaseStatus]
    assert document["statuses"][3] == {
        "value": "CONFIRMED",
        "label": "決定",
        "terminal": False,
        "counted": True,
    }
    assert [a["value"] for a in document["actions"]] == [str(a) for a in CaseAction]
    assert len(document["transitions"]) == len(TRANSITIONS)
    assert document["transitions"][0] == {
        "action": "ACCEPT",
        "system": False,
        "from": ["UNPROCESSED"],
        "to": "CONFIRMED",
        "parties": ["SPECIALIST"],
        "guard": "has_open_slot",
        "description": "専門家が候補日時の一つで受諾する",
    }
    assert {g["name"] for g in document["guards"]} == {row.guard.name for row in TRANSITIONS}
    assert document["file"] == {
        "to": "UNPROCESSED",
        "parties": ["COMPANY", "PLATFORM", "SECRETARIAT"],
    }


def test_committed_workflow_json_is_the_generated_one() -> None:
    # given
    committed = (REPO / "frontend-contract" / "workflow.json").read_text(encoding="utf-8")
    # then: regenerate with `python -m models.rules.workflow > frontend-contract/workflow.json`
    assert committed == workflow_json()


def test_module_entry_point_prints_the_document() -> None:
    # when
    result = subprocess.run(
        [sys.executable, "-m", "models.rules.workflow"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    # then
    assert result.stdout.decode("utf-8") == workflow_json()


def test_facts_accept_plain_strings_from_raw_rows() -> None:
    # given: values as a row read without the ORM carries them
    facts = CaseFacts(
        "COMPLETED",  # type: ignore[arg-type]
        START,
        END,
        review_state="RETURNED",  # type: ignore[arg-type]
        evaluated_by=frozenset({"PLATFORM"}),  # type: ignore[arg-type]
    )
    # when
    actions = available_actions(facts, VIEWERS["specialist"] | VIEWERS["company_member"], LATER)
    # then
    assert facts.status is S.COMPLETED
    assert facts.review_state is R.RETURNED
    assert facts.evaluated_by == frozenset({E.PLATFORM})
    assert actions == [A.SAVE_REPORT_DRAFT, A.SUBMIT_REPORT, A.EVALUATE]
