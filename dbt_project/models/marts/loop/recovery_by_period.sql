-- Recovery of detractors by period of the detractor response and segment: of the detractors who answered
-- again, how many became passive or promoter.
with detractors as (

    select responded_date, segment, next_response_id, is_recovered, loop_status
    from {{ ref('close_the_loop') }}

),

daily as (

    select
        responded_date as day,
        segment,
        count(*) as detractors,
        count(next_response_id) as detractors_answering_again,
        count(*) filter (where is_recovered) as recovered,
        count(*) filter (where loop_status in ('closed_within_sla', 'closed_late')) as followed_up,
        count(*) filter (where loop_status = 'closed_within_sla') as followed_up_within_sla
    from detractors
    group by 1, 2

),

periods as (

    {{ rollup_daily('daily', 'day', ['segment'],
        ['detractors', 'detractors_answering_again', 'recovered', 'followed_up', 'followed_up_within_sla']) }}

),

final as (

    select
        *,
        {{ as_double('recovered') }} / nullif(detractors_answering_again, 0) as recovery_rate,
        {{ as_double('followed_up_within_sla') }} / nullif(detractors, 0) as sla_attainment
    from periods

)

select * from final
