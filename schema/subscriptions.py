"""Subscriptions over graphql-transport-ws (api.md §18): case changes as they commit.

``caseUpdated(id:)`` follows one case, ``caseEvents(filter:)`` every case the viewer can see
(optionally only those now in some statuses). Each event carries the case re-read through the
viewer's scope and its new ``version``; a client that missed events (reconnect, dropped as a
slow consumer) re-queries and compares versions.

Per event the case is read once per process (``EventNotice.shared``), then checked in memory
against each subscriber's principal (``auth.scoping.case_in_scope``) — a case that left the
viewer's scope is simply not delivered — and masked like every other read. A subscription whose
credential has expired stops delivering at once; the socket itself is closed by
``server.sockets``. Authentication happens in ``connection_init`` (server.app).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from typing import Annotated

import strawberry

from auth.principal import Principal
from models.rules.case_status import CaseStatus
from models.rules.errors import NotFound
from models.rules.events import EventKind
from notifications.broker import EventNotice, broker_for_database
from resolvers.case_updates import read_case_update, visible_case
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.context import Context
from schema.dataloaders import Loaders
from schema.permissions import root_subscription
from schema.relay import expect_id
from schema.types.case import DispatchCase

logger = logging.getLogger("haken.subscriptions")


@strawberry.input(description="購読する派遣依頼の条件 (which case changes to receive)")
class CaseEventFilter:
    statuses: list[CaseStatus] | None = strawberry.field(
        default=None,
        description="変更後にこのステータス（導出後）の案件のみ (only cases now in one of these "
        "statuses)",
    )


@strawberry.type(description="派遣依頼の変更通知 (a committed change of a dispatch case)")
class CaseUpdate:
    case: DispatchCase = strawberry.field(
        description="変更後の派遣依頼（閲覧者の範囲で再取得） (the case as it now is, read "
        "through the viewer's scope)"
    )
    version: int = strawberry.field(description="変更後のバージョン (the case's new version)")
    kind: EventKind = strawberry.field(description="出来事の種類 (what happened)")


def _expired(principal: Principal) -> bool:
    return principal.expires_at is not None and time.time() >= principal.expires_at


def _fresh_loaders(context: Context) -> None:
    """A new set of loaders (caches, clock) for the event about to be resolved: a socket lives
    long, its loaders must not serve stale rows or a stale "now"."""
    context.__dict__["loaders"] = Loaders(context.principal)


async def _case_updates(
    info: strawberry.Info, wanted: Callable[[EventNotice], bool], statuses: frozenset[CaseStatus]
) -> AsyncGenerator[CaseUpdate, None]:
    context: Context = info.context
    principal = context.principal
    async with broker_for_database().subscribe() as subscription:
        async for notice in subscription:
            if _expired(principal):
                return
            case_id = notice.case_id
            if case_id is None or not wanted(notice):
                continue
            try:
                kind = EventKind(notice.kind)
            except ValueError:
                continue
            shared = await notice.shared(
                "case", functools.partial(read_case_update, case_id, datetime.now(UTC))
            )
            row = visible_case(principal, shared)
            if row is None or shared is None:
                continue
            if statuses and shared["derived_status"] not in statuses:
                continue
            _fresh_loaders(context)
            yield CaseUpdate(
                case=DispatchCase.from_row(row),  # type: ignore[arg-type]
                version=notice.version if notice.version is not None else int(row["version"]),
                kind=kind,
            )
    logger.info("subscription ended: subscriber fell too far behind")


@strawberry.type(description="購読（graphql-transport-ws） (subscriptions)")
class CaseSubscription:
    @root_subscription(
        "1件の派遣依頼の変更を受け取る (changes of one case, as they commit; an unknown or "
        "out-of-scope ID is NOT_FOUND)"
    )
    async def case_updated(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="派遣依頼のID (case ID)")],
    ) -> AsyncGenerator[CaseUpdate, None]:
        pk = expect_id(id, DispatchCase, ("id",))
        if await info.context.loaders.cases.load(pk) is None:
            raise NotFound(field=("id",))
        return _case_updates(info, lambda notice: notice.case_id == pk, frozenset())

    @root_subscription(
        "閲覧できるすべての派遣依頼の変更を受け取る (changes of every case the viewer can see)"
    )
    async def case_events(
        self,
        info: strawberry.Info,
        filter: Annotated[
            CaseEventFilter | None, strawberry.argument(description="条件 (filter)")
        ] = None,
    ) -> AsyncGenerator[CaseUpdate, None]:
        statuses = frozenset((filter.statuses if filter else None) or ())
        return _case_updates(info, lambda notice: True, statuses)
