{#- "Newest version wins" (contract section 3): the same key in several landed rows is one record, and the row
    from the newest file wins, then the last line of that file. Rank 1 is the version kept. -#}
{% macro newest_version_rank(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }} order by _file_id desc, _line_number desc
    )
{%- endmacro %}
