"""Pure rules of the case mutations (domain.md §4.1, §4.3, §4.4) that the workflow table does not
hold: who may ever take an action, which event a transition emits, the inputs of decline /
cancel / withdraw / schedule, check-in/out positions and their anomaly flags, and filing
suspension. Everything here is stdlib only; ``now`` and thresholds are parameters.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from models.rules.case_status import CaseAction, CaseStatus
from models.rules.errors import ErrorCode, FieldError, ValidationErrors
from models.rules.events import EVENT_BY_ACTION, EventKind
from models.rules.labels import LabelledEnum
from models.rules.roles import Role
from models.rules.workflow import FILE_PARTIES, TRANSITIONS, Party, SystemAction

Path = tuple[str, ...]

# ---------------------------------------------------------------- who may ever act

#: Partner-token scope that lets a partner act as the requester side of its organisation's cases.
WRITE_CASES = "write_cases"

#: Every party a principal of a role can hold on some case (auth.scoping.case_parties): the filer
#: is REQUESTER whatever its role, so the secretariat may be REQUESTER of a case it filed.
_ROLE_PARTIES: dict[Role, frozenset[Party]] = {
    Role.SPECIALIST: frozenset({Party.SPECIALIST}),
    Role.COMPANY: frozenset({Party.REQUESTER, Party.COMPANY}),
    Role.PLATFORM: frozenset({Party.REQUESTER, Party.PLATFORM}),
    Role.SECRETARIAT: frozenset({Party.SECRETARIAT, Party.REQUESTER}),
}

#: The party a role files a request as ("— → UNPROCESSED — platform, company, secretariat").
_FILING_PARTY: dict[Role, Party] = {
    Role.COMPANY: Party.COMPANY,
    Role.PLATFORM: Party.PLATFORM,
    Role.SECRETARIAT: Party.SECRETARIAT,
}


def role_parties(role: Role | None, scopes: Collection[str] = ()) -> frozenset[Party]:
    """The parties a principal of ``role`` can ever hold; a partner token only with
    ``write_cases`` (then as the requester side of its organisation's cases)."""
    if role is None:
        return frozenset()
    if role is Role.PARTNER:
        return frozenset({Party.REQUESTER}) if WRITE_CASES in scopes else frozenset()
    return _ROLE_PARTIES[role]


def role_may_ever(
    role: Role | None, action: CaseAction | SystemAction, scopes: Collection[str] = ()
) -> bool:
    """False when no row of the workflow table lets any party of ``role`` take ``action`` on
    any case: the request is then FORBIDDEN (security.md §2), not merely "not allowed now"."""
    parties = role_parties(role, scopes)
    return any(row.action is action and row.parties & parties for row in TRANSITIONS)


def filing_party(role: Role | None) -> Party | None:
    """The party ``role`` files as, or None when the role may never file."""
    if role is None:
        return None
    party = _FILING_PARTY.get(role)
    return party if party in FILE_PARTIES else None


# ---------------------------------------------------------------- events

#: "A status change made by the system sweeper emits the event of its target status".
EVENT_BY_TARGET_STATUS: dict[CaseStatus, EventKind] = {
    CaseStatus.UNREPORTED: EventKind.CASE_UNREPORTED,
    CaseStatus.NEEDS_COORDINATION: EventKind.CASE_NEEDS_COORDINATION,
    CaseStatus.COMPLETED: EventKind.CASE_COMPLETED,
}

#: The event of filing a request (— → UNPROCESSED).
FILE_EVENT = EventKind.CASE_FILED


def event_kind(action: CaseAction | SystemAction, to_status: CaseStatus | None) -> EventKind:
    """The domain event one transition emits: a system transition or a move to COMPLETED emits
    the event of its target status, every other action its own (events.EVENT_BY_ACTION)."""
    if to_status is not None and (
        isinstance(action, SystemAction) or to_status is CaseStatus.COMPLETED
    ):
        found = EVENT_BY_TARGET_STATUS.get(to_status)
        if found is not None:
            return found
    if isinstance(action, CaseAction):
        return EVENT_BY_ACTION[action]
    raise ValueError(f"no event for {action} → {to_status}")


# ---------------------------------------------------------------- texts

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_COMMENT = 2000
MAX_REASON = 2000
MAX_LOCATION_NAME = 200
MAX_LOCATION_ADDRESS = 255
MAX_SIGNER_NAME = 64


def text_errors(
    value: str | None, path: Path, *, max_length: int, required: bool = False
) -> list[FieldError]:
    """REQUIRED when ``required`` and blank; TOO_LONG beyond ``max_length`` characters."""
    text = (value or "").strip()
    if required and not text:
        return [FieldError(ErrorCode.REQUIRED, "入力してください。", path)]
    if len(text) > max_length:
        return [FieldError(ErrorCode.TOO_LONG, f"{max_length}文字以内で入力してください。", path)]
    return []


def required_choice(
    given: bool, path: Path, message: str = "選択してください。"
) -> list[FieldError]:
    """REQUIRED when a category (decline reason, cancel category) was not chosen."""
    return [] if given else [FieldError(ErrorCode.REQUIRED, message, path)]


def decline_errors(reason_given: bool, reason_text: str, comment: str) -> list[FieldError]:
    """Decline: "reason category (required), free-text reason (secretariat only), comment to
    requester" — category required, both texts optional and bounded."""
    return [
        *required_choice(
            reason_given, ("input", "declineReasonId"), "辞退理由の区分を選択してください。"
        ),
        *text_errors(reason_text, ("input", "reasonText"), max_length=MAX_REASON),
        *text_errors(comment, ("input", "comment"), max_length=MAX_COMMENT),
    ]


def cancel_errors(category_given: bool, reason: str) -> list[FieldError]:
    """Cancel: "category + reason", both required (seed 000 キャンセル区分・キャンセル理由)."""
    return [
        *required_choice(
            category_given, ("input", "cancelCategoryId"), "キャンセル区分を選択してください。"
        ),
        *text_errors(reason, ("input", "reason"), max_length=MAX_REASON, required=True),
    ]


def withdraw_errors(reason: str) -> list[FieldError]:
    """Withdraw "(+ reason)": the reason is required so every cancellation mail can state it."""
    return text_errors(reason, ("input", "reason"), max_length=MAX_REASON, required=True)


def override_errors(override: bool, reason: str | None) -> list[FieldError]:
    """Schedule "may override availability, with reason": a reason is required to override."""
    path = ("input", "overrideReason")
    if override:
        return text_errors(reason, path, max_length=MAX_REASON, required=True)
    return text_errors(reason, path, max_length=MAX_REASON)


# ---------------------------------------------------------------- slots


@dataclass(frozen=True)
class OpenSlot:
    """A slot waiting for an answer (candidate or proposal), by its position 1–3."""

    position: int
    start: datetime
    end: datetime


def pick_slot(slots: Sequence[OpenSlot], position: int, path: Path) -> OpenSlot:
    """The slot at ``position`` (1–3), refused with INVALID (:class:`ValidationErrors`) when
    there is none. Whether it is still selectable is for the scheduling rules to say."""
    for slot in slots:
        if slot.position == position:
            return slot
    message = "指定された順位の日時がありません。"
    raise ValidationErrors([FieldError(ErrorCode.INVALID, message, path)])


# ---------------------------------------------------------------- check-in / check-out


class CheckAnomaly(LabelledEnum):
    """Anomalies flagged for secretariat review, never refusals (domain.md §4.4)."""

    FAR_FROM_SITE = ("FAR_FROM_SITE", "派遣場所から離れた位置で記録")
    OFF_SCHEDULE = ("OFF_SCHEDULE", "決定した開始時刻から離れた時刻にチェックイン")


#: Mean earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
#: A reported accuracy beyond this is not a GPS fix (metres).
MAX_ACCURACY_M = 100_000.0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def position_errors(lat: float, lng: float, accuracy_m: float) -> list[FieldError]:
    """GPS out of range: latitude −90…90, longitude −180…180, accuracy 0…100 km, all finite."""
    errors = []
    checks = (
        ("lat", lat, -90.0, 90.0, "緯度は-90〜90の範囲で入力してください。"),
        ("lng", lng, -180.0, 180.0, "経度は-180〜180の範囲で入力してください。"),
        ("accuracyM", accuracy_m, 0.0, MAX_ACCURACY_M, "測位精度は0〜100000mで入力してください。"),
    )
    for name, value, low, high, message in checks:
        if not math.isfinite(value) or not low <= value <= high:
            errors.append(FieldError(ErrorCode.OUT_OF_RANGE, message, ("input", name)))
    return errors


def check_anomalies(
    *,
    is_check_in: bool,
    distance: float | None,
    recorded_at: datetime,
    dispatch_start: datetime | None,
    max_distance_m: int,
    tolerance_min: int,
) -> list[CheckAnomaly]:
    """The flags of one check event: "Distance from the case location > 1 km *(config)*,
    check-in more than 30 min *(config)* off the confirmed start". ``recorded_at`` is the
    server time (the device clock is stored but not trusted for the flag)."""
    flags: list[CheckAnomaly] = []
    if distance is not None and distance > max_distance_m:
        flags.append(CheckAnomaly.FAR_FROM_SITE)
    if is_check_in and dispatch_start is not None:
        offset = abs((recorded_at - dispatch_start).total_seconds())
        if offset > tolerance_min * 60:
            flags.append(CheckAnomaly.OFF_SCHEDULE)
    return flags


# ---------------------------------------------------------------- filing


def filing_suspended(
    suspended_from: date | None, suspended_until: date | None, today: date
) -> bool:
    """ "A support organisation suspended by the secretariat cannot file": suspended from the
    first day (inclusive) until the last day (inclusive; open-ended when None)."""
    if suspended_from is None or today < suspended_from:
        return False
    return suspended_until is None or today <= suspended_until
