"""The suites against the real pipeline: generator exports → ingestion → dbt build (shared session build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from data_quality.runner import validate_warehouse
from data_quality.suites import suite_names
from nps.settings import parse_as_of


@pytest.mark.slow
def test_demo_warehouse_built_from_messy_exports_passes_every_expectation(
    messy_built: tuple[Path, dict], gx_context, tmp_path: Path
) -> None:
    from tests.builds import AS_OF

    built, _ = messy_built
    warehouse = tmp_path / "nps.duckdb"
    shutil.copyfile(built, warehouse)  # the session build stays untouched by the results we append

    report = validate_warehouse(warehouse, parse_as_of(AS_OF), context=gx_context)

    assert [r.line() for r in report.results if not r.success] == []
    assert report.suites() == suite_names()
