-- For each response with a score, the same customer's next scored response (for recovery of detractors).
with scored as (

    select response_id, customer_id, responded_at, nps_score, nps_category
    from {{ ref('int_responses_enriched') }}
    where nps_category is not null and customer_id is not null

),

final as (

    select
        response_id,
        lead(response_id) over by_customer as next_response_id,
        lead(responded_at) over by_customer as next_responded_at,
        lead(nps_score) over by_customer as next_nps_score,
        lead(nps_category) over by_customer as next_nps_category
    from scored
    window by_customer as (partition by customer_id order by responded_at, response_id)

)

select * from final
