"""Specialist registration through GraphQL (domain.md §3, §7.4, §11; seed 002 登録の流れ).

Each role takes its own step; payment is HELD until the 就任承諾書 arrives; the bank account is
full only for the owner and the secretariat; every bad input is a field error with a stable code
and changes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from auth.principal import ANONYMOUS, Principal
from models.audit import AuditEvent
from models.outbox import DomainEvent
from models.rules.case_status import CaseStatus
from models.rules.dispatchability import CommissionFacts, is_payable
from models.rules.events import EventKind
from models.rules.money_kinds import DocumentKind, HoldReason, PaymentState, ReviewState
from models.rules.payment import PaymentFacts, payment_status
from models.rules.registration_status import RegistrationStatus
from models.specialists import Commission, Specialist
from tests.factories import World, build_world, make_case
from tests.registration_support import (
    ACCOUNT_NUMBER,
    APPLY,
    PROFILE_UPDATE,
    SPECIALIST,
    apply_as_anonymous,
    apply_input,
    bank_input,
    complete_profile,
    execute,
    gid,
    run,
    snapshot,
    upload,
)

SUBMIT = """
mutation ($input: SpecialistSubmitInput!) {
  specialistSubmit(input: $input) {
    specialist { registrationStatus recommendingOrganization { id } }
    userErrors { field code message }
  }
}
"""
STEP = """
mutation ($id: ID!) {
  %s(input: {specialistId: $id}) {
    specialist { registrationStatus availableRegistrationActions }
    userErrors { field code message }
  }
}
"""
REASON_STEP = """
mutation ($id: ID!, $reason: String!) {
  %s(input: {specialistId: $id, reason: $reason}) {
    specialist { registrationStatus statusReason }
    userErrors { field code message }
  }
}
"""
TERMS = """
mutation ($fy: Int) {
  commissionTermsAccept(input: {fiscalYear: $fy}) {
    specialist { registrationStatus dispatchable payable }
    commission { fiscalYear termsAcceptedAt letterIssuedAt acceptanceReceivedAt }
    userErrors { field code message }
  }
}
"""
LETTER = """
mutation ($id: ID!, $doc: ID) {
  commissionLetterIssue(input: {specialistId: $id, letterDocumentId: $doc}) {
    specialist { registrationStatus }
    commission { letterIssuedAt }
    userErrors { field code message }
  }
}
"""
ACCEPTANCE = """
mutation ($doc: ID!) {
  acceptanceLetterSubmit(input: {documentId: $doc}) {
    specialist { registrationStatus dispatchable payable }
    commission { acceptanceReceivedAt }
    userErrors { field code message }
  }
}
"""
REVOKE = """
mutation ($id: ID!, $reason: String!) {
  specialistRevoke(input: {specialistId: $id, reason: $reason}) {
    specialist { registrationStatus dispatchable statusReason }
    openCases { id status }
    openCaseCount
    userErrors { field code message }
  }
}
"""
WITHDRAW = """
mutation ($reason: String) {
  specialistWithdraw(input: {reason: $reason}) {
    specialist { registrationStatus statusReason }
    userErrors { field code message }
  }
}
"""
AVAILABILITY = """
mutation ($input: SpecialistAvailabilityUpdateInput!) {
  specialistAvailabilityUpdate(input: $input) {
    specialist { acceptingRequests displayItems availableFromMin availableToMin daysOff
                 offOnNationalHolidays }
    userErrors { field code message }
  }
}
"""
HOLIDAYS = """
mutation ($dates: [Date!]!) {
  specialistHolidaysSet(input: {dates: $dates}) {
    specialist { holidays }
    userErrors { field code message }
  }
}
"""
SUSPEND = """
mutation ($input: SupportOrganizationSuspendInput!) {
  supportOrganizationSuspend(input: $input) {
    organization { id suspendedFrom suspendedUntil suspensionReason }
    userErrors { field code message }
  }
}
"""


def _errors(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]]


async def _submitted(world: World) -> tuple[Principal, int]:
    """An applicant with a complete profile who asked O1 (東京よろず支援拠点) for approval."""
    applicant, specialist_id = await apply_as_anonymous()
    await complete_profile(applicant, world)
    data = await run(
        applicant,
        SUBMIT,
        input={"organizationId": gid("SupportOrganization", world.org_o1), "termsConsented": True},
    )
    assert data["specialistSubmit"]["userErrors"] == []
    return applicant, specialist_id


async def _registered(world: World) -> tuple[Principal, int]:
    applicant, specialist_id = await _submitted(world)
    sid = gid("Specialist", specialist_id)
    await run(world.platform_o1_staff, STEP % "specialistApproveByOrganisation", id=sid)
    await run(world.secretariat_kanto, STEP % "specialistApproveBySecretariat", id=sid)
    return applicant, specialist_id


async def _terms_accepted(world: World) -> tuple[Principal, int]:
    applicant, specialist_id = await _registered(world)
    data = await run(applicant, TERMS)
    assert data["commissionTermsAccept"]["userErrors"] == []
    return applicant, specialist_id


# ---------------------------------------------------------------- the whole flow


async def test_an_applicant_goes_from_draft_to_active_with_each_role_doing_its_step(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world = await build_world()
    # given an anonymous applicant creates its account and draft
    applicant, specialist_id = await apply_as_anonymous()
    sid = gid("Specialist", specialist_id)
    draft = await run(applicant, SPECIALIST, id=sid)
    assert draft["node"]["registrationStatus"] == "DRAFT"
    assert draft["node"]["availableRegistrationActions"] == ["SUBMIT", "WITHDRAW"]
    # and fills in the profile seed 002 asks for
    profile = await complete_profile(applicant, world)
    assert profile["bankAccount"]["accountNumber"] == ACCOUNT_NUMBER
    assert profile["bases"] == [{"basis": "A", "description": "中小企業診断士として登録"}]
    assert profile["photo"] is not None and profile["qualifications"][0]["certificate"]
    # when the applicant submits to the organisation that interviewed it
    submitted = await run(
        applicant,
        SUBMIT,
        input={"organizationId": gid("SupportOrganization", world.org_o1), "termsConsented": True},
    )
    assert submitted["specialistSubmit"]["specialist"] == {
        "registrationStatus": "PENDING_ORG_APPROVAL",
        "recommendingOrganization": {"id": gid("SupportOrganization", world.org_o1)},
    }
    # and that organisation's staff approves
    by_org = await run(world.platform_o1_staff, STEP % "specialistApproveByOrganisation", id=sid)
    assert by_org["specialistApproveByOrganisation"]["userErrors"] == []
    assert by_org["specialistApproveByOrganisation"]["specialist"]["registrationStatus"] == (
        "PENDING_SECRETARIAT_APPROVAL"
    )
    # and the secretariat of the applicant's prefecture approves
    by_office = await run(world.secretariat_kanto, STEP % "specialistApproveBySecretariat", id=sid)
    assert by_office["specialistApproveBySecretariat"]["specialist"] == {
        "registrationStatus": "REGISTERED",
        "availableRegistrationActions": ["REVOKE"],
    }
    # and the specialist accepts the commission terms of the fiscal year
    terms = (await run(applicant, TERMS))["commissionTermsAccept"]
    assert terms["userErrors"] == []
    assert terms["specialist"] == {
        "registrationStatus": "TERMS_ACCEPTED",
        "dispatchable": True,
        "payable": False,
    }
    assert terms["commission"]["fiscalYear"] == 2025
    # and the secretariat issues the letter of commission with its scan
    letter_scan = await upload(world.secretariat_kanto, DocumentKind.COMMISSION_LETTER)
    letter = await run(world.secretariat_kanto, LETTER, id=sid, doc=gid("Document", letter_scan.id))
    assert letter["commissionLetterIssue"]["userErrors"] == []
    assert letter["commissionLetterIssue"]["commission"]["letterIssuedAt"] is not None
    # and the specialist submits the signed 就任承諾書
    signed = await upload(applicant, DocumentKind.ACCEPTANCE_LETTER, "shuninshodakusho.pdf")
    active = (await run(applicant, ACCEPTANCE, doc=gid("Document", signed.id)))[
        "acceptanceLetterSubmit"
    ]
    # then the registration is ACTIVE for the fiscal year: dispatchable and payable
    assert active["userErrors"] == []
    assert active["specialist"] == {
        "registrationStatus": "ACTIVE",
        "dispatchable": True,
        "payable": True,
    }
    commission = await Commission.get(specialist_id=specialist_id, fiscal_year=2025)
    assert commission.acceptance_document_id == signed.id  # type: ignore[attr-defined]
    # and the next fiscal year starts again at REGISTERED (the commission is per FY)
    next_year = await run(applicant, SPECIALIST, id=sid, fy=2026)
    assert next_year["node"]["registrationStatus"] == "REGISTERED"
    assert next_year["node"]["dispatchable"] is False
    # and every step left one audit row and one domain event
    audit = await AuditEvent.filter(target_type="Specialist", target_id=str(specialist_id))
    assert [a.action for a in sorted(audit, key=lambda a: a.id)] == [
        "registration_apply",
        "specialist_profile_update",
        "specialist_bank_account_change",
        "registration_submit",
        "registration_approve_by_organization",
        "registration_approve_by_secretariat",
        "registration_accept_terms",
        "registration_issue_letter",
        "registration_submit_acceptance",
    ]
    events = await DomainEvent.filter(specialist_id=specialist_id).order_by("id")
    assert {e.kind for e in events} == {EventKind.REGISTRATION_CHANGED.value}
    assert [(e.payload["action"], e.payload["to"]) for e in events] == [
        ("APPLY", "DRAFT"),
        ("SUBMIT", "PENDING_ORG_APPROVAL"),
        ("APPROVE_BY_ORGANIZATION", "PENDING_SECRETARIAT_APPROVAL"),
        ("APPROVE_BY_SECRETARIAT", "REGISTERED"),
        ("ACCEPT_TERMS", "TERMS_ACCEPTED"),
        ("ISSUE_LETTER", "TERMS_ACCEPTED"),
        ("SUBMIT_ACCEPTANCE", "ACTIVE"),
    ]
    assert all(e.payload["organization_id"] for e in events[1:])
    # and neither the password nor the account number reached a log line or an audit row
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert ACCOUNT_NUMBER not in logged and "correct horse" not in logged
    details = json.dumps([a.detail for a in audit], ensure_ascii=False)
    assert ACCOUNT_NUMBER not in details
    stored = await Specialist.get(id=specialist_id)
    assert ACCOUNT_NUMBER.encode() not in bytes(stored.bank_account_ciphertext or b"")
    assert stored.bank_account_last3 == "321"


async def test_terms_accepted_is_dispatchable_but_payment_is_held_until_the_acceptance(
    db: str,
) -> None:
    world = await build_world()
    applicant, specialist_id = await _terms_accepted(world)
    sid = gid("Specialist", specialist_id)
    # given the commission terms are accepted but no 就任承諾書 has arrived
    seen = (await run(world.secretariat_kanto, SPECIALIST, id=sid))["node"]
    assert (seen["registrationStatus"], seen["dispatchable"], seen["payable"]) == (
        "TERMS_ACCEPTED",
        True,
        False,
    )
    # then a company can request the specialist (it is in the dispatchable search) …
    search = "{ specialists(filter: {dispatchableOnly: true}) { nodes { id } } }"
    found = await run(world.company_c1_user, search)
    assert sid in [n["id"] for n in found["specialists"]["nodes"]]
    # … but an accepted report's honorarium is HELD, not lost
    facts = CommissionFacts(terms_accepted=True, letter_issued=False)
    payable = is_payable(RegistrationStatus.REGISTERED, facts)
    held = payment_status(
        PaymentFacts(CaseStatus.COMPLETED, ReviewState.ACCEPTED, payable, form8_received=True)
    )
    assert held.state is PaymentState.HELD and held.hold_reasons == (HoldReason.NOT_ACTIVE,)
    # when the letter is issued and the acceptance arrives
    await run(world.secretariat_kanto, LETTER, id=sid)
    signed = await upload(applicant, DocumentKind.ACCEPTANCE_LETTER)
    await run(applicant, ACCEPTANCE, doc=gid("Document", signed.id))
    # then the same honorarium becomes payable
    seen = (await run(world.secretariat_kanto, SPECIALIST, id=sid))["node"]
    assert seen["payable"] is True
    commission = await Commission.get(specialist_id=specialist_id, fiscal_year=2025)
    facts = CommissionFacts(
        terms_accepted=commission.terms_accepted_at is not None,
        letter_issued=commission.letter_issued_at is not None,
        acceptance_received=commission.acceptance_received_at is not None,
    )
    paid = payment_status(
        PaymentFacts(
            CaseStatus.COMPLETED,
            ReviewState.ACCEPTED,
            is_payable(RegistrationStatus.REGISTERED, facts),
            form8_received=True,
        )
    )
    assert paid.state is PaymentState.PAYABLE


# ---------------------------------------------------------------- field-level secrets

BANK = """
query ($id: ID!) {
  node(id: $id) { ... on Specialist { bankAccount { bankCode accountNumber holderKana masked } } }
}
"""


async def test_the_bank_account_is_full_only_for_the_owner_and_the_secretariat(db: str) -> None:
    world = await build_world()
    applicant, specialist_id = await _registered(world)
    sid = gid("Specialist", specialist_id)
    full = {
        "bankCode": "0005",
        "accountNumber": ACCOUNT_NUMBER,
        "holderKana": "タカハシ　イチロウ",
        "masked": False,
    }
    masked = {"bankCode": "", "accountNumber": "****321", "holderKana": "", "masked": True}
    expected: dict[str, dict[str, Any] | str | None] = {
        "owner": full,
        "secretariat_kanto": full,
        "secretariat_national": full,
        "platform_o1_staff": masked,
        "platform_o2_staff": masked,
        "platform_r1_coordinator": masked,
        "company_c1_user": None,
        "company_c2_user": None,
        "specialist_s1_user": "invisible",
        "partner_p1": "invisible",
        "secretariat_kinki": "invisible",
    }
    viewers: dict[str, Principal] = {"owner": applicant, **world.principals()}
    for name, want in expected.items():
        data = await run(viewers[name], BANK, id=sid)
        node = data["node"]
        if want == "invisible":
            assert node is None, name
        else:
            assert node == {"bankAccount": want}, name
        if want != full:
            assert ACCOUNT_NUMBER not in json.dumps(data), name


# ---------------------------------------------------------------- bad input changes nothing


async def _refused(principal: Principal, query: str, **variables: Any) -> dict[str, Any]:
    """Run a mutation that must fail with userErrors and leave every row as it was."""
    before = await snapshot()
    data = await run(principal, query, **variables)
    payload = next(iter(data.values()))
    assert payload["userErrors"], payload
    for error in payload["userErrors"]:
        assert error["code"] and error["message"]
    assert await snapshot() == before
    return payload  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "changes,problems",
    [
        ({"email": "not-an-e-mail"}, [(("input", "email"), "INVALID")]),
        ({"password": "short"}, [(("input", "password"), "TOO_SHORT")]),
        ({"nameKana": "たかはし"}, [(("input", "nameKana"), "NOT_KATAKANA")]),
        ({"name": " "}, [(("input", "name"), "REQUIRED")]),
        ({"prefectureId": gid("Prefecture", 47)}, [(("input", "prefectureId"), "NOT_FOUND")]),
        (
            {"email": "", "password": "", "name": "", "nameKana": ""},
            [
                (("input", "email"), "REQUIRED"),
                (("input", "password"), "TOO_SHORT"),
                (("input", "name"), "REQUIRED"),
                (("input", "nameKana"), "REQUIRED"),
            ],
        ),
    ],
)
async def test_apply_with_bad_input(
    db: str, changes: dict[str, Any], problems: list[tuple[tuple[str, ...], str]]
) -> None:
    await build_world()
    payload = await _refused(ANONYMOUS, APPLY, input=apply_input(**changes))
    assert _errors(payload) == problems
    assert payload["applied"] is False


async def test_apply_twice_with_one_address_is_a_duplicate(db: str) -> None:
    await build_world()
    await apply_as_anonymous("taken@example.jp")
    payload = await _refused(ANONYMOUS, APPLY, input=apply_input("Taken@Example.jp"))
    assert _errors(payload) == [(("input", "email"), "DUPLICATE")]


async def test_apply_is_rate_limited_per_client(db: str) -> None:
    await build_world()
    for n in range(10):
        data = await run(ANONYMOUS, APPLY, input=apply_input(f"a{n}@example.jp"))
        assert data["specialistApply"]["applied"] is True
    result = await execute(ANONYMOUS, APPLY, input=apply_input("a10@example.jp"))
    assert result.errors is not None
    assert (result.errors[0].extensions or {})["code"] == "RATE_LIMITED"
    assert await Specialist.filter(email="a10@example.jp").count() == 0


@pytest.mark.parametrize(
    "bank,problems",
    [
        ({"bankCode": "005"}, [(("input", "bankAccount", "bankCode"), "INVALID")]),
        ({"branchCode": "1234"}, [(("input", "bankAccount", "branchCode"), "INVALID")]),
        ({"accountNumber": "765432"}, [(("input", "bankAccount", "accountNumber"), "INVALID")]),
        ({"holderKana": "takahashi"}, [(("input", "bankAccount", "holderKana"), "NOT_KATAKANA")]),
        ({"holderKana": "スズキ　ハナコ"}, [(("input", "bankAccount", "holderKana"), "INVALID")]),
        (
            {"bankCode": "5", "branchCode": "12", "accountNumber": "1", "holderKana": "たかはし"},
            [
                (("input", "bankAccount", "bankCode"), "INVALID"),
                (("input", "bankAccount", "branchCode"), "INVALID"),
                (("input", "bankAccount", "accountNumber"), "INVALID"),
                (("input", "bankAccount", "holderKana"), "NOT_KATAKANA"),
            ],
        ),
    ],
)
async def test_invalid_bank_data_is_refused_field_by_field(
    db: str, bank: dict[str, str], problems: list[tuple[tuple[str, ...], str]]
) -> None:
    await build_world()
    applicant, _ = await apply_as_anonymous()
    payload = await _refused(applicant, PROFILE_UPDATE, input={"bankAccount": bank_input(**bank)})
    assert _errors(payload) == problems


async def test_every_profile_problem_is_reported_at_once(db: str) -> None:
    world = await build_world()
    applicant, _ = await apply_as_anonymous()
    other = await upload(world.specialist_s1_user, DocumentKind.CERTIFICATE)
    wrong_kind = await upload(applicant, DocumentKind.CERTIFICATE)
    payload = await _refused(
        applicant,
        PROFILE_UPDATE,
        input={
            "nameKana": "漢字",
            "phone": "12345",
            "photoDocumentId": gid("Document", wrong_kind.id),
            "bases": [
                {"basis": "B", "description": "工場長10年"},
                {"basis": "B", "description": ""},
            ],
            "qualifications": [
                {
                    "qualificationId": gid("Qualification", world.qualification),
                    "certificateDocumentId": gid("Document", other.id),
                }
            ],
            "areaIds": [gid("Prefecture", world.pref_tokyo), gid("Prefecture", 46)],
        },
    )
    assert _errors(payload) == [
        (("input", "nameKana"), "NOT_KATAKANA"),
        (("input", "phone"), "INVALID"),
        (("input", "photoDocumentId"), "DOCUMENT_KIND_MISMATCH"),
        (("input", "bases", "1", "basis"), "DUPLICATE"),
        (("input", "bases", "1", "description"), "REQUIRED"),
        (("input", "qualifications", "0", "certificateDocumentId"), "NOT_FOUND"),
        (("input", "areaIds", "1"), "NOT_FOUND"),
    ]


async def test_submit_reports_every_missing_requirement(db: str) -> None:
    await build_world()
    applicant, _ = await apply_as_anonymous()
    payload = await _refused(applicant, SUBMIT, input={})
    assert _errors(payload) == [
        (("profile", "bases"), "PROFILE_INCOMPLETE"),
        (("profile", "photo"), "PROFILE_INCOMPLETE"),
        (("profile", "bankAccount"), "PROFILE_INCOMPLETE"),
        (("input", "organizationId"), "REQUIRED"),
        (("input", "termsConsented"), "REQUIRED"),
    ]
    assert payload["specialist"]["registrationStatus"] == "DRAFT"


async def test_submit_to_an_unknown_or_unsuitable_organisation(db: str) -> None:
    world = await build_world()
    applicant, _ = await apply_as_anonymous()
    await complete_profile(applicant, world)
    missing = await _refused(
        applicant,
        SUBMIT,
        input={"organizationId": gid("SupportOrganization", 9999), "termsConsented": True},
    )
    assert _errors(missing) == [(("input", "organizationId"), "NOT_FOUND")]
    await _assert_lonely_org_refused(applicant, world)


async def _assert_lonely_org_refused(applicant: Principal, world: World) -> None:
    from models.organisations import SupportOrganization
    from models.rules.organisations import OrganizationKind

    lonely = await SupportOrganization.create(
        name="どこにも属さない機関", kind=OrganizationKind.OTHER, prefecture_id=world.pref_tokyo
    )
    payload = await _refused(
        applicant,
        SUBMIT,
        input={"organizationId": gid("SupportOrganization", lonely.id), "termsConsented": True},
    )
    assert _errors(payload) == [(("input", "organizationId"), "INVALID")]


async def test_approval_by_an_organisation_that_was_not_chosen_is_not_found(db: str) -> None:
    world = await build_world()
    _, specialist_id = await _submitted(world)
    sid = gid("Specialist", specialist_id)
    for staff in (world.platform_o2_staff, world.platform_o3_staff):
        payload = await _refused(staff, STEP % "specialistApproveByOrganisation", id=sid)
        assert _errors(payload) == [(("input", "specialistId"), "NOT_FOUND")]
        assert payload["specialist"] is None


async def test_approving_twice_and_skipping_steps_name_the_allowed_actions(db: str) -> None:
    world = await build_world()
    applicant, specialist_id = await _submitted(world)
    sid = gid("Specialist", specialist_id)
    # skipping the organisation's approval
    skipped = await _refused(
        world.secretariat_kanto, STEP % "specialistApproveBySecretariat", id=sid
    )
    assert _errors(skipped) == [((), "TRANSITION_NOT_ALLOWED")]
    assert "登録取消" in skipped["userErrors"][0]["message"]
    # approving twice
    await run(world.platform_o1_staff, STEP % "specialistApproveByOrganisation", id=sid)
    twice = await _refused(
        world.platform_o1_staff, STEP % "specialistApproveByOrganisation", id=sid
    )
    assert _errors(twice) == [((), "TRANSITION_NOT_ALLOWED")]
    assert "事務局承認待ち" in twice["userErrors"][0]["message"]
    assert twice["specialist"]["registrationStatus"] == "PENDING_SECRETARIAT_APPROVAL"
    # accepting terms or submitting the acceptance before registration
    early = await _refused(applicant, TERMS)
    assert _errors(early) == [((), "TRANSITION_NOT_ALLOWED")]
    doc = await upload(applicant, DocumentKind.ACCEPTANCE_LETTER)
    early = await _refused(applicant, ACCEPTANCE, doc=gid("Document", doc.id))
    assert _errors(early) == [((), "TRANSITION_NOT_ALLOWED")]
    # editing the profile while under review
    editing = await _refused(applicant, PROFILE_UPDATE, input={"career": "更新"})
    assert _errors(editing) == [(("input",), "TRANSITION_NOT_ALLOWED")]


async def test_commission_steps_in_order_only_once(db: str) -> None:
    world = await build_world()
    applicant, specialist_id = await _registered(world)
    sid = gid("Specialist", specialist_id)
    # the letter before the terms
    letter = await _refused(world.secretariat_kanto, LETTER, id=sid)
    assert _errors(letter) == [((), "TRANSITION_NOT_ALLOWED")]
    # a fiscal year that is neither this one nor the next
    wrong_year = await _refused(applicant, TERMS, fy=2027)
    assert _errors(wrong_year) == [(("input", "fiscalYear"), "OUT_OF_RANGE")]
    await run(applicant, TERMS)
    again = await _refused(applicant, TERMS)
    assert _errors(again) == [((), "TRANSITION_NOT_ALLOWED")]
    # the acceptance before the letter
    signed = await upload(applicant, DocumentKind.ACCEPTANCE_LETTER)
    early = await _refused(applicant, ACCEPTANCE, doc=gid("Document", signed.id))
    assert _errors(early) == [((), "TRANSITION_NOT_ALLOWED")]
    # the secretariat of another office may not issue it
    other_office = await _refused(world.secretariat_kinki, LETTER, id=sid)
    assert _errors(other_office) == [(("input", "specialistId"), "NOT_FOUND")]
    await run(world.secretariat_kanto, LETTER, id=sid)
    twice = await _refused(world.secretariat_kanto, LETTER, id=sid)
    assert _errors(twice) == [((), "TRANSITION_NOT_ALLOWED")]
    # a document of the wrong kind, or someone else's, is not an acceptance letter
    photo = await upload(applicant, DocumentKind.PHOTO)
    wrong = await _refused(applicant, ACCEPTANCE, doc=gid("Document", photo.id))
    assert _errors(wrong) == [(("input", "documentId"), "DOCUMENT_KIND_MISMATCH")]
    foreign = await upload(world.specialist_s1_user, DocumentKind.ACCEPTANCE_LETTER)
    theirs = await _refused(applicant, ACCEPTANCE, doc=gid("Document", foreign.id))
    assert _errors(theirs) == [(("input", "documentId"), "NOT_FOUND")]
    # the next fiscal year can be accepted in advance
    ahead = await run(applicant, TERMS, fy=2026)
    assert ahead["commissionTermsAccept"]["commission"]["fiscalYear"] == 2026


@pytest.mark.parametrize("mutation", ["specialistRejectByOrganisation"])
async def test_organisation_rejection_needs_a_reason_and_returns_to_draft(
    db: str, mutation: str
) -> None:
    world = await build_world()
    applicant, specialist_id = await _submitted(world)
    sid = gid("Specialist", specialist_id)
    blank = await _refused(world.platform_o1_staff, REASON_STEP % mutation, id=sid, reason=" ")
    assert _errors(blank) == [(("input", "reason"), "REQUIRED")]
    data = await run(world.platform_o1_staff, REASON_STEP % mutation, id=sid, reason="面談未実施")
    assert data[mutation]["specialist"] == {
        "registrationStatus": "DRAFT",
        "statusReason": "面談未実施",
    }
    # the applicant may correct and submit again
    again = await run(
        applicant,
        SUBMIT,
        input={"organizationId": gid("SupportOrganization", world.org_o1), "termsConsented": True},
    )
    assert again["specialistSubmit"]["userErrors"] == []


@pytest.mark.parametrize(
    "mutation,status",
    [("specialistReturn", "DRAFT"), ("specialistReject", "REJECTED")],
)
async def test_secretariat_returns_or_rejects_with_a_reason(
    db: str, mutation: str, status: str
) -> None:
    world = await build_world()
    _, specialist_id = await _submitted(world)
    sid = gid("Specialist", specialist_id)
    await run(world.platform_o1_staff, STEP % "specialistApproveByOrganisation", id=sid)
    blank = await _refused(world.secretariat_kanto, REASON_STEP % mutation, id=sid, reason="")
    assert _errors(blank) == [(("input", "reason"), "REQUIRED")]
    data = await run(world.secretariat_kanto, REASON_STEP % mutation, id=sid, reason="証明書不鮮明")
    assert data[mutation]["specialist"] == {
        "registrationStatus": status,
        "statusReason": "証明書不鮮明",
    }


# ---------------------------------------------------------------- function-level access

SECRETARIAT_ONLY = [
    ("specialistApproveBySecretariat", STEP % "specialistApproveBySecretariat", {}),
    ("specialistReturn", REASON_STEP % "specialistReturn", {"reason": "x"}),
    ("specialistReject", REASON_STEP % "specialistReject", {"reason": "x"}),
    ("specialistRevoke", REVOKE, {"reason": "x"}),
    ("commissionLetterIssue", LETTER, {}),
]


@pytest.mark.parametrize("name,query,extra", SECRETARIAT_ONLY, ids=[s[0] for s in SECRETARIAT_ONLY])
@pytest.mark.parametrize(
    "role",
    ["specialist_s1_user", "company_c1_user", "platform_o1_staff", "partner_p1"],
)
async def test_secretariat_only_steps_are_forbidden_to_every_other_role(
    db: str, name: str, query: str, extra: dict[str, Any], role: str
) -> None:
    world = await build_world()
    principal = world.principals()[role]
    before = await snapshot()
    failures = await AuditEvent.filter(action="authz_fail").count()
    result = await execute(principal, query, id=gid("Specialist", world.specialist_s3), **extra)
    assert result.errors is not None
    assert [(e.extensions or {})["code"] for e in result.errors] == ["FORBIDDEN"]
    assert await snapshot() == before
    assert await AuditEvent.filter(action="authz_fail").count() == failures + 1


async def test_organisation_steps_are_forbidden_to_other_roles(db: str) -> None:
    world = await build_world()
    sid = gid("Specialist", world.specialist_s3)
    for principal in (world.secretariat_kanto, world.company_c1_user, world.specialist_s3_user):
        result = await execute(principal, STEP % "specialistApproveByOrganisation", id=sid)
        assert result.errors is not None
        assert [(e.extensions or {})["code"] for e in result.errors] == ["FORBIDDEN"]
    stored = await Specialist.get(id=world.specialist_s3)
    assert stored.registration_status is RegistrationStatus.PENDING_ORG_APPROVAL


async def test_specialist_steps_are_forbidden_to_other_roles(db: str) -> None:
    world = await build_world()
    for principal in (world.platform_o1_staff, world.secretariat_national, world.company_c1_user):
        result = await execute(principal, TERMS)
        assert result.errors is not None
        assert [(e.extensions or {})["code"] for e in result.errors] == ["FORBIDDEN"]


# ---------------------------------------------------------------- fraud controls


async def test_revocation_blocks_new_requests_at_once_and_lists_open_cases(db: str) -> None:
    world = await build_world()
    applicant, specialist_id = await _terms_accepted(world)
    sid = gid("Specialist", specialist_id)
    specialist = await Specialist.get(id=specialist_id)
    from models.accounts import UserAccount
    from models.companies import Company

    company = await Company.get(id=world.company_c1)
    filer = await UserAccount.get(id=world.platform_o1_staff.account_id)
    confirmed = await make_case(company, specialist, filer, status=CaseStatus.CONFIRMED)
    await make_case(company, specialist, filer, status=CaseStatus.COMPLETED)
    blank = await _refused(world.secretariat_kanto, REVOKE, id=sid, reason="")
    assert _errors(blank) == [(("input", "reason"), "REQUIRED")]
    # when the secretariat revokes the registration
    data = await run(world.secretariat_kanto, REVOKE, id=sid, reason="実績報告の改ざん")
    payload = data["specialistRevoke"]
    # then it is no longer dispatchable, the open case is listed for resolution
    assert payload["userErrors"] == []
    assert payload["specialist"] == {
        "registrationStatus": "REVOKED",
        "dispatchable": False,
        "statusReason": "実績報告の改ざん",
    }
    assert payload["openCases"] == [
        {"id": gid("DispatchCase", confirmed.id), "status": "CONFIRMED"}
    ]
    assert payload["openCaseCount"] == 1
    # and no search for requestable specialists finds it any more
    search = "{ specialists(filter: {dispatchableOnly: true}) { nodes { id } } }"
    found = await run(world.platform_o1_staff, search)
    assert sid not in [n["id"] for n in found["specialists"]["nodes"]]
    # and a revoked registration is terminal
    again = await _refused(applicant, WITHDRAW)
    assert _errors(again) == [((), "TRANSITION_NOT_ALLOWED")]
    event = await DomainEvent.filter(specialist_id=specialist_id).order_by("-id").first()
    assert event is not None and event.payload["action"] == "REVOKE"


async def test_withdrawal_by_the_specialist(db: str) -> None:
    world = await build_world()
    applicant, _ = await _registered(world)
    data = await run(applicant, WITHDRAW, reason="本業多忙のため")
    assert data["specialistWithdraw"]["specialist"] == {
        "registrationStatus": "WITHDRAWN",
        "statusReason": "本業多忙のため",
    }


async def test_suspending_an_organisation(db: str) -> None:
    world = await build_world()
    org = gid("SupportOrganization", world.org_o1)
    suspension = {
        "organizationId": org,
        "suspendedFrom": "2025-06-02",
        "suspendedUntil": "2026-03-31",
        "reason": "不正な実績報告への関与",
    }
    # bad input: period reversed, reason blank, another office's organisation
    reversed_period = await _refused(
        world.secretariat_kanto,
        SUSPEND,
        input={**suspension, "suspendedUntil": "2025-06-01", "reason": " "},
    )
    assert _errors(reversed_period) == [
        (("input", "reason"), "REQUIRED"),
        (("input", "suspendedUntil"), "END_NOT_AFTER_START"),
    ]
    other_office = await _refused(world.secretariat_kinki, SUSPEND, input=suspension)
    assert _errors(other_office) == [(("input", "organizationId"), "FORBIDDEN")]
    forbidden = await execute(world.platform_o1_staff, SUSPEND, input=suspension)
    assert forbidden.errors is not None
    assert (forbidden.errors[0].extensions or {})["code"] == "FORBIDDEN"
    # when the office of the organisation suspends it
    data = await run(world.secretariat_kanto, SUSPEND, input=suspension)
    # then the period and reason are stored, audited and announced
    assert data["supportOrganizationSuspend"] == {
        "organization": {
            "id": org,
            "suspendedFrom": "2025-06-02",
            "suspendedUntil": "2026-03-31",
            "suspensionReason": "不正な実績報告への関与",
        },
        "userErrors": [],
    }
    assert await AuditEvent.filter(action="organization_suspend").count() == 1
    event = await DomainEvent.get(kind=EventKind.ORGANIZATION_SUSPENDED.value)
    assert event.payload["organization_id"] == world.org_o1
    assert "reason" not in event.payload
    # and only the secretariat reads the reason
    query = "query ($id: ID!) { node(id: $id) { ... on SupportOrganization { suspendedFrom suspensionReason } } }"
    staff_view = await run(world.platform_o1_staff, query, id=org)
    assert staff_view["node"] == {"suspendedFrom": "2025-06-02", "suspensionReason": None}


# ---------------------------------------------------------------- availability settings


async def test_availability_settings_and_their_bad_input(db: str) -> None:
    await build_world()
    applicant, _ = await apply_as_anonymous()
    data = await run(
        applicant,
        AVAILABILITY,
        input={
            "acceptingRequests": False,
            "displayItems": ["CAREER", "PHOTO"],
            "availableFromMin": 600,
            "availableToMin": 960,
            "daysOff": [6, 2, 6],
            "offOnNationalHolidays": False,
        },
    )
    assert data["specialistAvailabilityUpdate"] == {
        "specialist": {
            "acceptingRequests": False,
            "displayItems": ["PHOTO", "CAREER"],
            "availableFromMin": 600,
            "availableToMin": 960,
            "daysOff": [2, 6],
            "offOnNationalHolidays": False,
        },
        "userErrors": [],
    }
    end_first = await _refused(applicant, AVAILABILITY, input={"availableToMin": 600})
    assert _errors(end_first) == [(("input", "availableToMin"), "END_NOT_AFTER_START")]
    bad_day = await _refused(applicant, AVAILABILITY, input={"daysOff": [7]})
    assert _errors(bad_day) == [(("input", "daysOff", "0"), "OUT_OF_RANGE")]


async def test_holidays_only_within_three_months(db: str) -> None:
    await build_world()
    applicant, specialist_id = await apply_as_anonymous()
    # NOW is 2 June 2025: the horizon is 2 September 2025
    data = await run(applicant, HOLIDAYS, dates=["2025-05-30", "2025-06-10", "2025-09-02"])
    assert data["specialistHolidaysSet"] == {
        "specialist": {"holidays": ["2025-06-10", "2025-09-02"]},
        "userErrors": [],
    }
    beyond = await _refused(applicant, HOLIDAYS, dates=["2025-06-11", "2025-09-03"])
    assert _errors(beyond) == [(("input", "dates", "1"), "OUT_OF_RANGE")]
    cleared = await run(applicant, HOLIDAYS, dates=[])
    assert cleared["specialistHolidaysSet"]["specialist"]["holidays"] == []
    assert await Specialist.filter(id=specialist_id).count() == 1


async def test_a_registered_specialist_may_edit_but_not_its_bases(db: str) -> None:
    world = await build_world()
    applicant, _ = await _registered(world)
    edited = await run(
        applicant, PROFILE_UPDATE, input={"career": "経歴を更新", "postalCode": "1600023"}
    )
    assert edited["specialistProfileUpdate"]["specialist"]["career"] == "経歴を更新"
    assert edited["specialistProfileUpdate"]["specialist"]["postalCode"] == "160-0023"
    bases = await _refused(
        applicant, PROFILE_UPDATE, input={"bases": [{"basis": "B", "description": "10年"}]}
    )
    assert _errors(bases) == [(("input", "bases"), "TRANSITION_NOT_ALLOWED")]


async def test_a_company_sees_only_the_display_items_the_specialist_chose(db: str) -> None:
    world = await build_world()
    applicant, specialist_id = await _registered(world)
    await run(applicant, AVAILABILITY, input={"displayItems": ["CAREER"]})
    query = """
    query ($id: ID!) { node(id: $id) { ... on Specialist {
      career photo { id } industries { id } areas { id } qualifications { otherName }
      evaluationSummary { count } email statusReason payable affiliations { isMember } } } }
    """
    sid = gid("Specialist", specialist_id)
    company = (await run(world.company_c1_user, query, id=sid))["node"]
    assert company == {
        "career": "製造業の経営企画に20年従事",
        "photo": None,
        "industries": [],
        "areas": [],
        "qualifications": [],
        "evaluationSummary": None,
        "email": "",
        "statusReason": "",
        "payable": None,
        "affiliations": [],
    }
    staff = (await run(world.platform_o1_staff, query, id=sid))["node"]
    assert staff["photo"] is not None and staff["areas"] and staff["qualifications"]
    assert staff["evaluationSummary"] == {"count": 0}
    assert staff["email"] == "applicant@example.jp"


async def test_affiliations_and_subsidy_flag_are_recorded(db: str) -> None:
    world = await build_world()
    applicant, _ = await apply_as_anonymous()
    data = await run(
        applicant,
        PROFILE_UPDATE,
        input={
            "receivesPublicSubsidy": True,
            "affiliations": [
                {"organizationId": gid("SupportOrganization", world.org_o2), "isMember": True},
                {"organizationId": gid("SupportOrganization", world.org_o3), "paysSalary": True},
            ],
        },
    )
    specialist = data["specialistProfileUpdate"]["specialist"]
    assert specialist["receivesPublicSubsidy"] is True
    assert specialist["affiliations"] == [
        {
            "paysSalary": False,
            "isMember": True,
            "organization": {"id": gid("SupportOrganization", world.org_o2)},
        },
        {
            "paysSalary": True,
            "isMember": False,
            "organization": {"id": gid("SupportOrganization", world.org_o3)},
        },
    ]
    duplicate = await _refused(
        applicant,
        PROFILE_UPDATE,
        input={
            "affiliations": [
                {"organizationId": gid("SupportOrganization", world.org_o2)},
                {"organizationId": gid("SupportOrganization", world.org_o2)},
            ]
        },
    )
    assert _errors(duplicate) == [(("input", "affiliations", "1", "organizationId"), "DUPLICATE")]


CASE_CREATE = """
mutation ($input: CaseCreateInput!) {
  caseCreate(input: $input) { userErrors { field code } }
}
"""


async def test_revocation_and_suspension_block_new_filings_at_once(db: str) -> None:
    world = await build_world()
    _, specialist_id = await _terms_accepted(world)
    request = {
        "companyId": gid("Company", world.company_c1),
        "specialistId": gid("Specialist", specialist_id),
        "title": "販路開拓の相談",
        "description": "新商品の販路",
        "issueCategoryIds": [gid("IssueCategory", world.issue_category)],
        "location": {"name": "本社", "address": "東京都千代田区"},
        "slots": [{"start": "2025-06-10T10:00:00+09:00", "end": "2025-06-10T12:00:00+09:00"}],
        "validateOnly": True,
    }

    async def codes() -> set[str]:
        data = await run(world.platform_o1_staff, CASE_CREATE, input=request)
        return {e["code"] for e in data["caseCreate"]["userErrors"]}

    # a TERMS_ACCEPTED specialist can be requested
    assert "SPECIALIST_NOT_DISPATCHABLE" not in await codes()
    # revoked: the very next request naming it is refused
    await run(world.secretariat_kanto, REVOKE, id=gid("Specialist", specialist_id), reason="不正")
    assert "SPECIALIST_NOT_DISPATCHABLE" in await codes()
    # suspended: the organisation cannot file at all
    await run(
        world.secretariat_kanto,
        SUSPEND,
        input={
            "organizationId": gid("SupportOrganization", world.org_o1),
            "suspendedFrom": "2025-06-01",
            "reason": "不正な実績報告への関与",
        },
    )
    assert "FILING_SUSPENDED" in await codes()
