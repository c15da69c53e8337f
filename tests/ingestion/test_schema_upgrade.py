"""Upgrade in place: a warehouse built by the previous release (v1 schema) is migrated on the next ingest."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from ingestion.loader import ingest
from tests.ingestion.conftest import SURVEY_HEADER, query
from tests.ingestion.v1_warehouse import create_v1_tables

V1_MTIME = datetime(2023, 1, 12, 8, 0, tzinfo=UTC)  # older than the v2 file (put: 2023-11)


def build_v1_warehouse(path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        create_v1_tables(con)  # the previous release's own DDL (tests/fixtures/v1_warehouse)
        con.execute(
            "insert into quality.ingestion_log values (1, 'r1', 'surveys', 'surveys/v1.csv', 'abc', 10, ?, 'loaded', "
            "3, 2, 1, null, now())",
            [V1_MTIME],
        )
        con.execute(
            "insert into raw.surveys (response_id, sent_at, responded_at, nps_score, _file_id, _file_name, "
            "_file_sha256, _line_number, _loaded_at) values "
            "('R1', '2025-01-10', '2025-01-11', 9, 1, 'surveys/v1.csv', 'abc', 2, now()), "
            "('R2', '2025-01-10', null, null, 1, 'surveys/v1.csv', 'abc', 3, now())"
        )
        con.execute(
            "insert into quality.rejected_rows values ('r1', 1, 'surveys', 'surveys/v1.csv', 4, "
            "'score_out_of_range', 'nps_score', 'surveys/v1.csv, line 4: nps_score \"11\" is outside 0–10', "
            "'{}', now())"
        )


def test_a_v1_warehouse_is_upgraded_in_place_without_losing_anything(landing, warehouse, put):
    build_v1_warehouse(warehouse)
    put("surveys/v2.csv", f"{SURVEY_HEADER},basket\nR1,C1,,email,web,2025-01-10,2025-01-13,3,,12\n")
    report = ingest(landing, warehouse, as_of=datetime(2026, 1, 1, tzinfo=UTC))
    assert report.ok, report.lines()
    assert query(
        warehouse, "select response_id, _file_name, _file_mtime, attributes from raw.surveys order by 1, 2"
    ) == [
        ("R1", "surveys/v1.csv", V1_MTIME, None),  # back-filled from ingestion_log.file_mtime
        (
            "R1",
            "surveys/v2.csv",
            query(warehouse, "select file_mtime from quality.ingestion_log where file_id = 2")[0][0],
            '{"basket":"12"}',
        ),
        ("R2", "surveys/v1.csv", V1_MTIME, None),
    ]
    assert query(
        warehouse, "select file_id, status, rows_loaded, values_rejected from quality.ingestion_log order by 1"
    ) == [
        (1, "loaded", 2, None),
        (2, "loaded", 1, 0),
    ]
    assert query(warehouse, "select count(*) from quality.rejected_rows") == [(1,)]
    assert query(warehouse, "select key, file_name, replaced_by_file from quality.superseded_rows") == [
        ("R1", "surveys/v1.csv", "surveys/v2.csv")
    ]
    assert query(warehouse, "select count(*) from quality.rejected_values") == [(0,)]
    assert query(
        warehouse, "select _file_name, source_profile, is_invitation from raw.surveys group by all order by 1"
    ) == [("surveys/v1.csv", "canonical", True), ("surveys/v2.csv", "canonical", True)]
    again = ingest(landing, warehouse, as_of=datetime(2026, 1, 1, tzinfo=UTC))  # a second upgrade is a no-op
    assert again.files == [] and query(warehouse, "select count(*) from raw.surveys") == [(3,)]
