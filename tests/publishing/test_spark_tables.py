"""Reading the tables of a Spark build (Parquet folders under its warehouse) into the DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from publishing.spark_tables import import_spark_tables, spark_table_folders


def spark_table(spark_dir: Path, schema: str, name: str, select: str) -> None:
    """A table as Spark writes it: a folder of part files (and a _SUCCESS marker)."""
    folder = spark_dir / "warehouse" / f"{schema}.db" / name
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({select}) to '{folder / 'part-00000-x.snappy.parquet'}' (format parquet)")
    (folder / "_SUCCESS").write_text("")


def test_each_spark_table_replaces_the_warehouse_table_or_view_of_the_same_name(tmp_path):
    spark_dir, warehouse = tmp_path / "spark", tmp_path / "nps.duckdb"
    spark_table(spark_dir, "marts", "nps_by_period", "select 'day' as period_grain, 12.5::double as nps")
    spark_table(spark_dir, "staging", "stg_calls__calls", "select 'c1' as call_id")
    spark_table(spark_dir, "intermediate", "int_calls", "select 'c1' as call_id")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.nps_by_period as select 'old' as period_grain")
        con.execute("create schema intermediate; create view intermediate.int_calls as select 1 as x")
    counts = import_spark_tables(warehouse, spark_dir)
    assert counts == {"staging.stg_calls__calls": 1, "intermediate.int_calls": 1, "marts.nps_by_period": 1}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select * from marts.nps_by_period").fetchall() == [("day", 12.5)]
        assert con.execute("select * from intermediate.int_calls").fetchall() == [("c1",)]


def test_a_spark_schema_without_tables_is_an_error_naming_it(tmp_path):
    spark_dir = tmp_path / "spark"
    spark_table(spark_dir, "marts", "nps_by_period", "select 1 as x")
    with pytest.raises(FileNotFoundError, match="staging, intermediate"):
        import_spark_tables(tmp_path / "nps.duckdb", spark_dir)
    assert spark_table_folders(spark_dir, "staging") == {}
