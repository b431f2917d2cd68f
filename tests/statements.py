"""Count the SQL statements a piece of code issues (query-count pins, "before any SQL" checks).

Statements are read from Tortoise's ``tortoise.db_client`` logger, which records every statement
the backends execute (SQLite and asyncpg alike).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

_SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class _StatementCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(_SQL_VERBS):
            self.statements.append(message)


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    logger = logging.getLogger("tortoise.db_client")
    handler = _StatementCounter()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
