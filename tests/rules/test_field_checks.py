"""Collecting field errors (all at once, with paths)."""

from __future__ import annotations

import pytest

from models.rules.errors import ErrorCode, FieldError, ValidationErrors
from models.rules.field_checks import FieldErrors, is_blank, is_integer, path_of, prefixed


@pytest.mark.parametrize(
    ("value", "integer"), [(0, True), (-3, True), (1.0, False), (True, False), ("1", False)]
)
def test_is_integer(value: object, integer: bool) -> None:
    assert is_integer(value) is integer


@pytest.mark.parametrize(
    ("value", "blank"), [(None, True), ("", True), (" \u3000\n", True), ("該当なし", False)]
)
def test_is_blank(value: str | None, blank: bool) -> None:
    assert is_blank(value) is blank


def test_paths_and_prefixes() -> None:
    assert path_of("lines", 1, "amount") == ("lines", "1", "amount")
    errors = [FieldError(ErrorCode.REQUIRED, "m", ("lines", "1", "amount"))]
    assert prefixed(errors, "input", "travel")[0].field == (
        "input",
        "travel",
        "lines",
        "1",
        "amount",
    )


def test_collector_raises_every_error_together() -> None:
    errors = FieldErrors()
    errors.raise_if_any()  # nothing collected: no exception
    errors.text(None, "用務先", 10, "place", required=True)
    errors.integer(11, "点数", "score", minimum=1, maximum=5)
    errors.choice(None, "同行の有無", "accompanied")
    with pytest.raises(ValidationErrors) as raised:
        errors.raise_if_any()
    assert [(e.code, e.field, e.message) for e in raised.value.errors] == [
        (ErrorCode.REQUIRED, ("place",), "用務先を入力してください。"),
        (ErrorCode.OUT_OF_RANGE, ("score",), "点数は5以下で入力してください。"),
        (ErrorCode.REQUIRED, ("accompanied",), "同行の有無を選択してください。"),
    ]


def test_required_checks_can_be_switched_off_for_drafts() -> None:
    errors = FieldErrors(check_required=False)
    errors.text(None, "用務先", 10, "place", required=True)
    errors.choice(None, "同行の有無", "accompanied")
    assert not errors.integer(None, "点数", "score")
    assert not errors
    errors.text("x" * 11, "用務先", 10, "place", required=True)
    assert errors.as_tuple()[0].code is ErrorCode.TOO_LONG
