"""Deny by default (security.md §2): every root field declares who may call it."""

from __future__ import annotations

from typing import Any

import pytest

from auth.principal import ANONYMOUS
from models.settings import current_settings
from schema.context import Context
from schema.permissions import Authenticated, Public
from schema.root import build_schema
from tests.statements import counting_statements

SCHEMA = build_schema(current_settings())

#: Root fields anyone may call. Adding one here is a security decision: review it.
PUBLIC = {("Query", "viewer"), ("Mutation", "login"), ("Mutation", "logout"),
          ("Mutation", "refreshToken"),
          # A new applicant has no account yet (domain.md §10); validated and rate-limited.
          ("Mutation", "specialistApply")}  # fmt: skip


def root_fields() -> list[tuple[str, str, Any]]:
    fields = []
    for type_name in ("Query", "Mutation", "Subscription"):
        definition = SCHEMA.get_type_by_name(type_name)
        if definition is None:
            continue
        for field in definition.fields:  # type: ignore[union-attr]
            fields.append((type_name, SCHEMA.config.name_converter.get_graphql_name(field), field))
    return fields


def test_the_walk_sees_queries_and_mutations() -> None:
    names = {(t, f) for t, f, _ in root_fields()}
    assert ("Query", "cases") in names
    assert ("Mutation", "login") in names


@pytest.mark.parametrize("type_name,field_name,field", root_fields(), ids=lambda v: str(v))
def test_every_root_field_declares_its_permission(
    type_name: str, field_name: str, field: Any
) -> None:
    permissions = set(field.permission_classes or ())
    expected = Public if (type_name, field_name) in PUBLIC else Authenticated
    assert permissions == {expected}, (
        f"{type_name}.{field_name} has {permissions or 'no permission'}"
    )


NON_PUBLIC_QUERIES = {
    "node": 'node(id: "RGlzcGF0Y2hDYXNlOjE=") { id }',
    "nodes": 'nodes(ids: ["RGlzcGF0Y2hDYXNlOjE="]) { id }',
    "cases": "cases { totalCount }",
    "caseStatusCounts": "caseStatusCounts { status count }",
    "specialists": "specialists { totalCount }",
    "companies": "companies { totalCount }",
    "supportOrganizations": "supportOrganizations { totalCount }",
    "regionalPlatforms": "regionalPlatforms { id }",
    "regionalOffices": "regionalOffices { id }",
    "prefectures": "prefectures { id }",
    "issueCategories": "issueCategories { id }",
    "qualifications": "qualifications { id }",
    "industries": "industries { id }",
    "declineReasons": "declineReasons { id }",
    "cancelCategories": "cancelCategories { id }",
    "fiscalYearConfigs": "fiscalYearConfigs { pricePer30min }",
    "paymentBatches": "paymentBatches { totalCount }",
    "outboxMessages": "outboxMessages { totalCount }",
}


def test_the_anonymous_table_names_every_non_public_query() -> None:
    queries = {f for t, f, _ in root_fields() if t == "Query" and (t, f) not in PUBLIC}
    assert queries == set(NON_PUBLIC_QUERIES)


@pytest.mark.parametrize("field_name", sorted(NON_PUBLIC_QUERIES))
async def test_anonymous_callers_get_unauthenticated_before_any_sql(
    db: str, field_name: str
) -> None:
    context = Context(request=None, response=None, settings=current_settings(), principal=ANONYMOUS)
    with counting_statements() as statements:
        result = await SCHEMA.execute(
            "query { " + NON_PUBLIC_QUERIES[field_name] + " }", context_value=context
        )
    assert result.data is None or set(result.data.values()) == {None}
    assert result.errors is not None
    assert [e.extensions["code"] for e in result.errors] == ["UNAUTHENTICATED"]  # type: ignore[index]
    assert statements == []
