"""SQL that turns the text of an export into typed values, and names the first reason a record is rejected.

Everything here builds DuckDB SQL expressions (strings); nothing touches data in Python. Conventions:
- the text of a column is trimmed and an empty string is NULL (`_text`);
- each typed column has a parse expression that is NULL when the text does not parse (`typed_expr`);
- a record is rejected for the first failing check (`reason_checks`): a missing required field, a value that
  does not parse, a score out of range, a value outside its set, or a cross-field check.
Naive timestamps are read in the session time zone, which the loader sets to `NPS_SOURCE_TZ`.
"""

from __future__ import annotations

from ingestion.columns import Column, Source

DMY = r"\d{1,2}/\d{1,2}/\d{4}"
SPACES = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space (thousands separators)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def text_expr(raw: str) -> str:
    """Trimmed text, empty → NULL."""
    return f"nullif(trim({raw}), '')"


def _number_text(t: str) -> str:
    return f"regexp_replace({t}, '{SPACES}', '', 'g')"


def typed_expr(column: Column, t: str) -> str:
    """SQL for the typed value of text expression `t` (already trimmed, NULL when empty); NULL if unparseable."""
    if column.kind == "timestamp":
        return (
            f"(case when regexp_full_match({t}, '{DMY}( \\d{{1,2}}:\\d{{2}}(:\\d{{2}})?)?') "
            f"then try_strptime({t}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y'])::timestamptz "
            f"else try_cast({t} as timestamptz) end)"
        )
    if column.kind == "date":
        return (
            f"(case when regexp_full_match({t}, '{DMY}') then try_strptime({t}, '%d/%m/%Y')::date "
            f"else try_cast({t} as date) end)"
        )
    if column.kind == "integer":
        n = _number_text(t)
        return f"(case when regexp_full_match({n}, '[+-]?\\d{{1,9}}') then {n}::integer end)"
    if column.kind == "decimal":
        n = f"replace({_number_text(t)}, ',', '.')"
        return (
            f"(case when regexp_full_match({n}, '[+-]?\\d{{1,16}}(\\.\\d{{1,2}})?') "
            f"and not ({t} like '%,%' and {t} like '%.%') then {n}::decimal(18, 2) end)"
        )
    if column.kind == "duration":
        hms = f"regexp_extract({t}, '^(\\d+):([0-5]\\d):([0-5]\\d)$', ['h', 'm', 's'])"
        return (
            f"(case when regexp_full_match({t}, '\\d{{1,9}}') then {t}::integer "
            f"when regexp_full_match({t}, '\\d{{1,5}}:[0-5]\\d:[0-5]\\d') "
            f"then {hms}.h::integer * 3600 + {hms}.m::integer * 60 + {hms}.s::integer end)"
        )
    if column.kind == "enum":
        return f"lower({t})"
    return t


_UNPARSEABLE = {
    "timestamp": ("unparseable_timestamp", "is not a timestamp (ISO 8601 or dd/mm/yyyy HH:MM[:SS])"),
    "date": ("unparseable_date", "is not a date (yyyy-mm-dd or dd/mm/yyyy)"),
    "integer": ("unparseable_integer", "is not a whole number"),
    "decimal": ("unparseable_decimal", "is not a decimal number with at most 2 decimals"),
    "duration": ("unparseable_duration", "is not a duration (whole seconds or HH:MM:SS)"),
}


def _value(t: str) -> str:
    return f"coalesce('\"' || {t} || '\"', 'empty')"


def _t(name: str) -> str:
    return quote_ident(f"_t_{name}")


def reason_checks(source: Source) -> list[tuple[str, str, str, str]]:
    """(reason_code, field, condition, message) in the order they are tried. Conditions refer to the text
    columns `_t_<col>` and the typed columns `<col>` of `typed_select`."""
    checks: list[tuple[str, str, str, str]] = []
    for column in source.columns:
        if column.required:
            checks.append(
                ("missing_required_field", column.name, f"{_t(column.name)} is null", f"'{column.name} is required'")
            )
    for column in source.columns:
        t, typed = _t(column.name), quote_ident(column.name)
        if column.kind in _UNPARSEABLE:
            code, what = _UNPARSEABLE[column.kind]
            checks.append(
                (
                    code,
                    column.name,
                    f"{t} is not null and {typed} is null",
                    f"'{column.name} ' || {_value(t)} || ' {what}'",
                )
            )
        if column.value_range is not None:
            lo, hi = column.value_range
            checks.append(
                (
                    "score_out_of_range",
                    column.name,
                    f"{typed} not between {lo} and {hi}",
                    f"'{column.name} ' || {_value(t)} || ' is outside {lo}–{hi}'",
                )
            )
        if column.kind == "enum":
            allowed = ", ".join(quote_literal(v) for v in column.allowed)
            listed = ", ".join(column.allowed)
            message = f"'{column.name} ' || {_value(t)} || ' is not one of {listed}'"
            checks.append(("invalid_value", column.name, f"{typed} not in ({allowed})", message))
    if "responded_before_sent" in source.row_checks:
        checks.append(
            (
                "responded_before_sent",
                "responded_at",
                "responded_at < sent_at",
                f"'responded_at ' || {_value(_t('responded_at'))} || ' is before sent_at ' || {_value(_t('sent_at'))}",
            )
        )
    if "score_without_response" in source.row_checks:
        condition = f"{_t('nps_score')} is not null and {_t('responded_at')} is null"
        message = f"'nps_score ' || {_value(_t('nps_score'))} || ' is given but responded_at is empty'"
        checks.append(("invalid_value", "nps_score", condition, message))
    return checks


def _sql_value(value: str, *, literal: bool) -> str:
    if not literal:
        return value
    return quote_literal(value) if value else "null"


def text_select(source: Source, raw: dict[str, str]) -> list[str]:
    """`_t_<col>`: the trimmed text of each canonical column; `raw[col]` is its SQL in the file (absent: NULL)."""
    return [f"{text_expr(raw[c.name]) if c.name in raw else 'null::varchar'} as {_t(c.name)}" for c in source.columns]


def typed_select(source: Source) -> list[str]:
    """`<col>`: the typed value of each canonical column, from `_t_<col>`."""
    return [f"{typed_expr(c, _t(c.name))} as {quote_ident(c.name)}" for c in source.columns]


def reason_select(source: Source, malformed_reason: str = "null") -> list[str]:
    """`_reason_code`, `_reason_field`, `_reason`: the first failing check, NULL for a valid record.
    A record the reader flagged `_malformed` (e.g. a line that is not a JSON object) fails first."""
    checks = [("malformed_record", "", "_malformed", malformed_reason), *reason_checks(source)]
    parts = []
    for alias, pick in (("_reason_code", 0), ("_reason_field", 1), ("_reason", 3)):
        whens = " ".join(f"when {c[2]} then {_sql_value(c[pick], literal=pick < 2)}" for c in checks)
        parts.append(f"case {whens} end as {alias}")
    return parts
