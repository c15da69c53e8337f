"""The settings resource and what dbt gets from it; the project's dbt CLI resource skips dagster-dbt's
per-invocation `dbt --version` and adapter set-up."""

import inspect
import json
import os
import subprocess
import sys
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import duckdb
import pytest
from dagster_dbt import DbtCliResource

from nps.settings import Settings
from orchestration.resources import (
    DBT_EXECUTABLE,
    DBT_MAIN,
    NpsSettings,
    ProjectDbtCliResource,
    config_of,
    dbt_build_args,
    dbt_cli_for_run,
    dbt_command,
    dbt_env,
    dbt_project,
    dbt_resource,
    dbt_vars_args,
    dbt_workdir,
    preparation_settings,
    prepare_manifest,
)


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


def test_the_settings_resource_round_trips_every_setting() -> None:
    settings = Settings.from_env(
        {},
        landing_dir=Path("/in"),
        warehouse_path=Path("/wh/w.duckdb"),
        reporting_tz="Europe/Paris",
        as_of="2026-07-01T00:00:00Z",
        sources_file=Path("/cfg/sources.yml"),
        low_sample_threshold=50,
        orphan_max_share=0.2,
        max_rejected_share=0.3,
        file_settle_seconds=60,
    )
    assert NpsSettings.of(settings).get() == settings
    assert NpsSettings(**config_of(settings)).settings() == settings


def test_a_run_without_as_of_judges_every_step_at_one_moment() -> None:
    resource = NpsSettings.of(Settings.from_env({}))
    first = resource.get().as_of
    assert first is not None
    assert resource.get().as_of == first


def test_dbt_gets_the_settings_as_vars() -> None:
    settings = Settings.from_env({}, as_of="2026-07-01T00:00:00Z", low_sample_threshold=12, reporting_tz="Asia/Tokyo")
    args = dbt_build_args(settings)
    assert args[:4] == ["build", "--exclude-resource-type", "unit_test", "--vars"]
    assert json.loads(args[4]) == {
        "reporting_tz": "Asia/Tokyo",
        "followup_sla_hours": 24,
        "low_sample_threshold": 12,
        "dimensions": [],
    }


def test_the_moment_a_run_judges_at_reaches_dbt_through_its_environment_and_leaves_its_vars_unchanged() -> None:
    first, second = (Settings.from_env({}, as_of=moment) for moment in ("2026-07-01T00:00:00Z", "2026-07-02T06:00Z"))
    assert dbt_build_args(first) == dbt_build_args(second)  # dbt keeps its partial parse from run to run
    assert dbt_env(first)["NPS_AS_OF"] == "2026-07-01T00:00:00+00:00"
    assert dbt_env(second)["NPS_AS_OF"] == "2026-07-02T06:00:00+00:00"


