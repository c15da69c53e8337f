-- One row per invitation without a response, with contact details, for reach-out by another channel.
-- An action table: it carries contact details on purpose.
with invitations as (

    select response_id, customer_id, channel, touchpoint, segment, sent_at, sent_date
    from {{ ref('fct_survey_responses') }}
    where not has_response

),

contacts as (

    select response_id, first_name, last_name, email, phone
    from {{ ref('int_response_contacts') }}

),

final as (

    select
        invitations.response_id,
        invitations.customer_id,
        contacts.first_name,
        contacts.last_name,
        contacts.email,
        contacts.phone,
        invitations.channel,
        invitations.touchpoint,
        invitations.segment,
        invitations.sent_at,
        invitations.sent_date
    from invitations
    left join contacts on invitations.response_id = contacts.response_id

)

select * from final
