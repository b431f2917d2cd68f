"""Specialist registration use cases (domain.md §3, §7.4; seed 002 専門家登録の流れ 01–06).

Every step goes through the one table of :mod:`models.rules.registration`: the viewer's actors
(``auth.scoping.registration_actors``), the effective state in the fiscal year, the row's guard
and reason rule. A step is one transaction: a compare-and-set on the state it was judged on
(the stored registration status, or the commission's timestamps for the per-FY steps), one audit
row and one ``REGISTRATION_CHANGED`` domain event. Approving twice, skipping a step or losing a
race is ``TRANSITION_NOT_ALLOWED`` naming the actions allowed now; nothing is written.

A role that may never take a step (a company approving, a specialist revoking) gets ``FORBIDDEN``
and an ``authz_fail`` audit row; a specialist outside the viewer's scope is ``NOT_FOUND``, exactly
like one that does not exist.

``specialistApply`` is public: it validates everything before any SQL, is limited per client
(attempts counted in the audit trail, so every server process sees them) and hashes the password
off the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NoReturn, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import FAILURE, record_audit
from auth.passwords import hash_password
from auth.principal import Principal
from auth.scoping import registration_actors, specialist_scope
from models.accounts import UserAccount
from models.audit import AuditEvent
from models.cases import DispatchCase
from models.documents import Document
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture
from models.organisations import SupportOrganization
from models.outbox import DomainEvent
from models.rules.case_status import CaseStatus
from models.rules.dispatchability import CommissionFacts
from models.rules.errors import (
    DomainError,
    ErrorCode,
    FieldError,
    Forbidden,
    NotFound,
    ValidationErrors,
)
from models.rules.events import EventKind
from models.rules.fiscal_year import current_fiscal_year
from models.rules.money_kinds import DocumentKind
from models.rules.organisations import OrganizationKind
from models.rules.registration import (
    APPLY_ACTION,
    APPLY_STATUS,
    MAX_NAME,
    ProfileFacts,
    QualificationFacts,
    ReasonRule,
    RegistrationAction,
    RegistrationActionNotAllowed,
    RegistrationFacts,
    RegistrationTransition,
    available_registration_actions,
    commission_year_errors,
    email_errors,
    find_registration_transition,
    kana_errors,
    normalize_kana,
    password_errors,
    reason_errors,
    submission_errors,
    suspension_errors,
    text_errors,
)
from models.rules.registration_status import Basis, RegistrationStatus
from models.rules.roles import Role
from models.settings import current_settings
from models.specialists import Commission, Specialist, SpecialistBasis, SpecialistQualification
from resolvers.documents import claim_document

A = RegistrationAction
T = TypeVar("T")

#: Audit actions of this module (one row per step; ``registration_<action>``).
AUTHZ_FAIL = "authz_fail"
REGISTRATION_APPLY = "registration_apply"
REGISTRATION_APPLY_ATTEMPT = "registration_apply_attempt"
ORGANIZATION_SUSPEND = "organization_suspend"

#: ``specialistApply`` attempts per client and hour (counted in the audit trail).
APPLY_ATTEMPTS_PER_HOUR = 10

#: Cases a revocation leaves for the secretariat to resolve: everything not finished.
OPEN_CASE_STATUSES: tuple[CaseStatus, ...] = (
    CaseStatus.UNPROCESSED,
    CaseStatus.ADJUSTING,
    CaseStatus.NEEDS_COORDINATION,
    CaseStatus.CONFIRMED,
    CaseStatus.UNREPORTED,
    CaseStatus.REPORTED,
)

_MAX_PK = 2_147_483_647
_SPECIALIST = "Specialist"
_SPECIALIST_ID: tuple[str, ...] = ("input", "specialistId")
_NOT_FOUND = "指定された専門家が見つかりません。"
_FIELDS = (
    "id",
    "name",
    "name_kana",
    "registration_status",
    "recommending_org_id",
    "prefecture_id",
    "bank_account_last3",
)


class ApplyRateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED
    default_message = "申請の回数が多すぎます。しばらくしてから再度お試しください。"


@dataclass(frozen=True)
class StepResult:
    """What a step changed: the specialist, the fiscal year of a commission step, and for a
    revocation the specialist's open cases (all of them, whoever's scope they are in)."""

    specialist_id: int
    fiscal_year: int | None = None
    open_case_ids: tuple[int, ...] = ()


def audit_action(action: RegistrationAction) -> str:
    return f"registration_{action.value.lower()}"


# ---------------------------------------------------------------- shared plumbing


async def require_role(
    principal: Principal, role: Role, operation: str, request_id: str = ""
) -> None:
    """Refuse a role that may never take ``operation`` (FORBIDDEN + ``authz_fail`` audit row)."""
    if principal.role is role and (role is not Role.SPECIALIST or principal.specialist_id):
        return
    await record_audit(
        AUTHZ_FAIL,
        actor=principal if principal.authenticated else None,
        outcome=FAILURE,
        target_type="Mutation",
        target_id=operation,
        request_id=request_id,
        detail={"required_role": role.value},
    )
    raise Forbidden()


def own_specialist_id(principal: Principal) -> int:
    if principal.specialist_id is None:  # require_role(SPECIALIST) has run
        raise Forbidden()
    return principal.specialist_id


async def load_specialist(
    principal: Principal, specialist_id: int, field: tuple[str, ...] = _SPECIALIST_ID
) -> dict[str, Any]:
    """The specialist in the principal's scope with its office, else NOT_FOUND on ``field``."""
    rows: list[dict[str, Any]] = []
    if 0 < specialist_id <= _MAX_PK:
        rows = await Specialist.filter(specialist_scope(principal), id=specialist_id).values(
            *_FIELDS, office_id="prefecture__office_id"
        )
    if not rows:
        raise NotFound(_NOT_FOUND, field)
    row = rows[0]
    row["registration_status"] = RegistrationStatus(row["registration_status"])
    return row


