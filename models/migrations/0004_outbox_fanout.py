"""Notification fan-out: the expander's marker on ``domain_event`` and, on PostgreSQL, a
``pg_notify`` at commit for every new event (api.md §18, issue 5).

* ``domain_event.expanded_at`` (indexed): NULL until the notification expander has written the
  event's outbox rows, in the same transaction that sets it. Events already stored when this
  migration runs are marked expanded (their time has passed; no mail is sent for history).
* ``trg_domain_event_notify``: an ``AFTER INSERT`` row trigger calling ``pg_notify`` on the
  channel ``haken_domain_event`` with ``{"id", "kind", "case_id", "specialist_id", "version"}``.
  PostgreSQL delivers a notification only when the inserting transaction commits, so a rolled
  back change never reaches a subscriber. SQLite has no NOTIFY: the broker polls there.
"""

# ruff: noqa: RUF012 - Tortoise declares operations and dependencies as class lists.
from tortoise import fields, migrations

from models.migrations import _operations as ops

CHANNEL = "haken_domain_event"

POSTGRES_FUNCTION = f"""
CREATE FUNCTION notify_domain_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', json_build_object(
        'id', NEW.id,
        'kind', NEW.kind,
        'case_id', NEW.case_id,
        'specialist_id', NEW.specialist_id,
        'version', NEW.version
    )::text);
    RETURN NEW;
END;
$$
"""

POSTGRES_TRIGGER = (
    'CREATE TRIGGER "trg_domain_event_notify" AFTER INSERT ON "domain_event" '
    "FOR EACH ROW EXECUTE FUNCTION notify_domain_event()"
)

MARK_HISTORY = "UPDATE domain_event SET expanded_at = created_at WHERE expanded_at IS NULL"
# Tortoise 1.1.9's AddField does not create the index its db_index=True declares.
EXPANDED_INDEX = 'CREATE INDEX "ix_domain_event_expanded_at" ON "domain_event" ("expanded_at")'


class Migration(migrations.Migration):
    dependencies = [("models", "0003_search_indexes")]

    operations = [
        ops.AddField(
            model_name="DomainEvent",
            name="expanded_at",
            field=fields.DatetimeField(
                null=True, db_index=True, auto_now=False, auto_now_add=False
            ),
        ),
        ops.RunDialectSQL(
            {
                "postgres": [MARK_HISTORY, EXPANDED_INDEX, POSTGRES_FUNCTION, POSTGRES_TRIGGER],
                "sqlite": [MARK_HISTORY, EXPANDED_INDEX],
            },
            reverse_sql={
                "postgres": [
                    'DROP TRIGGER "trg_domain_event_notify" ON "domain_event"',
                    "DROP FUNCTION notify_domain_event()",
                    'DROP INDEX "ix_domain_event_expanded_at"',
                ],
                "sqlite": ['DROP INDEX "ix_domain_event_expanded_at"'],
            },
            description="Mark stored events expanded and notify subscribers of new ones",
        ),
    ]
