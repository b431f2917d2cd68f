"""PostgreSQL indexes that keep each case search filter and sort fast on 1,000,000 cases.

Measured with ``python -m bench.search_1m`` (performance.md: any single filter p99 < 50 ms):

* ``ix_search_company_name_kana``: ``pg_trgm`` GIN on company.name_kana, so the company-name
  filter (name OR kana, ``ILIKE '%term%'``) is a BitmapOr of two trigram indexes instead of a
  sequential scan of every company.
* ``ix_search_payment_state``: payment (state, case_id) for the payment-state filter.
* ``ix_search_case_fy_received``: dispatch_case (fiscal_year, received_at, id), the exact keyset
  order of the default list (one fiscal year, newest first, id as tie-breaker). Without ``id`` in
  the index the planner walks the received_at index and filters the year out row by row.
* ``ix_search_case_dispatch_date`` and ``ix_search_case_fy_dispatch_date``: (dispatch_date, id)
  and (fiscal_year, dispatch_date, id) for the dispatch-date range filter and the DISPATCH_DATE
  keyset order (its non-NULL part; undecided dates follow in id order).
* ``ix_search_case_status_id``: (status, id) for the STATUS order, which reads one derived status
  after the other by id (the open statuses sit at the newest end of the id range).
* Statistics target 10000 (the maximum) on ``ix_search_case_text``'s expression: ANALYZE then
  keeps every token down to about 0.005 % of cases, so a token outside that list is estimated as
  rare and searched through the GIN index, while a common one is found by walking the newest
  cases. At the default target an unseen token looked like 0.2-0.5 % of all cases, and the
  planner walked all 1,000,000 cases (4 s) for a one-character keyword that matched nothing.
  ANALYZE of dispatch_case samples the whole table at this target (about 25 s per 1,000,000).

Every index is named ``ix_search_*`` (tests/test_migrations.py lists them); SQLite scans.
"""

# ruff: noqa: RUF012 - Tortoise declares operations and dependencies as class lists.
from tortoise import migrations

from models.migrations import _operations as ops

CASE_TEXT_INDEX = "ix_search_case_text"
INDEXES = {
    "ix_search_company_name_kana": 'ON "company" USING gin ("name_kana" gin_trgm_ops)',
    "ix_search_payment_state": 'ON "payment" ("state", "case_id")',
    "ix_search_case_fy_received": 'ON "dispatch_case" ("fiscal_year", "received_at", "id")',
    "ix_search_case_dispatch_date": 'ON "dispatch_case" ("dispatch_date", "id")',
    "ix_search_case_fy_dispatch_date": (
        'ON "dispatch_case" ("fiscal_year", "dispatch_date", "id")'
    ),
    "ix_search_case_status_id": 'ON "dispatch_case" ("status", "id")',
}


class Migration(migrations.Migration):
    dependencies = [("models", "0004_outbox_fanout")]

    operations = [
        ops.RunDialectSQL(
            {
                "postgres": [
                    *(f'CREATE INDEX "{name}" {body}' for name, body in INDEXES.items()),
                    f'ALTER INDEX "{CASE_TEXT_INDEX}" ALTER COLUMN 1 SET STATISTICS 10000',
                ],
                "sqlite": [],
            },
            reverse_sql={
                "postgres": [
                    f'ALTER INDEX "{CASE_TEXT_INDEX}" ALTER COLUMN 1 SET STATISTICS -1',
                    *(f'DROP INDEX "{name}"' for name in INDEXES),
                ],
                "sqlite": [],
            },
            description="Create the PostgreSQL keyset and search indexes of the case search",
        ),
    ]
