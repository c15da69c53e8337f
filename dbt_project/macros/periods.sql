{#- Periods and time zones (contract section 4: periods are cut in NPS_REPORTING_TZ; weeks start on Monday).
    Engine-specific SQL lives only in dispatched macros. -#}

{% macro to_reporting_tz(ts) -%}
    {{ return(adapter.dispatch('to_reporting_tz', 'nps_warehouse')(ts)) }}
{%- endmacro %}

{% macro default__to_reporting_tz(ts) -%}
    ({{ ts }} at time zone '{{ var("reporting_tz") }}')
{%- endmacro %}

{% macro duckdb__to_reporting_tz(ts) -%}
    timezone('{{ var("reporting_tz") }}', {{ ts }})
{%- endmacro %}

{% macro spark__to_reporting_tz(ts) -%}
    from_utc_timestamp({{ ts }}, '{{ var("reporting_tz") }}')
{%- endmacro %}

{#- The local day (a date) of a UTC timestamp, in the reporting time zone. -#}
{% macro local_date(ts) -%}
    cast({{ to_reporting_tz(ts) }} as date)
{%- endmacro %}

{#- Start (a date) of the period holding a local timestamp or date; weeks start on Monday. -#}
{% macro period_start(ts_local, grain) -%}
    cast({{ dbt.date_trunc(grain, ts_local) }} as date)
{%- endmacro %}

{#- The moment against which open follow-ups are judged: var as_of (NPS_AS_OF), else now. Read only when the
    SQL runs (`execute`), never while dbt parses: dbt records every environment variable a model reads at parse
    time and parses the model again when its value changes, and NPS_AS_OF changes with every run (2 s a run). -#}
{% macro as_of_timestamp() -%}
    {%- if execute and var('as_of', '') | trim -%}
        cast('{{ var("as_of") | trim }}' as {{ type_timestamptz() }})
    {%- else -%}
        current_timestamp
    {%- endif -%}
{%- endmacro %}

{#- The five period grains, and the start of the period before a given one. -#}
{% macro period_grains() -%}
    {{ return(['day', 'week', 'month', 'quarter', 'year']) }}
{%- endmacro %}

{% macro previous_period_start(grain_col, period_start_col) -%}
    case {{ grain_col }}
        {%- for grain in period_grains() %}
        when '{{ grain }}' then cast({{ dbt.dateadd(grain, -1, period_start_col) }} as date)
        {%- endfor %}
    end
{%- endmacro %}

{#- Roll a daily count relation up to every grain: one union-all branch per grain. The sums are bigint (a DuckDB
    sum of bigint is a hugeint, which BI tools and Spark refuse). -#}
{% macro rollup_daily(relation, day_col, dims, sums) -%}
    {%- for grain in period_grains() %}
    select
        '{{ grain }}' as period_grain,
        {{ period_start(day_col, grain) }} as period_start,
        {%- for dim in dims %}
        {{ dim }},
        {%- endfor %}
        {%- for col in sums %}
        cast(sum({{ col }}) as {{ dbt.type_bigint() }}) as {{ col }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    group by {{ range(1, dims | length + 3) | join(', ') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
