"""Publish schema `marts` for BI: a new DuckDB file (readable by DuckDB 1.x) and Parquet files, swapped in.

Readers never see a half-written file and never touch the warehouse (DuckDB allows one writer and no reader
beside it): everything is written under a temporary name in the same folder and renamed over the old file
(`os.replace` is atomic on one filesystem). A failure part-way leaves the previous published copy intact.

The DuckDB file and the Parquet files are each swapped atomically, one file at a time: a reader that opens the
DuckDB file sees one complete publish; a reader of several Parquet files may, for a few milliseconds, see one
file of the new publish beside one of the previous publish.

Temporaries are named `<prefix>tmp-<host>-<pid>-<random>`: `.nps_published.duckdb.tmp-…` (and its `.wal`),
`marts/.tmp-…/` and the spill folder `.publish.tmp-…/`. A publish that is killed cannot remove its own, so every
publish first removes the stale ones (`stale_temporaries`): those of this host whose process no longer runs,
and any not modified for `STALE_AFTER_SECONDS`, whatever host wrote it (another machine sharing the folder,
whose processes cannot be seen from here, or a pid reused since). A concurrent publisher's temporaries are
therefore never touched while it runs: its process is alive and it writes them continuously.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

STORAGE_VERSION = "v1.2.0"  # DuckDB 2.0 writes storage 69 by default, which 1.x clients and BI drivers refuse
SCHEMA = "marts"
STALE_AFTER_SECONDS = 6 * 3600  # untouched this long: stale whoever wrote it (a publish writes for seconds)
# `tmp-<host>-<pid>-<random>` (host absent in names written before it was added: this host)
TEMPORARY = re.compile(r"\.(?:.+\.)?tmp-(?:(?P<host>.+)-)?(?P<pid>\d+)-[0-9a-f]{6}(?:\.wal)?")


@dataclass(frozen=True)
class PublishResult:
    published_path: Path
    parquet_dir: Path
    tables: dict[str, int] = field(default_factory=dict)  # mart → rows


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
) -> PublishResult:
    """Copy every relation of schema `marts` into `published_path` and `<its folder>/marts/<table>.parquet`.

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
    if own:
        if not warehouse_path.exists():
            raise FileNotFoundError(f"no warehouse at {warehouse_path}: run `nps run` first")
        spill = {"temp_directory": str(spill_dir)}
        con = duckdb.connect(config={**spill, "memory_limit": memory_limit} if memory_limit else spill)
        con.execute(f"attach {_literal(warehouse_path)} as nps_publish_source (read_only)")
        source = "nps_publish_source"
    else:
        source = _source_database(con, warehouse_path)
    try:
        tables = mart_relations(con, source)
        if not tables:
            raise RuntimeError(f"no tables in schema {SCHEMA} of {warehouse_path}: run the dbt build first")
        tmp_parquet.mkdir()
        con.execute(f"attach {_literal(tmp_db)} as {target} (storage_version {_literal(STORAGE_VERSION)})")
        try:
            con.execute(f"create schema {target}.{SCHEMA}")
            counts: dict[str, int] = {}
            for table in tables:
                copied = f"{target}.{SCHEMA}.{_ident(table)}"
                con.execute(f"create table {copied} as select * from {_ident(source)}.{SCHEMA}.{_ident(table)}")
                counts[table] = int(con.execute(f"select count(*) from {copied}").fetchall()[0][0])
                con.execute(f"copy {copied} to {_literal(tmp_parquet / f'{table}.parquet')} (format parquet)")
        finally:
            con.execute(f"detach {target}")  # checkpoints: the file is complete before it is renamed
        Path(f"{published_path}.wal").unlink(missing_ok=True)  # a stale log must never be replayed on the new file
        os.replace(tmp_db, published_path)
        for table in tables:
            os.replace(tmp_parquet / f"{table}.parquet", parquet_dir / f"{table}.parquet")
        for stale in parquet_dir.glob("*.parquet"):  # marts that no longer exist
            if stale.stem not in counts:
                stale.unlink(missing_ok=True)
        return PublishResult(published_path, parquet_dir, counts)
    finally:
        tmp_db.unlink(missing_ok=True)
        Path(f"{tmp_db}.wal").unlink(missing_ok=True)
        shutil.rmtree(tmp_parquet, ignore_errors=True)
        if own:
            con.close()
            shutil.rmtree(spill_dir, ignore_errors=True)
