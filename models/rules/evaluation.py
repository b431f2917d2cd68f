"""Evaluations (評価) — domain.md §6, seed 000 「地域PF、中小企業からの評価確認」.

"After REPORTED, the platform and/or the company of the case each may submit one evaluation:
scores 1–5 for overall satisfaction, expertise, clarity, responsiveness; comment; would request
again (yes/no). The first evaluation moves the case to COMPLETED. A specialist's profile shows
count and averages."

Averages (``Specialist.evaluationSummary``) are rounded **half up to one decimal place**
(4.25 → 4.3, 4.24 → 4.2), computed from integer sums so SQL ``SUM``/``COUNT`` can feed
:func:`average` directly; with no evaluation every average is None.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from models.rules.case_status import CaseStatus
from models.rules.errors import DomainError, ErrorCode, FieldError, Forbidden, TransitionNotAllowed
from models.rules.field_checks import FieldErrors
from models.rules.money_kinds import EvaluatorKind
from models.rules.workflow import Party

MIN_SCORE = 1
MAX_SCORE = 5
#: Bound of the free comment (decided: the same as the report's support texts).
DEFAULT_COMMENT_MAX_LENGTH = 2000
#: "After REPORTED": the case statuses in which an evaluation may be submitted.
EVALUABLE_STATUSES: frozenset[CaseStatus] = frozenset({CaseStatus.REPORTED, CaseStatus.COMPLETED})
#: The four scores: (attribute, input field, Japanese label).
SCORES: tuple[tuple[str, str, str], ...] = (
    ("satisfaction", "satisfaction", "総合満足度"),
    ("expertise", "expertise", "専門性"),
    ("clarity", "clarity", "説明のわかりやすさ"),
    ("responsiveness", "responsiveness", "対応の迅速さ・丁寧さ"),
)

_EVALUATOR_OF_PARTY: dict[Party, EvaluatorKind] = {
    Party.PLATFORM: EvaluatorKind.PLATFORM,
    Party.COMPANY: EvaluatorKind.COMPANY,
}


@dataclass(frozen=True)
class EvaluationInput:
    satisfaction: int | None = None
    expertise: int | None = None
    clarity: int | None = None
    responsiveness: int | None = None
    comment: str | None = None
    would_request_again: bool | None = None


def evaluation_errors(
    evaluation: EvaluationInput, comment_max_length: int = DEFAULT_COMMENT_MAX_LENGTH
) -> tuple[FieldError, ...]:
    """Every input error at once: four integer scores 1–5 (required), an optional comment of at
    most ``comment_max_length`` characters, would-request-again (required)."""
    errors = FieldErrors()
    for attribute, name, label in SCORES:
        errors.integer(
            getattr(evaluation, attribute), label, name, minimum=MIN_SCORE, maximum=MAX_SCORE
        )
    errors.text(evaluation.comment, "コメント", comment_max_length, "comment")
    errors.choice(evaluation.would_request_again, "また依頼したいか", "wouldRequestAgain")
    return errors.as_tuple()


class AlreadyEvaluated(DomainError):
    code = ErrorCode.DUPLICATE
    default_message = "この案件は既に評価済みです（評価は一度のみ登録できます）。"


def evaluator_kind(
    parties: Collection[Party], status: CaseStatus, evaluated_by: Collection[EvaluatorKind]
) -> EvaluatorKind:
    """Who evaluates: the platform or the company of the case, once each, not before the report.

    ``parties`` are the viewer's relations to the case (models.rules.workflow.Party). Refusals:
    :class:`Forbidden` for anybody else, :class:`TransitionNotAllowed` before the report (or
    while a returned report waits in UNREPORTED), :class:`AlreadyEvaluated` for a second
    evaluation by the same side. A viewer holding both sides evaluates as the platform first.
    """
    kinds = [kind for party, kind in _EVALUATOR_OF_PARTY.items() if party in parties]
    if not kinds:
        raise Forbidden("評価できるのは案件の地域PF・支援機関または企業のみです。")
    if CaseStatus(status) not in EVALUABLE_STATUSES:
        raise TransitionNotAllowed("評価は実績報告の提出後に登録できます。")
    for kind in kinds:
        if kind not in evaluated_by:
            return kind
    raise AlreadyEvaluated()


def completes_case(status: CaseStatus) -> bool:
    """Rule "The first evaluation moves the case to COMPLETED" (REPORTED → COMPLETED)."""
    return CaseStatus(status) is CaseStatus.REPORTED


@dataclass(frozen=True)
class ScoreSet:
    """The four scores of one stored evaluation."""

    satisfaction: int
    expertise: int
    clarity: int
    responsiveness: int
    would_request_again: bool = False


@dataclass(frozen=True)
class EvaluationSummary:
    """``Specialist.evaluationSummary``: count and per-score averages (None when count is 0)."""

    count: int
    satisfaction: float | None
    expertise: float | None
    clarity: float | None
    responsiveness: float | None
    would_request_again_count: int = 0


_TENTH = Decimal("0.1")


def average(total: int, count: int) -> float | None:
    """``total / count`` rounded half up to one decimal place; None when ``count`` is 0."""
    if count < 0 or total < 0:
        raise ValueError("sums and counts are never negative")
    if count == 0:
        return None
    return float((Decimal(total) / Decimal(count)).quantize(_TENTH, rounding=ROUND_HALF_UP))


def summarize(scores: Iterable[ScoreSet]) -> EvaluationSummary:
    """The summary of a specialist's evaluations."""
    items = list(scores)
    count = len(items)
    sums = {attribute: sum(getattr(s, attribute) for s in items) for attribute, _, _ in SCORES}
    return EvaluationSummary(
        count=count,
        satisfaction=average(sums["satisfaction"], count),
        expertise=average(sums["expertise"], count),
        clarity=average(sums["clarity"], count),
        responsiveness=average(sums["responsiveness"], count),
        would_request_again_count=sum(1 for s in items if s.would_request_again),
    )
