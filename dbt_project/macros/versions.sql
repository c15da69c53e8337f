{#- "Newest version wins" (contract section 3): the same key in several landed rows is one record, and the row
    from the newest file wins, then the last line of that file. A select of the winning rows of `relation`
    (with their version_rank, always 1). -#}
{% macro newest_versions(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }} order by _file_id desc, _line_number desc
            ) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
{%- endmacro %}
