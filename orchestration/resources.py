"""Resources: the dbt project (one cached `DbtProject`), the dbt CLI, and the run's settings.

The environment is the single source of configuration shared by Dagster and the dbt subprocess:
`NPS_WAREHOUSE_PATH` is the one DuckDB path variable both read (`profiles.yml` uses `env_var`).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


def prepare_manifest(project: DbtProject) -> None:
    """`dbt parse` with the project's own dbt executable (dagster-dbt's preparer looks for `dbt` on PATH,
    which a bare `.venv/bin/dagster dev` does not have)."""
    cli = DbtCliResource(project_dir=project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE))
    cli.cli(["parse", "--quiet"], target_path=project.target_path).wait()


@cache
def dbt_project() -> DbtProject:
    """The dbt project, with its manifest prepared: under `dagster dev` on every load (as `prepare_if_dev`
    does), elsewhere (tests, `nps run`, a fresh clone) when the manifest is missing."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if project.preparer.using_dagster_dev() or not project.manifest_path.exists():
        prepare_manifest(project)
    return project


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE)
    )


class NpsSettings(ConfigurableResource):
    """Settings of the run, resolved from the environment when an asset runs (flags of `nps run` are
    exported to the environment first, so the dbt subprocess sees the same values)."""

    def get(self) -> Settings:
        return Settings.from_env()
