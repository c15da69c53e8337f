-- CSAT (share satisfied: 4–5) and CES (average) for every period at every grain, beside the NPS.
with periods as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', [],
        ['promoters', 'passives', 'detractors', 'responses', 'csat_responses', 'csat_satisfied', 'ces_responses', 'ces_sum']) }}

),

{{ nps_periods_with_change(
    'periods',
    extra_metrics={
        'csat_pct_satisfied': csat_pct_satisfied('csat_satisfied', 'csat_responses'),
        'ces_avg': 'case when ces_responses > 0 then ' ~ as_double('ces_sum') ~ ' / ces_responses end',
    },
    trailing_columns=['csat_responses', 'csat_pct_satisfied', 'ces_responses', 'ces_avg'],
) }}

select * from final
