"""Specialist registration, profile and availability mutations (domain.md §3, §7.4; seed 002
専門家登録の流れ 01–06; seed 000 プロフィール変更・休日登録).

The registration is one table (``models.rules.registration``); each mutation is one step of it,
taken by its actor, atomic, audited, with a domain event. Expected failures are ``userErrors``
with input paths and stable codes; a role that may never take the step gets ``FORBIDDEN``. The
payload returns the specialist as it now is (when the viewer may see it), also with errors, so a
client can show ``registrationStatus`` and ``availableRegistrationActions``.

Uploaded files (photo, certificates, 就任承諾書, the scanned 委嘱状) are Document IDs returned by
``POST /uploads``; the mutation claims the caller's own upload of the right kind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from datetime import date, datetime
from typing import Annotated, Protocol, TypeVar

import strawberry
from starlette.requests import Request

from auth.principal import Principal
from models.rules.errors import DomainError, Forbidden, Unauthenticated
from models.rules.registration import BankAccountData, BankAccountType, DisplayItem
from models.rules.registration_status import Basis
from resolvers import profile, registration
from resolvers.registration import ApplyRateLimited, StepResult
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.context import Context
from schema.errors import UserError, from_domain_error
from schema.permissions import root_mutation
from schema.relay import expect_id
from schema.types.case import DispatchCase
from schema.types.masters import Industry, IssueCategory, Qualification
from schema.types.organisation import Prefecture, SupportOrganization
from schema.types.people import Commission, Specialist
from schema.types.report import Document

T = TypeVar("T")
Info = strawberry.Info[Context, None]

_ERRORS = "利用者エラー (expected failures)"
_SPECIALIST_ID = "専門家のID (Specialist ID)"
_FISCAL_YEAR = "年度（省略時は今年度。今年度または翌年度） (fiscal year; default the current one)"


def _errors() -> list[UserError]:
    return strawberry.field(default_factory=list, description=_ERRORS)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- payloads


@strawberry.type(description="専門家を返す結果 (result carrying the specialist)")
class SpecialistResult:
    specialist: Specialist | None = strawberry.field(
        default=None,
        description="現在の専門家（閲覧できる場合） (the specialist as it now is, when visible)",
    )
    user_errors: list[UserError] = _errors()


@strawberry.type(description="委嘱の手続きの結果 (result of a commission step)")
class CommissionResult(SpecialistResult):
    commission: Commission | None = strawberry.field(
        default=None, description="その年度の委嘱 (the commission of the fiscal year)"
    )


@strawberry.type(description="specialistApply の結果 (result of specialistApply)")
class SpecialistApplyPayload:
    applied: bool = strawberry.field(
        default=False,
        description="アカウントと下書きを作成した。続けてログインする (account and draft created; "
        "sign in next)",
    )
    user_errors: list[UserError] = _errors()


@strawberry.type(description="specialistProfileUpdate の結果 (result of specialistProfileUpdate)")
class SpecialistProfileUpdatePayload(SpecialistResult):
    pass


@strawberry.type(description="specialistSubmit の結果 (result of specialistSubmit)")
class SpecialistSubmitPayload(SpecialistResult):
    pass


@strawberry.type(
    description="specialistApproveByOrganisation の結果 (result of specialistApproveByOrganisation)"
)
class SpecialistApproveByOrganisationPayload(SpecialistResult):
    pass


@strawberry.type(
    description="specialistRejectByOrganisation の結果 (result of specialistRejectByOrganisation)"
)
class SpecialistRejectByOrganisationPayload(SpecialistResult):
    pass


@strawberry.type(
    description="specialistApproveBySecretariat の結果 (result of specialistApproveBySecretariat)"
)
class SpecialistApproveBySecretariatPayload(SpecialistResult):
    pass


@strawberry.type(description="specialistReturn の結果 (result of specialistReturn)")
class SpecialistReturnPayload(SpecialistResult):
    pass


@strawberry.type(description="specialistReject の結果 (result of specialistReject)")
class SpecialistRejectPayload(SpecialistResult):
    pass


@strawberry.type(description="specialistWithdraw の結果 (result of specialistWithdraw)")
class SpecialistWithdrawPayload(SpecialistResult):
    pass


@strawberry.type(description="commissionTermsAccept の結果 (result of commissionTermsAccept)")
class CommissionTermsAcceptPayload(CommissionResult):
    pass


@strawberry.type(description="commissionLetterIssue の結果 (result of commissionLetterIssue)")
class CommissionLetterIssuePayload(CommissionResult):
    pass


@strawberry.type(description="acceptanceLetterSubmit の結果 (result of acceptanceLetterSubmit)")
class AcceptanceLetterSubmitPayload(CommissionResult):
    pass


@strawberry.type(description="specialistRevoke の結果 (result of specialistRevoke)")
class SpecialistRevokePayload(SpecialistResult):
    open_cases: list[DispatchCase] = strawberry.field(
        default_factory=list,
        description="事務局が対応すべき未完了の案件（閲覧範囲内） (the specialist's unfinished "
        "cases for the secretariat to resolve, within the viewer's scope)",
    )
    open_case_count: int = strawberry.field(
        default=0,
        description="未完了の案件の総数（他事務局の案件を含む） (number of unfinished cases, "
        "other offices' included)",
    )


@strawberry.type(
    description="specialistAvailabilityUpdate の結果 (result of specialistAvailabilityUpdate)"
)
class SpecialistAvailabilityUpdatePayload(SpecialistResult):
    pass


@strawberry.type(description="specialistHolidaysSet の結果 (result of specialistHolidaysSet)")
class SpecialistHolidaysSetPayload(SpecialistResult):
    pass


@strawberry.type(
    description="supportOrganizationSuspend の結果 (result of supportOrganizationSuspend)"
)
class SupportOrganizationSuspendPayload:
    organization: SupportOrganization | None = strawberry.field(
        default=None, description="停止された支援機関 (the suspended organisation)"
    )
    user_errors: list[UserError] = _errors()


# ---------------------------------------------------------------- inputs


@strawberry.input(description="専門家の新規登録申請の入力 (specialistApply input)")
class SpecialistApplyInput:
    email: str = strawberry.field(description="メールアドレス（ログインID） (e-mail, sign-in ID)")
    password: str = strawberry.field(
        description="パスワード（10〜256文字） (password, 10–256 characters)"
    )
    name: str = strawberry.field(description="氏名（漢字） (name)")
    name_kana: str = strawberry.field(description="氏名（全角カタカナ） (name in katakana)")
    prefecture_id: strawberry.ID = strawberry.field(
        description="居住都道府県のID（連絡先の事務局が決まる） (Prefecture ID of residence)"
    )


@strawberry.input(description="登録要件 ア–エ と根拠 (a registration basis with its evidence)")
class SpecialistBasisInput:
    basis: Basis = strawberry.field(description="要件 (basis)")
    description: str = strawberry.field(description="根拠の説明 (evidence text)")


@strawberry.input(description="保有資格 (a qualification held)")
class SpecialistQualificationInput:
    qualification_id: strawberry.ID = strawberry.field(description="資格のID (Qualification ID)")
    other_name: str = strawberry.field(
        default="", description="資格名（「その他」の場合は必須） (name, required for 'other')"
    )
    certificate_document_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="証明書の書類ID（POST /uploads、kind CERTIFICATE） (certificate upload ID)",
    )


@strawberry.input(description="謝金の振込口座（本人名義） (bank account in the specialist's name)")
class BankAccountInput:
    bank_code: str = strawberry.field(description="金融機関コード（4桁） (bank code, 4 digits)")
    bank_name: str = strawberry.field(description="金融機関名 (bank name)")
    branch_code: str = strawberry.field(description="支店コード（3桁） (branch code, 3 digits)")
    branch_name: str = strawberry.field(description="支店名 (branch name)")
    account_type: BankAccountType = strawberry.field(description="預金種目 (account type)")
    account_number: str = strawberry.field(description="口座番号（7桁） (account number, 7 digits)")
    holder_kana: str = strawberry.field(
        description="口座名義（全角カタカナ、本人の氏名） (holder in katakana, own name)"
    )

    def __repr__(self) -> str:  # never the account number
        return "BankAccountInput(****)"


@strawberry.input(
    description="所属（給与・会員。謝金対象外の判定に使用） (affiliation for the ineligibility rules)"
)
class SpecialistAffiliationInput:
    organization_id: strawberry.ID = strawberry.field(
        description="支援機関のID (SupportOrganization ID)"
    )
    pays_salary: bool = strawberry.field(
        default=False, description="給与等を受けている (receives a salary from it)"
    )
    is_member: bool = strawberry.field(
        default=False, description="会員等として所属している (member of it)"
    )


@strawberry.input(
    description="プロフィールの変更（指定した項目のみ。一覧は全体を置き換え） (profile update: "
    "only the fields given; a list replaces the whole list)"
)
class SpecialistProfileUpdateInput:
    name: strawberry.Maybe[str] = strawberry.field(description="氏名 (name)")
    name_kana: strawberry.Maybe[str] = strawberry.field(
        description="氏名（全角カタカナ） (name in katakana)"
    )
    phone: strawberry.Maybe[str] = strawberry.field(description="電話番号 (phone)")
    postal_code: strawberry.Maybe[str] = strawberry.field(description="郵便番号 (postal code)")
    address: strawberry.Maybe[str] = strawberry.field(description="住所 (address)")
    prefecture_id: strawberry.Maybe[strawberry.ID] = strawberry.field(
        description="居住都道府県のID (Prefecture ID of residence)"
    )
    career: strawberry.Maybe[str] = strawberry.field(description="経歴 (career text)")
    photo_document_id: strawberry.Maybe[strawberry.ID] = strawberry.field(
        description="プロフィール写真の書類ID（POST /uploads、kind PHOTO） (photo upload ID)"
    )
    bases: strawberry.Maybe[list[SpecialistBasisInput]] = strawberry.field(
        description="登録要件 ア–エ（下書きのみ変更可） (bases; editable in DRAFT only)"
    )
    qualifications: strawberry.Maybe[list[SpecialistQualificationInput]] = strawberry.field(
        description="保有資格と証明書 (qualifications with certificates)"
    )
    expertise_ids: strawberry.Maybe[list[strawberry.ID]] = strawberry.field(
        description="専門分野（支援課題のID） (expertise: IssueCategory IDs)"
    )
    industry_ids: strawberry.Maybe[list[strawberry.ID]] = strawberry.field(
        description="得意業種（業種のID） (Industry IDs)"
    )
    area_ids: strawberry.Maybe[list[strawberry.ID]] = strawberry.field(
        description="対応地域（都道府県のID） (areas covered: Prefecture IDs)"
    )
    bank_account: strawberry.Maybe[BankAccountInput] = strawberry.field(
        description="謝金の振込口座 (bank account for honoraria)"
    )
    affiliations: strawberry.Maybe[list[SpecialistAffiliationInput]] = strawberry.field(
        description="所属する支援機関 (affiliations with support organisations)"
    )
    receives_public_subsidy: strawberry.Maybe[bool] = strawberry.field(
        description="国・自治体から人件費補助を受けている (receives a public personnel-cost "
        "subsidy)"
    )


@strawberry.input(description="登録申請の入力 (specialistSubmit input)")
class SpecialistSubmitInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="面談した支援機関（承認を依頼する）のID (SupportOrganization that "
        "interviewed the applicant and is asked to approve)",
    )
    terms_consented: bool = strawberry.field(
        default=False, description="中小企業119の利用規約に同意する (consent to the terms of use)"
    )


@strawberry.input(description="専門家を指定する入力 (input naming a specialist)")
class SpecialistStepInput:
    specialist_id: strawberry.ID = strawberry.field(description=_SPECIALIST_ID)


@strawberry.input(description="専門家と理由を指定する入力 (input naming a specialist and a reason)")
class SpecialistReasonInput:
    specialist_id: strawberry.ID = strawberry.field(description=_SPECIALIST_ID)
    reason: str = strawberry.field(description="理由（必須） (reason, required)")


@strawberry.input(description="登録辞退の入力 (specialistWithdraw input)")
class SpecialistWithdrawInput:
    reason: str | None = strawberry.field(default=None, description="理由（任意） (reason)")


@strawberry.input(description="委嘱条件への同意の入力 (commissionTermsAccept input)")
class CommissionTermsAcceptInput:
    fiscal_year: int | None = strawberry.field(default=None, description=_FISCAL_YEAR)


@strawberry.input(description="委嘱状の発行の入力 (commissionLetterIssue input)")
class CommissionLetterIssueInput:
    specialist_id: strawberry.ID = strawberry.field(description=_SPECIALIST_ID)
    fiscal_year: int | None = strawberry.field(default=None, description=_FISCAL_YEAR)
    letter_document_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="委嘱状の書類ID（任意、POST /uploads、kind COMMISSION_LETTER） (optional "
        "upload of the letter)",
    )


@strawberry.input(description="就任承諾書の提出の入力 (acceptanceLetterSubmit input)")
class AcceptanceLetterSubmitInput:
    document_id: strawberry.ID = strawberry.field(
        description="署名した就任承諾書の書類ID（POST /uploads、kind ACCEPTANCE_LETTER） "
        "(upload of the signed acceptance letter)"
    )
    fiscal_year: int | None = strawberry.field(default=None, description=_FISCAL_YEAR)


@strawberry.input(description="派遣依頼の受付設定の変更 (availability settings update)")
class SpecialistAvailabilityUpdateInput:
    accepting_requests: strawberry.Maybe[bool] = strawberry.field(
        description="派遣依頼を受け付ける (accepting requests)"
    )
    display_items: strawberry.Maybe[list[DisplayItem]] = strawberry.field(
        description="企業に表示する項目 (profile items shown to companies)"
    )
    available_from_min: strawberry.Maybe[int] = strawberry.field(
        description="対応可能開始時刻（0時からの分） (daily start, minutes after midnight)"
    )
    available_to_min: strawberry.Maybe[int] = strawberry.field(
        description="対応可能終了時刻（0時からの分、開始より後） (daily end, after the start)"
    )
    days_off: strawberry.Maybe[list[int]] = strawberry.field(
        description="定休曜日（月曜 = 0 … 日曜 = 6） (weekly days off, Monday = 0)"
    )
    off_on_national_holidays: strawberry.Maybe[bool] = strawberry.field(
        description="祝日を休みとする (off on national holidays)"
    )


@strawberry.input(description="休日登録の入力 (specialistHolidaysSet input)")
class SpecialistHolidaysSetInput:
    dates: list[date] = strawberry.field(
        description="本日以降の休日（3か月以内。過去の日付は無視） (holidays from today on, "
        "within three months; past dates are ignored)"
    )


@strawberry.input(description="支援機関の申請停止の入力 (supportOrganizationSuspend input)")
class SupportOrganizationSuspendInput:
    organization_id: strawberry.ID = strawberry.field(
        description="支援機関のID (SupportOrganization ID)"
    )
    suspended_from: date = strawberry.field(description="停止の開始日 (first day, inclusive)")
    suspended_until: date | None = strawberry.field(
        default=None,
        description="停止の終了日（省略時は解除まで） (last day, inclusive; open-ended if null)",
    )
    reason: str = strawberry.field(description="理由（必須） (reason, required)")


# ---------------------------------------------------------------- helpers


async def _run(pending: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """Await a use case: expected failures become userErrors; FORBIDDEN and RATE_LIMITED stay
    top-level errors."""
    try:
        return await pending, []
    except (Forbidden, Unauthenticated, ApplyRateLimited):
        raise
    except DomainError as error:
        return None, from_domain_error(error)


def _clear(loader: object, key: int) -> None:
    with contextlib.suppress(KeyError):  # a read earlier in the request may have cached it
        loader.clear(key)  # type: ignore[attr-defined]


async def _specialist(info: Info, specialist_id: int | None) -> Specialist | None:
    if specialist_id is None:
        return None
    loaders = info.context.loaders
    for loader in (
        loaders.specialists,
        loaders.commission_facts_by_specialist,
        loaders.commissions_by_specialist,
        loaders.photo_by_specialist,
        loaders.holidays_by_specialist,
        loaders.bank_account_by_specialist,
    ):
        _clear(loader, specialist_id)
    return await Specialist.load(info, specialist_id)


async def _commission(info: Info, specialist_id: int, fiscal_year: int) -> Commission | None:
    rows = await info.context.loaders.commissions_by_specialist.load(specialist_id)
    return next(
        (Commission.from_row(row) for row in rows if row["fiscal_year"] == fiscal_year), None
    )


def _own(info: Info) -> int | None:
    return info.context.principal.specialist_id


def _pks(values: list[strawberry.ID] | None, node: type, *path: str) -> list[int] | None:
    if values is None:
        return None
    return [expect_id(v, node, (*path, str(i))) for i, v in enumerate(values)]


def _value(maybe: strawberry.Maybe[T]) -> T | None:
    return None if maybe is None else maybe.value


def _profile_changes(data: SpecialistProfileUpdateInput) -> profile.ProfileChanges:
    prefecture = _value(data.prefecture_id)
    photo = _value(data.photo_document_id)
    bases = _value(data.bases)
    qualifications = _value(data.qualifications)
    affiliations = _value(data.affiliations)
    bank = _value(data.bank_account)
    return profile.ProfileChanges(
        name=_value(data.name),
        name_kana=_value(data.name_kana),
        phone=_value(data.phone),
        postal_code=_value(data.postal_code),
        address=_value(data.address),
        prefecture_id=None
        if prefecture is None
        else expect_id(prefecture, Prefecture, ("input", "prefectureId")),
        career=_value(data.career),
        photo_document_id=None
        if photo is None
        else expect_id(photo, Document, ("input", "photoDocumentId")),
        bases=None
        if bases is None
        else [profile.BasisEntry(b.basis, b.description) for b in bases],
        qualifications=None
        if qualifications is None
        else [
            profile.QualificationEntry(
                qualification_id=expect_id(
                    q.qualification_id,
                    Qualification,
                    ("input", "qualifications", str(i), "qualificationId"),
                ),
                other_name=q.other_name,
                certificate_document_id=None
                if q.certificate_document_id is None
                else expect_id(
                    q.certificate_document_id,
                    Document,
                    ("input", "qualifications", str(i), "certificateDocumentId"),
                ),
            )
            for i, q in enumerate(qualifications)
        ],
        expertise_ids=_pks(_value(data.expertise_ids), IssueCategory, "input", "expertiseIds"),
        industry_ids=_pks(_value(data.industry_ids), Industry, "input", "industryIds"),
        area_ids=_pks(_value(data.area_ids), Prefecture, "input", "areaIds"),
        bank_account=None
        if bank is None
        else BankAccountData(
            bank_code=bank.bank_code,
            bank_name=bank.bank_name,
            branch_code=bank.branch_code,
            branch_name=bank.branch_name,
            account_type=bank.account_type.value,
            account_number=bank.account_number,
            holder_kana=bank.holder_kana,
        ),
        affiliations=None
        if affiliations is None
        else [
            profile.AffiliationEntry(
                organization_id=expect_id(
                    a.organization_id,
                    SupportOrganization,
                    ("input", "affiliations", str(i), "organizationId"),
                ),
                pays_salary=a.pays_salary,
                is_member=a.is_member,
            )
            for i, a in enumerate(affiliations)
        ],
        receives_public_subsidy=_value(data.receives_public_subsidy),
    )


def _client(context: Context) -> str:
    request = context.request
    if isinstance(request, Request) and request.client is not None:
        return request.client.host
    return ""


class ReasonStep(Protocol):
    def __call__(
        self,
        principal: Principal,
        specialist_id: int,
        reason: str,
        *,
        now: datetime,
        request_id: str = ...,
    ) -> Awaitable[StepResult]: ...


async def _step_payload(
    info: Info, pending: Awaitable[StepResult], specialist_id: int | None
) -> tuple[Specialist | None, list[UserError], StepResult | None]:
    result, errors = await _run(pending)
    return await _specialist(info, specialist_id), errors, result


async def _reason_step(
    info: Info, input: SpecialistReasonInput, step: ReasonStep
) -> tuple[Specialist | None, list[UserError]]:
    """A review step that takes the specialist and a reason (reject, return to draft)."""
    pk = expect_id(input.specialist_id, Specialist, ("input", "specialistId"))
    context = info.context
    pending = step(
        context.principal, pk, input.reason, now=context.loaders.now, request_id=context.request_id
    )
    specialist, errors, _ = await _step_payload(info, pending, pk)
    return specialist, errors


# ---------------------------------------------------------------- the mutations


@strawberry.type(description="専門家登録・プロフィールのミューテーション (registration mutations)")
class RegistrationMutation:
    @root_mutation(
        "専門家の新規登録申請：アカウントと下書きを作成（ログイン不要） (a new applicant creates "
        "an account and a draft registration; public)",
        public=True,
    )
    async def specialist_apply(
        self,
        info: Info,
        input: Annotated[
            SpecialistApplyInput,
            strawberry.argument(description="specialistApply の入力 (specialistApply input)"),
        ],
    ) -> SpecialistApplyPayload:
        prefecture = expect_id(input.prefecture_id, Prefecture, ("input", "prefectureId"))
        application = registration.Application(
            email=input.email,
            password=input.password,
            name=input.name,
            name_kana=input.name_kana,
            prefecture_id=prefecture,
        )
        context = info.context
        created, errors = await _run(
            registration.apply(
                application,
                now=context.loaders.now,
                client=_client(context),
                request_id=context.request_id,
            )
        )
        return SpecialistApplyPayload(applied=created is not None, user_errors=errors)

    @root_mutation("プロフィールの変更（本人） (the specialist updates its own profile)")
    async def specialist_profile_update(
        self,
        info: Info,
        input: Annotated[
            SpecialistProfileUpdateInput,
            strawberry.argument(
                description="specialistProfileUpdate の入力 (specialistProfileUpdate input)"
            ),
        ],
    ) -> SpecialistProfileUpdatePayload:
        changes = _profile_changes(input)
        context = info.context
        _, errors = await _run(
            profile.update_profile(
                context.principal, changes, now=context.loaders.now, request_id=context.request_id
            )
        )
        specialist = await _specialist(info, _own(info))
        return SpecialistProfileUpdatePayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "登録申請：面談した支援機関を選び利用規約に同意して承認を依頼（本人） (submit the "
        "application to the interviewing organisation)"
    )
    async def specialist_submit(
        self,
        info: Info,
        input: Annotated[
            SpecialistSubmitInput,
            strawberry.argument(description="specialistSubmit の入力 (specialistSubmit input)"),
        ],
    ) -> SpecialistSubmitPayload:
        organization = (
            None
            if input.organization_id is None
            else expect_id(input.organization_id, SupportOrganization, ("input", "organizationId"))
        )
        context = info.context
        specialist, errors, _ = await _step_payload(
            info,
            registration.submit(
                context.principal,
                organization,
                input.terms_consented,
                now=context.loaders.now,
                request_id=context.request_id,
            ),
            _own(info),
        )
        return SpecialistSubmitPayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "支援機関による承認（選ばれた支援機関の職員） (approval by the chosen support "
        "organisation's staff)"
    )
    async def specialist_approve_by_organisation(
        self,
        info: Info,
        input: Annotated[
            SpecialistStepInput,
            strawberry.argument(
                description="specialistApproveByOrganisation の入力 (specialistApproveByOrganisation input)"
            ),
        ],
    ) -> SpecialistApproveByOrganisationPayload:
        pk = expect_id(input.specialist_id, Specialist, ("input", "specialistId"))
        context = info.context
        specialist, errors, _ = await _step_payload(
            info,
            registration.approve_by_organization(
                context.principal, pk, now=context.loaders.now, request_id=context.request_id
            ),
            pk,
        )
        return SpecialistApproveByOrganisationPayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "支援機関による差戻し（理由必須、下書きに戻る） (the chosen organisation sends the "
        "application back to draft with a reason)"
    )
    async def specialist_reject_by_organisation(
        self,
        info: Info,
        input: Annotated[
            SpecialistReasonInput,
            strawberry.argument(
                description="specialistRejectByOrganisation の入力 (specialistRejectByOrganisation input)"
            ),
        ],
    ) -> SpecialistRejectByOrganisationPayload:
        specialist, errors = await _reason_step(info, input, registration.reject_by_organization)
        return SpecialistRejectByOrganisationPayload(specialist=specialist, user_errors=errors)

    @root_mutation("事務局による最終承認（本登録） (final approval by the secretariat)")
    async def specialist_approve_by_secretariat(
        self,
        info: Info,
        input: Annotated[
            SpecialistStepInput,
            strawberry.argument(
                description="specialistApproveBySecretariat の入力 (specialistApproveBySecretariat input)"
            ),
        ],
    ) -> SpecialistApproveBySecretariatPayload:
        pk = expect_id(input.specialist_id, Specialist, ("input", "specialistId"))
        context = info.context
        specialist, errors, _ = await _step_payload(
            info,
            registration.approve_by_secretariat(
                context.principal, pk, now=context.loaders.now, request_id=context.request_id
            ),
            pk,
        )
        return SpecialistApproveBySecretariatPayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "事務局による差戻し（理由必須、下書きに戻る） (the secretariat returns the application "
        "to draft with a reason)"
    )
    async def specialist_return(
        self,
        info: Info,
        input: Annotated[
            SpecialistReasonInput,
            strawberry.argument(description="specialistReturn の入力 (specialistReturn input)"),
        ],
    ) -> SpecialistReturnPayload:
        specialist, errors = await _reason_step(info, input, registration.return_to_draft)
        return SpecialistReturnPayload(specialist=specialist, user_errors=errors)

    @root_mutation("事務局による不承認（理由必須） (the secretariat rejects the registration)")
    async def specialist_reject(
        self,
        info: Info,
        input: Annotated[
            SpecialistReasonInput,
            strawberry.argument(description="specialistReject の入力 (specialistReject input)"),
        ],
    ) -> SpecialistRejectPayload:
        specialist, errors = await _reason_step(info, input, registration.reject)
        return SpecialistRejectPayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "その年度の委嘱条件に同意（本人。以後派遣依頼を受けられる） (accept the fiscal year's "
        "commission terms: dispatchable from now on)"
    )
    async def commission_terms_accept(
        self,
        info: Info,
        input: Annotated[
            CommissionTermsAcceptInput,
            strawberry.argument(
                description="commissionTermsAccept の入力 (commissionTermsAccept input)"
            ),
        ],
    ) -> CommissionTermsAcceptPayload:
        context = info.context
        specialist, errors, result = await _step_payload(
            info,
            registration.accept_terms(
                context.principal,
                input.fiscal_year,
                now=context.loaders.now,
                request_id=context.request_id,
            ),
            _own(info),
        )
        commission = None
        if result is not None and result.fiscal_year is not None:
            commission = await _commission(info, result.specialist_id, result.fiscal_year)
        return CommissionTermsAcceptPayload(
            specialist=specialist, commission=commission, user_errors=errors
        )

    @root_mutation(
        "その年度の委嘱状を発行（事務局） (the secretariat issues the fiscal year's letter of "
        "commission)"
    )
    async def commission_letter_issue(
        self,
        info: Info,
        input: Annotated[
            CommissionLetterIssueInput,
            strawberry.argument(
                description="commissionLetterIssue の入力 (commissionLetterIssue input)"
            ),
        ],
    ) -> CommissionLetterIssuePayload:
        pk = expect_id(input.specialist_id, Specialist, ("input", "specialistId"))
        letter = (
            None
            if input.letter_document_id is None
            else expect_id(input.letter_document_id, Document, ("input", "letterDocumentId"))
        )
        context = info.context
        specialist, errors, result = await _step_payload(
            info,
            registration.issue_letter(
                context.principal,
                pk,
                input.fiscal_year,
                letter,
                now=context.loaders.now,
                request_id=context.request_id,
            ),
            pk,
        )
        commission = None
        if result is not None and result.fiscal_year is not None:
            commission = await _commission(info, pk, result.fiscal_year)
        return CommissionLetterIssuePayload(
            specialist=specialist, commission=commission, user_errors=errors
        )

    @root_mutation(
        "署名した就任承諾書を提出（本人。以後謝金を支払える） (submit the signed acceptance "
        "letter: honoraria become payable)"
    )
    async def acceptance_letter_submit(
        self,
        info: Info,
        input: Annotated[
            AcceptanceLetterSubmitInput,
            strawberry.argument(
                description="acceptanceLetterSubmit の入力 (acceptanceLetterSubmit input)"
            ),
        ],
    ) -> AcceptanceLetterSubmitPayload:
        document = expect_id(input.document_id, Document, ("input", "documentId"))
        context = info.context
        specialist, errors, result = await _step_payload(
            info,
            registration.submit_acceptance(
                context.principal,
                document,
                input.fiscal_year,
                now=context.loaders.now,
                request_id=context.request_id,
            ),
            _own(info),
        )
        commission = None
        if result is not None and result.fiscal_year is not None:
            commission = await _commission(info, result.specialist_id, result.fiscal_year)
        return AcceptanceLetterSubmitPayload(
            specialist=specialist, commission=commission, user_errors=errors
        )

    @root_mutation(
        "登録取消（事務局、理由必須。新規の派遣依頼は直ちに不可） (the secretariat revokes a "
        "registration; new requests are blocked at once)"
    )
    async def specialist_revoke(
        self,
        info: Info,
        input: Annotated[
            SpecialistReasonInput,
            strawberry.argument(description="specialistRevoke の入力 (specialistRevoke input)"),
        ],
    ) -> SpecialistRevokePayload:
        pk = expect_id(input.specialist_id, Specialist, ("input", "specialistId"))
        context = info.context
        specialist, errors, result = await _step_payload(
            info,
            registration.revoke(
                context.principal,
                pk,
                input.reason,
                now=context.loaders.now,
                request_id=context.request_id,
            ),
            pk,
        )
        open_cases: list[DispatchCase] = []
        count = 0
        if result is not None:
            count = len(result.open_case_ids)
            loaded = await DispatchCase.load_many(info, list(result.open_case_ids))
            open_cases = [case for case in loaded if case is not None]
        return SpecialistRevokePayload(
            specialist=specialist,
            open_cases=open_cases,
            open_case_count=count,
            user_errors=errors,
        )

    @root_mutation("登録辞退（本人） (the specialist withdraws its registration)")
    async def specialist_withdraw(
        self,
        info: Info,
        input: Annotated[
            SpecialistWithdrawInput,
            strawberry.argument(description="specialistWithdraw の入力 (specialistWithdraw input)"),
        ],
    ) -> SpecialistWithdrawPayload:
        context = info.context
        specialist, errors, _ = await _step_payload(
            info,
            registration.withdraw(
                context.principal,
                input.reason,
                now=context.loaders.now,
                request_id=context.request_id,
            ),
            _own(info),
        )
        return SpecialistWithdrawPayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "派遣依頼の受付設定を変更（本人）：受付可否・表示項目・対応時間・定休日・祝日 "
        "(availability settings)"
    )
    async def specialist_availability_update(
        self,
        info: Info,
        input: Annotated[
            SpecialistAvailabilityUpdateInput,
            strawberry.argument(
                description="specialistAvailabilityUpdate の入力 (specialistAvailabilityUpdate input)"
            ),
        ],
    ) -> SpecialistAvailabilityUpdatePayload:
        changes = profile.AvailabilityChanges(
            accepting_requests=_value(input.accepting_requests),
            display_items=_value(input.display_items),
            available_from_min=_value(input.available_from_min),
            available_to_min=_value(input.available_to_min),
            days_off=_value(input.days_off),
            off_on_national_holidays=_value(input.off_on_national_holidays),
        )
        context = info.context
        _, errors = await _run(
            profile.update_availability(
                context.principal, changes, now=context.loaders.now, request_id=context.request_id
            )
        )
        specialist = await _specialist(info, _own(info))
        return SpecialistAvailabilityUpdatePayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "休日登録（本人）：本日以降の休日を指定した日付にする（3か月以内） (set the holidays from "
        "today on; within three months)"
    )
    async def specialist_holidays_set(
        self,
        info: Info,
        input: Annotated[
            SpecialistHolidaysSetInput,
            strawberry.argument(
                description="specialistHolidaysSet の入力 (specialistHolidaysSet input)"
            ),
        ],
    ) -> SpecialistHolidaysSetPayload:
        context = info.context
        _, errors = await _run(
            profile.set_holidays(
                context.principal,
                input.dates,
                now=context.loaders.now,
                request_id=context.request_id,
            )
        )
        specialist = await _specialist(info, _own(info))
        return SpecialistHolidaysSetPayload(specialist=specialist, user_errors=errors)

    @root_mutation(
        "支援機関の申請停止（事務局、理由と期間。新規の申請ができなくなる） (the secretariat "
        "suspends an organisation's new filings for a period, with a reason)"
    )
    async def support_organization_suspend(
        self,
        info: Info,
        input: Annotated[
            SupportOrganizationSuspendInput,
            strawberry.argument(
                description="supportOrganizationSuspend の入力 (supportOrganizationSuspend input)"
            ),
        ],
    ) -> SupportOrganizationSuspendPayload:
        pk = expect_id(input.organization_id, SupportOrganization, ("input", "organizationId"))
        context = info.context
        suspended, errors = await _run(
            registration.suspend_organization(
                context.principal,
                pk,
                input.suspended_from,
                input.suspended_until,
                input.reason,
                now=context.loaders.now,
                request_id=context.request_id,
            )
        )
        organization = None
        if suspended is not None:
            _clear(context.loaders.organizations, pk)
            organization = await SupportOrganization.load(info, pk)
        return SupportOrganizationSuspendPayload(organization=organization, user_errors=errors)
