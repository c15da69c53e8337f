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


# ISO 8601 year-first (`2024-12-30T07:00:00Z`, `2024-12-30 07:00:00.123+02:00`, `2024-12-30`): such a text is
# never a numeric or a slashed year-first date and names no month, so the full parse reduces to DuckDB's cast
# (`timestamp_expr`); the staged parse of a file takes that cast straight away (`timestamp_stages`)
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"  # a date column's ISO text: the full parse reduces to the cast to date
# every numeric date starts so (its body, the text without a trailing zone, is a prefix of the text)
NUMERIC_START = r"^\d{1,2}[/.-]\d{1,2}[/.-]"


def _zone(t: str) -> str:
    """Struct {body, name, sign, hh, mm}: the text before a trailing zone name/offset, and that zone."""
    return f"regexp_extract({t}, {quote_literal(_ZONE)}, ['body', 'name', 'sign', 'hh', 'mm'])"


def _body_of(t: str, z: str) -> str:
    return f"coalesce(nullif({z}.body, ''), {t})"


def _body(t: str) -> str:
    """The text without its trailing zone (the whole text when it has none)."""
    return _body_of(t, _zone(t))


def _offset_of(z: str) -> str:
    return (
        f"(case when {z}.name <> '' then '+00:00' when {z}.sign <> '' "
        f"then {z}.sign || lpad({z}.hh, 2, '0') || ':' || coalesce(nullif({z}.mm, ''), '00') end)"
    )


def _offset(t: str) -> str:
    """`+HH:MM` of a trailing zone, NULL when the text has none."""
    return _offset_of(_zone(t))


def _parts(b: str) -> str:
    return f"regexp_extract({b}, '^{NUMERIC}$', ['a', 'b', 'c', 'h', 'mi', 's', 'ampm'])"


def _year_first_parts(b: str) -> str:
    return f"regexp_extract({b}, '^{YEAR_FIRST}$', ['c', 'b', 'a', 'h', 'mi', 's', 'ampm'])"


def _is_numeric_body(b: str) -> str:
    return f"regexp_full_match({b}, '{NUMERIC}')"


def _is_year_first_body(b: str) -> str:
    return f"regexp_full_match({b}, '{YEAR_FIRST}')"


def is_numeric_date(t: str) -> str:
    """SQL: the text is a numeric date (whose order matters)."""
    return _is_numeric_body(_body(t))


def _year(part: str) -> str:
    return f"(case when length({part}) = 2 then 2000 + {part}::integer else {part}::integer end)"


def _ordered(p: str, order: DateOrder) -> str:
    """The naive timestamp of numeric regex parts `p` read in `order`."""
    day, month, year = {
        "dmy": (f"{p}.a", f"{p}.b", f"{p}.c"),
        "mdy": (f"{p}.b", f"{p}.a", f"{p}.c"),
        "ymd": (f"{p}.c", f"{p}.b", f"{p}.a"),
    }[order]
    # year 2-digit in the middle of a ymd value, or a 2-digit "year" in dmy/mdy first place: the regex decides
    return _assembled(p, day, month, year)


def numeric_naive(t: str, order: DateOrder) -> str:
    """SQL: a numeric date read in `order` as a naive timestamp; NULL when not numeric or no such date."""
    return f"(case when {is_numeric_date(t)} then {_ordered(_parts(_body(t)), order)} end)"


def year_first_naive(t: str) -> str:
    """SQL: a year-first date with `/` or `.` (`2026/05/08 9:02:17 AM`, as Google Forms downloads write it)
    as a naive timestamp; NULL when the text is not one. Year first leaves no order to decide."""
    body = _body(t)
    p = _year_first_parts(body)
    return f"(case when {_is_year_first_body(body)} then {_assembled(p, f'{p}.a', f'{p}.b', f'{p}.c')} end)"


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


def _at_offset(naive: str, offset: str) -> str:
    """A naive timestamp made an instant: at `offset` (`+HH:MM`) when it is not NULL, else in the session zone."""
    return (
        f"(case when {offset} is null then {naive}::timestamptz "
        f"else try_cast(strftime({naive}, '%Y-%m-%d %H:%M:%S') || {offset} as timestamptz) end)"
    )


def _with_offset(naive: str, t: str) -> str:
    """A naive timestamp made an instant: at the text's own offset when it has one, else in the session zone."""
    return _at_offset(naive, _offset(t))


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


@dataclass(frozen=True)
class Staged:
    """One parse as stages of a query: `stages[i]` are select items (`<sql> as <name>`) computed over the
    columns of stage i - 1 (stage 0 over the text), `value` the result over the last stage's columns.
    Each intermediate value (the trailing zone, the body, the regex parts, the naive timestamps) is computed
    once per row, and none is computed for an ISO 8601 text, which is cast directly."""

    stages: tuple[tuple[str, ...], ...]
    value: str


