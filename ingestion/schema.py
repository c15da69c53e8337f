"""DDL of the raw layer and the ingestion quality tables (docs/architecture.md), derived from `ingestion.columns`."""

from __future__ import annotations

import duckdb

from ingestion.columns import SOURCES, Source
from ingestion.validate import quote_ident

SQL_TYPES = {
    "text": "varchar",
    "enum": "varchar",
    "timestamp": "timestamptz",
    "date": "date",
    "integer": "integer",
    "duration": "integer",
    "decimal": "decimal(18, 2)",
}
LINEAGE = {
    "_file_id": "bigint",
    "_file_name": "varchar",
    "_file_sha256": "varchar",
    "_line_number": "bigint",
    "_loaded_at": "timestamptz",
}

INGESTION_LOG_DDL = """
create table if not exists quality.ingestion_log (
    file_id bigint primary key,
    run_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    file_sha256 varchar,
    file_size bigint,
    file_mtime timestamptz,
    status varchar not null,           -- loaded | skipped_duplicate | failed
    rows_in_file bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    reason varchar,
    loaded_at timestamptz not null
)
"""

REJECTED_ROWS_DDL = """
create table if not exists quality.rejected_rows (
    run_id varchar not null,
    file_id bigint not null,
    source varchar not null,
    file_name varchar not null,
    line_number bigint,
    reason_code varchar not null,
    field varchar,
    reason varchar not null,
    raw_record varchar,
    loaded_at timestamptz not null
)
"""


def raw_table_ddl(source: Source) -> str:
    columns = [f"{quote_ident(c.name)} {SQL_TYPES[c.kind]}" for c in source.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE.items()]
    return f"create table if not exists raw.{source.table} (\n    " + ",\n    ".join(columns) + "\n)"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas `raw` and `quality` and their tables when missing (idempotent)."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quality")
    for source in SOURCES.values():
        con.execute(raw_table_ddl(source))
    con.execute(INGESTION_LOG_DDL)
    con.execute(REJECTED_ROWS_DDL)
