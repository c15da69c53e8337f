"""An unchanged landed file is not read again to learn its sha256; any rewrite is (ingestion/digests.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ingestion.digests as digests
import ingestion.loader as loader
from ingestion.digests import Digest, FileStatus, reusable
from ingestion.loader import ingest
from tests.ingestion.conftest import SURVEY_HEADER, query

STATUS = FileStatus(size=100, mtime_ns=10_000_000_000, ctime_ns=11_000_000_000, inode=7, device=1)
ROW = "r1,c1,a@x.org,email,web,2026-06-01T10:00:00Z,2026-06-01T11:00:00Z,9,fine"


def test_a_digest_is_reused_only_for_the_same_status_hashed_after_the_file_settled() -> None:
    settled = Digest(STATUS, "abc", hashed_at_ns=STATUS.ctime_ns + digests.SETTLE_NS)
    assert reusable(settled, STATUS) == "abc"
    racy = Digest(STATUS, "abc", hashed_at_ns=STATUS.ctime_ns + digests.SETTLE_NS - 1)
    assert reusable(racy, STATUS) is None
    for changed in ({"size": 101}, {"mtime_ns": 1}, {"ctime_ns": 12_000_000_000}, {"inode": 8}, {"device": 2}):
        assert reusable(settled, FileStatus(**{**STATUS.__dict__, **changed})) is None, changed
    assert reusable(None, STATUS) is None
    assert reusable(settled, None) is None


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """The files whose bytes the loader reads to hash them; digests trusted at once (no settling wait)."""
    seen: list[Path] = []
    real = loader.sha256_of

    def spy(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(loader, "sha256_of", spy)
    monkeypatch.setattr(digests, "SETTLE_NS", 0)
    return seen


def test_an_unchanged_file_is_not_read_again_on_the_next_run(landing: Path, warehouse: Path, reads) -> None:
    path = landing / "surveys" / "s.csv"
    path.write_text(f"{SURVEY_HEADER}\n{ROW}\n")
    ingest(landing, warehouse)
    assert reads == [path]
    report = ingest(landing, warehouse)
    assert reads == [path]
    assert report.totals()["rows_loaded"] == 0
    assert query(warehouse, "select count(*) from raw.surveys") == [(1,)]


def test_a_rewrite_keeping_size_and_modification_time_is_read_again_and_loaded(
    landing: Path, warehouse: Path, reads
) -> None:
    path = landing / "surveys" / "s.csv"
    path.write_text(f"{SURVEY_HEADER}\n{ROW}\n")
    ingest(landing, warehouse)
    before = os.stat(path)
    path.write_text(f"{SURVEY_HEADER}\n{ROW.replace(',9,', ',3,')}\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # modification time put back
    assert os.stat(path).st_size == before.st_size
    ingest(landing, warehouse)
    assert reads == [path, path]
    assert query(warehouse, "select nps_score from raw.surveys order by _file_id") == [(9,), (3,)]


def test_a_file_hashed_right_after_it_changed_is_read_again_next_run(
    landing: Path, warehouse: Path, monkeypatch
) -> None:
    seen: list[Path] = []
    real = loader.sha256_of
    monkeypatch.setattr(loader, "sha256_of", lambda p: seen.append(p) or real(p))
    path = landing / "surveys" / "s.csv"
    path.write_text(f"{SURVEY_HEADER}\n{ROW}\n")  # just written: its digest is not trusted yet
    ingest(landing, warehouse)
    ingest(landing, warehouse)
    assert seen == [path, path]
