"""Demo specialists: profile, registration state, commissions, bank account, holidays."""

from __future__ import annotations

from datetime import date, timedelta

from models.bank import BankAccount, encrypt_bank_account
from models.master_data import QUALIFICATIONS
from models.rules.registration_status import Basis, RegistrationStatus
from models.rules.roles import Role
from models.specialists import (
    Commission,
    Specialist,
    SpecialistAffiliation,
    SpecialistBasis,
    SpecialistHoliday,
    SpecialistQualification,
)
from server.demo_names import (
    BANKS,
    BASIS_TEXTS,
    CAREER_FIELDS,
    CAREER_ROLES,
    DEMO_PREF,
    OTHER_QUALIFICATIONS,
    PLACES,
)
from server.demo_people import account, person
from server.demo_plan import DemoContext, SpecialistInfo, at

R = RegistrationStatus
#: Specialists outside the registered pool: two of each state before or after registration.
_UNREGISTERED = (R.DRAFT, R.PENDING_ORG_APPROVAL, R.PENDING_SECRETARIAT_APPROVAL, R.REJECTED,
                 R.REVOKED, R.WITHDRAWN) * 2  # fmt: skip

_PUBLIC_QUALIFICATIONS = ("SME_CONSULTANT", "TAX_ACCOUNTANT", "CPA", "LAWYER", "ENGINEER",
                          "LABOR_CONSULTANT", "ADMIN_SCRIVENER", "PATENT_ATTORNEY",
                          "JUDICIAL_SCRIVENER")  # fmt: skip
_QUALIFICATION_WEIGHTS = {"SME_CONSULTANT": 30, "TAX_ACCOUNTANT": 6, "CPA": 3, "LAWYER": 2,
                          "ENGINEER": 6, "LABOR_CONSULTANT": 6, "ADMIN_SCRIVENER": 4,
                          "PATENT_ATTORNEY": 2, "JUDICIAL_SCRIVENER": 1, "IT_COORDINATOR": 8,
                          "OTHER": 6}  # fmt: skip
_REASONS = {
    R.REJECTED: "登録要件（イ）の実務経験年数を確認できる資料が提出されなかったため。",
    R.REVOKED: "実績報告において派遣時間の虚偽記載が確認されたため、登録を取り消しました。",
    R.WITHDRAWN: "本人より登録辞退の申出があったため。",
}


def build_specialists(ctx: DemoContext) -> None:
    registered = max(14, round(58 * ctx.scale))
    states = [R.REGISTERED] * registered + list(_UNREGISTERED)
    weights = [4 if place.pref == DEMO_PREF else 1 for place in PLACES]
    for number, state in enumerate(states):
        place = PLACES[3] if number == 0 else ctx.rng.choices(PLACES, weights=weights)[0]
        _specialist(ctx, number, state, place.pref, place.cities[0].name)


def _commission_plan(ctx: DemoContext, number: int, registered_on: date) -> dict[int, str]:
    plan: dict[int, str] = {}
    previous_start = date(ctx.current_fy - 1, 4, 1)
    if registered_on < previous_start + timedelta(days=120):
        plan[ctx.current_fy - 1] = "ACTIVE"
    if number == 0 or number % 17 != 5:
        plan[ctx.current_fy] = "TERMS" if number % 10 == 3 else "ACTIVE"
    return plan