async def _commission(specialist_id: int, fiscal_year: int) -> dict[str, Any] | None:
    rows = await Commission.filter(specialist_id=specialist_id, fiscal_year=fiscal_year).values(
        "id", "terms_accepted_at", "letter_issued_at", "acceptance_received_at"
    )
    return rows[0] if rows else None


def commission_facts(row: dict[str, Any] | None) -> CommissionFacts | None:
    if row is None:
        return None
    return CommissionFacts(
        terms_accepted=row["terms_accepted_at"] is not None,
        letter_issued=row["letter_issued_at"] is not None,
        acceptance_received=row["acceptance_received_at"] is not None,
    )


@dataclass(frozen=True)
class _Judged:
    specialist: dict[str, Any]
    facts: RegistrationFacts
    row: RegistrationTransition
    fiscal_year: int
    commission: dict[str, Any] | None


async def _judge(
    principal: Principal,
    specialist: dict[str, Any],
    action: RegistrationAction,
    fiscal_year: int,
) -> _Judged:
    commission = await _commission(specialist["id"], fiscal_year)
    facts = RegistrationFacts(specialist["registration_status"], commission_facts(commission))
    actors = registration_actors(principal, specialist, specialist["office_id"])
    row = find_registration_transition(action, facts, actors)
    return _Judged(specialist, facts, row, fiscal_year, commission)


async def _refuse(principal: Principal, specialist_id: int, fiscal_year: int) -> NoReturn:
    """After a lost compare-and-set: refuse with the state and actions as they are now."""
    specialist = await load_specialist(principal, specialist_id)
    commission = await _commission(specialist_id, fiscal_year)
    facts = RegistrationFacts(specialist["registration_status"], commission_facts(commission))
    actors = registration_actors(principal, specialist, specialist["office_id"])
    raise RegistrationActionNotAllowed(
        facts.effective, available_registration_actions(facts, actors)
    )


