"""The committed contract files match the code: SDL, client operations."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from models.settings import current_settings
from schema.root import build_schema, export_sdl

CONTRACT = Path(__file__).resolve().parents[2] / "frontend-contract"
OPERATIONS = sorted((CONTRACT / "operations").glob("*.graphql"))


def test_committed_sdl_matches_the_code() -> None:
    committed = (CONTRACT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == export_sdl(build_schema(current_settings())), (
        "frontend-contract/schema.graphql is stale: run `make schema` and commit it"
    )


def test_there_are_client_operations() -> None:
    assert len(OPERATIONS) >= 5


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.name)
def test_client_operation_validates_against_the_schema(path: Path) -> None:
    schema = build_schema(current_settings())
    errors = validate(schema._schema, parse(path.read_text(encoding="utf-8")))
    assert errors == [], [e.message for e in errors]