def _specialist(ctx: DemoContext, number: int, state: R, pref: int, city: str) -> None:
    rng, masters = ctx.rng, ctx.masters
    specialist_id = ctx.ids.next(Specialist)
    name, kana = person(ctx)
    email = "specialist@example.jp" if number == 0 else f"specialist{specialist_id:03d}@example.jp"
    same_office = [
        p.pref for p in PLACES if masters.office_of_pref[p.pref] == masters.office_of_pref[pref]
    ]
    areas = sorted({pref, *rng.sample(same_office, k=min(len(same_office), rng.randint(1, 3)))})
    if number == 0:
        areas = sorted({pref, 13, 14})
    days_off = rng.choices(((5, 6), (2, 5, 6), (0, 5, 6)), weights=(85, 10, 5))[0]
    narrow = number != 0 and rng.random() < 0.15
    codes = sorted(
        set(
            rng.choices(
                list(_QUALIFICATION_WEIGHTS),
                list(_QUALIFICATION_WEIGHTS.values()),
                k=rng.randint(1, 3),
            )
        )
    )
    if number == 0:
        codes = ["IT_COORDINATOR", "SME_CONSULTANT"]
    qualifications = [
        (code, rng.choice(OTHER_QUALIFICATIONS) if code == "OTHER" else "") for code in codes
    ]
    registered = state in (R.REGISTERED, R.REVOKED, R.WITHDRAWN)
    registered_on = ctx.today - timedelta(days=rng.randint(120, 1500) if number else 1400)
    submitted_on = registered_on - timedelta(days=rng.randint(10, 40))
    if not registered:
        submitted_on = ctx.today - timedelta(days=rng.randint(3, 40))
    org = rng.choice([o for o in ctx.orgs if o.pref == pref])
    field, role, years = rng.choice(CAREER_FIELDS), rng.choice(CAREER_ROLES), rng.randint(10, 30)
    career = (
        f"{field}で{role}として{years}年間勤務。{rng.randint(2005, 2020)}年に独立し、"
        f"{masters.pref_names[pref]}を中心に中小企業の経営課題の解決を支援している。"
    )
    commission = _commission_plan(ctx, number, registered_on) if state is R.REGISTERED else {}
    if state is R.REVOKED:
        commission = {ctx.current_fy - 1: "ACTIVE"}
    row = Specialist(
        id=specialist_id,
        name=name,
        name_kana=kana,
        email=email,
        phone=f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        prefecture_id=pref,
        address=f"{masters.pref_names[pref]}{city}",
        career=career,
        registration_status=state,
        recommending_org_id=None if state is R.DRAFT else org.id,
        terms_consented_at=None if state is R.DRAFT else at(submitted_on, 20),
        submitted_at=None if state is R.DRAFT else at(submitted_on, 20),
        registered_at=at(registered_on, 15) if registered else None,
        status_reason=_REASONS.get(state, ""),
        accepting_requests=number == 0 or rng.random() < 0.93,
        display_items=["PHOTO", "CAREER", "INDUSTRIES", "AREAS", "QUALIFICATIONS", "EVALUATIONS"][
            : 6 if rng.random() < 0.85 else 4
        ],
        available_from_min=600 if narrow else 540,
        available_to_min=960 if narrow else 1020,
        days_off=list(days_off),
        receives_public_subsidy=number == 7,
        created_at=at(submitted_on - timedelta(days=5), 19),
    )
    if state not in (R.DRAFT, R.REJECTED, R.REVOKED, R.WITHDRAWN):
        _bank_account(ctx, row, kana)
    ctx.plan.add(row)
    account_id = account(
        ctx,
        email,
        Role.SPECIALIST,
        name,
        specialist_id=specialist_id,
        created_days_ago=(ctx.today - submitted_on).days + 5,
    )
    _profile(ctx, specialist_id, qualifications, areas, field, role, years)
    affiliations = _affiliations(ctx, specialist_id, pref) if number != 0 else {}
    for fy, level in commission.items():
        _commission(ctx, specialist_id, fy, level, registered_on)
    if state is R.REGISTERED:
        ctx.specialists.append(
            SpecialistInfo(
                specialist_id,
                account_id,
                name,
                pref,
                areas,
                frozenset(days_off),
                commission,
                bool(row.accepting_requests),
                qualifications,
                number == 7,
                affiliations,
                city,
                since=registered_on + timedelta(days=20),
                weight=4 if number == 0 else 1,
            )
        )
        if number == 0:
            ctx.demo_specialist = specialist_id


def _bank_account(ctx: DemoContext, row: Specialist, kana: str) -> None:
    bank_code, bank_name, branches = ctx.rng.choice(BANKS)
    branch_code, branch_name = ctx.rng.choice(branches)
    bank = BankAccount(
        bank_code=bank_code,
        bank_name=bank_name,
        branch_code=branch_code,
        branch_name=branch_name,
        account_type="ORDINARY" if ctx.rng.random() < 0.9 else "CURRENT",
        account_number=f"{ctx.rng.randrange(10**7):07d}",
        holder_kana=kana.replace(" ", "\u3000"),
    )
    row.bank_account_ciphertext = encrypt_bank_account(bank)
    row.bank_account_last3 = bank.last3
    row.bank_account_updated_at = row.created_at


