"""Named text transforms a profile applies to a canonical column before it is typed (`Profile.transforms`).

Each is a SQL template over `{x}`: the column's cleaned text (trimmed, NULL when empty or a null token). A
transform returns the text unchanged when it does not apply, so the usual checks reject a bad value with the
value as written.
"""

from __future__ import annotations

from types import MappingProxyType

TRANSFORMS: MappingProxyType[str, str] = MappingProxyType(
    {
        # SurveyMonkey answer labels: `10 - Extremely likely` → `10`, `0 - Not at all likely` → `0`
        "leading_number": r"coalesce(nullif(regexp_extract({x}, '^(\d{{1,2}})\s*-\s*\D', 1), ''), {x})",
        # a locale tag `EN-GB`, `es_ES`, `FR` → its ISO 639-1 language, lower case (`en`, `es`, `fr`)
        "language_code": r"(case when regexp_full_match({x}, '[A-Za-z]{{2}}([-_].*)?') then lower(left({x}, 2)) "
        r"else {x} end)",
    }
)


def apply_transform(name: str, text_sql: str) -> str:
    """SQL of transform `name` over `text_sql`; KeyError names the unknown transform."""
    return "(" + TRANSFORMS[name].format(x=text_sql) + ")"
