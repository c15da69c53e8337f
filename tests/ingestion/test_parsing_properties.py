"""Property tests: header normalisation and the SQL parsers of timestamps, decimals and durations."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.columns import SOURCES, Column, header_key, map_headers
from ingestion.validate import typed_expr

SEPARATORS = st.sampled_from(["", " ", "_", "-", "  "])


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        yield connection


def parse(con: duckdb.DuckDBPyConnection, kind: str, text: str, tz: str = "UTC"):
    con.execute(f"set TimeZone = '{tz}'")
    value = con.execute(f"select {typed_expr(Column('x', kind), '$1')}", [text]).fetchall()[0][0]
    con.execute("set TimeZone = 'UTC'")
    return value


@st.composite
def spelled(draw, name: str) -> str:
    """`nps_score` written as a person might: `NPS Score`, `nps-score`, `Nps_SCORE`, with accents on vowels."""
    words = name.split("_")
    out = []
    for word in words:
        chars = [draw(st.sampled_from([c.lower(), c.upper()])) for c in word]
        chars = [unicodedata.normalize("NFC", c + "\u0301") if c in "eE" and draw(st.booleans()) else c for c in chars]
        out.append("".join(chars))
    joined = out[0]
    for word in out[1:]:
        joined += draw(SEPARATORS) + word
    return draw(st.sampled_from(["", " "])) + joined + draw(st.sampled_from(["", " "]))


@given(st.data())
def test_any_spelling_of_a_canonical_header_maps_to_it(data):
    source = data.draw(st.sampled_from(list(SOURCES.values())))
    column = data.draw(st.sampled_from(source.columns))
    header = data.draw(spelled(column.name))
    assert header_key(header) == header_key(column.name)
    assert map_headers(source, ["something_else", header]) == {1: column.name}


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
@settings(max_examples=60, deadline=None)
def test_timestamps_in_every_accepted_form_parse_to_the_same_instant(con, moment, tz):
    zone = ZoneInfo(tz)
    if moment.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        return  # a local time that does not exist (spring-forward gap) is ambiguous by nature
    if moment.replace(tzinfo=zone, fold=0).utcoffset() != moment.replace(tzinfo=zone, fold=1).utcoffset():
        return  # a local time that happens twice (the fall-back hour) names two instants
    expected = moment.replace(tzinfo=zone).astimezone(UTC)
    offset = moment.replace(tzinfo=zone).utcoffset() or timedelta(0)
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = int(abs(offset) / timedelta(minutes=1))
    hhmm = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    forms = [
        moment.strftime("%Y-%m-%dT%H:%M:%S"),
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%d/%m/%Y %H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%S") + hhmm,
        expected.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
    for text in forms:
        got = parse(con, "timestamp", text, tz)
        assert got is not None and got.astimezone(UTC) == expected, text


@given(
    st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2),
    st.sampled_from([".", ","]),
    st.sampled_from(["", " ", "\u00a0", "\u202f"]),
)
@settings(max_examples=80, deadline=None)
def test_decimals_with_either_separator_and_space_thousands_parse_exactly(con, value, decimal_sep, thousands):
    text = f"{value:,.2f}".replace(",", "\x00").replace(".", decimal_sep).replace("\x00", thousands)
    assert parse(con, "decimal", text) == value


@given(st.integers(min_value=0, max_value=99 * 3600))
@settings(max_examples=60, deadline=None)
def test_durations_as_seconds_or_hh_mm_ss_agree(con, seconds):
    hms = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    assert parse(con, "duration", str(seconds)) == seconds
    assert parse(con, "duration", hms) == seconds


@given(st.text(alphabet="0123456789-+:/. aZ", max_size=12))
@settings(max_examples=100, deadline=None)
def test_an_integer_parses_only_from_whole_number_text(con, text):
    """No inner spaces (`1 0`), no plus sign (`+7`), no leading zeros (`007`); an integral float `9.0` is whole."""
    value = parse(con, "integer", text)
    if re.fullmatch(r"-?(0|[1-9]\d{0,8})(\.0+)?", text):
        assert value == int(text.split(".")[0])
    else:
        assert value is None


@pytest.mark.parametrize("text", ["1 0", "+7", "007", "9.5", "1,0", " "])
def test_score_text_that_only_looks_like_a_number_is_not_one(con, text):
    assert parse(con, "integer", text) is None


@pytest.mark.parametrize(("text", "value"), [("9.0", 9), ("10", 10), ("0", 0), ("-1", -1)])
def test_whole_numbers_and_integral_floats_are_integers(con, text, value):
    assert parse(con, "integer", text) == value
