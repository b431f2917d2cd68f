"""Dispatchable ⇔ TERMS_ACCEPTED or ACTIVE for the FY; payable ⇔ ACTIVE (table-driven)."""

from __future__ import annotations

import pytest

from models.rules.dispatchability import (
    CommissionFacts,
    is_dispatchable,
    is_payable,
    status_for_fiscal_year,
)
from models.rules.registration_status import RegistrationStatus as R

NONE = None
TERMS = CommissionFacts(terms_accepted=True)
ACTIVE = CommissionFacts(terms_accepted=True, acceptance_received=True)
EMPTY = CommissionFacts()

CASES = [
    # registration, commission of the FY, effective, dispatchable, payable
    (R.DRAFT, NONE, R.DRAFT, False, False),
    (R.PENDING_ORG_APPROVAL, TERMS, R.PENDING_ORG_APPROVAL, False, False),
    (R.PENDING_SECRETARIAT_APPROVAL, NONE, R.PENDING_SECRETARIAT_APPROVAL, False, False),
    (R.REGISTERED, NONE, R.REGISTERED, False, False),
    (R.REGISTERED, EMPTY, R.REGISTERED, False, False),
    (R.REGISTERED, TERMS, R.TERMS_ACCEPTED, True, False),
    (R.TERMS_ACCEPTED, TERMS, R.TERMS_ACCEPTED, True, False),
    (R.TERMS_ACCEPTED, NONE, R.REGISTERED, False, False),
    (R.ACTIVE, ACTIVE, R.ACTIVE, True, True),
    (R.ACTIVE, NONE, R.REGISTERED, False, False),
    (R.ACTIVE, TERMS, R.TERMS_ACCEPTED, True, False),
    (R.REJECTED, ACTIVE, R.REJECTED, False, False),
    (R.REVOKED, ACTIVE, R.REVOKED, False, False),
    (R.WITHDRAWN, ACTIVE, R.WITHDRAWN, False, False),
]


def test_the_table_covers_every_registration_state() -> None:
    assert {row[0] for row in CASES} == set(R)


@pytest.mark.parametrize("registration,commission,effective,dispatchable,payable", CASES)
def test_dispatchable_and_payable(
    registration: R,
    commission: CommissionFacts | None,
    effective: R,
    dispatchable: bool,
    payable: bool,
) -> None:
    assert status_for_fiscal_year(registration, commission) is effective
    assert is_dispatchable(registration, commission) is dispatchable
    assert is_payable(registration, commission) is payable
