"""PostgreSQL search indexes (no-op on SQLite, where searches scan).

Name search: ``pg_trgm`` GIN indexes serve ``ILIKE '%term%'`` (and ``%``/``similarity``) on
company.name, company.user_name, specialist.name, specialist.name_kana,
support_organization.name and regional_platform.name.

Keyword search over cases: ``dispatch_case.search_text`` holds the space-separated character
bigrams of title, description and report text. ``ix_search_case_text`` is a GIN index on the
expression ``string_to_array(search_text, ' ')``; a query uses it when it repeats that
expression verbatim and asks for containment of the keyword's bigrams::

    SELECT id FROM dispatch_case
    WHERE string_to_array(search_text, ' ') @> $1::text[]   -- $1 = ARRAY['経営', '営改', '改善']

(array containment matches every bigram exactly; a ``to_tsvector`` index would run the bigrams
through the text-search parser, which splits and folds some of them).

Every object created here is named ``ix_search_*``; the extension stays on rollback.
"""

# ruff: noqa: RUF012 - Tortoise declares operations and dependencies as class lists.
from tortoise import migrations

from models.migrations import _operations as ops

TRIGRAM_COLUMNS = (
    ("company", "name"),
    ("company", "user_name"),
    ("specialist", "name"),
    ("specialist", "name_kana"),
    ("support_organization", "name"),
    ("regional_platform", "name"),
)
CASE_TEXT_INDEX = "ix_search_case_text"


def _trigram_index(table: str, column: str) -> str:
    return (
        f'CREATE INDEX "ix_search_{table}_{column}" ON "{table}" '
        f'USING gin ("{column}" gin_trgm_ops)'
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0002_append_only_events")]

    operations = [
        ops.RunDialectSQL(
            {
                "postgres": [
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                    *(_trigram_index(table, column) for table, column in TRIGRAM_COLUMNS),
                    f'CREATE INDEX "{CASE_TEXT_INDEX}" ON "dispatch_case" '
                    "USING gin (string_to_array(search_text, ' '))",
                ],
                "sqlite": [],
            },
            reverse_sql={
                "postgres": [
                    *(f'DROP INDEX "ix_search_{t}_{c}"' for t, c in TRIGRAM_COLUMNS),
                    f'DROP INDEX "{CASE_TEXT_INDEX}"',
                ],
                "sqlite": [],
            },
            description="Create the PostgreSQL search indexes",
        ),
    ]
