"""Dagster's SQLite event log with one open engine per database file and write-ahead logging.

Dagster's `SqliteEventLogStorage` opens a new SQLAlchemy engine and connection for every event it stores and
commits each one with SQLite's default rollback journal (several fsyncs per event); a run of `nps run` stores
about 800 events (dbt's tests as asset checks are most of them), which cost about 20 ms each: seconds of every
run, whatever its size (docs/performance.md). This storage keeps the same files, tables and behaviour, but keeps
one engine (a pool of connections) per database file and opens each file in WAL mode with `synchronous=NORMAL`
(no fsync per commit; a power cut can lose the last events, never corrupt the file). The `dagster.yaml` that
`nps run` writes selects it (`orchestration.pipeline.dagster_yaml`), so `dagster dev` on the same folder reads
the same history.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import create_db_conn_string
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_SECONDS = 30


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("pragma journal_mode = wal")
    cursor.execute("pragma synchronous = normal")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with an engine per database file kept open, in WAL mode (module docstring)."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: dict[str, Engine] = {}
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                create_db_conn_string(self._base_dir, shard),
                connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _set_pragmas)
            self._engines[shard] = engine
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def close_shard(self, shard: str) -> None:
        """Close the pooled connections of one run's file (before that file is deleted)."""
        with self._db_lock:
            engine = self._engines.pop(shard, None)
            self._initialized_dbs.discard(shard)
        if engine is not None:
            engine.dispose()

    def delete_events(self, run_id: str) -> None:
        super().delete_events(run_id)
        self.close_shard(run_id)

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            engines, self._engines = list(self._engines.values()), {}
            self._initialized_dbs.clear()
        for engine in engines:
            engine.dispose()

    def wipe(self) -> None:
        self.dispose()
        super().wipe()


def event_log_config(home: os.PathLike[str] | str) -> dict[str, Any]:
    """The `event_log_storage` block of a dagster.yaml for instance folder `home` (Dagster's default layout)."""
    return {
        "module": __name__,
        "class": PooledSqliteEventLogStorage.__name__,
        "config": {"base_dir": os.path.join(os.fspath(home), "history", "runs")},
    }
