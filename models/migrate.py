"""Apply the committed migrations to a database (CLI ``haken migrate`` and the test harness)."""

from __future__ import annotations

from tortoise.migrations.api.migrate import migrate

from models.db import tortoise_config


async def migrate_database(url: str | None = None) -> None:
    """Bring the database at ``url`` (default: settings) to the newest migration."""
    await migrate(config=tortoise_config(url))
