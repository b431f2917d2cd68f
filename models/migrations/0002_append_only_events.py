"""Make ``audit_event`` and ``case_event`` append-only in the database (security.md §7).

A row trigger refuses every UPDATE and DELETE, whoever the connected role is. The error is an
integrity violation on both databases (PostgreSQL SQLSTATE 23001 ``restrict_violation``, SQLite
``RAISE(ABORT)`` = SQLITE_CONSTRAINT_TRIGGER), which Tortoise raises as ``IntegrityError``.
Row triggers do not fire on ``TRUNCATE``: the PostgreSQL test harness empties tables with it.
"""

# ruff: noqa: RUF012 - Tortoise declares operations and dependencies as class lists.
from tortoise import migrations

from models.migrations import _operations as ops

APPEND_ONLY_TABLES = ("audit_event", "case_event")

POSTGRES_FUNCTION = """
CREATE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$
"""


def _postgres_trigger(table: str) -> str:
    return (
        f'CREATE TRIGGER "trg_{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
        "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()"
    )


def _sqlite_trigger(table: str, event: str) -> str:
    return (
        f'CREATE TRIGGER "trg_{table}_no_{event.lower()}" BEFORE {event} ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {event} refused'); END"
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [
        ops.RunDialectSQL(
            {
                "postgres": [
                    POSTGRES_FUNCTION,
                    *(_postgres_trigger(table) for table in APPEND_ONLY_TABLES),
                ],
                "sqlite": [
                    _sqlite_trigger(table, event)
                    for table in APPEND_ONLY_TABLES
                    for event in ("UPDATE", "DELETE")
                ],
            },
            reverse_sql={
                "postgres": [
                    *(f'DROP TRIGGER "trg_{t}_append_only" ON "{t}"' for t in APPEND_ONLY_TABLES),
                    "DROP FUNCTION refuse_append_only_change()",
                ],
                "sqlite": [
                    f'DROP TRIGGER "trg_{table}_no_{event.lower()}"'
                    for table in APPEND_ONLY_TABLES
                    for event in ("UPDATE", "DELETE")
                ],
            },
            description="Refuse UPDATE and DELETE on audit_event and case_event",
        ),
    ]
