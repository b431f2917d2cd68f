"""The specialist's own profile and availability settings (domain.md §3; seed 000 プロフィール変更・
休日登録; seed 002 登録の流れ 02).

* ``specialistProfileUpdate``: partial update (only the fields given change; lists replace the
  whole list). Every problem is reported at once with its input path; nothing is written unless
  everything is valid. The bank account is validated, encrypted at rest and audited as its own
  sensitive action; it never reaches a log line or an audit row.
* ``specialistAvailabilityUpdate``: accepting requests, display items, available hours, weekly
  days off, national holidays.
* ``specialistHolidaysSet``: the registered holidays from today on become exactly the dates
  given; dates before today are ignored, dates beyond the horizon (three months *(config)*)
  refused.

Each is one transaction with a compare-and-set on the registration status the edit was judged
on (an edit never slips into an application under review) and one audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from auth.audit import record_audit
from auth.principal import Principal
from models.bank import BankAccount, encrypt_bank_account
from models.documents import Document
from models.fiscal import FiscalYearConfig
from models.geo import Prefecture
from models.masters import Industry, IssueCategory, Qualification
from models.organisations import SupportOrganization
from models.rules.errors import DomainError, ErrorCode, FieldError, ValidationErrors
from models.rules.fiscal_year import current_fiscal_year, tokyo_date
from models.rules.money_kinds import DocumentKind
from models.rules.registration import (
    MAX_ADDRESS,
    MAX_BASIS_TEXT,
    MAX_CAREER,
    MAX_LIST,
    MAX_NAME,
    MAX_QUALIFICATIONS,
    BankAccountData,
    DisplayItem,
    days_off_errors,
    holiday_dates,
    hours_errors,
    kana_errors,
    normalize_kana,
    normalize_phone,
    normalize_postal_code,
    phone_errors,
    postal_code_errors,
    profile_edit_errors,
    settings_edit_errors,
    text_errors,
    validate_bank_account,
)
from models.rules.registration_status import Basis
from models.rules.roles import Role
from models.rules.scheduling import DEFAULT_HOLIDAY_HORIZON_MONTHS
from models.specialists import (
    Specialist,
    SpecialistAffiliation,
    SpecialistBasis,
    SpecialistHoliday,
    SpecialistQualification,
)
from resolvers.documents import claim_document
from resolvers.registration import load_specialist, own_specialist_id, require_role

#: Audit actions of this module.
PROFILE_UPDATE = "specialist_profile_update"
BANK_ACCOUNT_CHANGE = "specialist_bank_account_change"
AVAILABILITY_UPDATE = "specialist_availability_update"
HOLIDAYS_SET = "specialist_holidays_set"

_INPUT: tuple[str, ...] = ("input",)
_CHANGED_BY_STATE = "他の操作で登録状態が変わりました。最新の内容を確認してください。"


@dataclass(frozen=True)
class BasisEntry:
    basis: Basis
    description: str


@dataclass(frozen=True)
class QualificationEntry:
    qualification_id: int
    other_name: str = ""
    certificate_document_id: int | None = None


@dataclass(frozen=True)
class AffiliationEntry:
    organization_id: int
    pays_salary: bool = False
    is_member: bool = False


@dataclass(frozen=True)
class ProfileChanges:
    """A partial profile update: ``None`` = leave as is; a list replaces the whole list."""

    name: str | None = None
    name_kana: str | None = None
    phone: str | None = None
    postal_code: str | None = None
    address: str | None = None
    prefecture_id: int | None = None
    career: str | None = None
    photo_document_id: int | None = None
    bases: list[BasisEntry] | None = None
    qualifications: list[QualificationEntry] | None = None
    expertise_ids: list[int] | None = None
    industry_ids: list[int] | None = None
    area_ids: list[int] | None = None
    bank_account: BankAccountData | None = None
    affiliations: list[AffiliationEntry] | None = None
    receives_public_subsidy: bool | None = None

    def changed(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def __repr__(self) -> str:  # never the bank account
        return f"ProfileChanges(changed={self.changed()!r})"


#: GraphQL input names of the fields, for error paths.
_INPUT_NAMES = {
    "name": "name",
    "name_kana": "nameKana",
    "phone": "phone",
    "postal_code": "postalCode",
    "address": "address",
    "prefecture_id": "prefectureId",
    "career": "career",
    "photo_document_id": "photoDocumentId",
    "bases": "bases",
    "qualifications": "qualifications",
    "expertise_ids": "expertiseIds",
    "industry_ids": "industryIds",
    "area_ids": "areaIds",
    "bank_account": "bankAccount",
    "affiliations": "affiliations",
    "receives_public_subsidy": "receivesPublicSubsidy",
}


def _path(*parts: str | int) -> tuple[str, ...]:
    return ("input", *(str(p) for p in parts))


def _not_found(message: str, *parts: str | int) -> FieldError:
    return FieldError(ErrorCode.NOT_FOUND, message, _path(*parts))


async def _claim(
    principal: Principal,
    document_id: int,
    kind: DocumentKind,
    specialist_id: int,
    field: tuple[str, ...],
    errors: list[FieldError],
) -> int | None:
    """The id of the caller's own upload of ``kind``, or its error appended to ``errors``."""
    try:
        document = await claim_document(
            principal, document_id, {kind}, field=field, specialist_id=specialist_id
        )
    except DomainError as error:
        errors.extend(error.errors)
        return None
    return int(document.id)


