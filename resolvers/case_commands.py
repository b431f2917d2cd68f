"""The one transition engine of dispatch cases (domain.md §4.3; issue 3 item 4).

Every change of a case's workflow state goes through :func:`run_transition` (user actions) or
:func:`advance_case` (the sweeper); both run in ONE transaction:

1. the action must be one the principal's role can ever take (else ``FORBIDDEN`` plus an
   ``authz_fail`` audit row written outside the refused transaction, security.md §2);
2. the case is loaded through the principal's scope with a row lock (``SELECT … FOR UPDATE``
   on PostgreSQL; SQLite serialises writers), out of scope = ``NOT_FOUND``;
3. the version the client saw must be the stored one (``STALE_VERSION``) — checked first, so
   of many concurrent conflicting requests exactly one wins and the rest are stale;
4. a pending system transition (dispatch ended, every slot expired) is written first with its
   own audit and event ("a mutation derives it before its compare-and-set");
5. ``workflow.find_transition`` picks the table row or refuses naming the actions allowed now;
6. the action's ``apply`` validates its input and says what to change;
7. compare-and-set ``UPDATE … WHERE id = ? AND version = ?`` (0 rows → ``STALE_VERSION``),
   then exactly one ``CaseEvent`` (history), one ``DomainEvent`` and one security audit row.

Any failure rolls everything back: no row, no event. ``validate_only`` runs every rule and then
rolls back on purpose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from typing import Any, NoReturn

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth.audit import FAILURE, record_audit
from auth.principal import Principal
from auth.scoping import case_parties, case_scope
from models.attendance import CheckEvent
from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.evaluations import Evaluation
from models.outbox import DomainEvent
from models.reports import Report
from models.rules.case_rules import event_kind, role_may_ever
from models.rules.case_status import CaseAction, CaseStatus, SlotKind
from models.rules.errors import Forbidden, NotFound, StaleVersion
from models.rules.events import EventKind
from models.rules.money_kinds import CheckKind
from models.rules.workflow import (
    ActionNotAllowed,
    CaseFacts,
    Party,
    SystemAction,
    Transition,
    find_transition,
    pending_system_transition,
)
from resolvers.case_rows import CASE_FIELDS

Row = dict[str, Any]

#: The security-audit action names (OWASP logging vocabulary) written by the engine.
AUTHZ_FAIL = "authz_fail"
CASE_TRANSITION = "case_transition"
CASE_TARGET = "DispatchCase"

ID_FIELD = ("input", "id")
VERSION_FIELD = ("input", "version")
SYSTEM_ROLE = "SYSTEM"

#: Statuses whose open slots decide the derived status (candidates, then proposals).
WAITING_SLOTS: dict[CaseStatus, SlotKind] = {
    CaseStatus.UNPROCESSED: SlotKind.CANDIDATE,
    CaseStatus.ADJUSTING: SlotKind.PROPOSED,
}

#: Statuses from which reports, check-ins and evaluations matter to the table's guards.
_DISPATCHED = frozenset(
    {CaseStatus.CONFIRMED, CaseStatus.UNREPORTED, CaseStatus.REPORTED, CaseStatus.COMPLETED}
)


@dataclass(frozen=True)
class LockedCase:
    """What an action's ``apply`` sees: the locked row (status and version after any system
    transition), every slot, the workflow facts, the viewer's parties and the chosen row."""

    row: Row
    slots: list[Row]
    facts: CaseFacts
    parties: frozenset[Party]
    transition: Transition
    principal: Principal
    now: datetime

    @property
    def id(self) -> int:
        return int(self.row["id"])

    def open_slots(self, kind: SlotKind) -> list[Row]:
        return latest_round(self.slots, kind)


@dataclass
class Change:
    """What an action changes besides status and version.

    ``updates`` are further case columns; ``payload`` goes to the history and the domain event
    (never a secret); ``secret_payload`` only to the history, readable by the secretariat;
    ``write`` adds child rows (slots, check events) after the compare-and-set.
    """

    updates: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    secret_payload: dict[str, Any] = field(default_factory=dict)
    comment: str = ""
    write: Callable[[], Awaitable[None]] | None = None


Apply = Callable[[LockedCase], Awaitable[Change]]


@dataclass(frozen=True)
class TransitionResult:
    case_id: int
    version: int
    status: CaseStatus
    committed: bool


class _RollBack(Exception):
    """Raised inside the transaction to undo a validate-only run."""

    def __init__(self, result: TransitionResult) -> None:
        self.result = result
        super().__init__("validate only")


