"""Publish schema `marts` for BI: a new DuckDB file (readable by DuckDB 1.x) and Parquet files, swapped in.

Readers never see a half-written file and never touch the warehouse (DuckDB allows one writer and no reader
beside it): everything is written under a temporary name in the same folder and renamed over the old file
(`os.replace` is atomic on one filesystem). A failure part-way leaves the previous published copy intact.

The DuckDB file and the Parquet files are each swapped atomically, one file at a time: a reader that opens the
DuckDB file sees one complete publish; a reader of several Parquet files may, for a few milliseconds, see one
file of the new publish beside one of the previous publish.

Only marts that changed are written (issue 21). Each mart's content fingerprint (`content_fingerprint`: columns,
row count and the sum of DuckDB's row hashes, computed in DuckDB) is kept with its published copies: as the table's
comment in the published DuckDB file and in the key-value metadata of its Parquet file, so it can never describe
another version of the file it sits in. A publish compares the warehouse's fingerprints with them:
- no mart changed, none added or dropped: the DuckDB file is left as it is (same inode, same bytes);
- otherwise the new DuckDB file starts as a copy of the published one (same storage version), the dropped marts
  are dropped from it, and it is renamed over the old one once each changed mart is brought up to date. The copy
  is made in a thread while DuckDB hashes the marts (`copy_in_background`), and removed when no mart changed. A mart
  with the same columns is patched (`patch_table`: the rows whose hash the warehouse has a different number of
  times are deleted and inserted again, so a one-day change writes that day's rows, not the whole fact table),
  any other is written again. A mart with a unique key and the `_built_through_file_id` stamp an incremental dbt
  model puts on the rows each build writes (`fct_calls`, `fct_survey_responses`, `non_respondents`) is patched by
  key first (`patch_by_key`): the rows stamped after the published copy's newest stamp replace the rows of their
  keys, and neither table is hashed whole;
- a Parquet file is rewritten only when its own fingerprint differs from the mart's;
- a mart in `parquet_excluded` (a model whose dbt config says `meta: {parquet: false}`: `fct_calls`, 20M rows that
  no reader takes as Parquet) is published in the DuckDB file only, and a Parquet file of it left by an earlier
  publish is removed, so that no reader takes an outdated copy for the current one.
Without a usable published file (none yet, another storage version, no fingerprints) everything is written.

Temporaries are named `<prefix>tmp-<host>-<pid>-<random>`: `.nps_published.duckdb.tmp-…` (and its `.wal`),
`marts/.tmp-…/` and the spill folder `.publish.tmp-…/`. A publish that is killed cannot remove its own, so every
publish first removes the stale ones (`stale_temporaries`): those of this host whose process no longer runs,
and any not modified for `STALE_AFTER_SECONDS`, whatever host wrote it (another machine sharing the folder,
whose processes cannot be seen from here, or a pid reused since). A concurrent publisher's temporaries are
therefore never touched while it runs: its process is alive and it writes them continuously.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

STORAGE_VERSION = "v1.2.0"  # DuckDB 2.0 writes storage 69 by default, which 1.x clients and BI drivers refuse
SCHEMA = "marts"
STALE_AFTER_SECONDS = 6 * 3600  # untouched this long: stale whoever wrote it (a publish writes for seconds)
# `tmp-<host>-<pid>-<random>` (host absent in names written before it was added: this host)
TEMPORARY = re.compile(r"\.(?:.+\.)?tmp-(?:(?P<host>.+)-)?(?P<pid>\d+)-[0-9a-f]{6}(?:\.wal)?")
FINGERPRINT_VERSION = 1  # bump when the fingerprint's recipe changes: every mart is then published again
FINGERPRINT_KEY = "nps_fingerprint"  # Parquet key-value metadata
COMMENT_PREFIX = "nps content fingerprint "  # the published table's comment: prefix, fingerprint, then its counts
COMMENT = re.compile(
    re.escape(COMMENT_PREFIX) + r"(?P<fingerprint>[0-9a-f]+)(?: rows (?P<rows>\d+) hash sum (?P<sum>-?\d+))?"
)
STAMP = "_built_through_file_id"  # the load-order stamp incremental dbt models put on each row a build writes
PATCH_MAX_SHARE = 0.2  # rows deleted + inserted, as a share of the mart's rows, above which it is written again
SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # Parquet names DuckDB cannot mistake for a glob pattern


@dataclass(frozen=True)
class PublishResult:
    published_path: Path
    parquet_dir: Path
    tables: dict[str, int] = field(default_factory=dict)  # mart → rows
    rewritten: tuple[str, ...] = ()  # marts written into the DuckDB file by this publish
    parquet_rewritten: tuple[str, ...] = ()  # marts whose Parquet file this publish wrote


@dataclass(frozen=True)
class Content:
    """What a publish knows of a mart's content: its fingerprint (`content_fingerprint`) and, when known, the row
    count and the exact sum of the row hashes it was computed from (the comment of a table published by an earlier
    release has the fingerprint only)."""

    fingerprint: str
    rows: int | None = None
    hash_sum: int | None = None

    def comment(self) -> str:
        return f"{COMMENT_PREFIX}{self.fingerprint} rows {self.rows} hash sum {self.hash_sum}"


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source_database(con: duckdb.DuckDBPyConnection, warehouse_path: Path) -> str:
    """The catalog name under which `con` has the warehouse file open (the default database, or an attachment)."""
    wanted = warehouse_path.resolve()
    attached = con.execute("select database_name, path from duckdb_databases() where path is not null").fetchall()
    for name, path in attached:
        if Path(path).resolve() == wanted:
            return str(name)
    return str(con.execute("select current_database()").fetchall()[0][0])


def mart_relations(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    """Tables and views of schema `marts` in `database` (views are published as tables), by name."""
    return [
        row[0]
        for row in con.execute(
            """select table_name from duckdb_tables() where database_name = $db and schema_name = $schema
           union
           select view_name from duckdb_views() where database_name = $db and schema_name = $schema and not internal
           order by 1""",
            {"db": database, "schema": SCHEMA},
        ).fetchall()
    ]


def row_hashes(con: duckdb.DuckDBPyConnection, relation: str, is_table: bool) -> str:
    """A temporary table of DuckDB's 64-bit hash of every row of `relation` (`h`), with the row's `rowid` (`r`,
    null for a view, which has none); returns its name. The fingerprint and the patch both read it, so each mart
    is hashed once per publish."""
    name = f"nps_publish_hashes_{secrets.token_hex(4)}"
    rowid = "rowid" if is_table else "null::bigint"
    con.execute(f"create temp table {name} as select {rowid} as r, hash(*columns(*)) as h from {relation}")
    return name


def content_fingerprint(con: duckdb.DuckDBPyConnection, relation: str, hashes: str) -> Content:
    """A fingerprint of a relation's content, computed in DuckDB, with its row count and hash sum; `hashes`: its
    row hashes (`row_hashes`).

    It covers the column names and types (in order), the row count and the sum of DuckDB's 64-bit hash of every
    row (exact sum, as HUGEINT): equal content gives an equal fingerprint whatever the row order, and a changed,
    added or removed row changes it except by a 64-bit hash collision."""
    columns = _columns(con, relation)
    rows, total = con.execute(f"select count(*), sum(h) from {hashes}").fetchall()[0]
    digest = hashlib.sha256(json.dumps([FINGERPRINT_VERSION, columns, rows, str(total)]).encode())
    return Content(digest.hexdigest(), int(rows), int(total or 0))


def published_contents(con: duckdb.DuckDBPyConnection, published_path: Path) -> dict[str, Content | None] | None:
    """The content of each mart in the published DuckDB file as its comment records it (None for a table
    published without one), or None when there is no published file this publish can start from (missing, or
    written with another storage version)."""
    if not published_path.is_file():
        return None
    alias = f"nps_publish_previous_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        con.execute(f"attach {_literal(published_path)} as {alias} (read_only)")
    except duckdb.Error:  # not a DuckDB file, or one this DuckDB cannot open: publish from scratch
        return None
    try:
        [(tags,)] = con.execute("select tags from duckdb_databases() where database_name = ?", [alias]).fetchall()
        if (tags or {}).get("storage_version") != f"{STORAGE_VERSION}+":
            return None
        rows = con.execute(
            "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = ?",
            [alias, SCHEMA],
        ).fetchall()
    finally:
        con.execute(f"detach {alias}")
    return {str(name): content_of_comment(comment) for name, comment in rows}


def content_of_comment(comment: object) -> Content | None:
    match = COMMENT.fullmatch(str(comment or ""))
    if match is None:
        return None
    rows, total = match["rows"], match["sum"]
    return Content(match["fingerprint"], int(rows) if rows else None, int(total) if total else None)


def parquet_fingerprint(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """The fingerprint a publish wrote into a Parquet file's key-value metadata, or None (no file, none written,
    or a name DuckDB would read as a glob pattern)."""
    if not path.is_file() or not SAFE_NAME.fullmatch(path.name):
        return None
    try:
        rows = con.execute(
            "select value from parquet_kv_metadata(?) where key = ?", [str(path), FINGERPRINT_KEY.encode()]
        ).fetchall()
    except duckdb.Error:  # unreadable: rewrite it
        return None
    return rows[0][0].decode() if rows else None


def _mart_configs(manifest: dict) -> Iterator[tuple[str, dict]]:
    """(name, dbt config) of each model of schema `marts` in a dbt manifest (its parsed JSON)."""
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["config"].get("schema") == SCHEMA:
            yield node["name"], node["config"]


def marts_without_parquet(manifest: dict) -> frozenset[str]:
    """The marts a dbt manifest (its parsed JSON) publishes in the DuckDB file only: the models of schema `marts`
    whose config has `meta: {parquet: false}`."""
    return frozenset(
        name for name, config in _mart_configs(manifest) if (config.get("meta") or {}).get("parquet") is False
    )


def mart_keys(manifest: dict) -> dict[str, str]:
    """The unique key of each mart whose dbt config declares one column as `unique_key` (its parsed manifest)."""
    return {
        name: config["unique_key"]
        for name, config in _mart_configs(manifest)
        if isinstance(config.get("unique_key"), str)
    }


def process_is_running(pid: int) -> bool:
    """Whether a process with this id exists on this machine (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _last_modified(path: Path) -> float:
    """The newest modification time of `path` and, for a folder, of the files in it."""
    times = [path.lstat().st_mtime]
    if path.is_dir() and not path.is_symlink():
        times += [child.lstat().st_mtime for child in path.iterdir()]
    return max(times)


def stale_temporaries(
    folders: list[Path],
    now: float,
    host: str,
    is_running: Callable[[int], bool] = process_is_running,
    stale_after: float = STALE_AFTER_SECONDS,
) -> Iterator[Path]:
    """The publish temporaries in `folders` that no running publish can still be writing (module docstring)."""
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            found = TEMPORARY.fullmatch(path.name)
            if found is None:
                continue
            try:
                age = now - _last_modified(path)
            except FileNotFoundError:  # its publish just finished and removed it
                continue
            mine = found["host"] in (None, host)
            if age > stale_after or (mine and not is_running(int(found["pid"]))):
                yield path


def remove_stale_temporaries(published_path: Path, now: float | None = None) -> list[Path]:
    """Remove what killed publishes left beside `published_path` and in its `marts/` folder; return it."""
    folders = [published_path.parent, published_path.parent / SCHEMA]
    removed = list(stale_temporaries(folders, time.time() if now is None else now, socket.gethostname()))
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def publish_marts(
    warehouse_path: Path,
    published_path: Path,
    con: duckdb.DuckDBPyConnection | None = None,
    memory_limit: str | None = None,
    parquet_excluded: Collection[str] = (),
    keys: Mapping[str, str] | None = None,
) -> PublishResult:
    """Bring `published_path` and `<its folder>/marts/<table>.parquet` up to date with schema `marts`, writing
    only the marts whose content changed (module docstring). The marts in `parquet_excluded` get no Parquet file;
    `keys`: the unique key column of the marts that have one (`mart_keys`), for `patch_by_key`.

    `con`: the caller's open (read-write) connection to the warehouse, used instead of opening the file again
    (DuckDB allows one writer process). It is left as it was found.
    """
    warehouse_path, published_path = Path(warehouse_path), Path(published_path)
    published_path.parent.mkdir(parents=True, exist_ok=True)
    parquet_dir = published_path.parent / SCHEMA
    parquet_dir.mkdir(exist_ok=True)
    remove_stale_temporaries(published_path)
    token = secrets.token_hex(3)
    tag = f"tmp-{socket.gethostname()}-{os.getpid()}-{token}"
    tmp_db = published_path.with_name(f".{published_path.name}.{tag}")
    tmp_parquet = parquet_dir / f".{tag}"
    spill_dir = published_path.parent / f".publish.{tag}"
    target = f"nps_publish_{os.getpid()}_{token}"
    own = con is None
    hashes: dict[str, str] = {}  # mart → its row hashes (temporary table)
    if own:
        if not warehouse_path.exists():
            raise FileNotFoundError(f"no warehouse at {warehouse_path}: run `nps run` first")
        spill = {"temp_directory": str(spill_dir)}
        con = duckdb.connect(config={**spill, "memory_limit": memory_limit} if memory_limit else spill)
        con.execute(f"attach {_literal(warehouse_path)} as nps_publish_source (read_only)")
        source = "nps_publish_source"
    else:
        source = _source_database(con, warehouse_path)
    copying: Future[object] | None = None  # the copy of the published file the new one starts from
    try:
        tables = mart_relations(con, source)
        if not tables:
            raise RuntimeError(f"no tables in schema {SCHEMA} of {warehouse_path}: run the dbt build first")
        published = published_contents(con, published_path)
        previous = None if published is None else {t: c and c.fingerprint for t, c in published.items()}
        # a file this publish wrote (its marts have fingerprints) is patched, even when every mart changed
        reusable = previous is not None and any(fingerprint is not None for fingerprint in previous.values())
        if reusable:  # copied while DuckDB hashes the marts (discarded if no mart changed)
            copying = copy_in_background(published_path, tmp_db)
        mart = {table: f"{_ident(source)}.{SCHEMA}.{_ident(table)}" for table in tables}
        views = set(tables) - set(_table_names(con, source))
        for table in tables:
            hashes[table] = row_hashes(con, mart[table], is_table=table not in views)
        measured = {table: content_fingerprint(con, mart[table], hashes[table]) for table in tables}
        fingerprints = {table: content.fingerprint for table, content in measured.items()}
        counts = {table: int(content.rows or 0) for table, content in measured.items()}
        changed = [t for t in tables if not reusable or (previous or {}).get(t) != fingerprints[t]]
        dropped = sorted(set(previous or {}) - set(tables)) if reusable else []
        for table in set(tables) - set(changed):  # the patches need the hashes of the changed marts only
            con.execute(f"drop table {hashes.pop(table)}")
        parquet_changed = [
            t
            for t in tables
            if t not in parquet_excluded and parquet_fingerprint(con, parquet_dir / f"{t}.parquet") != fingerprints[t]
        ]
        if changed or dropped:  # without a reusable file every mart is in `changed`
            start_from = published_path if reusable else None
            if copying is not None:
                copying.result()  # raises what the copy raised
            patches = Patches(hashes, keys or {}, published or {}, measured)
            _write_database(con, tmp_db, start_from, target, mart, changed, dropped, patches)
        if parquet_changed:
            tmp_parquet.mkdir()
            _write_parquet(con, {t: mart[t] for t in parquet_changed}, tmp_parquet, fingerprints)
        if changed or dropped:  # (the copy alone is no new file)
            Path(f"{published_path}.wal").unlink(missing_ok=True)  # a stale log must never be replayed on the new file
            os.replace(tmp_db, published_path)
        for table in parquet_changed:
            os.replace(tmp_parquet / f"{table}.parquet", parquet_dir / f"{table}.parquet")
        for stale in parquet_dir.glob("*.parquet"):  # marts that no longer exist, or no longer as Parquet
            if stale.stem not in counts or stale.stem in parquet_excluded:
                stale.unlink(missing_ok=True)
        return PublishResult(published_path, parquet_dir, counts, tuple(changed), tuple(parquet_changed))
    finally:
        for name in hashes.values():
            con.execute(f"drop table if exists {name}")
        if copying is not None:
            wait([copying])  # the copy is finished (or failed) before its file is removed
        tmp_db.unlink(missing_ok=True)
        Path(f"{tmp_db}.wal").unlink(missing_ok=True)
        shutil.rmtree(tmp_parquet, ignore_errors=True)
        if own:
            con.close()
            shutil.rmtree(spill_dir, ignore_errors=True)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(str(name), str(kind)) for name, kind, *_ in con.execute(f"describe {relation}").fetchall()]


