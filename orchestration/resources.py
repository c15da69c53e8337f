"""Resources: the dbt project (one cached `DbtProject`), the dbt CLI, and the run's settings.

The run's settings are the fields of `NpsSettings`, set once: from the environment when the definitions are
built (`dagster dev`), or from run config (`nps run` passes its resolved `Settings`). dbt gets them as
`--vars` and, for what `profiles.yml` reads with `env_var` (the warehouse file, the memory limit), in the
environment of the dbt child process only (`dbt_cli_for`), which runs in the warehouse's folder (`dbt_workdir`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from functools import cache, cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version
from pydantic import PrivateAttr

from ingestion.sources_file import load_sources_file
from nps.settings import DEFAULT_ENGINE, DEFAULT_KEEP_RUNS, Settings
from orchestration.dbt_warm import DBT_CHILD, DBT_MAIN, LAUNCHER_FLAGS

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
# dbt.log (in the run's dbt target folder) rolls over at this size and dbt keeps 5 rolled files (dbt_common's
# RotatingFileHandler): at most 6 x 2 MiB. Debug level kept: the SQL of a failed model is what one looks for.
DBT_LOG_FILE_MAX_BYTES = 2 * 1024 * 1024
DBT_LOG_OPTIONS = ["--log-file-max-bytes", str(DBT_LOG_FILE_MAX_BYTES)]


def prepare_manifest(project: DbtProject) -> None:
    """`dbt parse` with the project's own dbt executable (dagster-dbt's preparer looks for `dbt` on PATH,
    which a bare `.venv/bin/dagster dev` does not have), and with the vars and profile values of a run with this
    environment's settings (`preparation_settings`).

    dagster-dbt copies the project's `partial_parse.msgpack` into the target folder of a run that has none (a new
    warehouse), and dbt reuses it when the vars and the rendered profile are the same as when it was written. The
    profile names the warehouse relative to the dbt child's folder (`dbt_profile_env`), so a new warehouse of the
    usual file name skips parsing the whole project (about 2 s), where every new warehouse used to parse it."""
    settings = preparation_settings()
    cli = dbt_cli_for(project_dbt_cli(project), dbt_profile_env(settings))
    cli.cli(["parse", "--quiet", *dbt_vars_args(settings)], target_path=project.target_path).wait()


def preparation_settings() -> Settings:
    """The settings a run in this environment has (`Settings.from_env`); the defaults when the environment or its
    `sources.yml` cannot be read (the run then says why, and dbt parses the project whole)."""
    try:
        settings = Settings.from_env()
        load_sources_file(settings.sources_file)
    except (ValueError, OSError):  # SourcesFileError is a ValueError
        return Settings.from_env({})
    return settings


def manifest_is_stale(manifest: Path, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """No manifest, or a dbt file (model, macro, seed, yml) changed after it was written: e.g. after
    `git pull` brought a new model, whose node a stale manifest lacks (the run would fail on a KeyError)."""
    if not manifest.exists():
        return True
    written = manifest.stat().st_mtime
    folders = [project_dir / name for name in ("models", "macros", "seeds", "tests", "snapshots")]
    sources = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    sources += [f for folder in folders if folder.is_dir() for f in folder.rglob("*") if f.is_file()]
    return any(f.stat().st_mtime > written for f in sources if f.exists())


@cache
def dbt_project() -> DbtProject:
    """The dbt project, with its manifest prepared: under `dagster dev` on every load (as `prepare_if_dev`
    does), elsewhere (tests, `nps run`, a fresh clone) when the manifest is missing or older than the project."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if project.preparer.using_dagster_dev() or manifest_is_stale(project.manifest_path):
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

    def cli(self, args: Sequence[str], *, target_path: Path | None = None, **kwargs: Any) -> Any:
        """dagster-dbt's `cli`; a given target folder first loses the per-node SQL of the previous command
        (`clear_node_artifacts`), so it holds one command's artefacts, not every model that ever existed."""
        if target_path is not None:
            clear_node_artifacts(Path(target_path))
        return super().cli(args, target_path=target_path, **kwargs)


NODE_ARTIFACT_FOLDERS = ("compiled", "run")  # per-node SQL dbt writes; everything else it replaces file by file


def clear_node_artifacts(target: Path) -> None:
    """Remove the per-node SQL folders of a dbt target folder. dbt rewrites the ones of the nodes it runs; a
    model renamed or deleted would otherwise leave its files forever. `manifest.json`, `run_results.json` and
    `partial_parse.msgpack` are replaced by each command (partial parsing keeps working); `dbt.log` rolls over
    (`DBT_LOG_OPTIONS`)."""
    for name in NODE_ARTIFACT_FOLDERS:
        shutil.rmtree(target / name, ignore_errors=True)