# ---------------------------------------------------------------- helpers


def latest_round(slots: list[Row], kind: SlotKind) -> list[Row]:
    """Slots of ``kind`` from the newest round, by position (as the read path shows them)."""
    of_kind = [s for s in slots if s["kind"] == kind]
    if not of_kind:
        return []
    newest = max(s["round"] for s in of_kind)
    return sorted((s for s in of_kind if s["round"] == newest), key=lambda s: s["position"])


def jsonable(value: Any) -> Any:
    """Payload values as JSON: instants and dates in ISO-8601, enums by value."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def refuse_forbidden(
    principal: Principal,
    action: str,
    *,
    target_type: str = CASE_TARGET,
    target_id: int | str = "",
    request_id: str = "",
) -> NoReturn:
    """Write the ``authz_fail`` audit row (its own statement, outside any refused transaction)
    and raise ``FORBIDDEN``."""
    await record_audit(
        AUTHZ_FAIL,
        actor=principal,
        outcome=FAILURE,
        target_type=target_type,
        target_id=target_id,
        request_id=request_id,
        detail={"action": action},
    )
    raise Forbidden(field=("input",))


async def _lock_case(case_id: int, scope: Q, *, skip_locked: bool = False) -> Row | None:
    """The case row, locked until the transaction ends (PostgreSQL; a no-op on SQLite)."""
    query = DispatchCase.filter(scope, id=case_id).select_for_update(skip_locked=skip_locked)
    case = await query.first()
    if case is None:
        return None
    return {name: getattr(case, name) for name in CASE_FIELDS}


async def _case_facts(row: Row) -> tuple[CaseFacts, list[Row]]:
    """The workflow facts of a locked case, computed exactly like the read path's."""
    case_id = row["id"]
    status = CaseStatus(row["status"])
    slots = await CaseSlot.filter(case_id=case_id).values(
        "id", "kind", "position", "start", "end", "round"
    )
    slot_ends: tuple[datetime, ...] = ()
    if status in WAITING_SLOTS:
        slot_ends = tuple(s["end"] for s in latest_round(slots, WAITING_SLOTS[status]))
    facts = CaseFacts(status, row["dispatch_start"], row["dispatch_end"], slot_ends)
    if status not in _DISPATCHED:
        return facts, slots
    reports = await Report.filter(case_id=case_id).values("review_state")
    checks = {r["kind"] for r in await CheckEvent.filter(case_id=case_id).values("kind")}
    evaluations = await Evaluation.filter(case_id=case_id).values("evaluator_kind")
    facts = replace(
        facts,
        review_state=reports[0]["review_state"] if reports else None,
        evaluated_by=frozenset(e["evaluator_kind"] for e in evaluations),
        checked_in=CheckKind.CHECK_IN in checks,
        checked_out=CheckKind.CHECK_OUT in checks,
    )
    return facts, slots


async def record_transition(
    *,
    row: Row,
    action: str,
    kind: EventKind,
    from_status: CaseStatus | None,
    to_status: CaseStatus,
    version: int,
    now: datetime,
    principal: Principal | None,
    change: Change,
    request_id: str = "",
) -> None:
    """One history row, one domain event (never a secret), one security-audit row."""
    payload = jsonable(change.payload)
    role = principal.role.value if principal is not None and principal.role else SYSTEM_ROLE
    await CaseEvent.create(
        case_id=row["id"],
        at=now,
        actor_id=principal.account_id if principal is not None else None,
        actor_role=role,
        action=action,
        from_status=from_status,
        to_status=to_status,
        version=version,
        payload=payload,
        secret_payload=jsonable(change.secret_payload),
        comment=change.comment,
    )
    await DomainEvent.create(
        kind=kind.value,
        case_id=row["id"],
        version=version,
        payload={
            "action": action,
            "fromStatus": None if from_status is None else from_status.value,
            "toStatus": to_status.value,
            "reservationNumber": row["reservation_number"],
            **payload,
        },
        created_at=now,
    )
    await record_audit(
        CASE_TRANSITION,
        actor=principal,
        target_type=CASE_TARGET,
        target_id=row["id"],
        request_id=request_id,
        detail={
            "action": action,
            "from": None if from_status is None else from_status.value,
            "to": to_status.value,
            "version": version,
        },
    )


