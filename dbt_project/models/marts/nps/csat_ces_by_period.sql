-- CSAT (share satisfied: 4–5) and CES (average) for every period at every grain.
with periods as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', [],
        ['promoters', 'passives', 'detractors', 'responses', 'csat_responses', 'csat_satisfied', 'ces_responses', 'ces_sum']) }}

),

final as (

    select
        period_grain,
        period_start,
        responses,
        promoters,
        passives,
        detractors,
        {{ nps('promoters', 'detractors', 'responses') }} as nps,
        {{ nps_moe_95('promoters', 'detractors', 'responses') }} as nps_moe_95,
        csat_responses,
        {{ csat_pct_satisfied('csat_satisfied', 'csat_responses') }} as csat_pct_satisfied,
        ces_responses,
        case when ces_responses > 0 then 1.0 * ces_sum / ces_responses end as ces_avg
    from periods

)

select * from final
