-- For each detractor response, the first outbound call to the same customer that starts after responded_at
-- and within the follow-up window (var followup_window_days), whose disposition is not no_answer or abandoned (contract
-- section 4), known at NPS_AS_OF.
with detractors as (

    select response_id, customer_id, responded_at
    from {{ ref('int_responses_enriched') }}
    where nps_category = 'detractor'

),

outbound_reached as (

    select customer_id, started_at
    from {{ ref('int_calls') }}
    where direction = 'outbound'
        and disposition not in ('no_answer', 'abandoned')
        and started_at <= {{ as_of_timestamp() }}

),

final as (

    select
        detractors.response_id,
        min(outbound_reached.started_at) as first_followup_at
    from detractors
    left join outbound_reached
        on detractors.customer_id = outbound_reached.customer_id
        and outbound_reached.started_at > detractors.responded_at
        and outbound_reached.started_at <= {{ dbt.dateadd('day', var('followup_window_days'), 'detractors.responded_at') }}
    group by detractors.response_id

)

select * from final
