"""Specialists (with bank account, evaluation summary, commissions …) and companies.

Companies see a specialist's profile only as far as the specialist's display selection
(表示項目選択) allows (domain.md §11): hidden items read as ``null`` or an empty list.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from auth.scoping import can_see_private_profile, registration_actors, visible_profile_fields
from models.rules.dispatchability import CommissionFacts, is_dispatchable, is_payable
from models.rules.fiscal_year import current_fiscal_year
from models.rules.registration import (
    DisplayItem,
    RegistrationAction,
    RegistrationFacts,
    available_registration_actions,
)
from models.rules.registration_status import Basis, RegistrationStatus
from models.rules.roles import Role
from resolvers.pagination import PageArgs
from schema import enums as _enums  # noqa: F401  (registers the domain enums)
from schema.relay import After, Before, Connection, First, Last, RowNode, resolved
from schema.types.availability import DayAvailability, specialist_calendar
from schema.types.masters import Industry, IssueCategory, Qualification
from schema.types.organisation import Prefecture, SupportOrganization
from schema.types.report import Document, Evaluation, evaluations_of

_BANK_FIELDS = (
    "bank_code",
    "bank_name",
    "branch_code",
    "branch_name",
    "account_type",
    "account_number",
    "holder_kana",
    "masked",
)


def _visible(info: strawberry.Info, root: Any, item: str) -> bool:
    return item in visible_profile_fields(info.context.principal, root.__dict__)


FiscalYearArg = Annotated[
    int | None,
    strawberry.argument(
        description="年度（省略時は今年度） (fiscal year; default the current one)"
    ),
]


async def _registration_facts(
    info: strawberry.Info, root: Any, fiscal_year: int | None
) -> RegistrationFacts:
    """The stored registration plus that fiscal year's commission (domain.md §3)."""
    stored = RegistrationStatus(root.__dict__["registration_status"])
    year = current_fiscal_year(info.context.loaders.now) if fiscal_year is None else fiscal_year
    commission = None
    if stored is RegistrationStatus.REGISTERED:
        rows = await info.context.loaders.commission_facts_by_specialist.load(root.id)
        for row in rows:
            if row["fiscal_year"] == year:
                commission = CommissionFacts(
                    terms_accepted=row["terms_accepted"],
                    letter_issued=row["letter_issued"],
                    acceptance_received=row["acceptance_received"],
                )
    return RegistrationFacts(stored, commission)


@strawberry.type(description="振込先口座 (bank account; masked unless entitled)")
class BankAccount:
    bank_code: str = strawberry.field(description="金融機関コード (bank code, 4 digits)")
    bank_name: str = strawberry.field(description="金融機関名 (bank name)")
    branch_code: str = strawberry.field(description="支店コード (branch code, 3 digits)")
    branch_name: str = strawberry.field(description="支店名 (branch name)")
    account_type: str = strawberry.field(description="預金種目 (account type)")
    account_number: str = strawberry.field(
        description="口座番号（非権限者には下3桁のみ） (account number, last 3 digits if masked)"
    )
    holder_kana: str = strawberry.field(description="口座名義（カナ） (holder name in kana)")
    masked: bool = strawberry.field(description="マスク済みか (whether values are masked)")


@strawberry.type(description="評価の集計 (evaluation averages of a specialist)")
class EvaluationSummary:
    count: int = strawberry.field(description="評価件数 (number of evaluations)")
    satisfaction: float | None = strawberry.field(description="満足度の平均 (mean satisfaction)")
    expertise: float | None = strawberry.field(description="専門性の平均 (mean expertise)")
    clarity: float | None = strawberry.field(description="分かりやすさの平均 (mean clarity)")
    responsiveness: float | None = strawberry.field(description="対応の平均 (mean responsiveness)")
    overall: float | None = strawberry.field(description="総合平均 (overall mean)")


@strawberry.type(description="委嘱（年度ごと） (commission of one fiscal year)")
class Commission(RowNode):
    fiscal_year: int = strawberry.field(description="年度 (fiscal year)")
    terms_accepted_at: datetime | None = strawberry.field(
        description="委嘱条件への同意日時 (terms accepted at)"
    )
    letter_issued_at: datetime | None = strawberry.field(
        description="委嘱状の発行日時 (commission letter issued at)"
    )
    acceptance_received_at: datetime | None = strawberry.field(
        description="就任承諾書の受領日時 (acceptance letter received at)"
    )


