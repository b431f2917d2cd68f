"""Migration operations that close two gaps of Tortoise 1.1.9's schema editors.

Migration files import this module as ``ops`` instead of ``tortoise.migrations.operations``:
every Tortoise operation is re-exported unchanged, two are added or replaced.

``CreateModel``
    Tortoise records ``Meta.constraints`` in the migration state but its ``create_model`` never
    emits them, and ``AddConstraint`` cannot help on SQLite (no ``ALTER TABLE … ADD CONSTRAINT``;
    its table rebuild drops the indexes and composite unique constraints). This subclass writes
    every ``CheckConstraint`` of the model into the ``CREATE TABLE`` statement itself, on every
    dialect. The migration state is the one of Tortoise's ``CreateModel``, so ``tortoise
    makemigrations`` keeps reporting no changes. A generated migration that creates a model with
    check constraints must import this module as ``ops``; ``tests/test_migrations.py`` fails
    while a declared check constraint is missing from the database.

``RunDialectSQL``
    Raw SQL per dialect (``"postgres"``, ``"sqlite"``), state unchanged. Each statement runs on
    its own and unsplit, so trigger and function bodies may contain ``;`` (the SQLite schema
    editor splits on ``;``). A dialect missing from the mapping is an error, an empty sequence is
    a deliberate no-op.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tortoise.migrations.constraints import CheckConstraint
from tortoise.migrations.exceptions import TortoiseMigrationError
from tortoise.migrations.operations import *  # noqa: F403 - the module stands in for Tortoise's
from tortoise.migrations.operations import CreateModel as _TortoiseCreateModel
from tortoise.migrations.operations import TortoiseOperation
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state import State


class CreateModel(_TortoiseCreateModel):  # type: ignore[no-redef]  # replaces the star import
    """Tortoise's ``CreateModel`` whose ``CREATE TABLE`` carries the model's check constraints."""

    async def database_forward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        if not state_editor:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.name}")
        checks = [
            state_editor.CHECK_CONSTRAINT_CREATE_TEMPLATE.format(name=c.name, check=c.check)
            for c in model._meta.constraints or ()
            if isinstance(c, CheckConstraint)
        ]
        if not checks:
            await state_editor.create_model(model)
            return
        # create_model() appends _get_inner_statements() to the column definitions; the editor
        # offers no other hook into the table body.
        inner = state_editor._get_inner_statements
        state_editor._get_inner_statements = lambda: [*inner(), *checks]  # type: ignore[method-assign]
        try:
            await state_editor.create_model(model)
        finally:
            del state_editor._get_inner_statements


class RunDialectSQL(TortoiseOperation):
    """Run one list of SQL statements per dialect; the migration state is left unchanged."""

    reduces_to_sql = True

    def __init__(
        self,
        sql: Mapping[str, Sequence[str]],
        reverse_sql: Mapping[str, Sequence[str]] | None = None,
        *,
        description: str = "Run dialect SQL",
    ) -> None:
        self.sql = sql
        self.reverse_sql = reverse_sql
        self.description = description
        self.reversible = reverse_sql is not None

    def describe(self) -> str:
        return self.description

    async def database_forward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        if state_editor:
            await self._execute(state_editor, self.sql)

    async def database_backward(
        self,
        app_label: str,
        old_state: State,
        new_state: State,
        state_editor: BaseSchemaEditor | None = None,
    ) -> None:
        if not state_editor:
            return
        if self.reverse_sql is None:
            raise TortoiseMigrationError(f"{self.description}: irreversible, no reverse SQL")
        await self._execute(state_editor, self.reverse_sql)

    async def _execute(
        self, state_editor: BaseSchemaEditor, sql: Mapping[str, Sequence[str]]
    ) -> None:
        dialect = state_editor.DIALECT
        if dialect not in sql:
            raise TortoiseMigrationError(f"{self.description}: no SQL for dialect {dialect!r}")
        for statement in sql[dialect]:
            if state_editor.collect_sql:
                state_editor.collected_sql.append(statement)
            elif dialect == "sqlite":
                # execute_script() would COMMIT the migration's transaction (executescript).
                await state_editor.client.execute_query(statement)
            else:
                await state_editor.client.execute_script(statement)
