from datetime import date

import pytest

from models.fiscal import FiscalYearConfig
from models.geo import Prefecture, RegionalOffice
from models.master_data import copy_fiscal_year, load_master_data
from models.masters import CancelCategory, DeclineReason, Industry, IssueCategory, Qualification
from models.rules.errors import NotFound, ValidationErrors


async def _office_code_of(prefecture: str) -> str:
    pref = await Prefecture.get(name=prefecture).prefetch_related("office")
    return pref.office.code


async def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "offices": await RegionalOffice.all()
        .order_by("id")
        .values_list("id", "code", "name", "email", "phone", "postal_code", "address"),
        "prefectures": await Prefecture.all().order_by("id").values_list("id", "name", "office_id"),
        "issues": await IssueCategory.all()
        .order_by("id")
        .values_list("id", "code", "name", "is_it", "requires_detail"),
        "qualifications": await Qualification.all()
        .order_by("id")
        .values_list("id", "code", "requires_name"),
        "industries": await Industry.all().order_by("id").values_list("id", "code", "name"),
        "declines": await DeclineReason.all().order_by("id").values_list("id", "code"),
        "cancels": await CancelCategory.all().order_by("id").values_list("id", "code"),
        "fiscal": await FiscalYearConfig.all()
        .order_by("id")
        .values_list("id", "fiscal_year", "price_per_30min", "daily_cap", "last_dispatch_day"),
    }


async def test_master_data_has_every_office_and_prefecture(db: str) -> None:
    # when
    await load_master_data()

    # then
    assert await RegionalOffice.all().count() == 8
    assert await Prefecture.all().count() == 47
    assert await _office_code_of("新潟県") == "KANTO"
    assert await _office_code_of("山梨県") == "KANTO"
    assert await _office_code_of("長野県") == "KANTO"
    assert await _office_code_of("静岡県") == "KANTO"
    assert await _office_code_of("福井県") == "KINKI"
    assert await _office_code_of("沖縄県") == "KYUSHU"
    assert await _office_code_of("北海道") == "HOKKAIDO"
    assert (await Prefecture.get(id=13)).name == "東京都"
    kanto = await RegionalOffice.get(code="KANTO")
    assert kanto.phone == "048-783-2891"
    assert kanto.email == "nw_kantou@pasona.co.jp"
    assert kanto.postal_code == "330-0802"
    assert "尾熊ビル4F" in kanto.address
    assert (await RegionalOffice.get(code="KYUSHU")).name == "九州・沖縄事務局"


async def test_master_lists_carry_their_flags(db: str) -> None:
    # when
    await load_master_data()

    # then
    assert await IssueCategory.all().count() == 13
    assert [c.name for c in await IssueCategory.filter(is_it=True)] == ["IT・デジタル化"]
    assert [c.name for c in await IssueCategory.filter(requires_detail=True)] == [
        "その他の経営課題"
    ]
    assert await Qualification.all().count() == 11
    assert [q.name for q in await Qualification.filter(requires_name=True)] == ["その他"]
    assert await Industry.all().count() == 20
    assert (await Industry.get(code="E")).name == "製造業"
    assert await DeclineReason.all().count() == 5
    assert await CancelCategory.all().count() == 5


async def test_fiscal_years_have_rates_limits_and_last_dispatch_day(db: str) -> None:
    # when
    await load_master_data()

    # then
    configs = await FiscalYearConfig.all().order_by("fiscal_year")
    assert [c.fiscal_year for c in configs] == [2025, 2026, 2027]
    assert [c.last_dispatch_day for c in configs] == [
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
    assert {
        (c.price_per_30min, c.daily_cap, c.company_limit, c.company_limit_it) for c in configs
    } == {(2640, 31680, 3, 5)}
    assert configs[0].per_diem == 2200


async def test_loading_twice_changes_nothing(db: str) -> None:
    # given
    await load_master_data()
    before = await _snapshot()

    # when
    await load_master_data()

    # then
    assert await _snapshot() == before


async def test_loading_restores_a_renamed_row_but_keeps_edited_fiscal_settings(db: str) -> None:
    # given
    await load_master_data()
    await IssueCategory.filter(code="IT").update(name="IT")
    await FiscalYearConfig.filter(fiscal_year=2026).update(per_diem=3000)

    # when
    await load_master_data()

    # then
    assert (await IssueCategory.get(code="IT")).name == "IT・デジタル化"
    assert (await FiscalYearConfig.get(fiscal_year=2026)).per_diem == 3000
    assert await IssueCategory.all().count() == 13


async def test_copy_fiscal_year_copies_settings_and_moves_the_last_dispatch_day(db: str) -> None:
    # given
    await load_master_data()
    await FiscalYearConfig.filter(fiscal_year=2027).update(lodging=12000, company_limit=4)

    # when
    copied = await copy_fiscal_year(2027, 2028)

    # then
    stored = await FiscalYearConfig.get(fiscal_year=2028)
    assert stored.id == copied.id
    assert stored.lodging == 12000
    assert stored.company_limit == 4
    assert stored.price_per_30min == 2640
    assert stored.last_dispatch_day == date(2029, 2, 28)


async def test_copy_fiscal_year_refuses_a_missing_source_or_an_existing_target(db: str) -> None:
    # given
    await load_master_data()

    # then
    with pytest.raises(NotFound):
        await copy_fiscal_year(2019, 2020)
    with pytest.raises(ValidationErrors) as refused:
        await copy_fiscal_year(2025, 2026)
    assert refused.value.errors[0].code == "DUPLICATE"
