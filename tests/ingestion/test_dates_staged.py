"""The staged parse of a file (`timestamp_stages`, the one `checked_sql` uses) and the order-count pass read every
text exactly as the single-expression parse (`timestamp_expr`, `date_expr`, `numeric_naive`) does."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.columns import Column
from ingestion.dates import (
    date_expr,
    is_numeric_date,
    numeric_naive,
    order_counts_sql,
    timestamp_expr,
    timestamp_stages,
)
from ingestion.sql import quote_ident, quote_literal
from ingestion.validate import NULL_TOKENS, clean_text, column_checks

# ISO forms (the direct cast: offsets, 'T' or space, fractional seconds, no time, no seconds), numeric dates in
# every order, year-first with slashes, text month names, trailing zones, and texts no form reads
EDGE_TEXTS = [
    "2024-12-30T07:00:00Z",
    "2024-12-30 07:00:00Z",
    "2024-12-30T07:00:00",
    "2024-12-30 07:00:00",
    "2024-12-30T07:00",
    "2024-12-30 07:00",
    "2024-12-30",
    "2024-12-30Z",
    "2024-12-30T07:00:00.5Z",
    "2024-12-30T07:00:00.123456",
    "2024-12-30T07:00:00.123456789+05:30",
    "2024-12-30T07:00:00+02:00",
    "2024-12-30T07:00:00-0330",
    "2024-12-30T07:00:00+02",
    "2024-12-30 23:30:00-05:00",
    "2024-03-31T02:30:00",  # a spring-forward gap in Europe/Paris
    "2024-10-27T02:30:00",  # the fall-back hour in Europe/Paris
    "2024-02-30T07:00:00Z",  # no such day
    "2024-13-01",
    "2024-12-30T25:00:00",
    "2024-12-30T07:00:00 UTC",
    "2024-12-30 07:00:00 GMT+8",
    "2024-12-30T07:00:00+2:00",
    "0001-01-01",
    "9999-12-31T23:59:59Z",
    "20241230",
    "2024-1-5",
    "2024/05/08 9:02:17 AM",
    "2024.05.08",
    "9/7/16 1:03",
    "9/7/16 1:03 UTC",
    "31/01/2025 23:30",
    "01/31/2025 23:30",
    "11/15/2023 10:21:33 PM",
    "1/2/2024 12:05 AM",
    "1/2/2024 13:05 PM",
    "16/09/07",
    "5.4.2026 9:05",
    "5-4-2026",
    "31/02/2026",
    "9/7/16 25:00",
    "Thu, 27 Oct 2016 14:51:34",
    "27 Oct 2016",
    "Oct 27, 2016 14:51:34",
    "Thu, 27 Oct 2016 14:51:34 +0200",
    "hello",
    "",
    None,
]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]


def staged_values(con, texts: list[str | None], kind: str, order: str) -> list[str | None]:
    """The values as DuckDB's text (years 1 to 9999 and every zone, beyond what Python's datetime holds)."""
    staged = timestamp_stages(quote_ident("t"), "t", order, kind)
    relation = "(select unnest($1::varchar[]) as t, generate_subscripts($1::varchar[], 1) as i)"
    for stage in staged.stages:
        relation = f"(select *, {', '.join(stage)} from {relation})"
    return [
        r[0] for r in con.execute(f"select ({staged.value})::varchar from {relation} order by i", [texts]).fetchall()
    ]


def single_values(con, texts: list[str | None], kind: str, order: str) -> list[str | None]:
    expr = (timestamp_expr if kind == "timestamp" else date_expr)("t", order)
    relation = "(select unnest($1::varchar[]) as t, generate_subscripts($1::varchar[], 1) as i)"
    return [r[0] for r in con.execute(f"select ({expr})::varchar from {relation} order by i", [texts]).fetchall()]


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        yield connection


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("kind", ["timestamp", "date"])
@pytest.mark.parametrize("order", ["dmy", "mdy", "ymd"])
def test_the_staged_parse_reads_every_edge_text_as_the_single_expression_does(con, zone, kind, order):
    con.execute(f"set TimeZone = '{zone}'")
    assert staged_values(con, EDGE_TEXTS, kind, order) == single_values(con, EDGE_TEXTS, kind, order)


def test_iso_texts_take_the_direct_cast_and_still_read_offsets_fractions_and_the_session_zone(con):
    con.execute("set TimeZone = 'Europe/Paris'")
    texts = ["2024-12-30T07:00:00.25+02:00", "2024-12-30 07:00:00", "2024-12-30"]
    assert staged_values(con, texts, "timestamp", "dmy") == [
        "2024-12-30 06:00:00.25+01",
        "2024-12-30 07:00:00+01",
        "2024-12-30 00:00:00+01",
    ]


iso_like = st.builds(
    lambda d, sep, frac, zone: d.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + frac + zone,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(["T", " "]),
    st.sampled_from(["", ".5", ".123456", ".000000001"]),
    st.sampled_from(["", "Z", "+02:00", "-0530", "+14", " UTC", " GMT+8"]),
)
numeric_like = st.builds(
    lambda d, fmt, ampm: d.strftime(fmt) + ampm,
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31)),
    st.sampled_from(["%d/%m/%Y %H:%M", "%m/%d/%y %H:%M:%S", "%d.%m.%Y", "%Y/%m/%d %I:%M", "%a, %d %b %Y %H:%M"]),
    st.sampled_from(["", " AM", " PM", " UTC", "+01:00"]),
)
noise = st.text(alphabet="0123456789-/.:T +Zapm", max_size=25)


@given(st.lists(st.one_of(iso_like, numeric_like, noise), min_size=1, max_size=40), st.sampled_from(ZONES))
@settings(max_examples=40, deadline=None)
def test_the_staged_parse_agrees_with_the_single_expression_on_any_text(con, texts, zone):
    con.execute(f"set TimeZone = '{zone}'")
    for kind in ("timestamp", "date"):
        assert staged_values(con, texts, kind, "mdy") == single_values(con, texts, kind, "mdy")


def reference_counts(con, texts: list[str | None]) -> tuple[int, int, int]:
    """The order counts as the single-expression parse computes them (every parse for every value)."""
    dmy, mdy = numeric_naive("v", "dmy"), numeric_naive("v", "mdy")
    return tuple(
        con.execute(
            f"select count(*) filter (where {dmy} is not null and {mdy} is null), "
            f"count(*) filter (where {mdy} is not null and {dmy} is null), "
            f"count(*) filter (where {is_numeric_date('v')}) "
            "from (select unnest($1::varchar[]) as v)",
            [texts],
        ).fetchall()[0]
    )


def counts(con, texts: list[str | None]) -> tuple[int, int, int]:
    return tuple(
        con.execute(order_counts_sql("(select unnest($1::varchar[]) as v)", {"c": "v"}), [texts]).fetchall()[0]
    )


@pytest.mark.parametrize(
    "texts",
    [
        ["2024-12-30T07:00:00Z", "2025-01-31 23:30:00", "2025-02-01"],  # ISO only: nothing numeric
        ["31/01/2025 23:30", "01/02/2025", "2025-01-31T10:00:00Z"],  # EU beside ISO
        ["01/31/2025 11:30 PM", "02/01/2025", None, ""],  # US
        ["31/01/2025", "01/31/2025"],  # both: ambiguous
        EDGE_TEXTS,
    ],
)
def test_the_order_counts_of_iso_eu_and_us_files_are_as_before(con, texts):
    assert counts(con, texts) == reference_counts(con, texts)


@given(st.lists(st.one_of(iso_like, numeric_like, noise, st.none()), min_size=1, max_size=40))
@settings(max_examples=40, deadline=None)
def test_the_order_counts_agree_with_every_value_parsed_both_ways(con, texts):
    assert counts(con, texts) == reference_counts(con, texts)


TOKEN_TEXTS = [None, "", "   ", "NA", " N/A ", "n/a", "NULL", "null", "#N/A", "na", "NA x", "x", " 7 "]


@pytest.mark.parametrize("text", TOKEN_TEXTS)
def test_null_tokens_compared_one_by_one_clean_text_as_the_in_list_did(con, text):
    tokens = ", ".join(quote_literal(v) for v in NULL_TOKENS)
    reference = f"(case when trim($1) in ({tokens}) then null else nullif(trim($1), '') end)"
    assert (
        con.execute(f"select {clean_text('$1')}, {reference}", [text]).fetchall()[0]
        == (con.execute(f"select {reference}", [text]).fetchall()[0][0],) * 2
    )


@pytest.mark.parametrize("value", [None, "inbound", "outbound", "sideways", ""])
def test_an_enum_outside_its_values_is_rejected_as_not_in_did(con, value):
    check = next(c for c in column_checks(Column("direction", "enum", allowed=("inbound", "outbound")), "now()"))
    condition = check.condition.replace('"_v_direction"', "$1")
    assert (
        con.execute(f"select {condition}, $1 not in ('inbound', 'outbound')", [value]).fetchall()[0]
        == (con.execute("select $1 not in ('inbound', 'outbound')", [value]).fetchall()[0][0],) * 2
    )
