"""The tables a Spark build wrote (Parquet under the session's warehouse folder), read into the DuckDB warehouse.

With `NPS_ENGINE=spark`, dbt builds staging, intermediate and marts on Spark; each table is a folder of Parquet
files, `<spark dir>/warehouse/<schema>.db/<table>/part-*.parquet`. The same tables are then copied, in one DuckDB
transaction, into the warehouse's schemas of the same names, so the data-quality suites, the publish step, the
dashboard and `nps loop` read what Spark built exactly as they read a DuckDB build. Views (no folder of their own)
are not copied.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion.sql import quote_ident, quote_literal

SPARK_SCHEMAS = ("staging", "intermediate", "marts")
_VIEWS = "select view_name from duckdb_views() where schema_name = ? and database_name = current_database()"


def spark_table_folders(spark_dir: Path, schema: str) -> dict[str, Path]:
    """Table name → its Parquet folder, for the tables Spark holds in `schema` (none when the schema is absent)."""
    folder = Path(spark_dir) / "warehouse" / f"{schema}.db"
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_dir() and any(p.glob("*.parquet"))}


def import_spark_tables(
    warehouse_path: Path, spark_dir: Path, schemas: tuple[str, ...] = SPARK_SCHEMAS, memory_limit: str | None = None
) -> dict[str, int]:
    """Replace each table of `schemas` in the DuckDB warehouse by the one Spark built; returns `schema.table` → rows.
    A Spark schema without tables is an error (the build wrote nothing where a build must write)."""
    found = {schema: spark_table_folders(spark_dir, schema) for schema in schemas}
    empty = [schema for schema, tables in found.items() if not tables]
    if empty:
        raise FileNotFoundError(
            f"no Spark tables in schema(s) {', '.join(empty)} under {Path(spark_dir) / 'warehouse'}"
        )
    counts: dict[str, int] = {}
    config = {"memory_limit": memory_limit} if memory_limit else {}
    with duckdb.connect(str(warehouse_path), config=config) as con:
        con.execute("begin transaction")
        try:
            for schema, tables in found.items():
                con.execute(f"create schema if not exists {quote_ident(schema)}")
                views = {row[0] for row in con.execute(_VIEWS, [schema]).fetchall()}
                for name, folder in tables.items():
                    relation = f"{quote_ident(schema)}.{quote_ident(name)}"
                    if name in views:  # a DuckDB build's view of the same name
                        con.execute(f"drop view {relation}")
                    parquet = quote_literal(str(folder / "*.parquet"))
                    con.execute(f"create or replace table {relation} as select * from read_parquet({parquet})")
                    counts[f"{schema}.{name}"] = int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return counts
