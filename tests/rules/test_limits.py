"""The company limit per fiscal year (domain.md §4.1) — pure, table-driven tests."""

from __future__ import annotations

import pytest

from models.rules.case_status import CaseStatus
from models.rules.errors import DomainError, ErrorCode
from models.rules.limits import (
    LimitReached,
    check_company_limit,
    company_limit,
    counts_towards_limit,
)

BASE = 3
IT_LIMIT = 5


@pytest.mark.parametrize(
    ("is_it", "exception_extra", "limit"),
    [(False, 0, 3), (True, 0, 5), (False, 2, 5), (True, 1, 6)],
)
def test_company_limit(is_it: bool, exception_extra: int, limit: int) -> None:
    assert company_limit(is_it, BASE, IT_LIMIT, exception_extra) == limit


@pytest.mark.parametrize(
    ("counted", "is_it", "exception_extra", "accepted"),
    [
        (0, False, 0, True),
        (2, False, 0, True),
        (3, False, 0, False),
        (4, False, 0, False),
        (3, True, 0, True),
        (4, True, 0, True),
        (5, True, 0, False),
        (3, False, 1, True),
        (4, False, 1, False),
        (5, True, 2, True),
        (7, True, 2, False),
    ],
)
def test_a_new_case_is_accepted_below_the_limit(
    counted: int, is_it: bool, exception_extra: int, accepted: bool
) -> None:
    if accepted:
        check_company_limit(counted, is_it, BASE, IT_LIMIT, exception_extra)
        return
    with pytest.raises(LimitReached) as refused:
        check_company_limit(counted, is_it, BASE, IT_LIMIT, exception_extra)
    limit = company_limit(is_it, BASE, IT_LIMIT, exception_extra)
    assert isinstance(refused.value, DomainError)
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    assert refused.value.field == ("input", "companyId")
    assert refused.value.limit == limit
    assert refused.value.counted == counted
    assert refused.value.message == (
        f"この企業の今年度の派遣依頼件数が上限（{limit}件）に達しています（現在{counted}件）。"
    )


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        company_limit(False, BASE, IT_LIMIT, -1)


@pytest.mark.parametrize(
    ("status", "counted"),
    [
        (CaseStatus.UNPROCESSED, True),
        (CaseStatus.ADJUSTING, True),
        (CaseStatus.NEEDS_COORDINATION, True),
        (CaseStatus.CONFIRMED, True),
        (CaseStatus.UNREPORTED, True),
        (CaseStatus.REPORTED, True),
        (CaseStatus.COMPLETED, True),
        (CaseStatus.DECLINED, False),
        (CaseStatus.CANCELLED, False),
    ],
)
def test_declined_and_cancelled_cases_do_not_count(status: CaseStatus, counted: bool) -> None:
    assert counts_towards_limit(status) is counted


def test_every_status_is_classified() -> None:
    assert {s for s in CaseStatus if not counts_towards_limit(s)} == {
        CaseStatus.DECLINED,
        CaseStatus.CANCELLED,
    }
