"""The assembled schema: root types merged from their groups, hardened by schema.extensions.

A new group of queries, mutations or subscriptions is added to ``QUERY_TYPES`` /
``MUTATION_TYPES`` / ``SUBSCRIPTION_TYPES``; the SDL in
``frontend-contract/schema.graphql`` is regenerated with ``haken export-schema`` (api.md §20).
"""

from __future__ import annotations

import strawberry
from strawberry.printer import print_schema
from strawberry.tools import merge_types

import schema.enums  # noqa: F401  (registers every domain enum before the types use them)
from models.settings import Settings
from schema.auth import AuthMutation
from schema.extensions import hardened_schema
from schema.mutations_case import CaseMutation
from schema.mutations_documents import DocumentMutation
from schema.mutations_money import MoneyMutation, MoneyQuery
from schema.mutations_registration import RegistrationMutation
from schema.mutations_report import ReportMutation
from schema.outbox import OutboxMutation, OutboxQuery
from schema.query import Query
from schema.subscriptions import CaseSubscription

QUERY_TYPES: tuple[type, ...] = (Query, OutboxQuery, MoneyQuery)
MUTATION_TYPES: tuple[type, ...] = (
    AuthMutation,
    CaseMutation,
    DocumentMutation,
    RegistrationMutation,
    OutboxMutation,
    ReportMutation,
    MoneyMutation,
)
SUBSCRIPTION_TYPES: tuple[type, ...] = (CaseSubscription,)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The production schema for ``settings`` (introspection and suggestions per mode)."""
    return hardened_schema(
        settings,
        query=merge_types("Query", QUERY_TYPES),
        mutation=merge_types("Mutation", MUTATION_TYPES),
        subscription=merge_types("Subscription", SUBSCRIPTION_TYPES),
    )


def export_sdl(schema: strawberry.Schema) -> str:
    """The schema's SDL exactly as committed (stable order, trailing newline)."""
    return print_schema(schema) + "\n"
