{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='response_id',
        pre_hook="{{ not_null_constraints_in_place() }}",
        post_hook="{{ enforce_unique_key() }}",
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- One row per invitation. Incremental and exact: a build reprocesses the invitations whose survey rows, or
-- whose customer's CRM rows, came from files loaded since the last build (late responses, re-sent rows and
-- late CRM changes included), keyed on the load-order file id rather than on dates.
-- A CRM version respelling a segment name reprocesses the invitations of that segment. A table built by an
-- earlier release, without a column this model now has, is reprocessed whole (is_incremental_on_current_columns).
-- depends_on: {{ ref('int_segment_names') }}
with {% if is_incremental_on_current_columns() %}
changed_customers as (

    select distinct customer_id
    from {{ ref('int_customer_history') }}
    where _file_id > {{ built_through_watermark() }}

),

renamed_segments as (

    -- a newer CRM version spelling a segment name otherwise renames that segment for every customer in it
    select segment_names.segment_key
    from (select distinct segment from {{ this }}) as built
    inner join {{ ref('int_segment_names') }} as segment_names
        on {{ segment_key('built.segment') }} = segment_names.segment_key
    where built.segment <> segment_names.segment

),

{% endif %}
to_process as (

    select
        response_id, customer_id, channel, touchpoint, interaction_id, sent_at, responded_at, has_response,
        nps_score, nps_category, csat_score, ces_score, nps_comment, segment, region, plan, language,
        attributes, source_profile, is_invitation, sent_date, responded_date, _file_id
    from {{ ref('int_responses_enriched') }}
    {%- if is_incremental_on_current_columns() %}
    {{ where_rows(ref('int_responses_enriched'),
        '_file_id > ' ~ built_through_watermark()
        ~ ' or customer_id in (select customer_id from changed_customers)'
        ~ ' or ' ~ segment_key('segment') ~ ' in (select segment_key from renamed_segments)') }}
    {%- endif %}

),

built_through as (

    select max(file_id) as file_id
    from (
        select max(_file_id) as file_id from {{ ref('stg_surveys__responses') }}
        union all
        select max(_file_id) as file_id from {{ ref('int_customer_history') }}
    ) as file_ids

),

final as (

    select
        to_process.response_id,
        to_process.customer_id,
        to_process.channel,
        to_process.touchpoint,
        to_process.interaction_id,
        to_process.sent_at,
        to_process.responded_at,
        to_process.has_response,
        to_process.nps_score,
        to_process.nps_category,
        to_process.csat_score,
        to_process.ces_score,
        to_process.nps_comment,
        to_process.segment,
        to_process.region,
        to_process.plan,
        to_process.language,
        to_process.attributes,
        to_process.source_profile,
        to_process.is_invitation,
        to_process.sent_date,
        to_process.responded_date,
        to_process._file_id,
        built_through.file_id as _built_through_file_id
    from to_process
    cross join built_through

)

select * from final
