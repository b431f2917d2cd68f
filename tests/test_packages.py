"""The generic top-level package names also exist on PyPI: make sure ours are the ones imported."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]


@pytest.mark.parametrize("name", PACKAGES)
def test_each_listed_package_imports_from_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(ROOT)


def test_every_package_directory_is_listed() -> None:
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in ROOT.glob("*/**/__init__.py")
        if not any(part.startswith(".") or part in {"tests", "bench", "build"} for part in p.parts)
    }
    found = {f for f in found if not f.startswith(("tests", ".venv", "bench", "var"))}
    assert found == set(PACKAGES)
