"""`quality.superseded_rows` after a run recomputes only the version keys of the files it loaded, and ends up
exactly (rows and order) as a whole recomputation."""

from __future__ import annotations

import shutil

import duckdb

from ingestion.loader import ingest, refresh_superseded_rows
from tests.ingestion.conftest import CALL_HEADER, CRM_HEADER


def calls(ids: list[int], hour: int) -> str:
    rows = [f"k{i},c{i},inbound,phone,2026-01-05T{hour:02d}:00:00Z,3,40,resolved" for i in ids]
    return "\n".join([CALL_HEADER, *rows]) + "\n"


def crm(ids: list[int], updated: str, segment: str) -> str:
    rows = [f"c{i},c{i}@x.com,{segment},pro,10.00,2025-01-01,active,{updated}" for i in ids]
    return "\n".join([CRM_HEADER, *rows]) + "\n"


def table(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("select * from quality.superseded_rows").fetchall()  # physical order: no order by


def test_an_incremental_refresh_leaves_the_table_a_whole_refresh_would(landing, warehouse, put, tmp_path):
    put("calls/a.csv", calls([1, 2, 3, 2], 9))  # k2 twice in one file
    put("crm/a.csv", crm([1, 2, 3], "2026-01-01T00:00:00Z", "smb"))
    put("surveys/.keep", "")
    assert ingest(landing, warehouse).ok
    put("calls/b.csv", calls([3, 4, 1], 10))  # k3 and k1 again, k4 new
    put("crm/b.csv", crm([2, 3], "2026-01-01T00:00:00Z", "enterprise"))  # the same versions again
    put("crm/c.csv", crm([1], "2026-02-01T00:00:00Z", "enterprise"))  # a new version: nothing superseded
    assert ingest(landing, warehouse).ok
    put("calls/c.csv", calls([2], 11))
    assert ingest(landing, warehouse).ok
    with duckdb.connect(str(warehouse)) as con:
        incremental = table(con)
    whole = tmp_path / "whole.duckdb"
    shutil.copy(warehouse, whole)
    with duckdb.connect(str(whole)) as con:
        refresh_superseded_rows(con)
        assert table(con) == incremental
    assert {(r[0], r[1]) for r in incremental} == {
        ("calls", "k1"),
        ("calls", "k2"),
        ("calls", "k3"),
        ("crm", "c2 @ 2026-01-01T00:00:00Z"),
        ("crm", "c3 @ 2026-01-01T00:00:00Z"),
    }
    assert sum(r[1] == "k2" for r in incremental) == 2  # two older lines of k2 replaced by calls/c.csv
