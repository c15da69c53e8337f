"""The same dbt project on DuckDB and on Spark (issue 22): built from the same landing folder, every mart is equal.

One Spark session: a single `dbt build` (seeds, models, unit tests, data tests) on the `spark` target, reading the
lake that ingestion wrote beside the DuckDB warehouse. Slow (a JVM and a few hundred Spark jobs): marked `spark`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from publishing.spark_tables import import_spark_tables, spark_table_folders
from tests.builds import dbt
from tests.spark.marts_compare import differences, sorted_rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MARTS = "select table_name from duckdb_tables() where schema_name = 'marts' and database_name = current_database()"


def spark_env(warehouse: Path) -> dict[str, str]:
    return {
        "NPS_DBT_TARGET": "spark",
        "NPS_LAKE_DIR": str(warehouse.parent / "lake"),
        "NPS_SPARK_DIR": str(warehouse.parent / "spark"),
    }


@pytest.fixture(scope="module")
def spark_built(messy_built, tmp_path_factory) -> tuple[Path, Path]:
    """The messy tiny landing of `messy_built` (already on DuckDB), built again on Spark from its lake."""
    warehouse, _ = messy_built
    work = tmp_path_factory.mktemp("spark_build")
    dbt(warehouse, work, "build", extra_env=spark_env(warehouse))
    return warehouse, warehouse.parent / "spark"


def test_every_mart_built_on_spark_equals_the_duckdb_build(spark_built):
    warehouse, spark_dir = spark_built
    spark_marts = spark_table_folders(spark_dir, "marts")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        duckdb_marts = [row[0] for row in con.execute(MARTS).fetchall()]
        assert sorted(spark_marts) == sorted(duckdb_marts)
        problems: dict[str, list[str]] = {}
        for mart in sorted(duckdb_marts):
            columns = [row[0] for row in con.execute(f"describe marts.{mart}").fetchall()]
            spark_relation = f"read_parquet('{spark_marts[mart] / '*.parquet'}')"
            spark_columns = [row[0] for row in con.execute(f"describe select * from {spark_relation}").fetchall()]
            assert spark_columns == columns, mart
            found = differences(
                sorted_rows(con, f"marts.{mart}", columns), sorted_rows(con, spark_relation, columns), columns
            )
            if found:
                problems[mart] = found
    assert problems == {}


def test_the_spark_tables_read_into_a_warehouse_hold_every_mart(spark_built, tmp_path):
    warehouse, spark_dir = spark_built
    copy = tmp_path / "copy.duckdb"
    counts = import_spark_tables(copy, spark_dir)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = con.execute(MARTS).fetchall()
        expected = {
            f"marts.{name}": con.execute(f"select count(*) from marts.{name}").fetchall()[0][0] for (name,) in marts
        }
    assert {name: counts[name] for name in expected} == expected
