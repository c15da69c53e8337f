-- One row per invitation without a response, with contact details, for reach-out by another channel.
-- An action table: it carries contact details on purpose.
with invitations as (

    select response_id, customer_id, channel, touchpoint, segment, sent_at, sent_date
    from {{ ref('fct_survey_responses') }}
    where not has_response

),

survey_contacts as (

    select response_id, email
    from {{ ref('stg_surveys__responses') }}

),

customers as (

    select customer_id, email, phone, first_name, last_name
    from {{ ref('int_customer_history') }}
    where is_current

),

final as (

    select
        invitations.response_id,
        invitations.customer_id,
        customers.first_name,
        customers.last_name,
        coalesce(customers.email, survey_contacts.email) as email,
        customers.phone,
        invitations.channel,
        invitations.touchpoint,
        invitations.segment,
        invitations.sent_at,
        invitations.sent_date
    from invitations
    left join survey_contacts on invitations.response_id = survey_contacts.response_id
    left join customers on invitations.customer_id = customers.customer_id

)

select * from final
