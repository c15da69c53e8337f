-- Every dimension of nps_by_dimension splits all the responses of each period: its values add up to the
-- period's counts in nps_by_period.
with by_dimension as (

    select period_grain, period_start, dimension, sum(promoters) as promoters, sum(detractors) as detractors,
        sum(responses) as responses
    from {{ ref('nps_by_dimension') }}
    group by 1, 2, 3

),

final as (

    select by_dimension.*, by_period.responses as period_responses
    from by_dimension
    left join {{ ref('nps_by_period') }} as by_period
        on by_period.period_grain = by_dimension.period_grain
        and by_period.period_start = by_dimension.period_start
    where by_period.responses is distinct from by_dimension.responses
        or by_period.promoters is distinct from by_dimension.promoters
        or by_period.detractors is distinct from by_dimension.detractors

)

select * from final
