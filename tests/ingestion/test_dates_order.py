"""Numeric dates: the order decided per file and column, two-digit years, AM/PM, zones, implausible times."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.dates import AmbiguousDateOrder, decide_order, order_counts_sql, timestamp_expr
from ingestion.loader import ingest
from tests.ingestion.conftest import query


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        yield connection


def ts(con, text: str, order: str = "dmy"):
    return con.execute(f"select {timestamp_expr('$1', order)}", [text]).fetchall()[0][0]


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("9/7/16 1:03", "mdy", datetime(2016, 9, 7, 1, 3)),  # DuckDB's cast would give the year 0009
        ("9/7/16 1:03", "dmy", datetime(2016, 7, 9, 1, 3)),
        ("11/15/2023 10:21:33 AM", "mdy", datetime(2023, 11, 15, 10, 21, 33)),
        ("11/15/2023 10:21:33 PM", "mdy", datetime(2023, 11, 15, 22, 21, 33)),
        ("1/2/2024 12:05 AM", "mdy", datetime(2024, 1, 2, 0, 5)),
        ("31/01/2025 23:30", "dmy", datetime(2025, 1, 31, 23, 30)),
        ("16/09/07", "ymd", datetime(2016, 9, 7)),
        ("Thu, 27 Oct 2016 14:51:34", "dmy", datetime(2016, 10, 27, 14, 51, 34)),
        ("2025-05-06 14:30:00 UTC", "dmy", datetime(2025, 5, 6, 14, 30)),
        ("2025-05-06 14:30:00 GMT+8", "dmy", datetime(2025, 5, 6, 6, 30)),
        ("2025-05-06T14:30:00+02:00", "dmy", datetime(2025, 5, 6, 12, 30)),
        ("9/7/16 1:03 UTC", "mdy", datetime(2016, 9, 7, 1, 3)),
        ("2025-05-06", "mdy", datetime(2025, 5, 6)),
    ],
)
def test_each_accepted_form_reads_to_the_right_instant(con, text, order, expected):
    assert ts(con, text, order) == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["31/02/2026", "13/13/2026", "9/7/16 25:00", "1/2/2024 13:05 PM", "hello"])
def test_a_value_no_order_can_read_is_null(con, text):
    assert ts(con, text, "dmy") is None and ts(con, text, "mdy") is None


def counts(con, values: list[str]) -> tuple[int, int, int]:
    rel = "(select unnest($1::varchar[]) as v)"
    return tuple(con.execute(order_counts_sql(rel, {"c": "v"}), [values]).fetchall()[0])


dates = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31))


@given(st.lists(dates, min_size=1, max_size=30), st.sampled_from(["dmy", "mdy"]), st.booleans())
@settings(max_examples=60, deadline=None)
def test_the_detected_order_reads_every_value_as_written(con, moments, order, two_digit_year):
    year = "%y" if two_digit_year else "%Y"
    fmt = f"%d/%m/{year} %H:%M" if order == "dmy" else f"%m/%d/{year} %H:%M"
    texts = [m.strftime(fmt) for m in moments]
    dmy_only, mdy_only, numeric = counts(con, texts)
    assert numeric == len(texts)
    decision = decide_order("c", dmy_only, mdy_only, numeric, None, "dmy")
    if any(m.day > 12 for m in moments):
        assert decision.order == order and decision.how == "detected"
    else:
        assert decision.how == "default" and decision.order == "dmy"
    if decision.order == order:
        got = [ts(con, t, decision.order) for t in texts]
        assert got == [m.replace(second=0, microsecond=0, tzinfo=UTC) for m in moments]


@given(
    st.lists(dates.filter(lambda d: d.day > 12), min_size=1, max_size=5),
    st.lists(dates.filter(lambda d: d.day > 12), min_size=1, max_size=5),
)
@settings(max_examples=30, deadline=None)
def test_day_first_and_month_first_values_in_one_column_are_an_error(con, day_first, month_first):
    texts = [m.strftime("%d/%m/%Y") for m in day_first] + [m.strftime("%m/%d/%Y") for m in month_first]
    with pytest.raises(AmbiguousDateOrder, match="date_order"):
        decide_order("c", *counts(con, texts), None, "dmy")
    assert decide_order("c", *counts(con, texts), "mdy", "dmy").order == "mdy"  # declared wins


TYPEFORM = (
    "#,Start Date (UTC),Submit Date (UTC),How likely are you to recommend us?\n"
    "a1,9/7/16 1:03,9/7/16 1:05,9\n"
    "a2,9/13/16 22:10,9/13/16 22:12,3\n"
    "a3,10/2/16 8:00,10/2/16 8:01,10\n"
)


def test_a_typeform_like_export_reads_month_first_from_a_day_above_12(warehouse, put, ingest_with_sources):
    put("surveys/typeform/responses.csv", TYPEFORM)
    report = ingest_with_sources(
        'surveys:\n  - files: "typeform/*.csv"\n    columns: {response_id: "#", sent_at: "Start Date (UTC)", '
        'responded_at: "Submit Date (UTC)", nps_score: "How likely are you to recommend us?"}\n'
        "    invitations: false\n",
        as_of=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert report.ok, report.lines()
    got = query(warehouse, "select response_id, sent_at, nps_score from raw.surveys order by 1")
    assert got == [
        ("a1", datetime(2016, 9, 7, 1, 3, tzinfo=UTC), 9),
        ("a2", datetime(2016, 9, 13, 22, 10, tzinfo=UTC), 3),
        ("a3", datetime(2016, 10, 2, 8, 0, tzinfo=UTC), 10),
    ]
    logged = query(
        warehouse, "select date_order, profile, score_min, score_max, invitations from quality.ingestion_log"
    )
    assert logged == [("mdy", "typeform", 3, 10, False)]  # detected from the header (contract 2.2)


def test_a_column_mixing_both_orders_fails_the_file_naming_column_and_setting(landing, warehouse, put):
    put("surveys/s.csv", "response_id,sent_at\nR1,13/01/2025\nR2,01/13/2025\n")
    report = ingest(landing, warehouse)
    [failed] = report.failed
    assert "surveys/s.csv" in failed.reason and "column sent_at" in failed.reason and "date_order" in failed.reason
    assert query(warehouse, "select count(*) from raw.surveys") == [(0,)]


def test_a_declared_date_order_wins_and_values_it_cannot_read_are_rejected(warehouse, put, ingest_with_sources):
    put("surveys/s.csv", "response_id,sent_at\nR1,02/03/2025\nR2,01/13/2025\nR3,31/02/2026\n")
    ingest_with_sources(
        'surveys:\n  - files: "*.csv"\n    date_order: mdy\n',
        as_of=datetime(2026, 6, 1, tzinfo=UTC),
        max_rejected_share=1.0,
    )
    assert query(warehouse, "select response_id, sent_at from raw.surveys order by 1") == [
        ("R1", datetime(2025, 2, 3, tzinfo=UTC)),
        ("R2", datetime(2025, 1, 13, tzinfo=UTC)),
    ]
    assert query(warehouse, "select line_number, reason_code from quality.rejected_rows") == [
        (4, "unparseable_timestamp")
    ]


def test_infinity_epoch_old_and_future_timestamps_never_reach_raw(landing, warehouse, put):
    rows = [
        "R1,2025-01-10,,,",
        "R2,infinity,,,",
        "R3,epoch,,,",
        "R4,1989-12-31,,,",
        "R5,2026-01-03,,,",
        "R6,2025-01-10,,,-infinity",
    ]
    put("crm/x.csv", "customer_id,updated_at,segment,plan,churned_at\n" + "\n".join(rows) + "\n")
    report = ingest(landing, warehouse, as_of=datetime(2026, 1, 1, tzinfo=UTC), max_rejected_share=1.0)
    assert query(warehouse, "select customer_id, churned_at from raw.crm_customers order by 1") == [
        ("R1", None),
        ("R6", None),
    ]
    assert query(warehouse, "select line_number, reason_code from quality.rejected_rows order by 1") == [
        (3, "implausible_timestamp"),
        (4, "implausible_timestamp"),
        (5, "implausible_timestamp"),
        (6, "implausible_timestamp"),
    ]
    assert query(warehouse, "select line_number, field, reason_code from quality.rejected_values") == [
        (7, "churned_at", "implausible_timestamp")
    ]
    assert report.files[0].values_rejected == 1
    second = ingest(landing, warehouse, as_of=datetime(2026, 1, 1, tzinfo=UTC), max_rejected_share=1.0)
    assert second.files == []  # nothing wedged: the next run has nothing to redo
