-- Every call with what the contact-centre metrics need: whether it is an answered inbound call, whether the
-- same customer came back (another inbound contact within var repeat_contact_window_days: a
-- first-contact-resolution proxy), and
-- the post-call surveys whose interaction_id is this call.
with calls as (

    select
        call_id, customer_id, agent_id, agent_name, team, queue, direction, channel, started_at, answered_at,
        wait_seconds, handle_seconds, is_answered, is_transferred, started_date
    from {{ ref('int_calls') }}

),

inbound as (

    select call_id, customer_id, started_at
    from calls
    where direction = 'inbound'

),

next_inbound as (

    select
        call_id,
        lead(started_at) over (partition by customer_id order by started_at, call_id) as next_inbound_at
    from inbound
    where customer_id is not null

),

post_call_surveys as (

    select
        interaction_id as call_id,
        {{ nps_category_counts('nps_category') }},
        {{ csat_counts('csat_score') }}
    from {{ ref('int_responses_enriched') }}
    where interaction_id is not null and has_response
    group by interaction_id

),

final as (

    select
        calls.call_id,
        calls.customer_id,
        calls.agent_id,
        calls.agent_name,
        calls.team,
        calls.queue,
        calls.direction,
        calls.channel,
        calls.started_at,
        calls.started_date,
        calls.wait_seconds,
        calls.handle_seconds,
        calls.is_answered,
        calls.is_transferred,
        calls.direction = 'inbound' and calls.is_answered as is_inbound_answered,
        next_inbound.next_inbound_at is not null
            and next_inbound.next_inbound_at <= {{ dbt.dateadd('day', var('repeat_contact_window_days'), 'calls.started_at') }}
            as is_repeat_contact,
        coalesce(post_call_surveys.responses, 0) as responses,
        coalesce(post_call_surveys.promoters, 0) as promoters,
        coalesce(post_call_surveys.passives, 0) as passives,
        coalesce(post_call_surveys.detractors, 0) as detractors,
        coalesce(post_call_surveys.csat_responses, 0) as csat_responses,
        coalesce(post_call_surveys.csat_satisfied, 0) as csat_satisfied
    from calls
    left join next_inbound on calls.call_id = next_inbound.call_id
    left join post_call_surveys on calls.call_id = post_call_surveys.call_id

)

select * from final
