"""Tortoise configuration: one app ``models`` spread over one module per aggregate."""

from __future__ import annotations

from typing import Any

from models.settings import current_settings

MODEL_MODULES: list[str] = [
    "models.geo",
    "models.organisations",
    "models.masters",
    "models.fiscal",
    "models.companies",
    "models.specialists",
    "models.accounts",
    "models.cases",
    "models.attendance",
    "models.documents",
    "models.reports",
    "models.evaluations",
    "models.payments",
    "models.outbox",
    "models.audit",
    "models.tokens",
    "models.idempotency",
]


def connection_config(url: str) -> str | dict[str, Any]:
    """Connection settings for a database URL; PostgreSQL gets pool size and statement timeout."""
    if url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        settings = current_settings()
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}maxsize={settings.db_pool_max}&minsize=1"
    return url


def tortoise_config(url: str | None = None) -> dict[str, Any]:
    db_url = url or current_settings().database_url
    return {
        "connections": {"default": connection_config(db_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


#: Used by the ``tortoise`` CLI (``[tool.tortoise]`` in pyproject.toml).
TORTOISE_ORM = tortoise_config()
