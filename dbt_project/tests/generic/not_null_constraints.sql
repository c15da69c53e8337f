{#- The not_null constraints of a contracted model, checked after its build: one row per column holding nulls, with
    how many, from one scan of the table. One test per model rather than a not_null test per column, which cost
    a dbt node each (68 of a run's 203 nodes, docs/performance.md). DuckDB also enforces the constraints: a build
    that writes a null there fails, rolled back, naming the table and the column, so the test finds none.
    dbt-spark does not enforce them (and tables in its default format cannot hold them): there this test is the
    check. -#}
{% test not_null_constraints(model) %}
{%- if execute -%}
    {%- set columns = not_null_constrained_columns(graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('alias', 'equalto', model.identifier) | first) -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error('not_null_constraints on ' ~ model ~ ': the model has no not_null constraint') }}
    {%- endif %}
with null_counts as (

    select
    {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}

)

{% for column in columns -%}
select '{{ column }}' as column_name, nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{%- else -%}
select 1 as column_name
{%- endif %}
{% endtest %}
