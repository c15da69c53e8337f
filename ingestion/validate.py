"""SQL that turns the text of an export into typed values, and names why a record or a value is rejected.

Everything here builds DuckDB SQL expressions (strings); nothing touches data in Python. Conventions:
- the text of a column is trimmed; empty text and null tokens (`NA`, `N/A`, `NULL`… and the entry's
  `null_values`) are NULL; a `values` map turns an export value into the canonical one (`_t_<col>`);
- each typed column has a parse expression that is NULL when the text does not parse (`typed_expr`);
- a record is rejected whole for the first failing row-level check (`row_checks`): a missing required field,
  an invalid key, NPS score or response time, or a cross-field check;
- an invalid value in any other (optional) field is a value reject (`value_checks`): the row loads with the
  field empty and the value is listed in `quality.rejected_values`.
Naive timestamps are read in the session time zone, which the loader sets per file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ingestion.columns import Column, Source
from ingestion.dates import Staged, date_expr, implausible, timestamp_expr, timestamp_stages
from ingestion.profiles import DateOrder
from ingestion.sql import quote_ident, quote_literal

__all__ = ["quote_ident", "quote_literal"]

SPACES = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space (thousands separators)
NULL_TOKENS = ("NA", "N/A", "n/a", "NULL", "null", "#N/A")
# a whole number; an integral float (`9.0`, as pandas writes a score column with gaps) is accepted
INTEGER = r"-?(0|[1-9]\d{0,8})(\.0+)?"
# a decimal: digits, or groups of three separated by a space / no-break space; `.` or `,` before the decimals
DECIMAL = rf"[+-]?(\d{{1,16}}|\d{{1,3}}({SPACES}\d{{3}})+)([.,]\d{{1,2}})?"


@dataclass(frozen=True)
class Check:
    code: str
    field: str
    condition: str  # SQL over `_t_<col>` (text) and `_v_<col>` (typed, unchecked)
    message: str  # SQL text expression


def _t(name: str) -> str:
    return quote_ident(f"_t_{name}")


def _v(name: str) -> str:
    return quote_ident(f"_v_{name}")


def clean_text(raw: str, null_tokens: tuple[str, ...] = NULL_TOKENS) -> str:
    """Trimmed text; empty and null tokens → NULL. The tokens are compared one by one (`in` with six or more
    constants becomes a join per column in DuckDB's plan, slower for the same answer)."""
    token = " or ".join(f"trim({raw}) = {quote_literal(v)}" for v in dict.fromkeys(null_tokens))
    return f"(case when {token} then null else nullif(trim({raw}), '') end)"


OTHERWISE = "*"  # the key of a `values` map whose value is used for every value the map does not name


def _canonical_value(v: str) -> str:
    return quote_literal(v) if v.strip() else "null::varchar"  # an empty canonical value is an empty field


def mapped_text(t: str, values: Mapping[str, str]) -> str:
    """Text through a `values` map (export value → canonical, compared case-insensitively); the key `*`
    maps every other non-empty value; a value mapped to empty text is NULL (not a rejected value)."""
    if not values:
        return t
    named = {k: v for k, v in values.items() if k != OTHERWISE}
    whens = " ".join(f"when {quote_literal(k.strip().lower())} then {_canonical_value(v)}" for k, v in named.items())
    otherwise = t
    if OTHERWISE in values:
        otherwise = f"case when {t} is not null then {_canonical_value(values[OTHERWISE])} end"
    return f"(case lower({t}) {whens} else {otherwise} end)" if whens else f"({otherwise})"


def typed_expr(column: Column, t: str, order: DateOrder = "dmy") -> str:
    """SQL for the typed value of text expression `t` (already trimmed, NULL when empty); NULL if unparseable."""
    if column.kind == "timestamp":
        return timestamp_expr(t, order)
    if column.kind == "date":
        return date_expr(t, order)
    if column.kind == "integer":
        return f"(case when regexp_full_match({t}, '{INTEGER}') then split_part({t}, '.', 1)::integer end)"
    if column.kind == "decimal":
        n = f"replace(regexp_replace({t}, '{SPACES}', '', 'g'), ',', '.')"
        return f"(case when regexp_full_match({t}, '{DECIMAL}') then {n}::decimal(18, 2) end)"
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
    "timestamp": (
        "unparseable_timestamp",
        "is not a timestamp (ISO 8601, dd/mm/yyyy or mm/dd/yyyy HH:MM[:SS] in the date order of the file)",
    ),
    "date": ("unparseable_date", "is not a date (yyyy-mm-dd, dd/mm/yyyy or mm/dd/yyyy in the date order of the file)"),
    "integer": ("unparseable_integer", "is not a whole number"),
    "decimal": ("unparseable_decimal", "is not a decimal number with at most 2 decimals"),
    "duration": ("unparseable_duration", "is not a duration (whole seconds or HH:MM:SS)"),
}


