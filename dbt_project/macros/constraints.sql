{% macro not_null_constrained_columns(node) %}
    {#- The columns of a model node (`model` in its own SQL, a `graph.nodes` entry elsewhere) that declare a
        not_null constraint, in the order of its properties file. -#}
    {%- set columns = [] -%}
    {%- for column in node.columns.values()
        if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
        {%- do columns.append(column.name) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{% macro not_null_constraints_in_place() %}
    {#-
        A pre_hook of an incremental model with not_null constraints. A table built by an earlier release, before
        a constraint was declared, lacks it, and an incremental build only inserts into that table: the
        constraint is added first, so that this build's rows are checked as a new table's are. Fails, naming the
        column, when the table already holds a null there. Only where the engine enforces the constraints
        (DuckDB); on every engine the test not_null_constraints checks them after the build.
    -#}
    {{ return(adapter.dispatch('not_null_constraints_in_place', 'nps_warehouse')()) }}
{% endmacro %}

{% macro default__not_null_constraints_in_place() %}{% endmacro %}

{% macro duckdb__not_null_constraints_in_place() %}
    {%- if execute and is_incremental() -%}
        {%- set nullable = run_query(
            "select column_name from information_schema.columns where table_catalog = '" ~ this.database
            ~ "' and table_schema = '" ~ this.schema ~ "' and table_name = '" ~ this.identifier
            ~ "' and is_nullable = 'YES'").columns[0].values() | map('lower') | list -%}
        {%- for column in not_null_constrained_columns(model) if column | lower in nullable -%}
            {%- do run_query('alter table ' ~ this ~ ' alter column ' ~ adapter.quote(column) ~ ' set not null') -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
