"""Helpers of the registration tests: the GraphQL runner, a complete applicant, DB snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql import ExecutionResult

from auth.principal import ANONYMOUS, Principal
from models.accounts import UserAccount
from models.audit import AuditEvent
from models.documents import Document
from models.organisations import SupportOrganization
from models.outbox import DomainEvent
from models.rules.money_kinds import DocumentKind
from models.settings import current_settings
from models.specialists import (
    Commission,
    Specialist,
    SpecialistAffiliation,
    SpecialistBasis,
    SpecialistHoliday,
    SpecialistQualification,
)
from schema.context import Context
from schema.relay import to_global_id
from schema.root import build_schema
from tests.factories import World, make_document, principal_for

SCHEMA = build_schema(current_settings())

#: The clock of every registration test: Monday 2 June 2025, 10:00 in Tokyo (FY 2025).
NOW = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
ACCOUNT_NUMBER = "7654321"

#: Audit actions that a refused call may write (security.md: authz_fail; the apply limiter).
REFUSAL_AUDITS = {"authz_fail", "registration_apply_attempt"}


async def execute(
    principal: Principal, query: str, now: datetime = NOW, **variables: Any
) -> ExecutionResult:
    context = Context(request=None, response=None, settings=current_settings(), principal=principal)
    context.loaders.now = now
    return await SCHEMA.execute(query, variable_values=variables, context_value=context)


async def run(principal: Principal, query: str, now: datetime = NOW, **variables: Any) -> Any:
    result = await execute(principal, query, now, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


APPLY = """
mutation ($input: SpecialistApplyInput!) {
  specialistApply(input: $input) { applied userErrors { field code message } }
}
"""

PROFILE_UPDATE = """
mutation ($input: SpecialistProfileUpdateInput!) {
  specialistProfileUpdate(input: $input) {
    specialist { id name nameKana registrationStatus career phone postalCode
                 bases { basis description } qualifications { otherName certificate { id } }
                 photo { id } expertise { id } industries { id } areas { id }
                 affiliations { paysSalary isMember organization { id } }
                 receivesPublicSubsidy
                 bankAccount { bankCode branchCode accountType accountNumber holderKana masked } }
    userErrors { field code message }
  }
}
"""

SPECIALIST = """
query ($id: ID!, $fy: Int) {
  node(id: $id) {
    ... on Specialist {
      id name registrationStatus(fiscalYear: $fy) dispatchable(fiscalYear: $fy)
      payable(fiscalYear: $fy) availableRegistrationActions(fiscalYear: $fy) statusReason
      recommendingOrganization { id }
      commissions { fiscalYear termsAcceptedAt letterIssuedAt acceptanceReceivedAt }
      bankAccount { accountNumber masked }
    }
  }
}
"""


def apply_input(email: str = "applicant@example.jp", **changes: Any) -> dict[str, Any]:
    values = {
        "email": email,
        "password": PASSWORD,
        "name": "高橋一郎",
        "nameKana": "タカハシ　イチロウ",
        "prefectureId": gid("Prefecture", 13),
    }
    values.update(changes)
    return values


async def apply_as_anonymous(email: str = "applicant@example.jp") -> tuple[Principal, int]:
    """specialistApply, then the principal the applicant signs in as and its specialist id."""
    data = await run(ANONYMOUS, APPLY, input=apply_input(email))
    assert data["specialistApply"] == {"applied": True, "userErrors": []}
    account = await UserAccount.get(email=email)
    principal = await principal_for(account)
    assert principal.specialist_id is not None
    return principal, principal.specialist_id


async def upload(principal: Principal, kind: DocumentKind, name: str = "file.pdf") -> Document:
    """A Document row as ``POST /uploads`` leaves it: the caller's, not yet attached."""
    return await make_document(
        kind=kind,
        filename=name,
        content_type="image/png" if kind is DocumentKind.PHOTO else "application/pdf",
        uploaded_by_id=principal.account_id,
    )


def bank_input(**changes: str) -> dict[str, str]:
    values = {
        "bankCode": "0005",
        "bankName": "三菱UFJ銀行",
        "branchCode": "123",
        "branchName": "新宿支店",
        "accountType": "ORDINARY",
        "accountNumber": ACCOUNT_NUMBER,
        "holderKana": "タカハシ　イチロウ",
    }
    values.update(changes)
    return values


async def complete_profile(principal: Principal, world: World) -> dict[str, Any]:
    """Fill in everything seed 002 asks for (photo, certificate, bank account, basis ア)."""
    photo = await upload(principal, DocumentKind.PHOTO, "photo.png")
    certificate = await upload(principal, DocumentKind.CERTIFICATE, "shindanshi.pdf")
    data = await run(
        principal,
        PROFILE_UPDATE,
        input={
            "phone": "03-1234-5678",
            "postalCode": "1600022",
            "address": "東京都新宿区新宿1-1-1",
            "career": "製造業の経営企画に20年従事",
            "photoDocumentId": gid("Document", photo.id),
            "bases": [{"basis": "A", "description": "中小企業診断士として登録"}],
            "qualifications": [
                {
                    "qualificationId": gid("Qualification", world.qualification),
                    "certificateDocumentId": gid("Document", certificate.id),
                }
            ],
            "expertiseIds": [gid("IssueCategory", world.issue_category)],
            "industryIds": [gid("Industry", world.industry)],
            "areaIds": [gid("Prefecture", world.pref_tokyo)],
            "bankAccount": bank_input(),
        },
    )
    payload = data["specialistProfileUpdate"]
    assert payload["userErrors"] == []
    return payload["specialist"]  # type: ignore[no-any-return]


async def snapshot() -> dict[str, Any]:
    """Every row registration mutations write (audit rows of refusals excluded)."""
    specialists = await Specialist.all().order_by("id").values()
    for row in specialists:
        row.pop("updated_at", None)
    return {
        "specialists": specialists,
        "accounts": await UserAccount.all().order_by("id").values("id", "email", "specialist_id"),
        "bases": await SpecialistBasis.all().order_by("id").values(),
        "qualifications": await SpecialistQualification.all().order_by("id").values(),
        "holidays": await SpecialistHoliday.all().order_by("id").values(),
        "affiliations": await SpecialistAffiliation.all().order_by("id").values(),
        "commissions": await Commission.all().order_by("id").values(),
        "documents": await Document.all().order_by("id").values("id", "specialist_id", "case_id"),
        "organizations": await SupportOrganization.all().order_by("id").values(),
        "expertise": await Specialist.all().order_by("id").values("id", "expertise__id"),
        "areas": await Specialist.all().order_by("id").values("id", "areas__id"),
        "audit": await AuditEvent.exclude(action__in=list(REFUSAL_AUDITS))
        .order_by("id")
        .values("id", "action"),
        "events": await DomainEvent.all().order_by("id").values("id", "kind", "payload"),
    }
