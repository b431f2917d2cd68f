"""The case as a subscription event shows it (api.md §18).

:func:`read_case_update` reads a changed case ONCE per event, unscoped, with what the in-memory
scope test needs (``company_registered_by_id``) and the status as of now; the subscription layer
shares that read among all subscribers of the process (``EventNotice.shared``). Each subscriber
then gets :func:`visible_case`: ``None`` unless the case is in its scope
(:func:`auth.scoping.case_in_scope`, the twin of the SQL ``case_scope``), else the plain case row
masked for it exactly as the loaders mask it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auth.principal import Principal
from auth.scoping import case_in_scope
from models.cases import CaseSlot, DispatchCase
from models.rules.case_status import CaseStatus, SlotKind
from models.rules.workflow import CaseFacts, derive_status
from resolvers.case_rows import CASE_FIELDS, mask_case_row

Row = dict[str, Any]

_WAITING = {CaseStatus.UNPROCESSED: SlotKind.CANDIDATE, CaseStatus.ADJUSTING: SlotKind.PROPOSED}


async def _waiting_slot_ends(case_id: int, kind: SlotKind) -> tuple[datetime, ...]:
    slots = await CaseSlot.filter(case_id=case_id, kind=kind).values("round", "end")
    if not slots:
        return ()
    newest = max(s["round"] for s in slots)
    return tuple(s["end"] for s in slots if s["round"] == newest)


async def read_case_update(case_id: int, now: datetime) -> Row | None:
    """The case row (unscoped: the caller checks scope per viewer) with ``derived_status``."""
    rows = await DispatchCase.filter(id=case_id).values(
        *CASE_FIELDS, company_registered_by_id="company__registered_by_id"
    )
    if not rows:
        return None
    row = dict(rows[0])
    stored = CaseStatus(row["status"])
    ends: tuple[datetime, ...] = ()
    if stored in _WAITING:
        ends = await _waiting_slot_ends(case_id, _WAITING[stored])
    facts = CaseFacts(stored, row["dispatch_start"], row["dispatch_end"], ends)
    row["derived_status"] = derive_status(facts, now)
    return row


def visible_case(principal: Principal, shared: Row | None) -> Row | None:
    """The case row for one viewer: ``None`` when out of its scope, else a masked copy."""
    if shared is None or not case_in_scope(principal, shared):
        return None
    return mask_case_row(principal, {name: shared[name] for name in CASE_FIELDS})
