"""The company limit (派遣回数の上限) — domain.md §4.1.

"a new case is accepted when the company's counted cases in that FY are < 5 if the new case has
an IT category, < 3 otherwise *(config)*. Counted = every case of the company in the FY that is
not DECLINED/CANCELLED. The secretariat may grant an exception per company and FY (raises that
company's limit by N, with a reason, audited)."

The numbers come from the fiscal-year configuration (``company_limit``, ``company_limit_it``) and
the company's exception for that year; nothing here hard-codes 3 or 5.
"""

from __future__ import annotations

from models.rules.case_status import UNCOUNTED_STATUSES, CaseStatus
from models.rules.errors import DomainError, ErrorCode

#: The input field a limit error points at.
LIMIT_FIELD: tuple[str, ...] = ("input", "companyId")


class LimitReached(DomainError):
    """The company has used up its cases for the fiscal year (``LIMIT_REACHED``)."""

    code = ErrorCode.LIMIT_REACHED
    default_message = "この企業の今年度の派遣依頼件数が上限に達しています。"

    def __init__(self, limit: int, counted: int) -> None:
        self.limit = limit
        self.counted = counted
        super().__init__(
            f"この企業の今年度の派遣依頼件数が上限（{limit}件）に達しています（現在{counted}件）。",
            LIMIT_FIELD,
        )


def counts_towards_limit(status: CaseStatus) -> bool:
    """Rule "Counted = every case of the company in the FY that is not DECLINED/CANCELLED"."""
    return status not in UNCOUNTED_STATUSES


def company_limit(is_it: bool, base: int, it_limit: int, exception_extra: int) -> int:
    """The number of counted cases a company may have in the FY of the new case.

    "< 5 if the new case has an IT category, < 3 otherwise" — ``it_limit`` / ``base`` — plus the
    secretariat's exception, which "raises that company's limit by N".
    """
    if base < 0 or it_limit < 0 or exception_extra < 0:
        raise ValueError("limits and exceptions are never negative")
    return (it_limit if is_it else base) + exception_extra


def check_company_limit(
    counted: int, is_it: bool, base: int, it_limit: int, exception_extra: int
) -> None:
    """Refuse a new case with :class:`LimitReached` unless ``counted`` < the company's limit."""
    limit = company_limit(is_it, base, it_limit, exception_extra)
    if counted >= limit:
        raise LimitReached(limit, counted)