async def _compare_and_set(row: Row, values: dict[str, Any]) -> None:
    updated = await DispatchCase.filter(id=row["id"], version=row["version"]).update(**values)
    if updated != 1:
        raise StaleVersion(field=VERSION_FIELD)


async def _apply_system(
    row: Row, facts: CaseFacts, transition: Transition, now: datetime, request_id: str = ""
) -> tuple[Row, CaseFacts]:
    """Write a due system transition (sweeper, or a mutation deriving it first)."""
    assert isinstance(transition.action, SystemAction) and transition.to_status is not None
    before = CaseStatus(row["status"])
    after = transition.to_status
    version = int(row["version"]) + 1
    await _compare_and_set(row, {"status": after, "version": version, "updated_at": now})
    await record_transition(
        row=row,
        action=transition.action.value,
        kind=event_kind(transition.action, after),
        from_status=before,
        to_status=after,
        version=version,
        now=now,
        principal=None,
        change=Change(payload={"reason": transition.description_ja}),
        request_id=request_id,
    )
    return {**row, "status": after, "version": version}, replace(facts, status=after)


# ---------------------------------------------------------------- user transitions


async def run_transition(
    principal: Principal,
    case_id: int,
    expected_version: int,
    action: CaseAction,
    now: datetime,
    apply: Apply | None = None,
    *,
    validate_only: bool = False,
    request_id: str = "",
) -> TransitionResult:
    """Apply ``action`` to the case as ``principal`` (see the module docstring for the steps).

    Raises :class:`DomainError` subclasses for every expected refusal; nothing is written then
    (except the ``authz_fail`` audit row of a FORBIDDEN).
    """
    if not role_may_ever(principal.role, action, principal.scopes):
        await refuse_forbidden(principal, action.value, target_id=case_id, request_id=request_id)
    try:
        async with in_transaction():
            result = await _transition(
                principal, case_id, expected_version, action, now, apply, request_id
            )
            if validate_only:
                raise _RollBack(replace(result, committed=False))
    except _RollBack as undone:
        return undone.result
    return result


async def _transition(
    principal: Principal,
    case_id: int,
    expected_version: int,
    action: CaseAction,
    now: datetime,
    apply: Apply | None,
    request_id: str,
) -> TransitionResult:
    row = await _lock_case(case_id, case_scope(principal))
    if row is None:
        raise NotFound(field=ID_FIELD)
    if int(row["version"]) != expected_version:
        raise StaleVersion(field=VERSION_FIELD)
    facts, slots = await _case_facts(row)
    pending = pending_system_transition(facts, now)
    if pending is not None:
        row, facts = await _apply_system(row, facts, pending, now, request_id)
    parties = case_parties(principal, row)
    try:
        transition = find_transition(action, facts, parties, now)
    except ActionNotAllowed as refused:
        refused.field = ID_FIELD
        raise
    locked = LockedCase(row, slots, facts, parties, transition, principal, now)
    change = await apply(locked) if apply is not None else Change()
    before = CaseStatus(row["status"])
    after = transition.to_status or before
    version = int(row["version"]) + 1
    await _compare_and_set(
        row, {**change.updates, "status": after, "version": version, "updated_at": now}
    )
    if change.write is not None:
        await change.write()
    await record_transition(
        row=row,
        action=action.value,
        kind=event_kind(action, transition.to_status),
        from_status=before,
        to_status=after,
        version=version,
        now=now,
        principal=principal,
        change=change,
        request_id=request_id,
    )
    return TransitionResult(case_id, version, after, committed=True)


# ---------------------------------------------------------------- system transitions


async def advance_case(case_id: int, now: datetime, *, skip_locked: bool = False) -> bool:
    """Write the case's due system transition, if any, in its own short transaction.

    With ``skip_locked`` (the sweeper on PostgreSQL) a case another process holds is skipped.
    Idempotent: a case with nothing due is left untouched. Returns True when it wrote one.
    """
    async with in_transaction():
        row = await _lock_case(case_id, Q(), skip_locked=skip_locked)
        if row is None:
            return False
        facts, _ = await _case_facts(row)
        pending = pending_system_transition(facts, now)
        if pending is None:
            return False
        await _apply_system(row, facts, pending, now)
        return True


__all__ = [
    "AUTHZ_FAIL",
    "CASE_TRANSITION",
    "Apply",
    "Change",
    "LockedCase",
    "TransitionResult",
    "advance_case",
    "jsonable",
    "latest_round",
    "record_transition",
    "refuse_forbidden",
    "run_transition",
]
