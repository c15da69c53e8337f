-- NPS for every period at every grain, by reporting dimension and value (contract section 5, v2): CRM region,
-- country and plan in force at each response, the survey's touchpoint and language, and every attribute declared
-- under `dimensions` in sources.yml (var dimensions). Rebuilt from the daily counts like its siblings.
with periods as (

    {{ rollup_daily(ref('int_dimension_counts_daily'), 'day', ['dimension', 'dimension_value'],
        ['promoters', 'passives', 'detractors', 'responses']) }}

),

{{ nps_periods_with_change('periods', dims=['dimension', 'dimension_value'], only_with_responses=true) }}

select * from final
