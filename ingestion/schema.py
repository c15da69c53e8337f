"""DDL of the raw layer and the ingestion quality tables (docs/architecture.md), derived from `ingestion.columns`.

`ensure_schema` creates what is missing and upgrades a warehouse of the previous release in place
(contract v2): new columns are added (`raw.*.attributes`, `raw.*._file_mtime` back-filled from
`quality.ingestion_log.file_mtime`, the new `ingestion_log` columns) and the new tables created. Nothing is
reloaded or dropped.
"""

from __future__ import annotations

import duckdb

from ingestion.columns import SOURCES, Source
from ingestion.sql import quote_ident

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
    "_file_mtime": "timestamptz",  # v2: the dedup order is (_file_mtime, _file_name, _line_number)
    "_line_number": "bigint",
    "_loaded_at": "timestamptz",
    # v2: the record's own version (a profile's version column, e.g. Connect's LastUpdateTimestamp), NULL
    # for exports without one; the dedup order is (_record_version desc nulls last, _file_mtime, …)
    "_record_version": "timestamptz",
}
RAW_V2_COLUMNS = {
    "attributes": "varchar",
    "_file_mtime": "timestamptz",
    "source_profile": "varchar",
    "_record_version": "timestamptz",
}
# surveys only: whether the file's rows are invitations (false for responses-only exports, contract section 4)
SURVEYS_V2_COLUMNS = {"is_invitation": "boolean"}


def v2_columns(source: Source) -> dict[str, str]:
    """Columns of contract v2 beyond the canonical ones and the v1 lineage, per raw table."""
    return {**RAW_V2_COLUMNS, **(SURVEYS_V2_COLUMNS if source.name == "surveys" else {})}


# where a quality row comes from: the run, the file and the line
_FROM_FILE = {
    "run_id": "varchar not null",
    "file_id": "bigint not null",
    "source": "varchar not null",
    "file_name": "varchar not null",
    "line_number": "bigint",
}
# The tables of schema `quality` written by ingestion, column → type (in table order)
QUALITY_TABLES: dict[str, dict[str, str]] = {
    "ingestion_log": {
        "file_id": "bigint primary key",
        "run_id": "varchar not null",
        "source": "varchar not null",
        "file_name": "varchar not null",
        "file_sha256": "varchar",
        "file_size": "bigint",
        "file_mtime": "timestamptz",
        "status": "varchar not null",  # loaded | skipped_duplicate | failed | deferred
        "rows_in_file": "bigint not null",
        "rows_loaded": "bigint not null",
        "rows_rejected": "bigint not null",
        "reason": "varchar",
        "loaded_at": "timestamptz not null",
    },
    "rejected_rows": {
        **_FROM_FILE,
        "reason_code": "varchar not null",
        "field": "varchar",
        "reason": "varchar not null",
        "raw_record": "varchar",
        "loaded_at": "timestamptz not null",
    },
    "rejected_values": {
        **_FROM_FILE,
        "field": "varchar not null",
        "value": "varchar",
        "reason_code": "varchar not null",
        "reason": "varchar not null",
        "loaded_at": "timestamptz not null",
    },
    "superseded_rows": {
        "source": "varchar not null",
        "key": "varchar not null",
        "file_id": "bigint not null",
        "file_name": "varchar not null",
        "line_number": "bigint",
        "replaced_by_file_id": "bigint not null",
        "replaced_by_file": "varchar not null",
        "replaced_by_line": "bigint",
    },
}
# v2 columns of quality.ingestion_log, added to a v1 table in place
INGESTION_LOG_V2_COLUMNS = {
    "values_rejected": "bigint",
    "encoding": "varchar",
    "delimiter": "varchar",
    "profile": "varchar",
    "date_order": "varchar",
    "score_min": "integer",
    "score_max": "integer",
    "most_common_reason": "varchar",
    "invitations": "boolean",  # rows are invitations (false: a responses-only export, contract section 4)
}


def _table_ddl(schema: str, table: str, columns: dict[str, str]) -> str:
    lines = ",\n    ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in columns.items())
    return f"create table if not exists {schema}.{table} (\n    {lines}\n)"


def raw_table_ddl(source: Source) -> str:
    columns = {c.name: SQL_TYPES[c.kind] for c in source.columns}
    columns |= {name: sql_type for name, sql_type in v2_columns(source).items() if name not in LINEAGE}
    return _table_ddl("raw", source.table, columns | LINEAGE)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ?", [schema, table]
    ).fetchall()
    return {r[0] for r in rows}


def _add_missing(con: duckdb.DuckDBPyConnection, schema: str, table: str, wanted: dict[str, str]) -> list[str]:
    have = _columns(con, schema, table)
    added = [name for name in wanted if name not in have]
    for name in added:
        con.execute(f"alter table {schema}.{table} add column {quote_ident(name)} {wanted[name]}")
    return added


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas `raw` and `quality` and their tables when missing, and upgrade v1 tables (idempotent)."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quality")
    for table, columns in QUALITY_TABLES.items():
        con.execute(_table_ddl("quality", table, columns))
    _add_missing(con, "quality", "ingestion_log", INGESTION_LOG_V2_COLUMNS)
    for source in SOURCES.values():
        con.execute(raw_table_ddl(source))
        added = _add_missing(con, "raw", source.table, v2_columns(source))
        if "_file_mtime" in added:
            con.execute(f"""
                update raw.{source.table} as r set _file_mtime = l.file_mtime
                from quality.ingestion_log as l where l.file_id = r._file_id""")
        if "source_profile" in added:  # the previous release read the canonical profile only
            con.execute(f"update raw.{source.table} set source_profile = 'canonical'")
        if "is_invitation" in added:
            con.execute(f"update raw.{source.table} set is_invitation = true")
