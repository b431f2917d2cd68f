"""Transport lines of a travel claim (交通機関) — domain.md §5, seed 000 p.24.

"transport lines {mode: 鉄道, 特急・指定席, 航空機, 船舶, バス, タクシー, 私有車, レンタカー, その他;
from; to; one-way/round-trip; amount}. Round trip ⇒ amount = 2 × one-way fare (client enters the
one-way fare, the server doubles it); 私有車 ⇒ amount 0; limited express / reserved seat only when
the one-way distance ≥ 100 km (distance field); air ⇒ boarding-stub + receipt attachment
required."

Paths are relative to the claim (``("lines", "0", "oneWayFare")``) inside
:func:`models.rules.travel.check_travel_claim`, relative to the line in
:func:`check_travel_line` (used for a secretariat correction). :data:`MAX_FARE` and
:data:`MAX_DISTANCE_KM` keep sums far inside the database's integers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from models.rules.errors import ErrorCode, FieldError
from models.rules.field_checks import FieldErrors
from models.rules.money_kinds import DocumentKind, TransportMode

MAX_FARE = 1_000_000
MAX_DISTANCE_KM = 10_000
STATION_MAX_LENGTH = 100

#: Attachments required for a line by air: "boarding-stub + receipt".
AIR_DOCUMENTS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.BOARDING_STUB, DocumentKind.RECEIPT}
)


@dataclass(frozen=True)
class TravelRates:
    """Travel settings of one fiscal year (``per_diem``, ``lodging``, ``limited_express_min_km``)."""

    per_diem: int = 2200
    lodging: int = 10900
    limited_express_min_km: int = 100

    def __post_init__(self) -> None:
        for value in (self.per_diem, self.lodging, self.limited_express_min_km):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError("travel rates are integers ≥ 0")


@dataclass(frozen=True)
class TravelLineInput:
    """One transport line as entered: the one-way fare, never the doubled amount."""

    mode: TransportMode | str | None = None
    from_place: str | None = None
    to_place: str | None = None
    round_trip: bool | None = False
    one_way_fare: int | None = None
    distance_km: int | None = None


def line_amount(mode: TransportMode, round_trip: bool, one_way_fare: int) -> int:
    """ "Round trip ⇒ amount = 2 × one-way fare"; "私有車 ⇒ amount 0"."""
    if one_way_fare < 0:
        raise ValueError("fares are never negative")
    if mode is TransportMode.PRIVATE_CAR:
        return 0
    return one_way_fare * 2 if round_trip else one_way_fare


def air_documents_missing(
    modes: Collection[TransportMode], attached: Collection[DocumentKind]
) -> bool:
    """Whether air travel is claimed without a boarding stub and a receipt among ``attached``."""
    return TransportMode.AIR in modes and not AIR_DOCUMENTS <= set(attached)


def _mode(value: TransportMode | str | None) -> TransportMode | None:
    if value is None or isinstance(value, TransportMode):
        return value
    try:
        return TransportMode(value)
    except ValueError:
        return None


def collect_line_errors(
    errors: FieldErrors,
    i: int,
    line: TravelLineInput,
    rates: TravelRates,
    attached: Collection[DocumentKind] | None,
) -> int:
    """Validate line ``i`` into ``errors``; its amount when the line has no error, else 0."""
    before = len(errors.errors)
    n = f"交通機関{i + 1}行目"
    at = ("lines", i)
    mode = _mode(line.mode)
    if line.mode is None:
        errors.required(f"{n}の交通機関を選択してください。", *at, "mode")
    elif mode is None:
        errors.add(ErrorCode.INVALID, f"{n}の交通機関が正しくありません。", *at, "mode")
    errors.text(
        line.from_place, f"{n}の出発地", STATION_MAX_LENGTH, *at, "fromPlace", required=True
    )
    errors.text(line.to_place, f"{n}の到着地", STATION_MAX_LENGTH, *at, "toPlace", required=True)
    if line.round_trip is None:
        errors.required(f"{n}の片道・往復を選択してください。", *at, "roundTrip")
    private_car = mode is TransportMode.PRIVATE_CAR
    fare_ok = errors.integer(
        line.one_way_fare,
        f"{n}の片道料金",
        *at,
        "oneWayFare",
        maximum=MAX_FARE,
        required=not private_car,
    )
    express = mode is TransportMode.LIMITED_EXPRESS
    distance_ok = errors.integer(
        line.distance_km,
        f"{n}の片道距離（km）",
        *at,
        "distanceKm",
        maximum=MAX_DISTANCE_KM,
        required=express,
    )
    if errors.check_required:  # rules between fields: on submission only
        if private_car and fare_ok and line.one_way_fare != 0:
            errors.add(ErrorCode.INVALID, f"{n}：私有車の金額は0円です。", *at, "oneWayFare")
        if express and distance_ok and (line.distance_km or 0) < rates.limited_express_min_km:
            errors.add(
                ErrorCode.LIMITED_EXPRESS_TOO_SHORT,
                f"{n}：特急・指定席は片道{rates.limited_express_min_km}km以上の場合のみ"
                "利用できます。",
                *at,
                "distanceKm",
            )
        if mode is TransportMode.AIR and attached is not None:
            if air_documents_missing([mode], attached):
                errors.add(
                    ErrorCode.DOCUMENT_REQUIRED,
                    f"{n}：航空機を利用した場合は搭乗券半券と領収書の添付が必要です。",
                    *at,
                    "mode",
                )
    if len(errors.errors) > before or mode is None or line.round_trip is None:
        return 0
    return line_amount(mode, line.round_trip, line.one_way_fare or 0)


def check_travel_line(
    line: TravelLineInput,
    *,
    rates: TravelRates,
    attached: Collection[DocumentKind] | None = None,
) -> tuple[tuple[FieldError, ...], int]:
    """One line on its own (e.g. ``expenseCorrect``): its errors, with paths relative to the
    line (``("oneWayFare",)``), and its amount (0 when there are errors)."""
    errors = FieldErrors()
    amount = collect_line_errors(errors, 0, line, rates, attached)
    return tuple(FieldError(e.code, e.message, e.field[2:]) for e in errors.errors), amount
