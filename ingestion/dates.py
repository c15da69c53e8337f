"""Timestamps and dates as exports write them (contract section 2), as DuckDB SQL expressions.

Numeric dates (`9/7/16 1:03`, `31/01/2025 23:30`, `11/15/2023 10:21:33 AM`) are never given to DuckDB's
cast (it reads `9/7/16` as the year 0009): their parts are taken apart with a regex and put together in
the order decided for the column (`dmy`, `mdy` or `ymd`); a two-digit year is 20yy. ISO 8601 (with or without
offset or zone name), `Thu, 27 Oct 2016 14:51:34` and a trailing `UTC` / `GMT+8` are read too. A naive
timestamp is read in the session time zone (the loader sets it to the entry's `timezone`, else
`NPS_SOURCE_TZ`). The order of a column is decided in one aggregate pass (`order_counts_sql`,
`decide_order`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingestion.profiles import DateOrder
from ingestion.sql import quote_ident, quote_literal

ORDERS: tuple[DateOrder, ...] = ("dmy", "mdy", "ymd")
# a numeric date: 1-2 digits, 1-2 digits, 2 or 4 digits; an optional time with optional seconds and AM/PM
NUMERIC = (
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
)
# a year-first date with `/` or `.` (ISO's `-` is read by the cast), the same optional time and AM/PM
YEAR_FIRST = r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})" + NUMERIC[NUMERIC.index("(?:[ T]+") :]
_ZONE = (
    r"^(.*\d:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)"
    r"\s*(?:(Z|UTC|GMT)|(?:(?:UTC|GMT)\s*)?([+-])(\d{1,2}):?(\d{2})?)$"
)
_TEXT_FORMATS = (
    "%a, %d %b %Y %H:%M:%S",
    "%a, %d %b %Y %H:%M",
    "%a %d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y",
)
PLAUSIBLE_FROM = "1990-01-01"


def _zone(t: str) -> str:
    """Struct {body, name, sign, hh, mm}: the text before a trailing zone name/offset, and that zone."""
    return f"regexp_extract({t}, {quote_literal(_ZONE)}, ['body', 'name', 'sign', 'hh', 'mm'])"


def _body(t: str) -> str:
    """The text without its trailing zone (the whole text when it has none)."""
    return f"coalesce(nullif({_zone(t)}.body, ''), {t})"


def _offset(t: str) -> str:
    """`+HH:MM` of a trailing zone, NULL when the text has none."""
    z = _zone(t)
    return (
        f"(case when {z}.name <> '' then '+00:00' when {z}.sign <> '' "
        f"then {z}.sign || lpad({z}.hh, 2, '0') || ':' || coalesce(nullif({z}.mm, ''), '00') end)"
    )


def _parts(b: str) -> str:
    return f"regexp_extract({b}, '^{NUMERIC}$', ['a', 'b', 'c', 'h', 'mi', 's', 'ampm'])"


def is_numeric_date(t: str) -> str:
    """SQL: the text is a numeric date (whose order matters)."""
    return f"regexp_full_match({_body(t)}, '{NUMERIC}')"


def _year(part: str) -> str:
    return f"(case when length({part}) = 2 then 2000 + {part}::integer else {part}::integer end)"


def numeric_naive(t: str, order: DateOrder) -> str:
    """SQL: a numeric date read in `order` as a naive timestamp; NULL when not numeric or no such date."""
    p = _parts(_body(t))
    day, month, year = {
        "dmy": (f"{p}.a", f"{p}.b", f"{p}.c"),
        "mdy": (f"{p}.b", f"{p}.a", f"{p}.c"),
        "ymd": (f"{p}.c", f"{p}.b", f"{p}.a"),
    }[order]
    # year 2-digit in the middle of a ymd value, or a 2-digit "year" in dmy/mdy first place: the regex decides
    return f"(case when {is_numeric_date(t)} then {_assembled(p, day, month, year)} end)"


def year_first_naive(t: str) -> str:
    """SQL: a year-first date with `/` or `.` (`2026/05/08 9:02:17 AM`, as Google Forms downloads write it)
    as a naive timestamp; NULL when the text is not one. Year first leaves no order to decide."""
    body = _body(t)
    p = f"regexp_extract({body}, '^{YEAR_FIRST}$', ['c', 'b', 'a', 'h', 'mi', 's', 'ampm'])"
    return (
        f"(case when regexp_full_match({body}, '{YEAR_FIRST}') then {_assembled(p, f'{p}.a', f'{p}.b', f'{p}.c')} end)"
    )


def _assembled(p: str, day: str, month: str, year: str) -> str:
    """SQL: the naive timestamp of regex parts `p` (h, mi, s, ampm) and the given day, month and year parts."""
    hour = f"coalesce(nullif({p}.h, '')::integer, 0)"
    ampm = f"lower({p}.ampm)"
    hour = (
        f"(case when {ampm} = 'p' and {hour} between 1 and 11 then {hour} + 12 "
        f"when {ampm} = 'a' and {hour} = 12 then 0 when {ampm} <> '' and {hour} not between 1 and 12 then 99 "
        f"else {hour} end)"
    )
    iso = (
        f"format('{{:04d}}-{{:02d}}-{{:02d}} {{:02d}}:{{:02d}}:{{:02d}}', {_year(year)}, {month}::integer, "
        f"{day}::integer, {hour}, coalesce(nullif({p}.mi, '')::integer, 0), coalesce(nullif({p}.s, '')::integer, 0))"
    )
    return f"try_strptime({iso}, '%Y-%m-%d %H:%M:%S')"


def _with_offset(naive: str, t: str) -> str:
    """A naive timestamp made an instant: at the text's own offset when it has one, else in the session zone."""
    return (
        f"(case when {_offset(t)} is null then {naive}::timestamptz "
        f"else try_cast(strftime({naive}, '%Y-%m-%d %H:%M:%S') || {_offset(t)} as timestamptz) end)"
    )