async def _existing_ids(model: Any, ids: Sequence[int], **criteria: Any) -> set[int]:
    if not ids:
        return set()
    rows = await model.filter(id__in=list(dict.fromkeys(ids)), **criteria).values("id")
    return {int(row["id"]) for row in rows}


async def _id_list_errors(
    model: Any, ids: Sequence[int], name: str, label: str, **criteria: Any
) -> list[FieldError]:
    if len(ids) > MAX_LIST:
        return [FieldError(ErrorCode.TOO_LONG, f"{label}は{MAX_LIST}件までです。", _path(name))]
    found = await _existing_ids(model, ids, **criteria)
    return [
        _not_found(f"{label}が見つかりません。", name, index)
        for index, pk in enumerate(ids)
        if pk not in found
    ]


def _text_changes(changes: ProfileChanges, errors: list[FieldError]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if changes.name is not None:
        errors.extend(text_errors(changes.name, _path("name"), "氏名", MAX_NAME))
        values["name"] = changes.name.strip()
    if changes.name_kana is not None:
        errors.extend(kana_errors(changes.name_kana, _path("nameKana"), "氏名（カナ）"))
        values["name_kana"] = normalize_kana(changes.name_kana)
    if changes.phone is not None:
        errors.extend(phone_errors(changes.phone, _path("phone")))
        values["phone"] = normalize_phone(changes.phone)
    if changes.postal_code is not None:
        errors.extend(postal_code_errors(changes.postal_code, _path("postalCode")))
        values["postal_code"] = normalize_postal_code(changes.postal_code)
    if changes.address is not None:
        errors.extend(
            text_errors(changes.address, _path("address"), "住所", MAX_ADDRESS, required=False)
        )
        values["address"] = changes.address.strip()
    if changes.career is not None:
        errors.extend(
            text_errors(changes.career, _path("career"), "経歴", MAX_CAREER, required=False)
        )
        values["career"] = changes.career.strip()
    if changes.receives_public_subsidy is not None:
        values["receives_public_subsidy"] = changes.receives_public_subsidy
    return values


def _basis_errors(bases: Sequence[BasisEntry]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[Basis] = set()
    for index, entry in enumerate(bases):
        if entry.basis in seen:
            message = "同じ登録要件が重複しています。"
            errors.append(FieldError(ErrorCode.DUPLICATE, message, _path("bases", index, "basis")))
        seen.add(entry.basis)
        errors.extend(
            text_errors(
                entry.description,
                _path("bases", index, "description"),
                "登録要件の根拠",
                MAX_BASIS_TEXT,
            )
        )
    return errors


async def _qualification_errors(
    principal: Principal,
    specialist_id: int,
    entries: Sequence[QualificationEntry],
    errors: list[FieldError],
) -> list[int | None]:
    """Validate the qualifications; returns each entry's certificate document id."""
    if len(entries) > MAX_QUALIFICATIONS:
        message = f"資格は{MAX_QUALIFICATIONS}件までです。"
        errors.append(FieldError(ErrorCode.TOO_LONG, message, _path("qualifications")))
        return []
    ids = [entry.qualification_id for entry in entries]
    masters = {
        int(row["id"]): row
        for row in await Qualification.filter(id__in=list(dict.fromkeys(ids)), active=True).values(
            "id", "requires_name"
        )
    }
    seen: set[tuple[int, str]] = set()
    used_documents: set[int] = set()
    certificates: list[int | None] = []
    for index, entry in enumerate(entries):
        master = masters.get(entry.qualification_id)
        other = entry.other_name.strip()
        if master is None:
            errors.append(
                _not_found("資格が見つかりません。", "qualifications", index, "qualificationId")
            )
        elif master["requires_name"]:
            errors.extend(
                text_errors(other, _path("qualifications", index, "otherName"), "資格名", MAX_NAME)
            )
        key = (entry.qualification_id, other if master and master["requires_name"] else "")
        if key in seen:
            message = "同じ資格が重複しています。"
            errors.append(
                FieldError(
                    ErrorCode.DUPLICATE, message, _path("qualifications", index, "qualificationId")
                )
            )
        seen.add(key)
        certificate = None
        if entry.certificate_document_id is not None:
            field = _path("qualifications", index, "certificateDocumentId")
            if entry.certificate_document_id in used_documents:
                message = "同じ証明書が複数の資格に指定されています。"
                errors.append(FieldError(ErrorCode.DUPLICATE, message, field))
            used_documents.add(entry.certificate_document_id)
            certificate = await _claim(
                principal,
                entry.certificate_document_id,
                DocumentKind.CERTIFICATE,
                specialist_id,
                field,
                errors,
            )
        certificates.append(certificate)
    return certificates


async def _affiliation_errors(entries: Sequence[AffiliationEntry]) -> list[FieldError]:
    if len(entries) > MAX_LIST:
        message = f"所属は{MAX_LIST}件までです。"
        return [FieldError(ErrorCode.TOO_LONG, message, _path("affiliations"))]
    found = await _existing_ids(SupportOrganization, [e.organization_id for e in entries])
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, entry in enumerate(entries):
        field = _path("affiliations", index, "organizationId")
        if entry.organization_id not in found:
            errors.append(FieldError(ErrorCode.NOT_FOUND, "支援機関が見つかりません。", field))
        elif entry.organization_id in seen:
            errors.append(FieldError(ErrorCode.DUPLICATE, "同じ支援機関が重複しています。", field))
        seen.add(entry.organization_id)
    return errors


@dataclass
class _Plan:
    values: dict[str, Any]
    photo_id: int | None = None
    certificates: list[int | None] | None = None
    bank: BankAccount | None = None


async def _plan(principal: Principal, specialist: dict[str, Any], changes: ProfileChanges) -> _Plan:
    """Validate everything; raise every problem at once, else what to write."""
    specialist_id = int(specialist["id"])
    errors = profile_edit_errors(specialist["registration_status"], changes.changed())
    if errors:
        raise ValidationErrors(errors)
    values = _text_changes(changes, errors)
    plan = _Plan(values)
    if changes.prefecture_id is not None:
        if not await Prefecture.filter(id=changes.prefecture_id).exists():
            errors.append(_not_found("都道府県が見つかりません。", "prefectureId"))
        values["prefecture_id"] = changes.prefecture_id
    if changes.photo_document_id is not None:
        plan.photo_id = await _claim(
            principal,
            changes.photo_document_id,
            DocumentKind.PHOTO,
            specialist_id,
            _path("photoDocumentId"),
            errors,
        )
    if changes.bases is not None:
        errors.extend(_basis_errors(changes.bases))
    if changes.qualifications is not None:
        plan.certificates = await _qualification_errors(
            principal, specialist_id, changes.qualifications, errors
        )
    for name, model, label, criteria in (
        ("expertise_ids", IssueCategory, "支援課題", {"active": True}),
        ("industry_ids", Industry, "業種", {}),
        ("area_ids", Prefecture, "都道府県", {}),
    ):
        ids = getattr(changes, name)
        if ids is not None:
            errors.extend(await _id_list_errors(model, ids, _INPUT_NAMES[name], label, **criteria))
    if changes.affiliations is not None:
        errors.extend(await _affiliation_errors(changes.affiliations))
    if changes.bank_account is not None:
        owner_kana = changes.name_kana if changes.name_kana is not None else specialist["name_kana"]
        account, bank_errors = validate_bank_account(
            changes.bank_account, str(owner_kana), _path("bankAccount")
        )
        errors.extend(bank_errors)
        if account is not None:
            plan.bank = BankAccount(
                bank_code=account.bank_code,
                bank_name=account.bank_name,
                branch_code=account.branch_code,
                branch_name=account.branch_name,
                account_type=account.account_type,
                account_number=account.account_number,
                holder_kana=account.holder_kana,
            )
    if errors:
        raise ValidationErrors(errors)
    return plan


async def _replace_relations(specialist_id: int, changes: ProfileChanges, plan: _Plan) -> None:
    specialist = await Specialist.get(id=specialist_id)
    if changes.bases is not None:
        await SpecialistBasis.filter(specialist_id=specialist_id).delete()
        for basis in changes.bases:
            await SpecialistBasis.create(
                specialist_id=specialist_id,
                basis=basis.basis,
                description=basis.description.strip(),
            )
    if changes.qualifications is not None and plan.certificates is not None:
        await SpecialistQualification.filter(specialist_id=specialist_id).delete()
        for entry, certificate in zip(changes.qualifications, plan.certificates, strict=True):
            await SpecialistQualification.create(
                specialist_id=specialist_id,
                qualification_id=entry.qualification_id,
                other_name=entry.other_name.strip(),
                certificate_id=certificate,
            )
        linked = [c for c in plan.certificates if c is not None]
        if linked:
            await Document.filter(id__in=linked).update(specialist_id=specialist_id)
    if plan.photo_id is not None:
        # The photo is the PHOTO document linked to the specialist: exactly one stays linked.
        await (
            Document.filter(
                specialist_id=specialist_id, kind=DocumentKind.PHOTO, case_id__isnull=True
            )
            .exclude(id=plan.photo_id)
            .update(specialist_id=None)
        )
        await Document.filter(id=plan.photo_id).update(specialist_id=specialist_id)
    for name, relation, model in (
        ("expertise_ids", specialist.expertise, IssueCategory),
        ("industry_ids", specialist.industries, Industry),
        ("area_ids", specialist.areas, Prefecture),
    ):
        ids = getattr(changes, name)
        if ids is not None:
            await relation.clear()
            chosen = await model.filter(id__in=list(dict.fromkeys(ids)))
            if chosen:
                await relation.add(*chosen)
    if changes.affiliations is not None:
        await SpecialistAffiliation.filter(specialist_id=specialist_id).delete()
        for affiliation in changes.affiliations:
            await SpecialistAffiliation.create(
                specialist_id=specialist_id,
                organization_id=affiliation.organization_id,
                pays_salary=affiliation.pays_salary,
                is_member=affiliation.is_member,
            )


async def update_profile(
    principal: Principal, changes: ProfileChanges, *, now: datetime, request_id: str = ""
) -> int:
    """``specialistProfileUpdate``: the specialist's own profile; returns its id."""
    await require_role(principal, Role.SPECIALIST, "specialistProfileUpdate", request_id)
    specialist_id = own_specialist_id(principal)
    specialist = await load_specialist(principal, specialist_id, _INPUT)
    plan = await _plan(principal, specialist, changes)
    values = dict(plan.values)
    if plan.bank is not None:
        values["bank_account_ciphertext"] = encrypt_bank_account(plan.bank)
        values["bank_account_last3"] = plan.bank.last3
        values["bank_account_updated_at"] = now
    status = specialist["registration_status"]
    async with in_transaction():
        held = await Specialist.filter(id=specialist_id, registration_status=status).update(
            updated_at=now, **values
        )
        if not held:
            raise ValidationErrors(
                [FieldError(ErrorCode.TRANSITION_NOT_ALLOWED, _CHANGED_BY_STATE, _INPUT)]
            )
        await _replace_relations(specialist_id, changes, plan)
        changed = [_INPUT_NAMES[name] for name in changes.changed()]
        await record_audit(
            PROFILE_UPDATE,
            actor=principal,
            target_type="Specialist",
            target_id=specialist_id,
            request_id=request_id,
            detail={"changed": changed},
        )
        if plan.bank is not None:
            await record_audit(
                BANK_ACCOUNT_CHANGE,
                actor=principal,
                target_type="Specialist",
                target_id=specialist_id,
                request_id=request_id,
            )
    return specialist_id


# ---------------------------------------------------------------- availability settings


@dataclass(frozen=True)
class AvailabilityChanges:
    accepting_requests: bool | None = None
    display_items: list[DisplayItem] | None = None
    available_from_min: int | None = None
    available_to_min: int | None = None
    days_off: list[int] | None = None
    off_on_national_holidays: bool | None = None

    def changed(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


_AVAILABILITY_NAMES = {
    "accepting_requests": "acceptingRequests",
    "display_items": "displayItems",
    "available_from_min": "availableFromMin",
    "available_to_min": "availableToMin",
    "days_off": "daysOff",
    "off_on_national_holidays": "offOnNationalHolidays",
}


async def _settings_row(principal: Principal, specialist_id: int) -> dict[str, Any]:
    specialist = await load_specialist(principal, specialist_id, _INPUT)
    rows = await Specialist.filter(id=specialist_id).values(
        "available_from_min", "available_to_min"
    )
    return {**specialist, **rows[0]}


async def update_availability(
    principal: Principal, changes: AvailabilityChanges, *, now: datetime, request_id: str = ""
) -> int:
    """``specialistAvailabilityUpdate`` (seed 000 プロフィール変更): the specialist's own settings."""
    await require_role(principal, Role.SPECIALIST, "specialistAvailabilityUpdate", request_id)
    specialist_id = own_specialist_id(principal)
    row = await _settings_row(principal, specialist_id)
    errors = settings_edit_errors(row["registration_status"])
    if errors:
        raise ValidationErrors(errors)
    values: dict[str, Any] = {}
    if changes.available_from_min is not None or changes.available_to_min is not None:
        start = (
            changes.available_from_min
            if changes.available_from_min is not None
            else int(row["available_from_min"])
        )
        end = (
            changes.available_to_min
            if changes.available_to_min is not None
            else int(row["available_to_min"])
        )
        errors.extend(hours_errors(start, end, _INPUT))
        values.update(available_from_min=start, available_to_min=end)
    if changes.days_off is not None:
        errors.extend(days_off_errors(changes.days_off, _path("daysOff")))
        values["days_off"] = sorted(set(changes.days_off))
    if errors:
        raise ValidationErrors(errors)
    if changes.display_items is not None:
        chosen = set(changes.display_items)
        values["display_items"] = [item.value for item in DisplayItem if item in chosen]
    if changes.accepting_requests is not None:
        values["accepting_requests"] = changes.accepting_requests
    if changes.off_on_national_holidays is not None:
        values["off_on_national_holidays"] = changes.off_on_national_holidays
    async with in_transaction():
        held = await Specialist.filter(
            id=specialist_id, registration_status=row["registration_status"]
        ).update(updated_at=now, **values)
        if not held:
            raise ValidationErrors(
                [FieldError(ErrorCode.TRANSITION_NOT_ALLOWED, _CHANGED_BY_STATE, _INPUT)]
            )
        await record_audit(
            AVAILABILITY_UPDATE,
            actor=principal,
            target_type="Specialist",
            target_id=specialist_id,
            request_id=request_id,
            detail={"changed": [_AVAILABILITY_NAMES[name] for name in changes.changed()]},
        )
    return specialist_id


async def _horizon_months(now: datetime) -> int:
    rows = await FiscalYearConfig.filter(fiscal_year=current_fiscal_year(now)).values(
        "holiday_horizon_months"
    )
    return int(rows[0]["holiday_horizon_months"]) if rows else DEFAULT_HOLIDAY_HORIZON_MONTHS


async def set_holidays(
    principal: Principal, dates: Sequence[date], *, now: datetime, request_id: str = ""
) -> int:
    """``specialistHolidaysSet`` (seed 000 休日登録): the holidays from today on become exactly
    ``dates`` (older dates are ignored, dates beyond the horizon refused); past entries stay."""
    await require_role(principal, Role.SPECIALIST, "specialistHolidaysSet", request_id)
    specialist_id = own_specialist_id(principal)
    specialist = await load_specialist(principal, specialist_id, _INPUT)
    errors = settings_edit_errors(specialist["registration_status"])
    if errors:
        raise ValidationErrors(errors)
    today = tokyo_date(now)
    kept, errors = holiday_dates(dates, today, _path("dates"), await _horizon_months(now))
    if errors:
        raise ValidationErrors(errors)
    async with in_transaction():
        held = await Specialist.filter(
            id=specialist_id, registration_status=specialist["registration_status"]
        ).update(updated_at=now)
        if not held:
            raise ValidationErrors(
                [FieldError(ErrorCode.TRANSITION_NOT_ALLOWED, _CHANGED_BY_STATE, _INPUT)]
            )
        await SpecialistHoliday.filter(specialist_id=specialist_id, date__gte=today).delete()
        if kept:
            await SpecialistHoliday.bulk_create(
                [SpecialistHoliday(specialist_id=specialist_id, date=day) for day in kept]
            )
        await record_audit(
            HOLIDAYS_SET,
            actor=principal,
            target_type="Specialist",
            target_id=specialist_id,
            request_id=request_id,
            detail={"count": len(kept)},
        )
    return specialist_id
