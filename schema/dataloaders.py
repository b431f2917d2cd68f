"""Per-request DataLoaders: one per batch function of resolvers.loaders, bound to the principal.

Created lazily by ``Context.loaders`` once per request, so caches never outlive the request and
never mix principals. Every loader returns plain rows already scoped and masked for that
principal; a ``None`` is "missing or out of scope", indistinguishable by design.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast

from strawberry.dataloader import DataLoader

from auth.principal import Principal
from resolvers import loaders as batch
from resolvers import money_loaders as money
from resolvers import payments, reports
from resolvers.queries import list_masters

T = TypeVar("T")
Row = dict[str, Any]
MasterKind = Literal[
    "issue_categories", "qualifications", "industries", "decline_reasons", "cancel_categories"
]


class Loaders:
    """The request's loaders; attribute names are the batch functions without ``load_``."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        # One clock reading per request, so every derived status in one response agrees.
        self.now = datetime.now(UTC)

        def bind(
            fn: Callable[[Principal, Sequence[int]], Awaitable[list[T]]],
        ) -> DataLoader[int, T]:
            async def load(keys: list[int]) -> list[T]:
                return await fn(principal, keys)

            return DataLoader(load_fn=load)

        # By id: dict | None.
        self.cases: DataLoader[int, Row | None] = bind(batch.load_cases)
        self.specialists: DataLoader[int, Row | None] = bind(batch.load_specialists)
        self.companies: DataLoader[int, Row | None] = bind(batch.load_companies)
        self.organizations: DataLoader[int, Row | None] = bind(batch.load_organizations)
        self.platforms: DataLoader[int, Row | None] = bind(batch.load_platforms)
        self.offices: DataLoader[int, Row | None] = bind(batch.load_offices)
        self.prefectures: DataLoader[int, Row | None] = bind(batch.load_prefectures)
        self.reports: DataLoader[int, Row | None] = bind(batch.load_reports)
        self.evaluations: DataLoader[int, Row | None] = bind(batch.load_evaluations)
        self.documents: DataLoader[int, Row | None] = bind(batch.load_documents)
        self.fiscal_configs: DataLoader[int, Row | None] = bind(batch.load_fiscal_configs)
        self.issue_categories: DataLoader[int, Row | None] = bind(batch.load_issue_categories)
        self.qualifications: DataLoader[int, Row | None] = bind(batch.load_qualifications)
        self.industries: DataLoader[int, Row | None] = bind(batch.load_industries)
        self.accounts: DataLoader[int, Row | None] = bind(batch.load_accounts)
        # By parent id: list[dict].
        self.slots_by_case: DataLoader[int, list[Row]] = bind(batch.load_slots_by_case)
        self.case_events_by_case: DataLoader[int, list[Row]] = bind(batch.load_case_events_by_case)
        self.check_events_by_case: DataLoader[int, list[Row]] = bind(
            batch.load_check_events_by_case
        )
        self.issue_categories_by_case: DataLoader[int, list[Row]] = bind(
            batch.load_issue_categories_by_case
        )
        self.evaluations_by_case: DataLoader[int, list[Row]] = bind(batch.load_evaluations_by_case)
        self.documents_by_case: DataLoader[int, list[Row]] = bind(batch.load_documents_by_case)
        self.travel_lines_by_claim: DataLoader[int, list[Row]] = bind(
            batch.load_travel_lines_by_claim
        )
        self.qualifications_by_specialist: DataLoader[int, list[Row]] = bind(
            batch.load_qualifications_by_specialist
        )
        self.bases_by_specialist: DataLoader[int, list[Row]] = bind(batch.load_bases_by_specialist)
        self.expertise_by_specialist: DataLoader[int, list[Row]] = bind(
            batch.load_expertise_by_specialist
        )
        self.industries_by_specialist: DataLoader[int, list[Row]] = bind(
            batch.load_industries_by_specialist
        )
        self.areas_by_specialist: DataLoader[int, list[Row]] = bind(batch.load_areas_by_specialist)
        self.holidays_by_specialist: DataLoader[int, list[Row]] = bind(
            batch.load_holidays_by_specialist
        )
        self.commissions_by_specialist: DataLoader[int, list[Row]] = bind(
            batch.load_commissions_by_specialist
        )
        self.prefectures_by_office: DataLoader[int, list[Row]] = bind(
            batch.load_prefectures_by_office
        )
        self.commission_facts_by_specialist: DataLoader[int, list[Row]] = bind(
            batch.load_commission_facts_by_specialist
        )
        self.affiliations_by_specialist: DataLoader[int, list[Row]] = bind(
            batch.load_affiliations_by_specialist
        )
        # By parent id: dict | None.
        self.report_by_case: DataLoader[int, Row | None] = bind(batch.load_report_by_case)
        self.travel_by_report: DataLoader[int, Row | None] = bind(batch.load_travel_by_report)
        self.payment_by_case: DataLoader[int, Row | None] = bind(batch.load_payment_by_case)
        self.signature_by_case: DataLoader[int, Row | None] = bind(batch.load_signature_by_case)
        self.latest_report_by_case: DataLoader[int, Row | None] = bind(
            batch.load_latest_report_by_case
        )
        self.evaluation_summary_by_specialist: DataLoader[int, Row | None] = bind(
            batch.load_evaluation_summary_by_specialist
        )
        self.bank_account_by_specialist: DataLoader[int, Row | None] = bind(
            batch.load_bank_account_by_specialist
        )
        self.photo_by_specialist: DataLoader[int, Row | None] = bind(batch.load_photo_by_specialist)

        # Reports, honoraria, payments (issue 4): money computed on read, see
        # resolvers.money_loaders; the payment rows reuse the request's money facts.
        self.money_by_case: DataLoader[int, Any] = bind(money.load_money_by_case)
        self.report_draft_by_case: DataLoader[int, Row | None] = bind(
            reports.load_report_draft_by_case
        )
        self.corrections_by_line: DataLoader[int, list[Row]] = bind(
            reports.load_corrections_by_line
        )
        self.payment_batches: DataLoader[int, Row | None] = bind(payments.load_payment_batches)
        self.payments_by_batch: DataLoader[int, list[Row]] = bind(payments.load_payments_by_batch)

        async def load_payment_states(keys: list[int]) -> list[Row | None]:
            return await money.payment_rows_for(await self.money_by_case.load_many(keys))

        self.payment_state_by_case: DataLoader[int, Row | None] = DataLoader(
            load_fn=load_payment_states
        )

        # Small master lists without a by-id batch function (decline reasons, cancel
        # categories): read once per request and kind, then looked up in memory.
        async def load_masters(kinds: list[str]) -> list[list[Row]]:
            return list(await asyncio.gather(*(list_masters(cast(MasterKind, k)) for k in kinds)))

        self.masters: DataLoader[str, list[Row]] = DataLoader(load_fn=load_masters)

    async def master(self, kind: MasterKind, pk: int | None) -> Row | None:
        """One row of a master list by id (``None`` for ``None`` or an unknown id)."""
        if pk is None:
            return None
        for row in await self.masters.load(kind):
            if row["id"] == pk:
                return row
        return None
