"""Evaluations (評価) — domain.md §6, seed 000 「地域PF、中小企業からの評価確認」.

``evaluationSubmit`` goes through the one transition engine (EVALUATE): the platform and/or the
company of the case each evaluate once, after the report; the first evaluation moves 報告済 →
完了 (event CASE_COMPLETED), a second one keeps 完了 (CASE_EVALUATED). When the table refuses,
the refusal is explained with the evaluation rules: a second evaluation by the same side is
``DUPLICATE``, an evaluation before the report ``TRANSITION_NOT_ALLOWED``.

``Specialist.evaluations`` lists a specialist's evaluations within
:func:`auth.scoping.specialist_evaluation_scope`, newest first, keyset-paginated; comments are
masked by :func:`auth.scoping.can_see_evaluation_comments` exactly as the by-id loader does.
"""

from __future__ import annotations

from datetime import datetime

from auth.principal import Principal
from auth.scoping import (
    can_see_evaluation_comments,
    case_parties,
    case_scope,
    specialist_evaluation_scope,
)
from models.cases import DispatchCase
from models.evaluations import Evaluation
from models.rules.case_status import CaseAction, CaseStatus
from models.rules.errors import DomainError, ValidationErrors
from models.rules.evaluation import EvaluationInput, evaluation_errors, evaluator_kind
from models.rules.field_checks import prefixed
from models.rules.money_kinds import EvaluatorKind
from models.rules.workflow import ActionNotAllowed, CaseFacts, derive_status
from resolvers.batching import Row, columns
from resolvers.case_commands import Change, LockedCase, TransitionResult, run_transition
from resolvers.case_rows import CASE_FIELDS
from resolvers.pagination import Page, PageArgs, SortKey, paginate

ID_FIELD = ("input", "id")
#: Newest first.
EVALUATION_ORDER = SortKey("submitted_at", "datetime", descending=True)


async def _explain_refusal(principal: Principal, case_id: int, now: datetime) -> None:
    """Raise the evaluation rule's own refusal (DUPLICATE, "after the report") when it applies."""
    rows = await DispatchCase.filter(case_scope(principal), id=case_id).values(*CASE_FIELDS)
    if not rows:
        return
    row = rows[0]
    status = derive_status(
        CaseFacts(CaseStatus(row["status"]), row["dispatch_start"], row["dispatch_end"]), now
    )
    kinds = await Evaluation.filter(case_id=case_id).values("evaluator_kind")
    done = {EvaluatorKind(k["evaluator_kind"]) for k in kinds}
    try:
        evaluator_kind(case_parties(principal, row), status, done)
    except DomainError as refused:
        refused.field = ID_FIELD
        raise


async def submit_evaluation(
    principal: Principal,
    case_id: int,
    version: int,
    scores: EvaluationInput,
    now: datetime,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> TransitionResult:
    """``evaluationSubmit``: four scores 1–5, an optional comment and would-request-again."""

    async def apply(case: LockedCase) -> Change:
        kind = evaluator_kind(case.parties, case.facts.status, case.facts.evaluated_by)
        errors = prefixed(evaluation_errors(scores), "input")
        if errors:
            raise ValidationErrors(errors)
        assert scores.would_request_again is not None

        async def write() -> None:
            await Evaluation.create(
                case_id=case.id,
                specialist_id=case.row["specialist_id"],
                evaluator_kind=kind,
                evaluator_id=principal.account_id,
                satisfaction=scores.satisfaction,
                expertise=scores.expertise,
                clarity=scores.clarity,
                responsiveness=scores.responsiveness,
                comment=(scores.comment or "").strip(),
                would_request_again=scores.would_request_again,
                submitted_at=case.now,
            )

        # The comment stays out of the history and the event (companies see their own only).
        return Change(
            updates={"evaluated": True}, payload={"evaluatorKind": kind.value}, write=write
        )

    try:
        return await run_transition(
            principal,
            case_id,
            version,
            CaseAction.EVALUATE,
            now,
            apply,
            validate_only=validate_only,
            request_id=request_id,
        )
    except ActionNotAllowed:
        await _explain_refusal(principal, case_id, now)
        raise


def _mask(principal: Principal, row: Row) -> Row:
    if not can_see_evaluation_comments(principal, row):
        row["comment"] = ""
    return row


async def specialist_evaluations(principal: Principal, specialist_id: int, args: PageArgs) -> Page:
    """One page of the specialist's evaluations the viewer may see (comments masked)."""
    query = Evaluation.filter(specialist_evaluation_scope(principal), specialist_id=specialist_id)
    page = await paginate(query, EVALUATION_ORDER, args, columns(Evaluation))
    page.rows = [_mask(principal, row) for row in page.rows]
    return page


async def count_specialist_evaluations(principal: Principal, specialist_id: int) -> int:
    return await Evaluation.filter(
        specialist_evaluation_scope(principal), specialist_id=specialist_id
    ).count()


__all__ = [
    "count_specialist_evaluations",
    "specialist_evaluations",
    "submit_evaluation",
]