def _value(t: str) -> str:
    return f"coalesce('\"' || {t} || '\"', 'empty')"


def column_checks(column: Column, as_of: str) -> list[Check]:
    """The checks of one column's value, in the order they are tried; `as_of` is a timestamptz SQL literal."""
    t, typed, name = _t(column.name), _v(column.name), column.name
    checks: list[Check] = []
    if column.kind in _UNPARSEABLE:
        code, what = _UNPARSEABLE[column.kind]
        checks.append(
            Check(code, name, f"{t} is not null and {typed} is null", f"'{name} ' || {_value(t)} || ' {what}'")
        )
    if column.kind in ("timestamp", "date"):
        message = f"'{name} ' || {_value(t)} || ' is not a plausible time (before 1990, infinite, or after as_of)'"
        checks.append(Check("implausible_timestamp", name, implausible(typed, as_of), message))
    if column.value_range is not None:
        lo, hi = column.value_range
        message = f"'{name} ' || {_value(t)} || ' is outside {lo}–{hi}'"
        checks.append(Check("score_out_of_range", name, f"{typed} not between {lo} and {hi}", message))
    if column.kind == "enum":
        message = f"'{name} ' || {_value(t)} || ' is not one of {', '.join(column.allowed)}'"
        outside = " and ".join(f"{typed} <> {quote_literal(v)}" for v in column.allowed)  # as `not in`, no join
        checks.append(Check("invalid_value", name, f"({outside})", message))
    return checks


def row_checks(source: Source, as_of: str) -> list[Check]:
    """Checks that reject the whole record, in the order they are tried."""
    checks = [
        Check("missing_required_field", c.name, f"{_t(c.name)} is null", f"'{c.name} is required'")
        for c in source.columns
        if c.required
    ]
    for column in source.columns:
        if column.row_level:
            checks += column_checks(column, as_of)
    if "responded_before_sent" in source.row_checks:
        message = f"'responded_at ' || {_value(_t('responded_at'))} || ' is before sent_at ' || {_value(_t('sent_at'))}"
        checks.append(
            Check("responded_before_sent", "responded_at", f"{_v('responded_at')} < {_v('sent_at')}", message)
        )
    if "score_without_response" in source.row_checks:
        condition = f"{_t('nps_score')} is not null and {_t('responded_at')} is null"
        message = f"'nps_score ' || {_value(_t('nps_score'))} || ' is given but responded_at is empty'"
        checks.append(Check("invalid_value", "nps_score", condition, message))
    return checks


def _first(checks: list[Check], pick: str) -> str:
    whens = " ".join(
        f"when {c.condition} then {quote_literal(getattr(c, pick)) if pick != 'message' else c.message}" for c in checks
    )
    return f"(case {whens} end)" if checks else "null::varchar"


def value_reject(column: Column, as_of: str) -> str | None:
    """SQL struct {field, code, value, reason} of an optional column's invalid value, NULL when valid."""
    checks = column_checks(column, as_of)
    if not checks:
        return None
    code = _first(checks, "code")
    return (
        f"(case when {code} is not null then struct_pack(field := {quote_literal(column.name)}, code := {code}, "
        f"value := {_t(column.name)}, reason := {_first(checks, 'message')}) end)"
    )


@dataclass(frozen=True)
class Mapped:
    """One file mapped to the canonical columns: SQL over the read relation."""

    texts: dict[str, str]  # canonical column → SQL of its text (before cleaning); constants are literals
    attributes: list[tuple[str, str]]  # export columns no mapping uses: header → SQL of the text
    null_tokens: tuple[str, ...] = NULL_TOKENS
    values: Mapping[str, Mapping[str, str]] | None = None  # canonical column → export value → canonical value
    derived_key: str | None = None  # canonical key derived from the mapped values (no id in the export)
    checks: tuple[Check, ...] = ()  # the file's own row checks (e.g. Qualtrics' NPS group against the score)
    version: str | None = None  # SQL text of the record's version (e.g. LastUpdateTimestamp): the greatest wins
    derived: Mapping[str, str] | None = None  # canonical column → SQL over typed values `_v_*` (when empty)


def attributes_expr(mapped: Mapped) -> str:
    if not mapped.attributes:
        return "'{}'"
    pairs = ", ".join(f"{quote_literal(h)}, {clean_text(sql, mapped.null_tokens)}" for h, sql in mapped.attributes)
    return f"json_object({pairs})::varchar"


