"""Whole runs: the generator's messy exports reconcile exactly; re-runs change nothing; failures are contained."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

import ingestion.loader as loader
from generator.sample_exports import generate_exports
from ingestion.loader import ingest
from tests.ingestion.conftest import SURVEY_HEADER, query

SNAPSHOT = """
    select (select count(*) from raw.surveys), (select count(*) from raw.crm_customers),
           (select count(*) from raw.calls), (select count(*) from quality.ingestion_log),
           (select count(*) from quality.rejected_rows)
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("tiny") / "landing"
    return landing, generate_exports(landing, scale="tiny", seed=7, end_date=date(2026, 6, 30))


@pytest.fixture(scope="module")
def tiny_loaded(tiny, tmp_path_factory) -> tuple[Path, dict, loader.IngestReport]:
    landing, manifest = tiny
    warehouse = tmp_path_factory.mktemp("wh") / "nps.duckdb"
    return warehouse, manifest, ingest(landing, warehouse)


def test_generator_exports_reconcile_exactly_per_source(tiny_loaded):
    warehouse, manifest, report = tiny_loaded
    assert report.ok
    for source, expected in manifest["expected"].items():
        totals = report.totals(source)
        assert totals["rows_loaded"] == expected["rows_loaded"], source
        assert totals["rows_rejected"] == expected["rows_rejected"], source
        assert totals["values_rejected"] == sum(manifest["planted"]["bad_values"][source].values()), source
    unreconciled = query(
        warehouse, "select file_name from quality.ingestion_log where rows_in_file <> rows_loaded + rows_rejected"
    )
    assert unreconciled == []
    in_files = {f["file_name"]: f["rows"] for f in manifest["files"] if not f["duplicate_of"]}
    logged = dict(query(warehouse, "select file_name, rows_in_file from quality.ingestion_log where status = 'loaded'"))
    assert logged == in_files


def test_planted_bad_rows_are_rejected_with_the_planted_reasons(tiny_loaded):
    warehouse, manifest, _ = tiny_loaded
    got = query(
        warehouse,
        "select source, reason_code, count(*) from (select source, reason_code from quality.rejected_rows "
        "union all select source, reason_code from quality.rejected_values) group by all",
    )
    planted: dict[tuple[str, str], int] = {}
    for kind in ("bad_rows", "bad_values"):
        for s, codes in manifest["planted"][kind].items():
            for code, n in codes.items():
                planted[(s, code)] = planted.get((s, code), 0) + n
    assert set(got) == {(s, code, n) for (s, code), n in planted.items()}


def test_the_file_landed_twice_is_skipped_as_duplicate(tiny_loaded):
    warehouse, manifest, _ = tiny_loaded
    skipped = query(
        warehouse, "select file_name, rows_loaded from quality.ingestion_log where status = 'skipped_duplicate'"
    )
    assert skipped == [(name, 0) for name in manifest["planted"]["duplicate_files"]]


def test_files_are_taken_in_modification_time_order(tiny_loaded):
    warehouse, manifest, _ = tiny_loaded
    order = [r[0] for r in query(warehouse, "select file_name from quality.ingestion_log order by file_id")]
    assert order == [f["file_name"] for f in manifest["files"]]  # the generator writes in export (mtime) order


def test_loading_the_same_landing_folder_twice_changes_nothing(tiny, tmp_path):
    landing, _ = tiny
    warehouse = tmp_path / "nps.duckdb"
    ingest(landing, warehouse)
    before = query(warehouse, SNAPSHOT)
    second = ingest(landing, warehouse)
    assert second.files == []
    assert query(warehouse, SNAPSHOT) == before


