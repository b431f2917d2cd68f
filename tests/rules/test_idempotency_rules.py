"""Idempotency keys (security.md reliability 4, security-tests.md R7) — pure, table-driven tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum

import pytest

from models.rules.errors import ErrorCode
from models.rules.idempotency import (
    KEY_FIELD,
    IdempotencyKeyReused,
    StoredKey,
    canonical,
    expiry,
    key_errors,
    lock_id,
    must_execute,
    request_fingerprint,
)

NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
JST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("0f8fe3a2-3c1e-4b7a-9d55-2f8d8b8f9c11", None),
        ("01J5Z3K8Y2W7Q4N6R9T1V3X5Z7", None),
        ("a", None),
        ("k" * 100, None),
        ("dGVzdA==+/_.~:-", None),
        ("", ErrorCode.INVALID),
        ("k" * 101, ErrorCode.TOO_LONG),
        ("has space", ErrorCode.INVALID),
        ("改行\n", ErrorCode.INVALID),
        ("キー", ErrorCode.INVALID),
        ("semi;colon", ErrorCode.INVALID),
        ('quote"', ErrorCode.INVALID),
    ],
)
def test_key_format(key: str, code: ErrorCode | None) -> None:
    errors = key_errors(key)
    if code is None:
        assert errors == []
        return
    assert [(e.code, e.field) for e in errors] == [(code, KEY_FIELD)]
    assert errors[0].message


class Mode(Enum):
    RAIL = "RAIL"


@dataclass
class Line:
    mode: Mode
    fare: int


@dataclass
class Input:
    title: str
    when: datetime
    day: date
    lines: list[Line] = field(default_factory=list)
    idempotency_key: str | None = None
    validate_only: bool = False


def sample(**changes: object) -> Input:
    values: dict[str, object] = {
        "title": "販路開拓",
        "when": datetime(2025, 6, 11, 10, tzinfo=JST),
        "day": date(2025, 6, 11),
        "lines": [Line(Mode.RAIL, 440)],
        "idempotency_key": "key-1",
    }
    values.update(changes)
    return Input(**values)  # type: ignore[arg-type]


def test_canonical_form_of_an_input() -> None:
    assert canonical(sample(), exclude={"idempotency_key"}) == {
        "title": "販路開拓",
        "when": "2025-06-11T01:00:00+00:00",
        "day": "2025-06-11",
        "lines": [{"mode": "RAIL", "fare": 440}],
        "validate_only": False,
    }


def test_canonical_refuses_unknown_values() -> None:
    with pytest.raises(TypeError):
        canonical({"x": object()})


@pytest.mark.parametrize(
    ("operation", "changes", "same"),
    [
        ("caseCreate", {}, True),
        ("caseCreate", {"idempotency_key": "another-key"}, True),
        ("caseCreate", {"idempotency_key": None}, True),
        # the same instant written with another offset is the same request
        ("caseCreate", {"when": datetime(2025, 6, 11, 1, tzinfo=UTC)}, True),
        ("caseCreate", {"title": "販路開拓 "}, False),
        ("caseCreate", {"when": datetime(2025, 6, 11, 10, 1, tzinfo=JST)}, False),
        ("caseCreate", {"lines": [Line(Mode.RAIL, 441)]}, False),
        ("caseCreate", {"lines": []}, False),
        ("caseCreate", {"validate_only": True}, False),
        ("reportSubmit", {}, False),
    ],
)
def test_fingerprint_ignores_only_the_key(
    operation: str, changes: dict[str, object], same: bool
) -> None:
    base = request_fingerprint("caseCreate", sample())
    other = request_fingerprint(operation, sample(**changes))
    assert len(base) == 64 and int(base, 16) >= 0
    assert (other == base) is same


def test_lock_ids_are_signed_64_bit_and_per_principal_and_key() -> None:
    ids = {lock_id(p, k) for p in ("account:1", "account:2") for k in ("a", "b")}
    assert len(ids) == 4
    assert all(-(2**63) <= i < 2**63 for i in ids)
    assert lock_id("account:1", "a") == lock_id("account:1", "a")
    # no ambiguity between the parts
    assert lock_id("account:1", "2:a") != lock_id("account:1:2", "a")


def test_expiry() -> None:
    assert expiry(NOW, 86400) == NOW + timedelta(days=1)


STORED = StoredKey("caseCreate", "f" * 64, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("stored", "operation", "fingerprint", "now", "outcome"),
    [
        (None, "caseCreate", "f" * 64, NOW, "execute"),
        (STORED, "caseCreate", "f" * 64, NOW, "replay"),
        (STORED, "caseCreate", "f" * 64, NOW + timedelta(minutes=59), "replay"),
        (STORED, "caseCreate", "e" * 64, NOW, "reused"),
        (STORED, "reportSubmit", "f" * 64, NOW, "reused"),
        # expired: the key is free again, whatever the request
        (STORED, "caseCreate", "f" * 64, NOW + timedelta(hours=1), "execute"),
        (STORED, "reportSubmit", "e" * 64, NOW + timedelta(hours=2), "execute"),
    ],
)
def test_what_a_stored_key_means(
    stored: StoredKey | None, operation: str, fingerprint: str, now: datetime, outcome: str
) -> None:
    if outcome == "reused":
        with pytest.raises(IdempotencyKeyReused) as refused:
            must_execute(stored, operation, fingerprint, now)
        assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
        assert refused.value.field == KEY_FIELD
        return
    assert must_execute(stored, operation, fingerprint, now) is (outcome == "execute")