def test_the_dimensions_declared_in_sources_yml_reach_dbt_once_each(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yml"
    sources.write_text(
        'version: 1\nsurveys:\n  - files: "a/*"\n    dimensions: [store, brand]\n'
        '  - files: "b/*"\n    dimensions: [store]\ncrm:\n  - files: "*"\n    dimensions: [tier]\n'
    )
    settings = Settings.from_env({}, as_of="2026-07-01T00:00:00Z", sources_file=sources)
    assert json.loads(dbt_build_args(settings)[4])["dimensions"] == ["store", "brand", "tier"]


def test_the_dbt_process_gets_the_warehouse_path_in_its_own_environment(tmp_path: Path) -> None:
    warehouse = tmp_path / "elsewhere" / "w.duckdb"
    warehouse.parent.mkdir()
    settings = Settings.from_env({}, warehouse_path=warehouse)
    cli = dbt_cli_for_run(dbt_resource(), settings)
    invocation = cli.cli(["debug"], target_path=tmp_path / "target", raise_on_error=False).wait()
    assert invocation.is_successful()
    assert warehouse.exists()  # dbt attached the file named in its environment, in its working folder
    assert dbt_env(settings)["NPS_WAREHOUSE_PATH"] == "w.duckdb"
    assert os.environ.get("NPS_WAREHOUSE_PATH") != str(warehouse.resolve())  # ours is untouched


def test_the_dbt_child_of_a_warehouse_in_a_folder_not_made_yet_gets_the_folder_made(tmp_path: Path) -> None:
    # dbt starts in the warehouse's folder (a missing one would fail the launcher); DuckDB creates the file in it
    settings = Settings.from_env({}, warehouse_path=tmp_path / "new" / "deeper" / "w.duckdb")
    assert dbt_workdir(settings) == (tmp_path / "new" / "deeper").resolve()
    assert dbt_workdir(settings).is_dir()


def test_dbt_opens_the_file_a_symlinked_warehouse_points_to(tmp_path: Path) -> None:
    real = tmp_path / "disk" / "nps-2026.duckdb"
    real.parent.mkdir()
    link = tmp_path / "data" / "nps.duckdb"
    link.parent.mkdir()
    link.symlink_to(real)
    settings = Settings.from_env({}, warehouse_path=link)
    assert dbt_workdir(settings) / dbt_env(settings)["NPS_WAREHOUSE_PATH"] == real.resolve()


def test_the_first_build_of_a_new_warehouse_starts_from_the_projects_partial_parse(tmp_path: Path) -> None:
    # the profile named the warehouse by its absolute path: dbt hashes the rendered profile, so every new warehouse
    # parsed the whole project (2 s) although dagster-dbt had copied the project's partial parse file in
    prepare_manifest(dbt_project())  # as a run in this environment has it prepared
    usual = preparation_settings()
    settings = replace(usual, warehouse_path=tmp_path / "new" / usual.warehouse_path.name).pinned()
    settings.warehouse_path.parent.mkdir()
    cli = dbt_cli_for_run(dbt_resource(), settings)
    arguments = ["compile", "--select", "close_the_loop", *dbt_vars_args(settings)]
    assert cli.cli(arguments, target_path=tmp_path / "target").wait().is_successful()
    log = (tmp_path / "target" / "dbt.log").read_text()
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed" in log
    assert settings.warehouse_path.exists()


def test_the_venvs_dbt_starts_as_the_quick_exit_wrapper_and_any_other_executable_as_it_is() -> None:
    assert dbt_command(str(DBT_EXECUTABLE)) == [sys.executable, "-P", str(DBT_MAIN)]
    assert dbt_command("/opt/dbt/bin/dbt") == ["/opt/dbt/bin/dbt"]


def test_the_dbt_child_closes_the_warehouse_it_wrote_and_reports_a_failed_command(tmp_path: Path) -> None:
    # the child ends without Python's teardown (orchestration/dbt_main.py): dbt-duckdb's exit function still closes
    # the database, so what dbt wrote is in the file itself, not left in a write-ahead log
    warehouse = tmp_path / "w.duckdb"
    settings = Settings.from_env({}, warehouse_path=warehouse)
    cli = dbt_cli_for_run(dbt_resource(), settings)
    created = cli.cli(["run-operation", "create_theme_inputs_if_missing"], target_path=tmp_path / "target")
    assert created.wait().is_successful()
    assert not warehouse.with_name("w.duckdb.wal").exists()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.tables where table_schema = 'themes'").fetchone()[0]
    missing = cli.cli(["run-operation", "no_such_macro"], target_path=tmp_path / "target", raise_on_error=False)
    assert not missing.wait().is_successful()


def test_with_engine_spark_dbt_builds_on_the_spark_target_from_the_lake_beside_the_warehouse(tmp_path: Path) -> None:
    duckdb_env = dbt_env(Settings.from_env({}, warehouse_path=tmp_path / "w.duckdb"))
    assert "NPS_DBT_TARGET" not in duckdb_env
    spark_env = dbt_env(Settings.from_env({"NPS_ENGINE": "spark"}, warehouse_path=tmp_path / "w.duckdb"))
    assert spark_env["NPS_DBT_TARGET"] == "spark"
    assert spark_env["NPS_LAKE_DIR"] == str((tmp_path / "lake").resolve())
    assert spark_env["NPS_SPARK_DIR"] == str((tmp_path / "spark").resolve())


def test_a_manifest_older_than_a_dbt_model_is_prepared_again(tmp_path):
    import os

    from orchestration.resources import manifest_is_stale

    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    model = project / "models" / "m.sql"
    model.write_text("select 1")
    manifest = project / "target" / "manifest.json"
    assert manifest_is_stale(manifest, project)  # missing
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (1_000_000, 1_000_000))
    assert not manifest_is_stale(manifest, project)
    os.utime(model, None)  # a pull brings a newer model
    os.utime(manifest, (1_000_000, 1_000_000))
    assert manifest_is_stale(manifest, project)