def _table_names(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ?", [database, SCHEMA]
        ).fetchall()
    ]


def patch_table(con: duckdb.DuckDBPyConnection, source: str, copied: str, source_hashes: str) -> bool:
    """Make the table `copied` hold the rows of `source` by changing only the rows that differ; False (nothing
    done) when their columns differ, when more than `PATCH_MAX_SHARE` of the rows would change (writing the table
    again is then cheaper, and leaves no deleted rows in the file), or when the rows left in common do not match
    (below). `source_hashes`: the row hashes of `source` (`row_hashes`).

    Rows are compared by DuckDB's row hash: the rows of `copied` whose hash `source` lacks are deleted, and the
    rows of `source` whose hash `copied` lacks are inserted (two anti-joins on the hashes, then deletes and
    inserts by rowid). That is exact when the rows the two have in common are the same multiset, which the count
    and the sum of their hashes confirm, as the content fingerprint does: a row repeated a different number of
    times in each (identical rows) fails it, and the table is written again instead."""
    if _columns(con, source) != _columns(con, copied):
        return False
    suffix = secrets.token_hex(3)
    old, deleted, inserted = (f"nps_publish_{kind}_{suffix}" for kind in ("old", "deleted", "inserted"))
    con.execute(f"create temp table {old} as select rowid as r, hash(*columns(*)) as h from {copied}")
    try:
        con.execute(f"create temp table {deleted} as select r, h from {old} anti join {source_hashes} using (h)")
        con.execute(f"create temp table {inserted} as select r, h from {source_hashes} anti join {old} using (h)")
        (old_rows, old_sum), (new_rows, new_sum), (deleted_rows, deleted_sum), (inserted_rows, inserted_sum) = (
            con.execute(f"select count(*), coalesce(sum(h), 0) from {name}").fetchall()[0]
            for name in (old, source_hashes, deleted, inserted)
        )
        same_rest = (
            old_rows - deleted_rows == new_rows - inserted_rows and old_sum - deleted_sum == new_sum - inserted_sum
        )
        changes, rows = deleted_rows + inserted_rows, new_rows
        if not same_rest or changes > PATCH_MAX_SHARE * max(int(rows), 1):
            return False
        con.execute(f"delete from {copied} where rowid in (select r from {deleted})")
        by_rowid = con.execute(f"select count(*) = count(r) from {inserted}").fetchall()[0][0]
        wanted = (
            f"rowid in (select r from {inserted})" if by_rowid else f"hash(*columns(*)) in (select h from {inserted})"
        )
        con.execute(f"insert into {copied} select * from {source} where {wanted}")
    finally:
        for name in (old, deleted, inserted):
            con.execute(f"drop table if exists {name}")
    return True


