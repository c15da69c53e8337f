"""Run `bench/baseline.sql` (the hand-written DuckDB yardstick) on a folder of clean landing CSVs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from string import Template

import duckdb

SCRIPT = Path(__file__).with_name("baseline.sql")


def baseline_sql(landing_dir: Path, reporting_tz: str, as_of: datetime, sla_hours: int) -> str:
    return Template(SCRIPT.read_text()).substitute(
        landing=Path(landing_dir).resolve().as_posix(), tz=reporting_tz, as_of=as_of.isoformat(), sla_hours=sla_hours
    )


def run_baseline(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    reporting_tz: str = "UTC",
    as_of: datetime | None = None,
    sla_hours: int = 24,
) -> None:
    """Create schema `baseline` with nps_by_period/segment/channel (month grain) and close_the_loop."""
    con.execute(baseline_sql(landing_dir, reporting_tz, as_of or datetime.now().astimezone(), sla_hours))
