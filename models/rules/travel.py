"""The travel claim (旅費) of a report — domain.md §5, seed 000 pp.23–24.

"Travel (only when costs arose): place (用務先), its address, purpose (用務内容); trip start/end
dates (only with an overnight stay); per-diem days (用務日) and lodging nights (宿泊日) within the
trip; transport lines {mode; from; to; one-way/round-trip; amount}. Round trip ⇒ amount = 2 ×
one-way fare (the server doubles it); 私有車 ⇒ amount 0; limited express / reserved seat only when
the one-way distance ≥ 100 km; air ⇒ boarding-stub + receipt attachment required. Per-diem and
lodging amounts *(config)*."

:func:`check_travel_claim` returns **every** error at once (paths relative to the claim, e.g.
``("lines", "1", "oneWayFare")``, 0-based) together with the amounts computed from the parts that
are valid. Decided where the sources are silent:

* a trip (出張日) means at least one night: ``tripEnd > tripStart``, and it contains the
  dispatch day; lodging nights lie in ``tripStart … tripEnd − 1``, per-diem days in
  ``tripStart … tripEnd``; without a trip the only possible per-diem day is the dispatch day and
  no lodging night can be claimed;
* a claim must claim something: at least one line, per-diem day or lodging night;
* bounds keep sums far inside the database's integers: :data:`MAX_LINES`,
  :data:`MAX_TRIP_NIGHTS` (and the line bounds of :mod:`models.rules.travel_lines`).

The transport lines' own rules are in :mod:`models.rules.travel_lines`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from models.rules.errors import ErrorCode, FieldError
from models.rules.field_checks import FieldErrors
from models.rules.money_kinds import DocumentKind
from models.rules.travel_lines import (
    AIR_DOCUMENTS,
    MAX_DISTANCE_KM,
    MAX_FARE,
    TravelLineInput,
    TravelRates,
    air_documents_missing,
    check_travel_line,
    collect_line_errors,
    line_amount,
)

__all__ = [
    "AIR_DOCUMENTS",
    "MAX_DISTANCE_KM",
    "MAX_FARE",
    "MAX_LINES",
    "MAX_TRIP_NIGHTS",
    "TravelCheck",
    "TravelClaimInput",
    "TravelLineInput",
    "TravelRates",
    "TravelTotals",
    "air_documents_missing",
    "check_travel_claim",
    "check_travel_line",
    "line_amount",
]

MAX_LINES = 30
MAX_TRIP_NIGHTS = 31
PLACE_MAX_LENGTH = 200
ADDRESS_MAX_LENGTH = 255
PURPOSE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class TravelClaimInput:
    place: str | None = None
    address: str | None = None
    purpose: str | None = None
    trip_start: date | None = None
    trip_end: date | None = None
    per_diem_days: Sequence[date] = ()
    lodging_nights: Sequence[date] = ()
    lines: Sequence[TravelLineInput] = ()


@dataclass(frozen=True)
class TravelTotals:
    """Amounts in integer yen; ``line_amounts[i]`` is 0 for a line with errors."""

    line_amounts: tuple[int, ...] = ()
    transport: int = 0
    per_diem: int = 0
    lodging: int = 0

    @property
    def total(self) -> int:
        return self.transport + self.per_diem + self.lodging


@dataclass(frozen=True)
class TravelCheck:
    errors: tuple[FieldError, ...]
    totals: TravelTotals

    @property
    def ok(self) -> bool:
        return not self.errors


def _check_dates(
    errors: FieldErrors,
    name: str,
    label: str,
    days: Sequence[date],
    allowed: tuple[date, date] | None,
    outside_message: str,
) -> int:
    """Each date once and (on submission) within ``allowed`` (None: range not checked here);
    the number of distinct dates that pass."""
    seen: set[date] = set()
    for i, day in enumerate(days):
        if day in seen:
            errors.add(ErrorCode.DUPLICATE, f"{label}が重複しています。", name, i)
            continue
        outside = allowed is not None and not allowed[0] <= day <= allowed[1]
        if errors.check_required and outside:
            errors.add(ErrorCode.DATE_OUTSIDE_TRIP, outside_message, name, i)
            continue
        seen.add(day)
    return len(seen)


def _check_trip(errors: FieldErrors, claim: TravelClaimInput, dispatch_date: date | None) -> bool:
    """Rule "trip start/end dates (only with an overnight stay)"; True when a valid trip is given."""
    start, end = claim.trip_start, claim.trip_end
    if start is None or end is None:
        if start is not None:
            errors.required("出張日（終了日）を入力してください。", "tripEnd")
        elif end is not None:
            errors.required("出張日（開始日）を入力してください。", "tripStart")
        elif claim.lodging_nights:
            errors.required(
                "宿泊日を入力する場合は出張日（開始日・終了日）を入力してください。", "tripStart"
            )
        return False
    if end <= start:
        errors.add(
            ErrorCode.END_NOT_AFTER_START,
            "出張日は宿泊を伴う場合のみ入力し、終了日は開始日より後の日付にしてください。",
            "tripEnd",
        )
        return False
    if (end - start).days > MAX_TRIP_NIGHTS:
        errors.add(
            ErrorCode.OUT_OF_RANGE,
            f"出張期間は{MAX_TRIP_NIGHTS}泊以内で入力してください。",
            "tripEnd",
        )
        return False
    if dispatch_date is not None and not start <= dispatch_date <= end:
        if errors.check_required:
            errors.add(
                ErrorCode.DATE_OUTSIDE_TRIP, "出張期間に派遣日を含めてください。", "tripStart"
            )
        return False
    return True


def check_travel_claim(
    claim: TravelClaimInput,
    *,
    dispatch_date: date | None,
    rates: TravelRates,
    attached: Collection[DocumentKind] | None = None,
    for_submission: bool = True,
) -> TravelCheck:
    """Validate a travel claim and compute its amounts.

    ``dispatch_date`` None (not known yet) skips the rules that depend on it.
    ``attached`` are the kinds of the case's documents (uploaded or received by post); None
    skips the air-documents rule (secretariat corrections, documents still to come by post).
    ``for_submission=False`` validates a draft: formats, lengths and ranges of what is there
    (and the order of the trip dates); no required fields and no other rules between fields.
    """
    errors = FieldErrors(check_required=for_submission)
    errors.text(claim.place, "用務先", PLACE_MAX_LENGTH, "place", required=True)
    errors.text(claim.address, "用務先住所", ADDRESS_MAX_LENGTH, "address", required=True)
    errors.text(claim.purpose, "用務内容", PURPOSE_MAX_LENGTH, "purpose", required=True)

    trip_ok = _check_trip(errors, claim, dispatch_date)
    start, end = claim.trip_start, claim.trip_end
    no_trip = start is None and end is None
    if trip_ok and start is not None and end is not None:
        day_range: tuple[date, date] | None = (start, end)
        night_range: tuple[date, date] | None = (start, end - timedelta(days=1))
    else:
        # Without a trip only the dispatch day; with a faulty trip its own error is enough.
        day_range = (dispatch_date, dispatch_date) if no_trip and dispatch_date else None
        night_range = None
    per_diem_days = _check_dates(
        errors,
        "perDiemDays",
        "用務日",
        claim.per_diem_days,
        day_range,
        "宿泊を伴わない場合、用務日は派遣日のみ選択できます。"
        if no_trip
        else "用務日は出張期間内の日付を選択してください。",
    )
    nights = _check_dates(
        errors,
        "lodgingNights",
        "宿泊日",
        claim.lodging_nights,
        night_range,
        "宿泊日は出張期間内（終了日の前日まで）の日付を選択してください。",
    )
    if no_trip and errors.check_required:
        nights = 0  # "宿泊日を入力する場合は出張日…" was reported on tripStart

    if len(claim.lines) > MAX_LINES:
        errors.add(
            ErrorCode.OUT_OF_RANGE, f"交通機関は{MAX_LINES}行以内で入力してください。", "lines"
        )
    amounts = tuple(
        collect_line_errors(errors, i, line, rates, attached)
        for i, line in enumerate(claim.lines[:MAX_LINES])
    )
    if not claim.lines and not claim.per_diem_days and not claim.lodging_nights:
        errors.required(
            "旅費を請求する場合は、交通機関・用務日・宿泊日のいずれかを入力してください。", "lines"
        )
    totals = TravelTotals(
        line_amounts=amounts,
        transport=sum(amounts),
        per_diem=per_diem_days * rates.per_diem,
        lodging=nights * rates.lodging,
    )
    return TravelCheck(errors.as_tuple(), totals)