def patch_by_key(
    con: duckdb.DuckDBPyConnection, source: str, copied: str, key: str, before: Content | None, after: Content
) -> bool:
    """Make the table `copied` (whose content was `before`) hold the rows of `source` (content `after`), both with
    the unique key column `key` and the `STAMP` column, by key: the copied rows of the keys that `source` has rows
    of stamped after the newest stamp in `copied`, and of the keys `source` no longer has, are deleted, and those
    rows of `source` inserted. Neither table is hashed whole, only the rows deleted and inserted. False (nothing
    done) when a column, the stamps or the counts of `before` are missing, when more than `PATCH_MAX_SHARE` of the
    rows would change, or when the result would not have the row count and hash sum of `after` (e.g. a full refresh
    that changed rows without stamping them anew): `patch_table` then compares the rows themselves.

    As exact as the content fingerprint: the inserted rows are rows of `source`, so equal counts and hash sums mean
    that the rows kept have the count and hash sum of the rest of `source`."""
    if before is None or before.rows is None or before.hash_sum is None or after.rows is None:
        return False
    columns = _columns(con, source)
    if columns != _columns(con, copied) or not {key, STAMP} <= {name for name, _ in columns}:
        return False
    k, stamp = _ident(key), _ident(STAMP)
    [(newest,)] = con.execute(f"select max({stamp}) from {copied}").fetchall()
    if newest is None:
        return False
    new_rows = f"{source} where {stamp} > {int(newest)}"
    suffix = secrets.token_hex(3)
    keys, deleted = f"nps_publish_keys_{suffix}", f"nps_publish_deleted_{suffix}"
    con.execute(f"create temp table {keys} as select distinct {k} as k from {new_rows}")
    try:
        con.execute(
            f"create temp table {deleted} as select rowid as r, hash(*columns(*)) as h from {copied}"
            f" where rowid in (select rowid from {copied} where {k} in (select k from {keys}))"
        )
        [(inserted_rows, inserted_sum)] = con.execute(
            f"select count(*), coalesce(sum(hash(*columns(*))), 0) from {new_rows}"
        ).fetchall()
        deleted_rows, deleted_sum = _count_and_sum(con, deleted)
        if before.rows - deleted_rows + inserted_rows != after.rows:  # keys gone from `source` (invitations answered)
            con.execute(
                f"insert into {deleted} select rowid, hash(*columns(*)) from {copied} where rowid in ("
                f"select r from (select rowid as r, {k} as k from {copied}) anti join (select {k} as k from {source})"
                f" using (k) except select r from {deleted})"
            )
            deleted_rows, deleted_sum = _count_and_sum(con, deleted)
        rows = before.rows - deleted_rows + int(inserted_rows)
        total = before.hash_sum - deleted_sum + int(inserted_sum)
        if (rows, total) != (after.rows, after.hash_sum):
            return False
        if deleted_rows + int(inserted_rows) > PATCH_MAX_SHARE * max(after.rows, 1):
            return False
        con.execute(f"delete from {copied} where rowid in (select r from {deleted})")
        con.execute(f"insert into {copied} select * from {new_rows}")
    finally:
        for name in (keys, deleted):
            con.execute(f"drop table if exists {name}")
    return True


