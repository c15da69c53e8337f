"""One real pipeline run on tiny messy data, shared by the orchestration tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nps.settings import Settings
from orchestration.pipeline import RunSummary, run_pipeline
from tests.builds import AS_OF


def settings_for(root: Path, landing: Path) -> Settings:
    return Settings.from_env(
        env={"DAGSTER_HOME": ""}, landing_dir=landing, warehouse_path=root / "wh" / "nps.duckdb", as_of=AS_OF
    )


def run_in(settings: Settings) -> RunSummary:
    return run_pipeline(settings, log_level="WARNING", dagster_home_dir=settings.data_dir / "dagster_home")


@pytest.fixture(scope="session")
def pipeline_run(messy_landing, tmp_path_factory) -> tuple[Settings, RunSummary]:
    landing, _ = messy_landing
    root = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(landing, root / "landing")
    settings = settings_for(root, root / "landing")
    return settings, run_in(settings)
