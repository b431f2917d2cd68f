"""Deterministic demo data for development and demonstrations (``haken seed-demo``).

:func:`seed_demo` loads the master data, plans a complete demo world in memory — platforms,
support organisations, companies, specialists in every registration state, accounts for every
role, and dispatch cases in every status with their slots, audit trail, check-ins, reports,
travel claims, evaluations and payments — and bulk-inserts it in one transaction.

The plan is a pure function of ``(today, seed, scale)`` and the master data: one
``random.Random(seed)`` draws every choice and every instant is derived from ``today``. Demo
accounts use ``example.jp`` addresses only and share one password (:data:`DEMO_PASSWORD`).
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from auth.passwords import hash_password_sync
from models.accounts import UserAccount
from models.attendance import CheckEvent
from models.cases import CaseEvent, CaseSlot, DispatchCase, ReservationCounter
from models.companies import Company, CompanyLimitException
from models.documents import Document
from models.evaluations import Evaluation
from models.fiscal import FiscalYearConfig
from models.master_data import copy_fiscal_year, load_master_data
from models.organisations import RegionalPlatform, SupportOrganization
from models.payments import Payment, PaymentBatch
from models.reports import Report, ReportDraft, TravelClaim, TravelLine
from models.rules.fiscal_year import TOKYO, fiscal_year_of
from models.specialists import (
    Commission,
    Specialist,
    SpecialistAffiliation,
    SpecialistBasis,
    SpecialistHoliday,
    SpecialistQualification,
)
from server.demo_cases import plan_cases, write_cases
from server.demo_companies import build_companies, grant_demo_exception
from server.demo_people import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DemoAccount,
    build_organisations,
    build_secretariat,
)
from server.demo_plan import LINK_TABLES, DemoContext, DemoPlan, Ids, load_masters
from server.demo_reports import build_reports
from server.demo_specialists import add_next_year_commissions, build_holidays, build_specialists

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "DemoAccount",
    "DemoDataPresent",
    "plan_demo",
    "seed_demo",
]

#: Insert order: every row's foreign keys point at rows inserted before it.
MODEL_ORDER: tuple[type[Model], ...] = (
    RegionalPlatform, SupportOrganization, Company, Specialist, UserAccount, CompanyLimitException,
    SpecialistQualification, SpecialistBasis, SpecialistHoliday, SpecialistAffiliation, Commission,
    DispatchCase, CaseSlot, CaseEvent, CheckEvent, Document, Report, ReportDraft, TravelClaim,
    TravelLine, Evaluation, PaymentBatch, Payment,
)  # fmt: skip

BATCH_SIZE = 500


class DemoDataPresent(RuntimeError):
    """The demo accounts already exist: seeding twice would duplicate the demo world."""


def _today() -> date:
    return datetime.now(TOKYO).date()


async def _max_ids() -> dict[type[Model], int]:
    found: dict[type[Model], int] = {}
    for model in MODEL_ORDER:
        last = await model.all().order_by("-id").first().values_list("id", flat=True)
        found[model] = int(last) if last is not None else 0  # type: ignore[call-overload]
    return found


async def _ensure_fiscal_years(years: list[int]) -> None:
    """Fiscal-year settings for the demo's years, copied from the nearest configured year."""
    for fy in years:
        if await FiscalYearConfig.exists(fiscal_year=fy):
            continue
        configured = await FiscalYearConfig.all().values_list("fiscal_year", flat=True)
        source = min(configured, key=lambda year: abs(int(year) - fy))  # type: ignore[call-overload]
        await copy_fiscal_year(int(source), fy)  # type: ignore[call-overload]


async def plan_demo(
    *, today: date, seed: int = 2026, scale: float = 1.0, password_hash: str = ""
) -> DemoPlan:
    """The demo rows for ``(today, seed, scale)`` against the stored master data, not written."""
    ctx = DemoContext(
        today=today,
        rng=random.Random(seed),
        scale=scale,
        masters=await load_masters(),
        ids=Ids(await _max_ids()),
        plan=DemoPlan(),
        password_hash=password_hash,
    )
    ctx.plan.counters = dict(
        await ReservationCounter.all().values_list("fiscal_year", "last_sequence")
    )
    build_secretariat(ctx)
    build_organisations(ctx)
    build_companies(ctx)
    grant_demo_exception(ctx)
    build_specialists(ctx)
    for fy in sorted({fiscal_year_of(day) for day in ctx.days_between(1, 60)}):
        if fy > ctx.current_fy:
            add_next_year_commissions(ctx, fy)
    drafts = plan_cases(ctx)
    write_cases(ctx, drafts)
    build_reports(ctx, drafts)
    build_holidays(ctx)
    return ctx.plan


def _placeholders(conn: BaseDBAsyncClient, count: int) -> str:
    if conn.capabilities.dialect == "postgres":
        return ", ".join(f"${i}" for i in range(1, count + 1))
    return ", ".join("?" for _ in range(count))


async def _write(plan: DemoPlan) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with in_transaction() as conn:
        for model in MODEL_ORDER:
            rows = plan.rows.get(model, [])
            if rows:
                await model.bulk_create(rows, batch_size=BATCH_SIZE, using_db=conn)
            counts[model._meta.db_table] = len(rows)
        for table, pairs in plan.links.items():
            owner, target = LINK_TABLES[table]
            sql = f'INSERT INTO "{table}" ("{owner}", "{target}") VALUES ({_placeholders(conn, 2)})'
            await conn.execute_many(sql, [list(pair) for pair in pairs])
            counts[table] = len(pairs)
        for fy, last in sorted(plan.counters.items()):
            updated = (
                await ReservationCounter.filter(fiscal_year=fy)
                .using_db(conn)
                .update(last_sequence=last)
            )
            if not updated:
                await ReservationCounter.create(fiscal_year=fy, last_sequence=last, using_db=conn)
        counts[ReservationCounter._meta.db_table] = len(plan.counters)
        if conn.capabilities.dialect == "postgres":
            # Explicit keys leave the serial sequences behind; move them past the demo rows.
            for model in MODEL_ORDER:
                table = model._meta.db_table
                await conn.execute_query(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
                )
    return counts


async def seed_demo(
    *,
    today: date | None = None,
    seed: int = 2026,
    if_empty: bool = False,
    scale: float = 1.0,
) -> dict[str, int]:
    """Load master data and insert the demo world; returns the inserted rows per table.

    With ``if_empty`` nothing happens (and ``{}`` is returned) when any dispatch case exists.
    ``scale`` shrinks or grows the volumes (companies, specialists, cases); 1.0 gives ≥ 150
    companies, ≥ 60 specialists and ≥ 800 cases. Raises :class:`DemoDataPresent` when the demo
    accounts exist already.
    """
    await load_master_data()
    if if_empty and await DispatchCase.exists():
        return {}
    emails = [demo.email for demo in DEMO_ACCOUNTS]
    if await UserAccount.filter(email__in=emails).exists():
        raise DemoDataPresent("demo accounts already exist; use a fresh database")
    day = today or _today()
    fy = fiscal_year_of(day)
    await _ensure_fiscal_years([fy - 1, fy, fy + 1])
    password_hash = await asyncio.to_thread(hash_password_sync, DEMO_PASSWORD)
    plan = await plan_demo(today=day, seed=seed, scale=scale, password_hash=password_hash)
    return await _write(plan)
