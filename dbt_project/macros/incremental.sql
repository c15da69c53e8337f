{% macro is_incremental_on_current_columns() %}
    {#-
        is_incremental(), and the built table has every column the model declares. A table built by an
        earlier release lacks the columns added since (e.g. v2's attributes, source_profile, is_invitation):
        on_schema_change='append_new_columns' adds them empty, so that build reprocesses every row instead
        of the new files' rows only, and the table then equals a full build.
    -#}
    {#- a unit test of the model builds from its given rows only (there is no built table to read) -#}
    {%- if model.resource_type == 'unit_test' or this is none or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set built = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for name in model.columns -%}
        {%- if name | lower not in built -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{% endmacro %}

{% macro built_through_watermark(relation=none) %}
    {#- The highest file id loaded when this model's table (or `relation`, an incremental model upstream) was last
        built (its `_built_through_file_id`), -1 when empty: files with a greater id landed since. -#}
    (select coalesce(max(_built_through_file_id), -1) from {{ this if relation is none else relation }})
{%- endmacro %}

{% macro where_touched_keys(landed, key_column) %}
    {#-
        The WHERE clause of a staging model's scan of its landed table `landed` (the one table of the FROM it
        follows): nothing (every row), or, in an incremental build on current columns, every row (of any file) of
        the keys that files loaded since the last build carry. Newest-version-wins (newest_versions) then picks
        among all versions of those keys, so a delete+insert by `key_column` gives what a full build gives,
        whatever the versions' order of arrival. Raw is append-only.
    -#}
    {%- if is_incremental_on_current_columns() %}
    {{ where_rows(landed, key_column ~ " in (select " ~ key_column ~ " from " ~ landed ~ " where _file_id > "
        ~ built_through_watermark() ~ ")") }}
    {%- endif %}
{%- endmacro %}

{% macro where_rows(relation, condition) -%}
    {#-
        `where <condition>` for a scan of the table `relation` (the one table of the FROM it follows), `condition`
        reading its columns. On DuckDB the rows are found by their rowids, from the columns `condition` reads
        alone, so that the other columns are read for those rows only (late materialisation, which DuckDB does not
        do for a semi-join by itself): 30k of 20M landed calls in 0.3 s instead of 0.9 s (docs/performance.md).
        Elsewhere the condition as it is.
    -#}
    {{ return(adapter.dispatch('where_rows', 'nps_warehouse')(relation, condition)) }}
{%- endmacro %}

{% macro default__where_rows(relation, condition) -%}
    where {{ condition }}
{%- endmacro %}

{% macro duckdb__where_rows(relation, condition) -%}
    where rowid in (select rowid from {{ relation }} where {{ condition }})
{%- endmacro %}

{% macro delete_keys_leaving(relation, key_column, leaving) %}
    {#-
        A pre_hook of an incremental model that keeps a selection of `relation` (e.g. the invitations without a
        response): deletes from the built table the keys whose row in `relation` no longer qualifies (`leaving`
        holds), since delete+insert only replaces the keys of the new batch. In an incremental build on current
        columns, only among the rows of `relation` (re)built since this model's last build (their
        `_built_through_file_id` above its watermark): an older row was already judged. On a table built by an
        earlier release, among every row (the build then reprocesses every row). Nothing in a full build, on
        Spark (a table) or in a unit test. The watermark it leaves can only be lower (rows deleted): the build
        then reprocesses more rows, never fewer.
    -#}
    {%- if model.resource_type != 'unit_test' and this is not none and is_incremental() -%}
    delete from {{ this }}
    where {{ key_column }} in (
        select {{ key_column }}
        from {{ relation }}
        where {{ leaving }}
            {%- if is_incremental_on_current_columns() %}
            and _built_through_file_id > {{ built_through_watermark() }}
            {%- endif %}
    )
    {%- endif -%}
{%- endmacro %}

{% macro delete_partitions_touched(relation, partition_column, key_column=none) %}
    {#-
        A pre_hook of an incremental model whose rows depend on the other rows of their partition (e.g. each
        customer's responses in time order), built with rows_of_partitions_missing: deletes from the built table
        every partition that a row of `relation` (re)built since this model's last build (its
        `_built_through_file_id` above the watermark) belongs to now and, given the key column of `relation` the
        table also has, the partition its key's built row belonged to (a response resolved to another customer
        changes the order of both). The build then adds every partition the table lacks, whole. On a table built
        by an earlier release, every row (the build then adds every partition). Nothing in a full build, on Spark
        (a table) or in a unit test.
    -#}
    {%- if model.resource_type != 'unit_test' and this is not none and is_incremental() -%}
    delete from {{ this }}
    {%- if is_incremental_on_current_columns() %}
    where {{ partition_column }} in (
        select {{ partition_column }}
        from {{ relation }}
        where _built_through_file_id > {{ built_through_watermark() }}
        {%- if key_column is not none %}
        union all
        select {{ partition_column }}
        from {{ this }}
        where {{ key_column }} in (
            select {{ key_column }} from {{ relation }} where _built_through_file_id > {{ built_through_watermark() }}
        )
        {%- endif %}
    )
    {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro delete_customers_respelled() %}
    {#- A pre_hook of int_customer_history (incremental by customer): deletes the customers with a row whose
        segment int_segment_names no longer spells that way (a newer CRM version spells the name otherwise; each
        spelling belongs to one segment key), for the build to add them again. Nothing where
        delete_partitions_touched does nothing, nor on a table it empties. -#}
    {%- if model.resource_type != 'unit_test' and this is not none and is_incremental_on_current_columns() -%}
    delete from {{ this }}
    where customer_id in (
        select built.customer_id
        from {{ this }} as built
        where not exists (
            select 1 from {{ ref('int_segment_names') }} as names where names.segment = built.segment
        )
    )
    {%- endif -%}
{% endmacro %}

{% macro rows_of_partitions_missing(alias, partition_column) %}
    {#- The condition, on the rows of a model's input aliased `alias`, that keeps those of the partitions its built
        table lacks (after delete_partitions_touched): nothing to add (true) in a full build. -#}
    {%- if is_incremental_on_current_columns() -%}
    not exists (
        select 1 from {{ this }} as built where built.{{ partition_column }} = {{ alias }}.{{ partition_column }}
    )
    {%- else -%}
    true
    {%- endif -%}
{% endmacro %}

{% macro enforce_unique_key() %}
    {#-
        A post_hook of the incremental models whose `unique_key` (one column) is unique in the table: the build
        fails when its table holds a value of that key more than once, naming the table, the number of repeated
        values and one of them. It runs inside the build's transaction, so on DuckDB a failing incremental build is
        rolled back: the table keeps its previous rows and watermark, and the next build reprocesses the same
        files and fails again until the data or the model is fixed (a `unique` data test after the build would
        leave the bad rows in place, and would have to read every key to find them again later).

        Only the rows this build wrote are grouped: the rows stamped with the table's highest
        `_built_through_file_id` (a superset of this build's rows; every row after a full build). That is exact
        for the delete+insert models that use it: the build deleted every row of its rows' keys before inserting
        them, so a key of its rows can repeat only among them, and the other rows were in the table after the
        previous build, which passed this check (deleting rows cannot repeat a key). A daily build thus groups a
        day of keys, found by the stamp's zone maps, instead of every key (20M calls: 2.9 s), or looking each up
        in the whole key column (0.4-0.6 s, docs/performance.md). A no-op in unit tests. Not for a `unique_key`
        that is only the delete key of delete+insert (stg_crm__customers keeps every version of a customer), nor
        for another strategy. On Spark the models are tables, every row carries the newest stamp and every key is
        checked, by a query run_check runs and reads (Spark evaluates a query lazily); the table is already
        replaced when the check fails (no transaction), and the build fails.
    -#}
    {%- set key = config.get('unique_key') -%}
    {%- if key is not string -%}
        {{ exceptions.raise_compiler_error("enforce_unique_key: " ~ this ~ " needs one unique_key column, not " ~ key) }}
    {%- endif -%}
    {%- if config.get('materialized') == 'incremental' and config.get('incremental_strategy') != 'delete+insert' -%}
        {{ exceptions.raise_compiler_error("enforce_unique_key: " ~ this ~ " is not built by delete+insert, so the "
            ~ "keys of a build's rows can repeat older rows' keys: the check would not see it") }}
    {%- endif -%}
    {%- if model.resource_type != 'unit_test' -%}
        {%- set check -%}
        with written as (

            select {{ key }} as key_value
            from {{ this }}
            where _built_through_file_id = (select max(_built_through_file_id) from {{ this }})

        ),

        repeated as (

            -- null is no value of the key (not_null tests judge it)
            select key_value
            from written
            where key_value is not null
            group by key_value
            having count(*) > 1

        )

        -- a case, not a having: Spark evaluates the select list of the one group before its having
        select case when count(*) > 0 then {{ fail_with(
            "'" ~ this.schema ~ "." ~ this.identifier ~ ": ' || cast(count(*) as " ~ dbt.type_string() ~ ")"
            ~ " || ' value(s) of unique key " ~ key ~ " appear more than once, e.g. '"
            ~ " || cast(min(key_value) as " ~ dbt.type_string() ~ ")"
        ) }} end
        from repeated
        {%- endset -%}
        {{ return(run_check(check)) }}
    {%- endif -%}
{% endmacro %}

{% macro run_check(query) -%}
    {#- The hook statement that runs `query`, a query that fails when a check fails (fail_with). -#}
    {{ return(adapter.dispatch('run_check', 'nps_warehouse')(query)) }}
{%- endmacro %}

{% macro default__run_check(query) -%}
    {{ return(query) }}
{%- endmacro %}

{% macro spark__run_check(query) -%}
    {#- Spark evaluates a query only when its rows are read, and dbt-spark runs a hook's statement without reading
        them: raise_error would never be evaluated. The query runs here, its rows fetched; the hook is empty. -#}
    {%- do run_query(query) -%}
    {{ return('') }}
{%- endmacro %}

{% macro fail_with(message) -%}
    {#- An expression that fails the statement with the text `message` (a SQL string expression). -#}
    {{ return(adapter.dispatch('fail_with', 'nps_warehouse')(message)) }}
{%- endmacro %}

{% macro default__fail_with(message) -%}
    {{ exceptions.raise_compiler_error("fail_with: no way to fail a statement on " ~ target.type ~ " yet") }}
{%- endmacro %}

{% macro duckdb__fail_with(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro spark__fail_with(message) -%}
    raise_error({{ message }})
{%- endmacro %}
