"""The project's dbt CLI resource skips dagster-dbt's per-invocation `dbt --version` and adapter set-up."""

import inspect
import subprocess
from functools import cached_property
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from orchestration.resources import DBT_EXECUTABLE, ProjectDbtCliResource, dbt_resource


def test_dagster_dbt_still_calls_the_two_hooks_the_resource_overrides() -> None:
    """If a dagster-dbt upgrade renames these, the overrides would silently stop saving ~3.5 s per dbt command."""
    assert isinstance(inspect.getattr_static(DbtCliResource, "_cli_version"), cached_property)
    assert callable(inspect.getattr_static(DbtCliResource, "_initialize_dbt_core_adapter"))
    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source
    assert "self._initialize_dbt_core_adapter(" in source


def test_dbt_version_is_the_one_the_projects_dbt_executable_reports() -> None:
    output = subprocess.run([str(DBT_EXECUTABLE), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"installed: {dbt_resource()._cli_version}" in output


def test_a_dbt_command_runs_without_a_version_subprocess_or_an_in_process_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_subprocess(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"dagster-dbt ran a subprocess to ask for the version: {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_subprocess)
    resource = dbt_resource()
    assert isinstance(resource, ProjectDbtCliResource)
    invocation = resource.cli(["parse", "--quiet"], target_path=tmp_path / "target").wait()
    assert invocation.is_successful()
    assert invocation.adapter is None
    assert (tmp_path / "target" / "manifest.json").exists()
