"""The sha256 of each landed file, remembered with the file's status so that an unchanged file is not read again.

Every run decides what is new by content (`quality.ingestion_log.file_sha256`), which meant reading every landed
file in full on every run: 4.5 GB, about 10 s, at the `large` bench scale for a run that loads one small file. A
digest is reused only when the file's size, modification and status-change times (nanoseconds), inode and device
all equal those seen when it was hashed, as git trusts its index. The change time cannot be set back by a user
(`touch -r`, `cp -p` and rewrites in place all move it), so a rewrite that keeps the size and the modification
time is still hashed again. A digest taken less than `SETTLE_NS` after the file's last change is not trusted
(a write in the same clock tick as the hash could be missed, git's "racy" case): that file is hashed again on
the next run, after which its digest is trusted.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import duckdb

TABLE = "quality.file_digests"
SETTLE_NS = 2_000_000_000
DDL = f"""create table if not exists {TABLE} (
    file_name varchar primary key,
    size bigint not null,
    mtime_ns bigint not null,
    ctime_ns bigint not null,
    inode bigint not null,
    device bigint not null,
    file_sha256 varchar not null,
    hashed_at_ns bigint not null
)"""


@dataclass(frozen=True)
class FileStatus:
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int


@dataclass(frozen=True)
class Digest:
    status: FileStatus
    sha256: str
    hashed_at_ns: int


def status_of(path: Path) -> FileStatus | None:
    """What `os.stat` says of a regular file; None for anything else (never cached)."""
    found = os.stat(path)
    if not stat.S_ISREG(found.st_mode):
        return None
    return FileStatus(found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev)


def known_digests(con: duckdb.DuckDBPyConnection) -> dict[str, Digest]:
    con.execute(DDL)
    rows = con.execute(
        f"select file_name, size, mtime_ns, ctime_ns, inode, device, file_sha256, hashed_at_ns from {TABLE}"
    ).fetchall()
    return {name: Digest(FileStatus(*rest[:5]), rest[5], rest[6]) for name, *rest in rows}


def reusable(known: Digest | None, status: FileStatus | None) -> str | None:
    """The remembered sha256 when the file is provably the one hashed (module docstring), else None."""
    if known is None or status is None or known.status != status:
        return None
    if known.hashed_at_ns - max(status.mtime_ns, status.ctime_ns) < SETTLE_NS:
        return None
    return known.sha256


def remember(con: duckdb.DuckDBPyConnection, file_name: str, digest: Digest) -> None:
    s = digest.status
    con.execute(
        f"insert or replace into {TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
        [file_name, s.size, s.mtime_ns, s.ctime_ns, s.inode, s.device, digest.sha256, digest.hashed_at_ns],
    )
