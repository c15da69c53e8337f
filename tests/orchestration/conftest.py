"""One real pipeline run on tiny messy data, shared by the orchestration tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestration.pipeline import RunSummary, run_pipeline
from orchestration.settings import Settings
from tests.builds import AS_OF

ENV_KEYS = (
    "NPS_LANDING_DIR",
    "NPS_WAREHOUSE_PATH",
    "NPS_PUBLISHED_PATH",
    "NPS_REPORTING_TZ",
    "NPS_SOURCE_TZ",
    "NPS_FOLLOWUP_SLA_HOURS",
    "NPS_AS_OF",
    "DAGSTER_HOME",
)


@contextmanager
def isolated_environment() -> Iterator[None]:
    """`run_pipeline` exports the settings to the environment (for the dbt subprocess): undo it afterwards."""
    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def settings_for(root: Path, landing: Path) -> Settings:
    return Settings.from_env(
        env={"DAGSTER_HOME": ""}, landing_dir=landing, warehouse_path=root / "wh" / "nps.duckdb", as_of=AS_OF
    )


def run_in(settings: Settings) -> RunSummary:
    with isolated_environment():
        os.environ["DAGSTER_HOME"] = str(settings.data_dir / "dagster_home")
        return run_pipeline(settings, log_level="WARNING")


@pytest.fixture(scope="session")
def pipeline_run(messy_landing, tmp_path_factory) -> tuple[Settings, RunSummary]:
    landing, _ = messy_landing
    root = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(landing, root / "landing")
    settings = settings_for(root, root / "landing")
    return settings, run_in(settings)
