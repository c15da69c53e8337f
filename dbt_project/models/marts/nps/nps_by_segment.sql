-- NPS for every period at every grain, by segment in force at each response (contract section 5).
with periods as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', ['segment'], ['promoters', 'passives', 'detractors', 'responses']) }}

),

{{ nps_periods_with_change('periods', dims=['segment'], only_with_responses=true) }}

select * from final
