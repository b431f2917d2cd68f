"""The time-based transitions written by a background loop (domain.md §4.3; issue 3 item 5):
決定 → 未報告 once the dispatch end has passed (DISPATCH_ENDED) and 未処理/調整中 → 要調整 once
every open slot has passed unanswered (SLOTS_EXPIRED).

Reads never wait for it: the status every client sees is derived as of the request time
(``workflow.derive_status`` in the GraphQL type, ``case_rows.derived_status_q`` in searches and
counts), and every mutation writes a due system transition before its own. The sweeper makes
the stored status catch up, with the history row and the domain event (mails) of each.

One pass picks a batch of due case ids, then advances each case in its own short transaction
through the engine (``case_commands.advance_case``): locked with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL so several worker processes share the work without waiting on each other, and
re-checked under the lock so a case advanced meanwhile is left alone (idempotent).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from models.cases import DispatchCase
from models.rules.case_status import CaseStatus
from resolvers.case_commands import advance_case
from resolvers.case_rows import derived_status_q

DEFAULT_BATCH = 200


def due_q(now: datetime) -> Q:
    """Cases whose stored status lags behind the status derived as of ``now``."""
    unreported = derived_status_q(CaseStatus.UNREPORTED, now) & Q(status=CaseStatus.CONFIRMED)
    coordination = derived_status_q(CaseStatus.NEEDS_COORDINATION, now) & Q(
        status__in=[CaseStatus.UNPROCESSED, CaseStatus.ADJUSTING]
    )
    return unreported | coordination


async def due_case_ids(now: datetime, limit: int = DEFAULT_BATCH) -> list[int]:
    rows = await DispatchCase.filter(due_q(now)).order_by("id").limit(limit).values("id")
    return [int(row["id"]) for row in rows]


async def sweep_once(now: datetime, batch: int = DEFAULT_BATCH) -> int:
    """Advance up to ``batch`` due cases; returns how many were written by this pass."""
    written = 0
    for case_id in await due_case_ids(now, batch):
        if await advance_case(case_id, now, skip_locked=True):
            written += 1
    return written
