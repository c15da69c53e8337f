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
        coalesce(responses.responses, 0) as responses
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
) }}

select * from final
