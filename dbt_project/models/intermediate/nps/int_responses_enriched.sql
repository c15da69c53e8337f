-- Every invitation with its customer resolved (id, else email) and the CRM attributes in force when it was
-- answered (the earliest version also covers the time before it); periods keys in the reporting time zone.
with responses as (

    select
        response_id, customer_id, email, channel, touchpoint, interaction_id, sent_at, responded_at,
        has_response, nps_score, nps_comment, csat_score, ces_score, language, attributes, source_profile,
        is_invitation, _file_id
    from {{ ref('stg_surveys__responses') }}

),

history as (

    select
        customer_id, email, segment, region, country, plan, attributes, valid_from, valid_to, is_first_version,
        _file_id
    from {{ ref('int_customer_history') }}

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
        _file_id
    from with_version

)

select * from final
