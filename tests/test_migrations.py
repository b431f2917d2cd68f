"""The committed migrations build exactly the models' schema, and nothing drifts.

* the autodetector finds no model change that lacks a migration;
* the live schema (read back from the database catalogue) equals the one the models declare:
  tables, columns with NOT NULL, check constraints by name, unique sets, foreign keys, indexes;
  the only objects beyond the models are the append-only triggers and the ``ix_search_*`` indexes;
* migrating again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.relational import ForeignKeyFieldInstance, ManyToManyFieldInstance
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.constraints import CheckConstraint
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.loader import MigrationLoader
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.db import tortoise_config
from models.migrate import migrate_database

Columns = dict[str, bool]  # column -> NOT NULL
ForeignKey = tuple[str, str, str]  # column, referenced table, ON DELETE action


@dataclass
class Schema:
    columns: dict[str, Columns] = field(default_factory=dict)
    checks: dict[str, set[str]] = field(default_factory=dict)
    uniques: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    foreign_keys: dict[str, set[ForeignKey]] = field(default_factory=dict)
    indexes: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    search_indexes: set[str] = field(default_factory=set)
    triggers: set[tuple[str, str]] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    extensions: set[str] = field(default_factory=set)


RECORDER_TABLE = "tortoise_migrations"
APPEND_ONLY = ("audit_event", "case_event")
#: What the RunSQL migrations add beyond the models, per dialect.
EXTRA_OBJECTS = {
    "postgres": Schema(
        search_indexes={
            "ix_search_case_text",
            "ix_search_company_name",
            "ix_search_company_user_name",
            "ix_search_regional_platform_name",
            "ix_search_specialist_name",
            "ix_search_specialist_name_kana",
            "ix_search_support_organization_name",
            "ix_search_company_name_kana",
            "ix_search_payment_state",
            "ix_search_case_fy_received",
            "ix_search_case_dispatch_date",
            "ix_search_case_fy_dispatch_date",
            "ix_search_case_status_id",
        },
        triggers={(t, f"trg_{t}_append_only") for t in APPEND_ONLY}
        | {("domain_event", "trg_domain_event_notify")},
        functions={"refuse_append_only_change", "notify_domain_event"},
        extensions={"plpgsql", "pg_trgm"},
    ),
    "sqlite": Schema(
        triggers={(t, f"trg_{t}_no_{op}") for t in APPEND_ONLY for op in ("update", "delete")},
    ),
}


def _dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def _column(model: type[Model], name: str) -> str:
    found = model._meta.fields_map.get(name)
    return (found.source_field or name) if found is not None else name


def _expected_schema(dialect: str) -> Schema:
    """The schema the models declare, plus the RunSQL objects of ``dialect``."""
    extra = EXTRA_OBJECTS[dialect]
    schema = Schema(
        search_indexes=set(extra.search_indexes),
        triggers=set(extra.triggers),
        functions=set(extra.functions),
        extensions=set(extra.extensions),
    )
    for model in Tortoise.apps["models"].values():
        meta = model._meta
        table = meta.db_table
        columns: Columns = {}
        uniques: set[tuple[str, ...]] = set()
        indexes: set[tuple[str, ...]] = set()
        for name, column in meta.fields_db_projection.items():
            column_field = meta.fields_map[name]
            columns[column] = column_field.pk or not column_field.null
            if column_field.unique and not column_field.pk:
                uniques.add((column,))
            elif column_field.index and not column_field.pk:
                indexes.add((column,))
        uniques |= {tuple(_column(model, f) for f in group) for group in meta.unique_together}
        indexes |= {tuple(_column(model, f) for f in group) for group in meta.indexes}
        foreign_keys: set[ForeignKey] = set()
        for name in meta.fk_fields | meta.o2o_fields:
            fk = meta.fields_map[name]
            assert isinstance(fk, ForeignKeyFieldInstance) and fk.source_field
            foreign_keys.add((fk.source_field, fk.related_model._meta.db_table, str(fk.on_delete)))
        for name in meta.m2m_fields:
            m2m = meta.fields_map[name]
            assert isinstance(m2m, ManyToManyFieldInstance)
            if m2m._generated:
                continue
            keys = (m2m.backward_key, m2m.forward_key)
            schema.columns[m2m.through] = dict.fromkeys(keys, True)
            schema.checks[m2m.through] = set()
            schema.uniques[m2m.through] = {keys} if m2m.unique else set()
            schema.indexes[m2m.through] = set()
            schema.foreign_keys[m2m.through] = {
                (m2m.backward_key, table, "CASCADE"),
                (m2m.forward_key, m2m.related_model._meta.db_table, "CASCADE"),
            }
        schema.columns[table] = columns
        schema.checks[table] = {c.name for c in meta.constraints if isinstance(c, CheckConstraint)}
        schema.uniques[table] = uniques
        schema.indexes[table] = indexes
        schema.foreign_keys[table] = foreign_keys
    return schema


PG_ON_DELETE = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


async def _postgres_schema(conn: BaseDBAsyncClient) -> Schema:
    schema = Schema()
    in_schema = "n.nspname = current_schema()"
    for row in await conn.execute_query_dict(
        "SELECT c.relname AS tbl, a.attname AS col, a.attnotnull AS notnull FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        f" WHERE c.relkind = 'r' AND {in_schema} AND a.attnum > 0 AND NOT a.attisdropped"
    ):
        schema.columns.setdefault(row["tbl"], {})[row["col"]] = row["notnull"]
    for table in schema.columns:
        for bucket in (schema.checks, schema.uniques, schema.foreign_keys, schema.indexes):
            bucket.setdefault(table, set())
    for row in await conn.execute_query_dict(
        "SELECT c.relname AS tbl, k.conname AS name, k.contype::text AS kind, k.confdeltype::text AS ondel,"
        " (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[1])"
        " AS col, r.relname AS ref FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class r ON r.oid = k.confrelid"
        f" WHERE {in_schema} AND k.contype IN ('c', 'f')"
    ):
        if row["kind"] == "c":
            schema.checks[row["tbl"]].add(row["name"])
        else:
            schema.foreign_keys[row["tbl"]].add(
                (row["col"], row["ref"], PG_ON_DELETE[row["ondel"]])
            )
    for row in await conn.execute_query_dict(
        "SELECT c.relname AS tbl, i.relname AS name, x.indisunique AS uniq, ARRAY(SELECT a.attname"
        " FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, pos) JOIN pg_attribute a"
        " ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.pos) AS cols,"
        " x.indexprs IS NOT NULL AS expr FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid"
        " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        f" WHERE {in_schema} AND NOT x.indisprimary"
    ):
        if row["name"].startswith("ix_search_"):
            schema.search_indexes.add(row["name"])
        elif row["expr"]:
            schema.indexes[row["tbl"]].add((row["name"],))
        else:
            bucket = schema.uniques if row["uniq"] else schema.indexes
            bucket[row["tbl"]].add(tuple(row["cols"]))
    for row in await conn.execute_query_dict(
        "SELECT c.relname AS tbl, t.tgname AS name FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
    ):
        schema.triggers.add((row["tbl"], row["name"]))
    for row in await conn.execute_query_dict(
        "SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        f" WHERE {in_schema} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid"
        " AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e')"
    ):
        schema.functions.add(row["name"])
    rows = await conn.execute_query_dict("SELECT extname FROM pg_extension")
    schema.extensions = {row["extname"] for row in rows}
    return schema


CHECK_NAME = re.compile(r'CONSTRAINT\s+"([^"]+)"\s+CHECK', re.IGNORECASE)


async def _sqlite_schema(conn: BaseDBAsyncClient) -> Schema:
    schema = Schema()
    for entry in await conn.execute_query_dict(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ):
        if entry["type"] == "trigger":
            schema.triggers.add((entry["tbl_name"], entry["name"]))
        if entry["type"] != "table":
            continue
        table = entry["name"]
        rows = await conn.execute_query_dict(f'PRAGMA table_info("{table}")')
        schema.columns[table] = {r["name"]: bool(r["notnull"] or r["pk"]) for r in rows}
        schema.checks[table] = set(CHECK_NAME.findall(entry["sql"]))
        rows = await conn.execute_query_dict(f'PRAGMA foreign_key_list("{table}")')
        schema.foreign_keys[table] = {(r["from"], r["table"], r["on_delete"]) for r in rows}
        schema.uniques[table], schema.indexes[table] = set(), set()
        for index in await conn.execute_query_dict(f'PRAGMA index_list("{table}")'):
            if index["origin"] == "pk":
                continue
            if index["name"].startswith("ix_search_"):
                schema.search_indexes.add(index["name"])
                continue
            rows = await conn.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            columns = tuple(r["name"] for r in sorted(rows, key=lambda r: r["seqno"]))
            (schema.uniques if index["unique"] else schema.indexes)[table].add(columns)
    return schema


async def _live_schema() -> Schema:
    conn = connections.get("default")
    return await (_postgres_schema(conn) if _dialect() == "postgres" else _sqlite_schema(conn))


def _without_recorder(schema: Schema) -> Schema:
    for bucket in (
        schema.columns,
        schema.checks,
        schema.uniques,
        schema.foreign_keys,
        schema.indexes,
    ):
        bucket.pop(RECORDER_TABLE, None)
    return schema


async def test_models_need_no_migration_beyond_the_committed_ones(db: str) -> None:
    # given a database migrated from empty
    apps_config = tortoise_config(db)["apps"]
    recorder = MigrationRecorder(connections.get("default"))
    loader = MigrationLoader(apps_config, recorder)
    await loader.build_graph()
    # when the autodetector compares the migrations' state with the models
    writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    # then every committed migration is applied and no change is pending
    assert set(loader.applied_migrations) == set(loader.disk_migrations)
    assert [op.describe() for writer in writers for op in writer.operations] == []


async def test_live_schema_equals_the_models(db: str) -> None:
    # given the models and the RunSQL objects expected on this database
    expected = _expected_schema(_dialect())
    # when the schema is read back from the catalogue
    live = _without_recorder(await _live_schema())
    # then they agree, table by table
    assert sorted(live.columns) == sorted(expected.columns)
    for table in expected.columns:
        assert live.columns[table] == expected.columns[table], table
        assert live.checks[table] == expected.checks[table], table
        assert live.uniques[table] == expected.uniques[table], table
        assert live.foreign_keys[table] == expected.foreign_keys[table], table
        assert live.indexes[table] == expected.indexes[table], table
    assert live.search_indexes == expected.search_indexes
    assert live.triggers == expected.triggers
    assert live.functions == expected.functions
    assert live.extensions == expected.extensions


async def test_every_declared_check_constraint_exists(db: str) -> None:
    # given every CheckConstraint declared in a model Meta
    declared = {
        (model._meta.db_table, c.name)
        for model in Tortoise.apps["models"].values()
        for c in model._meta.constraints
        if isinstance(c, CheckConstraint)
    }
    # when the database is read back
    live = await _live_schema()
    # then each one is there (and the models do declare some)
    assert len(declared) > 20
    assert {(t, name) for t, names in live.checks.items() for name in names} >= declared


async def test_migrating_again_is_a_noop(db: str) -> None:
    # given a migrated database
    before = await _live_schema()
    applied = await MigrationRecorder(connections.get("default")).applied_migrations()
    executor = MigrationExecutor(connections.get("default"), tortoise_config(db)["apps"])
    # when the migrations are planned and run once more
    plan = await executor.plan()
    await migrate_database(db)
    # then nothing was planned, recorded or changed
    assert plan == []
    after_applied = await MigrationRecorder(connections.get("default")).applied_migrations()
    assert sorted(after_applied) == sorted(applied)
    assert await _live_schema() == before


SEARCH_QUERIES = {
    "ix_search_case_text": "SELECT id FROM dispatch_case"
    " WHERE string_to_array(search_text, ' ') @> ARRAY['経営', '営改']::text[]",
    "ix_search_company_name": "SELECT id FROM company WHERE name ILIKE '%経営改善%'",
    "ix_search_company_user_name": "SELECT id FROM company WHERE user_name ILIKE '%山田太郎%'",
    "ix_search_specialist_name": "SELECT id FROM specialist WHERE name ILIKE '%山田太郎%'",
    "ix_search_specialist_name_kana": "SELECT id FROM specialist WHERE name_kana ILIKE '%ヤマダ%'",
    "ix_search_support_organization_name": "SELECT id FROM support_organization"
    " WHERE name ILIKE '%商工会議所%'",
    "ix_search_regional_platform_name": "SELECT id FROM regional_platform"
    " WHERE name ILIKE '%東京都%'",
}


@pytest.mark.parametrize("index", sorted(SEARCH_QUERIES))
async def test_search_query_shape_uses_its_index(db: str, index: str) -> None:
    if _dialect() != "postgres":
        pytest.skip("search indexes exist on PostgreSQL only")
    # given a planner that avoids sequential scans whenever an index qualifies
    async with in_transaction() as conn:
        await conn.execute_script("SET LOCAL enable_seqscan = off")
        # when the search query shape is explained
        rows = await conn.execute_query_dict(f"EXPLAIN {SEARCH_QUERIES[index]}")
    # then the plan scans the index
    plan = "\n".join(row["QUERY PLAN"] for row in rows)
    assert f"Index Scan on {index}" in plan, plan
