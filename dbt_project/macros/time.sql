{#- Engine-specific SQL lives only in these dispatched macros. -#}

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

{#- Start (a date) of the period holding a local timestamp or date; weeks start on Monday. -#}
{% macro period_start(ts_local, grain) -%}
    cast({{ dbt.date_trunc(grain, ts_local) }} as date)
{%- endmacro %}

{#- The moment against which open follow-ups are judged: var as_of (NPS_AS_OF), else now. -#}
{% macro as_of_timestamp() -%}
    {%- if var('as_of', '') | trim -%}
        cast('{{ var("as_of") | trim }}' as {{ dbt.type_timestamp() }}tz)
    {%- else -%}
        current_timestamp
    {%- endif -%}
{%- endmacro %}

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

{#- Lower-case, trimmed, without spaces, hyphens and underscores: for matching spellings. -#}
{% macro squash(expr) -%}
    replace(replace(replace(lower(trim({{ expr }})), ' ', ''), '-', ''), '_', '')
{%- endmacro %}

{% macro normalise_channel(expr) -%}
    case
        when {{ squash(expr) }} in ('email', 'mail', 'emailsurvey') then 'email'
        when {{ squash(expr) }} in ('sms', 'text', 'textmessage') then 'sms'
        when {{ squash(expr) }} in ('web', 'website', 'online', 'webform', 'webpage') then 'web'
        when {{ squash(expr) }} in ('inapp', 'app', 'mobileapp', 'mobile') then 'in_app'
        when {{ squash(expr) }} in ('phone', 'ivr', 'call', 'telephone', 'voice') then 'phone'
        else 'other'
    end
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

{#- Roll a daily count relation up to every grain: one union-all branch per grain. -#}
{% macro rollup_daily(relation, day_col, dims, sums) -%}
    {%- for grain in period_grains() %}
    select
        '{{ grain }}' as period_grain,
        {{ period_start(day_col, grain) }} as period_start,
        {%- for dim in dims %}
        {{ dim }},
        {%- endfor %}
        {%- for col in sums %}
        sum({{ col }}) as {{ col }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    group by {{ range(1, dims | length + 3) | join(', ') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- Lower-case, accents removed: for matching verbatims against the theme taxonomy. -#}
{% macro normalise_text(expr) -%}
    {{ return(adapter.dispatch('normalise_text', 'nps_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__normalise_text(expr) -%}
    lower({{ expr }})
{%- endmacro %}

{% macro duckdb__normalise_text(expr) -%}
    strip_accents(lower({{ expr }}))
{%- endmacro %}

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
