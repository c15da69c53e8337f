"""Publishing schema `marts` for BI: a 1.x-readable DuckDB file plus Parquet, swapped in atomically."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from publishing import publish
from publishing.publish import Content, content_of_comment, mart_keys, marts_without_parquet, publish_marts

DEFAULT_STORAGE_HEADER_OFFSET = 12  # 8-byte checksum, 4-byte magic "DUCK", then the storage version number


def make_warehouse(path: Path, rows: int) -> Path:
    """A tiny warehouse: two marts with `rows` rows each, a view in marts, and a staging table not to publish."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute(
            f"create or replace table marts.nps_by_period as select range as id, 'month' as period_grain "
            f"from range({rows})"
        )
        con.execute(f"create or replace table marts.close_the_loop as select range as id from range({rows})")
        con.execute("create or replace view marts.loop_open as select id from marts.close_the_loop where id % 2 = 0")
        con.execute("create or replace table staging.stg_private as select 1 as secret")
    return path


def counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()
        return {t: con.execute(f"select count(*) from marts.{t}").fetchall()[0][0] for (t,) in tables}


def test_publish_copies_every_mart_and_view_but_nothing_else(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "pub" / "nps_published.duckdb"
    result = publish_marts(warehouse, published)
    assert result.tables == {"close_the_loop": 10, "loop_open": 5, "nps_by_period": 10}
    assert counts(published) == result.tables
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
    assert schemas == {"marts"}
    parquet = sorted(p.name for p in (tmp_path / "pub" / "marts").iterdir())
    assert parquet == ["close_the_loop.parquet", "loop_open.parquet", "nps_by_period.parquet"]
    assert duckdb.sql(f"select count(*) from '{tmp_path}/pub/marts/loop_open.parquet'").fetchall() == [(5,)]
    leftovers = [p.name for p in published.parent.iterdir() if p.name not in ("nps_published.duckdb", "marts")]
    assert leftovers == [], leftovers


def test_a_mart_excluded_from_parquet_is_in_the_duckdb_copy_only_and_its_old_parquet_file_goes(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "pub" / "nps_published.duckdb"
    publish_marts(warehouse, published)
    with duckdb.connect(str(warehouse)) as con:  # the next day: one more row
        con.execute("insert into marts.close_the_loop values (10)")

    result = publish_marts(warehouse, published, parquet_excluded={"close_the_loop"})

    assert counts(published)["close_the_loop"] == 11
    assert "close_the_loop" not in result.parquet_rewritten
    parquet = sorted(p.name for p in (tmp_path / "pub" / "marts").iterdir())
    assert parquet == ["loop_open.parquet", "nps_by_period.parquet"]


def test_the_marts_without_parquet_are_the_mart_models_whose_meta_says_so():
    def model(name: str, schema: str, meta: dict) -> dict:
        return {"name": name, "resource_type": "model", "config": {"schema": schema, "meta": meta}}

    manifest = {
        "nodes": {
            "model.p.fct_calls": model("fct_calls", "marts", {"parquet": False}),
            "model.p.nps_by_period": model("nps_by_period", "marts", {}),
            "model.p.close_the_loop": model("close_the_loop", "marts", {"parquet": True}),
            "model.p.stg_calls": model("stg_calls", "staging", {"parquet": False}),
            "test.p.not_null": {"name": "not_null", "resource_type": "test", "config": {"schema": "marts"}},
        }
    }
    assert marts_without_parquet(manifest) == {"fct_calls"}


def test_the_project_publishes_fct_calls_without_parquet_and_every_contract_mart_with_it():
    from orchestration.resources import dbt_project

    manifest = json.loads(dbt_project().manifest_path.read_text())
    assert marts_without_parquet(manifest) == {"fct_calls"}


def test_published_file_has_a_storage_version_duckdb_1x_reads(tmp_path):
    published = tmp_path / "nps_published.duckdb"
    publish_marts(make_warehouse(tmp_path / "wh.duckdb", 3), published)
    with duckdb.connect() as con:
        con.execute(f"attach '{published}' as pub (read_only)")
        [(tags,)] = con.execute("select tags from duckdb_databases() where database_name = 'pub'").fetchall()
        # the same check on a file written with DuckDB's default storage: the header tells the two apart
        con.execute(f"attach '{tmp_path / 'default.duckdb'}' as dflt")
        con.execute("create table dflt.t as select 1 as x")
        con.execute("detach dflt")
    assert tags["storage_version"] == "v1.2.0+"
    header = published.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    version = int.from_bytes(header[DEFAULT_STORAGE_HEADER_OFFSET:20], "little")
    default_version = int.from_bytes((tmp_path / "default.duckdb").read_bytes()[12:20], "little")
    assert version == 65  # DuckDB 1.2's storage format; 1.2 and later 1.x releases open it
    assert version < default_version


def test_a_failed_publish_leaves_the_previous_copy_and_parquet_intact(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    before = published.read_bytes()
    parquet_before = {p.name: p.read_bytes() for p in (tmp_path / "marts").glob("*.parquet")}
    make_warehouse(warehouse, 20)
    with duckdb.connect(str(warehouse)) as con:  # the last mart (by name) fails after the others were copied
        con.execute("create view marts.zz_broken as select error('planted failure in a mart query') as x")
    with pytest.raises(duckdb.Error, match="planted failure"):
        publish_marts(warehouse, published)
    assert published.read_bytes() == before
    assert counts(published) == {"close_the_loop": 10, "loop_open": 5, "nps_by_period": 10}
    assert {p.name: p.read_bytes() for p in (tmp_path / "marts").glob("*.parquet")} == parquet_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marts", "nps_published.duckdb", "wh.duckdb"]
    assert sorted(p.name for p in (tmp_path / "marts").iterdir()) == sorted(parquet_before)


def test_a_copy_of_the_published_file_that_fails_fails_the_publish_and_leaves_the_previous_copy(tmp_path, monkeypatch):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    before = published.read_bytes()
    make_warehouse(warehouse, 20)

    def disk_full(source: Path, target: Path) -> None:
        Path(target).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish.shutil, "copyfile", disk_full)  # the copy runs in a thread, beside the hashing
    with pytest.raises(OSError, match="No space left"):
        publish_marts(warehouse, published)
    assert published.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marts", "nps_published.duckdb", "wh.duckdb"]


def test_publish_with_the_pipelines_open_connection_leaves_it_usable(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 4)
    published = tmp_path / "nps_published.duckdb"
    with duckdb.connect(str(warehouse)) as con:  # read-write: a second process could not open the file now
        attached = con.execute("select count(*) from duckdb_databases()").fetchall()
        result = publish_marts(warehouse, published, con=con)
        con.execute("insert into marts.nps_by_period values (99, 'month')")
        assert con.execute("select count(*) from duckdb_databases()").fetchall() == attached
    assert result.tables["nps_by_period"] == 4
    assert counts(published)["nps_by_period"] == 4


def test_a_dropped_mart_loses_its_parquet_file(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 4)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop view marts.loop_open")
    publish_marts(warehouse, published)
    assert sorted(p.name for p in (tmp_path / "marts").iterdir()) == ["close_the_loop.parquet", "nps_by_period.parquet"]


def test_an_empty_marts_schema_is_an_error_and_publishes_nothing(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(RuntimeError, match="no tables in schema marts"):
        publish_marts(warehouse, tmp_path / "nps_published.duckdb")
    assert not (tmp_path / "nps_published.duckdb").exists()


READER = textwrap.dedent("""
    import json, sys, pathlib, duckdb
    published, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    parquet = published.parent / "marts"
    seen, errors, reads = set(), [], 0
    while not stop.exists():
        pair = ()
        try:
            with duckdb.connect(str(published), read_only=True) as con:
                pair = tuple(con.execute(f"select count(*) from marts.{t}").fetchall()[0][0]
                             for t in ("nps_by_period", "close_the_loop"))
            for t in ("nps_by_period", "close_the_loop"):
                seen.add(("parquet", duckdb.sql(f"select count(*) from '{parquet / t}.parquet'").fetchall()[0][0]))
            seen.add(("duckdb",) + pair)
        except Exception as exc:
            errors.append(repr(exc))
        reads += 1
        print("read", *pair, flush=True)
    print(json.dumps({"seen": sorted(map(list, seen)), "errors": errors, "reads": reads}))
""")


def test_readers_querying_during_two_publishes_see_whole_versions_and_no_error(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 100)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None
        reader.stdout.readline()  # the reader has read the first version
        make_warehouse(warehouse, 200)
        publish_marts(warehouse, published)
        make_warehouse(warehouse, 300)
        publish_marts(warehouse, published)
        reads_of_last, deadline = 0, time.monotonic() + 120
        while reads_of_last < 3 and time.monotonic() < deadline:  # lines already in the pipe may be older reads
            line = reader.stdout.readline()
            if not line:  # the reader ended: its report says why
                break
            reads_of_last += 1 if line.split() == ["read", "300", "300"] else 0
        stop.touch()
        lines = reader.stdout.read().splitlines()
        reader.wait(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            time.sleep(0.1)
    report = json.loads(lines[-1])
    assert report["errors"] == []
    duck = {tuple(s[1:]) for s in report["seen"] if s[0] == "duckdb"}
    parquet = {s[1] for s in report["seen"] if s[0] == "parquet"}
    assert duck <= {(100, 100), (200, 200), (300, 300)} and (300, 300) in duck  # never one table of each version
    assert parquet <= {100, 200, 300} and 300 in parquet


def _published_fingerprints(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(
            con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        )


def _blocks(path: Path, table: str) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute(f"select block_id from pragma_storage_info('marts.{table}')").fetchall()]


def test_a_publish_with_no_changed_mart_rewrites_neither_the_duckdb_file_nor_any_parquet(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    files = [published, *sorted((tmp_path / "marts").glob("*.parquet"))]
    before = {f: (f.stat().st_ino, f.stat().st_mtime_ns) for f in files}
    make_warehouse(warehouse, 10)  # rebuilt by dbt with the same content

    result = publish_marts(warehouse, published)

    assert result.rewritten == () and result.parquet_rewritten == ()
    assert {f: (f.stat().st_ino, f.stat().st_mtime_ns) for f in files} == before
    assert result.tables == {"close_the_loop": 10, "loop_open": 5, "nps_by_period": 10}


def test_only_the_changed_mart_is_republished_and_the_unchanged_ones_keep_their_storage(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    parquet = tmp_path / "marts"
    unchanged = parquet / "nps_by_period.parquet"
    stat_before = (unchanged.stat().st_ino, unchanged.stat().st_mtime_ns)
    blocks_before = _blocks(published, "nps_by_period")
    with duckdb.connect(str(warehouse)) as con:  # one more row in close_the_loop (and so in the view on it)
        con.execute("insert into marts.close_the_loop values (10)")

    result = publish_marts(warehouse, published)

    assert result.rewritten == ("close_the_loop", "loop_open")
    assert result.parquet_rewritten == ("close_the_loop", "loop_open")
    assert counts(published) == {"close_the_loop": 11, "loop_open": 6, "nps_by_period": 10}
    assert duckdb.sql(f"select count(*) from '{parquet}/close_the_loop.parquet'").fetchall() == [(11,)]
    assert (unchanged.stat().st_ino, unchanged.stat().st_mtime_ns) == stat_before
    assert _blocks(published, "nps_by_period") == blocks_before  # the table was carried over, not written again
    header = published.read_bytes()[:20]
    assert int.from_bytes(header[DEFAULT_STORAGE_HEADER_OFFSET:20], "little") == 65  # still DuckDB 1.x-readable


def test_a_changed_value_with_the_same_row_count_is_republished(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.nps_by_period set period_grain = 'week' where id = 3")

    result = publish_marts(warehouse, published)

    assert result.rewritten == ("nps_by_period",)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select period_grain from marts.nps_by_period where id = 3").fetchall() == [("week",)]
    assert duckdb.sql(
        f"select count(*) from '{tmp_path}/marts/nps_by_period.parquet' where period_grain = 'week'"
    ).fetchall() == [(1,)]


def test_a_parquet_file_lost_or_replaced_by_hand_is_written_again_even_when_the_mart_did_not_change(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    (tmp_path / "marts" / "close_the_loop.parquet").unlink()
    duckdb.sql(f"copy (select 1 as id) to '{tmp_path}/marts/nps_by_period.parquet' (format parquet)")

    result = publish_marts(warehouse, published)

    assert result.rewritten == ()
    assert result.parquet_rewritten == ("close_the_loop", "nps_by_period")
    assert duckdb.sql(f"select count(*) from '{tmp_path}/marts/nps_by_period.parquet'").fetchall() == [(10,)]


def test_a_copy_published_without_fingerprints_is_replaced_whole(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    with duckdb.connect(str(published)) as con:  # as an earlier release wrote it: no fingerprint comments
        con.execute("create schema marts")
        con.execute("create table marts.nps_by_period as select range as id, 'month' as period_grain from range(10)")
        con.execute("create table marts.old_mart as select 1 as x")

    result = publish_marts(warehouse, published)

    assert result.rewritten == ("close_the_loop", "loop_open", "nps_by_period")
    assert counts(published) == {"close_the_loop": 10, "loop_open": 5, "nps_by_period": 10}
    assert all(v.startswith("nps content fingerprint ") for v in _published_fingerprints(published).values())


def _mart_names(con: duckdb.DuckDBPyConnection, db: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = $db and schema_name = 'marts'"
            " union select view_name from duckdb_views() where database_name = $db and schema_name = 'marts'",
            {"db": db},
        ).fetchall()
    }


def test_the_published_copy_equals_the_warehouse_marts_after_each_publish(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    for change in (
        "insert into marts.close_the_loop values (10), (11)",
        "delete from marts.nps_by_period where id < 3",
        "insert into marts.nps_by_period select * from marts.nps_by_period where id = 5",  # a duplicate row
        "alter table marts.nps_by_period add column note varchar default 'x'",  # other columns: written again
        "drop view marts.loop_open",
        "create table marts.new_mart as select 'x' as label",
    ):
        with duckdb.connect(str(warehouse)) as con:
            con.execute(change)
        publish_marts(warehouse, published)
        with duckdb.connect() as con:
            con.execute(f"attach '{warehouse}' as wh (read_only)")
            con.execute(f"attach '{published}' as pub (read_only)")
            assert _mart_names(con, "wh") == _mart_names(con, "pub"), change
            for table in _mart_names(con, "wh"):
                diff = con.execute(
                    f"select count(*) from ((select * from wh.marts.{table} except all select * from pub.marts.{table})"
                    f" union all (select * from pub.marts.{table} except all select * from wh.marts.{table}))"
                ).fetchall()
                assert diff == [(0,)], (change, table)
                parquet = duckdb.sql(f"select count(*) from '{tmp_path}/marts/{table}.parquet'").fetchall()
                assert parquet == con.execute(f"select count(*) from wh.marts.{table}").fetchall()


def test_a_large_mart_with_a_few_new_rows_is_patched_not_written_again(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 200_000)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    blocks_before = set(_blocks(published, "close_the_loop"))
    with duckdb.connect(str(warehouse)) as con:  # one more day: a few rows added, one changed
        con.execute("insert into marts.close_the_loop select range from range(200000, 200100)")
        con.execute("update marts.close_the_loop set id = -1 where id = 7")

    result = publish_marts(warehouse, published)

    assert "close_the_loop" in result.rewritten
    assert blocks_before & set(_blocks(published, "close_the_loop"))  # the untouched rows kept their blocks
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{published}' as pub (read_only)")
        assert con.execute(
            "select count(*) from ((select * from wh.marts.close_the_loop except all"
            " select * from pub.marts.close_the_loop) union all (select * from pub.marts.close_the_loop"
            " except all select * from wh.marts.close_the_loop))"
        ).fetchall() == [(0,)]


def _published_equals_the_warehouse(warehouse: Path, published: Path, table: str) -> bool:
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{published}' as pub (read_only)")
        return con.execute(
            f"select count(*) from ((select * from wh.marts.{table} except all select * from pub.marts.{table})"
            f" union all (select * from pub.marts.{table} except all select * from wh.marts.{table}))"
        ).fetchall() == [(0,)]


def test_identical_rows_repeated_a_different_number_of_times_are_published_exactly(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 100_000)
    with duckdb.connect(str(warehouse)) as con:  # row 1 twice, row 2 once
        con.execute("insert into marts.close_the_loop values (1)")
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    with duckdb.connect(str(warehouse)) as con:  # now row 1 once, row 2 twice: same rows, same count, other multiset
        con.execute("delete from marts.close_the_loop where id = 1")
        con.execute("insert into marts.close_the_loop values (1), (2)")

    result = publish_marts(warehouse, published)

    assert "close_the_loop" in result.rewritten
    assert _published_equals_the_warehouse(warehouse, published, "close_the_loop")


def test_a_large_view_in_marts_with_a_few_new_rows_is_patched_exactly(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 200_000)
    published = tmp_path / "nps_published.duckdb"
    publish_marts(warehouse, published)
    blocks_before = set(_blocks(published, "loop_open"))
    with duckdb.connect(str(warehouse)) as con:  # the view's rows follow its table: 50 new rows, one gone
        con.execute("insert into marts.close_the_loop select range from range(200000, 200100)")
        con.execute("delete from marts.close_the_loop where id = 8")

    result = publish_marts(warehouse, published)

    assert "loop_open" in result.rewritten
    assert blocks_before & set(_blocks(published, "loop_open"))
    assert _published_equals_the_warehouse(warehouse, published, "loop_open")


def make_fact(path: Path, rows: int) -> Path:
    """A warehouse with an incremental fact, `rows` calls stamped by the build that wrote them (1), and a mart that
    does not change (a publish starts from the published file when some mart kept its fingerprint)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.dim_queues as select range as queue from range(7)")
        con.execute(
            "create or replace table marts.fct_calls as select 'K' || range as call_id, range % 7 as queue,"
            f" 1 as _built_through_file_id from range({rows})"
        )
    return path


def _refuse(*_args: object) -> bool:
    raise AssertionError("compared row by row")


def test_a_fact_is_patched_by_key_through_new_changed_and_gone_rows_day_after_day(tmp_path, monkeypatch):
    warehouse = make_fact(tmp_path / "wh.duckdb", 100_000)
    published = tmp_path / "nps_published.duckdb"
    keys = {"fct_calls": "call_id"}
    publish_marts(warehouse, published, keys=keys)
    blocks_before = set(_blocks(published, "fct_calls"))
    monkeypatch.setattr(publish, "patch_table", _refuse)  # neither table is hashed row by row
    written_whole = []
    original = publish._write_database
    monkeypatch.setattr(
        publish, "_write_database", lambda *args: written_whole.append(args[3] is None) or original(*args)
    )
    for day in (2, 3):
        with duckdb.connect(str(warehouse)) as con:  # a build: rows restamped (changed), new keys, keys gone
            con.execute(
                f"update marts.fct_calls set queue = -{day}, _built_through_file_id = {day}"
                " where queue = 3 and call_id < 'K2'"
            )
            con.execute(f"insert into marts.fct_calls select 'N{day}-' || range, 1, {day} from range(50)")
            con.execute(f"delete from marts.fct_calls where call_id in ('K{day}0', 'K{day}1')")

        result = publish_marts(warehouse, published, keys=keys)

        assert result.rewritten == ("fct_calls",)
        assert _published_equals_the_warehouse(warehouse, published, "fct_calls"), day
    assert written_whole == [False, False]  # both publishes started from the published file
    assert blocks_before & set(_blocks(published, "fct_calls"))  # the untouched rows kept their blocks


@pytest.mark.parametrize("earlier_release", [False, True])
def test_a_fact_changed_without_new_stamps_or_without_counts_on_record_is_compared_row_by_row(
    tmp_path, monkeypatch, earlier_release
):
    warehouse = make_fact(tmp_path / "wh.duckdb", 100_000)
    published = tmp_path / "nps_published.duckdb"
    keys = {"fct_calls": "call_id"}
    publish_marts(warehouse, published, keys=keys)
    if earlier_release:  # its comment has the fingerprint only
        with duckdb.connect(str(published)) as con:
            [(comment,)] = con.execute("select comment from duckdb_tables() where table_name = 'fct_calls'").fetchall()
            con.execute(f"comment on table marts.fct_calls is '{comment.split(' rows ')[0]}'")
    by_key = []
    original = publish.patch_by_key
    monkeypatch.setattr(publish, "patch_by_key", lambda *args: by_key.append(original(*args)) or by_key[-1])
    with duckdb.connect(str(warehouse)) as con:  # e.g. a full refresh after a fix: other values, the same stamps
        con.execute("update marts.fct_calls set queue = -1 where call_id in ('K1', 'K2')")

    result = publish_marts(warehouse, published, keys=keys)

    assert result.rewritten == ("fct_calls",)
    assert by_key == [False]
    assert _published_equals_the_warehouse(warehouse, published, "fct_calls")


def test_the_comment_of_a_published_mart_records_its_fingerprint_and_counts():
    content = Content("ab12", 3, -17)
    assert content_of_comment(content.comment()) == content
    assert content_of_comment("nps content fingerprint ab12") == Content("ab12")
    assert content_of_comment("a comment someone wrote") is None


def test_the_project_publishes_the_facts_with_their_unique_keys():
    manifest = json.loads(
        (Path(__file__).resolve().parents[2] / "dbt_project" / "target" / "manifest.json").read_text()
    )
    assert mart_keys(manifest) == {
        "fct_calls": "call_id",
        "fct_survey_responses": "response_id",
        "non_respondents": "response_id",
    }


def test_a_publish_where_every_mart_changed_still_patches_the_published_copy(tmp_path, monkeypatch):
    # a daily run changes every mart (new responses, CRM rows, calls): the copy was written whole every day
    warehouse = make_fact(tmp_path / "wh.duckdb", 100_000)
    published = tmp_path / "nps_published.duckdb"
    keys = {"fct_calls": "call_id"}
    publish_marts(warehouse, published, keys=keys)
    starts = []
    original = publish._write_database
    monkeypatch.setattr(publish, "_write_database", lambda *args: starts.append(args[2]) or original(*args))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.fct_calls select 'N' || range, 1, 2 from range(50)")
        con.execute("insert into marts.dim_queues values (7)")

    result = publish_marts(warehouse, published, keys=keys)

    assert result.rewritten == ("dim_queues", "fct_calls")
    assert starts == [published]
    assert _published_equals_the_warehouse(warehouse, published, "fct_calls")
    assert _published_equals_the_warehouse(warehouse, published, "dim_queues")
