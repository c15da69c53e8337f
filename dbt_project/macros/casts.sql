{#- Casts that return null instead of failing on bad text (dbt.safe_cast is a plain cast on DuckDB). -#}

{% macro try_cast(expr, type) -%}
    {{ return(adapter.dispatch('try_cast', 'nps_warehouse')(expr, type)) }}
{%- endmacro %}

{% macro default__try_cast(expr, type) -%}
    cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro duckdb__try_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro spark__try_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}
