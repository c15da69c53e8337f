"""Shared pytest setup: telemetry off and no stray progress bars for every test."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

for _var, _value in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "TQDM_DISABLE": "1",
}.items():
    os.environ.setdefault(_var, _value)


@pytest.fixture(scope="session")
def messy_landing(tmp_path_factory) -> tuple[Path, dict]:
    """The generator's messy tiny exports (planted bad rows, duplicates, French/JSONL/Parquet variants)."""
    from generator.sample_exports import generate_exports
    from tests.builds import END

    landing = tmp_path_factory.mktemp("messy") / "landing"
    return landing, generate_exports(landing, scale="tiny", seed=11, end_date=END)


@pytest.fixture(scope="session")
def messy_built(messy_landing, tmp_path_factory) -> tuple[Path, dict]:
    """The messy tiny data ingested and built, in a warehouse file with an unusual name."""
    from ingestion.loader import ingest
    from tests.builds import dbt

    landing, manifest = messy_landing
    work = tmp_path_factory.mktemp("messy_build")
    warehouse = work / "my-odd.name.duckdb"
    ingest(landing, warehouse)
    dbt(warehouse, work, "build")
    return warehouse, manifest


@pytest.fixture(scope="session")
def clean_built(tmp_path_factory):
    """Clean tiny exports built with a non-UTC reporting time zone, attached as `wh` to a connection that
    holds the hand-written baseline (bench/baseline.sql) computed from the same landing files."""
    from bench.baseline import run_baseline
    from generator.sample_exports import generate_exports
    from ingestion.loader import ingest
    from tests.builds import AS_OF, END, dbt

    work = tmp_path_factory.mktemp("clean")
    landing = work / "landing"
    generate_exports(landing, scale="tiny", seed=3, clean=True, end_date=END)
    warehouse = work / "nps.duckdb"
    ingest(landing, warehouse)
    dbt(warehouse, work, "build", reporting_tz="America/New_York")
    con = duckdb.connect()
    run_baseline(con, landing, "America/New_York", datetime.fromisoformat(AS_OF), 24)
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    yield warehouse, con
    con.close()
