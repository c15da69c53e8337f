"""Scores are whole numbers as written (issue 19): no inner spaces, signs or leading zeros; integral floats pass."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from ingestion.loader import ingest
from tests.ingestion.conftest import query


def test_a_float_typed_parquet_score_is_read_and_a_fraction_is_rejected(landing, warehouse):
    path = landing / "surveys" / "s.parquet"
    with duckdb.connect() as con:
        sent, responded = "timestamp '2025-01-10 10:00:00'", "timestamp '2025-01-11 10:00:00'"
        con.execute(f"""
            copy (select * from (values ('R1', {sent}, {responded}, 9.0::double),
                                        ('R2', {sent}, {responded}, 9.5::double),
                                        ('R3', {sent}, null, null::double))
                  t(response_id, sent_at, responded_at, nps_score)) to '{path}' (format parquet)""")
    ingest(landing, warehouse, as_of=datetime(2026, 1, 1, tzinfo=UTC), max_rejected_share=1.0)
    assert query(warehouse, "select response_id, nps_score from raw.surveys order by 1") == [("R1", 9), ("R3", None)]
    assert query(warehouse, "select line_number, reason_code, reason from quality.rejected_rows") == [
        (2, "unparseable_integer", 'surveys/s.parquet, line 2: nps_score "9.5" is not a whole number')
    ]


def test_scores_with_inner_spaces_plus_signs_or_leading_zeros_are_rejected(landing, warehouse, put):
    rows = ["R1,2025-01-10,2025-01-11,1 0", "R2,2025-01-10,2025-01-11,+7", "R3,2025-01-10,2025-01-11,007"]
    put("surveys/s.csv", "response_id,sent_at,responded_at,nps_score\n" + "\n".join(rows) + "\n")
    ingest(landing, warehouse, as_of=datetime(2026, 1, 1, tzinfo=UTC), max_rejected_share=1.0)
    assert query(warehouse, "select count(*) from raw.surveys") == [(0,)]
    assert query(warehouse, "select line_number, reason_code from quality.rejected_rows order by 1") == [
        (2, "unparseable_integer"),
        (3, "unparseable_integer"),
        (4, "unparseable_integer"),
    ]
