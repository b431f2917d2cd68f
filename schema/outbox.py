"""The e-mail outbox for the secretariat (security.md reliability 1): ``outboxMessages`` lists
delivery states (dead letters included), ``outboxRequeue`` sends dead letters again.

Secretariat only: another role gets ``FORBIDDEN`` (the query as a top-level error, the mutation
as a user error) and an ``authz_fail`` audit row, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from models.outbox import OutboxStatus
from models.rules.errors import DomainError, ErrorCode, FieldError
from models.rules.events import EventKind
from notifications import admin
from notifications.templates import render, template_heading
from resolvers.pagination import PageArgs, SortKey, paginate
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.errors import UserError, from_domain_error, user_errors
from schema.permissions import root_field, root_mutation
from schema.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    RowNode,
    connection,
    parse_global_id,
    resolved,
    user_input,
)
from schema.types.case import DispatchCase

NEWEST_FIRST = SortKey("id", "int", descending=True)


@strawberry.type(description="送信するメール（アウトボックスの1行） (one outbox e-mail)")
class OutboxMessage(RowNode):
    pk: strawberry.Private[int]
    template: str = strawberry.field(description="テンプレート (template: the event kind)")
    channel: str = strawberry.field(description="送信経路 (channel, e.g. email)")
    to_address: str = strawberry.field(description="宛先 (recipient address)")
    status: OutboxStatus = strawberry.field(description="送信状態 (delivery state)")
    attempts: int = strawberry.field(description="送信試行回数 (delivery attempts so far)")
    next_attempt_at: datetime = strawberry.field(
        description="次の送信予定日時 (when the next attempt is due)"
    )
    sent_at: datetime | None = strawberry.field(description="送信日時 (when it was sent)")
    last_error: str = strawberry.field(description="直近のエラー (last delivery error)")
    message_id: str = strawberry.field(
        description="Message-ID（再送しても同じ） (deterministic Message-ID)"
    )
    created_at: datetime = strawberry.field(description="作成日時 (created at)")
    context: strawberry.Private[dict[str, Any]]
    event_kind_value: strawberry.Private[str | None]
    case_id: strawberry.Private[int | None]

    @classmethod
    def from_outbox_row(cls, row: Mapping[str, Any]) -> OutboxMessage:
        values = {key: value for key, value in row.items() if key != "id"}
        obj = cls.from_row(
            {
                **values,
                "pk": row["id"],
                "event_kind_value": row.get("event__kind"),
                "case_id": row.get("event__case_id"),
            }
        )
        assert obj is not None
        return obj

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> list[OutboxMessage]:
        return [cls.from_outbox_row(row) for row in rows]

    @resolved(description="ID (global ID)")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(strawberry.relay.GlobalID("OutboxMessage", str(self.pk))))

    @resolved(description="件名 (subject)")
    def subject(self) -> str:
        try:
            return render(self.template, self.context).subject
        except Exception:  # an unknown template is shown by its code
            return template_heading(self.template, self.context)

    @resolved(description="元になった出来事の種類 (kind of the event that caused the mail)")
    def event_kind(self) -> EventKind | None:
        try:
            return EventKind(self.event_kind_value) if self.event_kind_value else None
        except ValueError:
            return None

    @resolved(description="関係する派遣依頼 (the case the mail is about, if any)")
    async def case(self, info: strawberry.Info) -> DispatchCase | None:
        return await DispatchCase.load(info, self.case_id)


@strawberry.input(description="アウトボックスの絞り込み (outbox filter)")
class OutboxMessageFilter:
    statuses: list[OutboxStatus] | None = strawberry.field(
        default=None, description="送信状態（複数可） (delivery states, any of)"
    )


@strawberry.type(description="アウトボックス（事務局のみ） (outbox, secretariat only)")
class OutboxQuery:
    @root_field("送信メールの一覧・送信失敗の確認（事務局のみ） (outbox messages, newest first)")
    async def outbox_messages(
        self,
        info: strawberry.Info,
        filter: Annotated[
            OutboxMessageFilter | None, strawberry.argument(description="絞り込み (filter)")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[OutboxMessage]:
        principal = info.context.principal
        await admin.require_secretariat(principal, "outboxMessages", info.context.request_id)
        query = admin.outbox_queryset(principal, (filter.statuses if filter else None) or None)
        args = PageArgs(first=first, after=after, last=last, before=before)
        page = await user_input(paginate(query, NEWEST_FIRST, args, admin.OUTBOX_FIELDS))
        return connection(OutboxMessage, page, lambda: query.count())


@strawberry.input(description="送信失敗メールの再送 (send dead-lettered mails again)")
class OutboxRequeueInput:
    ids: list[strawberry.ID] = strawberry.field(
        description="再送するメールのID（100件まで） (OutboxMessage IDs, at most 100)"
    )


@strawberry.type(description="再送の結果 (result of outboxRequeue)")
class OutboxRequeuePayload:
    messages: list[OutboxMessage] = strawberry.field(
        description="再送待ちに戻したメール (the messages, now pending)"
    )
    user_errors: list[UserError] = strawberry.field(description="利用者エラー (expected failures)")


def _outbox_pks(ids: list[strawberry.ID]) -> tuple[list[int], list[FieldError]]:
    pks: list[int] = []
    errors: list[FieldError] = []
    for position, value in enumerate(ids):
        parsed = parse_global_id(value)
        if parsed is None or parsed[0] != "OutboxMessage":
            path = ("input", "ids", str(position))
            errors.append(FieldError(ErrorCode.INVALID, "IDの形式が正しくありません。", path))
        else:
            pks.append(parsed[1])
    return pks, errors


@strawberry.type(
    description="アウトボックスの操作（事務局のみ） (outbox actions, secretariat only)"
)
class OutboxMutation:
    @root_mutation(
        "送信失敗メールを再送待ちに戻す（事務局のみ） (requeue dead-lettered mails; same "
        "Message-ID)"
    )
    async def outbox_requeue(
        self,
        info: strawberry.Info,
        input: Annotated[OutboxRequeueInput, strawberry.argument(description="入力 (input)")],
    ) -> OutboxRequeuePayload:
        principal = info.context.principal
        pks, errors = _outbox_pks(list(input.ids))
        if errors:
            return OutboxRequeuePayload(messages=[], user_errors=user_errors(errors))
        try:
            rows = await admin.requeue(
                principal, pks, datetime.now(UTC), request_id=info.context.request_id
            )
        except DomainError as error:
            return OutboxRequeuePayload(messages=[], user_errors=from_domain_error(error))
        return OutboxRequeuePayload(
            messages=[OutboxMessage.from_outbox_row(r) for r in rows], user_errors=[]
        )
