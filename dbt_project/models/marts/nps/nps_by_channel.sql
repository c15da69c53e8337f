-- NPS for every period at every grain, by survey channel (contract section 5).
with periods as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', ['channel'], ['promoters', 'passives', 'detractors', 'responses']) }}

),

{{ nps_periods_with_change('periods', dims=['channel'], only_with_responses=true) }}

select * from final
