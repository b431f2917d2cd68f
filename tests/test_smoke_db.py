from models.geo import Prefecture, RegionalOffice


async def test_database_starts_empty_and_accepts_rows(db: str) -> None:
    assert await Prefecture.all().count() == 0
    office = await RegionalOffice.create(
        code="KANTO",
        name="関東事務局",
        email="a@example.jp",
        phone="0",
        postal_code="0",
        address="x",
    )
    await Prefecture.create(id=13, name="東京都", office=office)
    assert await Prefecture.filter(office=office).count() == 1
