{#- The verbatim theme taxonomy and how its patterns are matched. -#}

{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'nps_warehouse')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(text, pattern) -%}
    {{ text }} rlike {{ pattern }}
{%- endmacro %}

{% macro duckdb__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{#- The verbatim theme taxonomy as a list of (theme, language, normalised pattern), read from the seed when
    the model compiles, so each pattern is a constant the engine compiles once (a regex taken from a column
    is compiled again for every row). Unit tests override this macro with their own rows. -#}
{% macro theme_taxonomy() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select theme, lower(language) as language, " ~ normalise_text('pattern') ~ " as pattern from "
        ~ ref('verbatim_theme_keywords') ~ " order by theme, language, pattern"
    ) -%}
    {{ return(rows.rows | map('list') | list) }}
{%- endmacro %}
