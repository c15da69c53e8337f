"""The raw layer as an open format: each loaded file's typed rows as Parquet, for engines other than DuckDB.

Layout under the lake folder (default `<warehouse folder>/lake`, see `nps.settings.Settings.lake_dir`):

    raw/<table>/file_<file_id>.parquet   the rows one landed file loaded into raw.<table> (one COPY per file)
    raw/<table>/schema.parquet           no rows: the table's columns, so an engine can read a source with no file
    quality/<table>.parquet              the ingestion quality tables, whole (small)

Written after the ingestion transaction commits, from what it committed, so the lake never holds rows the
warehouse does not: a file whose Parquet is missing (a crash between commit and export, or a warehouse built
before the lake existed) is written by the next export; a Parquet file whose file id is no longer in raw is
removed. Each Parquet file is written beside its final name and renamed, so a reader sees it whole or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.columns import SOURCES
from ingestion.sql import quote_literal

QUALITY_TABLES = ("ingestion_log", "rejected_rows", "rejected_values", "superseded_rows")
SCHEMA_FILE = "schema.parquet"
_FILE_NAME = re.compile(r"file_(\d+)\.parquet")


@dataclass
class LakeExport:
    """What one export wrote: the raw Parquet files written and removed, per table."""

    written: dict[str, list[int]] = field(default_factory=dict)
    removed: dict[str, list[int]] = field(default_factory=dict)


def raw_file_path(lake_dir: Path, table: str, file_id: int) -> Path:
    return lake_dir / "raw" / table / f"file_{file_id:08d}.parquet"


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    """COPY `select` to `target` atomically (written beside it, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    con.execute(f"copy ({select}) to {quote_literal(str(partial))} (format parquet)")
    partial.replace(target)


def _columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(row[0], str(row[1])) for row in con.execute(f"describe select * from {relation}").fetchall()]


def _schema_changed(con: duckdb.DuckDBPyConnection, table: str, schema_file: Path) -> bool:
    if not schema_file.exists():
        return True
    return _columns_of(con, f"raw.{table}") != _columns_of(con, f"read_parquet({quote_literal(str(schema_file))})")


def _export_raw_table(con: duckdb.DuckDBPyConnection, lake_dir: Path, table: str, export: LakeExport) -> None:
    folder = lake_dir / "raw" / table
    folder.mkdir(parents=True, exist_ok=True)
    schema_file = folder / SCHEMA_FILE
    rewrite = _schema_changed(con, table, schema_file)
    if rewrite:
        _copy(con, f"select * from raw.{table} limit 0", schema_file)
    present = {int(m.group(1)): p for p in folder.iterdir() if (m := _FILE_NAME.fullmatch(p.name))}
    loaded = {row[0] for row in con.execute(f"select distinct _file_id from raw.{table}").fetchall()}
    for file_id in sorted(set(present) - loaded):
        present[file_id].unlink()
        export.removed.setdefault(table, []).append(file_id)
    for file_id in sorted(loaded if rewrite else loaded - set(present)):
        # no sort: a file's rows were inserted in line order, and a scan keeps insertion order
        select = f"select * from raw.{table} where _file_id = {int(file_id)}"
        _copy(con, select, raw_file_path(lake_dir, table, file_id))
        export.written.setdefault(table, []).append(file_id)


def export_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> LakeExport:
    """Bring `lake_dir` up to date with the committed raw and quality tables of `con` (see the module doc)."""
    export = LakeExport()
    for source in SOURCES.values():
        _export_raw_table(con, Path(lake_dir), source.table, export)
    for table in QUALITY_TABLES:
        _copy(con, f"select * from quality.{table}", Path(lake_dir) / "quality" / f"{table}.parquet")
    return export


def schema_table_path(lake_dir: Path, schema: str, table: str) -> Path:
    """Where a whole small table of `schema` lies in the lake: a folder per table, read by Spark as one table."""
    return Path(lake_dir) / schema / table / "data.parquet"


def export_schema_tables(con: duckdb.DuckDBPyConnection, lake_dir: Path, schema: str, tables: list[str]) -> None:
    """Write each of `schema`'s `tables` whole to the lake (the verbatim themes' inputs: small, rewritten each run)."""
    for table in tables:
        _copy(con, f"select * from {schema}.{table}", schema_table_path(lake_dir, schema, table))
