{#- dbt's cross-database macros where the adapter's own version does not fit this project (dispatch config in
    dbt_project.yml puts this project first). dbt-spark's dateadd and datediff go through to_unix_timestamp,
    which drops fractions of a second, and fail on a null date (assert_not_null); Spark's timestampadd and
    timestampdiff keep microseconds and pass nulls through, as DuckDB's date_add and date_diff do. -#}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    timestampdiff({{ datepart }}, {{ first_date }}, {{ second_date }})
{%- endmacro %}

{#- dbt-spark adds a contract's constraints to the model's table with ALTER TABLE when its file_format is delta, and
    takes an unset file_format for delta, although its tables are then created in the session's default format
    (parquet here), which has no constraints: every contracted model with a not_null constraint failed on
    "ALTER COLUMN ... SET NOT NULL". Only a model declared delta gets them; elsewhere the test
    not_null_constraints checks the not_null ones after the build. -#}
{% macro spark__persist_constraints(relation, model) %}
    {%- if config.get('contract').enforced and config.get('file_format') == 'delta' -%}
        {%- do alter_table_add_constraints(relation, model.constraints) -%}
        {%- do alter_column_set_constraints(relation, model.columns) -%}
    {%- endif -%}
{% endmacro %}

{#- A timestamp with time zone: an instant. Spark's timestamp is one (shown in the session time zone, UTC). -#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'nps_warehouse')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
    timestamptz
{%- endmacro %}

{% macro spark__type_timestamptz() -%}
    timestamp
{%- endmacro %}

{#- The sources on an engine that reads the lake (ingestion/lake.py): before a build, the raw tables as views over
    their Parquet folders (NPS_LAKE_DIR), in schema `raw` like DuckDB's, so every model, unit test and source test
    reads `raw.<table>` on both engines. Re-created each run: a view reads the folder's files when queried, and
    its columns are the lake's current ones. DuckDB reads the warehouse's own raw tables: nothing to do. -#}
{% macro lake_sources() -%}
    {{ return(adapter.dispatch('lake_sources', 'nps_warehouse')()) }}
{%- endmacro %}

{% macro default__lake_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__lake_sources() -%}
    {%- set lake = env_var('NPS_LAKE_DIR', 'data/warehouse/lake') -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- for table in ['surveys', 'crm_customers', 'calls'] -%}
        {%- do run_query(
            'create or replace view raw.' ~ table ~ ' as select * from parquet.`' ~ lake ~ '/raw/' ~ table ~ '`'
        ) -%}
    {%- endfor -%}
    {#- the verbatim themes' inputs (themes/prepare.py, exported whole to <lake>/themes/<table>/): tables with their
        declared columns over the folder, so a build without them reads them empty, as on DuckDB -#}
    {%- do run_query('create database if not exists themes') -%}
    {%- for table, columns in theme_input_columns().items() -%}
        {%- do run_query('drop table if exists themes.' ~ table) -%}
        {%- set ddl -%}
            create table themes.{{ table }} (
                {%- for name, type in columns %}{{ name }} {{ type }}{{ ", " if not loop.last }}{% endfor -%}
            ) using parquet location '{{ lake }}/themes/{{ table }}'
        {%- endset -%}
        {%- do run_query(ddl) -%}
    {%- endfor -%}
    select 1
{%- endmacro %}

{#- A double-precision float, and an expression cast to one: ratios are computed in doubles on every engine
    (Spark would keep `1.0 * a / b` in a decimal of limited scale, DuckDB makes it a double). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'nps_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro as_double(expr) -%}
    cast({{ expr }} as {{ type_double() }})
{%- endmacro %}
