"""Publish schema `marts` for BI: a new DuckDB file (readable by DuckDB 1.x) and Parquet files, swapped in.

Readers never see a half-written file and never touch the warehouse (DuckDB allows one writer and no reader
beside it): everything is written under a temporary name in the same folder and renamed over the old file
(`os.replace` is atomic on one filesystem). A failure part-way leaves the previous published copy intact.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

STORAGE_VERSION = "v1.2.0"  # DuckDB 2.0 writes storage 69 by default, which 1.x clients and BI drivers refuse


@dataclass(frozen=True)
class PublishResult:
    published_path: Path
    parquet_dir: Path
    tables: dict[str, int] = field(default_factory=dict)  # mart → rows


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish_marts(warehouse_path: Path, published_path: Path, con: duckdb.DuckDBPyConnection | None = None,
                  memory_limit: str | None = None) -> PublishResult:  # fmt: skip
    """Copy every table of schema `marts` into `published_path` and `<its folder>/marts/<table>.parquet`."""
    published_path = Path(published_path)
    published_path.parent.mkdir(parents=True, exist_ok=True)
    parquet_dir = published_path.parent / "marts"
    parquet_dir.mkdir(exist_ok=True)
    tag = f"tmp-{os.getpid()}"
    tmp_db = published_path.with_name(f".{published_path.name}.{tag}")
    tmp_parquet = parquet_dir / f".{tag}"
    own = con is None
    if own:
        spill = {"temp_directory": str(published_path.parent / ".publish.tmp")}
        con = duckdb.connect(config={**spill, "memory_limit": memory_limit} if memory_limit else spill)
        con.execute(f"attach {_quote(Path(warehouse_path))} as warehouse_source (read_only)")
        source = "warehouse_source"
    else:
        source = con.execute("select current_database()").fetchall()[0][0]
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' and database_name = ? order by 1",
            [source]).fetchall()]  # fmt: skip
        if not tables:
            raise RuntimeError(f"no tables in schema marts of {warehouse_path}: run the dbt build first")
        tmp_db.unlink(missing_ok=True)
        tmp_parquet.mkdir(exist_ok=True)
        con.execute(f"attach {_quote(tmp_db)} as published (storage_version '{STORAGE_VERSION}')")
        try:
            con.execute("create schema published.marts")
            counts = {}
            for table in tables:
                con.execute(f'create table published.marts."{table}" as select * from "{source}".marts."{table}"')
                counts[table] = con.execute(f'select count(*) from published.marts."{table}"').fetchall()[0][0]
                target = _quote(tmp_parquet / f"{table}.parquet")
                con.execute(f'copy published.marts."{table}" to {target} (format parquet)')
        finally:
            con.execute("detach published")
        os.replace(tmp_db, published_path)
        for table in tables:
            os.replace(tmp_parquet / f"{table}.parquet", parquet_dir / f"{table}.parquet")
        return PublishResult(published_path, parquet_dir, counts)
    finally:
        tmp_db.unlink(missing_ok=True)
        shutil.rmtree(tmp_parquet, ignore_errors=True)
        if own:
            con.close()
