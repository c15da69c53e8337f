"""Safe file handling in the file gate (contract section 3, v2): links, FIFOs, files that change, rewrites."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import ingestion.loader as loader
from ingestion.loader import discover, ingest
from tests.ingestion.conftest import SURVEY_HEADER, query


def survey_csv(*ids: str) -> str:
    return SURVEY_HEADER + "".join(f"\n{i},C1,,email,web,2025-01-10,2025-01-11,9," for i in ids) + "\n"


def logged(warehouse: Path) -> list[tuple]:
    return query(warehouse, "select file_name, status, reason from quality.ingestion_log order by file_id")


def test_a_symlink_leaving_the_landing_folder_is_failed_and_its_target_never_read(landing, warehouse, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("root:$6$hash:19000:0:99999:7:::\n")
    (landing / "surveys" / "shadow.csv").symlink_to(secret)
    report = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/shadow.csv", "failed")]
    ((_, _, reason),) = logged(warehouse)
    assert "leaves the landing folder" in reason
    assert "root:" not in reason
    assert query(warehouse, "select count(*) from quality.rejected_rows") == [(0,)]


def test_a_symlink_to_a_folder_outside_is_failed_and_not_walked(landing, warehouse, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.csv").write_text(survey_csv("R1"))
    (landing / "surveys" / "linked").symlink_to(outside, target_is_directory=True)
    report = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/linked", "failed")]
    assert query(warehouse, "select count(*) from raw.surveys") == [(0,)]


def test_a_symlink_whose_target_stays_inside_the_landing_folder_is_read(landing, warehouse, put):
    put("archive/real.csv", survey_csv("R1"))
    (landing / "surveys" / "link.csv").symlink_to(landing / "archive" / "real.csv")
    report = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/link.csv", "loaded")]
    assert query(warehouse, "select response_id from raw.surveys") == [("R1",)]


def test_a_fifo_is_failed_without_being_opened(landing, warehouse, put):
    os.mkfifo(landing / "surveys" / "pipe.csv")  # opening it for reading would block this test forever
    put("surveys/ok.csv", survey_csv("R1"))
    report = ingest(landing, warehouse)
    statuses = {f.file_name: (f.status, f.reason) for f in report.files}
    assert statuses["surveys/pipe.csv"][0] == "failed"
    assert "FIFO" in statuses["surveys/pipe.csv"][1]
    assert statuses["surveys/ok.csv"] == ("loaded", None)


def test_special_files_and_dangling_links_are_refused_from_their_metadata(landing, tmp_path):
    with socket.socket(socket.AF_UNIX) as sock:  # a special file any user can make (devices need root)
        sock.bind(str(landing / "surveys" / "sock.csv"))
        os.symlink("/dev/null", landing / "surveys" / "dev.csv")
        (landing / "surveys" / "dangling.csv").symlink_to(landing / "surveys" / "gone.csv")
        problems = {f.file_name: f.problem for f in discover(landing)}
    assert "not a regular file" in problems["surveys/sock.csv"]
    assert "leaves the landing folder" in problems["surveys/dev.csv"]
    assert "does not exist" in problems["surveys/dangling.csv"]


def test_a_failed_unsafe_file_is_reported_with_its_reason_and_the_others_load(landing, warehouse, put):
    os.symlink("/dev/zero", landing / "surveys" / "zero.csv")  # reading it would never end
    put("surveys/ok.csv", survey_csv("R1"))
    report = ingest(landing, warehouse)
    assert sorted((f.file_name, f.status) for f in report.files) == [
        ("surveys/ok.csv", "loaded"),
        ("surveys/zero.csv", "failed"),
    ]


def test_an_unsafe_file_is_logged_failed_once_not_on_every_run(landing, warehouse):
    os.mkfifo(landing / "surveys" / "pipe.csv")
    assert [f.status for f in ingest(landing, warehouse).files] == ["failed"]
    assert ingest(landing, warehouse).files == []
    assert len(logged(warehouse)) == 1


def test_a_file_that_grows_while_it_is_read_is_deferred_and_loaded_by_the_next_run(
    landing, warehouse, put, monkeypatch
):
    path = put("surveys/growing.csv", survey_csv("R1"))
    real = loader._load_file

    def append_while_reading(con, file, plan, **kwargs):
        result = real(con, file, plan, **kwargs)
        with path.open("a") as fh:
            fh.write("R2,C1,,email,web,2025-01-10,2025-01-11,9,\n")
        return result

    monkeypatch.setattr(loader, "_load_file", append_while_reading)
    report = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/growing.csv", "deferred")]
    assert report.ok
    assert query(warehouse, "select count(*) from raw.surveys") == [(0,)]
    monkeypatch.setattr(loader, "_load_file", real)
    again = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in again.files] == [("surveys/growing.csv", "loaded")]
    assert query(warehouse, "select response_id from raw.surveys order by 1") == [("R1",), ("R2",)]


def test_a_file_changed_within_the_settle_time_is_deferred(landing, warehouse):
    (landing / "surveys" / "fresh.csv").write_text(survey_csv("R1"))  # modified now
    report = ingest(landing, warehouse, settle_seconds=3600)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/fresh.csv", "deferred")]
    assert "NPS_FILE_SETTLE_SECONDS" in report.files[0].reason
    assert [f.status for f in ingest(landing, warehouse).files] == ["loaded"]


def test_a_file_older_than_the_settle_time_loads(landing, warehouse, put):
    put("surveys/old.csv", survey_csv("R1"))  # modified in 2023
    assert [f.status for f in ingest(landing, warehouse, settle_seconds=60).files] == ["loaded"]


def test_a_rewrite_with_the_same_size_and_mtime_is_detected_by_its_content(landing, warehouse, put):
    path = put("surveys/export.csv", survey_csv("R1"))
    ingest(landing, warehouse)
    before = path.stat()
    path.write_text(survey_csv("R9"))  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    report = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/export.csv", "loaded")]
    assert query(warehouse, "select response_id from raw.surveys order by 1") == [("R1",), ("R9",)]


def test_a_new_sha256_under_a_loaded_name_is_a_new_version_and_loads(landing, warehouse, put):
    put("surveys/daily.csv", survey_csv("R1"))
    ingest(landing, warehouse)
    put("surveys/daily.csv", survey_csv("R1", "R2"))
    report = ingest(landing, warehouse)
    assert [(f.file_name, f.status) for f in report.files] == [("surveys/daily.csv", "loaded")]
    assert query(warehouse, "select count(*) from quality.ingestion_log where status = 'loaded'") == [(2,)]


def test_a_zero_byte_file_is_logged_failed_once_per_sha256(landing, warehouse, put):
    put("surveys/empty.csv", b"")
    first = ingest(landing, warehouse)
    assert [(f.status, f.reason) for f in first.files] == [("failed", "the file is empty: no header line")]
    assert ingest(landing, warehouse).files == []
    assert len(logged(warehouse)) == 1
    put("surveys/empty.csv", survey_csv("R1"))
    assert [f.status for f in ingest(landing, warehouse).files] == ["loaded"]
