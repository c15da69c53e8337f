"""Great Expectations 1.x on DuckDB: one persistent, read-only DuckDB connection behind GE's SQL engine.

Why this exists: GE's `SqlAlchemyExecutionEngine.execute_query` runs a query inside
`with engine.connect() as connection:` and fetches the rows *after* the block has closed the
connection. Closing a SQLAlchemy connection rolls back its transaction and returns it to the pool,
and DuckDB discards a pending result on rollback, so with a plain `duckdb:///path` datasource every
metric bundle comes back empty (`IndexError: list index out of range`, GE issues #10738 / #11579).

The fix here keeps GE's expectations, metrics and results unchanged and only changes the connection:

* one in-memory DuckDB connection with the warehouse file ATTACHed ``READ_ONLY`` under the alias
  ``warehouse`` (the alias dbt uses, so dbt's views that name ``warehouse.raw.…`` resolve too);
* handed to SQLAlchemy through ``creator`` with a ``StaticPool`` (every checkout is that one connection)
  and ``pool_reset_on_return=None``;
* wrapped so that SQLAlchemy's begin / commit / rollback / close are no-ops: DuckDB runs in autocommit,
  nothing is written (the file is attached read-only), and a pending result survives until GE fetches it.
  The connection is closed by `WarehouseConnection.close()`, never by GE.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import duckdb_engine
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import SQLDatasource
    from great_expectations.datasource.fluent.sql_datasource import TableAsset

WAREHOUSE_ALIAS = "warehouse"


class _PersistentDuckDBConnection(duckdb_engine.ConnectionWrapper):
    """duckdb-engine's DBAPI wrapper with transaction control and close turned into no-ops (see module doc)."""

    def begin(self) -> None:
        """Autocommit: DuckDB runs each read in its own transaction."""

    def commit(self) -> None:
        """Nothing to commit: the warehouse is attached read-only."""

    def rollback(self) -> None:
        """A rollback would discard the pending result GE has not fetched yet."""

    def close(self) -> None:
        """The owner (`WarehouseConnection`) closes the real connection."""


@dataclass
class WarehouseConnection:
    """A read-only view of a warehouse file: one DuckDB connection shared by every GE query."""

    warehouse_path: Path
    connection: duckdb.DuckDBPyConnection

    def engine_kwargs(self) -> dict[str, Any]:
        """SQLAlchemy `create_engine` kwargs that make every checkout this one connection."""
        wrapped = _PersistentDuckDBConnection(self.connection)
        return {"creator": lambda: wrapped, "poolclass": StaticPool, "pool_reset_on_return": None}

    def existing_relations(self) -> set[str]:
        """`schema.table` of every table and view in the warehouse."""
        rows = self.connection.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = ?",
            [WAREHOUSE_ALIAS],
        ).fetchall()
        return {f"{schema}.{table}" for schema, table in rows}

    def close(self) -> None:
        self.connection.close()


def open_warehouse_read_only(warehouse_path: Path) -> WarehouseConnection:
    """Attach `warehouse_path` read-only under the alias `warehouse` in a fresh in-memory DuckDB."""
    if not warehouse_path.is_file():
        raise FileNotFoundError(f"warehouse file not found: {warehouse_path}")
    connection = duckdb.connect(":memory:")
    try:
        connection.execute("set TimeZone = 'UTC'")
        quoted = str(warehouse_path.resolve()).replace("'", "''")
        connection.execute(f"attach '{quoted}' as {WAREHOUSE_ALIAS} (read_only)")
        connection.execute(f"use {WAREHOUSE_ALIAS}")
    except Exception:
        connection.close()
        raise
    return WarehouseConnection(warehouse_path=warehouse_path, connection=connection)


@contextmanager
def warehouse_read_only(warehouse_path: Path) -> Iterator[WarehouseConnection]:
    warehouse = open_warehouse_read_only(warehouse_path)
    try:
        yield warehouse
    finally:
        warehouse.close()


def add_duckdb_datasource(context: AbstractDataContext, name: str, warehouse: WarehouseConnection) -> SQLDatasource:
    """A GE SQL datasource whose execution engine runs on `warehouse`'s single connection.

    The connection string only selects the duckdb-engine dialect; `creator` supplies the connection.
    """
    return context.data_sources.add_sql(
        name=name, connection_string="duckdb:///:memory:", kwargs=warehouse.engine_kwargs()
    )


def add_table_asset(datasource: SQLDatasource, schema_name: str, table_name: str) -> TableAsset:
    """A table asset named `schema.table` that queries the schema-qualified table."""
    with warnings.catch_warnings():
        # GE 1.14+ prefers the schema in the connection config; DuckDB has no such URL field, and the
        # table asset's schema_name is what qualifies the table in every generated query.
        warnings.simplefilter("ignore", DeprecationWarning)
        return datasource.add_table_asset(
            name=f"{schema_name}.{table_name}", table_name=table_name, schema_name=schema_name
        )
