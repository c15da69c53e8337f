-- NPS for every period at every grain, by segment of the response (contract section 5).
with periods as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', ['segment'], ['promoters', 'passives', 'detractors', 'responses']) }}

),

metrics as (

    select
        *,
        {{ nps('promoters', 'detractors', 'responses') }} as nps,
        {{ nps_moe_95('promoters', 'detractors', 'responses') }} as nps_moe_95,
        {{ nps_variance('promoters', 'detractors', 'responses') }} as nps_variance
    from periods
    where responses > 0

),

final as (

    select
        metrics.period_grain,
        metrics.period_start,
        metrics.segment,
        metrics.responses,
        metrics.promoters,
        metrics.passives,
        metrics.detractors,
        metrics.nps,
        metrics.nps_moe_95,
        metrics.responses < {{ var('low_sample_threshold') }} as is_low_sample,
        previous.nps as previous_nps,
        metrics.nps - previous.nps as nps_change,
        {{ nps_change_is_significant('metrics.nps', 'metrics.nps_variance', 'previous.nps', 'previous.nps_variance') }}
            as nps_change_is_significant
    from metrics
    left join metrics as previous
        on previous.period_grain = metrics.period_grain
        and previous.segment = metrics.segment
        and previous.period_start = {{ previous_period_start('metrics.period_grain', 'metrics.period_start') }}

)

select * from final
