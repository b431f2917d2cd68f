"""Pure rules of the case mutations (models.rules.case_rules) — table-driven."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from models.rules.case_rules import (
    CheckAnomaly,
    OpenSlot,
    cancel_errors,
    check_anomalies,
    decline_errors,
    distance_m,
    event_kind,
    filing_party,
    filing_suspended,
    override_errors,
    pick_slot,
    position_errors,
    role_may_ever,
    role_parties,
    text_errors,
    withdraw_errors,
)
from models.rules.case_status import CaseAction, CaseStatus
from models.rules.errors import ErrorCode, ValidationErrors
from models.rules.events import EventKind
from models.rules.fiscal_year import TOKYO, reservation_number
from models.rules.roles import Role
from models.rules.workflow import Party, SystemAction

A = CaseAction
R = Role
START = datetime(2025, 6, 11, 10, 0, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("role", "scopes", "action", "may"),
    [
        (R.SPECIALIST, (), A.ACCEPT, True),
        (R.SPECIALIST, (), A.CANCEL, True),
        (R.SPECIALIST, (), A.WITHDRAW, False),
        (R.SPECIALIST, (), A.SCHEDULE, False),
        (R.COMPANY, (), A.ACCEPT, False),
        (R.COMPANY, (), A.ACCEPT_PROPOSAL, True),
        (R.COMPANY, (), A.EVALUATE, True),
        (R.COMPANY, (), A.SCHEDULE, False),
        (R.PLATFORM, (), A.REJECT_PROPOSALS, True),
        (R.PLATFORM, (), A.CHECK_IN, False),
        (R.SECRETARIAT, (), A.SCHEDULE, True),
        (R.SECRETARIAT, (), A.ACCEPT_PROPOSAL, True),  # as the filer of a case
        (R.SECRETARIAT, (), A.ACCEPT, False),
        (R.SECRETARIAT, (), A.DECLINE, False),
        (R.PARTNER, ("read_cases",), A.WITHDRAW, False),
        (R.PARTNER, ("read_cases", "write_cases"), A.WITHDRAW, True),
        (R.PARTNER, ("write_cases",), A.SCHEDULE, False),
        (None, (), A.WITHDRAW, False),
        (R.SPECIALIST, (), SystemAction.DISPATCH_ENDED, False),
    ],
)
def test_role_may_ever(
    role: Role | None, scopes: tuple[str, ...], action: CaseAction | SystemAction, may: bool
) -> None:
    assert role_may_ever(role, action, scopes) is may


def test_role_parties() -> None:
    assert role_parties(R.COMPANY) == {Party.REQUESTER, Party.COMPANY}
    assert role_parties(R.PARTNER, ("read_cases",)) == frozenset()
    assert role_parties(None) == frozenset()


@pytest.mark.parametrize(
    ("role", "party"),
    [
        (R.PLATFORM, Party.PLATFORM),
        (R.COMPANY, Party.COMPANY),
        (R.SECRETARIAT, Party.SECRETARIAT),
        (R.SPECIALIST, None),
        (R.PARTNER, None),
        (None, None),
    ],
)
def test_filing_party(role: Role | None, party: Party | None) -> None:
    assert filing_party(role) is party


@pytest.mark.parametrize(
    ("action", "to_status", "kind"),
    [
        (A.ACCEPT, CaseStatus.CONFIRMED, EventKind.CASE_CONFIRMED),
        (A.PROPOSE_DATES, CaseStatus.ADJUSTING, EventKind.CASE_DATES_PROPOSED),
        (A.REJECT_PROPOSALS, CaseStatus.NEEDS_COORDINATION, EventKind.CASE_NEEDS_COORDINATION),
        (A.WITHDRAW, CaseStatus.CANCELLED, EventKind.CASE_CANCELLED),
        (A.CHECK_IN, None, EventKind.CASE_CHECKED_IN),
        (A.EVALUATE, CaseStatus.COMPLETED, EventKind.CASE_COMPLETED),
        (A.EVALUATE, None, EventKind.CASE_EVALUATED),
        (A.SUBMIT_REPORT, CaseStatus.REPORTED, EventKind.CASE_REPORTED),
        (SystemAction.DISPATCH_ENDED, CaseStatus.UNREPORTED, EventKind.CASE_UNREPORTED),
        (
            SystemAction.SLOTS_EXPIRED,
            CaseStatus.NEEDS_COORDINATION,
            EventKind.CASE_NEEDS_COORDINATION,
        ),
    ],
)
def test_event_kind(
    action: CaseAction | SystemAction, to_status: CaseStatus | None, kind: EventKind
) -> None:
    assert event_kind(action, to_status) is kind


@pytest.mark.parametrize(
    ("value", "required", "code"),
    [
        ("", True, ErrorCode.REQUIRED),
        ("   ", True, ErrorCode.REQUIRED),
        (None, True, ErrorCode.REQUIRED),
        ("", False, None),
        ("a" * 10, True, None),
        ("a" * 11, False, ErrorCode.TOO_LONG),
        (" " + "a" * 10 + " ", True, None),
    ],
)
def test_text_errors(value: str | None, required: bool, code: ErrorCode | None) -> None:
    errors = text_errors(value, ("input", "x"), max_length=10, required=required)
    assert [e.code for e in errors] == ([] if code is None else [code])
    assert all(e.field == ("input", "x") for e in errors)


@pytest.mark.parametrize(
    ("given", "text", "comment", "expected"),
    [
        (True, "", "", []),
        (True, "理由", "コメント", []),
        (False, "", "", [(("input", "declineReasonId"), ErrorCode.REQUIRED)]),
        (True, "x" * 2001, "", [(("input", "reasonText"), ErrorCode.TOO_LONG)]),
        (
            False,
            "",
            "x" * 2001,
            [
                (("input", "declineReasonId"), ErrorCode.REQUIRED),
                (("input", "comment"), ErrorCode.TOO_LONG),
            ],
        ),
    ],
)
def test_decline_errors(given: bool, text: str, comment: str, expected: list[object]) -> None:
    assert [(e.field, e.code) for e in decline_errors(given, text, comment)] == expected


@pytest.mark.parametrize(
    ("given", "reason", "expected"),
    [
        (True, "急用", []),
        (False, "急用", [(("input", "cancelCategoryId"), ErrorCode.REQUIRED)]),
        (True, " ", [(("input", "reason"), ErrorCode.REQUIRED)]),
        (
            False,
            "",
            [
                (("input", "cancelCategoryId"), ErrorCode.REQUIRED),
                (("input", "reason"), ErrorCode.REQUIRED),
            ],
        ),
    ],
)
def test_cancel_errors(given: bool, reason: str, expected: list[object]) -> None:
    assert [(e.field, e.code) for e in cancel_errors(given, reason)] == expected


def test_withdraw_needs_a_reason() -> None:
    assert [e.code for e in withdraw_errors("")] == [ErrorCode.REQUIRED]
    assert withdraw_errors("社内で解決") == []


@pytest.mark.parametrize(
    ("override", "reason", "codes"),
    [
        (False, None, []),
        (False, "", []),
        (True, None, [ErrorCode.REQUIRED]),
        (True, "  ", [ErrorCode.REQUIRED]),
        (True, "電話で合意", []),
        (False, "x" * 2001, [ErrorCode.TOO_LONG]),
    ],
)
def test_override_errors(override: bool, reason: str | None, codes: list[ErrorCode]) -> None:
    assert [e.code for e in override_errors(override, reason)] == codes


def test_pick_slot_by_position() -> None:
    slots = [OpenSlot(1, START, START + timedelta(hours=2)), OpenSlot(3, START, START)]
    assert pick_slot(slots, 3, ("input", "position")).position == 3
    with pytest.raises(ValidationErrors) as missing:
        pick_slot(slots, 2, ("input", "position"))
    assert [(e.field, e.code) for e in missing.value.errors] == [
        (("input", "position"), ErrorCode.INVALID)
    ]


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((35.681236, 139.767125), (35.681236, 139.767125), 0),  # 東京駅, same point
        ((35.681236, 139.767125), (34.702485, 135.495951), 403_000),  # 東京駅 → 大阪駅
        ((0.0, 0.0), (0.0, 1.0), 111_195),  # one degree on the equator
        ((35.0, 139.0), (35.009, 139.0), 1_001),  # ~1 km north
        ((0.0, 179.9), (0.0, -179.9), 22_239),  # across the antimeridian
    ],
)
def test_distance_m(a: tuple[float, float], b: tuple[float, float], metres: int) -> None:
    assert distance_m(*a, *b) == pytest.approx(metres, rel=0.01, abs=1)


@pytest.mark.parametrize(
    ("lat", "lng", "accuracy", "fields"),
    [
        (35.68, 139.76, 10.0, []),
        (90.0, 180.0, 0.0, []),
        (-90.0, -180.0, 100_000.0, []),
        (90.01, 0.0, 5.0, ["lat"]),
        (0.0, -180.5, 5.0, ["lng"]),
        (0.0, 0.0, -0.1, ["accuracyM"]),
        (0.0, 0.0, 100_001.0, ["accuracyM"]),
        (float("nan"), float("inf"), float("nan"), ["lat", "lng", "accuracyM"]),
    ],
)
def test_position_errors(lat: float, lng: float, accuracy: float, fields: list[str]) -> None:
    errors = position_errors(lat, lng, accuracy)
    assert [e.field[-1] for e in errors] == fields
    assert {e.code for e in errors} <= {ErrorCode.OUT_OF_RANGE}


FAR, LATE = CheckAnomaly.FAR_FROM_SITE, CheckAnomaly.OFF_SCHEDULE


@pytest.mark.parametrize(
    ("is_check_in", "distance", "minutes_after_start", "flags"),
    [
        (True, 50.0, 0, []),
        (True, 1000.0, 30, []),  # exactly at both thresholds: not flagged
        (True, 1000.1, 0, [FAR]),
        (True, None, -31, [LATE]),  # no coordinates on the case: distance unknown
        (True, 5000.0, 45, [FAR, LATE]),
        (False, 5000.0, 300, [FAR]),  # check-out: only the distance is flagged
        (False, 10.0, 300, []),
    ],
)
def test_check_anomalies(
    is_check_in: bool, distance: float | None, minutes_after_start: int, flags: list[object]
) -> None:
    assert (
        check_anomalies(
            is_check_in=is_check_in,
            distance=distance,
            recorded_at=START + timedelta(minutes=minutes_after_start),
            dispatch_start=START,
            max_distance_m=1000,
            tolerance_min=30,
        )
        == flags
    )


@pytest.mark.parametrize(
    ("since", "until", "today", "suspended"),
    [
        (None, None, date(2025, 6, 2), False),
        (date(2025, 6, 1), None, date(2025, 6, 2), True),
        (date(2025, 6, 3), None, date(2025, 6, 2), False),
        (date(2025, 6, 1), date(2025, 6, 2), date(2025, 6, 2), True),
        (date(2025, 6, 1), date(2025, 6, 1), date(2025, 6, 2), False),
        (None, date(2025, 12, 31), date(2025, 6, 2), False),
    ],
)
def test_filing_suspended(
    since: date | None, until: date | None, today: date, suspended: bool
) -> None:
    assert filing_suspended(since, until, today) is suspended


@pytest.mark.parametrize(
    ("fy", "sequence", "number"),
    [(2025, 1, "2025-000001"), (2026, 123, "2026-000123"), (2025, 999_999, "2025-999999")],
)
def test_reservation_number_format(fy: int, sequence: int, number: str) -> None:
    assert reservation_number(fy, sequence) == number
