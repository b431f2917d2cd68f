"""Batch functions for the case aggregate: one SQL statement per batch, scoped and masked.

By-id loaders apply the aggregate's scope in SQL (out of scope = missing). By-case loaders are
called for a case already in scope; their masks need the case's specialist and office, which
come from a join in the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.expressions import Q, Subquery

from auth.principal import Principal
from auth.scoping import (
    READ_REPORTS,
    can_see_evaluation_comments,
    can_see_gps,
    can_see_money,
    case_scope,
    evaluation_scope,
    payment_scope,
    report_scope,
    specialist_scope,
)
from models.attendance import CheckEvent, Signature
from models.cases import CaseEvent, CaseSlot, DispatchCase
from models.documents import Document
from models.evaluations import Evaluation
from models.masters import IssueCategory
from models.payments import Payment
from models.reports import Report, TravelClaim, TravelLine
from models.rules.money_kinds import DocumentKind
from models.rules.roles import Role
from models.specialists import Specialist
from resolvers.batching import Row, columns, distinct, int_keys, many_per_key, one_per_key
from resolvers.case_rows import CASE_FIELDS, mask_case_row

#: Joined columns naming a child's case for the masks (popped from the returned rows).
CASE_OF = {"_case_specialist_id": "case__specialist_id", "_case_office_id": "case__office_id"}

GPS_FIELDS = ("lat", "lng", "accuracy_m", "distance_m")


def _case_of(row: Row, prefix: str = "_case_") -> dict[str, Any]:
    """Pop the joined case columns off ``row`` into a minimal case row for the masks."""
    return {
        "specialist_id": row.pop(f"{prefix}specialist_id"),
        "office_id": row.pop(f"{prefix}office_id"),
    }


def _reports_visible(principal: Principal) -> bool:
    return principal.role is not Role.PARTNER or READ_REPORTS in principal.scopes


def _mask_report(principal: Principal, row: Row) -> Row:
    """The note to the secretariat and the check-in anomalies are not for companies/partners;
    the anomalies (derived from GPS) follow the GPS rule."""
    case = _case_of(row)
    if principal.role in (Role.COMPANY, Role.PARTNER):
        row["comment_to_secretariat"] = ""
    if not can_see_gps(principal, case):
        row["anomalies"] = []
    return row


def _mask_evaluation(principal: Principal, row: Row) -> Row:
    if not can_see_evaluation_comments(principal, row):
        row["comment"] = ""
    return row


# ---------------------------------------------------------------- by id


async def load_cases(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    ids = int_keys(keys)
    rows = await DispatchCase.filter(case_scope(principal), id__in=distinct(ids)).values(
        *CASE_FIELDS
    )
    return one_per_key((mask_case_row(principal, row) for row in rows), ids)


async def load_reports(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    ids = int_keys(keys)
    rows = await Report.filter(report_scope(principal), id__in=distinct(ids)).values(
        *columns(Report), **CASE_OF
    )
    return one_per_key((_mask_report(principal, row) for row in rows), ids)


async def load_evaluations(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    ids = int_keys(keys)
    rows = await Evaluation.filter(evaluation_scope(principal), id__in=distinct(ids)).values(
        *columns(Evaluation)
    )
    return one_per_key((_mask_evaluation(principal, row) for row in rows), ids)


def document_scope(principal: Principal) -> Q:
    """Documents of cases in scope and of specialists in scope. Signature images only for those
    who see GPS (the case's specialist and secretariat, whose case scope is exactly that);
    companies and partner tokens see a specialist's photo only, never certificates or letters."""
    in_scope = Q(case_id__in=Subquery(DispatchCase.filter(case_scope(principal)).values("id")))
    specialists = Specialist.filter(specialist_scope(principal)).values("id")
    if principal.role in (Role.COMPANY, Role.PARTNER):
        in_scope |= Q(specialist_id__in=Subquery(specialists), kind=DocumentKind.PHOTO)
    else:
        in_scope |= Q(specialist_id__in=Subquery(specialists))
    if principal.role not in (Role.SPECIALIST, Role.SECRETARIAT):
        in_scope &= ~Q(kind=DocumentKind.SIGNATURE)
    if principal.account_id is not None:
        # An upload not yet attached is visible to whoever uploaded it (as the download route).
        in_scope |= Q(uploaded_by_id=principal.account_id)
    return in_scope


async def load_documents(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Documents by id; a photo a specialist hides from companies (表示項目選択) is missing."""
    ids = int_keys(keys)
    rows = await Document.filter(document_scope(principal), id__in=distinct(ids)).values(
        *columns(Document), _display_items="specialist__display_items"
    )
    visible = []
    for row in rows:
        display = row.pop("_display_items")
        if principal.role is Role.COMPANY and row["kind"] is DocumentKind.PHOTO:
            if row["case_id"] is None and "PHOTO" not in (display or []):
                continue
        visible.append(row)
    return one_per_key(visible, ids)


# ---------------------------------------------------------------- by case (case in scope)


async def load_slots_by_case(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    ids = int_keys(keys)
    rows = (
        await CaseSlot.filter(case_id__in=distinct(ids))
        .order_by("round", "kind", "position")
        .values(*columns(CaseSlot))
    )
    return many_per_key(rows, ids, "case_id")


async def load_case_events_by_case(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """The case history, oldest first; ``secret_payload`` is ``{}`` unless secretariat."""
    ids = int_keys(keys)
    rows = (
        await CaseEvent.filter(case_id__in=distinct(ids))
        .order_by("at", "id")
        .values(*columns(CaseEvent))
    )
    if principal.role is not Role.SECRETARIAT:
        for row in rows:
            row["secret_payload"] = {}
    return many_per_key(rows, ids, "case_id")


async def load_check_events_by_case(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """Check-in/out; coordinates, accuracy and distance are None unless :func:`can_see_gps`."""
    ids = int_keys(keys)
    rows = (
        await CheckEvent.filter(case_id__in=distinct(ids))
        .order_by("server_time", "id")
        .values(*columns(CheckEvent), **CASE_OF)
    )
    for row in rows:
        if not can_see_gps(principal, _case_of(row)):
            row.update(dict.fromkeys(GPS_FIELDS))
            row["flags"] = []
    return many_per_key(rows, ids, "case_id")


async def load_issue_categories_by_case(
    principal: Principal, keys: Sequence[int]
) -> list[list[Row]]:
    ids = int_keys(keys)
    rows = await IssueCategory.filter(cases__id__in=distinct(ids)).values(
        *columns(IssueCategory), _case_id="cases__id"
    )
    return many_per_key(rows, ids, "_case_id")


async def load_evaluations_by_case(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """Evaluations of a case; ``comment`` is "" where :func:`can_see_evaluation_comments` says no."""
    ids = int_keys(keys)
    if principal.role is Role.PARTNER:
        return [[] for _ in ids]
    rows = (
        await Evaluation.filter(case_id__in=distinct(ids))
        .order_by("submitted_at", "id")
        .values(*columns(Evaluation))
    )
    return many_per_key((_mask_evaluation(principal, row) for row in rows), ids, "case_id")


async def load_documents_by_case(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """Documents of a case; the signature image only for those who see GPS."""
    ids = int_keys(keys)
    rows = (
        await Document.filter(case_id__in=distinct(ids))
        .order_by("created_at", "id")
        .values(*columns(Document), **CASE_OF)
    )
    visible = [
        row
        for row in rows
        if can_see_gps(principal, _case_of(row)) or row["kind"] is not DocumentKind.SIGNATURE
    ]
    return many_per_key(visible, ids, "case_id")


async def load_report_by_case(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """The submitted report (a Report row exists only once submitted; drafts are separate)."""
    ids = int_keys(keys)
    if not _reports_visible(principal):
        return [None for _ in ids]
    rows = await Report.filter(case_id__in=distinct(ids)).values(*columns(Report), **CASE_OF)
    return one_per_key((_mask_report(principal, row) for row in rows), ids, "case_id")


load_latest_report_by_case = load_report_by_case


async def load_travel_by_report(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """The travel claim of a report; None unless :func:`can_see_money`."""
    ids = int_keys(keys)
    rows = await TravelClaim.filter(report_id__in=distinct(ids)).values(
        *columns(TravelClaim),
        _case_specialist_id="report__case__specialist_id",
        _case_office_id="report__case__office_id",
    )
    visible = [row for row in rows if can_see_money(principal, _case_of(row))]
    return one_per_key(visible, ids, "report_id")


async def load_travel_lines_by_claim(principal: Principal, keys: Sequence[int]) -> list[list[Row]]:
    """Fare lines of a travel claim; empty unless :func:`can_see_money`."""
    ids = int_keys(keys)
    rows = (
        await TravelLine.filter(claim_id__in=distinct(ids))
        .order_by("position")
        .values(
            *columns(TravelLine),
            _case_specialist_id="claim__report__case__specialist_id",
            _case_office_id="claim__report__case__office_id",
        )
    )
    visible = [row for row in rows if can_see_money(principal, _case_of(row))]
    return many_per_key(visible, ids, "claim_id")


async def load_payments(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Payments by id, scoped by ``payment_scope`` (never a company)."""
    ids = int_keys(keys)
    rows = await Payment.filter(payment_scope(principal), id__in=distinct(ids)).values(
        *columns(Payment), **CASE_OF
    )
    visible = [row for row in rows if can_see_money(principal, _case_of(row))]
    return one_per_key(visible, ids)


async def load_payment_by_case(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Honorarium, withholding, travel, total and state; None unless :func:`can_see_money`."""
    ids = int_keys(keys)
    if principal.role is Role.COMPANY:
        return [None for _ in ids]
    rows = await Payment.filter(case_id__in=distinct(ids)).values(*columns(Payment), **CASE_OF)
    visible = [row for row in rows if can_see_money(principal, _case_of(row))]
    return one_per_key(visible, ids, "case_id")


async def load_signature_by_case(principal: Principal, keys: Sequence[int]) -> list[Row | None]:
    """Signer and time for everyone who sees the case; ``image_id`` None unless GPS-entitled."""
    ids = int_keys(keys)
    rows = await Signature.filter(case_id__in=distinct(ids)).values(*columns(Signature), **CASE_OF)
    for row in rows:
        if not can_see_gps(principal, _case_of(row)):
            row["image_id"] = None
    return one_per_key(rows, ids, "case_id")
