"""Fixtures: one GE context and one clean tiny warehouse per session; each test gets its own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.data_quality.tiny_warehouse import build_tiny_warehouse


@pytest.fixture(scope="session")
def gx_context():
    from data_quality.runner import create_context

    return create_context()


@pytest.fixture(scope="session")
def clean_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_warehouse(tmp_path_factory.mktemp("template") / "nps.duckdb")


@pytest.fixture
def warehouse(clean_template: Path, tmp_path: Path) -> Path:
    """A private copy of the clean warehouse, in its own data dir (Data Docs land beside it)."""
    target = tmp_path / "data" / "warehouse" / "nps.duckdb"
    target.parent.mkdir(parents=True)
    shutil.copyfile(clean_template, target)
    return target