@strawberry.type(description="保有資格 (a qualification held)")
class SpecialistQualification(RowNode):
    other_name: str = strawberry.field(description="資格名（その他の場合） (name when 'other')")
    qualification_id: strawberry.Private[int]
    certificate_id: strawberry.Private[int | None]

    @resolved(description="資格 (qualification)")
    async def qualification(self, info: strawberry.Info) -> Qualification | None:
        return await Qualification.load(info, self.qualification_id)

    @resolved(
        description="資格の証明書（本人・支援機関・事務局のみ） (certificate file; the "
        "specialist, platform staff and the secretariat only)"
    )
    async def certificate(self, info: strawberry.Info) -> Document | None:
        return await Document.load(info, self.__dict__.get("certificate_id"))


@strawberry.type(
    description="所属（謝金対象外の判定に使用） (affiliation used by the ineligibility rules)"
)
class SpecialistAffiliation(RowNode):
    pays_salary: bool = strawberry.field(
        description="給与等を受けているか (the organisation pays a salary)"
    )
    is_member: bool = strawberry.field(description="会員等として所属しているか (member)")
    organization_id: strawberry.Private[int]

    @resolved(description="支援機関 (support organisation)")
    async def organization(self, info: strawberry.Info) -> SupportOrganization | None:
        return await SupportOrganization.load(info, self.organization_id)


@strawberry.type(description="登録要件 ア–エ とその根拠 (registration basis with evidence)")
class SpecialistBasis(RowNode):
    basis: Basis = strawberry.field(description="要件 (basis)")
    description: str = strawberry.field(description="根拠の説明 (evidence text)")


