"""Evaluation and payment mutations (domain.md §6, §7.2; api.md §3) and the batch list.

* ``evaluationSubmit``: the platform and/or the company of the case, once each, after the report;
  the first evaluation moves 報告済 → 完了.
* ``paymentBatchCreate`` / ``paymentBatchMarkPaid``: the secretariat's monthly batches per
  regional office; the CSV of a batch is downloaded from ``PaymentBatch.csvUrl``
  (``GET /exports/payment-batches/{id}.csv``, authenticated like ``POST /uploads``).
* ``paymentBatches``: the batches the viewer may see, newest first.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Annotated, Any

import strawberry

from models.rules.errors import DomainError
from models.rules.evaluation import EvaluationInput
from models.rules.money_kinds import EvaluatorKind
from models.rules.roles import Role
from resolvers import payments
from resolvers.evaluations import submit_evaluation
from resolvers.pagination import PageArgs
from schema.context import Context
from schema.errors import UserError, from_domain_error, user_errors
from schema.idempotency import idempotency_key_field, idempotent
from schema.mutations_report import global_pk, id_error, reread
from schema.permissions import root_field, root_mutation
from schema.relay import After, Before, Connection, First, Last, connection, expect_id, user_input
from schema.types.case import DispatchCase
from schema.types.money import PaymentBatch
from schema.types.organisation import RegionalOffice
from schema.types.report import Evaluation

Info = strawberry.Info[Context, None]

_VALIDATE_ONLY = "検証のみ行い、何も保存しない (run every rule, write nothing)"
_SCORE = "（1〜5の整数、必須） (integer 1–5, required)"


@strawberry.input(description="評価の登録 (evaluate a dispatch: platform or company, once each)")
class EvaluationSubmitInput:
    id: strawberry.ID = strawberry.field(description="派遣依頼のID (global ID of the DispatchCase)")
    version: int = strawberry.field(
        description="閲覧時のバージョン (the case version the client saw)"
    )
    satisfaction: int | None = strawberry.field(default=None, description="総合満足度" + _SCORE)
    expertise: int | None = strawberry.field(default=None, description="専門性" + _SCORE)
    clarity: int | None = strawberry.field(default=None, description="説明のわかりやすさ" + _SCORE)
    responsiveness: int | None = strawberry.field(
        default=None, description="対応の迅速さ・丁寧さ" + _SCORE
    )
    comment: str = strawberry.field(
        default="", description="コメント（2000文字以内） (comment, ≤ 2000)"
    )
    would_request_again: bool | None = strawberry.field(
        default=None, description="また依頼したいか（必須） (would request again, required)"
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="evaluationSubmit の結果 (result of evaluationSubmit)")
class EvaluationSubmitPayload:
    case: DispatchCase | None = strawberry.field(description="案件 (the case as it now is)")
    evaluation: Evaluation | None = strawberry.field(
        description="登録した評価 (the evaluation submitted)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


@strawberry.input(description="支払バッチの作成 (create the monthly payment batch of an office)")
class PaymentBatchCreateInput:
    office_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="地域事務局のID（全国事務局は必須、地域事務局は自局のみ・省略可） "
        "(RegionalOffice ID: required for the national secretariat, own office otherwise)",
    )
    month: str = strawberry.field(
        description="支払月 YYYY-MM（その月末までの派遣が対象） (month: dispatches up to its end)"
    )
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="paymentBatchCreate の結果 (result of paymentBatchCreate)")
class PaymentBatchCreatePayload:
    batch: PaymentBatch | None = strawberry.field(description="作成したバッチ (the new batch)")
    case_count: int | None = strawberry.field(
        description="対象の件数（検証のみでも） (cases in the batch, also for validateOnly)"
    )
    total: int | None = strawberry.field(
        description="支払額の合計（円、検証のみでも） (amount transferred in total)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


@strawberry.input(description="支払バッチを支払済にする (mark a payment batch paid)")
class PaymentBatchMarkPaidInput:
    id: strawberry.ID = strawberry.field(description="支払バッチのID (PaymentBatch ID)")
    paid_on: date = strawberry.field(description="支払日（今日以前） (transfer date, not future)")
    validate_only: bool = strawberry.field(default=False, description=_VALIDATE_ONLY)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="paymentBatchMarkPaid の結果 (result of paymentBatchMarkPaid)")
class PaymentBatchMarkPaidPayload:
    batch: PaymentBatch | None = strawberry.field(description="支払バッチ (the batch)")
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


async def _batch(info: Info, batch_id: int | None) -> PaymentBatch | None:
    if batch_id is None:
        return None
    loaders = info.context.loaders
    for name in ("payment_batches", "payments_by_batch"):
        with contextlib.suppress(KeyError):
            getattr(loaders, name).clear(batch_id)
    return await PaymentBatch.load(info, batch_id)


async def _evaluation_of(info: Info, case_id: int) -> Evaluation | None:
    """The evaluation the viewer's side submitted on the case."""
    role = info.context.principal.role
    kind = EvaluatorKind.COMPANY if role is Role.COMPANY else EvaluatorKind.PLATFORM
    rows = await info.context.loaders.evaluations_by_case.load(case_id)
    mine = [r for r in rows if str(r["evaluator_kind"]) == kind.value]
    return Evaluation.from_row(mine[-1]) if mine else None


