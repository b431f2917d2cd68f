"""Every batch function of the read path (the DataLoader contract with schema/dataloaders.py).

Each takes ``(principal, keys)`` and returns a list aligned with ``keys``: by id ``dict | None``
(None = missing or out of scope, indistinguishable), by parent ``list[dict]`` or ``dict | None``.
Each batch is one SQL statement; scopes and masks are applied inside, so every entry point
sees the same rows and the same masks.
"""

from __future__ import annotations

from resolvers.case_loaders import (
    load_case_events_by_case,
    load_cases,
    load_check_events_by_case,
    load_documents,
    load_documents_by_case,
    load_evaluations,
    load_evaluations_by_case,
    load_issue_categories_by_case,
    load_latest_report_by_case,
    load_payment_by_case,
    load_payments,
    load_report_by_case,
    load_reports,
    load_signature_by_case,
    load_slots_by_case,
    load_travel_by_report,
    load_travel_lines_by_claim,
)
from resolvers.people_loaders import (
    load_areas_by_specialist,
    load_bank_account_by_specialist,
    load_bases_by_specialist,
    load_commissions_by_specialist,
    load_companies,
    load_evaluation_summary_by_specialist,
    load_expertise_by_specialist,
    load_holidays_by_specialist,
    load_industries_by_specialist,
    load_qualifications_by_specialist,
    load_specialists,
)
from resolvers.reference_loaders import (
    load_accounts,
    load_fiscal_configs,
    load_industries,
    load_issue_categories,
    load_offices,
    load_organizations,
    load_platforms,
    load_prefectures,
    load_prefectures_by_office,
    load_qualifications,
)
from resolvers.registration_loaders import (
    load_affiliations_by_specialist,
    load_commission_facts_by_specialist,
    load_photo_by_specialist,
)

__all__ = [
    "load_accounts",
    "load_affiliations_by_specialist",
    "load_areas_by_specialist",
    "load_bank_account_by_specialist",
    "load_bases_by_specialist",
    "load_case_events_by_case",
    "load_cases",
    "load_check_events_by_case",
    "load_commission_facts_by_specialist",
    "load_commissions_by_specialist",
    "load_companies",
    "load_documents",
    "load_documents_by_case",
    "load_evaluation_summary_by_specialist",
    "load_evaluations",
    "load_evaluations_by_case",
    "load_expertise_by_specialist",
    "load_fiscal_configs",
    "load_holidays_by_specialist",
    "load_industries",
    "load_industries_by_specialist",
    "load_issue_categories",
    "load_issue_categories_by_case",
    "load_latest_report_by_case",
    "load_offices",
    "load_organizations",
    "load_payment_by_case",
    "load_payments",
    "load_photo_by_specialist",
    "load_platforms",
    "load_prefectures",
    "load_prefectures_by_office",
    "load_qualifications",
    "load_qualifications_by_specialist",
    "load_report_by_case",
    "load_reports",
    "load_signature_by_case",
    "load_slots_by_case",
    "load_specialists",
    "load_travel_by_report",
    "load_travel_lines_by_claim",
]
