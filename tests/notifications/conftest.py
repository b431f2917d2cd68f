"""The notification tests drive the expander loop themselves: they write events the way a
process without the in-transaction fan-out would (a bare script), so each test decides when an
event is expanded. ``tests/schema/test_transactional_fanout.py`` covers the installed path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tortoise.signals import Signals

from models.outbox import DomainEvent


@pytest.fixture(autouse=True)
def _expander_only() -> Iterator[None]:
    listeners = DomainEvent._listeners[Signals.post_save].setdefault(DomainEvent, [])
    saved = list(listeners)
    listeners.clear()
    try:
        yield
    finally:
        listeners[:] = saved
