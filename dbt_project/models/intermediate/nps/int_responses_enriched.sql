{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='response_id',
        post_hook="{{ enforce_unique_key() }}",
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Every invitation with its customer resolved (id, else email) and the CRM attributes in force when it was
-- answered (the earliest version also covers the time before it); periods keys in the reporting time zone.
-- Incremental on DuckDB and exact: a build reprocesses the invitations whose survey row came from a file loaded
-- since the last build, those of customers with a CRM version from such a file (a late version changes what was in
-- force at older responses), those matched by an email such a version carries, and those of a segment a newer
-- version respells (as fct_survey_responses).
with history as (

    select
        customer_id, email, segment, region, country, plan, attributes, valid_from, valid_to, is_first_version,
        _file_id
    from {{ ref('int_customer_history') }}

),

{% if is_incremental_on_current_columns() %}
changed_versions as (

    select customer_id, email
    from history
    where _file_id > {{ built_through_watermark() }}

),

renamed_segments as (

    -- a newer CRM version spelling a segment name otherwise renames that segment for every customer in it
    -- (the history spells every segment as int_segment_names does)
    select spellings.segment_key
    from (select distinct segment from {{ this }}) as built
    inner join (select distinct {{ segment_key('segment') }} as segment_key, segment from history) as spellings
        on {{ segment_key('built.segment') }} = spellings.segment_key
    where built.segment <> spellings.segment

),

reprocessed_by_customer as (

    select response_id
    from {{ this }}
    where customer_id in (select customer_id from changed_versions)
        or {{ segment_key('segment') }} in (select segment_key from renamed_segments)

),

reprocessed_responses as (

    select response_id
    from {{ ref('stg_surveys__responses') }}
    where _file_id > {{ built_through_watermark() }}
        or customer_id in (select customer_id from changed_versions)
        or email in (select email from changed_versions)
        or response_id in (select response_id from reprocessed_by_customer)

),

{% endif %}
responses as (

    select
        response_id, customer_id, email, channel, touchpoint, interaction_id, sent_at, responded_at,
        has_response, nps_score, nps_comment, csat_score, ces_score, language, attributes, source_profile,
        is_invitation, _file_id
    from {{ ref('stg_surveys__responses') }}
    {%- if is_incremental_on_current_columns() %}
    -- the conditions above read four narrow columns; every column is read for the reprocessed rows only
    {{ where_rows(ref('stg_surveys__responses'), 'response_id in (select response_id from reprocessed_responses)') }}
    {%- endif %}

),

built_through as (

    select max(file_id) as file_id
    from (
        select max(_file_id) as file_id from {{ ref('stg_surveys__responses') }}
        union all
        select max(_file_id) as file_id from history
    ) as file_ids

),

email_to_customer as (

    -- the customer whose most recent version carries that email
    select email, customer_id
    from (
        select
            email,
            customer_id,
            row_number() over (partition by email order by valid_from desc, customer_id) as email_rank
        from history
        where email is not null
            {%- if is_incremental_on_current_columns() %}
            -- only the emails of the responses this build resolves by email (the rank is per email); not in a
            -- full build, where reading responses twice would materialise every column of every invitation
            and email in (select email from responses where customer_id is null)
            {%- endif %}
    ) as ranked
    where email_rank = 1

),

resolved as (

    select
        responses.*,
        coalesce(responses.customer_id, email_to_customer.customer_id) as resolved_customer_id,
        coalesce(responses.responded_at, responses.sent_at) as as_of_at
    from responses
    left join email_to_customer
        on responses.customer_id is null
        and responses.email = email_to_customer.email

),

with_version as (

    select
        resolved.*,
        history.segment,
        history.region,
        history.country,
        history.plan,
        history.attributes as crm_attributes
    from resolved
    left join history
        on resolved.resolved_customer_id = history.customer_id
        and (resolved.as_of_at >= history.valid_from or history.is_first_version)
        and (history.valid_to is null or resolved.as_of_at < history.valid_to)

),

final as (

    select
        response_id,
        resolved_customer_id as customer_id,
        channel,
        touchpoint,
        interaction_id,
        sent_at,
        responded_at,
        has_response,
        nps_score,
        {{ nps_category('nps_score') }} as nps_category,
        csat_score,
        ces_score,
        nps_comment,
        coalesce(segment, {{ unknown_segment() }}) as segment,
        coalesce(region, 'unknown') as region,
        coalesce(plan, 'unknown') as plan,
        coalesce(country, 'unknown') as country,
        language,
        attributes,
        crm_attributes,
        source_profile,
        is_invitation,
        {{ local_date('sent_at') }} as sent_date,
        {{ local_date('responded_at') }} as responded_date,
        _file_id,
        built_through.file_id as _built_through_file_id
    from with_version
    cross join built_through

)

select * from final
