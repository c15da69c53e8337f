"""Resources: the dbt project (one cached `DbtProject`), the dbt CLI, and the run's settings.

The environment is the single source of configuration shared by Dagster and the dbt subprocess:
`NPS_WAREHOUSE_PATH` is the one DuckDB path variable both read (`profiles.yml` uses `env_var`).
"""

from __future__ import annotations

import sys
from functools import cache, cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from orchestration.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


def prepare_manifest(project: DbtProject) -> None:
    """`dbt parse` with the project's own dbt executable (dagster-dbt's preparer looks for `dbt` on PATH,
    which a bare `.venv/bin/dagster dev` does not have)."""
    project_dbt_cli(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()


@cache
def dbt_project() -> DbtProject:
    """The dbt project, with its manifest prepared: under `dagster dev` on every load (as `prepare_if_dev`
    does), elsewhere (tests, `nps run`, a fresh clone) when the manifest is missing."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if project.preparer.using_dagster_dev() or not project.manifest_path.exists():
        prepare_manifest(project)
    return project


class ProjectDbtCliResource(DbtCliResource):
    """The dbt CLI of this project's own environment, without dagster-dbt's two set-up costs per invocation.

    Before each `dbt` command, dagster-dbt 0.29 runs `dbt --version` in a subprocess to learn the version
    (about 2 s of dbt start-up) and opens a dbt adapter in this process (about 1.5 s of macro loading;
    both twice as long without precompiled bytecode). The executable is the venv's dbt, so its version is
    the installed dbt-core's; the adapter only serves `fetch_column_metadata` / `fetch_row_counts`, which
    this project does not use. `tests/orchestration/test_resources.py` pins both overrides against the
    installed dagster-dbt, so an upgrade that renames them fails a test instead of silently bringing the
    cost back.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None


def project_dbt_cli(project: DbtProject) -> DbtCliResource:
    """The dbt CLI for `project` with this repository's profiles and the venv's dbt executable."""
    return ProjectDbtCliResource(
        project_dir=project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE)
    )


def dbt_resource() -> DbtCliResource:
    return project_dbt_cli(dbt_project())


class NpsSettings(ConfigurableResource):
    """Settings of the run, resolved from the environment when an asset runs (flags of `nps run` are
    exported to the environment first, so the dbt subprocess sees the same values)."""

    def get(self) -> Settings:
        return Settings.from_env()
