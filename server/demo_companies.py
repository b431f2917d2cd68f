"""Demo companies (企業): names, corporate numbers, addresses, members, the demo company."""

from __future__ import annotations

from datetime import timedelta

from models.companies import Company, CompanyLimitException
from models.rules.roles import Role
from server.demo_names import (
    COMPANY_CORES,
    COMPANY_SUFFIXES,
    DEMO_PREF,
    PLACES,
    Place,
    corporate_number,
)
from server.demo_people import account, person
from server.demo_plan import CompanyInfo, DemoContext, at


def build_companies(ctx: DemoContext) -> None:
    """Companies in every platform's prefecture; most registered by a member organisation."""
    total = max(40, round(190 * ctx.scale))
    names: set[str] = {"株式会社さいたま精工"}
    numbers: set[str] = set()
    weights = [3 if place.pref == DEMO_PREF else 1 for place in PLACES]
    places = [PLACES[i] for i in sorted(range(len(PLACES)), key=lambda i: -weights[i])]
    chosen = places + ctx.rng.choices(PLACES, weights=weights, k=total - len(places))
    for number, place in enumerate(chosen):
        orgs = [o for o in ctx.orgs if o.pref == place.pref]
        if number == 0:
            _company(
                ctx, place, "株式会社さいたま精工", "サイタマセイコウ", "E", ctx.demo_org, numbers
            )
            continue
        while True:
            core, core_kana = ctx.rng.choice(COMPANY_CORES)
            suffix, suffix_kana, industry = ctx.rng.choice(COMPANY_SUFFIXES)
            form = ctx.rng.choices(
                ("株式会社", "有限会社", "合同会社", "株式会社_"), (55, 20, 5, 20)
            )[0]
            name = f"{core}{suffix}株式会社" if form == "株式会社_" else f"{form}{core}{suffix}"
            if name not in names:
                names.add(name)
                break
        registered_by = ctx.rng.choice(orgs).id if ctx.rng.random() < 0.85 else None
        _company(ctx, place, name, core_kana + suffix_kana, industry, registered_by, numbers)


def _company(
    ctx: DemoContext,
    place: Place,
    name: str,
    kana: str,
    industry: str,
    registered_by: int | None,
    numbers: set[str],
) -> None:
    rng = ctx.rng
    company_id = ctx.ids.next(Company)
    city = rng.choice(place.cities)
    pref_name = ctx.masters.pref_names[place.pref]
    address = f"{pref_name}{city.name}{city.town}{rng.randint(1, 6)}-{rng.randint(1, 25)}-{rng.randint(1, 30)}"
    number = None
    if rng.random() < 0.88 or registered_by == ctx.demo_org:
        while number is None or number in numbers:
            number = corporate_number(rng.randrange(10**11, 10**12))
        numbers.add(number)
    representative, _ = person(ctx)
    capital = (
        3_000_000
        if name.startswith("有限会社")
        else rng.choice(
            (1_000_000, 5_000_000, 10_000_000, 20_000_000, 30_000_000, 50_000_000, 80_000_000)
        )
    )
    info = CompanyInfo(
        company_id,
        name,
        place.pref,
        ctx.masters.office_of_pref[place.pref],
        registered_by,
        address,
        city.name,
        round(city.lat + rng.uniform(-0.015, 0.015), 6),
        round(city.lng + rng.uniform(-0.015, 0.015), 6),
        representative=representative,
    )
    is_demo = not ctx.companies
    if is_demo:
        ctx.demo_company = company_id
    member = ""
    if is_demo or registered_by is None or rng.random() < 0.2:
        member, _ = person(ctx)
        email = "company@example.jp" if is_demo else f"company{company_id:03d}@example.jp"
        info.member = account(
            ctx, email, Role.COMPANY, member, company_id=company_id, created_days_ago=600
        )
    ctx.plan.add(
        Company(
            id=company_id,
            name=name,
            name_kana=kana,
            user_name=member,
            corporate_number=number,
            prefecture_id=place.pref,
            postal_code=city.postal,
            address=address,
            representative=representative,
            industry_id=ctx.masters.industry_ids[industry],
            employee_count=rng.choice((3, 5, 8, 12, 18, 25, 40, 60, 95, 150, 240)),
            capital_yen=capital,
            phone=f"{city.area_code}-{rng.randint(200, 899)}-{rng.randint(1000, 9999)}",
            registered_by_id=registered_by,
            created_at=at(ctx.today - timedelta(days=rng.randint(420, 1100)), 11),
        )
    )
    ctx.companies.append(info)


def grant_demo_exception(ctx: DemoContext) -> None:
    """The demo company's limit is raised for the current year, so it shows every status."""
    ctx.plan.add(
        CompanyLimitException(
            id=ctx.ids.next(CompanyLimitException),
            company_id=ctx.demo_company,
            fiscal_year=ctx.current_fy,
            extra=3,
            reason="新製品の量産立ち上げに伴い、生産管理とIT化の継続支援が必要なため。",
            granted_by_id=ctx.office_account(ctx.masters.office_of_pref[DEMO_PREF]),
            granted_at=at(ctx.today - timedelta(days=60), 15),
        )
    )