def derived_key_expr(source: Source, mapped: Mapped) -> str:
    """sha256 of the source name and every mapped value: identical rows get the same id."""
    parts = [quote_literal(source.name)] + [
        f"coalesce({_t(c.name)}, '')" for c in source.columns if c.name in mapped.texts and c.name != source.key
    ]
    return f"sha256(concat_ws(chr(31), {', '.join(parts)}))"


def _date_stages(staged: Mapping[str, Staged], relation: str) -> str:
    """`relation` with the intermediate columns of every staged date parse, one subquery per stage."""
    for i in range(max((len(d.stages) for d in staged.values()), default=0)):
        items = [item for d in staged.values() if i < len(d.stages) for item in d.stages[i]]
        relation = f"(select *, {', '.join(items)} from {relation})"
    return relation


def checked_sql(
    source: Source,
    relation: str,
    mapped: Mapped,
    *,
    raw_record: str,
    malformed_reason: str,
    orders: Mapping[str, DateOrder],
    as_of: str,
) -> str:
    """One pass over a read file: clean text → typed values → row reason and value rejects.

    Columns out: the canonical columns (typed; an invalid optional value is NULL), `_line_number`,
    `_reason_code`, `_reason_field`, `_reason` (NULL for a loaded row), `_raw_record` (rejected rows),
    `_value_rejects` (list of {field, code, value, reason} of a loaded row), `_attributes` and
    `_record_version` (the instant of the profile's version column, NULL without one)."""
    values = mapped.values or {}
    texts = []
    for column in source.columns:
        if column.name in mapped.texts:
            clean = clean_text(mapped.texts[column.name], mapped.null_tokens)
            texts.append(f"{mapped_text(clean, values.get(column.name, {}))} as {_t(column.name)}")
        elif column.name != source.key or mapped.derived_key is None:
            texts.append(f"null::varchar as {_t(column.name)}")
    key_stage = ""
    if source.key not in mapped.texts and mapped.derived_key is not None:
        key_stage = f"select *, {derived_key_expr(source, mapped)} as {_t(source.key)} from "
    staged: dict[str, Staged] = {
        c.name: timestamp_stages(_t(c.name), c.name, orders.get(c.name, "dmy"), c.kind)
        for c in source.columns
        if c.kind in ("timestamp", "date")
    }
    typed = [
        f"{staged[c.name].value if c.name in staged else typed_expr(c, _t(c.name))} as {_v(c.name)}"
        for c in source.columns
    ]
    checks = [("malformed_record", "", "_malformed", malformed_reason)]
    rows = [*(Check(*c) for c in checks), *row_checks(source, as_of), *mapped.checks]
    rejects = {c.name: value_reject(c, as_of) for c in source.columns if not c.row_level}
    rejects = {name: sql for name, sql in rejects.items() if sql is not None}
    out = [
        f"case when {quote_ident('_vr_' + c.name)} is null then {_v(c.name)} end" if c.name in rejects else _v(c.name)
        for c in source.columns
    ]
    reject_list = "[" + ", ".join(quote_ident("_vr_" + n) for n in rejects) + "]"
    derived = ""
    if mapped.derived:
        derived = " replace (" + ", ".join(f"{sql} as {_v(name)}" for name, sql in mapped.derived.items()) + ")"
    version = "null::timestamptz"
    if mapped.version is not None:  # its text is a column of the text stage, parsed once (a large expression)
        texts.append(f"{clean_text(mapped.version, mapped.null_tokens)} as {_t('_record_version')}")
        staged["_record_version"] = timestamp_stages(_t("_record_version"), "_record_version", "dmy")
        typed.append(f"{staged['_record_version'].value} as {_v('_record_version')}")
        version = _v("_record_version")
    text_stage = (
        f"({key_stage}(select *, {', '.join(texts)}, {attributes_expr(mapped)} as _attributes from {relation}))"
    )
    return f"""
        select {", ".join(f"{sql} as {quote_ident(c.name)}" for sql, c in zip(out, source.columns, strict=True))},
               _line_number, _reason_code, _reason_field, _reason,
               case when _reason_code is not null then {raw_record} end as _raw_record,
               case when _reason_code is null then list_filter({reject_list}, lambda x: x is not null) end
                   as _value_rejects,
               _attributes, {version} as _record_version
        from (
            select *, {_first(rows, "code")} as _reason_code, {_first(rows, "field")} as _reason_field,
                   {_first(rows, "message")} as _reason
                   {"".join(f", {sql} as {quote_ident('_vr_' + name)}" for name, sql in rejects.items())}
            from (
                select *{derived}
                from (select *, {", ".join(typed)}
                from {_date_stages(staged, text_stage)})
            )
        )"""
