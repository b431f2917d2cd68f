"""The case actions of domain.md §4.3–§4.4, each an ``apply`` for the one transition engine.

Every function here validates its own input (field errors under ``input``) inside the engine's
transaction, after the engine has locked the case, checked the version and chosen the workflow
row, and says what to write; :func:`resolvers.case_commands.run_transition` does the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auth.principal import Principal
from models.attendance import CheckEvent, Signature
from models.cases import CaseSlot
from models.documents import Document
from models.fiscal import FiscalYearConfig
from models.masters import CancelCategory, DeclineReason
from models.rules import case_rules as rules
from models.rules.case_status import CaseAction, SlotKind
from models.rules.errors import ErrorCode, FieldError, ValidationErrors
from models.rules.fiscal_year import fiscal_year_of_instant, tokyo_date
from models.rules.money_kinds import CheckKind, DocumentKind
from models.specialists import Specialist
from resolvers.availability import slot_field_errors
from resolvers.case_commands import Change, LockedCase, TransitionResult, run_transition
from resolvers.case_filing import dispatchable_in, not_dispatchable

Slots = Sequence[tuple[datetime, datetime]]
POSITION = ("input", "position")


@dataclass(frozen=True)
class Command:
    """Who acts on which case version, when, and how (validate only, request id)."""

    principal: Principal
    case_id: int
    version: int
    now: datetime
    validate_only: bool = False
    request_id: str = ""


async def _run(command: Command, action: CaseAction, apply: Any) -> TransitionResult:
    return await run_transition(
        command.principal,
        command.case_id,
        command.version,
        action,
        command.now,
        apply,
        validate_only=command.validate_only,
        request_id=command.request_id,
    )


def _fail(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationErrors(errors)


def _at(errors: Sequence[FieldError], path: tuple[str, ...]) -> list[FieldError]:
    """The errors re-pointed at ``path`` (a picked slot is named by its position)."""
    return [FieldError(e.code, e.message, path) for e in errors]


def _single(errors: Sequence[FieldError], base: tuple[str, ...]) -> list[FieldError]:
    """Errors of a one-slot list re-pointed from ``base + (0, part)`` to ``base + (part,)``."""
    out = []
    for e in errors:
        part = e.field[-1] if e.field and e.field[-1] in ("start", "end") else "start"
        out.append(FieldError(e.code, e.message, (*base, part)))
    return out


def _window(start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "dispatch_start": start,
        "dispatch_end": end,
        "dispatch_date": tokyo_date(start),
        "fiscal_year": fiscal_year_of_instant(start),
    }


async def _dispatchable_for(case: LockedCase, slots: Slots, path: tuple[str, ...]) -> None:
    """A date in another fiscal year than the case's needs the specialist's commission of that
    year ("dispatchable for the case's fiscal year")."""
    if not slots:
        return
    fiscal_year = fiscal_year_of_instant(slots[0][0])
    if fiscal_year == case.row["fiscal_year"]:
        return
    rows = await Specialist.filter(id=case.row["specialist_id"]).values("id", "registration_status")
    if not rows or not await dispatchable_in(rows[0], fiscal_year):
        _fail([not_dispatchable(fiscal_year, *path[1:])])


def _next_round(case: LockedCase, kind: SlotKind) -> int:
    rounds = [int(s["round"]) for s in case.slots if s["kind"] == kind]
    return max(rounds, default=0) + 1


def _slot_rows(case: LockedCase, kind: SlotKind, round_: int, slots: Slots) -> list[CaseSlot]:
    return [
        CaseSlot(
            case_id=case.id,
            kind=kind,
            position=position,
            start=start,
            end=end,
            round=round_,
            created_at=case.now,
        )
        for position, (start, end) in enumerate(slots, start=1)
    ]


# ---------------------------------------------------------------- answering a request


async def _pick(case: LockedCase, kind: SlotKind, position: int) -> Change:
    """Confirm the open slot at ``position`` (candidate or proposal), if still selectable."""
    open_slots = [
        rules.OpenSlot(int(s["position"]), s["start"], s["end"]) for s in case.open_slots(kind)
    ]
    slot = rules.pick_slot(open_slots, position, POSITION)
    problems = await slot_field_errors(
        int(case.row["specialist_id"]),
        [(slot.start, slot.end)],
        now=case.now,
        exclude_case_id=case.id,
    )
    _fail(_at(problems, POSITION))
    return Change(
        updates=_window(slot.start, slot.end),
        payload={"kind": kind.value, "position": position, "start": slot.start, "end": slot.end},
    )


async def accept(command: Command, position: int) -> TransitionResult:
    """UNPROCESSED → CONFIRMED: the specialist accepts one candidate slot."""

    async def apply(case: LockedCase) -> Change:
        return await _pick(case, SlotKind.CANDIDATE, position)

    return await _run(command, CaseAction.ACCEPT, apply)


async def propose_dates(command: Command, slots: Slots, comment: str) -> TransitionResult:
    """UNPROCESSED → ADJUSTING: the specialist proposes 1–3 other selectable slots."""

    async def apply(case: LockedCase) -> Change:
        errors = rules.text_errors(comment, ("input", "comment"), max_length=rules.MAX_COMMENT)
        errors += await slot_field_errors(
            int(case.row["specialist_id"]), slots, now=case.now, exclude_case_id=case.id
        )
        _fail(errors)
        await _dispatchable_for(case, slots, ("input", "slots"))
        rows = _slot_rows(case, SlotKind.PROPOSED, _next_round(case, SlotKind.PROPOSED), slots)

        async def write() -> None:
            await CaseSlot.bulk_create(rows)

        text = comment.strip()
        return Change(
            updates={"proposal_comment": text},
            payload={
                "slots": [{"position": r.position, "start": r.start, "end": r.end} for r in rows]
            },
            comment=text,
            write=write,
        )

    return await _run(command, CaseAction.PROPOSE_DATES, apply)


async def accept_proposal(command: Command, position: int) -> TransitionResult:
    """ADJUSTING → CONFIRMED: the requester side accepts one proposed slot."""

    async def apply(case: LockedCase) -> Change:
        return await _pick(case, SlotKind.PROPOSED, position)

    return await _run(command, CaseAction.ACCEPT_PROPOSAL, apply)


async def reject_proposals(command: Command, comment: str) -> TransitionResult:
    """ADJUSTING → NEEDS_COORDINATION: the requester side turns the proposals down."""

    async def apply(case: LockedCase) -> Change:
        _fail(rules.text_errors(comment, ("input", "comment"), max_length=rules.MAX_COMMENT))
        return Change(comment=comment.strip())

    return await _run(command, CaseAction.REJECT_PROPOSALS, apply)


async def schedule(
    command: Command,
    start: datetime,
    end: datetime,
    *,
    override_availability: bool,
    override_reason: str | None,
    comment: str,
) -> TransitionResult:
    """NEEDS_COORDINATION → CONFIRMED: the secretariat fixes a date; with
    ``override_availability`` (and a reason) the specialist's hours, days off, holidays and
    other confirmed cases are not checked."""

    async def apply(case: LockedCase) -> Change:
        errors = rules.override_errors(override_availability, override_reason)
        errors += rules.text_errors(comment, ("input", "comment"), max_length=rules.MAX_COMMENT)
        problems = await slot_field_errors(
            int(case.row["specialist_id"]),
            [(start, end)],
            now=case.now,
            path=("input",),
            exclude_case_id=case.id,
            check_availability=not override_availability,
        )
        _fail(errors + _single(problems, ("input",)))
        await _dispatchable_for(case, [(start, end)], ("input", "start"))
        rows = _slot_rows(
            case, SlotKind.SCHEDULED, _next_round(case, SlotKind.SCHEDULED), [(start, end)]
        )

        async def write() -> None:
            await CaseSlot.bulk_create(rows)

        payload: dict[str, Any] = {
            "start": start,
            "end": end,
            "overrideAvailability": override_availability,
        }
        if override_availability:
            payload["overrideReason"] = (override_reason or "").strip()
        return Change(
            updates=_window(start, end), payload=payload, comment=comment.strip(), write=write
        )

    return await _run(command, CaseAction.SCHEDULE, apply)


async def decline(
    command: Command, reason_id: int | None, reason_given: bool, reason_text: str, comment: str
) -> TransitionResult:
    """UNPROCESSED → DECLINED: category required; the free text is for the secretariat (and the
    specialist's own view) only, never in the public history or the domain event."""

    async def apply(case: LockedCase) -> Change:
        errors = rules.decline_errors(reason_given, reason_text, comment)
        if reason_given and (
            reason_id is None or not await DeclineReason.filter(id=reason_id, active=True).exists()
        ):
            message = "選択できない辞退理由です。"
            errors.append(FieldError(ErrorCode.INVALID, message, ("input", "declineReasonId")))
        _fail(errors)
        text = reason_text.strip()
        return Change(
            updates={
                "decline_reason_id": reason_id,
                "decline_reason_text": text,
                "decline_comment": comment.strip(),
            },
            payload={"declineReasonId": reason_id},
            secret_payload={"declineReasonText": text} if text else {},
            comment=comment.strip(),
        )

    return await _run(command, CaseAction.DECLINE, apply)


async def withdraw(command: Command, reason: str) -> TransitionResult:
    """UNPROCESSED/ADJUSTING/NEEDS_COORDINATION → CANCELLED, by the requester side or the
    secretariat, with a reason."""

    async def apply(case: LockedCase) -> Change:
        _fail(rules.withdraw_errors(reason))
        text = reason.strip()
        return Change(updates={"cancel_reason": text}, payload={"reason": text})

    return await _run(command, CaseAction.WITHDRAW, apply)


async def cancel(
    command: Command, category_id: int | None, category_given: bool, reason: str
) -> TransitionResult:
    """CONFIRMED → CANCELLED before the start (specialist, requester side, secretariat), or
    UNREPORTED → CANCELLED by the secretariat (the dispatch did not take place)."""

    async def apply(case: LockedCase) -> Change:
        errors = rules.cancel_errors(category_given, reason)
        if category_given and (
            category_id is None
            or not await CancelCategory.filter(id=category_id, active=True).exists()
        ):
            message = "選択できないキャンセル区分です。"
            errors.append(FieldError(ErrorCode.INVALID, message, ("input", "cancelCategoryId")))
        _fail(errors)
        text = reason.strip()
        return Change(
            updates={"cancel_category_id": category_id, "cancel_reason": text},
            payload={"cancelCategoryId": category_id, "reason": text},
        )

    return await _run(command, CaseAction.CANCEL, apply)


# ---------------------------------------------------------------- check-in / check-out


@dataclass(frozen=True)
class Position:
    """What the device reports: its clock and its GPS fix."""

    device_time: datetime
    lat: float
    lng: float
    accuracy_m: float


def _position_errors(position: Position) -> list[FieldError]:
    errors = rules.position_errors(position.lat, position.lng, position.accuracy_m)
    stamp = position.device_time
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        message = "日時はタイムゾーン（UTCからの時差）付きで指定してください。"
        errors.insert(0, FieldError(ErrorCode.INVALID, message, ("input", "deviceTime")))
    return errors


async def _thresholds(fiscal_year: int) -> tuple[int, int]:
    """(distance in m, minutes) of §4.4 from the fiscal-year configuration."""
    config = await FiscalYearConfig.filter(fiscal_year=fiscal_year).first()
    fields = FiscalYearConfig._meta.fields_map
    if config is None:
        return int(fields["checkin_distance_m"].default), int(
            fields["checkin_tolerance_min"].default
        )
    return int(config.checkin_distance_m), int(config.checkin_tolerance_min)


async def _check_event(case: LockedCase, kind: CheckKind, position: Position) -> Change:
    row = case.row
    distance: float | None = None
    if row["location_lat"] is not None and row["location_lng"] is not None:
        distance = rules.distance_m(
            position.lat, position.lng, row["location_lat"], row["location_lng"]
        )
    max_distance, tolerance = await _thresholds(int(row["fiscal_year"]))
    flags = rules.check_anomalies(
        is_check_in=kind is CheckKind.CHECK_IN,
        distance=distance,
        recorded_at=case.now,
        dispatch_start=row["dispatch_start"],
        max_distance_m=max_distance,
        tolerance_min=tolerance,
    )
    event = CheckEvent(
        case_id=case.id,
        kind=kind,
        device_time=position.device_time,
        server_time=case.now,
        lat=position.lat,
        lng=position.lng,
        accuracy_m=position.accuracy_m,
        distance_m=None if distance is None else round(distance),
        flags=[flag.value for flag in flags],
        recorded_by_id=case.principal.account_id,
    )

    async def write() -> None:
        await event.save()

    return Change(
        payload={"kind": kind.value, "deviceTime": position.device_time, "serverTime": case.now},
        # Coordinates and the anomalies derived from them: the specialist and secretariat only.
        secret_payload={
            "lat": position.lat,
            "lng": position.lng,
            "accuracyM": position.accuracy_m,
            "distanceM": event.distance_m,
            "flags": event.flags,
        },
        write=write,
    )


async def check_in(command: Command, position: Position) -> TransitionResult:
    """CHECK_IN on the dispatch day: device time, server time and GPS; anomalies are flagged."""

    async def apply(case: LockedCase) -> Change:
        _fail(_position_errors(position))
        return await _check_event(case, CheckKind.CHECK_IN, position)

    return await _run(command, CaseAction.CHECK_IN, apply)


async def check_out(
    command: Command,
    position: Position,
    signer_name: str,
    signature_document_id: int | None,
    signature_given: bool,
) -> TransitionResult:
    """CHECK_OUT after CHECK_IN, with the company's signature: the signer's name and an image
    the specialist uploaded (a Document of kind SIGNATURE, not used by another case)."""

    async def apply(case: LockedCase) -> Change:
        errors = _position_errors(position)
        errors += rules.text_errors(
            signer_name, ("input", "signerName"), max_length=rules.MAX_SIGNER_NAME, required=True
        )
        path = ("input", "signatureDocumentId")
        if not signature_given:
            errors.append(FieldError(ErrorCode.REQUIRED, "署名画像を指定してください。", path))
        elif not await _signature_usable(case, signature_document_id):
            message = "署名画像として使用できない書類です（本人がアップロードした署名画像を指定してください）。"
            errors.append(FieldError(ErrorCode.INVALID, message, path))
        _fail(errors)
        assert signature_document_id is not None
        change = await _check_event(case, CheckKind.CHECK_OUT, position)
        record_check = change.write
        name = signer_name.strip()

        async def write() -> None:
            assert record_check is not None
            await record_check()
            await Signature.create(
                case_id=case.id,
                signer_name=name,
                image_id=signature_document_id,
                signed_at=case.now,
            )
            await Document.filter(id=signature_document_id).update(case_id=case.id)

        change.write = write
        change.payload["signerName"] = name
        return change

    return await _run(command, CaseAction.CHECK_OUT, apply)


async def _signature_usable(case: LockedCase, document_id: int | None) -> bool:
    if document_id is None or case.principal.account_id is None:
        return False
    document = await Document.filter(
        id=document_id, kind=DocumentKind.SIGNATURE, uploaded_by_id=case.principal.account_id
    ).first()
    if document is None:
        return False
    attached = document.case_id  # type: ignore[attr-defined]
    if attached is not None and attached != case.id:
        return False
    return not await Signature.filter(image_id=document_id).exists()