async def _record(
    principal: Principal,
    judged: _Judged,
    after: RegistrationStatus,
    *,
    request_id: str,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """The step's audit row and domain event, in the step's transaction. The event carries
    references only; consumers re-read what they show through the scoping rules."""
    specialist = judged.specialist
    action = judged.row.action
    before = judged.facts.effective
    fiscal_year = judged.fiscal_year if judged.row.commission_step else None
    audit_detail: dict[str, Any] = {"from": before.value, "to": after.value}
    if fiscal_year is not None:
        audit_detail["fiscal_year"] = fiscal_year
    if reason:
        audit_detail["reason"] = reason
    audit_detail.update(detail or {})
    await record_audit(
        audit_action(action),
        actor=principal,
        target_type=_SPECIALIST,
        target_id=specialist["id"],
        request_id=request_id,
        detail=audit_detail,
    )
    await _event(
        specialist["id"],
        action.value,
        before,
        after,
        fiscal_year=fiscal_year,
        organization_id=specialist["recommending_org_id"],
        office_id=specialist["office_id"],
    )


async def _event(
    specialist_id: int,
    action: str,
    before: RegistrationStatus | None,
    after: RegistrationStatus,
    *,
    fiscal_year: int | None = None,
    organization_id: int | None = None,
    office_id: int | None = None,
) -> None:
    await DomainEvent.create(
        kind=EventKind.REGISTRATION_CHANGED.value,
        specialist_id=specialist_id,
        payload={
            "action": action,
            "from": None if before is None else before.value,
            "to": after.value,
            "fiscal_year": fiscal_year,
            "organization_id": organization_id,
            "office_id": office_id,
        },
    )


async def _conflict_safe(
    work: Callable[[], Awaitable[T]], on_conflict: Callable[[], Awaitable[None]]
) -> T:
    """Run ``work`` (one transaction); a unique-constraint race becomes ``on_conflict``."""
    try:
        return await work()
    except IntegrityError:
        await on_conflict()
        raise


# ---------------------------------------------------------------- apply (public)


@dataclass(frozen=True)
class Application:
    email: str
    password: str
    name: str
    name_kana: str
    prefecture_id: int

    def __repr__(self) -> str:  # never the password
        return f"Application(prefecture_id={self.prefecture_id})"


def _application_errors(application: Application) -> list[FieldError]:
    return [
        *email_errors(application.email, ("input", "email")),
        *password_errors(application.password, application.email, ("input", "password")),
        *text_errors(application.name, ("input", "name"), "氏名", MAX_NAME),
        *kana_errors(application.name_kana, ("input", "nameKana"), "氏名（カナ）"),
    ]


def client_key(client: str) -> str:
    """A keyed hash of the client address (the audit trail keeps no raw address)."""
    secret = current_settings().secret_key.encode()
    return hmac.new(secret, client.encode(), hashlib.sha256).hexdigest()[:32]


async def _count_attempt(client: str, now: datetime, request_id: str) -> None:
    key = client_key(client)
    recent = await AuditEvent.filter(
        action=REGISTRATION_APPLY_ATTEMPT, target_id=key, at__gte=now - timedelta(hours=1)
    ).count()
    if recent >= APPLY_ATTEMPTS_PER_HOUR:
        raise ApplyRateLimited()
    await record_audit(
        REGISTRATION_APPLY_ATTEMPT, target_type="client", target_id=key, request_id=request_id
    )


async def _defaults(now: datetime) -> dict[str, Any]:
    """Availability defaults of the current fiscal year's configuration *(config)*."""
    rows = await FiscalYearConfig.filter(fiscal_year=current_fiscal_year(now)).values(
        "default_available_from_min",
        "default_available_to_min",
        "default_days_off",
        "national_holidays_off_default",
    )
    if not rows:
        return {}
    row = rows[0]
    return {
        "available_from_min": row["default_available_from_min"],
        "available_to_min": row["default_available_to_min"],
        "days_off": list(row["default_days_off"]),
        "off_on_national_holidays": row["national_holidays_off_default"],
    }


async def apply(application: Application, *, now: datetime, client: str, request_id: str) -> int:
    """``specialistApply``: a new applicant's account (role SPECIALIST) and DRAFT registration;
    returns the specialist's id. The applicant signs in with ``login`` afterwards."""
    errors = _application_errors(application)
    if errors:
        raise ValidationErrors(errors)
    await _count_attempt(client, now, request_id)
    email = application.email.strip().lower()
    if not await Prefecture.filter(id=application.prefecture_id).exists():
        errors.append(
            FieldError(ErrorCode.NOT_FOUND, "都道府県が見つかりません。", ("input", "prefectureId"))
        )
    duplicate = FieldError(
        ErrorCode.DUPLICATE,
        "このメールアドレスは既に登録されています。ログインしてください。",
        ("input", "email"),
    )
    if await UserAccount.filter(email__iexact=email).exists():
        errors.append(duplicate)
    if errors:
        raise ValidationErrors(errors)
    password_hash = await hash_password(application.password)
    defaults = await _defaults(now)

    async def work() -> int:
        async with in_transaction():
            specialist = await Specialist.create(
                name=application.name.strip(),
                name_kana=normalize_kana(application.name_kana),
                email=email,
                prefecture_id=application.prefecture_id,
                registration_status=APPLY_STATUS,
                **defaults,
            )
            account = await UserAccount.create(
                email=email,
                password_hash=password_hash,
                display_name=application.name.strip(),
                role=Role.SPECIALIST,
                specialist=specialist,
                password_changed_at=now,
            )
            await record_audit(
                REGISTRATION_APPLY,
                actor=Principal(account_id=account.id, role=Role.SPECIALIST),
                target_type=_SPECIALIST,
                target_id=specialist.id,
                request_id=request_id,
                detail={"to": APPLY_STATUS.value},
            )
            offices = await Prefecture.filter(id=application.prefecture_id).values("office_id")
            await _event(
                specialist.id,
                APPLY_ACTION,
                None,
                APPLY_STATUS,
                office_id=int(offices[0]["office_id"]) if offices else None,
            )
            return int(specialist.id)

    async def conflict() -> None:
        raise ValidationErrors([duplicate])

    return await _conflict_safe(work, conflict)


# ---------------------------------------------------------------- registration-level steps


async def _move(
    principal: Principal,
    specialist_id: int,
    action: RegistrationAction,
    *,
    now: datetime,
    request_id: str,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
    field: tuple[str, ...] = _SPECIALIST_ID,
) -> StepResult:
    """A step that changes the stored registration status (compare-and-set on it)."""
    fiscal_year = current_fiscal_year(now)
    specialist = await load_specialist(principal, specialist_id, field)
    judged = await _judge(principal, specialist, action, fiscal_year)
    errors = reason_errors(reason, judged.row.reason, ("input", "reason"))
    if errors:
        raise ValidationErrors(errors)
    text = (reason or "").strip()
    before = judged.facts.status
    after = judged.row.stored_status_after(before)
    values: dict[str, Any] = {"registration_status": after, "updated_at": now, **(extra or {})}
    if judged.row.reason is not ReasonRule.NONE:
        values["status_reason"] = text
    if "recommending_org_id" in values:  # the event names the organisation now asked
        judged.specialist["recommending_org_id"] = values["recommending_org_id"]
    async with in_transaction():
        moved = await Specialist.filter(id=specialist_id, registration_status=before).update(
            **values
        )
        if not moved:
            await _refuse(principal, specialist_id, fiscal_year)
        await _record(principal, judged, after, request_id=request_id, reason=text)
    return StepResult(specialist_id)


async def _profile_facts(specialist: dict[str, Any]) -> ProfileFacts:
    specialist_id = specialist["id"]
    bases = (
        await SpecialistBasis.filter(specialist_id=specialist_id)
        .order_by("basis")
        .values_list("basis", "description")
    )
    qualifications = (
        await SpecialistQualification.filter(specialist_id=specialist_id)
        .order_by("id")
        .values(
            "certificate_id",
            "other_name",
            is_public="qualification__is_public",
            requires_name="qualification__requires_name",
        )
    )
    has_photo = await Document.filter(
        specialist_id=specialist_id, kind=DocumentKind.PHOTO, case_id__isnull=True
    ).exists()
    return ProfileFacts(
        name=str(specialist["name"]),
        name_kana=str(specialist["name_kana"]),
        bases=tuple((Basis(basis), str(text)) for basis, text in bases),
        qualifications=tuple(
            QualificationFacts(
                is_public=bool(q["is_public"]),
                has_certificate=q["certificate_id"] is not None,
                requires_name=bool(q["requires_name"]),
                other_name=str(q["other_name"]),
            )
            for q in qualifications
        ),
        has_photo=has_photo,
        has_bank_account=bool(specialist["bank_account_last3"]),
    )


def _may_interview(organization: dict[str, Any]) -> bool:
    """Seed 002 要件02: よろず支援拠点 or a member organisation of a regional platform."""
    return (
        organization["kind"] == OrganizationKind.YOROZU or organization["platform_id"] is not None
    )


async def submit(
    principal: Principal,
    organization_id: int | None,
    terms_consented: bool,
    *,
    now: datetime,
    request_id: str = "",
) -> StepResult:
    """``specialistSubmit``: choose the interviewing organisation, consent to the terms, and ask
    it for approval. Every unmet requirement is reported at once."""
    await require_role(principal, Role.SPECIALIST, "specialistSubmit", request_id)
    specialist_id = own_specialist_id(principal)
    specialist = await load_specialist(principal, specialist_id, ("input",))
    await _judge(principal, specialist, A.SUBMIT, current_fiscal_year(now))
    errors: list[FieldError] = []
    if organization_id is not None:
        organizations = await SupportOrganization.filter(id=organization_id).values(
            "id", "kind", "platform_id"
        )
        path = ("input", "organizationId")
        if not organizations:
            errors.append(FieldError(ErrorCode.NOT_FOUND, "支援機関が見つかりません。", path))
        elif not _may_interview(organizations[0]):
            message = "よろず支援拠点または地域プラットフォームの構成機関を選択してください。"
            errors.append(FieldError(ErrorCode.INVALID, message, path))
    profile = await _profile_facts(specialist)
    errors.extend(submission_errors(profile, organization_id is not None, terms_consented))
    if errors:
        raise ValidationErrors(errors)
    return await _move(
        principal,
        specialist_id,
        A.SUBMIT,
        now=now,
        request_id=request_id,
        extra={
            "recommending_org_id": organization_id,
            "terms_consented_at": now,
            "submitted_at": now,
            "status_reason": "",
        },
        field=("input",),
    )


async def approve_by_organization(
    principal: Principal, specialist_id: int, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``specialistApproveByOrganisation``: staff of the chosen organisation only."""
    await require_role(principal, Role.PLATFORM, "specialistApproveByOrganisation", request_id)
    return await _move(
        principal, specialist_id, A.APPROVE_BY_ORGANIZATION, now=now, request_id=request_id
    )


async def reject_by_organization(
    principal: Principal, specialist_id: int, reason: str, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``specialistRejectByOrganisation``: back to DRAFT with a reason."""
    await require_role(principal, Role.PLATFORM, "specialistRejectByOrganisation", request_id)
    return await _move(
        principal,
        specialist_id,
        A.REJECT_BY_ORGANIZATION,
        now=now,
        request_id=request_id,
        reason=reason,
    )


async def approve_by_secretariat(
    principal: Principal, specialist_id: int, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``specialistApproveBySecretariat``: final approval, the registration is complete."""
    await require_role(principal, Role.SECRETARIAT, "specialistApproveBySecretariat", request_id)
    return await _move(
        principal,
        specialist_id,
        A.APPROVE_BY_SECRETARIAT,
        now=now,
        request_id=request_id,
        extra={"registered_at": now, "status_reason": ""},
    )


async def return_to_draft(
    principal: Principal, specialist_id: int, reason: str, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``specialistReturn``: the secretariat sends the application back to DRAFT."""
    await require_role(principal, Role.SECRETARIAT, "specialistReturn", request_id)
    return await _move(
        principal, specialist_id, A.RETURN, now=now, request_id=request_id, reason=reason
    )


async def reject(
    principal: Principal, specialist_id: int, reason: str, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``specialistReject``: the secretariat refuses the registration (terminal)."""
    await require_role(principal, Role.SECRETARIAT, "specialistReject", request_id)
    return await _move(
        principal, specialist_id, A.REJECT, now=now, request_id=request_id, reason=reason
    )


async def revoke(
    principal: Principal, specialist_id: int, reason: str, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``specialistRevoke`` (fraud control, §7.4): from this commit on the specialist is not
    dispatchable in any fiscal year, so no new request can name it. Open cases are returned for
    the secretariat to resolve (cancel, reassign); they are not changed here."""
    await require_role(principal, Role.SECRETARIAT, "specialistRevoke", request_id)
    result = await _move(
        principal, specialist_id, A.REVOKE, now=now, request_id=request_id, reason=reason
    )
    open_cases = (
        await DispatchCase.filter(specialist_id=specialist_id, status__in=list(OPEN_CASE_STATUSES))
        .order_by("received_at", "id")
        .values("id")
    )
    return StepResult(result.specialist_id, open_case_ids=tuple(int(c["id"]) for c in open_cases))


async def withdraw(
    principal: Principal, reason: str | None, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``specialistWithdraw``: the specialist ends its own registration (reason optional)."""
    await require_role(principal, Role.SPECIALIST, "specialistWithdraw", request_id)
    return await _move(
        principal,
        own_specialist_id(principal),
        A.WITHDRAW,
        now=now,
        request_id=request_id,
        reason=reason,
        field=("input",),
    )


# ---------------------------------------------------------------- commission steps (per FY)


def _fiscal_year(fiscal_year: int | None, now: datetime) -> int:
    year = current_fiscal_year(now) if fiscal_year is None else fiscal_year
    errors = commission_year_errors(year, now, ("input", "fiscalYear"))
    if errors:
        raise ValidationErrors(errors)
    return year


async def _hold_registered(
    principal: Principal, specialist_id: int, judged: _Judged, now: datetime
) -> None:
    """Compare-and-set on the stored registration: still REGISTERED (a concurrent revocation
    or withdrawal wins, or waits for this step on PostgreSQL's row lock)."""
    held = await Specialist.filter(
        id=specialist_id, registration_status=RegistrationStatus.REGISTERED
    ).update(updated_at=now)
    if not held:
        await _refuse(principal, specialist_id, judged.fiscal_year)


async def accept_terms(
    principal: Principal, fiscal_year: int | None, *, now: datetime, request_id: str = ""
) -> StepResult:
    """``commissionTermsAccept``: the specialist agrees to the FY's 委嘱条件 → TERMS_ACCEPTED
    for that year (dispatchable; not yet payable)."""
    await require_role(principal, Role.SPECIALIST, "commissionTermsAccept", request_id)
    year = _fiscal_year(fiscal_year, now)
    specialist_id = own_specialist_id(principal)
    specialist = await load_specialist(principal, specialist_id, ("input",))
    judged = await _judge(principal, specialist, A.ACCEPT_TERMS, year)

    async def work() -> StepResult:
        async with in_transaction():
            await _hold_registered(principal, specialist_id, judged, now)
            if judged.commission is None:
                await Commission.create(
                    specialist_id=specialist_id, fiscal_year=year, terms_accepted_at=now
                )
            else:
                moved = await Commission.filter(
                    id=judged.commission["id"], terms_accepted_at__isnull=True
                ).update(terms_accepted_at=now)
                if not moved:
                    await _refuse(principal, specialist_id, year)
            await _record(
                principal, judged, RegistrationStatus.TERMS_ACCEPTED, request_id=request_id
            )
        return StepResult(specialist_id, fiscal_year=year)

    async def conflict() -> None:
        await _refuse(principal, specialist_id, year)

    return await _conflict_safe(work, conflict)


async def issue_letter(
    principal: Principal,
    specialist_id: int,
    fiscal_year: int | None,
    letter_document_id: int | None,
    *,
    now: datetime,
    request_id: str = "",
) -> StepResult:
    """``commissionLetterIssue``: the secretariat sends the FY's 委嘱状 (optionally the scanned
    letter it uploaded) after the terms were accepted."""
    await require_role(principal, Role.SECRETARIAT, "commissionLetterIssue", request_id)
    year = _fiscal_year(fiscal_year, now)
    specialist = await load_specialist(principal, specialist_id)
    judged = await _judge(principal, specialist, A.ISSUE_LETTER, year)
    assert judged.commission is not None  # the table's from-state TERMS_ACCEPTED has one
    commission_id = judged.commission["id"]
    async with in_transaction():
        await _hold_registered(principal, specialist_id, judged, now)
        if letter_document_id is not None:
            document = await claim_document(
                principal,
                letter_document_id,
                {DocumentKind.COMMISSION_LETTER},
                field=("input", "letterDocumentId"),
                specialist_id=specialist_id,
            )
            await Document.filter(id=document.id).update(specialist_id=specialist_id)
        moved = await Commission.filter(
            id=commission_id, terms_accepted_at__isnull=False, letter_issued_at__isnull=True
        ).update(letter_issued_at=now)
        if not moved:
            await _refuse(principal, specialist_id, year)
        await _record(principal, judged, RegistrationStatus.TERMS_ACCEPTED, request_id=request_id)
    return StepResult(specialist_id, fiscal_year=year)


async def submit_acceptance(
    principal: Principal,
    document_id: int,
    fiscal_year: int | None,
    *,
    now: datetime,
    request_id: str = "",
) -> StepResult:
    """``acceptanceLetterSubmit``: the signed 就任承諾書 (an upload of kind ACCEPTANCE_LETTER by
    the specialist) → ACTIVE for the FY: honoraria held so far become payable."""
    await require_role(principal, Role.SPECIALIST, "acceptanceLetterSubmit", request_id)
    year = _fiscal_year(fiscal_year, now)
    specialist_id = own_specialist_id(principal)
    specialist = await load_specialist(principal, specialist_id, ("input",))
    judged = await _judge(principal, specialist, A.SUBMIT_ACCEPTANCE, year)
    assert judged.commission is not None
    commission_id = judged.commission["id"]
    async with in_transaction():
        await _hold_registered(principal, specialist_id, judged, now)
        document = await claim_document(
            principal,
            document_id,
            {DocumentKind.ACCEPTANCE_LETTER},
            field=("input", "documentId"),
            specialist_id=specialist_id,
        )
        await Document.filter(id=document.id).update(specialist_id=specialist_id)
        moved = await Commission.filter(
            id=commission_id, letter_issued_at__isnull=False, acceptance_received_at__isnull=True
        ).update(acceptance_received_at=now, acceptance_document_id=document.id)
        if not moved:
            await _refuse(principal, specialist_id, year)
        await _record(
            principal,
            judged,
            RegistrationStatus.ACTIVE,
            request_id=request_id,
            detail={"document_id": document.id},
        )
    return StepResult(specialist_id, fiscal_year=year)


# ---------------------------------------------------------------- organisations (fraud control)


async def suspend_organization(
    principal: Principal,
    organization_id: int,
    suspended_from: date,
    suspended_until: date | None,
    reason: str,
    *,
    now: datetime,
    request_id: str = "",
) -> int:
    """``supportOrganizationSuspend`` (§7.4): the organisation cannot file new requests from
    ``suspended_from`` to ``suspended_until`` (inclusive; open-ended when None). A new call
    replaces the period and reason. The office of the organisation's prefecture or the national
    secretariat decides."""
    await require_role(principal, Role.SECRETARIAT, "supportOrganizationSuspend", request_id)
    errors = suspension_errors(suspended_from, suspended_until, reason, ("input",))
    path = ("input", "organizationId")
    rows: list[dict[str, Any]] = []
    if 0 < organization_id <= _MAX_PK:
        rows = await SupportOrganization.filter(id=organization_id).values(
            "id", "suspended_from", "suspended_until", office_id="prefecture__office_id"
        )
    if not rows:
        errors.insert(0, FieldError(ErrorCode.NOT_FOUND, "支援機関が見つかりません。", path))
    elif principal.office_id is not None and rows[0]["office_id"] != principal.office_id:
        await record_audit(  # FORBIDDEN is audited (security.md §7); nothing else is written
            AUTHZ_FAIL,
            actor=principal,
            outcome=FAILURE,
            target_type="SupportOrganization",
            target_id=organization_id,
            request_id=request_id,
            detail={"operation": "supportOrganizationSuspend"},
        )
        message = "この支援機関を管轄する事務局ではありません。"
        errors.insert(0, FieldError(ErrorCode.FORBIDDEN, message, path))
    if errors:
        raise ValidationErrors(errors)
    text = reason.strip()
    async with in_transaction():
        await SupportOrganization.filter(id=organization_id).update(
            suspended_from=suspended_from, suspended_until=suspended_until, suspension_reason=text
        )
        period = {
            "suspended_from": suspended_from.isoformat(),
            "suspended_until": None if suspended_until is None else suspended_until.isoformat(),
        }
        previous = rows[0]
        await record_audit(
            ORGANIZATION_SUSPEND,
            actor=principal,
            target_type="SupportOrganization",
            target_id=organization_id,
            request_id=request_id,
            detail={
                **period,
                "reason": text,
                "previous_from": _iso(previous["suspended_from"]),
                "previous_until": _iso(previous["suspended_until"]),
            },
        )
        await DomainEvent.create(
            kind=EventKind.ORGANIZATION_SUSPENDED.value,
            payload={
                "organization_id": organization_id,
                "office_id": rows[0]["office_id"],
                **period,
            },
        )
    return organization_id


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
