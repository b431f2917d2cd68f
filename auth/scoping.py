"""Row scoping and field masks per principal (domain.md §1, §11; security.md §1).

Every read entry point (loaders, root lists, counts, search) applies the ``*_scope`` Q of its
aggregate in SQL, so a row outside the viewer's scope is indistinguishable from a missing one.
The mask predicates are pure functions over the principal and a plain row; loaders call them so
every entry point shows the same masks. Callers apply a mask only to rows already in scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.expressions import Q, Subquery

from auth.principal import Principal
from models.cases import DispatchCase
from models.companies import Company
from models.geo import Prefecture
from models.organisations import SupportOrganization
from models.payments import Payment
from models.rules.money_kinds import EvaluatorKind
from models.rules.registration import RegistrationActor
from models.rules.registration_status import RegistrationStatus
from models.rules.roles import Role
from models.rules.workflow import Party

Row = Mapping[str, Any]

#: Profile items a specialist may hide from companies (表示項目選択, domain.md §11).
PROFILE_ITEMS: frozenset[str] = frozenset(
    {"PHOTO", "CAREER", "INDUSTRIES", "AREAS", "QUALIFICATIONS", "EVALUATIONS"}
)

#: Partner token scopes (api.md, domain.md §11).
READ_CASES = "read_cases"
READ_REPORTS = "read_reports"
READ_PAYMENTS = "read_payments"
READ_SPECIALISTS = "read_specialists"


def nothing() -> Q:
    """A predicate no row satisfies (primary keys are never NULL)."""
    return Q(id__isnull=True)


def everything() -> Q:
    return Q()


def _subquery(query: Any) -> Subquery:
    return Subquery(query)


def _office_prefectures(office_id: int) -> Subquery:
    return _subquery(Prefecture.filter(office_id=office_id).values("id"))


def _platform_organizations(platform_id: int) -> Subquery:
    return _subquery(SupportOrganization.filter(platform_id=platform_id).values("id"))


def _partner_may(principal: Principal, scope: str) -> bool:
    return (
        principal.role is Role.PARTNER
        and principal.organization_id is not None
        and scope in principal.scopes
    )


def case_scope(principal: Principal) -> Q:
    """Cases the principal may see.

    SPECIALIST: cases assigned to it. COMPANY: its company's cases. PLATFORM (organisation scope):
    cases filed by its organisation or for companies its organisation registered; a platform
    coordinator additionally every case whose ``platform_id`` is its platform. SECRETARIAT: cases
    whose office is its office (national admin: all). PARTNER with ``read_cases``: cases filed by
    its organisation. Anyone else: none.
    """
    role = principal.role
    if role is Role.SPECIALIST and principal.specialist_id is not None:
        return Q(specialist_id=principal.specialist_id)
    if role is Role.COMPANY and principal.company_id is not None:
        return Q(company_id=principal.company_id)
    if role is Role.PLATFORM and principal.organization_id is not None:
        org = principal.organization_id
        registered = _subquery(Company.filter(registered_by_id=org).values("id"))
        scope = Q(filing_organization_id=org) | Q(company_id__in=registered)
        if principal.is_platform_coordinator and principal.platform_id is not None:
            scope |= Q(platform_id=principal.platform_id)
        return scope
    if role is Role.SECRETARIAT:
        if principal.office_id is None:
            return everything()
        return Q(office_id=principal.office_id)
    if _partner_may(principal, READ_CASES):
        return Q(filing_organization_id=principal.organization_id)
    return nothing()


def _same(value: Any, expected: int | None) -> bool:
    return value is not None and expected is not None and int(value) == expected


def case_in_scope(principal: Principal, case_row: Row) -> bool:
    """In-memory twin of :func:`case_scope` for one case row already read (subscriptions re-check
    every event against each subscriber, mail recipients are checked against their accounts).

    The row carries the case columns plus ``company_registered_by_id`` (the organisation that
    registered the case's company). tests/notifications checks it agrees with the SQL scope.
    """
    role = principal.role
    if role is Role.SPECIALIST and principal.specialist_id is not None:
        return _same(case_row.get("specialist_id"), principal.specialist_id)
    if role is Role.COMPANY and principal.company_id is not None:
        return _same(case_row.get("company_id"), principal.company_id)
    if role is Role.PLATFORM and principal.organization_id is not None:
        org = principal.organization_id
        if _same(case_row.get("filing_organization_id"), org):
            return True
        if _same(case_row.get("company_registered_by_id"), org):
            return True
        return principal.is_platform_coordinator and _same(
            case_row.get("platform_id"), principal.platform_id
        )
    if role is Role.SECRETARIAT:
        return principal.office_id is None or _same(case_row.get("office_id"), principal.office_id)
    if _partner_may(principal, READ_CASES):
        return _same(case_row.get("filing_organization_id"), principal.organization_id)
    return False


def outbox_scope(principal: Principal) -> Q:
    """Outbox messages (mail delivery, dead letters): the secretariat only. An office sees the
    mails of its cases, of specialists residing in its prefectures and those addressed to its
    staff; the national secretariat sees all."""
    if principal.role is not Role.SECRETARIAT:
        return nothing()
    if principal.office_id is None:
        return everything()
    office = principal.office_id
    return (
        Q(event__case__office_id=office)
        | Q(event__specialist__prefecture_id__in=_office_prefectures(office))
        | Q(recipient__office_id=office)
    )


def _cases_in_scope(principal: Principal, column: str) -> Subquery:
    return _subquery(DispatchCase.filter(case_scope(principal)).values(column))


def specialist_scope(principal: Principal) -> Q:
    """Specialists the principal may see.

    SPECIALIST: itself. COMPANY: every REGISTERED specialist and those on its cases. PLATFORM:
    every REGISTERED specialist, those its organisation recommended and those on its cases.
    SECRETARIAT office: residents of its prefectures and those on its office's cases (national:
    all). PARTNER: those on its cases (``read_cases``) and, with ``read_specialists``, every
    REGISTERED specialist.
    """
    role = principal.role
    registered = Q(registration_status=RegistrationStatus.REGISTERED)
    if role is Role.SPECIALIST and principal.specialist_id is not None:
        return Q(id=principal.specialist_id)
    if role is Role.COMPANY and principal.company_id is not None:
        return registered | Q(id__in=_cases_in_scope(principal, "specialist_id"))
    if role is Role.PLATFORM and principal.organization_id is not None:
        return (
            registered
            | Q(recommending_org_id=principal.organization_id)
            | Q(id__in=_cases_in_scope(principal, "specialist_id"))
        )
    if role is Role.SECRETARIAT:
        if principal.office_id is None:
            return everything()
        return Q(prefecture_id__in=_office_prefectures(principal.office_id)) | Q(
            id__in=_cases_in_scope(principal, "specialist_id")
        )
    if role is Role.PARTNER:
        scope = nothing()
        if _partner_may(principal, READ_CASES):
            scope |= Q(id__in=_cases_in_scope(principal, "specialist_id"))
        if _partner_may(principal, READ_SPECIALISTS):
            scope |= registered
        return scope
    return nothing()


def company_scope(principal: Principal) -> Q:
    """Companies the principal may see.

    COMPANY: its own. SPECIALIST: companies of its cases. PLATFORM: companies its organisation
    registered (coordinator: registered by any organisation of its platform) and companies of
    cases in its scope. SECRETARIAT office: companies in its prefectures and companies of its
    office's cases (national: all). PARTNER with ``read_cases``: registered by its organisation
    or on its cases.
    """
    role = principal.role
    if role is Role.COMPANY and principal.company_id is not None:
        return Q(id=principal.company_id)
    if role is Role.SPECIALIST and principal.specialist_id is not None:
        return Q(id__in=_cases_in_scope(principal, "company_id"))
    if role is Role.PLATFORM and principal.organization_id is not None:
        if principal.is_platform_coordinator and principal.platform_id is not None:
            registered = Q(registered_by_id__in=_platform_organizations(principal.platform_id))
        else:
            registered = Q(registered_by_id=principal.organization_id)
        return registered | Q(id__in=_cases_in_scope(principal, "company_id"))
    if role is Role.SECRETARIAT:
        if principal.office_id is None:
            return everything()
        return Q(prefecture_id__in=_office_prefectures(principal.office_id)) | Q(
            id__in=_cases_in_scope(principal, "company_id")
        )
    if _partner_may(principal, READ_CASES):
        return Q(registered_by_id=principal.organization_id) | Q(
            id__in=_cases_in_scope(principal, "company_id")
        )
    return nothing()


def reference_scope(principal: Principal) -> Q:
    """Reference data (organisations, platforms, offices, prefectures, masters, fiscal-year
    settings): every authenticated principal, nobody else."""
    return everything() if principal.authenticated else nothing()


def organization_scope(principal: Principal) -> Q:
    """Support organisations: reference data (the suspension reason is masked, see
    :func:`can_see_suspension_reason`)."""
    return reference_scope(principal)


def platform_scope(principal: Principal) -> Q:
    """Regional platforms: reference data."""
    return reference_scope(principal)


def office_scope(principal: Principal) -> Q:
    """Regional offices: reference data (their contact data appears in every mail)."""
    return reference_scope(principal)


def evaluation_scope(principal: Principal) -> Q:
    """Evaluations: whoever sees the case (comments masked by
    :func:`can_see_evaluation_comments`); a partner token sees none."""
    if principal.role is Role.PARTNER:
        return nothing()
    return Q(case_id__in=_cases_in_scope(principal, "id"))


def report_scope(principal: Principal) -> Q:
    """Submitted reports: whoever sees the case. A Report row exists only once submitted (drafts
    live in ReportDraft, specialist only), so a company sees it after submission. A partner token
    needs ``read_reports``."""
    if principal.role is Role.PARTNER and not _partner_may(principal, READ_REPORTS):
        return nothing()
    return Q(case_id__in=_cases_in_scope(principal, "id"))


def payment_scope(principal: Principal) -> Q:
    """Payments (honorarium, travel, state): whoever sees the case except a company; a partner
    token needs ``read_payments``."""
    if principal.role is Role.COMPANY:
        return nothing()
    if principal.role is Role.PARTNER and not _partner_may(principal, READ_PAYMENTS):
        return nothing()
    return Q(case_id__in=_cases_in_scope(principal, "id"))


def specialist_evaluation_scope(principal: Principal) -> Q:
    """Evaluations listed on a specialist (``Specialist.evaluations``): those of
    :func:`evaluation_scope`; a company only the ones it wrote itself (company side of its own
    cases, domain.md §11 "own only")."""
    scope = evaluation_scope(principal)
    if principal.role is Role.COMPANY:
        scope &= Q(evaluator_kind=EvaluatorKind.COMPANY)
    return scope


def payment_batch_scope(principal: Principal) -> Q:
    """Monthly payment batches: the secretariat of the batch's office (national: all); anyone
    else a batch holding at least one payment of :func:`payment_scope` (its lines are then
    limited to that scope). Companies: none."""
    if principal.role is Role.SECRETARIAT:
        if principal.office_id is None:
            return everything()
        return Q(office_id=principal.office_id)
    if principal.role is Role.COMPANY:
        return nothing()
    payments = Payment.filter(payment_scope(principal), batch_id__isnull=False)
    return Q(id__in=_subquery(payments.values("batch_id")))


# ---------------------------------------------------------------- field masks (pure)


def _own_specialist(principal: Principal, specialist_id: Any) -> bool:
    return (
        principal.role is Role.SPECIALIST
        and principal.specialist_id is not None
        and specialist_id is not None
        and int(specialist_id) == principal.specialist_id
    )


def _case_secretariat(principal: Principal, case_row: Row) -> bool:
    if principal.role is not Role.SECRETARIAT:
        return False
    if principal.office_id is None:
        return True
    office = case_row.get("office_id")
    return office is not None and int(office) == principal.office_id


def can_see_bank_account(principal: Principal, specialist_id: int | str) -> bool:
    """Full bank account: the specialist itself, or the secretariat (the caller has checked that
    the specialist is in the secretariat's scope). IDs may arrive as str or int (S3)."""
    return _own_specialist(principal, specialist_id) or principal.role is Role.SECRETARIAT


def can_see_masked_bank_account(principal: Principal) -> bool:
    """Last three digits only: platform staff (domain.md §11); companies and partners see none."""
    return principal.role is Role.PLATFORM


def can_see_gps(principal: Principal, case_row: Row) -> bool:
    """Check-in/out coordinates and the signature image: the assigned specialist and the
    case's secretariat."""
    return _own_specialist(principal, case_row.get("specialist_id")) or _case_secretariat(
        principal, case_row
    )


def can_see_decline_text(principal: Principal, case_row: Row) -> bool:
    """The free-text decline reason: the assigned specialist (its own text) and the secretariat."""
    return can_see_gps(principal, case_row)


def can_see_money(principal: Principal, case_row: Row) -> bool:
    """Honorarium, travel amounts, payment state: own specialist, platform staff, secretariat,
    partner with ``read_payments``; never a company."""
    role = principal.role
    if role is Role.SPECIALIST:
        return _own_specialist(principal, case_row.get("specialist_id"))
    if role is Role.SECRETARIAT:
        return _case_secretariat(principal, case_row)
    if role is Role.PLATFORM:
        return True
    return _partner_may(principal, READ_PAYMENTS)


def can_see_private_profile(principal: Principal, specialist_id: int | str) -> bool:
    """Contact data and registration internals of a specialist: itself, platform staff and the
    secretariat (domain.md §11 "full"); not companies or partner tokens."""
    return _own_specialist(principal, specialist_id) or principal.role in (
        Role.PLATFORM,
        Role.SECRETARIAT,
    )


def visible_profile_fields(principal: Principal, specialist_row: Row) -> frozenset[str]:
    """Display items (表示項目選択) the viewer sees: a company only those the specialist chose to
    show; every other viewer all of them."""
    if principal.role is Role.COMPANY:
        chosen = specialist_row.get("display_items") or []
        return PROFILE_ITEMS & frozenset(str(item) for item in chosen)
    return PROFILE_ITEMS


def can_see_evaluation_comments(principal: Principal, evaluation_row: Row) -> bool:
    """Evaluation comments: the evaluated specialist, platform staff and the secretariat; a
    company only the company-side evaluations of its own cases (evaluation in scope)."""
    role = principal.role
    if role is Role.SPECIALIST:
        return _own_specialist(principal, evaluation_row.get("specialist_id"))
    if role is Role.COMPANY:
        return str(evaluation_row.get("evaluator_kind")) == EvaluatorKind.COMPANY.value
    return role in (Role.PLATFORM, Role.SECRETARIAT)


def can_see_suspension_reason(principal: Principal) -> bool:
    """An organisation's suspension reason (fraud control, §7.4): the secretariat only."""
    return principal.role is Role.SECRETARIAT


def case_parties(principal: Principal, case_row: Row) -> frozenset[Party]:
    """The viewer's relations to a case (the caller has checked the case is in scope).

    The filer and the case's company members are REQUESTER; company members also COMPANY;
    platform staff in scope are REQUESTER and PLATFORM; the assigned specialist SPECIALIST; the
    case's secretariat SECRETARIAT. A partner token filing for its organisation is REQUESTER.
    """
    parties: set[Party] = set()
    role = principal.role
    if _own_specialist(principal, case_row.get("specialist_id")):
        parties.add(Party.SPECIALIST)
    if principal.account_id is not None and case_row.get("filed_by_id") == principal.account_id:
        parties.add(Party.REQUESTER)
    company = case_row.get("company_id")
    if role is Role.COMPANY and company is not None and int(company) == principal.company_id:
        parties.update({Party.REQUESTER, Party.COMPANY})
    if role is Role.PLATFORM:
        parties.update({Party.REQUESTER, Party.PLATFORM})
    if role is Role.PARTNER:
        parties.add(Party.REQUESTER)
    if _case_secretariat(principal, case_row):
        parties.add(Party.SECRETARIAT)
    return frozenset(parties)


def registration_actors(
    principal: Principal, specialist_row: Row, specialist_office_id: int | None
) -> frozenset[RegistrationActor]:
    """The viewer's relations to a registration (the caller has checked the specialist is in
    scope): the specialist itself; staff of the support organisation it chose for the interview
    (recommending organisation); the secretariat of the office of its prefecture of residence,
    or the national secretariat ("handles registration and the per-fiscal-year commission")."""
    actors: set[RegistrationActor] = set()
    if _own_specialist(principal, specialist_row.get("id")):
        actors.add(RegistrationActor.SPECIALIST)
    org = specialist_row.get("recommending_org_id")
    if (
        principal.role is Role.PLATFORM
        and principal.organization_id is not None
        and org is not None
        and int(org) == principal.organization_id
    ):
        actors.add(RegistrationActor.ORGANIZATION)
    if is_secretariat_of(principal, specialist_office_id):
        actors.add(RegistrationActor.SECRETARIAT)
    return frozenset(actors)


def is_secretariat_of(principal: Principal, office_id: int | None) -> bool:
    """The secretariat in charge of ``office_id``: that office's staff or the national
    secretariat (registrations by residence, organisations by their prefecture)."""
    if principal.role is not Role.SECRETARIAT:
        return False
    return principal.office_id is None or (
        office_id is not None and int(office_id) == principal.office_id
    )
