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


def _slots_expired(kind: SlotKind, now: Any) -> Q:
    """Cases with at least one slot of ``kind`` and none ending after ``now``."""
    ended = (
        CaseSlot.filter(kind=kind)
        .group_by("case_id")
        .annotate(last_end=Max("end"))
        .filter(last_end__lte=now)
        .values("case_id")
    )
    return Q(id__in=Subquery(ended))


def derived_status_q(status: CaseStatus, now: Any) -> Q:
    """Cases whose status as of ``now`` is ``status`` (models.rules.workflow.derive_status):
    CONFIRMED whose dispatch end ≤ now reads UNREPORTED; UNPROCESSED (candidate slots) or
    ADJUSTING (proposed slots) whose every open slot has ended reads NEEDS_COORDINATION."""
    confirmed_over = Q(status=CaseStatus.CONFIRMED) & Q(dispatch_end__lte=now)
    unprocessed_over = Q(status=CaseStatus.UNPROCESSED) & _slots_expired(SlotKind.CANDIDATE, now)
    adjusting_over = Q(status=CaseStatus.ADJUSTING) & _slots_expired(SlotKind.PROPOSED, now)
    stored = Q(status=status)
    if status is CaseStatus.UNREPORTED:
        return stored | confirmed_over
    if status is CaseStatus.CONFIRMED:
        return stored & (Q(dispatch_end__isnull=True) | Q(dispatch_end__gt=now))
    if status is CaseStatus.NEEDS_COORDINATION:
        return stored | unprocessed_over | adjusting_over
    if status is CaseStatus.UNPROCESSED:
        expired = _slots_expired(SlotKind.CANDIDATE, now)
        return stored & ~expired
    if status is CaseStatus.ADJUSTING:
        return stored & ~_slots_expired(SlotKind.PROPOSED, now)
    return stored
