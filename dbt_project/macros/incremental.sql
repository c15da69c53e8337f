{% macro is_incremental_on_current_columns() %}
    {#-
        is_incremental(), and the built table has every column the model declares. A table built by an
        earlier release lacks the columns added since (e.g. v2's attributes, source_profile, is_invitation):
        on_schema_change='append_new_columns' adds them empty, so that build reprocesses every row instead
        of the new files' rows only, and the table then equals a full build.
    -#}
    {%- if not is_incremental() -%}
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