def _profile(
    ctx: DemoContext,
    specialist_id: int,
    qualifications: list[tuple[str, str]],
    areas: list[int],
    field: str,
    role: str,
    years: int,
) -> None:
    rng, masters = ctx.rng, ctx.masters
    for code, other in qualifications:
        ctx.plan.add(
            SpecialistQualification(
                id=ctx.ids.next(SpecialistQualification),
                specialist_id=specialist_id,
                qualification_id=masters.qualification_ids[code],
                other_name=other,
            )
        )
    public = [code for code, _ in qualifications if code in _PUBLIC_QUALIFICATIONS]
    bases = {Basis.A} if public else set()
    bases |= set(rng.sample([Basis.B, Basis.C, Basis.D], k=rng.randint(0 if public else 1, 2)))
    names = {code: name for code, name, _, _ in QUALIFICATIONS}
    for basis in sorted(bases):
        text = BASIS_TEXTS[basis.value].format(
            qualification=names.get(public[0], "") if public else "",
            field=field,
            role=role,
            years=years if basis is Basis.B else rng.randint(3, 12),
        )
        ctx.plan.add(
            SpecialistBasis(
                id=ctx.ids.next(SpecialistBasis),
                specialist_id=specialist_id,
                basis=basis,
                description=text,
            )
        )
    for code in rng.sample(sorted(masters.issue_ids), k=rng.randint(2, 4)):
        ctx.plan.link("specialist_expertise", specialist_id, masters.issue_ids[code])
    for code in rng.sample(sorted(masters.industry_ids)[:18], k=rng.randint(1, 3)):
        ctx.plan.link("specialist_industry", specialist_id, masters.industry_ids[code])
    for pref in areas:
        ctx.plan.link("specialist_area", specialist_id, pref)


def _affiliations(ctx: DemoContext, specialist_id: int, pref: int) -> dict[int, tuple[bool, bool]]:
    if ctx.rng.random() >= 0.35:
        return {}
    org = ctx.rng.choice([o for o in ctx.orgs if o.pref == pref])
    pays_salary = org.kind.value == "FINANCIAL_INSTITUTION" and ctx.rng.random() < 0.5
    is_member = not pays_salary
    ctx.plan.add(
        SpecialistAffiliation(
            id=ctx.ids.next(SpecialistAffiliation),
            specialist_id=specialist_id,
            organization_id=org.id,
            pays_salary=pays_salary,
            is_member=is_member,
        )
    )
    return {org.id: (pays_salary, is_member)}


def _commission(
    ctx: DemoContext, specialist_id: int, fy: int, level: str, registered: date
) -> None:
    terms = max(date(fy, 3, 10), registered + timedelta(days=3))
    terms = min(terms, ctx.today - timedelta(days=30))
    active = level == "ACTIVE"
    ctx.plan.add(
        Commission(
            id=ctx.ids.next(Commission),
            specialist_id=specialist_id,
            fiscal_year=fy,
            terms_accepted_at=at(terms, 21),
            letter_issued_at=at(terms + timedelta(days=7), 10) if active else None,
            acceptance_received_at=at(terms + timedelta(days=14), 11) if active else None,
        )
    )


def add_next_year_commissions(ctx: DemoContext, fiscal_year: int) -> None:
    """When future dispatches reach into the next fiscal year, active specialists have already
    agreed to its commission terms (dispatchable, not yet payable)."""
    for info in ctx.specialists:
        if info.commission.get(ctx.current_fy) == "ACTIVE" and fiscal_year not in info.commission:
            info.commission[fiscal_year] = "TERMS"
            ctx.plan.add(
                Commission(
                    id=ctx.ids.next(Commission),
                    specialist_id=info.id,
                    fiscal_year=fiscal_year,
                    terms_accepted_at=at(ctx.today - timedelta(days=3), 21),
                )
            )


def build_holidays(ctx: DemoContext) -> None:
    """休日登録 within the next three months, on days the specialist has nothing planned."""
    for info in ctx.specialists:
        days = [d for d in ctx.days_between(7, 85) if d not in info.used_dates]
        for day in sorted(ctx.rng.sample(days, k=min(len(days), ctx.rng.randint(0, 3)))):
            info.used_dates.add(day)
            ctx.plan.add(
                SpecialistHoliday(
                    id=ctx.ids.next(SpecialistHoliday), specialist_id=info.id, date=day
                )
            )
