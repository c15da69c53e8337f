-- Invitations per local day of sending, segment and channel, and how many of them were answered. Only rows of
-- sources that export invitations are invitations (contract section 4, v2): a responses-only export (a survey
-- tool's, `invitations: false`) counts in responses, never here.
with invitations as (

    select sent_date, segment, channel, has_response
    from {{ ref('int_responses_enriched') }}
    where is_invitation

),

final as (

    select
        sent_date as day,
        segment,
        channel,
        count(*) as invitations,
        count(*) filter (where has_response) as invitations_responded
    from invitations
    group by 1, 2, 3

)

select * from final