def test_a_new_file_with_the_content_of_a_loaded_one_is_skipped(landing, warehouse, put):
    put("surveys/a.csv", f"{SURVEY_HEADER}\nR1,C1,,email,web,2025-01-10,2025-01-11,9,\n")
    ingest(landing, warehouse)
    put("surveys/a_again.csv", f"{SURVEY_HEADER}\nR1,C1,,email,web,2025-01-10,2025-01-11,9,\n")
    report = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/a_again.csv", "skipped_duplicate")]
    assert query(warehouse, "select count(*) from raw.surveys") == [(1,)]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("surveys/empty.csv", b"", "empty"),
        ("surveys/nosent.csv", b"response_id,customer_id\nR1,C1\n", "required column sent_at missing"),
        ("surveys/binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        ("surveys/broken.csv.gz", b"\x1f\x8b\x08\x00garbage", "cannot read the file"),
        ("surveys/fake.parquet", b"PAR1 not really", "not a readable Parquet file"),
        ("surveys/notes.txt", b"hello", "unsupported file type"),
    ],
)
def test_an_unreadable_file_fails_loudly_and_the_others_still_load(landing, warehouse, put, name, content, reason):
    put("surveys/good.csv", f"{SURVEY_HEADER}\nR1,C1,,email,web,2025-01-10,2025-01-11,9,\n")
    put(name, content)
    report = ingest(landing, warehouse)
    assert not report.ok
    [failed] = report.failed
    assert failed.file_name == name and reason in failed.reason
    assert query(warehouse, "select count(*) from raw.surveys") == [(1,)]
    assert query(warehouse, f"select status from quality.ingestion_log where file_name = '{name}'") == [("failed",)]


def test_a_duckdb_error_mid_run_rolls_back_and_redoes_the_run_without_that_file(landing, warehouse, put, monkeypatch):
    put("surveys/a.csv", f"{SURVEY_HEADER}\nR1,C1,,email,web,2025-01-10,2025-01-11,9,\n")
    put("surveys/b.csv", f"{SURVEY_HEADER}\nR2,C1,,email,web,2025-01-10,2025-01-11,9,\n")
    put("surveys/c.csv", f"{SURVEY_HEADER}\nR3,C1,,email,web,2025-01-10,2025-01-11,9,\n")
    real = loader._load_file
    attempts: list[str] = []

    def flaky(con, file, plan, **kwargs):
        attempts.append(file.file_name)
        result = real(con, file, plan, **kwargs)
        if file.file_name == "surveys/b.csv":
            raise duckdb.IOException("disk hiccup")
        return result

    monkeypatch.setattr(loader, "_load_file", flaky)
    report = ingest(landing, warehouse)
    assert attempts == ["surveys/a.csv", "surveys/b.csv", "surveys/a.csv", "surveys/c.csv"]
    assert [(f.file_name, f.status) for f in report.files] == [
        ("surveys/a.csv", "loaded"),
        ("surveys/b.csv", "failed"),
        ("surveys/c.csv", "loaded"),
    ]
    assert query(warehouse, "select response_id from raw.surveys order by 1") == [("R1",), ("R3",)]
    assert query(warehouse, "select count(*) from quality.ingestion_log") == [(3,)]


def test_a_run_killed_mid_way_leaves_the_warehouse_as_before_and_the_next_run_recovers(tiny, tmp_path):
    landing, manifest = tiny
    warehouse = tmp_path / "nps.duckdb"
    script = textwrap.dedent(f"""
        import os, signal
        from ingestion.loader import ingest
        done = []
        def kill_after_third(result):
            done.append(result)
            if len(done) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        ingest({str(landing)!r}, {str(warehouse)!r}, on_file_done=kill_after_third)
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], check=False)
    assert killed.returncode == -9
    with duckdb.connect(str(warehouse)) as con:
        tables = con.execute("select count(*) from duckdb_tables() where schema_name in ('raw', 'quality')").fetchall()
    assert tables == [(0,)]  # nothing of the killed run is visible, not even the schema it created
    report = ingest(landing, warehouse)
    assert report.ok
    totals = report.totals("surveys")
    assert totals["rows_loaded"] == manifest["expected"]["surveys"]["rows_loaded"]
