"""A killed publish leaves temporaries; the next publish removes the stale ones, never a live publisher's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from publishing.publish import STALE_AFTER_SECONDS, publish_marts, stale_temporaries
from tests.publishing.test_publish import make_warehouse

HOST = socket.gethostname()


def _dead_pid() -> int:
    """A process id no process can have: above the kernel's maximum."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def _leave(folder: Path, name: str, *, directory: bool = False, age: float = 0.0) -> Path:
    path = folder / name
    if directory:
        path.mkdir(parents=True)
        (path / "close_the_loop.parquet").write_bytes(b"PAR1 half written")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half written")
    if age:
        moment = time.time() - age
        for item in [path, *(path.iterdir() if directory else [])]:
            os.utime(item, (moment, moment))
    return path


def test_the_next_publish_removes_what_a_killed_publish_left(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 4)
    published = tmp_path / "pub" / "nps_published.duckdb"
    killed = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(killed.stdout)  # exited: nothing runs under it (unless reused, then the age rule removes it later)
    dead = _dead_pid()
    left = [
        _leave(published.parent, f".nps_published.duckdb.tmp-{HOST}-{dead}-a1b2c3"),
        _leave(published.parent, f".nps_published.duckdb.tmp-{HOST}-{dead}-a1b2c3.wal"),
        _leave(published.parent / "marts", f".tmp-{HOST}-{dead}-a1b2c3", directory=True),
        _leave(published.parent, f".publish.tmp-{HOST}-{dead}-a1b2c3", directory=True),
        _leave(published.parent, f".nps_published.duckdb.tmp-{dead}-0f0f0f"),  # name without host (older releases)
    ]
    if not Path(f"/proc/{pid}").exists():
        left.append(_leave(published.parent / "marts", f".tmp-{HOST}-{pid}-dddddd", directory=True))
    result = publish_marts(warehouse, published)
    assert result.tables["close_the_loop"] == 4
    assert [p.name for p in left if p.exists()] == []
    assert sorted(p.name for p in published.parent.iterdir()) == ["marts", "nps_published.duckdb"]
    assert sorted(p.name for p in (published.parent / "marts").iterdir()) == [
        "close_the_loop.parquet",
        "loop_open.parquet",
        "nps_by_period.parquet",
    ]


def test_a_running_publishers_temporaries_are_kept(tmp_path):
    """Two publishers at once: this one's temporaries (its process is alive, its files fresh) are not touched,
    nor those of another host, whose processes cannot be seen from here, while they are recent."""
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 4)
    published = tmp_path / "pub" / "nps_published.duckdb"
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as other:
        try:
            live = [
                _leave(published.parent, f".nps_published.duckdb.tmp-{HOST}-{other.pid}-abcdef"),
                _leave(published.parent / "marts", f".tmp-{HOST}-{other.pid}-abcdef", directory=True),
                _leave(published.parent, f".nps_published.duckdb.tmp-{HOST}-{os.getpid()}-fedcba"),
                _leave(published.parent, f".nps_published.duckdb.tmp-other-box-{_dead_pid()}-abcdef", age=60),
            ]
            publish_marts(warehouse, published)
            assert [p.name for p in live if not p.exists()] == []
        finally:
            other.kill()


def test_temporaries_untouched_for_hours_are_stale_whoever_wrote_them(tmp_path):
    folder = tmp_path / "pub"
    old = _leave(folder, f".nps_published.duckdb.tmp-other-box-{os.getpid()}-abcdef", age=STALE_AFTER_SECONDS + 60)
    old_here = _leave(
        folder / "marts", f".tmp-{HOST}-{os.getpid()}-abcdef", directory=True, age=STALE_AFTER_SECONDS + 60
    )
    recent = _leave(folder, f".nps_published.duckdb.tmp-other-box-{_dead_pid()}-123456", age=60)
    unrelated = [_leave(folder, "notes.tmp-1-abcdef"), _leave(folder, "nps.duckdb.tmp", directory=True)]
    found = set(stale_temporaries([folder, folder / "marts"], time.time(), HOST, is_running=lambda pid: True))
    assert found == {old, old_here}
    assert recent not in found and not found & set(unrelated)
