"""The pure notification rules: who is told (domain.md §8) and how a mail is retried (R3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.rules.events import EventKind
from models.rules.notifications import (
    MAX_ATTEMPTS,
    RECIPIENTS,
    Audience,
    FailureKind,
    audiences_for,
    gives_up,
    retry_delay,
    sends_mail,
    smtp_failure_kind,
)
from notifications.formatting import case_link, format_instant, format_window, global_id
from notifications.templates import TEMPLATES
from tests.notifications.support import utc

A = Audience
K = EventKind


@pytest.mark.parametrize(
    "kind,actor_role,expected",
    [
        (K.CASE_FILED, None, (A.SPECIALIST,)),
        (K.CASE_CONFIRMED, "SPECIALIST", (A.SPECIALIST, A.FILER, A.COMPANY, A.PLATFORM)),
        (K.CASE_DATES_PROPOSED, "SPECIALIST", (A.FILER, A.COMPANY)),
        (K.CASE_NEEDS_COORDINATION, "SYSTEM", (A.SECRETARIAT, A.SPECIALIST)),
        (K.CASE_DECLINED, "SPECIALIST", (A.FILER, A.COMPANY)),
        # cancelled: every OTHER party of the case
        (K.CASE_CANCELLED, "SPECIALIST", (A.FILER, A.COMPANY, A.PLATFORM, A.SECRETARIAT)),
        (K.CASE_CANCELLED, "COMPANY", (A.SPECIALIST, A.FILER, A.PLATFORM, A.SECRETARIAT)),
        (K.CASE_CANCELLED, "SECRETARIAT", (A.SPECIALIST, A.FILER, A.COMPANY, A.PLATFORM)),
        (
            K.CASE_CANCELLED,
            "PLATFORM",
            (A.SPECIALIST, A.FILER, A.COMPANY, A.PLATFORM, A.SECRETARIAT),
        ),
        (K.REPORT_DUE_REMINDER, None, (A.SPECIALIST,)),
        (K.REPORT_OVERDUE_REMINDER, None, (A.SPECIALIST,)),
        (K.CASE_REPORTED, "SPECIALIST", (A.FILER, A.COMPANY, A.SECRETARIAT)),
        (K.REPORT_RETURNED, "SECRETARIAT", (A.SPECIALIST,)),
        (K.CASE_COMPLETED, "COMPANY", (A.SPECIALIST,)),
        (K.REGISTRATION_CHANGED, None, (A.SPECIALIST, A.ORGANIZATION, A.SECRETARIAT)),
        (K.CASE_CHECKED_IN, "SPECIALIST", ()),
        (K.REPORT_ACCEPTED, "SECRETARIAT", ()),
    ],
)
def test_audiences_follow_the_table_of_domain_8(
    kind: EventKind, actor_role: str | None, expected: tuple[Audience, ...]
) -> None:
    assert audiences_for(kind, actor_role) == expected


def test_every_kind_that_sends_mail_has_a_template() -> None:
    assert {kind.value for kind in RECIPIENTS} <= set(TEMPLATES)
    assert [k for k in EventKind if sends_mail(k) and k.value not in TEMPLATES] == []


@pytest.mark.parametrize(
    "code,expected",
    [
        (None, FailureKind.TRANSIENT),  # connection refused / lost / timeout
        (421, FailureKind.TRANSIENT),
        (451, FailureKind.TRANSIENT),
        (452, FailureKind.TRANSIENT),
        (500, FailureKind.PERMANENT),
        (550, FailureKind.PERMANENT),
        (554, FailureKind.PERMANENT),
    ],
)
def test_rfc_5321_classifies_replies(code: int | None, expected: FailureKind) -> None:
    assert smtp_failure_kind(code) is expected


BASE = timedelta(seconds=30)


@pytest.mark.parametrize(
    "attempt,jitter,expected",
    [
        (1, 0.0, timedelta(seconds=30)),
        (2, 0.0, timedelta(seconds=60)),
        (3, 0.0, timedelta(seconds=120)),
        (3, 0.5, timedelta(seconds=135)),  # + 12.5 % jitter
        (3, 0.999, timedelta(seconds=120 * 1.24975)),
        (12, 0.0, timedelta(hours=2)),  # capped
        (200, 0.9, timedelta(hours=2)),
    ],
)
def test_backoff_doubles_with_jitter_and_a_cap(
    attempt: int, jitter: float, expected: timedelta
) -> None:
    assert retry_delay(attempt, jitter, base=BASE) == expected


@pytest.mark.parametrize("attempt", range(1, 9))
def test_attempt_k_waits_at_least_base_times_two_to_the_k_minus_one(attempt: int) -> None:
    for jitter in (0.0, 0.3, 0.99):
        assert retry_delay(attempt, jitter, base=BASE) >= min(
            BASE * 2 ** (attempt - 1), timedelta(hours=2)
        )


@pytest.mark.parametrize("attempt,jitter", [(0, 0.0), (1, -0.1), (1, 1.0)])
def test_backoff_refuses_nonsense(attempt: int, jitter: float) -> None:
    with pytest.raises(ValueError):
        retry_delay(attempt, jitter)


@pytest.mark.parametrize(
    "attempts,kind,dead",
    [
        (1, FailureKind.PERMANENT, True),
        (1, FailureKind.TRANSIENT, False),
        (MAX_ATTEMPTS - 1, FailureKind.TRANSIENT, False),
        (MAX_ATTEMPTS, FailureKind.TRANSIENT, True),
    ],
)
def test_a_mail_is_given_up_when_permanent_or_exhausted(
    attempts: int, kind: FailureKind, dead: bool
) -> None:
    assert gives_up(attempts, kind) is dead


def test_mail_texts_write_tokyo_time_and_link_global_ids() -> None:
    start = utc(2026, 6, 9, 1, 0)  # 10:00 in Tokyo, a Tuesday
    assert format_instant(start) == "2026年6月9日(火) 10:00"
    assert format_window(start, utc(2026, 6, 9, 3, 0)) == "2026年6月9日(火) 10:00〜12:00"
    assert global_id("DispatchCase", 7) == "RGlzcGF0Y2hDYXNlOjc="
    assert case_link("https://haken.example.jp/", 7) == (
        "https://haken.example.jp/cases/RGlzcGF0Y2hDYXNlOjc="
    )
