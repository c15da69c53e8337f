"""The warehouse built by the previous release (v1, before contract v2), as tests/fixtures/v1_warehouse holds it.

`schema.sql`, `load.sql` and the Parquet files are DuckDB's `EXPORT DATABASE` of that release's `nps run` on
`landing/` (the README beside them says how and from which commit).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

V1_FIXTURE = Path(__file__).parents[1] / "fixtures" / "v1_warehouse"
V1_EXPORT = V1_FIXTURE / "warehouse"
V1_LANDING = V1_FIXTURE / "landing"
V1_NEW_FILE = V1_FIXTURE / "new_file"  # a file the v1 run never saw


def create_v1_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The previous release's schemas and tables, empty (its own DDL, not a copy)."""
    con.execute((V1_EXPORT / "schema.sql").read_text(encoding="utf-8"))


def import_v1_warehouse(path: Path) -> None:
    """A new DuckDB file at `path` holding exactly the warehouse of the previous release."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(f"import database '{V1_EXPORT}'")
