"""Aligning one batch query's rows to the DataLoader keys that asked for them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

Row = dict[str, Any]


def int_keys(keys: Sequence[int | str]) -> list[int]:
    """Keys as ints (a GraphQL ID arrives as str, S3); a non-numeric key matches nothing."""
    result: list[int] = []
    for key in keys:
        try:
            result.append(int(key))
        except (TypeError, ValueError):
            result.append(0)
    return result


def distinct(keys: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(key for key in keys if key > 0))


def one_per_key(rows: Iterable[Row], keys: Sequence[int], column: str = "id") -> list[Row | None]:
    """``rows`` indexed by ``column``, aligned to ``keys`` (None where no row)."""
    found = {row[column]: row for row in rows}
    return [found.get(key) for key in keys]


def many_per_key(rows: Iterable[Row], keys: Sequence[int], column: str) -> list[list[Row]]:
    """``rows`` grouped by ``column``, aligned to ``keys`` (each key gets its own list)."""
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row[column]].append(row)
    return [list(groups.get(key, ())) for key in keys]


def columns(model: Any, *exclude: str) -> list[str]:
    """The model's column names (FKs as ``<name>_id``) in definition order, read at call time:
    Tortoise adds the FK columns only when it initialises, after import."""
    return [name for name in model._meta.fields_db_projection if name not in exclude]
