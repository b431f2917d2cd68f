"""The plain case row every read entry point returns, and its per-viewer mask."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max

from auth.principal import Principal
from auth.scoping import can_see_decline_text
from models.cases import CaseSlot
from models.rules.case_status import CaseStatus, SlotKind

#: Columns of a case row (search_text is internal and never returned).
CASE_FIELDS: tuple[str, ...] = (
    "id",
    "reservation_number",
    "fiscal_year",
    "received_at",
    "company_id",
    "specialist_id",
    "filed_by_id",
    "filing_organization_id",
    "platform_id",
    "office_id",
    "title",
    "description",
    "location_name",
    "location_address",
    "location_lat",
    "location_lng",
    "comment",
    "self_requested",
    "status",
    "version",
    "dispatch_start",
    "dispatch_end",
    "dispatch_date",
    "decline_reason_id",
    "decline_reason_text",
    "decline_comment",
    "cancel_category_id",
    "cancel_reason",
    "proposal_comment",
    "evaluated",
    "created_at",
    "updated_at",
)


def mask_case_row(principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """Blank the secretariat/own-specialist-only free-text decline reason for everyone else."""
    if row.get("decline_reason_text") and not can_see_decline_text(principal, row):
        row["decline_reason_text"] = ""
    return row


# ---------------------------------------------------------------- derived status in SQL

#: Workflow order of statuses, the rank the STATUS sort uses.
STATUS_ORDER: tuple[CaseStatus, ...] = tuple(CaseStatus)


def _slots_expired(status: CaseStatus, kind: SlotKind, now: Any) -> Q:
    """Cases stored as ``status`` with at least one slot of ``kind`` and none ending after ``now``.

    One uncorrelated subquery that starts from the (few) cases stored in the waiting ``status``
    and probes their slots through the (case_id, kind, round, position) index; PostgreSQL hashes
    its result once per statement. (A correlated EXISTS per row reads fewer rows for one page, but
    its per-row cost estimate makes PostgreSQL JIT-compile every COUNT over a large scope, which
    costs more than the subquery.) The workflow table opens one round of each kind per case
    (candidates on filing, proposals only from UNPROCESSED), so "every slot of ``kind``" is the
    newest round that ``schema.types.case`` derives from.
    """
    ended = (
        CaseSlot.filter(kind=kind, case__status=status)
        .group_by("case_id")
        .annotate(last_end=Max("end"))
        .filter(last_end__lte=now)
        .values("case_id")
    )
    return Q(id__in=Subquery(ended))


#: Stored statuses that read as another one once their time has passed (derive_status).
DERIVED_FROM: dict[CaseStatus, CaseStatus] = {
    CaseStatus.CONFIRMED: CaseStatus.UNREPORTED,
    CaseStatus.UNPROCESSED: CaseStatus.NEEDS_COORDINATION,
    CaseStatus.ADJUSTING: CaseStatus.NEEDS_COORDINATION,
}


def _moves(now: Any) -> dict[CaseStatus, Q]:
    """Per stored status of :data:`DERIVED_FROM`: the condition under which it reads as the
    derived one as of ``now`` (stored status included)."""
    return {
        CaseStatus.CONFIRMED: Q(status=CaseStatus.CONFIRMED) & Q(dispatch_end__lte=now),
        CaseStatus.UNPROCESSED: Q(status=CaseStatus.UNPROCESSED)
        & _slots_expired(CaseStatus.UNPROCESSED, SlotKind.CANDIDATE, now),
        CaseStatus.ADJUSTING: Q(status=CaseStatus.ADJUSTING)
        & _slots_expired(CaseStatus.ADJUSTING, SlotKind.PROPOSED, now),
    }


def derived_move_q(now: Any) -> Q:
    """Cases whose derived status as of ``now`` differs from the stored one."""
    condition = Q()
    for move in _moves(now).values():
        condition |= move
    return condition


def derived_status_q(status: CaseStatus, now: Any) -> Q:
    """Cases whose status as of ``now`` is ``status`` (models.rules.workflow.derive_status):
    CONFIRMED whose dispatch end ≤ now reads UNREPORTED; UNPROCESSED (candidate slots) or
    ADJUSTING (proposed slots) whose every open slot has ended reads NEEDS_COORDINATION."""
    moves = _moves(now)
    condition = Q(status=status)
    if status is CaseStatus.CONFIRMED:
        still = Q(dispatch_end__isnull=True) | Q(dispatch_end__gt=now)
        condition &= still
    elif status is CaseStatus.UNPROCESSED:
        condition &= ~_slots_expired(CaseStatus.UNPROCESSED, SlotKind.CANDIDATE, now)
    elif status is CaseStatus.ADJUSTING:
        condition &= ~_slots_expired(CaseStatus.ADJUSTING, SlotKind.PROPOSED, now)
    for stored, derived in DERIVED_FROM.items():
        if derived is status:
            condition |= moves[stored]
    return condition
