"""Published copies for the dashboard tests: the messy tiny build judged mid-June (so some follow-ups fall due
that day and June is a partial month), an empty one and one without marts."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from publishing.publish import publish_marts

AS_OF = "2026-06-25T03:00:00+00:00"  # two detractors of 24 June fall due on 25 June, still open at 03:00


@pytest.fixture(scope="session")
def published(messy_landing, tmp_path_factory) -> Path:
    from ingestion.loader import ingest
    from tests.builds import dbt, prepare_themes

    landing, _ = messy_landing
    work = tmp_path_factory.mktemp("dashboard_build")
    warehouse = work / "nps.duckdb"
    ingest(landing, warehouse)
    prepare_themes(warehouse)
    dbt(warehouse, work, "build", as_of=AS_OF)
    path = tmp_path_factory.mktemp("published") / "nps_published.duckdb"
    publish_marts(warehouse, path)
    return path


@pytest.fixture(scope="session")
def empty_published(published, tmp_path_factory) -> Path:
    """The same marts without a row: a fresh deployment before its first responses."""
    path = tmp_path_factory.mktemp("empty") / "nps_published.duckdb"
    shutil.copy(published, path)
    with duckdb.connect(str(path)) as con:
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        for (table,) in tables:
            con.execute(f'delete from marts."{table}"')
    return path


@pytest.fixture(scope="session")
def no_marts(tmp_path_factory) -> Path:
    """A DuckDB file that is not a published copy (no schema marts)."""
    path = tmp_path_factory.mktemp("no_marts") / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as x")
    return path
