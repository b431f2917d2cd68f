"""Evaluations (domain.md §6) — input rules, who may evaluate, the summary."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.rules.case_status import CaseStatus
from models.rules.errors import DomainError, ErrorCode
from models.rules.evaluation import (
    AlreadyEvaluated,
    EvaluationInput,
    EvaluationSummary,
    ScoreSet,
    average,
    completes_case,
    evaluation_errors,
    evaluator_kind,
    summarize,
)
from models.rules.money_kinds import EvaluatorKind
from models.rules.workflow import Party

VALID = EvaluationInput(5, 4, 3, 1, "丁寧な説明でした。", True)


def test_a_valid_evaluation() -> None:
    assert evaluation_errors(VALID) == ()
    assert evaluation_errors(replace(VALID, comment=None, would_request_again=False)) == ()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"satisfaction": 0}, [(ErrorCode.OUT_OF_RANGE, ("satisfaction",))]),
        ({"expertise": 6}, [(ErrorCode.OUT_OF_RANGE, ("expertise",))]),
        ({"clarity": None}, [(ErrorCode.REQUIRED, ("clarity",))]),
        ({"responsiveness": 2.5}, [(ErrorCode.NOT_AN_INTEGER, ("responsiveness",))]),
        ({"responsiveness": True}, [(ErrorCode.NOT_AN_INTEGER, ("responsiveness",))]),
        ({"comment": "x" * 2001}, [(ErrorCode.TOO_LONG, ("comment",))]),
        ({"comment": "x" * 2000}, []),
        ({"would_request_again": None}, [(ErrorCode.REQUIRED, ("wouldRequestAgain",))]),
        (
            {"satisfaction": -1, "expertise": 9, "clarity": None, "would_request_again": None},
            [
                (ErrorCode.OUT_OF_RANGE, ("satisfaction",)),
                (ErrorCode.OUT_OF_RANGE, ("expertise",)),
                (ErrorCode.REQUIRED, ("clarity",)),
                (ErrorCode.REQUIRED, ("wouldRequestAgain",)),
            ],
        ),
    ],
)
def test_input_errors_all_at_once(
    changes: dict[str, object], expected: list[tuple[ErrorCode, tuple[str, ...]]]
) -> None:
    errors = evaluation_errors(replace(VALID, **changes))  # type: ignore[arg-type]
    assert [(e.code, e.field) for e in errors] == expected
    assert all(e.message for e in errors)


def test_comment_length_is_configurable() -> None:
    errors = evaluation_errors(replace(VALID, comment="x" * 11), comment_max_length=10)
    assert [e.code for e in errors] == [ErrorCode.TOO_LONG]


PLATFORM = {Party.REQUESTER, Party.PLATFORM}
COMPANY = {Party.REQUESTER, Party.COMPANY}
K = EvaluatorKind


@pytest.mark.parametrize(
    ("parties", "status", "done", "result"),
    [
        (PLATFORM, CaseStatus.REPORTED, set(), K.PLATFORM),
        (COMPANY, CaseStatus.REPORTED, set(), K.COMPANY),
        (COMPANY, CaseStatus.COMPLETED, {K.PLATFORM}, K.COMPANY),  # the other side, later
        (PLATFORM, CaseStatus.COMPLETED, {K.COMPANY}, K.PLATFORM),
        (PLATFORM, CaseStatus.COMPLETED, {K.PLATFORM}, ErrorCode.DUPLICATE),  # once each
        (COMPANY, CaseStatus.COMPLETED, {K.PLATFORM, K.COMPANY}, ErrorCode.DUPLICATE),
        (PLATFORM, CaseStatus.UNREPORTED, set(), ErrorCode.TRANSITION_NOT_ALLOWED),  # no report
        (COMPANY, CaseStatus.CONFIRMED, set(), ErrorCode.TRANSITION_NOT_ALLOWED),
        (COMPANY, CaseStatus.CANCELLED, set(), ErrorCode.TRANSITION_NOT_ALLOWED),
        ({Party.SPECIALIST}, CaseStatus.REPORTED, set(), ErrorCode.FORBIDDEN),
        ({Party.SECRETARIAT}, CaseStatus.REPORTED, set(), ErrorCode.FORBIDDEN),
        ({Party.REQUESTER}, CaseStatus.REPORTED, set(), ErrorCode.FORBIDDEN),
        ({Party.PLATFORM, Party.COMPANY}, CaseStatus.COMPLETED, {K.PLATFORM}, K.COMPANY),
    ],
)
def test_who_may_evaluate(
    parties: set[Party], status: CaseStatus, done: set[EvaluatorKind], result: object
) -> None:
    if isinstance(result, EvaluatorKind):
        assert evaluator_kind(parties, status, done) is result
        return
    with pytest.raises(DomainError) as refused:
        evaluator_kind(parties, status, done)
    assert refused.value.code is result
    if result is ErrorCode.DUPLICATE:
        assert isinstance(refused.value, AlreadyEvaluated)


@pytest.mark.parametrize(
    ("status", "completes"),
    [(CaseStatus.REPORTED, True), (CaseStatus.COMPLETED, False)],
)
def test_the_first_evaluation_completes_the_case(status: CaseStatus, completes: bool) -> None:
    assert completes_case(status) is completes


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        (0, 0, None),
        (5, 1, 5.0),
        (17, 4, 4.3),  # 4.25 rounds half up
        (33, 8, 4.1),  # 4.125
        (13, 3, 4.3),  # 4.333…
        (14, 3, 4.7),  # 4.666…
        (9, 2, 4.5),
        (3, 2, 1.5),
        (349, 100, 3.5),  # 3.49
        (345, 100, 3.5),  # 3.45 half up
        (344, 100, 3.4),
    ],
)
def test_average_rounds_half_up_to_one_decimal(
    total: int, count: int, expected: float | None
) -> None:
    assert average(total, count) == expected


def test_summary() -> None:
    summary = summarize(
        [ScoreSet(5, 4, 4, 3, True), ScoreSet(4, 4, 3, 3, False), ScoreSet(4, 5, 3, 2, True)]
    )
    assert summary == EvaluationSummary(3, 4.3, 4.3, 3.3, 2.7, 2)
    assert summarize([]) == EvaluationSummary(0, None, None, None, None, 0)
    with pytest.raises(ValueError):
        average(-1, 1)