@strawberry.type(description="専門家 (specialist)")
class Specialist(RowNode, relay.Node):
    LOADER = "specialists"
    id: relay.NodeID[int]
    name: str = strawberry.field(description="氏名 (name)")
    name_kana: str = strawberry.field(description="氏名カナ (name in kana)")
    email: str = strawberry.field(
        description="メールアドレス（企業には空） (e-mail; empty for companies)"
    )
    phone: str = strawberry.field(description="電話番号（企業には空） (phone; empty for companies)")
    postal_code: str = strawberry.field(
        description="郵便番号（企業には空） (postal code; empty for companies)"
    )
    address: str = strawberry.field(description="住所（企業には空） (address; empty for companies)")
    registered_at: datetime | None = strawberry.field(description="登録日時 (registered at)")
    submitted_at: datetime | None = strawberry.field(
        description="登録申請日時（企業には null） (submitted at; null for companies)"
    )
    terms_consented_at: datetime | None = strawberry.field(
        description="利用規約への同意日時（企業には null） (terms of use consented at)"
    )
    status_reason: str = strawberry.field(
        description="差戻し・不承認・取消・辞退の理由（企業には空） (reason of the last "
        "return, rejection, revocation or withdrawal; empty for companies)"
    )
    receives_public_subsidy: bool | None = strawberry.field(
        description="国・自治体から人件費補助を受けているか（企業には null） (receives a public "
        "personnel-cost subsidy; null for companies)"
    )
    accepting_requests: bool = strawberry.field(
        description="依頼を受け付けているか (accepting requests)"
    )
    available_from_min: int = strawberry.field(
        description="対応可能開始時刻（0時からの分） (daily availability start, minutes)"
    )
    available_to_min: int = strawberry.field(
        description="対応可能終了時刻（0時からの分） (daily availability end, minutes)"
    )
    days_off: list[int] = strawberry.field(
        description="定休曜日（月曜 = 0） (weekdays off, Monday = 0)"
    )
    off_on_national_holidays: bool = strawberry.field(
        description="祝日を休みとするか (off on national holidays)"
    )
    prefecture_id: strawberry.Private[int]
    recommending_org_id: strawberry.Private[int | None]

    @resolved(description="居住都道府県 (prefecture of residence)")
    async def prefecture(self, info: strawberry.Info) -> Prefecture | None:
        return await Prefecture.load(info, self.prefecture_id)

    @resolved(description="推薦支援機関 (recommending support organisation)")
    async def recommending_organization(self, info: strawberry.Info) -> SupportOrganization | None:
        return await SupportOrganization.load(info, self.recommending_org_id)

    @resolved(description="経歴（表示項目選択に従う） (career text, per display selection)")
    def career(self, info: strawberry.Info) -> str | None:
        return str(self.__dict__["career"]) if _visible(info, self, "CAREER") else None

    @resolved(
        description="登録状態（年度ごと：委嘱条件同意・就任承諾はその年度の委嘱による） "
        "(registration state in a fiscal year)"
    )
    async def registration_status(
        self, info: strawberry.Info, fiscal_year: FiscalYearArg = None
    ) -> RegistrationStatus:
        return (await _registration_facts(info, self, fiscal_year)).effective

    @resolved(
        description="その年度の派遣依頼ができるか（委嘱条件同意済または就任承諾済） "
        "(can be requested for a dispatch in the fiscal year)"
    )
    async def dispatchable(self, info: strawberry.Info, fiscal_year: FiscalYearArg = None) -> bool:
        facts = await _registration_facts(info, self, fiscal_year)
        return is_dispatchable(facts.status, facts.commission)

    @resolved(
        description="その年度の謝金を支払えるか（就任承諾書の受領済。未受領なら保留）（企業には "
        "null） (honoraria payable in the fiscal year; held until the acceptance letter)"
    )
    async def payable(
        self, info: strawberry.Info, fiscal_year: FiscalYearArg = None
    ) -> bool | None:
        if not can_see_private_profile(info.context.principal, self.id):
            return None
        facts = await _registration_facts(info, self, fiscal_year)
        return is_payable(facts.status, facts.commission)

    @resolved(description="閲覧者が今できる登録の操作 (registration steps the viewer may take now)")
    async def available_registration_actions(
        self, info: strawberry.Info, fiscal_year: FiscalYearArg = None
    ) -> list[RegistrationAction]:
        principal = info.context.principal
        if principal.role not in (Role.SPECIALIST, Role.PLATFORM, Role.SECRETARIAT):
            return []
        facts = await _registration_facts(info, self, fiscal_year)
        prefecture = await Prefecture.load(info, self.prefecture_id)
        office_id = None if prefecture is None else prefecture.office_id
        actors = registration_actors(principal, self.__dict__, office_id)
        return available_registration_actions(facts, actors)

    @resolved(description="表示項目選択 (items shown to companies)")
    def display_items(self) -> list[DisplayItem]:
        chosen = set(self.__dict__.get("display_items") or [])
        return [item for item in DisplayItem if item.value in chosen]

    @resolved(description="プロフィール写真（表示項目選択に従う） (photo, per display selection)")
    async def photo(self, info: strawberry.Info) -> Document | None:
        row = await info.context.loaders.photo_by_specialist.load(self.id)
        return Document.from_row(row)

    @resolved(
        description="所属（本人・支援機関・事務局のみ） (affiliations; the specialist, platform "
        "staff and the secretariat only)"
    )
    async def affiliations(self, info: strawberry.Info) -> list[SpecialistAffiliation]:
        rows = await info.context.loaders.affiliations_by_specialist.load(self.id)
        return SpecialistAffiliation.from_rows(rows)

    @resolved(description="専門分野（支援課題） (expertise: issue categories)")
    async def expertise(self, info: strawberry.Info) -> list[IssueCategory]:
        rows = await info.context.loaders.expertise_by_specialist.load(self.id)
        return IssueCategory.from_rows(rows)

    @resolved(description="得意業種（表示項目選択に従う） (industries, per display selection)")
    async def industries(self, info: strawberry.Info) -> list[Industry]:
        if not _visible(info, self, "INDUSTRIES"):
            return []
        return Industry.from_rows(await info.context.loaders.industries_by_specialist.load(self.id))

    @resolved(description="対応地域（表示項目選択に従う） (areas covered, per display selection)")
    async def areas(self, info: strawberry.Info) -> list[Prefecture]:
        if not _visible(info, self, "AREAS"):
            return []
        return Prefecture.from_rows(await info.context.loaders.areas_by_specialist.load(self.id))

    @resolved(description="保有資格（表示項目選択に従う） (qualifications, per display selection)")
    async def qualifications(self, info: strawberry.Info) -> list[SpecialistQualification]:
        if not _visible(info, self, "QUALIFICATIONS"):
            return []
        rows = await info.context.loaders.qualifications_by_specialist.load(self.id)
        return SpecialistQualification.from_rows(rows)

    @resolved(description="登録要件 (registration bases ア–エ)")
    async def bases(self, info: strawberry.Info) -> list[SpecialistBasis]:
        return SpecialistBasis.from_rows(
            await info.context.loaders.bases_by_specialist.load(self.id)
        )

    @resolved(description="休日登録 (registered days off)")
    async def holidays(self, info: strawberry.Info) -> list[date]:
        rows = await info.context.loaders.holidays_by_specialist.load(self.id)
        return [row["date"] for row in rows]

    @resolved(
        description="日ごとの依頼可否と空き時間帯（92日以内） (selectable days and free windows, "
        "at most 92 days)"
    )
    async def availability(
        self,
        info: strawberry.Info,
        from_: Annotated[
            date, strawberry.argument(name="from", description="開始日 (first day, inclusive)")
        ],
        to: Annotated[date, strawberry.argument(description="終了日 (last day, inclusive)")],
    ) -> list[DayAvailability]:
        return await specialist_calendar(info, self.id, from_, to)

    @resolved(description="委嘱（年度ごと） (commissions per fiscal year)")
    async def commissions(self, info: strawberry.Info) -> list[Commission]:
        rows = await info.context.loaders.commissions_by_specialist.load(self.id)
        return Commission.from_rows(rows)

    @resolved(
        description="評価の集計（表示項目選択に従う） (evaluation averages, per display selection)"
    )
    async def evaluation_summary(self, info: strawberry.Info) -> EvaluationSummary | None:
        if not _visible(info, self, "EVALUATIONS"):
            return None
        row = await info.context.loaders.evaluation_summary_by_specialist.load(self.id)
        return None if row is None else EvaluationSummary(**row)

    @resolved(
        description="評価（新しい順。コメントは本人・地域PF・事務局、企業は自社が書いた評価のみ） "
        "(evaluations, newest first: comments for the specialist, platforms and the secretariat; "
        "a company sees only the ones it wrote)"
    )
    async def evaluations(
        self,
        info: strawberry.Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Evaluation]:
        return await evaluations_of(info, self.id, PageArgs(first, after, last, before))

    @resolved(
        description="振込先口座（本人・事務局は全体、地域PFは下3桁、企業には非表示） "
        "(bank account: full for self and secretariat, masked for platforms, absent for companies)"
    )
    async def bank_account(self, info: strawberry.Info) -> BankAccount | None:
        if info.context.principal.role not in (Role.SPECIALIST, Role.PLATFORM, Role.SECRETARIAT):
            return None
        row = await info.context.loaders.bank_account_by_specialist.load(self.id)
        if row is None:
            return None
        return BankAccount(**{name: row[name] for name in _BANK_FIELDS})


