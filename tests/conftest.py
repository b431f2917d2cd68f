"""Test harness: one database per test on SQLite or PostgreSQL, built by the real migrations.

``HAKEN_TEST_DB=sqlite`` (default) copies a migrated template file per test;
``HAKEN_TEST_DB=postgres`` migrates ``TEST_DATABASE_URL`` once and truncates every table between
tests. Tests that use the ``db`` fixture are marked ``db`` and run on both databases; under
``CI=true`` an unreachable PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tortoise import Tortoise, connections

from models.db import tortoise_config
from models.migrate import migrate_database
from models.settings import Settings, override_settings
from notifications.fanout import install_transactional_fanout
from tests.log_secrets import scanning_logs, spying_on_secret_sources

DB_KIND = os.environ.get("HAKEN_TEST_DB", "sqlite")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

TEST_SETTINGS = Settings(
    env="test",
    secret_key="test-secret-key-with-more-than-32-characters",
    public_base_url="http://testserver",
)
override_settings(TEST_SETTINGS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: needs a database (runs on SQLite and PostgreSQL)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_record(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """security.md §5: every log record of the test, DEBUG included, is scanned for passwords,
    tokens, bank account numbers and JWTs (tests/log_secrets.py; ``register_secret`` adds more)."""
    spying_on_secret_sources(monkeypatch)
    with scanning_logs() as scanner:
        yield
    if scanner.leaks:
        pytest.fail("secrets reached the log:\n" + "\n".join(scanner.leaks[:20]), pytrace=False)


_template: dict[str, object] = {}


async def _pg_reachable() -> bool:
    import asyncpg

    try:
        conn = await asyncio.wait_for(
            asyncpg.connect(PG_URL.replace("postgres://", "postgresql://")), 5
        )
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _prepare_postgres() -> None:
    if not await _pg_reachable():
        message = f"PostgreSQL at {PG_URL} is unreachable"
        if IN_CI:
            pytest.exit(message + " (CI requires it)", returncode=1)
        pytest.skip(message)
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://"))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    await migrate_database(PG_URL)
    rows = await connections.get("default").execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    _template["tables"] = [
        r["tablename"] for r in rows if not r["tablename"].startswith("tortoise_migrations")
    ]
    await Tortoise.close_connections()


async def _prepare_sqlite(tmp_root: Path) -> Path:
    template = tmp_root / "template.sqlite3"
    await migrate_database(f"sqlite://{template}")
    await Tortoise.close_connections()
    return template


@pytest.fixture(autouse=True, scope="session")
def _transactional_fanout() -> None:
    """The production wiring: domain events become outbox rows in their own transaction."""
    install_transactional_fanout()


@pytest.fixture
async def db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A migrated, empty database initialised as Tortoise's default connection."""
    if DB_KIND == "postgres":
        if "ready" not in _template:
            await _prepare_postgres()
            _template["ready"] = True
        url = PG_URL
    else:
        if "path" not in _template:
            _template["path"] = await _prepare_sqlite(tmp_path_factory.mktemp("template"))
        target = tmp_path_factory.mktemp("db") / "test.sqlite3"
        shutil.copyfile(_template["path"], target)  # type: ignore[arg-type]
        url = f"sqlite://{target}"
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        yield url
    finally:
        if DB_KIND == "postgres":
            tables = ", ".join(f'"{t}"' for t in _template.get("tables", []))  # type: ignore[attr-defined]
            if tables:
                await connections.get("default").execute_script(
                    f"TRUNCATE {tables} RESTART IDENTITY CASCADE"
                )
        await Tortoise.close_connections()
