{#- "Newest version wins" (contract section 3): the same key in several landed rows is one record. The row
    with the greatest record version wins (`_record_version`: a profile's version column such as Amazon
    Connect's LastUpdateTimestamp, whatever file it is in; rows without one come after rows with one),
    then the row of the newest file by modification time, then name (whatever order the files arrived
    in), then the last line of that file. The same order as `ingestion.loader.refresh_superseded_rows`.
    A select of the winning rows of `relation` (with their version_rank, always 1). -#}
{% macro newest_versions(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _record_version desc nulls last, _file_mtime desc nulls last, _file_name desc,
                    _line_number desc
            ) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
{%- endmacro %}
