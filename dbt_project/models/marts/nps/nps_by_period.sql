-- NPS, response rate and their context for every period at every grain (contract section 5). Invitations count
-- only rows of sources that export invitations (contract section 4, v2).
with responses as (

    {{ rollup_daily(ref('int_response_counts_daily'), 'day', [], ['promoters', 'passives', 'detractors', 'responses']) }}

),

invitations as (

    {{ rollup_daily(ref('int_invitation_counts_daily'), 'day', [], ['invitations', 'invitations_responded']) }}

),

periods as (

    select
        coalesce(responses.period_grain, invitations.period_grain) as period_grain,
        coalesce(responses.period_start, invitations.period_start) as period_start,
        -- null, not 0, for a period that no invitation-bearing source covers (only responses-only exports)
        invitations.invitations,
        invitations.invitations_responded,
        coalesce(responses.promoters, 0) as promoters,
        coalesce(responses.passives, 0) as passives,
        coalesce(responses.detractors, 0) as detractors,
        coalesce(responses.responses, 0) as responses,
        -- the period had not ended on the local day of NPS_AS_OF: its counts are still growing
        case coalesce(responses.period_grain, invitations.period_grain)
            {%- for grain in period_grains() %}
            when '{{ grain }}' then cast({{ dbt.dateadd(grain, 1, 'coalesce(responses.period_start, invitations.period_start)') }} as date)
            {%- endfor %}
        end > {{ local_date(as_of_timestamp()) }} as is_partial_period
    from responses
    full outer join invitations
        on responses.period_grain = invitations.period_grain
        and responses.period_start = invitations.period_start

),

{{ nps_periods_with_change(
    'periods',
    extra_columns=['invitations', 'response_rate'],
    extra_metrics={
        'response_rate': 'case when invitations > 0 then ' ~ as_double('invitations_responded') ~ ' / invitations end'
    },
    trailing_columns=['is_partial_period'],
) }}

select * from final
