"""Who is told about which event, and how hard a mail is retried (domain.md §8, security.md
reliability 1).

The recipient table is domain.md §8 written as data: each event kind names the audiences
(parties of the case, or of a registration) that receive a mail. A cancellation goes to "every
other party of the case", so its audiences depend on who cancelled (:func:`audiences_for`).

Retries follow RFC 5321 §4.2.1: a 4yz reply (and a connection failure or a timeout, where no
reply exists) is transient and retried with exponential backoff plus jitter; a 5yz reply is
permanent and the message goes to the dead-letter state at once, as it does after
:data:`MAX_ATTEMPTS` transient failures.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum

from models.rules.events import EventKind
from models.rules.labels import LabelledEnum


class Audience(LabelledEnum):
    """A party a notification is addressed to."""

    SPECIALIST = ("SPECIALIST", "担当専門家")
    FILER = ("FILER", "申請者")
    COMPANY = ("COMPANY", "依頼企業")
    PLATFORM = ("PLATFORM", "地域プラットフォーム・申請支援機関")
    SECRETARIAT = ("SECRETARIAT", "担当事務局")
    ORGANIZATION = ("ORGANIZATION", "推薦・承認する支援機関")


A = Audience

#: domain.md §8: the audiences of every event kind that sends mail. Kinds absent from this table
#: (check-in/out, report accepted, second evaluation, payments, …) reach subscribers only.
RECIPIENTS: Mapping[EventKind, tuple[Audience, ...]] = {
    EventKind.CASE_FILED: (A.SPECIALIST,),
    EventKind.CASE_CONFIRMED: (A.SPECIALIST, A.FILER, A.COMPANY, A.PLATFORM),
    EventKind.CASE_DATES_PROPOSED: (A.FILER, A.COMPANY),
    EventKind.CASE_NEEDS_COORDINATION: (A.SECRETARIAT, A.SPECIALIST),
    EventKind.CASE_DECLINED: (A.FILER, A.COMPANY),
    EventKind.CASE_CANCELLED: (A.SPECIALIST, A.FILER, A.COMPANY, A.PLATFORM, A.SECRETARIAT),
    EventKind.REPORT_DUE_REMINDER: (A.SPECIALIST,),
    EventKind.REPORT_OVERDUE_REMINDER: (A.SPECIALIST,),
    EventKind.CASE_REPORTED: (A.FILER, A.COMPANY, A.SECRETARIAT),
    EventKind.REPORT_RETURNED: (A.SPECIALIST,),
    EventKind.CASE_COMPLETED: (A.SPECIALIST,),
    EventKind.UNANSWERED_REMINDER: (A.SPECIALIST,),
    EventKind.REGISTRATION_CHANGED: (A.SPECIALIST, A.ORGANIZATION, A.SECRETARIAT),
}

#: The side of a case an actor of a role speaks for (a cancellation skips that side). Platform
#: staff speak only for themselves: the other staff of the platform are told.
_ACTOR_SIDE: Mapping[str, Audience] = {
    "SPECIALIST": A.SPECIALIST,
    "COMPANY": A.COMPANY,
    "SECRETARIAT": A.SECRETARIAT,
}


def audiences_for(kind: EventKind, actor_role: str | None) -> tuple[Audience, ...]:
    """The audiences of one event; for a cancellation every party but the actor's side."""
    audiences = RECIPIENTS.get(kind, ())
    if kind is EventKind.CASE_CANCELLED and actor_role is not None and actor_role in _ACTOR_SIDE:
        skipped = _ACTOR_SIDE[actor_role]
        return tuple(a for a in audiences if a is not skipped)
    return audiences


def sends_mail(kind: EventKind) -> bool:
    return kind in RECIPIENTS


# ---------------------------------------------------------------- delivery retries

#: Transient failures allowed before a message is dead-lettered (security-tests.md R3).
MAX_ATTEMPTS = 8
#: Backoff after the first failure; doubled per further failure (base · 2^(k−1)).
DEFAULT_BACKOFF_BASE = timedelta(seconds=30)
#: Longest wait between two attempts.
DEFAULT_BACKOFF_CAP = timedelta(hours=2)
#: Jitter adds up to this fraction of the delay, so workers retrying together spread out.
JITTER_FRACTION = 0.25


class FailureKind(StrEnum):
    TRANSIENT = "TRANSIENT"
    PERMANENT = "PERMANENT"


def smtp_failure_kind(code: int | None) -> FailureKind:
    """RFC 5321 §4.2.1: 5yz permanent; 4yz, and no reply at all (connection refused or lost,
    timeout), transient."""
    if code is not None and 500 <= code <= 599:
        return FailureKind.PERMANENT
    return FailureKind.TRANSIENT


def retry_delay(
    attempt: int,
    jitter: float,
    *,
    base: timedelta = DEFAULT_BACKOFF_BASE,
    cap: timedelta = DEFAULT_BACKOFF_CAP,
) -> timedelta:
    """Wait after failed attempt number ``attempt`` (1-based): ``base · 2^(attempt−1)`` plus
    ``jitter`` (0 ≤ jitter < 1, drawn by the caller) × 25 % of it, never above ``cap`` — and never
    below the un-jittered delay unless the cap cuts it."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter lies in [0, 1)")
    exponent = min(attempt - 1, 32)  # 2^32 · base is far beyond any cap
    delay = base * (2**exponent)
    return min(delay + delay * (JITTER_FRACTION * jitter), cap)


def gives_up(attempts: int, kind: FailureKind, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """True when a message is dead-lettered after ``attempts`` attempts, the last one failing
    with ``kind``."""
    return kind is FailureKind.PERMANENT or attempts >= max_attempts
