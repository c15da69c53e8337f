"""Named value transforms of export profiles (contract section 2.2), as vectorised DuckDB SQL.

A transform turns the text of a canonical column into the text the canonical parser reads, before the
`values` map and the typed parse (so every check of section 3 still applies to its result). Each is a
function of SQL text expressions: `value` (the column's mapped text, already cleaned; `null` when the
export has no such column) and the texts of the transform's `inputs` (other export columns). A transform
returns NULL only when its inputs say nothing, never for a value it does not understand: such a value
passes through and is rejected by the usual checks, naming the file, line and field.

A derivation (`DERIVED`, a profile's `derived`) works on typed values instead: `plus_duration` gives a
timestamp column, when empty, the typed value of another canonical timestamp plus an export duration
(Five9: ended_at = started_at + `CALL TIME`), so the start is parsed once, in its own zone and order.

| name | what it does |
| --- | --- |
| `unix_seconds` | `1714000000` (Unix seconds, UTC) → `2024-04-24T23:06:40Z`; other text unchanged |
| `day_fraction_seconds` | a fraction of a day (`0.00465277777778`) → whole seconds (`402`), rounded |
| `salesforce_id18` | a 15-character Salesforce id → its 18-character case-safe form; others unchanged |
| `strip_date_comma` | `5/4/2026, 9:05 AM` → `5/4/2026 9:05 AM` (Salesforce's locale format) |
| `or_else` | the value, else the first non-empty input (per row) |
| `abandoned_if_unanswered` | `abandoned` when input 1 (queued) is set and input 2 (answered) is not, else the value |
| `leading_number` | an answer label `10 - Extremely likely` → `10` (SurveyMonkey answer text); others unchanged |
| `language_code` | a locale tag `EN-GB`, `es_ES`, `FR` → its ISO 639-1 language, lower case (`en`, `es`, `fr`) |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingestion.columns import Column
from ingestion.profiles import DateOrder
from ingestion.sql import quote_literal
from ingestion.validate import typed_expr

SALESFORCE_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


@dataclass(frozen=True)
class Args:
    value: str  # SQL text of the canonical column (cleaned), `null::varchar` when unmapped
    inputs: tuple[str, ...]  # SQL texts of the transform's input columns (cleaned)
    order: DateOrder  # the profile's date order (for a timestamp input)


def _utc_iso(instant: str) -> str:
    return f"(strftime(timezone('UTC', {instant}), '%Y-%m-%dT%H:%M:%S') || 'Z')"


def unix_seconds(a: Args) -> str:
    v = a.value
    return (
        f"(case when regexp_full_match({v}, '-?\\d{{1,12}}(\\.\\d+)?') "
        f"then {_utc_iso(f'to_timestamp({v}::double)')} else {v} end)"
    )


def day_fraction_seconds(a: Args) -> str:
    v = a.value
    return (
        f"(case when regexp_full_match({v}, {quote_literal(_NUMBER)}) "
        f"then round({v}::double * 86400)::bigint::varchar else {v} end)"
    )


def salesforce_id18_sql(v: str) -> str:
    """SQL: the 18-character case-safe id of a 15-character id `v`: per chunk of 5 characters, bit i is set
    when character i is an upper-case A–Z; the 5-bit number indexes `A…Z0…5`. Other text is unchanged."""
    chunks = []
    for chunk in range(3):
        bits = " + ".join(
            f"(case when regexp_full_match(substr({v}, {5 * chunk + i + 1}, 1), '[A-Z]') then {1 << i} else 0 end)"
            for i in range(5)
        )
        chunks.append(f"substr('{SALESFORCE_SUFFIX}', {bits} + 1, 1)")
    return f"(case when regexp_full_match({v}, '[0-9A-Za-z]{{15}}') then {v} || {' || '.join(chunks)} else {v} end)"


def salesforce_id18(a: Args) -> str:
    return salesforce_id18_sql(a.value)


def strip_date_comma(a: Args) -> str:
    return f"regexp_replace({a.value}, '^(\\d{{1,4}}[/.-]\\d{{1,2}}[/.-]\\d{{1,4}}),\\s*', '\\1 ')"


def or_else(a: Args) -> str:
    return "coalesce(" + ", ".join((a.value, *a.inputs)) + ")"


def plus_duration(typed_value: str, typed_start: str, duration_text: str) -> str:
    """Typed-stage derivation: the typed value, else the typed start + the duration (whole seconds or H:MM:SS)."""
    seconds = typed_expr(Column("d", "duration"), duration_text)
    return f"coalesce({typed_value}, {typed_start} + to_seconds({seconds}))"


def abandoned_if_unanswered(a: Args) -> str:
    queued, answered = a.inputs
    return f"(case when {queued} is not null and {answered} is null then 'abandoned' else {a.value} end)"


def leading_number(a: Args) -> str:
    v = a.value
    return f"coalesce(nullif(regexp_extract({v}, '^(\\d{{1,2}})\\s*-\\s*\\D', 1), ''), {v})"


def language_code(a: Args) -> str:
    v = a.value
    return f"(case when regexp_full_match({v}, '[A-Za-z]{{2}}([-_].*)?') then lower(left({v}, 2)) else {v} end)"


TRANSFORMS: dict[str, Callable[[Args], str]] = {
    "unix_seconds": unix_seconds,
    "day_fraction_seconds": day_fraction_seconds,
    "salesforce_id18": salesforce_id18,
    "strip_date_comma": strip_date_comma,
    "or_else": or_else,
    "abandoned_if_unanswered": abandoned_if_unanswered,
    "leading_number": leading_number,
    "language_code": language_code,
}
# transforms whose result is ISO 8601 (never a numeric date): the date order of the column is decided on
# its text before the transform
ISO_OUTPUT = frozenset({"unix_seconds"})
# derivations over typed values (a profile's `derived`): the canonical column's typed value, the typed value
# of the canonical column named by input 1, and the text of the export column named by input 2
DERIVED: dict[str, Callable[[str, str, str], str]] = {"plus_duration": plus_duration}
# how many inputs each transform takes (None: any number)
ARITY: dict[str, int | None] = {"or_else": None, "abandoned_if_unanswered": 2}


def transform_sql(name: str, args: Args) -> str:
    expected = ARITY.get(name, 0)
    if expected is not None and len(args.inputs) != expected:
        raise ValueError(f"transform {name!r} takes {expected} input column(s), got {len(args.inputs)}")
    return TRANSFORMS[name](args)
