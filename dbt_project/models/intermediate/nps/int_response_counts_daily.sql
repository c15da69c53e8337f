-- Responses per local day, segment and channel: the additive base every period mart rolls up.
with responses as (

    select responded_date, segment, channel, nps_category, csat_score, ces_score
    from {{ ref('fct_survey_responses') }}
    where has_response

),

final as (

    select
        responded_date as day,
        segment,
        channel,
        count(*) filter (where nps_category = 'promoter') as promoters,
        count(*) filter (where nps_category = 'passive') as passives,
        count(*) filter (where nps_category = 'detractor') as detractors,
        count(*) filter (where nps_category is not null) as responses,
        count(csat_score) as csat_responses,
        count(*) filter (where csat_score >= 4) as csat_satisfied,
        count(ces_score) as ces_responses,
        coalesce(sum(ces_score), 0) as ces_sum
    from responses
    group by 1, 2, 3

)

select * from final
