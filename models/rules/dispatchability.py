"""Who may be requested and who may be paid (domain.md §3, seed 002 登録の流れ 05–06).

A specialist's registration is global; the 委嘱 (commission) is per fiscal year. For the fiscal
year of a dispatch, the specialist is

* **dispatchable** when registered, not revoked/withdrawn, and the commission terms of that FY
  are accepted (TERMS_ACCEPTED or ACTIVE for that FY);
* **payable** when, in addition, the signed 就任承諾書 of that FY has been received (ACTIVE).
  Honoraria earned before that are HELD, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.rules.registration_status import RegistrationStatus

#: Registration states that can carry a commission at all.
COMMISSIONABLE: frozenset[RegistrationStatus] = frozenset(
    {RegistrationStatus.REGISTERED, RegistrationStatus.TERMS_ACCEPTED, RegistrationStatus.ACTIVE}
)


@dataclass(frozen=True)
class CommissionFacts:
    """The commission of one fiscal year, as far as the rules need it."""

    terms_accepted: bool = False
    letter_issued: bool = False  # 委嘱状 sent by the secretariat (needed before the 就任承諾書)
    acceptance_received: bool = False


def status_for_fiscal_year(
    registration: RegistrationStatus, commission: CommissionFacts | None
) -> RegistrationStatus:
    """The effective state in one FY: REGISTERED until that FY's terms are accepted."""
    registration = RegistrationStatus(registration)
    if registration not in COMMISSIONABLE:
        return registration
    if commission is None or not commission.terms_accepted:
        return RegistrationStatus.REGISTERED
    if not commission.acceptance_received:
        return RegistrationStatus.TERMS_ACCEPTED
    return RegistrationStatus.ACTIVE


def is_dispatchable(registration: RegistrationStatus, commission: CommissionFacts | None) -> bool:
    return status_for_fiscal_year(registration, commission) in {
        RegistrationStatus.TERMS_ACCEPTED,
        RegistrationStatus.ACTIVE,
    }


def is_payable(registration: RegistrationStatus, commission: CommissionFacts | None) -> bool:
    return status_for_fiscal_year(registration, commission) is RegistrationStatus.ACTIVE