def _by_form(t: str, order: DateOrder, typed: Callable[[str], str], otherwise: str) -> str:
    """SQL: `typed` of the naive timestamp of a numeric or a year-first text `t`, else `otherwise`."""
    return (
        f"(case when {is_numeric_date(t)} then {typed(numeric_naive(t, order))} "
        f"when regexp_full_match({_body(t)}, '{YEAR_FIRST}') then {typed(year_first_naive(t))} "
        f"else {otherwise} end)"
    )


def _text_formats() -> str:
    return "[" + ", ".join(quote_literal(f) for f in _TEXT_FORMATS) + "]"


def timestamp_expr(t: str, order: DateOrder) -> str:
    """SQL: the instant that text `t` (trimmed, NULL when empty) spells; NULL when it spells none."""
    named = _with_offset(f"try_strptime({_body(t)}, {_text_formats()})", t)
    return _by_form(t, order, lambda naive: _with_offset(naive, t), f"coalesce(try_cast({t} as timestamptz), {named})")


def date_expr(t: str, order: DateOrder) -> str:
    """SQL: the calendar date that `t` spells (a time of day is dropped); NULL when none."""
    otherwise = (
        f"coalesce(try_cast({t} as date), try_cast({_body(t)} as timestamp)::date, "
        f"try_strptime({_body(t)}, {_text_formats()})::date)"
    )
    return _by_form(t, order, lambda naive: f"{naive}::date", otherwise)


def implausible(typed: str, as_of_literal: str) -> str:
    """SQL: a parsed instant that cannot be a real event: infinite, before 1990, or over a day after as_of."""
    return (
        f"(isinf({typed}) or {typed} < timestamptz '{PLAUSIBLE_FROM} 00:00:00+00' "
        f"or {typed} > {as_of_literal} + interval 1 day)"
    )


def order_counts_sql(relation: str, texts: dict[str, str]) -> str:
    """One aggregate pass: per column, how many numeric values only day-first can read, and only month-first."""
    parts = []
    for name, t in texts.items():
        dmy, mdy = numeric_naive(t, "dmy"), numeric_naive(t, "mdy")
        parts.append(f"count(*) filter (where {dmy} is not null and {mdy} is null) as {quote_ident(name + '__dmy')}")
        parts.append(f"count(*) filter (where {mdy} is not null and {dmy} is null) as {quote_ident(name + '__mdy')}")
        parts.append(f"count(*) filter (where {is_numeric_date(t)}) as {quote_ident(name + '__numeric')}")
    return f"select {', '.join(parts)} from {relation}"


@dataclass(frozen=True)
class OrderDecision:
    column: str
    order: DateOrder
    how: str  # declared | detected | default
    numeric_values: int


class AmbiguousDateOrder(ValueError):
    pass


def decide_order(
    column: str, dmy_only: int, mdy_only: int, numeric: int, declared: DateOrder | None, default: DateOrder
) -> OrderDecision:
    """`date_order` when declared, else what the values decide (a day above 12), else the profile default.
    Values that only day-first can read beside values that only month-first can read is an error."""
    if declared is not None:
        return OrderDecision(column, declared, "declared", numeric)
    if dmy_only and mdy_only:
        raise AmbiguousDateOrder(
            f"column {column}: {dmy_only} value(s) can only be day-first and {mdy_only} only month-first; "
            "declare `date_order` (dmy, mdy or ymd) for this file in sources.yml"
        )
    if dmy_only:
        return OrderDecision(column, "dmy", "detected", numeric)
    if mdy_only:
        return OrderDecision(column, "mdy", "detected", numeric)
    return OrderDecision(column, default, "default", numeric)