@strawberry.type(description="評価・支払のミューテーション (evaluation and payment mutations)")
class MoneyMutation:
    @root_mutation(
        "評価を登録する（地域PF・企業が各1回、報告後。最初の評価で完了） (evaluate: platform and/or "
        "company once each, after the report; the first one completes the case)"
    )
    async def evaluation_submit(
        self,
        info: Info,
        input: Annotated[EvaluationSubmitInput, strawberry.argument(description="評価 (input)")],
    ) -> EvaluationSubmitPayload:
        case_id = global_pk(input.id, "DispatchCase")
        if case_id is None:
            errors = user_errors([id_error("id")])
            return EvaluationSubmitPayload(case=None, evaluation=None, user_errors=errors)
        context = info.context
        scores = EvaluationInput(
            satisfaction=input.satisfaction,
            expertise=input.expertise,
            clarity=input.clarity,
            responsiveness=input.responsiveness,
            comment=input.comment,
            would_request_again=input.would_request_again,
        )

        async def execute() -> dict[str, Any]:
            await submit_evaluation(
                context.principal,
                case_id,
                input.version,
                scores,
                context.loaders.now,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
            return {"caseId": case_id}

        try:
            await idempotent(info, input, "evaluationSubmit", execute)
        except DomainError as error:
            return EvaluationSubmitPayload(
                case=await reread(info, case_id),
                evaluation=None,
                user_errors=from_domain_error(error),
            )
        case = await reread(info, case_id)
        evaluation = None if input.validate_only else await _evaluation_of(info, case_id)
        return EvaluationSubmitPayload(case=case, evaluation=evaluation, user_errors=[])

    @root_mutation(
        "月次の支払バッチを作成する（事務局、地域事務局ごと） (secretariat creates the monthly "
        "payment batch of a regional office)"
    )
    async def payment_batch_create(
        self,
        info: Info,
        input: Annotated[PaymentBatchCreateInput, strawberry.argument(description="作成 (input)")],
    ) -> PaymentBatchCreatePayload:
        office_id = None
        if input.office_id is not None:
            office_id = global_pk(input.office_id, "RegionalOffice")
            if office_id is None:
                return PaymentBatchCreatePayload(
                    batch=None,
                    case_count=None,
                    total=None,
                    user_errors=user_errors([id_error("officeId")]),
                )
        context = info.context

        async def execute() -> dict[str, Any]:
            result = await payments.create_batch(
                context.principal,
                office_id,
                input.month,
                context.loaders.now,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
            return {
                "batchId": result.batch_id,
                "caseCount": len(result.case_ids),
                "total": result.amounts.total,
            }

        try:
            response = await idempotent(info, input, "paymentBatchCreate", execute)
        except DomainError as error:
            return PaymentBatchCreatePayload(
                batch=None, case_count=None, total=None, user_errors=from_domain_error(error)
            )
        return PaymentBatchCreatePayload(
            batch=await _batch(info, response["batchId"]),
            case_count=response["caseCount"],
            total=response["total"],
            user_errors=[],
        )

    @root_mutation(
        "支払バッチを支払済にする（事務局） (secretariat marks a payment batch paid: every "
        "payment becomes PAID)"
    )
    async def payment_batch_mark_paid(
        self,
        info: Info,
        input: Annotated[
            PaymentBatchMarkPaidInput, strawberry.argument(description="支払済 (input)")
        ],
    ) -> PaymentBatchMarkPaidPayload:
        batch_id = global_pk(input.id, "PaymentBatch")
        if batch_id is None:
            return PaymentBatchMarkPaidPayload(
                batch=None, user_errors=user_errors([id_error("id")])
            )
        context = info.context

        async def execute() -> dict[str, Any]:
            await payments.mark_paid(
                context.principal,
                batch_id,
                input.paid_on,
                context.loaders.now,
                validate_only=input.validate_only,
                request_id=context.request_id,
            )
            return {"batchId": batch_id}

        try:
            await idempotent(info, input, "paymentBatchMarkPaid", execute)
        except DomainError as error:
            return PaymentBatchMarkPaidPayload(
                batch=await _batch(info, batch_id), user_errors=from_domain_error(error)
            )
        return PaymentBatchMarkPaidPayload(batch=await _batch(info, batch_id), user_errors=[])


@strawberry.type(description="支払バッチの一覧 (payment batches)")
class MoneyQuery:
    @root_field("支払バッチの一覧（新しい順） (payment batches the viewer may see, newest first)")
    async def payment_batches(
        self,
        info: Info,
        office_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="地域事務局で絞り込む (RegionalOffice ID)"),
        ] = None,
        month: Annotated[
            str | None, strawberry.argument(description="支払月 YYYY-MM で絞り込む (month)")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PaymentBatch]:
        principal = info.context.principal
        office = None if office_id is None else expect_id(office_id, RegionalOffice, ("officeId",))
        args = PageArgs(first=first, after=after, last=last, before=before)
        page = await user_input(
            payments.list_payment_batches(principal, args, office_id=office, month=month)
        )
        info.context.loaders.payment_batches.prime_many({row["id"]: row for row in page.rows})
        return connection(
            PaymentBatch,
            page,
            lambda: payments.count_payment_batches(principal, office_id=office, month=month),
        )