def timestamp_stages(t: str, name: str, order: DateOrder, kind: str = "timestamp") -> Staged:
    """`timestamp_expr(t, order)` (or `date_expr` for kind `date`) as stages over the column `t`; the
    intermediate columns are named `_d<i>_<name>`. The same value for every text (tests/ingestion hold them
    against each other): an ISO text takes the cast both reduce to for it, any other the same expressions."""

    def col(tag: str) -> str:
        return quote_ident(f"_d{tag}_{name}")

    iso, z, body, offset = col("iso"), col("z"), col("b"), col("o")
    num, yf, p, py = col("num"), col("yf"), col("p"), col("py")
    naive_num, naive_yf, naive_text = col("nn"), col("ny"), col("nt")
    pattern = ISO_TIMESTAMP if kind == "timestamp" else ISO_DATE
    stage0 = (f"coalesce(regexp_full_match({t}, {quote_literal(pattern)}), false) as {iso}",)
    stage1 = (f"(case when not {iso} then {_zone(t)} end) as {z}",)
    stage2 = (
        f"(case when not {iso} then {_body_of(t, z)} end) as {body}",
        f"{_offset_of(z)} as {offset}",
    )
    stage3 = (
        f"{_is_numeric_body(body)} as {num}",
        f"{_is_year_first_body(body)} as {yf}",
        f"(case when {_is_numeric_body(body)} then {_parts(body)} end) as {p}",
        f"(case when {_is_year_first_body(body)} then {_year_first_parts(body)} end) as {py}",
    )
    formats = _text_formats()
    stage4 = (
        f"(case when {num} then {_ordered(p, order)} end) as {naive_num}",
        f"(case when {yf} then {_assembled(py, f'{py}.a', f'{py}.b', f'{py}.c')} end) as {naive_yf}",
        f"(case when not {iso} and not {num} and not {yf} then try_strptime({body}, {formats}) end) as {naive_text}",
    )
    if kind == "timestamp":
        cast = f"try_cast({t} as timestamptz)"
        otherwise = f"coalesce({cast}, {_at_offset(naive_text, offset)})"
        forms = (_at_offset(naive_num, offset), _at_offset(naive_yf, offset))
    else:
        cast = f"try_cast({t} as date)"
        otherwise = f"coalesce({cast}, try_cast({body} as timestamp)::date, {naive_text}::date)"
        forms = (f"{naive_num}::date", f"{naive_yf}::date")
    value = f"(case when {iso} then {cast} when {num} then {forms[0]} when {yf} then {forms[1]} else {otherwise} end)"
    return Staged((stage0, stage1, stage2, stage3, stage4), value)


def implausible(typed: str, as_of_literal: str) -> str:
    """SQL: a parsed instant that cannot be a real event: infinite, before 1990, or over a day after as_of."""
    return (
        f"(isinf({typed}) or {typed} < timestamptz '{PLAUSIBLE_FROM} 00:00:00+00' "
        f"or {typed} > {as_of_literal} + interval 1 day)"
    )


def order_counts_sql(relation: str, texts: dict[str, str]) -> str:
    """One aggregate pass: per column, how many numeric values only day-first can read, and only month-first.

    The parses are evaluated only for texts that start like a numeric date (`NUMERIC_START`; any other text
    is never numeric), each intermediate value once per row (trailing zone, body, regex parts)."""
    names = list(texts)

    def col(tag: str, i: int) -> str:
        return quote_ident(f"_{tag}{i}")

    start = quote_literal(NUMERIC_START)
    candidate = ", ".join(
        f"(case when regexp_matches({t}, {start}) then {t} end) as {col('t', i)}" for i, t in enumerate(texts.values())
    )
    zone = ", ".join(f"{_zone(col('t', i))} as {col('z', i)}" for i in range(len(names)))
    body = ", ".join(f"{_body_of(col('t', i), col('z', i))} as {col('b', i)}" for i in range(len(names)))
    parts = ", ".join(
        f"{_is_numeric_body(col('b', i))} as {col('n', i)}, (case when {_is_numeric_body(col('b', i))} "
        f"then {_parts(col('b', i))} end) as {col('p', i)}"
        for i in range(len(names))
    )
    naive = ", ".join(
        f"(case when {col('n', i)} then {_ordered(col('p', i), 'dmy')} end) as {col('dmy', i)}, "
        f"(case when {col('n', i)} then {_ordered(col('p', i), 'mdy')} end) as {col('mdy', i)}"
        for i in range(len(names))
    )
    counts = []
    for i, name in enumerate(names):
        dmy, mdy = col("dmy", i), col("mdy", i)
        counts.append(f"count(*) filter (where {dmy} is not null and {mdy} is null) as {quote_ident(name + '__dmy')}")
        counts.append(f"count(*) filter (where {mdy} is not null and {dmy} is null) as {quote_ident(name + '__mdy')}")
        counts.append(f"count(*) filter (where {col('n', i)}) as {quote_ident(name + '__numeric')}")
    return (
        f"select {', '.join(counts)} from (select {naive}, {', '.join(col('n', i) for i in range(len(names)))} "
        f"from (select *, {parts} from (select *, {body} from (select *, {zone} from (select {candidate} "
        f"from {relation})))))"
    )


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