def project_dbt_cli(project: DbtProject) -> DbtCliResource:
    """The dbt CLI for `project` with this repository's profiles and the venv's dbt executable."""
    return ProjectDbtCliResource(
        project_dir=project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE)
    )


def dbt_resource() -> DbtCliResource:
    return project_dbt_cli(dbt_project())


def dbt_cli_for(cli: DbtCliResource, env: Mapping[str, str], folder: Path | None = None) -> DbtCliResource:
    """`cli` whose dbt child process gets `env` (added to the inherited environment), runs in `folder` (when
    given), ends with this process, and keeps its log file bounded (`DBT_LOG_OPTIONS`).

    dagster-dbt 0.29 starts dbt with `subprocess.Popen` and takes no `env`, `start_new_session` or `preexec_fn`,
    so a small launcher is placed before the dbt executable (`orchestration/dbt_child.py`, standard library
    only): it starts a new session, asks the kernel to SIGTERM dbt when this process dies (SIGKILL included),
    sets the variables and `exec`s dbt (`dbt_command`), which keeps the launcher's process id. When this process
    started a dbt process that has imported dbt and waits (`orchestration.dbt_warm.dbt_started_early`, as `nps run`
    does), the launcher hands the command over to it instead and ends with dbt's status. Call it in the
    process (and thread) that then runs the dbt command: that process is the parent dbt watches. Nothing is
    written to this process's environment.
    """
    return type(cli)(
        project_dir=cli.project_dir,
        profiles_dir=cli.profiles_dir,
        profile=cli.profile,
        target=cli.target,
        state_path=cli.state_path,
        dbt_executable=sys.executable,
        global_config_flags=[
            *LAUNCHER_FLAGS,
            str(DBT_CHILD),
            str(os.getpid()),
            *([f"--chdir={folder}"] if folder is not None else []),
            *(f"{name}={value}" for name, value in env.items()),
            "--",
            *dbt_command(cli.dbt_executable),
            *DBT_LOG_OPTIONS,
            *cli.global_config_flags,
        ],
    )


def dbt_cli_for_run(cli: DbtCliResource, settings: Settings) -> DbtCliResource:
    """`cli` for the dbt commands of a run with `settings` (`dbt_cli_for`): its environment (`dbt_env`) names the
    warehouse relative to its folder (`dbt_workdir`), so the two always go together."""
    return dbt_cli_for(cli, dbt_env(settings), dbt_workdir(settings))


def dbt_command(executable: str) -> list[str]:
    """How the dbt child starts `executable`: the venv's own dbt as `python -P dbt_main.py` (the same dbt command
    line, ended without Python's teardown: 0.5 s a run; `-P`: the script's folder, `orchestration/`, is not put on
    the module path, where `checks.py` or `resources.py` could shadow a library's module), any other executable
    as it is."""
    if Path(executable) == DBT_EXECUTABLE:
        return [sys.executable, "-P", str(DBT_MAIN)]
    return [executable]


def dbt_vars_args(settings: Settings) -> list[str]:
    """`--vars` of every dbt command of a run (`dbt_vars`)."""
    return ["--vars", json.dumps(dbt_vars(settings))]


def dbt_vars(settings: Settings) -> dict[str, object]:
    """The dbt project vars a run sets (`--vars`): the settings, the same from run to run. Not `as_of`, which
    changes with every run: dbt parses the whole project again whenever `--vars` differ from its last run (about
    4 s), so the moment goes through the environment (`dbt_env`: NPS_AS_OF, read by the project's var `as_of`)."""
    return {
        "reporting_tz": settings.reporting_tz,
        "followup_sla_hours": settings.followup_sla_hours,
        "low_sample_threshold": settings.low_sample_threshold,
        "dimensions": load_sources_file(settings.sources_file).dimensions(),
    }


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment of a run's dbt child process: what `profiles.yml` reads (`dbt_profile_env`) and the run's
    moment, `NPS_AS_OF` (`as_of` must be pinned: `Settings.pinned`)."""
    return {**dbt_profile_env(settings), "NPS_AS_OF": settings.as_of_or_now().isoformat()}


def dbt_workdir(settings: Settings) -> Path:
    """The working folder of a run's dbt child process: the warehouse's folder (`dbt_profile_env`), made when it
    does not exist yet (the launcher moves into it before dbt starts; DuckDB creates the file in it)."""
    folder = settings.warehouse_path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _warehouse_name(settings: Settings) -> str:
    """The warehouse's file name in `dbt_workdir`: of the file a symbolic link points to, if it is one."""
    return settings.warehouse_path.resolve().name


