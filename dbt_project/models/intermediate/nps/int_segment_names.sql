-- How each segment name is spelled (contract section 4, v2): CRM segment names are free text, trimmed and
-- compared case-insensitively; each name is spelled as in the most recent CRM version carrying it (latest
-- updated_at, then the newest file, then the last line). Customers outside the CRM, and versions without a
-- segment, are `unknown` whatever the CRM's spelling of that word.
with versions as (

    select segment, updated_at, _file_id, _line_number
    from {{ ref('stg_crm__customers') }}

),

ranked as (

    select
        {{ segment_key('segment') }} as segment_key,
        segment,
        row_number() over (
            partition by {{ segment_key('segment') }} order by updated_at desc, _file_id desc, _line_number desc
        ) as spelling_rank
    from versions

),

final as (

    select
        segment_key,
        case when segment_key = {{ unknown_segment() }} then {{ unknown_segment() }} else segment end as segment
    from ranked
    where spelling_rank = 1

)

select * from final
