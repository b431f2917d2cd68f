"""The travel claim (domain.md §5, seed 000 pp.23–24) — pure, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from models.rules.errors import ErrorCode
from models.rules.money_kinds import DocumentKind, TransportMode
from models.rules.travel import (
    MAX_FARE,
    MAX_LINES,
    TravelClaimInput,
    TravelLineInput,
    TravelRates,
    TravelTotals,
    air_documents_missing,
    check_travel_claim,
    check_travel_line,
    line_amount,
)

RATES = TravelRates()  # 2,200 per day, 10,900 per night, limited express from 100 km
DISPATCH = date(2026, 6, 2)
DOCS = frozenset({DocumentKind.BOARDING_STUB, DocumentKind.RECEIPT, DocumentKind.FORM8})

RAIL = TravelLineInput(TransportMode.RAIL, "東京", "大宮", True, 580, 30)
CLAIM = TravelClaimInput(
    place="株式会社サンプル本社",
    address="埼玉県さいたま市大宮区宮町2-10",
    purpose="経営改善に関する助言",
    per_diem_days=(DISPATCH,),
    lines=(RAIL,),
)


def codes(claim: TravelClaimInput, **kwargs: object) -> list[tuple[ErrorCode, tuple[str, ...]]]:
    options: dict[str, object] = {"dispatch_date": DISPATCH, "rates": RATES, "attached": DOCS}
    options.update(kwargs)
    check = check_travel_claim(claim, **options)  # type: ignore[arg-type]
    return [(e.code, e.field) for e in check.errors]


def line(**changes: object) -> TravelClaimInput:
    return replace(CLAIM, lines=(replace(RAIL, **changes),))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "round_trip", "fare", "amount"),
    [
        (TransportMode.RAIL, False, 580, 580),
        (TransportMode.RAIL, True, 580, 1160),  # the server doubles a round trip
        (TransportMode.BUS, True, 0, 0),
        (TransportMode.PRIVATE_CAR, True, 0, 0),  # 私有車 = 0
        (TransportMode.PRIVATE_CAR, False, 999, 0),
        (TransportMode.AIR, True, 25000, 50000),
        (TransportMode.TAXI, False, 1500, 1500),
    ],
)
def test_line_amount(mode: TransportMode, round_trip: bool, fare: int, amount: int) -> None:
    assert line_amount(mode, round_trip, fare) == amount


def test_a_day_trip_claim() -> None:
    claim = replace(
        CLAIM,
        lines=(
            RAIL,
            TravelLineInput(TransportMode.LIMITED_EXPRESS, "東京", "仙台", False, 11410, 352),
            TravelLineInput(TransportMode.PRIVATE_CAR, "自宅", "東京駅", True, None, 12),
            TravelLineInput("AIR", "羽田", "千歳", True, 20000, 894),
        ),
    )
    check = check_travel_claim(claim, dispatch_date=DISPATCH, rates=RATES, attached=DOCS)
    assert check.ok, check.errors
    assert check.totals == TravelTotals((1160, 11410, 0, 40000), 52570, 2200, 0)
    assert check.totals.total == 54770


def test_an_overnight_trip() -> None:
    claim = replace(
        CLAIM,
        trip_start=date(2026, 6, 1),
        trip_end=date(2026, 6, 3),
        per_diem_days=(date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)),
        lodging_nights=(date(2026, 6, 1), date(2026, 6, 2)),
    )
    check = check_travel_claim(claim, dispatch_date=DISPATCH, rates=RATES)
    assert check.ok, check.errors
    assert (check.totals.per_diem, check.totals.lodging) == (6600, 21800)
    assert check.totals.total == 6600 + 21800 + 1160


def test_amounts_come_from_the_configuration() -> None:
    rates = TravelRates(per_diem=3000, lodging=12000, limited_express_min_km=50)
    claim = replace(
        CLAIM,
        trip_start=date(2026, 6, 2),
        trip_end=date(2026, 6, 3),
        per_diem_days=(date(2026, 6, 2),),
        lodging_nights=(date(2026, 6, 2),),
        lines=(TravelLineInput(TransportMode.LIMITED_EXPRESS, "A", "B", False, 2000, 60),),
    )
    check = check_travel_claim(claim, dispatch_date=DISPATCH, rates=rates)
    assert check.ok, check.errors
    assert check.totals == TravelTotals((2000,), 2000, 3000, 12000)


T1, T3 = date(2026, 6, 1), date(2026, 6, 3)


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (replace(CLAIM, place=""), [(ErrorCode.REQUIRED, ("place",))]),
        (replace(CLAIM, place="　 "), [(ErrorCode.REQUIRED, ("place",))]),
        (replace(CLAIM, place="x" * 201), [(ErrorCode.TOO_LONG, ("place",))]),
        (replace(CLAIM, address=None), [(ErrorCode.REQUIRED, ("address",))]),
        (replace(CLAIM, purpose=None), [(ErrorCode.REQUIRED, ("purpose",))]),
        # trip dates: both or none, overnight only, containing the dispatch day
        (replace(CLAIM, trip_start=T1), [(ErrorCode.REQUIRED, ("tripEnd",))]),
        (replace(CLAIM, trip_end=T3), [(ErrorCode.REQUIRED, ("tripStart",))]),
        (
            replace(CLAIM, trip_start=DISPATCH, trip_end=DISPATCH),
            [(ErrorCode.END_NOT_AFTER_START, ("tripEnd",))],
        ),
        (
            replace(CLAIM, trip_start=T3, trip_end=T1),
            [(ErrorCode.END_NOT_AFTER_START, ("tripEnd",))],
        ),
        (
            replace(CLAIM, trip_start=date(2026, 6, 3), trip_end=date(2026, 6, 5)),
            [(ErrorCode.DATE_OUTSIDE_TRIP, ("tripStart",))],
        ),
        (
            replace(CLAIM, trip_start=date(2026, 5, 1), trip_end=date(2026, 6, 5)),
            [(ErrorCode.OUT_OF_RANGE, ("tripEnd",))],
        ),
        # per-diem days and lodging nights within the trip
        (
            replace(CLAIM, trip_start=T1, trip_end=T3, per_diem_days=(DISPATCH, date(2026, 6, 4))),
            [(ErrorCode.DATE_OUTSIDE_TRIP, ("perDiemDays", "1"))],
        ),
        (
            replace(CLAIM, per_diem_days=(date(2026, 6, 1),)),
            [(ErrorCode.DATE_OUTSIDE_TRIP, ("perDiemDays", "0"))],
        ),
        (
            replace(CLAIM, per_diem_days=(DISPATCH, DISPATCH)),
            [(ErrorCode.DUPLICATE, ("perDiemDays", "1"))],
        ),
        (
            replace(CLAIM, trip_start=T1, trip_end=T3, lodging_nights=(T1, T3)),
            [(ErrorCode.DATE_OUTSIDE_TRIP, ("lodgingNights", "1"))],
        ),
        (
            replace(CLAIM, trip_start=T1, trip_end=T3, lodging_nights=(T1, T1)),
            [(ErrorCode.DUPLICATE, ("lodgingNights", "1"))],
        ),
        (replace(CLAIM, lodging_nights=(DISPATCH,)), [(ErrorCode.REQUIRED, ("tripStart",))]),
        # transport lines
        (line(mode=None), [(ErrorCode.REQUIRED, ("lines", "0", "mode"))]),
        (line(mode="SPACESHIP"), [(ErrorCode.INVALID, ("lines", "0", "mode"))]),
        (line(from_place=""), [(ErrorCode.REQUIRED, ("lines", "0", "fromPlace"))]),
        (line(to_place=None), [(ErrorCode.REQUIRED, ("lines", "0", "toPlace"))]),
        (line(to_place="x" * 101), [(ErrorCode.TOO_LONG, ("lines", "0", "toPlace"))]),
        (line(round_trip=None), [(ErrorCode.REQUIRED, ("lines", "0", "roundTrip"))]),
        (line(one_way_fare=None), [(ErrorCode.REQUIRED, ("lines", "0", "oneWayFare"))]),
        (line(one_way_fare=-1), [(ErrorCode.OUT_OF_RANGE, ("lines", "0", "oneWayFare"))]),
        (line(one_way_fare=580.5), [(ErrorCode.NOT_AN_INTEGER, ("lines", "0", "oneWayFare"))]),
        (line(one_way_fare="580"), [(ErrorCode.NOT_AN_INTEGER, ("lines", "0", "oneWayFare"))]),
        (line(one_way_fare=MAX_FARE + 1), [(ErrorCode.OUT_OF_RANGE, ("lines", "0", "oneWayFare"))]),
        (line(distance_km=-5), [(ErrorCode.OUT_OF_RANGE, ("lines", "0", "distanceKm"))]),
        (
            line(mode=TransportMode.PRIVATE_CAR, one_way_fare=500),
            [(ErrorCode.INVALID, ("lines", "0", "oneWayFare"))],
        ),
        (line(mode=TransportMode.PRIVATE_CAR, one_way_fare=None), []),
        (
            line(mode=TransportMode.LIMITED_EXPRESS, distance_km=99),
            [(ErrorCode.LIMITED_EXPRESS_TOO_SHORT, ("lines", "0", "distanceKm"))],
        ),
        (line(mode=TransportMode.LIMITED_EXPRESS, distance_km=100), []),
        (
            line(mode=TransportMode.LIMITED_EXPRESS, distance_km=None),
            [(ErrorCode.REQUIRED, ("lines", "0", "distanceKm"))],
        ),
        (line(mode=TransportMode.RAIL, distance_km=None), []),
        (replace(CLAIM, lines=(), per_diem_days=()), [(ErrorCode.REQUIRED, ("lines",))]),
        (replace(CLAIM, lines=(RAIL,) * (MAX_LINES + 1)), [(ErrorCode.OUT_OF_RANGE, ("lines",))]),
    ],
)
def test_each_rule_has_its_own_field_error(
    claim: TravelClaimInput, expected: list[tuple[ErrorCode, tuple[str, ...]]]
) -> None:
    assert codes(claim) == expected


@pytest.mark.parametrize(
    ("attached", "error"),
    [
        (DOCS, False),
        (frozenset({DocumentKind.BOARDING_STUB}), True),
        (frozenset({DocumentKind.RECEIPT}), True),
        (frozenset(), True),
        (None, False),  # not checked (e.g. documents still to come by post)
    ],
)
def test_air_requires_boarding_stub_and_receipt(
    attached: frozenset[DocumentKind] | None, error: bool
) -> None:
    claim = line(mode=TransportMode.AIR)
    expected = [(ErrorCode.DOCUMENT_REQUIRED, ("lines", "0", "mode"))] if error else []
    assert codes(claim, attached=attached) == expected


def test_air_documents_missing() -> None:
    assert air_documents_missing([TransportMode.AIR], {DocumentKind.RECEIPT})
    assert not air_documents_missing([TransportMode.AIR], DOCS)
    assert not air_documents_missing([TransportMode.RAIL], set())


def test_every_error_at_once_and_invalid_lines_count_zero() -> None:
    claim = TravelClaimInput(
        place=None,
        address="住所",
        purpose=None,
        per_diem_days=(DISPATCH,),
        lines=(
            TravelLineInput(TransportMode.RAIL, "A", "B", True, -10),
            RAIL,
            TravelLineInput(TransportMode.LIMITED_EXPRESS, "", "C", False, 3000, 50),
        ),
    )
    check = check_travel_claim(claim, dispatch_date=DISPATCH, rates=RATES)
    assert [(e.code, e.field) for e in check.errors] == [
        (ErrorCode.REQUIRED, ("place",)),
        (ErrorCode.REQUIRED, ("purpose",)),
        (ErrorCode.OUT_OF_RANGE, ("lines", "0", "oneWayFare")),
        (ErrorCode.REQUIRED, ("lines", "2", "fromPlace")),
        (ErrorCode.LIMITED_EXPRESS_TOO_SHORT, ("lines", "2", "distanceKm")),
    ]
    assert all(e.message for e in check.errors)
    assert (
        check.errors[4].message
        == "交通機関3行目：特急・指定席は片道100km以上の場合のみ利用できます。"
    )
    assert check.totals.line_amounts == (0, 1160, 0)


def test_a_draft_checks_formats_only() -> None:
    draft = TravelClaimInput(
        place="x" * 201,
        per_diem_days=(date(2026, 7, 1),),
        lodging_nights=(DISPATCH,),
        lines=(
            TravelLineInput(TransportMode.PRIVATE_CAR, None, None, None, 500),
            TravelLineInput(TransportMode.LIMITED_EXPRESS, one_way_fare=1.5, distance_km=10),  # type: ignore[arg-type]
        ),
    )
    check = check_travel_claim(draft, dispatch_date=DISPATCH, rates=RATES, for_submission=False)
    assert [(e.code, e.field) for e in check.errors] == [
        (ErrorCode.TOO_LONG, ("place",)),
        (ErrorCode.NOT_AN_INTEGER, ("lines", "1", "oneWayFare")),
    ]


def test_an_unknown_dispatch_date_skips_the_rules_that_need_it() -> None:
    claim = replace(
        CLAIM,
        trip_start=date(2026, 7, 1),
        trip_end=date(2026, 7, 2),
        per_diem_days=(date(2026, 7, 1),),
    )
    check = check_travel_claim(claim, dispatch_date=None, rates=RATES)
    assert check.ok, check.errors
    assert check.totals.per_diem == 2200


@pytest.mark.parametrize("value", [-1, 1.0, True])
def test_rates_are_integers(value: object) -> None:
    with pytest.raises(ValueError):
        TravelRates(per_diem=value)  # type: ignore[arg-type]


def test_a_single_line_for_a_secretariat_correction() -> None:
    assert check_travel_line(RAIL, rates=RATES) == ((), 1160)
    errors, amount = check_travel_line(replace(RAIL, one_way_fare=-1, to_place=""), rates=RATES)
    assert [(e.code, e.field) for e in errors] == [
        (ErrorCode.REQUIRED, ("toPlace",)),
        (ErrorCode.OUT_OF_RANGE, ("oneWayFare",)),
    ]
    assert amount == 0