def dbt_profile_env(settings: Settings) -> dict[str, str]:
    """What `profiles.yml` reads with `env_var`; with engine spark, the `spark` target, the lake it reads its
    sources from and the folder of its session's warehouse.

    The warehouse is named by its file name, which the dbt child opens in its working folder (`dbt_workdir`), and
    so is its spill folder: dbt parses the whole project again whenever the rendered profile changes (it hashes
    its values), and an absolute path made every new warehouse do so, even with the project's partial parse file
    at hand (`prepare_manifest`)."""
    env = {
        "NPS_WAREHOUSE_PATH": _warehouse_name(settings),
        "NPS_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
    }
    if settings.engine == "spark":
        env |= {
            "NPS_DBT_TARGET": "spark",
            "NPS_LAKE_DIR": str(settings.lake_dir.resolve()),
            "NPS_SPARK_DIR": str(settings.spark_dir.resolve()),
            # one write per dbt event line: the JVM writes to the same pipe (dagster-dbt merges stderr into stdout)
            "PYTHONUNBUFFERED": "1",
        }
    return env


def dbt_build_args(settings: Settings) -> list[str]:
    """`dbt build` of a run: seeds, models and data tests, without the unit tests. Unit tests check the SQL
    against fixed inputs, not the data, so a daily run gains nothing from them (dbt's own advice: run them in
    development and CI); `make test` runs them on both engines (tests/dbt, tests/spark)."""
    return ["build", "--exclude-resource-type", "unit_test", *dbt_vars_args(settings)]


class NpsSettings(ConfigurableResource):
    """The run's settings (contract section 1) as resource config. Build it with `NpsSettings.of(settings)`;
    `get()` returns them as `Settings`, with `as_of` fixed once when the run starts (not once per step)."""

    landing_dir: str
    warehouse_path: str
    published_path: str
    reporting_tz: str
    source_tz: str
    followup_sla_hours: int
    as_of: str | None = None  # ISO 8601; None: the moment the run starts
    duckdb_memory_limit: str
    sources_file: str
    low_sample_threshold: int
    orphan_max_share: float
    max_rejected_share: float
    file_settle_seconds: float
    keep_runs: int = DEFAULT_KEEP_RUNS
    engine: str = DEFAULT_ENGINE  # duckdb | spark (NPS_ENGINE)

    _pinned: Settings | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, settings: Settings) -> NpsSettings:
        return cls(**config_of(settings))

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._pinned = self.settings().pinned()

    def settings(self) -> Settings:
        """The configured values as `Settings` (as_of as configured: None means now)."""
        return Settings.from_env(
            env={},
            landing_dir=Path(self.landing_dir),
            warehouse_path=Path(self.warehouse_path),
            published_path=Path(self.published_path),
            reporting_tz=self.reporting_tz,
            source_tz=self.source_tz,
            followup_sla_hours=self.followup_sla_hours,
            as_of=self.as_of,
            duckdb_memory_limit=self.duckdb_memory_limit,
            sources_file=Path(self.sources_file),
            low_sample_threshold=self.low_sample_threshold,
            orphan_max_share=self.orphan_max_share,
            max_rejected_share=self.max_rejected_share,
            file_settle_seconds=self.file_settle_seconds,
            keep_runs=self.keep_runs,
            engine=self.engine,
        )

    def get(self) -> Settings:
        """The run's settings, `as_of` pinned at the start of the run."""
        if self._pinned is None:
            self._pinned = self.settings().pinned()
        return self._pinned


def config_of(settings: Settings) -> dict[str, object]:
    """`settings` as the config of the `NpsSettings` resource (also usable as run config)."""
    return {
        "landing_dir": str(settings.landing_dir),
        "warehouse_path": str(settings.warehouse_path),
        "published_path": str(settings.published_path),
        "reporting_tz": settings.reporting_tz,
        "source_tz": settings.source_tz,
        "followup_sla_hours": settings.followup_sla_hours,
        "as_of": settings.as_of.isoformat() if settings.as_of else None,
        "duckdb_memory_limit": settings.duckdb_memory_limit,
        "sources_file": str(settings.sources_file),
        "low_sample_threshold": settings.low_sample_threshold,
        "orphan_max_share": settings.orphan_max_share,
        "max_rejected_share": settings.max_rejected_share,
        "file_settle_seconds": settings.file_settle_seconds,
        "keep_runs": settings.keep_runs,
        "engine": settings.engine,
    }
