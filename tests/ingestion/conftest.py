"""Fixtures that build tiny landing folders by hand, one file at a time."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.loader import IngestReport, ingest

SURVEY_HEADER = "response_id,customer_id,email,channel,touchpoint,sent_at,responded_at,nps_score,nps_comment"
CALL_HEADER = "call_id,customer_id,direction,channel,started_at,wait_seconds,talk_seconds,disposition"
CRM_HEADER = "customer_id,email,segment,plan,lifetime_value,signup_date,status,updated_at"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for source in ("surveys", "crm", "calls"):
        (root / source).mkdir(parents=True)
    return root


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "nps.duckdb"


@pytest.fixture
def put(landing: Path) -> Callable[..., Path]:
    """Write a landing file; each call gets a later modification time than the previous one."""
    counter = iter(range(1, 10_000))

    def _put(relative: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode(encoding) if isinstance(content, str) else content
        path.write_bytes(data)
        moment = 1_700_000_000 + next(counter) * 60
        os.utime(path, (moment, moment))
        return path

    return _put


@pytest.fixture
def ingest_with_sources(landing: Path, warehouse: Path, tmp_path: Path) -> Callable[..., IngestReport]:
    """Ingest the landing folder with a `sources.yml` of the given text (written beside it, not in it)."""

    def _ingest(sources_yml: str, **options: Any) -> IngestReport:
        sources = tmp_path / "sources.yml"
        sources.write_text(sources_yml, encoding="utf-8")
        return ingest(landing, warehouse, sources_file=sources, **options)

    return _ingest


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
