"""`NPS_ENGINE=spark nps run` (issue 22): the Dagster job on Spark publishes the same marts as on DuckDB.

Both runs read a copy of the same landing folder with the same settings; only the engine differs. The Spark run is
the one Spark session of the CI job: ingestion (DuckDB, writing the lake), `dbt build` on the `spark` target
(seeds, models, data tests), the quality suites and the publish; then the dbt unit tests on the same Spark target
(a run leaves them out: `orchestration.resources.dbt_build_args`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from nps.settings import Settings
from orchestration.pipeline import RunSummary
from orchestration.resources import dbt_env, dbt_vars
from tests.orchestration.conftest import run_in
from tests.spark.marts_compare import differences, sorted_rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]

AS_OF = "2026-07-01T00:00:00+00:00"


def run_on(engine: str, landing: Path, root: Path) -> tuple[Settings, RunSummary]:
    shutil.copytree(landing, root / "landing")
    settings = Settings.from_env(
        env={"DAGSTER_HOME": "", "NPS_ENGINE": engine},
        landing_dir=root / "landing",
        warehouse_path=root / "wh" / "nps.duckdb",
        as_of=AS_OF,
    )
    return settings, run_in(settings)


@pytest.fixture(scope="module")
def both_runs(messy_landing, tmp_path_factory):
    landing, _ = messy_landing
    return {engine: run_on(engine, landing, tmp_path_factory.mktemp(engine)) for engine in ("duckdb", "spark")}


def test_the_job_on_spark_passes_its_checks_and_publishes_every_mart(both_runs):
    (_, on_duckdb), (_, on_spark) = both_runs["duckdb"], both_runs["spark"]
    assert on_spark.failed_steps == []
    assert on_spark.blocking_failed == on_duckdb.blocking_failed
    assert [c.split("\n")[0] for c in on_spark.checks_failed] == [c.split("\n")[0] for c in on_duckdb.checks_failed]
    assert on_spark.published == on_duckdb.published
    assert len(on_spark.published) > 10


def test_every_published_mart_of_the_spark_run_equals_the_duckdb_run(both_runs):
    (duckdb_settings, on_duckdb), (spark_settings, _) = both_runs["duckdb"], both_runs["spark"]
    problems: dict[str, list[str]] = {}
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for alias, settings in (("on_duckdb", duckdb_settings), ("on_spark", spark_settings)):
            con.execute(f"attach '{settings.published_path}' as {alias} (read_only)")
        for mart in sorted(on_duckdb.published):  # the published DuckDB copies: every mart, Parquet or not
            left, right = f"on_duckdb.marts.{mart}", f"on_spark.marts.{mart}"
            columns = [row[0] for row in con.execute(f"describe select * from {left}").fetchall()]
            assert [row[0] for row in con.execute(f"describe select * from {right}").fetchall()] == columns
            found = differences(sorted_rows(con, left, columns), sorted_rows(con, right, columns), columns)
            if found:
                problems[mart] = found
    assert problems == {}


def dbt_on_spark(settings: Settings, work: Path, *arguments: str) -> subprocess.CompletedProcess:
    """dbt on the `spark` target of the run that `settings` describe, with the run's vars; artefacts in `work`."""
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    env = {
        **os.environ,
        **dbt_env(settings),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    dbt = Path(sys.executable).parent / "dbt"
    options = ["--vars", json.dumps(dbt_vars(settings)), "--project-dir", str(project), "--profiles-dir", str(project)]
    return subprocess.run(
        [str(dbt), *arguments, *options],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_dbt_unit_tests_pass_on_spark(both_runs, tmp_path):
    spark_settings, _ = both_runs["spark"]
    done = dbt_on_spark(spark_settings, tmp_path, "test", "--select", "test_type:unit")
    assert done.returncode == 0, done.stdout[-4000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) > 10
    assert {r["status"] for r in unit_tests} == {"pass"}


def test_a_key_written_twice_fails_the_spark_build_of_the_model(both_runs, tmp_path):
    # last in this module: it changes the Spark warehouse. enforce_unique_key on Spark (raise_error), where the
    # models are tables: a bug simulated in staging, one call's row twice, as a second data file of the table
    spark_settings, _ = both_runs["spark"]
    staged = spark_settings.spark_dir / "warehouse" / "staging.db" / "stg_calls__calls"
    with duckdb.connect() as con:
        repeated = con.execute(f"select min(call_id) from read_parquet('{staged}/*.parquet')").fetchall()[0][0]
        con.execute(
            f"copy (select * from read_parquet('{staged}/*.parquet') where call_id = '{repeated}')"
            f" to '{staged / 'part-99999-repeated.parquet'}' (format parquet)"
        )

    done = dbt_on_spark(spark_settings, tmp_path, "build", "--select", "int_calls_enriched")
    assert done.returncode != 0
    message = "intermediate.int_calls_enriched: 1 value(s) of unique key call_id appear more than once, e.g. "
    assert message + repeated in done.stdout, done.stdout[-4000:]