def _count_and_sum(con: duckdb.DuckDBPyConnection, hashes: str) -> tuple[int, int]:
    """The row count and the exact sum of the hashes `h` of a table of row hashes."""
    [(rows, total)] = con.execute(f"select count(*), coalesce(sum(h), 0) from {hashes}").fetchall()
    return int(rows), int(total)


@dataclass(frozen=True)
class Patches:
    """What the patches of a publish need: the warehouse marts' row hashes (`row_hashes`, by mart), their unique
    keys, the content the published copy records for each mart and the content measured in the warehouse."""

    hashes: Mapping[str, str]
    keys: Mapping[str, str]
    published: Mapping[str, Content | None]
    measured: Mapping[str, Content]

    def apply(self, con: duckdb.DuckDBPyConnection, table: str, source: str, copied: str) -> bool:
        """Patch `copied` to hold the rows of `source` (mart `table`): by key where it can, else row by row."""
        key = self.keys.get(table)
        if key is not None and patch_by_key(con, source, copied, key, self.published.get(table), self.measured[table]):
            return True
        return patch_table(con, source, copied, self.hashes[table])


def _write_parquet(
    con: duckdb.DuckDBPyConnection, relations: dict[str, str], folder: Path, fingerprints: dict[str, str]
) -> None:
    """Write each relation (mart → relation) as `<folder>/<mart>.parquet`, its fingerprint in the key-value
    metadata. Row order is not kept (a table has none): DuckDB then writes with every thread, 15 % faster for
    20M calls. The connection's setting is restored."""
    [(kept,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
    con.execute("set preserve_insertion_order = false")
    try:
        for table, relation in relations.items():
            metadata = f"{{{FINGERPRINT_KEY}: {_literal(fingerprints[table])}}}"
            con.execute(
                f"copy (select * from {relation}) to {_literal(folder / f'{table}.parquet')}"
                f" (format parquet, kv_metadata {metadata})"
            )
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if kept else 'false'}")


def copy_in_background(source: Path, target: Path) -> Future[object]:
    """Start copying the file `source` to `target` in a thread and return its future. The copy is the kernel's
    work on the disk and the page cache, and the marts' hashing that a publish runs meanwhile is DuckDB's on the
    CPU: for a 1.4 GB published file the copy (2-3 s alone) ends inside the hashing (docs/performance.md)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nps-publish-copy")
    try:
        return executor.submit(shutil.copyfile, source, target)
    finally:
        executor.shutdown(wait=False)  # the thread ends with the copy


def _write_database(
    con: duckdb.DuckDBPyConnection,
    tmp_db: Path,
    start_from: Path | None,
    target: str,
    mart: dict[str, str],
    changed: list[str],
    dropped: list[str],
    patches: Patches,
) -> None:
    """Write the new published DuckDB file at `tmp_db`: when `start_from` is given, `tmp_db` is already a copy of
    it (`copy_in_background`; its storage version is kept) and gets the `dropped` and `changed` marts dropped and
    the changed ones written again; without `start_from`, a new file in `STORAGE_VERSION` with every mart in
    `changed`. Each written mart gets its content as comment (`Content.comment`: fingerprint, row count and hash
    sum)."""
    if start_from is not None:
        con.execute(f"attach {_literal(tmp_db)} as {target}")
    else:
        con.execute(f"attach {_literal(tmp_db)} as {target} (storage_version {_literal(STORAGE_VERSION)})")
    try:
        con.execute(f"create schema if not exists {target}.{SCHEMA}")
        existing = set(mart_relations(con, target))
        for table in dropped:
            con.execute(f"drop table if exists {target}.{SCHEMA}.{_ident(table)}")
        for table in changed:
            copied = f"{target}.{SCHEMA}.{_ident(table)}"
            if table not in existing or not patches.apply(con, table, mart[table], copied):
                con.execute(f"drop table if exists {copied}")
                con.execute(f"create table {copied} as select * from {mart[table]}")
            con.execute(f"comment on table {copied} is {_literal(patches.measured[table].comment())}")
    finally:
        con.execute(f"detach {target}")  # checkpoints: the file is complete before it is renamed
