"""Helpers shared by test areas: build the dbt project on tiny landing folders, query a warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import duckdb

DBT_DIR = Path(__file__).parents[1] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
END = date(2026, 6, 30)
AS_OF = "2026-07-01T00:00:00+00:00"


def dbt(
    warehouse: Path,
    work: Path,
    *args: str,
    reporting_tz: str = "UTC",
    as_of: str = AS_OF,
    extra_env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    project_dir: Path = DBT_DIR,
) -> str:
    """`dbt <args>` against `warehouse` in a subprocess; returns dbt's output, raises with it on failure.
    `extra_env` is added to the child's environment (e.g. the Spark target's variables, or a run's `dbt_env`,
    whose warehouse is relative to the folder `cwd`); `project_dir`: the project (and profile) to build."""
    env = {
        "NPS_WAREHOUSE_PATH": str(warehouse),
        "NPS_REPORTING_TZ": reporting_tz,
        "NPS_AS_OF": as_of,
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    # a subprocess, as in production: dbt-duckdb keeps the file attached for the life of its process
    command = [str(DBT), *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    done = subprocess.run(command, env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def prepare_themes(warehouse: Path, preset: str = "contact_centre") -> None:
    """The theme step that runs between ingestion and dbt in the pipeline (languages, lemmas, taxonomy words)."""
    from themes.prepare import prepare_theme_inputs
    from themes.taxonomy import load_taxonomy

    with duckdb.connect(str(warehouse)) as con:
        prepare_theme_inputs(con, load_taxonomy(preset, None))


def landing_with(root: Path, files: dict[str, str]) -> Path:
    """A landing folder with the three source folders (empty unless given files) and `files` written."""
    landing = root / "landing"
    for source in ("surveys", "crm", "calls"):
        (landing / source).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (landing / name).write_text(text, encoding="utf-8")
    return landing


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