@strawberry.type(description="企業 (company, an SME)")
class Company(RowNode, relay.Node):
    LOADER = "companies"
    id: relay.NodeID[int]
    name: str = strawberry.field(description="企業名 (company name)")
    name_kana: str = strawberry.field(description="企業名カナ (name in kana)")
    user_name: str = strawberry.field(
        description="ミラサポ会員のユーザー名 (Mirasapo member user name)"
    )
    corporate_number: str | None = strawberry.field(description="法人番号 (corporate number)")
    postal_code: str = strawberry.field(description="郵便番号 (postal code)")
    address: str = strawberry.field(description="所在地 (address)")
    representative: str = strawberry.field(description="代表者 (representative)")
    employee_count: int | None = strawberry.field(description="従業員数 (employees)")
    capital_yen: int | None = strawberry.field(
        description="資本金（円、中小企業は3億円以下） (capital, yen; an SME is at most 300M)"
    )
    phone: str = strawberry.field(description="電話番号 (phone)")
    prefecture_id: strawberry.Private[int]
    industry_id: strawberry.Private[int | None]
    registered_by_id: strawberry.Private[int | None]

    @resolved(description="都道府県 (prefecture)")
    async def prefecture(self, info: strawberry.Info) -> Prefecture | None:
        return await Prefecture.load(info, self.prefecture_id)

    @resolved(description="業種 (industry)")
    async def industry(self, info: strawberry.Info) -> Industry | None:
        return await Industry.load(info, self.industry_id)

    @resolved(description="登録した支援機関 (registering support organisation)")
    async def registered_by(self, info: strawberry.Info) -> SupportOrganization | None:
        return await SupportOrganization.load(info, self.registered_by_id)
