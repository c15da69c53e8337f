"""Build the dbt project in process on tiny landing folders, each test area on its own warehouse file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion.loader import ingest
from ingestion.sample_exports import generate_exports

DBT_DIR = Path(__file__).parents[2] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
END = date(2026, 6, 30)
AS_OF = "2026-07-01T00:00:00+00:00"


def dbt(warehouse: Path, work: Path, *args: str, reporting_tz: str = "UTC") -> None:
    """`dbt <args>` in process against `warehouse`; raises with the failing nodes named."""
    env = {
        "NPS_WAREHOUSE_PATH": str(warehouse),
        "NPS_REPORTING_TZ": reporting_tz,
        "NPS_AS_OF": AS_OF,
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    # a subprocess, as in production: dbt-duckdb keeps the file attached for the life of its process
    command = [str(DBT), *args, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


@pytest.fixture(scope="session")
def messy_landing(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("messy") / "landing"
    return landing, generate_exports(landing, scale="tiny", seed=11, end_date=END)


@pytest.fixture(scope="session")
def messy_built(messy_landing, tmp_path_factory) -> tuple[Path, dict]:
    """The generator's messy tiny data, ingested and built, in a warehouse file with an unusual name."""
    landing, manifest = messy_landing
    work = tmp_path_factory.mktemp("messy_build")
    warehouse = work / "my-odd.name.duckdb"
    ingest(landing, warehouse)
    dbt(warehouse, work, "build")
    return warehouse, manifest
