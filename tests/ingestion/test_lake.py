"""The raw layer as Parquet (ingestion/lake.py): what a Spark build reads as its sources."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion.lake import (
    QUALITY_TABLES,
    SCHEMA_FILE,
    export_lake,
    export_schema_tables,
    raw_file_path,
    schema_table_path,
)
from ingestion.loader import ingest
from tests.ingestion.conftest import SURVEY_HEADER, query

FIRST = f"""{SURVEY_HEADER}
r1,c1,a@x.com,email,post_call,2026-01-05 10:00:00,2026-01-05 11:00:00,9,great
r2,c2,b@x.com,sms,post_call,2026-01-06 10:00:00,,,
"""
SECOND = f"""{SURVEY_HEADER}
r1,c1,a@x.com,email,post_call,2026-01-05 10:00:00,2026-01-05 11:00:00,3,changed my mind
r3,c3,c@x.com,web,relationship,2026-01-07 10:00:00,2026-01-07 12:00:00,11,out of range
"""


def parquet_rows(path: Path, sql: str = "select * from t order by all") -> list[tuple]:
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"create view t as select * from read_parquet('{path}')")
        return con.execute(sql).fetchall()


def test_each_loaded_file_is_one_parquet_file_holding_exactly_its_raw_rows(landing, warehouse, put):
    put("surveys/a.csv", FIRST)
    put("surveys/b.csv", SECOND)
    ingest(landing, warehouse, max_rejected_share=1.0)
    lake = warehouse.parent / "lake"
    for file_id in (1, 2):
        expected = query(warehouse, f"select * from raw.surveys where _file_id = {file_id} order by all")
        assert parquet_rows(raw_file_path(lake, "surveys", file_id)) == expected
    assert sorted(p.name for p in (lake / "raw" / "surveys").iterdir()) == [
        "file_00000001.parquet",
        "file_00000002.parquet",
        SCHEMA_FILE,
    ]


def test_a_source_without_files_still_has_its_columns_in_the_lake(landing, warehouse, put):
    put("surveys/a.csv", FIRST)
    ingest(landing, warehouse, max_rejected_share=1.0)
    schema_file = warehouse.parent / "lake" / "raw" / "calls" / SCHEMA_FILE
    assert parquet_rows(schema_file) == []
    with duckdb.connect() as con:
        lake_columns = [r[0] for r in con.execute(f"describe select * from read_parquet('{schema_file}')").fetchall()]
    assert lake_columns == [r[0] for r in query(warehouse, "describe raw.calls")]


def test_the_quality_tables_are_in_the_lake_as_the_warehouse_holds_them(landing, warehouse, put):
    put("surveys/a.csv", FIRST)
    put("surveys/b.csv", SECOND)
    ingest(landing, warehouse, max_rejected_share=1.0)
    for table in QUALITY_TABLES:
        path = warehouse.parent / "lake" / "quality" / f"{table}.parquet"
        assert parquet_rows(path) == query(warehouse, f"select * from quality.{table} order by all"), table
    assert parquet_rows(warehouse.parent / "lake" / "quality" / "rejected_rows.parquet", "select count(*) from t") == [
        (1,)
    ]


def test_a_lake_file_lost_after_the_commit_is_written_again_by_the_next_run(landing, warehouse, put):
    put("surveys/a.csv", FIRST)
    ingest(landing, warehouse, max_rejected_share=1.0)
    lost = raw_file_path(warehouse.parent / "lake", "surveys", 1)
    lost.unlink()
    put("surveys/b.csv", SECOND)
    ingest(landing, warehouse, max_rejected_share=1.0)
    assert parquet_rows(lost) == query(warehouse, "select * from raw.surveys where _file_id = 1 order by all")


def test_a_lake_file_whose_rows_left_raw_is_removed_and_nothing_else_is_rewritten(landing, warehouse, put):
    put("surveys/a.csv", FIRST)
    put("surveys/b.csv", SECOND)
    ingest(landing, warehouse, max_rejected_share=1.0)
    lake = warehouse.parent / "lake"
    kept = raw_file_path(lake, "surveys", 1)
    written_at = kept.stat().st_mtime_ns
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.surveys where _file_id = 2")
        export = export_lake(con, lake)
    assert not raw_file_path(lake, "surveys", 2).exists()
    assert export.removed == {"surveys": [2]}
    assert export.written == {}
    assert kept.stat().st_mtime_ns == written_at


def test_the_theme_inputs_are_written_whole_to_the_lake_and_replaced_by_the_next_export(tmp_path):
    lake = tmp_path / "lake"
    with duckdb.connect() as con:
        con.execute("create schema themes")
        con.execute("create table themes.word_lemmas as select 'fr' as language, 'plantes' as word, 'plante' as lemma")
        export_schema_tables(con, lake, "themes", ["word_lemmas"])
        assert parquet_rows(schema_table_path(lake, "themes", "word_lemmas")) == [("fr", "plantes", "plante")]
        con.execute("insert into themes.word_lemmas values ('en', 'apps', 'app')")
        export_schema_tables(con, lake, "themes", ["word_lemmas"])
    assert parquet_rows(schema_table_path(lake, "themes", "word_lemmas")) == [
        ("en", "apps", "app"),
        ("fr", "plantes", "plante"),
    ]
    assert [p.name for p in (lake / "themes" / "word_lemmas").iterdir()] == ["data.parquet"]
