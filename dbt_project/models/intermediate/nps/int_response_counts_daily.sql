-- Responses per local day, segment and channel: the additive base every period mart rolls up.
with responses as (

    select responded_date, segment, channel, nps_category, csat_score, ces_score
    from {{ ref('int_responses_enriched') }}
    where has_response

),

final as (

    select
        responded_date as day,
        segment,
        channel,
        {{ nps_category_counts('nps_category') }},
        {{ csat_counts('csat_score') }},
        count(ces_score) as ces_responses,
        coalesce(sum(ces_score), 0) as ces_sum
    from responses
    group by 1, 2, 3

)

select * from final
