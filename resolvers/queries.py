"""Root lists of the read API (the contract with schema/query.py), all scoped.

Case search lives in :mod:`resolvers.case_queries`, people and reference lists in
:mod:`resolvers.people_queries`; this module re-exports both.
"""

from __future__ import annotations

from models.rules.search import bigrams
from resolvers.case_queries import (
    CaseFilter,
    CaseOrderField,
    SortDirection,
    case_status_counts,
    count_cases,
    refresh_search_text,
    search_cases,
)
from resolvers.people_queries import (
    CompanyFilter,
    MasterKind,
    OrganizationFilter,
    SpecialistFilter,
    count_companies,
    count_organizations,
    count_specialists,
    list_companies,
    list_fiscal_configs,
    list_masters,
    list_offices,
    list_organizations,
    list_platforms,
    list_prefectures,
    list_specialists,
    viewer_row,
)

__all__ = [
    "CaseFilter",
    "CaseOrderField",
    "CompanyFilter",
    "MasterKind",
    "OrganizationFilter",
    "SortDirection",
    "SpecialistFilter",
    "bigrams",
    "case_status_counts",
    "count_cases",
    "count_companies",
    "count_organizations",
    "count_specialists",
    "list_companies",
    "list_fiscal_configs",
    "list_masters",
    "list_offices",
    "list_organizations",
    "list_platforms",
    "list_prefectures",
    "list_specialists",
    "refresh_search_text",
    "search_cases",
    "viewer_row",
]
