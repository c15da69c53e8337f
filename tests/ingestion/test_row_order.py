"""Raw rows are stored in the line order of their file (the inserts do not sort: the scan's order is kept),
and each lake Parquet file holds them in that order, across row groups, rejects and malformed records."""

from __future__ import annotations

import duckdb

from ingestion.lake import raw_file_path
from ingestion.loader import ingest
from tests.ingestion.conftest import CALL_HEADER, query

ROWS = 150_000  # more than one DuckDB row group (122,880 rows)


def calls_file() -> str:
    lines = [CALL_HEADER]
    for i in range(ROWS):
        if i % 9_973 == 0:
            lines.append(f"bad{i},c1,inbound")  # too few fields: dropped by DuckDB, line numbers renumbered
        elif i % 7_919 == 0:
            lines.append(f"k{i},c1,inbound,phone,,3,40,resolved")  # no started_at: a rejected row
        else:
            lines.append(f"k{i},c{i % 500},inbound,phone,2026-01-05T{i % 24:02d}:00:00Z,3,40,resolved")
    return "\n".join(lines) + "\n"


def test_raw_rows_and_their_lake_file_are_in_line_order(landing, warehouse, put):
    put("calls/big.csv", calls_file())
    report = ingest(landing, warehouse, max_rejected_share=1.0)
    assert report.ok, report.lines()
    out_of_order = query(
        warehouse,
        """select count(*) from (
               select row_number() over (order by rowid) as physical, row_number() over (order by _line_number) as line
               from raw.calls)
           where physical <> line""",
    )
    assert out_of_order == [(0,)]
    loaded = query(warehouse, "select count(*), min(_line_number), max(_line_number) from raw.calls")[0]
    assert loaded[0] == ROWS - 16 - 18 and loaded[1] == 3 and loaded[2] == ROWS + 1
    with duckdb.connect() as con:
        lines = con.execute(
            f"select _line_number from read_parquet('{raw_file_path(warehouse.parent / 'lake', 'calls', 1)}')"
        ).fetchall()
    assert [line for (line,) in lines] == [
        line for (line,) in query(warehouse, "select _line_number from raw.calls order by _line_number")
    ]
