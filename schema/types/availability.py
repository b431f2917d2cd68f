"""``Specialist.availability(from:, to:)``: the selectable days and free windows of a specialist
(domain.md §3 "an API also tells a client which dates/slots are selectable"; api.md §7).

A client renders its calendar from this without re-implementing the rules: each day says whether
it is selectable, why not (a stable code with a Japanese description) and which time windows are
free (available hours minus the specialist's confirmed dispatches minus elapsed time). A slot that
lies inside one window passes the same checks the case mutations apply.

Calendars load through one DataLoader per request, so a list of specialists with their calendars
costs a fixed number of statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from weakref import WeakKeyDictionary

import strawberry
from strawberry.dataloader import DataLoader

from models.rules.errors import ValidationErrors
from models.rules.scheduling import DayAvailability as DayRule
from models.rules.scheduling import DayUnavailableReason
from resolvers.availability import AvailabilityKey, check_day_range, load_availability
from schema.enums import domain_enum
from schema.relay import bad_user_input_from

domain_enum(DayUnavailableReason, "日付を選択できない理由 (why a day cannot be selected)")

_Calendar = list[DayRule] | None
_LOADERS: WeakKeyDictionary[Any, DataLoader[AvailabilityKey, _Calendar]] = WeakKeyDictionary()


@strawberry.type(description="空き時間帯 (a free time window within one day)")
class TimeWindow:
    start: datetime = strawberry.field(description="開始日時 (start instant)")
    end: datetime = strawberry.field(description="終了日時 (end instant)")


@strawberry.type(description="日ごとの依頼可否と空き時間帯 (selectability of one day)")
class DayAvailability:
    day: date = strawberry.field(name="date", description="日付（日本時間） (date, Asia/Tokyo)")
    selectable: bool = strawberry.field(
        description="希望日時として選択できるか (whether a slot can be requested on this day)"
    )
    reason: DayUnavailableReason | None = strawberry.field(
        description="選択できない理由（選択できる日は null） (why not; null when selectable)"
    )
    reason_message: str | None = strawberry.field(
        description="選択できない理由の説明 (the reason in Japanese; null when selectable)"
    )
    windows: list[TimeWindow] = strawberry.field(
        description="空き時間帯（選択できる日のみ） (free windows; empty when not selectable)"
    )

    @classmethod
    def from_rule(cls, day: DayRule) -> DayAvailability:
        return cls(
            day=day.day,
            selectable=day.selectable,
            reason=day.reason,
            reason_message=day.message,
            windows=[TimeWindow(start=w.start, end=w.end) for w in day.windows],
        )


def _loader(info: strawberry.Info) -> DataLoader[AvailabilityKey, _Calendar]:
    """The request's calendar loader (one per request, bound to its principal and clock)."""
    loaders = info.context.loaders
    loader = _LOADERS.get(loaders)
    if loader is None:
        principal = info.context.principal
        now: datetime = loaders.now

        async def load(keys: Sequence[AvailabilityKey]) -> list[_Calendar]:
            return await load_availability(principal, keys, now)

        loader = DataLoader(load_fn=load)
        _LOADERS[loaders] = loader
    return loader


async def specialist_calendar(
    info: strawberry.Info, specialist_id: int, from_date: date, to_date: date
) -> list[DayAvailability]:
    """The resolver of ``Specialist.availability``: a bad range is ``BAD_USER_INPUT`` (field
    ``from``/``to``) before any SQL; a specialist out of scope has no calendar."""
    try:
        check_day_range(from_date, to_date)
    except ValidationErrors as error:
        raise bad_user_input_from(error) from None
    days = await _loader(info).load((int(specialist_id), from_date, to_date))
    return [DayAvailability.from_rule(day) for day in days or ()]
